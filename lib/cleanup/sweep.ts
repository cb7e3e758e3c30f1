/**
 * The Sweep step: for each account-region of a batch (lib/cleanup/targets.ts): list the builders
 * with their tags (inventory.ts) → decide each (decide.ts, pure) → act (act.ts) → one row per
 * builder. Scopes of a batch are swept a few at a time; one scope failing (AccessDenied on
 * AssumeRole, a region not enabled, throttling past every retry) is reported with its error and
 * the others finish.
 *
 * Throttling: the SDK retries each call (standard mode, 3 attempts); what is left is retried here
 * up to RETRIES more times with backoff (deps.sleep) before it counts: listing calls fail the scope
 * (nothing acted yet), an action call fails only its builder (its decision is taken again next
 * run). Nothing is lost: marks are written only after the action succeeded.
 *
 * Warnings: a scope's warnings are published (policy.notify, deps.notifier) before their
 * `warned@`/`stop@` marks are written; if publishing fails no warning mark is written (the row is
 * `failed`, warned again next run), so a stop never follows a warning nobody received. Summarize's
 * notification reports the stops and deletes.
 */
import { aws } from '../aws/call';
import { ConfigError } from '../errors';
import { TAG } from '../tags';
import { act } from './act';
import {
  type BuilderFacts,
  type CleanupAction,
  type CleanupDecision,
  type CleanupSignals,
  decide,
  type ExecutionStatus,
} from './decide';
import type { CleanupDeps } from './deps';
import { type Call, readBuilder, readBuilders } from './inventory';
import { formatMark, parseMark } from './marks';
import { runStatusOf } from './pipeline-runs';
import { type CleanupPolicy, validateCleanupPolicy } from './policy';
import { accessOf, type CleanupTarget } from './targets';

/** One builder's decision and what came of it (the CLI's table row; `--json` decisions). */
export interface CleanupDecisionRow {
  account: string;
  region: string;
  builder: string;
  state: string;
  idleMinutes?: number;
  action: CleanupAction;
  reason: string;
  /** deferred: past the sweep's deadline, not acted on (decided again next run). */
  result?: 'applied' | 'dry-run' | 'failed' | 'skipped' | 'deferred';
  error?: string;
  /** Listed in the notification (warn/stop/delete, unless opted out with no-notify). */
  notify?: boolean;
  /** Who created the builder, where known. */
  creator?: string;
}

export interface ScopeResult {
  account: string;
  region: string;
  connectionSignal: boolean;
  /** Builders per action and per result (none/warn/stop/delete/skip, applied/dry-run/failed/skipped). */
  counts: Record<string, number>;
  /** Every builder's row with `detail`, else only those acted on, announced or failed (payload size). */
  rows: CleanupDecisionRow[];
  /** Notable rows left out of `rows` (payload size, see MAX_ROWS_PER_BATCH): the Sweep log has them. */
  omitted?: number;
  /** The scope could not be swept (its builders are retried next run). */
  error?: string;
  /** Not swept: the sweep began at or after its deadline (nothing listed, published or acted on). */
  deferred?: string;
  /** Why this run stops and deletes nothing here (warnings would reach nobody): warn-only. */
  warnOnly?: string;
  /** AWS calls made: reads (listing, tags, lookups) and writes (stop, delete, tags). */
  reads: number;
  writes: number;
}

export interface SweepInput {
  /** The run's "now" (ISO), fixed by Plan: every scope decides at the same instant. */
  at: string;
  dryRun: boolean;
  /** Return every row (local runs, the CLI); deployed runs return the notable ones only. */
  detail?: boolean;
  /** The policy as written; absent: deps.loadPolicy(). */
  policy?: unknown;
  targets: CleanupTarget[];
  /**
   * Stop acting once past this (epoch ms or ISO; from the state machine, ahead of the task's
   * timeout): the due actions left are reported `deferred` and decided again next run.
   */
  deadline?: number | string;
}

/** Extra attempts of a throttled call beyond the SDK's own. */
export const RETRIES = 3;
/** Scopes of one batch swept at once. */
export const SCOPE_CONCURRENCY = 5;
/**
 * Notable rows a batch returns without `detail`: Step Functions passes at most 256 KiB between
 * states, the Map's output included (32 batches × 20 rows × ~250 bytes ≈ 160 KiB); the rest are
 * counted (`omitted`) and logged by the Sweep function.
 */
