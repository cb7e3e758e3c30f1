import { AppStreamClient } from '@aws-sdk/client-appstream';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3Channel } from '../agent/s3-channel';
import { SnsNotifier } from '../notify/sns';
import type { PipelineDeps } from '../pipeline/deps';

let deps: PipelineDeps | undefined;

/**
 * Dependencies of the deployed functions, built once per container from the environment:
 * AGENT_BUCKET (+ AGENT_PREFIX) for the builder agent channel.
 */
export function awsDeps(): PipelineDeps {
  if (deps) return deps;
  const clients = new Map<string, AppStreamClient>();
  const bucket = process.env.AGENT_BUCKET;
  const s3 = new S3Client({});
  deps = {
    region: process.env.AWS_REGION ?? 'us-east-1',
    appstream: (region: string) => {
      let c = clients.get(region);
      if (!c) {
        c = new AppStreamClient({ region });
        clients.set(region, c);
      }
      return c;
    },
    channel: new S3Channel(() => s3, {
      bucket: bucket ?? '',
      prefix: process.env.AGENT_PREFIX ?? 'autopilot-agent',
    }),
    notifier: new SnsNotifier(new SNSClient({})),
    clock: { now: () => Date.now() },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
  return deps;
}
