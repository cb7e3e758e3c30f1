import type { FleetPlan } from './plan';

export type FleetResult = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'dry-run';
export type ReportEntry = FleetPlan & { result: FleetResult; error?: string };

/**
 * One run of the fleet schedule: every managed fleet with before → after, action, reason, cap and
 * forced, and its result. `counts` counts actions and results in one map (their names don't
 * overlap: none/resize/start/stop/set-min-max/retry-later, applied/unchanged/failed/skipped/dry-run);
 * `failed` names the fleets that failed as `fleet@region` (namesakes in two regions stay apart).
 */
export interface ScheduleReport {
  at: string;
  dryRun: boolean;
  fleets: ReportEntry[];
  counts: Record<string, number>;
  failed: string[];
}

/** What the Apply step returned for one fleet, or the Map's Catch for a fleet that failed. */
export interface ApplyOutcome {
  fleet: string;
  region: string;
  result: 'applied' | 'skipped' | 'failed';
  /** Set when the apply step found the fleet busy (ConcurrentModificationException, STARTING/STOPPING). */
  action?: FleetPlan['action'];
  error?: string | { Error?: string; Cause?: string };
}

export interface ReportInput {
  at: string;
  dryRun: boolean;
  changes: FleetPlan[];
  unchanged: FleetPlan[];
  previewed: FleetPlan[];
  failed: ReportEntry[];
  results: ApplyOutcome[];
}

export function buildReport(input: ReportInput): ScheduleReport {
  const outcome = new Map(input.results.map((r) => [`${r.fleet}@${r.region}`, r]));
  const fleets: ReportEntry[] = [
    ...input.changes.map((plan): ReportEntry => {
      const r = outcome.get(`${plan.fleet}@${plan.region}`);
      if (!r) return { ...plan, result: 'failed', error: 'no result from the apply step' };
      const error = r.error === undefined ? undefined : errorText(r.error);
      return {
        ...plan,
        action: r.action ?? plan.action,
        result: r.result,
        ...(error ? { error } : {}),
      };
    }),
    ...input.previewed.map((plan): ReportEntry => ({ ...plan, result: 'dry-run' })),
    ...input.unchanged.map(
      (plan): ReportEntry => ({ ...plan, result: plan.action === 'retry-later' ? 'skipped' : 'unchanged' }),
    ),
    ...input.failed,
  ].sort((a, b) => a.region.localeCompare(b.region) || a.fleet.localeCompare(b.fleet));
  const counts: Record<string, number> = {};
  for (const f of fleets) {
    counts[f.action] = (counts[f.action] ?? 0) + 1;
    counts[f.result] = (counts[f.result] ?? 0) + 1;
  }
  return {
    at: input.at,
    dryRun: input.dryRun,
    fleets,
    counts,
    failed: fleets.filter((f) => f.result === 'failed').map((f) => `${f.fleet}@${f.region}`),
  };
}

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