export const MAX_ROWS_PER_BATCH = 20;

export function policyFrom(input: { policy?: unknown }, deps: CleanupDeps): CleanupPolicy {
  const raw = input.policy ?? deps.loadPolicy?.();
  if (raw === undefined)
    throw new ConfigError('no cleanup policy: pass {"policy": …} in the input (or set CLEANUP_POLICY_FILE)');
  return validateCleanupPolicy(raw);
}

export async function sweepBatch(input: SweepInput, deps: CleanupDeps): Promise<{ scopes: ScopeResult[] }> {
  const policy = policyFrom(input, deps);
  const now = Date.parse(input.at);
  const deadline =
    input.deadline === undefined
      ? undefined
      : typeof input.deadline === 'number'
        ? input.deadline
        : Date.parse(input.deadline);
  if (deadline !== undefined && Number.isNaN(deadline))
    throw new ConfigError(`deadline: not a time: ${String(input.deadline)}`);
  // Warnings that reach nobody must not lead to a stop: a topic without a confirmed subscription
  // makes the run warn-only (GetTopicAttributes SubscriptionsConfirmed, once per batch).
  const warnOnly =
    policy.notify && !(input.dryRun || policy.dryRun)
      ? await deps
          .notifyReach?.(policy.notify.topicArn)
          .catch(
            (err) =>
              `could not tell whether topic ${policy.notify!.topicArn} has a confirmed subscription (${errorText(err)}): nothing is stopped or deleted`,
          )
      : undefined;
  // The pipeline's executions, listed once for the batch (a builder's TAG.execution is a run's
  // short id: lib/cleanup/pipeline-runs.ts). A failed listing leaves their builders alone (UNKNOWN).
  const runStatus = deps.pipelineRuns
    ? await deps.pipelineRuns().then(runStatusOf, (): ((tag: string) => ExecutionStatus) => () => 'UNKNOWN')
    : undefined;
  const opts = { ...input, deadline, ...(warnOnly ? { warnOnly } : {}), ...(runStatus ? { runStatus } : {}) };
  const scopes: ScopeResult[] = new Array(input.targets.length);
  let next = 0;
  const worker = async () => {
    while (next < input.targets.length) {
      const i = next++;
      scopes[i] = await sweepScope(input.targets[i], policy, now, opts, deps);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCOPE_CONCURRENCY, input.targets.length) }, worker));
  return { scopes };
}

/** Rows kept first when a result is cut: stops and deletes (what was done), then the rest. */
export const rowRank = (r: CleanupDecisionRow) => (r.action === 'stop' || r.action === 'delete' ? 0 : 1);

/**
 * The batch's result within MAX_ROWS_PER_BATCH rows (the rest counted as `omitted`): stop and
 * delete rows are kept before any other, each scope's rows in their order.
 */
export function capRows(out: { scopes: ScopeResult[] }, max = MAX_ROWS_PER_BATCH): { scopes: ScopeResult[] } {
  const all = out.scopes.flatMap((s, i) => s.rows.map((row, j) => ({ i, j, rank: rowRank(row) })));
  if (all.length <= max) return out;
  const kept = new Set(
    all
      .sort((a, b) => a.rank - b.rank || a.i - b.i || a.j - b.j)
      .slice(0, Math.max(0, max))
      .map((k) => `${k.i}/${k.j}`),
  );
  const scopes = out.scopes.map((s, i) => {
    const rows = s.rows.filter((_, j) => kept.has(`${i}/${j}`));
    return rows.length < s.rows.length
      ? { ...s, rows, omitted: (s.omitted ?? 0) + s.rows.length - rows.length }
      : s;
  });
  return { scopes };
}

const errorText = (err: unknown) => {
  const e = err as Error;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
};

