/**
 * The Plan step of a cleanup run: validates the policy, fixes the run's "now", splits the scope
 * into batches of account-regions (lib/cleanup/targets.ts) for the Map, and guards against
 * overlapping runs: a run started while an earlier one of the same state machine is still RUNNING
 * skips (the Choice after Plan ends it at once). The earlier run goes on; the next scheduled run
 * finds it finished. With Standard workflows ListExecutions answers this (Express executions are
 * not listed by ListExecutions: one reason the state machine is Standard, serverless.yml).
 *
 * Why "skip while an earlier execution is RUNNING" is enough: no Sweep of an execution acts after
 * that execution ends. Plan sets a `deadline` (the execution's start + SWEEP_WINDOW_SECONDS) that
 * every Sweep gets and past which it acts on nothing; a Sweep Lambda runs at most
 * SWEEP_LAMBDA_TIMEOUT_SECONDS (serverless.yml cleanupSweep timeout), so the last action of an
 * execution ends by start + SWEEP_WINDOW_SECONDS + SWEEP_LAMBDA_TIMEOUT_SECONDS ≤ its
 * TimeoutSeconds (840, builder-cleanup.asl.json): a timed-out execution leaves no Sweep acting
 * behind it, and while it is RUNNING the next run skips (test/unit/pipeline/asl.test.ts checks
 * the arithmetic against the definition and serverless.yml).
 *
 * The notification topic: CleanupFunctionsRole may publish to the deployment's cleanupTopicArn
 * only (serverless.yml, env CLEANUP_TOPIC_ARN). A policy naming another notify.topicArn would be
 * refused by SNS after the builders were acted on: Plan fails the run first (ConfigError).
 */
import { ConfigError } from '../errors';
import type { CleanupDeps } from './deps';
import { policyFrom } from './sweep';
import { batchesOf, type CleanupTarget, DEFAULT_BATCH_SIZE, targetsOf } from './targets';

/** Sweeps act only this long after the execution started (their `deadline`). */
export const SWEEP_WINDOW_SECONDS = 480;
/** The Sweep Lambda's timeout (serverless.yml cleanupSweep): window + this ≤ execution TimeoutSeconds. */
export const SWEEP_LAMBDA_TIMEOUT_SECONDS = 300;

/**
 * The bytes all batches' results may take together in the state after the Map (Step Functions
 * passes at most 256 KiB = 262,144 between states): the rest is for at/deadline/policy and the
 * execution's own fields. Each batch gets an equal share (`resultBytes`); its Sweep leaves rows out
 * past it (functions/cleanup-sweep.ts fitBytes). Scopes and counts always stay: roughly 120 bytes
 * per account-region, so a deployed run covers up to ~1,500 account-regions.
 */
export const RESULTS_BYTES = 200 * 1024;

export interface PlanInput {
  policy?: unknown;
  dryRun?: boolean;
  /** Every builder's row in the output (local runs, the CLI). */
  detail?: boolean;
  batchSize?: number;
  /** This execution's ARN ($$.Execution.Id): the overlap guard. */
  execution?: string;
  /** This execution's start ($$.Execution.StartTime, ISO): the Sweeps' deadline counts from it. */
  startedAt?: string;
}

/** What the deployment fixes (the Lambda environment). */
export interface PlanDeployment {
  /**
   * The SNS topic CleanupFunctionsRole may publish to (CLEANUP_TOPIC_ARN, param cleanupTopicArn;
   * '' none). Undefined: not a deployed run (local, the CLI), no check.
   */
  topicArn?: string;
}

export interface CleanupPlan {
  at: string;
  dryRun: boolean;
  detail: boolean;
  /** The policy as given in the input (null: each step loads the deployment's file). */
  policy: unknown;
  batches: CleanupTarget[][];
  scopes: number;
  /** ISO: past it the Sweeps act on nothing (execution start + SWEEP_WINDOW_SECONDS). */
  deadline: string;
  /** Each batch's share of RESULTS_BYTES (the Sweep's result budget). */
  resultBytes: number;
  /** Set when an earlier run is still going: this one does nothing. */
  skip?: string;
}

export async function planCleanup(
  input: PlanInput,
  deps: CleanupDeps,
  deployment: PlanDeployment = {},
): Promise<CleanupPlan> {
  const policy = policyFrom(input, deps);
  const now = deps.clock.now();
  const topic = policy.notify?.topicArn;
  if (topic && deployment.topicArn !== undefined && topic !== deployment.topicArn)
    throw new ConfigError(
      deployment.topicArn
        ? `notify.topicArn ${topic} is not this deployment's topic (${deployment.topicArn}, param cleanupTopicArn): the cleanup functions may publish only there; set notify.topicArn to it or deploy with cleanupTopicArn=${topic}`
        : `notify.topicArn ${topic}: this deployment declares no topic (param cleanupTopicArn is empty), the cleanup functions may publish nowhere; deploy with cleanupTopicArn=${topic} or remove notify`,
    );
  const started = input.startedAt ? Date.parse(input.startedAt) : Number.NaN;
  const start = Number.isFinite(started) ? Math.min(started, now) : now;
  const dryRun = policy.dryRun || (input.dryRun ?? false);
  const base = {
    at: new Date(now).toISOString(),
    dryRun,
    detail: input.detail ?? false,
    // Always present (null: none given): the state machine's paths need it.
    policy: input.policy ?? null,
    deadline: new Date(start + SWEEP_WINDOW_SECONDS * 1000).toISOString(),
  };
  const skip = await earlierRun(input.execution, now, deps);
  if (skip) return { ...base, batches: [], scopes: 0, resultBytes: RESULTS_BYTES, skip };
  if (!policy.scope.accounts && !deps.account)
    throw new ConfigError(
      "scope.accounts absent and this deployment's account is unknown (AUTOPILOT_ACCOUNT_ID): list the accounts",
    );
  const targets = targetsOf(policy, deps.account ?? '');
  const batches = batchesOf(targets, input.batchSize ?? DEFAULT_BATCH_SIZE);
  return {
    ...base,
    batches,
    scopes: targets.length,
    resultBytes: Math.floor(RESULTS_BYTES / Math.max(1, batches.length)),
  };
}

/** Why this run should skip: an earlier execution of the state machine is still RUNNING. */
async function earlierRun(
  self: string | undefined,
  now: number,
  deps: CleanupDeps,
): Promise<string | undefined> {
  if (!self || !deps.executions) return undefined;
  const running = await deps.executions.running(self);
  const name = self.split(':').pop();
  const me = running.find((e) => e.arn === self || e.name === name);
  const myStart = me?.startDate ?? now;
  const earlier = running.filter(
    (e) => e !== me && (e.startDate < myStart || (e.startDate === myStart && e.name < (name ?? ''))),
  );
  if (earlier.length === 0) return undefined;
  const first = earlier.sort((a, b) => a.startDate - b.startDate)[0];
  return `run ${first.name} (started ${new Date(first.startDate).toISOString()}) is still going: this run skips`;
}
