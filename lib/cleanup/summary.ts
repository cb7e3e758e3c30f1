/**
 * The Summarize step: joins the batches' results (and the Map's Catch for a batch that failed as a
 * whole) into the run's summary — counts per action and result, per account/region, the scopes
 * that failed, where the connection signal is missing — and notifies (SNS, policy.notify) when
 * there is something to say: builders stopped or deleted (with their reasons and creators) or
 * scopes that failed; warnings went out from the Sweep, before their marks. A dry run notifies
 * nobody.
 */

import { errorText } from '../schedule/report';
import type { CleanupDeps } from './deps';
import type { CleanupPlan } from './plan';
import { type CleanupDecisionRow, policyFrom, type ScopeResult } from './sweep';
import type { CleanupTarget } from './targets';

/** A batch's outcome: the Sweep's result, or the Map's Catch (`{error}`) for a batch that failed. */
export type BatchOutcome = { scopes: ScopeResult[] } | { error: string | { Error?: string; Cause?: string } };

export interface SummarizeInput {
  at: string;
  dryRun: boolean;
  policy?: unknown;
  batches: CleanupTarget[][];
  /** The Map's output, in the order of `batches`. */
  results: BatchOutcome[];
}

export interface ScopeSummary {
  account: string;
  region: string;
  counts: Record<string, number>;
  error?: string;
  connectionSignal: boolean;
  /** Why nothing was stopped or deleted there (warnings reach nobody). */
  warnOnly?: string;
  /** Not swept: the sweep began past its deadline (swept next run). */
  deferred?: string;
}

export interface CleanupSummary {
  at: string;
  dryRun: boolean;
  /** Builders per action (none/warn/stop/delete/skip) and per result (applied/dry-run/failed/skipped). */
  counts: Record<string, number>;
  perScope: ScopeSummary[];
  failedScopes: { account: string; region: string; error: string }[];
  /** `account/region` scopes without a connection signal (withoutConnectionSignal decides there). */
  withoutConnectionSignal: string[];
  /** Why this run stopped and deleted nothing (warnings reach nobody: the topic has no confirmed subscription). */
  warnOnly?: string;
  /** `account/region` scopes not swept: their sweep began past its deadline (swept next run). */
  deferredScopes?: string[];
  /** AWS calls made by the sweeps. */
  calls: { reads: number; writes: number };
  /** Notable rows left out of `decisions` (payload size): the CleanupSweep function's log has them. */
  omitted?: number;
  /** What was sent (or why nothing could be). */
  notification?: { topicArn: string; builders: number; error?: string };
}

export interface CleanupRunOutput {
  summary: CleanupSummary;
  /** Rows of the sweeps (every builder's with `detail`, else the notable ones). */
  decisions: CleanupDecisionRow[];
}

/** The summary of a run that did nothing: Plan's result with `skip`, an earlier run still going. */
export function skippedSummary(
  plan: CleanupPlan,
): Pick<CleanupSummary, 'at' | 'dryRun' | 'counts' | 'perScope' | 'failedScopes'> & { skipped?: string } {
  return { at: plan.at, dryRun: plan.dryRun, counts: {}, perScope: [], failedScopes: [], skipped: plan.skip };
}

