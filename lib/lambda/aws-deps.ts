import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3Channel } from '../agent/s3-channel';
import { KmsJobSigner } from '../agent/signer';
import { perRegion } from '../aws/per-region';
import { systemClock } from '../clock';
import { SnsNotifier } from '../notify/sns';
import type { PipelineDeps } from '../pipeline/deps';
import { deploymentName } from '../tags';
import { SfnExecutions } from './sfn-executions';

let deps: PipelineDeps | undefined;

/**
 * Dependencies of the deployed functions, built once per container from the environment:
 * AGENT_BUCKET (+ AGENT_PREFIX) for the builder agent channel, JOB_SIGNING_KEY_ID for signing its jobs.
 */
export function awsDeps(): PipelineDeps {
  if (deps) return deps;
  const bucket = process.env.AGENT_BUCKET;
  const s3 = new S3Client({});
  const kms = new KMSClient({});
  deps = {
    // TAG.deployment: AUTOPILOT_DEPLOYMENT = ${self:service}-${sls:stage} (serverless.yml).
    deployment: deploymentName(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    // One client per region and service, kept for the container's life.
    appstream: perRegion((region) => new AppStreamClient({ region })),
    channel: new S3Channel(() => s3, {
      bucket: bucket ?? '',
      prefix: process.env.AGENT_PREFIX ?? 'autopilot-agent',
      // Jobs are signed with the deployment's asymmetric KMS key (JOB_SIGNING_KEY_ID, serverless.yml).
      signer: new KmsJobSigner(() => kms, process.env.JOB_SIGNING_KEY_ID ?? ''),
    }),
    ec2: perRegion((region) => new EC2Client({ region })),
    // SNS is regional: publish through the topic's region (cross-region topics work).
    notifier: new SnsNotifier(perRegion((region) => new SNSClient({ region }))),
    clock: systemClock,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    // Concurrent-run guard and builder pruning: the state machine's RUNNING executions.
    executions: new SfnExecutions(perRegion((region) => new SFNClient({ region }))),
  };
  return deps;
}
