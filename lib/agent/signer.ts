import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { aws } from '../aws/call';
import { AwsRequestError } from '../errors';
import { type Job, type JobEnvelope, JobSchema, SIGNING_ALGORITHM, stripBom } from './job';

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

let shared: LocalJobSigner | undefined;

/** Workstation and tests: a node:crypto RSA key pair (a fresh one per instance, or given). */
export class LocalJobSigner implements JobSigner {
  /** One key pair for the process (RSA key generation takes ~0.3 s: not once per local run). */
  static shared(): LocalJobSigner {
    shared ??= new LocalJobSigner();
    return shared;
  }

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

/** Refusal codes of agent/PROTOCOL.md: a refused result's `reason` starts with one. */
export type RefusalCode =
  | 'malformed'
  | 'unknown-schema'
  | 'unsigned'
  | 'bad-signature'
  | 'foreign-builder'
  | 'expired';
export type Verification = { ok: true; job: Job } | { ok: false; code: RefusalCode; reason: string };

const refuse = (code: RefusalCode, text: string): Verification => ({
  ok: false,
  code,
  reason: `${code}: ${text}`,
});

/**
 * What the agent checks before running anything (and the tests check the pipeline's output
 * with), in agent/PROTOCOL.md's order: the envelope (JSON, schemaVersion, signature with the
 * baked public key), then the payload (schema, the job id the document is stored under, builder
 * binding, expiry). The reason is what the agent writes into a refused result.
 */
export function verifyEnvelope(
  document: unknown,
  publicKeyPem: string,
  expect: { builderName: string; now: number; jobId?: string },
): Verification {
  let doc = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(stripBom(doc));
    } catch {
      return refuse('malformed', 'the job document is not JSON');
    }
  }
  if (!doc || typeof doc !== 'object') return refuse('malformed', 'the job document is not a JSON object');
  const envelope = doc as Partial<Record<keyof JobEnvelope, unknown>>;
  if (envelope.schemaVersion !== 2)
    return refuse(
      'unknown-schema',
      `job schemaVersion ${JSON.stringify(envelope.schemaVersion ?? null)} (this agent speaks 2)`,
    );
  if (
    typeof envelope.payload !== 'string' ||
    !envelope.payload ||
    typeof envelope.signature !== 'string' ||
    !envelope.signature
  )
    return refuse('unsigned', 'the job has no signed envelope (payload + signature)');
  if (envelope.algorithm !== SIGNING_ALGORITHM)
    return refuse(
      'bad-signature',
      `unsupported signing algorithm ${JSON.stringify(envelope.algorithm)} (expected ${SIGNING_ALGORITHM})`,
    );
  const payload = Buffer.from(envelope.payload, 'base64');
  let valid = false;
  try {
    valid = verify(
      'sha256',
      payload,
      createPublicKey(publicKeyPem),
      Buffer.from(envelope.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  if (!valid)
    return refuse('bad-signature', 'the signature does not verify (not signed by this pipeline, or altered)');
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    return refuse('malformed', 'the signed payload is not JSON');
  }
  if ((raw as { schemaVersion?: unknown } | null)?.schemaVersion !== 2)
    return refuse('unknown-schema', 'the signed payload is not agent protocol 2');
  const parsed = JobSchema.safeParse(raw);
  if (!parsed.success) return refuse('malformed', `the job breaks the schema: ${parsed.error.message}`);
  const job = parsed.data;
  if (expect.jobId !== undefined && job.jobId !== expect.jobId)
    return refuse('malformed', `the signed jobId ${job.jobId} is not the document's name ${expect.jobId}`);
  if (job.builderName !== expect.builderName)
    return refuse(
      'foreign-builder',
      `the job is for image builder '${job.builderName}', not '${expect.builderName}'`,
    );
  if (Date.parse(job.expiresAt) <= expect.now)
    return refuse('expired', `the job expired at ${job.expiresAt}`);
  return { ok: true, job };
}
