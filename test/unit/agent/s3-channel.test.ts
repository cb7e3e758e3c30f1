import { describe, expect, it } from 'vitest';
import { type Job, JobSchema } from '../../../lib/agent/job';
import { agentKeys, S3Channel } from '../../../lib/agent/s3-channel';
import { LocalJobSigner, verifyEnvelope } from '../../../lib/agent/signer';
import { FakeS3 } from './fake-s3';

const PIPELINE_ROLE = 'arn:aws:iam::111122223333:role/appstream-autopilot-prod-us-east-1-lambdaRole';
const BUILDER_ROLE = 'arn:aws:iam::111122223333:role/appstream-builder';
const signer = new LocalJobSigner();
const keys = agentKeys('autopilot-agent', 'b1', 'build-1');

const job: Job = JobSchema.parse({
  schemaVersion: 2,
  jobId: 'build-1',
  builderName: 'b1',
  createdAt: '2026-11-26T09:00:00.000Z',
  expiresAt: '2026-11-26T12:00:00.000Z',
  secrets: [{ name: 'LICENSE_KEY', source: 'ssm', ref: '/apps/license' }],
  steps: [{ id: 'create-image', kind: 'image-assistant', argv: ['create-image', '--name', 'x'] }],
});

const result = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    schemaVersion: 2,
    jobId: 'build-1',
    builderName: 'b1',
    agentVersion: '2.0.0',
    status: 'succeeded',
    finishedAt: '2026-11-26T10:00:00Z',
    steps: [],
    ...extra,
  });

/** The pipeline's role as serverless.yml grants it: jobs/ write, documents read, ListBucket. */
function setup(opts: { listBucket: boolean }) {
  const s3 = new FakeS3('agent-bucket', PIPELINE_ROLE);
  const client = s3.client({
    arn: PIPELINE_ROLE,
    putObject: ['autopilot-agent/*/jobs/*'],
    getObject: ['autopilot-agent/*'],
    listBucket: opts.listBucket,
  });
  const channel = new S3Channel(() => client, { bucket: 'agent-bucket', prefix: 'autopilot-agent', signer });
  return { s3, channel };
}

describe('S3Channel (agent protocol 2) against an S3 that enforces the 403/404 rule', () => {
  it('writes a signed envelope under <prefix>/<builder>/jobs/<jobId>.json, bound to the builder, secrets by reference', async () => {
    const { s3, channel } = setup({ listBucket: true });
    await channel.submit('us-east-1', job);
    const stored = s3.objects.get(keys.job)!.toString('utf8');
    const envelope = JSON.parse(stored);
    expect(envelope).toMatchObject({
      schemaVersion: 2,
      keyId: 'local',
      algorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    });
    const verdict = verifyEnvelope(stored, signer.publicKeyPem, {
      builderName: 'b1',
      now: Date.parse('2026-11-26T09:01:00Z'),
    });
    expect(verdict).toEqual({ ok: true, job });
    expect(Buffer.from(envelope.payload, 'base64').toString('utf8')).toContain('"ref":"/apps/license"');
  });

  it('with s3:ListBucket a claim or result not written yet is "not yet" (404 NoSuchKey); then it is read', async () => {
    const { s3, channel } = setup({ listBucket: true });
    expect(await channel.result('us-east-1', 'b1', 'build-1')).toBeUndefined();
    expect(await channel.claim('us-east-1', 'b1', 'build-1')).toBeUndefined();
    s3.objects.set(keys.result, Buffer.from(result()));
    expect(await channel.result('us-east-1', 'b1', 'build-1')).toMatchObject({
      status: 'succeeded',
      agentVersion: '2.0.0',
    });
  });

  it('without s3:ListBucket the missing result is a 403, reported as the missing permission (not "not yet")', async () => {
    const { channel } = setup({ listBucket: false });
    const err = await channel.result('us-east-1', 'b1', 'build-1').catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'AwsRequestError' });
    expect((err as Error).message).toContain('s3:ListBucket');
    expect((err as Error).message).toContain('403');
  });

  it('reads a claim or result that starts with a UTF-8 BOM (Windows PowerShell 5.1)', async () => {
    const { s3, channel } = setup({ listBucket: true });
    s3.objects.set(keys.result, Buffer.from(`\uFEFF${result()}`, 'utf8'));
    s3.objects.set(
      keys.claim,
      Buffer.from(
        `\uFEFF${JSON.stringify({
          schemaVersion: 2,
          jobId: 'build-1',
          builderName: 'b1',
          agentVersion: '2.0.0',
          claimedAt: '2026-11-26T09:00:10Z',
          heartbeatAt: '2026-11-26T09:00:40Z',
          currentStep: 'create-image',
          completedSteps: [],
        })}`,
        'utf8',
      ),
    );
    expect(await channel.result('us-east-1', 'b1', 'build-1')).toMatchObject({ status: 'succeeded' });
    expect(await channel.claim('us-east-1', 'b1', 'build-1')).toMatchObject({
      heartbeatAt: '2026-11-26T09:00:40Z',
    });
  });

  it('a protocol 1 result (or one without a version) is BuildAgentOutdated naming the agent to bake', async () => {
    const { s3, channel } = setup({ listBucket: true });
    s3.objects.set(
      keys.result,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 1,
          jobId: 'build-1',
          status: 'succeeded',
          finishedAt: 'x',
          steps: [],
        }),
      ),
    );
    await expect(channel.result('us-east-1', 'b1', 'build-1')).rejects.toMatchObject({
      name: 'BuildAgentOutdated',
      message: expect.stringContaining('agent protocol 2, agent/README.md'),
    });
    s3.objects.set(keys.claim, Buffer.from(JSON.stringify({ jobId: 'build-1' })));
    await expect(channel.claim('us-east-1', 'b1', 'build-1')).rejects.toMatchObject({
      name: 'BuildAgentOutdated',
    });
  });

  it('refuses a v2 document that breaks the schema', async () => {
    const { s3, channel } = setup({ listBucket: true });
    s3.objects.set(keys.result, Buffer.from(JSON.stringify({ schemaVersion: 2, jobId: 'build-1' })));
    await expect(channel.result('us-east-1', 'b1', 'build-1')).rejects.toMatchObject({
      name: 'AwsRequestError',
    });
  });

  it("models the bucket policy: a builder's role can write claims/ and results/ but not jobs/", async () => {
    const { s3 } = setup({ listBucket: true });
    const builderClient = s3.client({
      arn: BUILDER_ROLE,
      // Even with a (mistaken) PutObject on the whole prefix, the bucket policy's Deny wins.
      putObject: ['autopilot-agent/*'],
      getObject: ['autopilot-agent/*/jobs/*'],
      listBucket: true,
    });
    const rogue = new S3Channel(() => builderClient, {
      bucket: 'agent-bucket',
      prefix: 'autopilot-agent',
      signer,
    });
    await expect(rogue.submit('us-east-1', job)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(s3.objects.has(keys.job)).toBe(false);
  });

  it('says so when no bucket is configured', async () => {
    const none = new S3Channel(() => setup({ listBucket: true }).s3.client({ arn: PIPELINE_ROLE }), {
      bucket: '',
      prefix: 'p',
      signer,
    });
    await expect(none.submit('us-east-1', job)).rejects.toThrow('AGENT_BUCKET is not set');
  });
});