/** One account-region: list → decide → act. Never throws: a failure is the scope's `error`. */
export async function sweepScope(
  target: CleanupTarget,
  policy: CleanupPolicy,
  now: number,
  opts: {
    dryRun: boolean;
    detail?: boolean;
    deadline?: number;
    warnOnly?: string;
    /** The status of a pipeline run by TAG.execution (sweepBatch: from deps.pipelineRuns). */
    runStatus?: (tag: string) => ExecutionStatus;
  },
  deps: CleanupDeps,
): Promise<ScopeResult> {
  const { account, region } = target;
  const connectionSignal = deps.connectionSignal?.(account, region) ?? false;
  const out: ScopeResult = { account, region, connectionSignal, counts: {}, rows: [], reads: 0, writes: 0 };
  const late = () => !opts.dryRun && opts.deadline !== undefined && deps.clock.now() >= opts.deadline;
  const pastDeadline = () =>
    `past the sweep's deadline ${new Date(opts.deadline!).toISOString()}: decided again next run`;
  // Past the deadline nothing happens at all: no warning published (it would be published again
  // next run, its mark not written), no action, not even the listing.
  if (late()) {
    out.deferred = pastDeadline();
    return out;
  }
  if (opts.warnOnly) out.warnOnly = opts.warnOnly;
  const call: Call = async (what, fn) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await aws(what, fn);
      } catch (err) {
        if ((err as Error)?.name !== 'AwsTransientError' || attempt >= RETRIES) throw err;
        await deps.sleep?.(Math.min(8_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  };
  const reading: Call = (what, fn) => {
    out.reads++;
    return call(what, fn);
  };
  let builders: Awaited<ReturnType<typeof readBuilders>>;
  let client: ReturnType<CleanupDeps['appstream']>;
  try {
    const access = accessOf(target);
    client = deps.appstream(account, region, access);
    builders = await readBuilders(client, deps.tagging?.(account, region, access), reading);
  } catch (err) {
    out.error = errorText(err);
    return out;
  }

  const statuses = await executionStatuses(builders, deps, opts.runStatus);
  const signals: CleanupSignals = {
    connectionSignal,
    deployment: deps.deployment,
    executionStatus: (e) => statuses.get(e) ?? 'UNKNOWN',
    ...(opts.warnOnly ? { warnOnly: opts.warnOnly } : {}),
  };
  const count = (key: string) => {
    out.counts[key] = (out.counts[key] ?? 0) + 1;
  };
  const decided = builders.map((b) => ({ ...b, d: decide(b.facts, b.tags, policy, now, signals) }));
  const creators = new Map<string, string>();
  const listed = (d: CleanupDecision) =>
    d.notify && (d.action === 'warn' || d.action === 'stop' || d.action === 'delete');
  // The creator the recorder wrote from the CreateImageBuilder event (TAG.creator, read with the
  // other tags in bulk); deps.creatorOf only where the tag is missing.
  for (const { facts, tags, d } of decided)
    if (listed(d)) {
      const creator =
        tags[TAG.creator] || (await deps.creatorOf?.(account, region, facts.name).catch(() => undefined));
      if (creator) creators.set(facts.name, creator);
    }
  // Warnings are delivered before their marks are written: a stop never follows a warning nobody
  // got; none is published past the deadline (its mark could not follow). `warned@` is when it
  // was published (the minNotice before the stop counts from then), not Plan's `at`.
  const deferWarnings = late();
  const warnedAt = deps.clock.now();
  const undelivered =
    opts.dryRun || deferWarnings
      ? undefined
      : await deliverWarnings(decided, creators, target, policy, warnedAt, deps);
  if (!opts.dryRun && !deferWarnings)
    for (const x of decided) if (x.d.action === 'warn') x.d = warnedFrom(x.d, warnedAt);
  for (const { facts, d } of decided) {
    const row: CleanupDecisionRow = {
      account,
      region,
      builder: facts.name,
      state: facts.state,
      ...(d.idleMinutes !== undefined ? { idleMinutes: d.idleMinutes } : {}),
      action: d.action,
      reason: d.reason,
    };
    const acting = d.action === 'warn' || d.action === 'stop' || d.action === 'delete';
    // A warning already published writes its mark even past the deadline (bookkeeping of what was
    // done); a stop or delete, or a warning not published, waits for the next run.
    const published = d.action === 'warn' && !deferWarnings && !undelivered;
    if (acting && !published && late()) {
      row.result = 'deferred';
      row.error = pastDeadline();
    } else if (d.action === 'warn' && undelivered) {
      row.result = 'failed';
      row.error = `warning not delivered (${undelivered}): no mark written, warned again next run`;
    } else
      try {
        const o = await act(client, facts, d, {
          dryRun: opts.dryRun,
          call,
          recheck: async () => {
            const fresh = await readBuilder(client, facts.name, reading);
            return fresh && decide(fresh.facts, fresh.tags, policy, now, signals);
          },
          state: async () => (await readBuilder(client, facts.name, reading))?.facts.state,
        });
        out.writes += o.writes;
        if (o.result) row.result = o.result;
        if (o.error) row.error = o.error;
      } catch (err) {
        row.result = 'failed';
        row.error = `${errorText(err)} (retried next run)`;
      }
    if (listed(d)) {
      row.notify = true;
      const creator = creators.get(facts.name);
      if (creator) row.creator = creator;
    }
    count(row.action);
    if (row.result) count(row.result);
    const notable = row.action === 'warn' || row.action === 'stop' || row.action === 'delete' || row.error;
    if (opts.detail || notable) out.rows.push(row);
  }
  return out;
}

/** The warn decision with `warned@` moved to `at` (when its warning was published). */
function warnedFrom(d: CleanupDecision, at: number): CleanupDecision {
  const value = d.tags?.set[TAG.cleanup];
  const mark = parseMark(value);
  if (!d.tags || !mark || mark.warned === undefined || mark.warned >= at) return d;
  return {
    ...d,
    tags: { ...d.tags, set: { ...d.tags.set, [TAG.cleanup]: formatMark({ ...mark, warned: at }) } },
  };
}

/**
 * Publishes the scope's warnings (policy.notify, when it lists `warn`) before any mark is written;
 * returns why they could not be delivered (then no warning mark is written: warned again next
 * run), or undefined. Nothing to publish (no warning, opted out with no-notify, `warn` not in
 * notify.actions, or `notify: none`): undefined.
 */
async function deliverWarnings(
  decided: { facts: BuilderFacts; d: CleanupDecision }[],
  creators: Map<string, string>,
  target: CleanupTarget,
  policy: CleanupPolicy,
  now: number,
  deps: CleanupDeps,
): Promise<string | undefined> {
  const notify = policy.notify;
  if (!notify?.actions.includes('warn')) return undefined;
  const warned = decided
    .filter(({ d }) => d.action === 'warn' && d.notify)
    .map(({ facts, d }) => ({
      builder: facts.name,
      account: target.account,
      region: target.region,
      action: 'warn',
      reason: d.reason,
      ...(d.planned ? { planned: new Date(d.planned.at).toISOString() } : {}),
      ...(creators.has(facts.name) ? { creator: creators.get(facts.name) } : {}),
    }));
  if (warned.length === 0) return undefined;
  try {
    if (!deps.notifier) throw new Error('no notifier configured');
    await deps.notifier.publish({
      topicArn: notify.topicArn,
      subject: `appstream-autopilot idle builder cleanup: ${warned.length} warned (${target.account}/${target.region})`,
      message: { at: new Date(now).toISOString(), warned },
    });
    return undefined;
  } catch (err) {
    return errorText(err);
  }
}

/**
 * The status of each pipeline run of this deployment that tags a builder: from the batch's listing
 * (`runStatus`), else one deps.executionStatus lookup per run. Others: UNKNOWN (left alone).
 */
async function executionStatuses(
  builders: { tags: Record<string, string> }[],
  deps: CleanupDeps,
  runStatus?: (tag: string) => ExecutionStatus,
): Promise<Map<string, ExecutionStatus>> {
  const statuses = new Map<string, ExecutionStatus>();
  const lookup = deps.executionStatus?.bind(deps);
  if (!runStatus && !lookup) return statuses;
  const runs = new Set(
    builders
      .filter((b) => b.tags[TAG.execution] !== undefined && b.tags[TAG.deployment] === deps.deployment)
      .map((b) => b.tags[TAG.execution]),
  );
  for (const run of runs)
    statuses.set(run, runStatus ? runStatus(run) : await lookup!(run).catch(() => 'UNKNOWN' as const));
  return statuses;
}
