import { execFileSync } from 'node:child_process';
import { constants, generateKeyPairSync, privateEncrypt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { type Job, JobSchema } from '../../../lib/agent/job';
import { KmsJobSigner, LocalJobSigner, signJob, verifyEnvelope } from '../../../lib/agent/signer';

const job: Job = JobSchema.parse({
  schemaVersion: 2,
  jobId: 'build-1',
  builderName: 'b1',
  createdAt: '2026-11-26T09:00:00.000Z',
  expiresAt: '2026-11-26T12:00:00.000Z',
  steps: [{ id: 'command-1', kind: 'command', argv: ['msiexec.exe', '/i', 'C:\\a b\\x.msi', 'é ✓'] }],
});
const at = { builderName: 'b1', now: Date.parse('2026-11-26T09:05:00Z') };
const dir = mkdtempSync(join(tmpdir(), 'signer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2): what PKCS#1 v1.5 signs in front of the digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A KMS that behaves like KMS Sign for an RSA_2048 SIGN_VERIFY key: with MessageType DIGEST it
 * signs the given 32-byte digest as is (no second hashing); RAW is limited to 4096 bytes.
 */
function fakeKms() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const client = new KMSClient({ region: 'us-east-1' });
  const mock = mockClient(client);
  mock.on(SignCommand).callsFake(async (input) => {
    if (input.SigningAlgorithm !== 'RSASSA_PKCS1_V1_5_SHA_256')
      throw new Error(`unexpected ${input.SigningAlgorithm}`);
    const message = Buffer.from(input.Message as Uint8Array);
    if (input.MessageType !== 'DIGEST') throw new Error('the pipeline signs digests');
    if (message.length !== 32)
      throw Object.assign(new Error('Digest is invalid length for algorithm'), {
        name: 'ValidationException',
      });
    const signature = privateEncrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([SHA256_DIGEST_INFO, message]),
    );
    return { KeyId: input.KeyId, Signature: signature, SigningAlgorithm: input.SigningAlgorithm };
  });
  return { client, mock, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

describe('Job signing (agent protocol 2)', () => {
  it('KMS: signs the SHA-256 digest (MessageType DIGEST); the signature verifies over the payload bytes', async () => {
    const kms = fakeKms();
    const envelope = await signJob(
      job,
      new KmsJobSigner(() => kms.client, 'arn:aws:kms:us-east-1:111122223333:key/k1'),
    );
    expect(envelope.keyId).toBe('arn:aws:kms:us-east-1:111122223333:key/k1');
    expect(kms.mock.commandCalls(SignCommand)[0].args[0].input).toMatchObject({ MessageType: 'DIGEST' });
    expect(verifyEnvelope(envelope, kms.publicKeyPem, at)).toEqual({ ok: true, job });
  });

  it('the signature verifies with openssl dgst -sha256 -verify (what the Linux agent runs)', async () => {
    const kms = fakeKms();
    const envelope = await signJob(job, new KmsJobSigner(() => kms.client, 'k1'));
    writeFileSync(join(dir, 'pub.pem'), kms.publicKeyPem);
    writeFileSync(join(dir, 'payload.bin'), Buffer.from(envelope.payload, 'base64'));
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(envelope.signature, 'base64'));
    const out = execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      join(dir, 'pub.pem'),
      '-signature',
      join(dir, 'sig.bin'),
      join(dir, 'payload.bin'),
    ]).toString();
    expect(out.trim()).toBe('Verified OK');
  });

  it('says which key is missing when the deployment has no signing key', async () => {
    await expect(signJob(job, new KmsJobSigner(() => fakeKms().client, ''))).rejects.toThrow(
      'JOB_SIGNING_KEY_ID is not set',
    );
  });

  it('verification refuses unsigned, foreign-key, tampered, other-builder, expired and v1 jobs, with the protocol’s codes', async () => {
    const signer = new LocalJobSigner();
    const other = new LocalJobSigner();
    const good = await signJob(job, signer);
    const check = (doc: unknown, when: Parameters<typeof verifyEnvelope>[2] = at) =>
      verifyEnvelope(doc, signer.publicKeyPem, when);
    const code = (doc: unknown, when?: Parameters<typeof verifyEnvelope>[2]) => {
      const v = check(doc, when);
      return v.ok ? 'ok' : v.code;
    };
    expect(check(good)).toMatchObject({ ok: true });
    expect(code(`\uFEFF${JSON.stringify(good)}`)).toBe('ok');
    expect(check({ ...good, signature: '' })).toMatchObject({
      code: 'unsigned',
      reason: expect.stringMatching(/^unsigned: /),
    });
    expect(code(await signJob(job, other))).toBe('bad-signature');
    const forged = Buffer.from(
      JSON.stringify({ ...job, steps: [{ ...job.steps[0], argv: ['evil'] }] }),
    ).toString('base64');
    expect(code({ ...good, payload: forged })).toBe('bad-signature');
    expect(code({ ...good, algorithm: 'RSASSA_PSS_SHA_256' })).toBe('bad-signature');
    expect(check(await signJob({ ...job, builderName: 'b2' }, signer))).toMatchObject({
      code: 'foreign-builder',
      reason: "foreign-builder: the job is for image builder 'b2', not 'b1'",
    });
    expect(check(good, { ...at, now: Date.parse('2026-11-26T12:00:01Z') })).toMatchObject({
      reason: 'expired: the job expired at 2026-11-26T12:00:00.000Z',
    });
    expect(code(good, { ...at, jobId: 'build-2' })).toBe('malformed');
    expect(code({ schemaVersion: 1, jobId: 'j', builderName: 'b1', steps: [] })).toBe('unknown-schema');
    expect(code('{not json')).toBe('malformed');
  });

  it('agrees with both agents on every shared envelope case (agent/testdata/envelope-cases.json), reason code included', () => {
    const data = JSON.parse(readFileSync('agent/testdata/envelope-cases.json', 'utf8')) as {
      builderName: string;
      publicKeyPem: string;
      cases: { name: string; jobId: string; document: string; expect: string }[];
    };
    for (const c of data.cases) {
      const v = verifyEnvelope(c.document, data.publicKeyPem, {
        builderName: data.builderName,
        now: Date.parse('2026-11-26T09:00:00Z'),
        jobId: c.jobId,
      });
      expect(v.ok ? 'ok' : v.code, c.name).toBe(c.expect);
    }
  });
});
