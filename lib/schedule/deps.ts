import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { AppStreamClient } from '@aws-sdk/client-appstream';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Clock } from '../clock';

/**
 * Everything the fleet-schedule cores talk to; passed in, never built inside a core. Deployed:
 * lib/lambda/schedule-deps.ts (from the environment); locally: local/schedule-deps.ts (the
 * emulator, its virtual clock).
 */
export interface ScheduleDeps {
  /** This deployment's name (TAG.deployment): `<service>-<stage>` on AWS, `local` locally. */
  deployment: string;
  /** The deployment's own region: selectors that name no region read and act here. */
  region: string;
  appstream(region: string): AppStreamClient;
  /** DescribeSubnets: free addresses in a fleet's subnets (the IP cap of a scale-up). */
  ec2(region: string): EC2Client;
  /** Application Auto Scaling: fleets with a scalable target get Min/Max, not a desired capacity. */
  autoscaling(region: string): ApplicationAutoScalingClient;
  /** Resource Groups Tagging API: every fleet's tags in one paged call (DescribeFleets returns none). */
  tagging(region: string): ResourceGroupsTaggingAPIClient;
  clock: Clock;
  /**
   * Minutes between runs (the deployment's trigger; default 5, DEFAULT_CADENCE_MINUTES): capacity
   * due before the next run could act in time is acted on now (lib/schedule/decide.ts). Deployed:
   * SCHEDULE_CADENCE_MINUTES (serverless.yml param scheduleCadenceMinutes, which also sets the
   * cron); locally: runScheduleLocally's `cadenceMinutes`.
   */
  cadenceMinutes?: number;
  /**
   * The schedule file when the execution input carries none (deployed: the bundled file named by
   * SCHEDULE_FILE). Absent: the input must carry `config`.
   */
  loadConfig?(): unknown;
}
