import { join } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { perRegion } from '../aws/per-region';
import { systemClock } from '../clock';
import { ConfigError } from '../errors';
import { loadScheduleFile } from '../schedule/config';
import type { ScheduleDeps } from '../schedule/deps';
import { deploymentName } from '../tags';

let deps: ScheduleDeps | undefined;

/** SCHEDULE_CADENCE_MINUTES: minutes between runs (a positive whole number); absent: the default. */
export function cadenceFrom(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 60)
    throw new ConfigError(`SCHEDULE_CADENCE_MINUTES: '${value}' is not a number of minutes (1-60)`);
  return n;
}

/**
 * Dependencies of the deployed fleet-schedule functions, built once per container. The schedule
 * file comes from the execution input (`{"config": …}`) or, when the input has none, from
 * SCHEDULE_FILE: a path inside the function bundle (serverless.yml packages it beside the
 * handler; relative paths are from LAMBDA_TASK_ROOT).
 */
export function scheduleAwsDeps(env: Record<string, string | undefined> = process.env): ScheduleDeps {
  if (deps) return deps;
  const file = env.SCHEDULE_FILE;
  deps = {
    deployment: deploymentName(env),
    region: env.AWS_REGION ?? 'us-east-1',
    appstream: perRegion((region) => new AppStreamClient({ region })),
    ec2: perRegion((region) => new EC2Client({ region })),
    autoscaling: perRegion((region) => new ApplicationAutoScalingClient({ region })),
    tagging: perRegion((region) => new ResourceGroupsTaggingAPIClient({ region })),
    clock: systemClock,
    cadenceMinutes: cadenceFrom(env.SCHEDULE_CADENCE_MINUTES),
    loadConfig: file
      ? () => loadScheduleFile(file.startsWith('/') ? file : join(env.LAMBDA_TASK_ROOT ?? '.', file))
      : undefined,
  };
  return deps;
}
