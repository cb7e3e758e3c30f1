import type { Evaluation } from './evaluate';
import type { FleetPlan } from './plan';
import {
  fromUnchanged,
  fromWire,
  fromWireRow,
  PlanEncoder,
  type PlanKind,
  type ReportRow,
  toWireRow,
  type UnchangedFleet,
  type WireRow,
} from './wire';

export type FleetResult = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'dry-run';
export type ReportEntry = FleetPlan & { result: FleetResult; error?: string };

/**
 * One run of the fleet schedule as a person reads it: every managed fleet with before → after,
 * action, reason, and its result (a changed fleet also cap, forced, notes). `counts` counts
 * actions and results in one map (their names don't overlap: none/resize/start/stop/set-min-max/
 * retry-later, applied/unchanged/failed/skipped/dry-run); `failed` names the fleets that failed
 * as `fleet@region` (namesakes in two regions stay apart). Built by expandReport from the
 * execution's compact output (RunOutput).
 */
export interface ScheduleReport {
  at: string;
  dryRun: boolean;
  fleets: ReportRow[];
  counts: Record<string, number>;
  failed: string[];
}

/**
 * The Report step's output, which is the execution's output (256 KiB at most, lib/schedule/wire.ts):
 * changed, previewed and failed fleets as plan tuples with their result, unchanged ones as
 * `[fleet, region, capacity, reason]`.
 */
export interface RunOutput {
  at: string;
  dryRun: boolean;
  counts: Record<string, number>;
  failed: string[];
  fleets: WireRow[];
  /** What the plans of `fleets` share (lib/schedule/wire.ts PlanKind). */
  kinds: PlanKind[];
  unchanged: UnchangedFleet[];
}

/**
 * What the Apply step returned for one fleet (the Map's item i is changes[i]): the bare word
 * when applied (or found nothing to do), else the result with the action and error, or the
 * Map's Catch for a fleet that failed.
 */
export type ApplyOutcome =
  | 'applied'
  | 'skipped'
  | {
      result: 'applied' | 'skipped' | 'failed';
      /** Set when the apply step found the fleet busy (ConcurrentModificationException, STARTING/STOPPING). */
      action?: FleetPlan['action'];
      error?: string | { Error?: string; Cause?: string };
    };

/** The Report step's input: the Evaluate step's output (less what only Apply uses) and the Map's. */
export interface ReportInput extends Omit<Evaluation, 'arnPrefix' | 'reads'> {
  /** The Map's output, in the order of `changes`. */
  results: ApplyOutcome[];
}

export function buildReport(input: ReportInput): RunOutput {
  const entries: ReportEntry[] = [
    ...input.changes.map((wire, i): ReportEntry => {
      const { arn: _arn, ...plan } = fromWire(wire, input.kinds);
      const r = input.results[i];
      if (r === undefined) return { ...plan, result: 'failed', error: 'no result from the apply step' };
      if (typeof r === 'string') return { ...plan, result: r };
      const error = r.error === undefined ? undefined : errorText(r.error);
      return { ...plan, action: r.action ?? plan.action, result: r.result, ...(error ? { error } : {}) };
    }),
    ...input.previewed.map((wire): ReportEntry => ({ ...fromWire(wire, input.kinds), result: 'dry-run' })),
    ...input.failed,
  ].sort(byFleet);
  const counts: Record<string, number> = {};
  const count = (f: { action: string; result: string }) => {
    counts[f.action] = (counts[f.action] ?? 0) + 1;
    counts[f.result] = (counts[f.result] ?? 0) + 1;
  };
  for (const e of entries) count(e);
  for (const u of input.unchanged) count(fromUnchanged(u));
  const encoder = new PlanEncoder();
  const fleets = entries.map((e) => toWireRow(e, encoder));
  return {
    at: input.at,
    dryRun: input.dryRun,
    counts,
    failed: entries.filter((f) => f.result === 'failed').map((f) => `${f.fleet}@${f.region}`),
    fleets,
    kinds: encoder.kinds,
    unchanged: input.unchanged,
  };
}

/** The report a person reads (CLI, tests) from the execution's compact output. */
export function expandReport(out: RunOutput): ScheduleReport {
  const fleets: ReportRow[] = [
    ...out.fleets.map((row) => fromWireRow(row, out.kinds)),
    ...out.unchanged.map(fromUnchanged),
  ].sort(byFleet);
  return { at: out.at, dryRun: out.dryRun, fleets, counts: out.counts, failed: out.failed };
}

const byFleet = (a: { region: string; fleet: string }, b: { region: string; fleet: string }) =>
  a.region.localeCompare(b.region) || a.fleet.localeCompare(b.fleet);

/**
 * A Catch's `{Error, Cause}` as "Name: message". Lambda puts the function's error in Cause as
 * JSON `{"errorType","errorMessage",...}` ("Error handling in Step Functions").
 */
export function errorText(e: string | { Error?: string; Cause?: string }): string {
  if (typeof e === 'string') return e;
  let message = e.Cause ?? '';
  try {
    const cause = JSON.parse(message) as { errorMessage?: string };
    if (cause?.errorMessage) message = cause.errorMessage;
  } catch {
    // Cause is plain text.
  }
  return message ? `${e.Error ?? 'Error'}: ${message}` : (e.Error ?? 'Error');
}

/** CloudWatch namespace of the fleet schedule's metrics (serverless.yml FleetScheduleFailedAlarm). */
export const METRICS_NAMESPACE = 'appstream-autopilot';

/**
 * What the Report step logs about a run (Express executions keep no history): the counts, every
 * failed fleet with its error, every capped and forced fleet. Built from the compact output.
 */
export function runSummary(out: RunOutput) {
  const rows = expandReport(out).fleets;
  const name = (r: ReportRow) => `${r.fleet}@${r.region}`;
  return {
    at: out.at,
    dryRun: out.dryRun,
    counts: out.counts,
    failed: rows.filter((r) => r.result === 'failed').map((r) => ({ fleet: name(r), error: r.error })),
    capped: rows
      .filter((r) => r.cap && r.result !== 'failed')
      .map((r) => ({ fleet: name(r), wanted: r.wanted, after: r.after, cap: r.cap!.reason })),
    forced: rows.filter((r) => r.forced).map((r) => ({ fleet: name(r), after: r.after, inUse: r.inUse })),
  };
}

/**
 * The run's counts as CloudWatch metrics in the embedded metric format: a log line whose `_aws`
 * member names the metrics, which CloudWatch Logs extracts from the function's log group
 * (CloudWatch User Guide, "Specification: Embedded metric format"); no PutMetricData call, no
 * permission beyond writing logs. Dimension `service`: the Powertools logger puts it on every
 * line (POWERTOOLS_SERVICE_NAME, appstream-autopilot).
 */
export function runMetrics(out: RunOutput, at: number) {
  const values = {
    FleetsChanged: out.counts.applied ?? 0,
    FleetsFailed: out.failed.length,
    FleetsSkipped: out.counts.skipped ?? 0,
    FleetsForced: expandReport(out).fleets.filter((r) => r.forced && r.result === 'applied').length,
  };
  return {
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [['service']],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    ...values,
  };
}
