import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/agent/job';
import { S3Channel } from '../../../lib/agent/s3-channel';

const s3 = new S3Client({ region: 'us-east-1' });
const mock = mockClient(s3);
const channel = new S3Channel(() => s3, { bucket: 'agent-bucket', prefix: 'autopilot-agent' });
const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));

const job: Job = {
  schemaVersion: 1,
  jobId: 'build-1',
  builderName: 'b1',
  createdAt: '2026-11-26T00:00:00Z',
  steps: [
    {
      id: 'create-image',
      kind: 'image-assistant',
      argv: ['create-image', '--name', 'x'],
      timeoutSeconds: 60,
      continueOnError: false,
    },
  ],
};

describe('S3Channel', () => {
  it('writes the job under <prefix>/<builder>/jobs/<jobId>.json', async () => {
    mock.reset();
    mock.on(PutObjectCommand).resolves({});
    await channel.submit('us-east-1', job);
    expect(mock.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
      Bucket: 'agent-bucket',
      Key: 'autopilot-agent/b1/jobs/build-1.json',
      ContentType: 'application/json',
    });
  });

  it('reads and validates the result; no result yet is undefined', async () => {
    mock.reset();
    mock
      .on(GetObjectCommand)
      .rejectsOnce(new NoSuchKey({ message: 'no', $metadata: {} }))
      .resolves({
        Body: body(
          JSON.stringify({
            schemaVersion: 1,
            jobId: 'build-1',
            status: 'succeeded',
            finishedAt: 'now',
            steps: [],
          }),
        ),
      });
    expect(await channel.result('us-east-1', 'b1', 'build-1')).toBeUndefined();
    expect(await channel.result('us-east-1', 'b1', 'build-1')).toMatchObject({ status: 'succeeded' });
    expect(mock.commandCalls(GetObjectCommand)[0].args[0].input.Key).toBe(
      'autopilot-agent/b1/results/build-1.json',
    );
  });

  it('refuses a result document that breaks the schema', async () => {
    mock.reset();
    mock.on(GetObjectCommand).resolves({ Body: body('{"schemaVersion":2}') });
    await expect(channel.result('us-east-1', 'b1', 'build-1')).rejects.toMatchObject({
      name: 'AwsRequestError',
    });
  });

  it('says so when no bucket is configured', async () => {
    const none = new S3Channel(() => s3, { bucket: '', prefix: 'p' });
    await expect(none.submit('us-east-1', job)).rejects.toThrow('AGENT_BUCKET is not set');
  });
});
