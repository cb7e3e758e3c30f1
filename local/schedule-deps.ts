import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import { perRegion } from '../lib/aws/per-region';
import type { ScheduleDeps } from '../lib/schedule/deps';
import { LOCAL_ACCOUNT } from './local-deps';

/**
 * The fleet schedule's dependencies against an emulator (in-process or at `endpoint`): real SDK
 * clients over HTTP (AppStream, Application Auto Scaling, Resource Groups Tagging, EC2 all on the
 * emulator's one port), and the emulator's virtual clock as "now".
 */
export function scheduleLocalDeps(
  endpoint: string,
  now: () => number,
  opts: { region?: string; account?: string; maxAttempts?: number; cadenceMinutes?: number } = {},
): ScheduleDeps & { clients: { destroy(): void }[] } {
  const account = opts.account ?? LOCAL_ACCOUNT;
  const clients: { destroy(): void }[] = [];
  const track = <C extends { destroy(): void }>(c: C): C => {
    clients.push(c);
    return c;
  };
  const config = (region: string) => ({
    endpoint,
    region,
    credentials: { accessKeyId: account, secretAccessKey: 'local' },
    // The SDK's standard 3 attempts, without real-time backoff pauses.
    retryStrategy: new ConfiguredRetryStrategy(opts.maxAttempts ?? 3, () => 5),
  });
  return {
    deployment: 'local',
    region: opts.region ?? 'us-east-1',
    appstream: perRegion((r) => track(new AppStreamClient(config(r)))),
    ec2: perRegion((r) => track(new EC2Client(config(r)))),
    autoscaling: perRegion((r) => track(new ApplicationAutoScalingClient(config(r)))),
    tagging: perRegion((r) => track(new ResourceGroupsTaggingAPIClient(config(r)))),
    clock: { now },
    cadenceMinutes: opts.cadenceMinutes,
    clients,
  };
}