export async function summarize(input: SummarizeInput, deps: CleanupDeps): Promise<CleanupRunOutput> {
  const counts: Record<string, number> = {};
  const perScope: ScopeSummary[] = [];
  const failedScopes: CleanupSummary['failedScopes'] = [];
  const decisions: CleanupDecisionRow[] = [];
  const calls = { reads: 0, writes: 0 };
  let omitted = 0;
  input.batches.forEach((batch, i) => {
    const r = input.results[i];
    const scopes: ScopeResult[] =
      r && 'scopes' in r
        ? r.scopes
        : batch.map((t) => ({
            account: t.account,
            region: t.region,
            connectionSignal: false,
            counts: {},
            rows: [],
            reads: 0,
            writes: 0,
            error: r ? `batch failed: ${errorText(r.error)}` : 'batch failed: no result from the sweep',
          }));
    for (const s of scopes) {
      perScope.push({
        account: s.account,
        region: s.region,
        counts: s.counts,
        connectionSignal: s.connectionSignal,
        ...(s.error ? { error: s.error } : {}),
        ...(s.warnOnly ? { warnOnly: s.warnOnly } : {}),
        ...(s.deferred ? { deferred: s.deferred } : {}),
      });
      if (s.error) failedScopes.push({ account: s.account, region: s.region, error: s.error });
      for (const [k, n] of Object.entries(s.counts)) counts[k] = (counts[k] ?? 0) + n;
      decisions.push(...s.rows);
      calls.reads += s.reads;
      calls.writes += s.writes;
      omitted += s.omitted ?? 0;
    }
  });
  decisions.sort(
    (a, b) =>
      a.account.localeCompare(b.account) ||
      a.region.localeCompare(b.region) ||
      a.builder.localeCompare(b.builder),
  );
  const summary: CleanupSummary = {
    at: input.at,
    dryRun: input.dryRun,
    counts,
    perScope,
    failedScopes,
    withoutConnectionSignal: perScope
      .filter((s) => !s.connectionSignal && !s.error)
      .map((s) => `${s.account}/${s.region}`),
    calls,
    ...(omitted ? { omitted } : {}),
  };
  const warnOnly = perScope.find((s) => s.warnOnly)?.warnOnly;
  if (warnOnly) summary.warnOnly = warnOnly;
  const deferred = perScope.filter((s) => s.deferred).map((s) => `${s.account}/${s.region}`);
  if (deferred.length) summary.deferredScopes = deferred;
  const policy = policyFrom(input, deps);
  if (policy.notify && !input.dryRun) {
    const message = notification(summary, decisions, policy.notify.actions);
    if (message) {
      summary.notification = { topicArn: policy.notify.topicArn, builders: message.builders.length };
      try {
        if (!deps.notifier) throw new Error('no notifier configured');
        await deps.notifier.publish({
          topicArn: policy.notify.topicArn,
          subject: message.subject,
          message: message.body,
        });
      } catch (err) {
        const e = err as Error;
        summary.notification.error = `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
      }
    }
  }
  return { summary, decisions };
}

/**
 * The notification, or undefined when there is nothing to say: builders acted on (listed when the
 * decision allows: opt-out `no-notify` hides them) of the policy's notify.actions, stops and deletes
 * that failed (`failed`, with their error), or failed scopes.
 */
export function notification(
  summary: CleanupSummary,
  decisions: CleanupDecisionRow[],
  actions: readonly string[],
) {
  const builders = decisions
    // Warnings went out from the Sweep, before their marks (sweep.ts): listed here are stops and deletes.
    .filter((d) => d.notify && d.action !== 'warn' && actions.includes(d.action) && d.result === 'applied')
    .map((d) => ({
      builder: d.builder,
      account: d.account,
      region: d.region,
      action: d.action,
      reason: d.reason,
      ...(d.creator ? { creator: d.creator } : {}),
      ...(d.error ? { note: d.error } : {}),
    }));
  // Stops and deletes that failed (retried next run): the admin hears of them too.
  const failed = decisions
    .filter(
      (d) =>
        d.notify &&
        (d.action === 'stop' || d.action === 'delete') &&
        actions.includes(d.action) &&
        d.result === 'failed',
    )
    .map((d) => ({
      builder: d.builder,
      account: d.account,
      region: d.region,
      action: d.action,
      error: d.error ?? 'failed (retried next run)',
    }));
  if (builders.length === 0 && failed.length === 0 && summary.failedScopes.length === 0 && !summary.omitted)
    return undefined;
  const n = (a: string) => builders.filter((b) => b.action === a).length;
  const parts = [`${n('stop')} stopped`, `${n('delete')} deleted`];
  if (failed.length) parts.push(`${failed.length} failed`);
  if (summary.failedScopes.length) parts.push(`${summary.failedScopes.length} scope(s) failed`);
  return {
    builders,
    subject: `appstream-autopilot idle builder cleanup: ${parts.join(', ')}`,
    body: {
      at: summary.at,
      counts: summary.counts,
      stopped: builders.filter((b) => b.action === 'stop'),
      deleted: builders.filter((b) => b.action === 'delete'),
      failed,
      failedScopes: summary.failedScopes,
      ...(summary.omitted
        ? { more: `${summary.omitted} more builder(s) acted on: see the CleanupSweep function's log` }
        : {}),
      withoutConnectionSignal: summary.withoutConnectionSignal,
      ...(summary.warnOnly ? { warnOnly: summary.warnOnly } : {}),
    },
  };
}
