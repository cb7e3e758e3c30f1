import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { perRegion } from '../lib/aws/per-region';
import type { ScheduleDeps } from '../lib/schedule/deps';
import { localClients } from './local-clients';
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
  const { clients, make } = localClients(endpoint, opts.account ?? LOCAL_ACCOUNT, opts.maxAttempts);
  return {
    deployment: 'local',
    region: opts.region ?? 'us-east-1',
    appstream: perRegion((r) => make(AppStreamClient, r)),
    ec2: perRegion((r) => make(EC2Client, r)),
    autoscaling: perRegion((r) => make(ApplicationAutoScalingClient, r)),
    tagging: perRegion((r) => make(ResourceGroupsTaggingAPIClient, r)),
    clock: { now },
    cadenceMinutes: opts.cadenceMinutes,
    clients,
  };
}
