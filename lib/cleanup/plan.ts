/**
 * The Plan step of a cleanup run: validates the policy, fixes the run's "now", splits the scope
 * into batches of account-regions (lib/cleanup/targets.ts) for the Map, and guards against
 * overlapping runs: a run started while an earlier one of the same state machine is still RUNNING
 * skips (the Choice after Plan ends it at once). The earlier run goes on; the next scheduled run
 * finds it finished. With Standard workflows ListExecutions answers this (Express executions are
 * not listed by ListExecutions: one reason the state machine is Standard, serverless.yml).
 */
import { ConfigError } from '../errors';
import type { CleanupDeps } from './deps';
import { policyFrom } from './sweep';
import { batchesOf, type CleanupTarget, DEFAULT_BATCH_SIZE, targetsOf } from './targets';

export interface PlanInput {
  policy?: unknown;
  dryRun?: boolean;
  /** Every builder's row in the output (local runs, the CLI). */
  detail?: boolean;
  batchSize?: number;
  /** This execution's ARN ($$.Execution.Id): the overlap guard. */
  execution?: string;
}

export interface CleanupPlan {
  at: string;
  dryRun: boolean;
  detail: boolean;
  /** The policy as given in the input (null: each step loads the deployment's file). */
  policy: unknown;
  batches: CleanupTarget[][];
  scopes: number;
  /** Set when an earlier run is still going: this one does nothing. */
  skip?: string;
}

export async function planCleanup(input: PlanInput, deps: CleanupDeps): Promise<CleanupPlan> {
  const policy = policyFrom(input, deps);
  const now = deps.clock.now();
  const dryRun = policy.dryRun || (input.dryRun ?? false);
  const base = {
    at: new Date(now).toISOString(),
    dryRun,
    detail: input.detail ?? false,
    // Always present (null: none given): the state machine's paths need it.
    policy: input.policy ?? null,
  };
  const skip = await earlierRun(input.execution, now, deps);
  if (skip) return { ...base, batches: [], scopes: 0, skip };
  if (!policy.scope.accounts && !deps.account)
    throw new ConfigError(
      "scope.accounts absent and this deployment's account is unknown (AUTOPILOT_ACCOUNT_ID): list the accounts",
    );
  const targets = targetsOf(policy, deps.account ?? '');
  return {
    ...base,
    batches: batchesOf(targets, input.batchSize ?? DEFAULT_BATCH_SIZE),
    scopes: targets.length,
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
