/** The decision table and summary of a cleanup run, as text and as the CLI's JSON. */
import type { CleanupDecisionRow, CleanupRunSummary } from '../local/cleanup';
import { idleFor, table } from './cleanup-args';

/**
 * A run's summary as reported: a local run's (with the connection events caught up first) or a
 * deployed run's (`--aws`: no catch-up, EventBridge delivers the events as they happen).
 */
export type ReportSummary = Omit<CleanupRunSummary, 'connectionEvents'> &
  Partial<Pick<CleanupRunSummary, 'connectionEvents'>>;

/** A builder whose action failed (`--json` summary.failedActions). */
export interface FailedAction {
  account: string;
  region: string;
  builder: string;
  action: string;
  error: string;
}

/**
 * `--json`: exactly these fields per decision (idleMinutes null when no idle clock applies). The
 * action is the one decided; what came of it is in `reason` when it was not done:
 * `… — FAILED: <error>`, `… — dry run`, `… — not done (skipped)`, `… — deferred: <why>` (past the
 * run's deadline: decided again next run). The action stays the one decided (the issue's shape).
 * The builders whose action failed are listed again in `summary.failedActions`.
 */
export function decisionsJson(decisions: CleanupDecisionRow[], summary: ReportSummary) {
  const failedActions: FailedAction[] = decisions
    .filter((d) => d.result === 'failed')
    .map((d) => ({
      account: d.account,
      region: d.region,
      builder: d.builder,
      action: d.action,
      error: d.error ?? 'failed',
    }));
  return {
    decisions: decisions.map((d) => ({
      account: d.account,
      region: d.region,
      builder: d.builder,
      state: d.state,
      idleMinutes: d.idleMinutes ?? null,
      action: d.action,
      reason: `${d.reason}${outcomeSuffix(d)}`,
    })),
    summary: { ...summary, failedActions },
  };
}

/** What came of an action that was not done, for the JSON `reason`. */
function outcomeSuffix(d: CleanupDecisionRow): string {
  if (d.result === 'failed') return ` — FAILED: ${d.error ?? 'failed'}`;
  if (d.action === 'none' || d.action === 'skip') return '';
  if (d.result === 'dry-run') return ' — dry run';
  if (d.result === 'skipped') return ` — not done (skipped)${d.error ? `: ${d.error}` : ''}`;
  if (d.result === 'deferred') return ` — deferred: ${d.error ?? 'past the run deadline'}`;
  return '';
}

/**
 * The action as the table shows it: `stop`, `stop (dry run)`, `stop FAILED: …`, `stop (not done)`,
 * `stop (deferred)`; why it was not done follows in the reason cell.
 */
function actionCell(d: CleanupDecisionRow): string {
  if (d.result === 'failed') return `${d.action} FAILED${d.error ? `: ${d.error}` : ''}`;
  if (d.action === 'none' || d.action === 'skip') return d.action;
  if (d.result === 'dry-run') return `${d.action} (dry run)`;
  if (d.result === 'skipped') return `${d.action} (not done)`;
  if (d.result === 'deferred') return `${d.action} (deferred)`;
  return d.action;
}

/** The reason cell: the decision's reason and, for an action not done, why. */
const reasonCell = (d: CleanupDecisionRow) =>
  d.result === 'skipped' || d.result === 'deferred' ? `${d.reason}${outcomeSuffix(d)}` : d.reason;

export function decisionLines(decisions: CleanupDecisionRow[]): string[] {
  if (decisions.length === 0) return ['  (no image builders in scope)'];
  return table(
    ['ACCOUNT', 'REGION', 'BUILDER', 'STATE', 'IDLE FOR', 'ACTION', 'REASON'],
    decisions.map((d) => [
      d.account,
      d.region,
      d.builder,
      d.state,
      idleFor(d.idleMinutes),
      actionCell(d),
      reasonCell(d),
    ]),
  ).map((l) => `  ${l}`);
}

const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'nothing';

export function summaryLines(s: ReportSummary): string[] {
  const lines = [`Summary at ${s.at}${s.dryRun ? ' (dry run: nothing changed)' : ''}: ${counts(s.counts)}`];
  if (s.skipped) lines.push(`  skipped: ${s.skipped}`);
  for (const p of s.perScope)
    lines.push(
      `  ${p.account}/${p.region}: ${p.error ? `FAILED: ${p.error}` : counts(p.counts)}${p.connectionSignal ? '' : '; no connection signal here (withoutConnectionSignal applies)'}`,
    );
  for (const f of s.failedScopes) lines.push(`  failed ${f.account}/${f.region}: ${f.error}`);
  if (s.withoutConnectionSignal?.length)
    lines.push(`  no connection signal in: ${s.withoutConnectionSignal.join(', ')}`);
  if (s.calls) lines.push(`  AWS calls: ${s.calls.reads} reads, ${s.calls.writes} writes`);
  if (s.notification)
    lines.push(
      `  notification to ${s.notification.topicArn}: ${s.notification.builders} builder(s)${s.notification.error ? `, FAILED: ${s.notification.error}` : ''}`,
    );
  if (s.omitted)
    lines.push(
      `  ${s.omitted} row(s) left out of the decisions to keep the state payload within Step Functions' 256 KiB (the counts include them): the CleanupSweep function's log has them`,
    );
  const e = s.connectionEvents;
  if (e) {
    lines.push(
      `  connection events recorded: ${e.recorded}${e.truncated ? ' (some were lost: see notes)' : ''}`,
    );
    for (const n of e.notes) lines.push(`    ${n}`);
  }
  return lines;
}

/** 1 when a builder's action or an account/region failed. */
export const failedExit = (decisions: CleanupDecisionRow[], summary: ReportSummary) =>
  decisions.some((d) => d.result === 'failed') || summary.failedScopes.length > 0 ? 1 : 0;
