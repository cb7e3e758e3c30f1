import type { AppStreamClient } from '@aws-sdk/client-appstream';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { BuilderChannel } from '../agent/channel';
import type { Clock } from '../clock';
import type { Notifier } from '../notify/notifier';

/** Shared by every workflow (lib/clock.ts); re-exported for the pipeline's existing imports. */
export type { Clock } from '../clock';

/** Everything a pipeline core talks to; passed in, never built inside the core. */
export interface PipelineDeps {
  /**
   * This deployment's name (TAG.deployment: `<service>-<stage>` on AWS, `local` locally): it tags
   * what the pipeline creates, and retention, pruning and the backstop touch only its own.
   */
  deployment: string;
  /** The deployment's own region: pipelines that name no region run here. */
  region: string;
  /** An AppStream client for a region (home region, copy and roll-out regions). */
  appstream(region: string): AppStreamClient;
  /** An EC2 client for a region: the pre-flight checks the builder's network (absent: not checked). */
  ec2?(region: string): EC2Client;
  channel: BuilderChannel;
  notifier: Notifier;
  clock: Clock;
  sleep(ms: number): Promise<void>;
  /** The other RUNNING executions of the pipeline state machine (concurrent-run guard, pruning). */
  executions?: Executions;
}

/** Another execution of the image pipeline that is still RUNNING. */
export interface RunningExecution {
  name: string;
  /** Epoch ms. */
  startDate: number;
  /** Its pipeline (`config.name` of its input), when readable. */
  pipeline?: string;
}

export interface Executions {
  /**
   * The RUNNING executions of the state machine `self` (this execution's ARN) belongs to, this
   * one included. AWS: states:ListExecutions + DescribeExecution; locally: the runtime's registry.
   */
  running(self: string | undefined): Promise<RunningExecution[]>;
  /**
   * Every execution of a state machine Step Functions still lists (closed ones for 90 days), newest
   * first, with its status (the backstop sweep). AWS: states:ListExecutions.
   */
  list?(stateMachineArn: string): Promise<ListedExecution[]>;
  /** An execution's input (DescribeExecution), undefined when unreadable. */
  input?(executionArn: string): Promise<string | undefined>;
}

export interface ListedExecution {
  name: string;
  arn: string;
  status: string;
  /** Epoch ms. */
  startDate: number;
  /** Epoch ms; absent while RUNNING. */
  stopDate?: number;
}
