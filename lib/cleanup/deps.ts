import type { AppStreamClient } from '@aws-sdk/client-appstream';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Clock } from '../clock';
import type { Notifier } from '../notify/notifier';
import type { ExecutionStatus } from './decide';

/**
 * How to act in another account: the role (scope.accounts[].roleArn, defaulted from
 * scope.roleName) and the sts:ExternalId its trust policy may ask for.
 */
export interface AccountAccess {
  roleArn: string;
  externalId?: string;
}

/** The RUNNING executions of the cleanup state machine (the overlap guard). */
export interface CleanupExecutions {
  /**
   * The RUNNING executions of the state machine `self` (this execution's ARN) belongs to, this
   * one included, with their start (epoch ms). AWS: states:ListExecutions (Standard workflows
   * only); locally: the runtime's registry.
   */
  running(self: string): Promise<{ name: string; arn?: string; startDate: number }[]>;
}

/** One execution of the image pipeline state machine, as ListExecutions lists it. */
export interface PipelineRun {
  name: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  status: string;
  /** Epoch ms. */
  startDate: number;
}

/**
 * Everything the idle builder cleanup cores talk to; passed in, never built inside a core.
 * Deployed: lib/lambda/cleanup-deps.ts (from the environment); locally: local/cleanup-deps.ts (the
 * emulator, its virtual clock, its STS).
 */
export interface CleanupDeps {
  /** This deployment's name (TAG.deployment): `<service>-<stage>` on AWS, `local` locally. */
  deployment: string;
  /** The deployment's own region. */
  region: string;
  /** The deployment's own account (no scope.accounts: the one cleanup acts on). */
  account?: string;
  /**
   * The AppStream client acting in `account` and `region`: the deployment's own account with its
   * own credentials, any other through `access` (the policy's role) or else the role the
   * deployment was given for it (deployed: CLEANUP_ACCOUNT_ROLES). No way in: ConfigError.
   */
  appstream(account: string, region: string, access?: AccountAccess): AppStreamClient;
  /** Resource Groups Tagging API in `account`/`region` (every builder's tags in bulk). Absent: ListTagsForResource per builder. */
  tagging?(account: string, region: string, access?: AccountAccess): ResourceGroupsTaggingAPIClient;
  clock: Clock;
  /** Pause between attempts of a throttled call (default: none; deployed: real time). */
  sleep?(ms: number): Promise<void>;
  /**
   * Whether connection events of `account`/`region` reach the recorder (a trail and the rule
   * deployed there). Deployed: CLEANUP_CONNECTION_SIGNAL (param cleanupConnectionSignal);
   * locally: everywhere (the emulator's event log is read by catchUpConnections). Absent: false.
   */
  connectionSignal?(account: string, region: string): boolean;
  /**
   * Every execution of this deployment's image pipeline that Step Functions still lists (closed
   * ones for 90 days), asked once per sweep batch: a builder's TAG.execution (the run's short id,
   * or its name) is matched against them (lib/cleanup/pipeline-runs.ts). Deployed: ListExecutions
   * on PIPELINE_STATE_MACHINE_ARN; locally: the local runtime's pipeline executions. Takes
   * precedence over executionStatus.
   */
  pipelineRuns?(): Promise<PipelineRun[]>;
  /** The status of an image-pipeline run of this deployment (TAG.execution), one run at a time; absent: UNKNOWN. */
  executionStatus?(execution: string): Promise<ExecutionStatus>;
  /**
   * Who created a builder, for one without TAG.creator (the recorder writes it from the
   * CreateImageBuilder event; that tag is read first): named in notifications. Absent: unknown.
   */
  creatorOf?(account: string, region: string, builder: string): Promise<string | undefined>;
  /** The cleanup state machine's RUNNING executions (a run still going makes the next one skip). */
  executions?: CleanupExecutions;
  notifier?: Notifier;
  /**
   * Why warnings published to `topicArn` would reach nobody (no confirmed subscription), or
   * undefined when someone is subscribed or it can't be told. Deployed: SNS GetTopicAttributes
   * SubscriptionsConfirmed; locally: the test's notifier decides. Absent: assumed reached.
   */
  notifyReach?(topicArn: string): Promise<string | undefined>;
  /** The policy when the execution input carries none (deployed: the bundled CLEANUP_POLICY_FILE). */
  loadPolicy?(): unknown;
}

/** What the connection recorder (lib/cleanup/recorder.ts) needs. */
export type RecorderDeps = Pick<CleanupDeps, 'appstream'>;
