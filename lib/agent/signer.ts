import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { aws } from '../appstream/call';
import { AwsRequestError } from '../pipeline/errors';
import { type Job, type JobEnvelope, JobEnvelopeSchema, JobSchema, SIGNING_ALGORITHM, stripBom } from './job';

/**
 * Signs job payloads with RSASSA-PKCS1-v1_5 over SHA-256: what openssl 1.0.2 (`openssl dgst
 * -sha256 -verify`) on Amazon Linux 2 and .NET Framework (`RSACryptoServiceProvider.VerifyData(
 * bytes, "SHA256", sig)`) on Windows builders verify with the public key baked beside the agent.
 */
export interface JobSigner {
  /** Goes into the envelope's keyId (KMS key id/ARN, or 'local'). */
  readonly keyId: string;
  sign(payload: Buffer): Promise<Buffer>;
}

/** AWS: an asymmetric KMS key (RSA_2048, SIGN_VERIFY); the private key never leaves KMS. */
export class KmsJobSigner implements JobSigner {
  constructor(
    private readonly kms: () => KMSClient,
    readonly keyId: string,
  ) {}

  async sign(payload: Buffer): Promise<Buffer> {
    if (!this.keyId)
      throw new AwsRequestError(
        'JOB_SIGNING_KEY_ID is not set: the pipeline has no key to sign builder jobs with',
      );
    // KMS Sign: a RAW message is limited to 4096 bytes, so sign the SHA-256 digest with
    // MessageType DIGEST (KMS then skips its own hashing step); the signature is the same
    // PKCS#1 v1.5 signature a verifier computes over the payload bytes.
    const digest = createHash('sha256').update(payload).digest();
    const out = await aws('kms:Sign', () =>
      this.kms().send(
        new SignCommand({
          KeyId: this.keyId,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: SIGNING_ALGORITHM,
        }),
      ),
    );
    if (!out.Signature) throw new AwsRequestError(`kms:Sign with ${this.keyId} returned no signature`);
    return Buffer.from(out.Signature);
  }
}

/** Workstation and tests: a node:crypto RSA key pair made per process (or given). */
export class LocalJobSigner implements JobSigner {
  readonly keyId: string = 'local';
  private readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor(keys?: { privateKey: KeyObject; publicKey: KeyObject }) {
    const pair = keys ?? generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  async sign(payload: Buffer): Promise<Buffer> {
    // RSA keys sign with PKCS#1 v1.5 padding by default in node:crypto.
    return sign('sha256', payload, this.privateKey);
  }
}

/** Wraps a job in a signed envelope (payload = base64 of its exact UTF-8 JSON bytes). */
export async function signJob(job: Job, signer: JobSigner): Promise<JobEnvelope> {
  const payload = Buffer.from(JSON.stringify(JobSchema.parse(job)), 'utf8');
  return {
    schemaVersion: 2,
    keyId: signer.keyId,
    algorithm: SIGNING_ALGORITHM,
    payload: payload.toString('base64'),
    signature: (await signer.sign(payload)).toString('base64'),
  };
}

export type Verification = { ok: true; job: Job } | { ok: false; reason: string };

/**
 * What the agent checks before running anything (and the tests check the pipeline's output
 * with): the envelope's signature with the baked public key, then the payload's schema,
 * builder binding and expiry. The reason is what the agent writes into a refused result.
 */
export function verifyEnvelope(
  document: unknown,
  publicKeyPem: string,
  expect: { builderName: string; now: number },
): Verification {
  let doc = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(stripBom(doc));
    } catch {
      return { ok: false, reason: 'the job document is not JSON' };
    }
  }
  const version = (doc as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== 2)
    return { ok: false, reason: `unknown job schemaVersion ${JSON.stringify(version ?? null)}` };
  const envelope = JobEnvelopeSchema.safeParse(doc);
  if (!envelope.success || !envelope.data.signature)
    return { ok: false, reason: 'the job is not signed (no signed envelope)' };
  const payload = Buffer.from(envelope.data.payload, 'base64');
  let valid = false;
  try {
    valid = verify(
      'sha256',
      payload,
      createPublicKey(publicKeyPem),
      Buffer.from(envelope.data.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: 'bad signature: the job was not signed by this pipeline' };
  let job: Job;
  try {
    job = JobSchema.parse(JSON.parse(payload.toString('utf8')));
  } catch (err) {
    return { ok: false, reason: `the job payload breaks the schema: ${(err as Error).message}` };
  }
  if (job.builderName !== expect.builderName)
    return {
      ok: false,
      reason: `the job is for image builder '${job.builderName}', not '${expect.builderName}'`,
    };
  if (Date.parse(job.expiresAt) <= expect.now)
    return { ok: false, reason: `the job expired at ${job.expiresAt}` };
  return { ok: true, job };
}
