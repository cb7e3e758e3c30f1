import { describe, expect, it, vi } from 'vitest';
import type { FleetPlan } from '../../../lib/schedule/plan';
import {
  buildReport,
  errorText,
  expandReport,
  type ReportEntry,
  type ReportInput,
  runMetrics,
  runSummary,
} from '../../../lib/schedule/report';
import { PlanEncoder, toUnchanged } from '../../../lib/schedule/wire';

/** Builds the report from plans (wired as Evaluate sends them) and expands it as the CLI reads it. */
const report = (
  input: Omit<ReportInput, 'changes' | 'unchanged' | 'previewed' | 'kinds'> & {
    changes: FleetPlan[];
    unchanged: FleetPlan[];
    previewed: FleetPlan[];
  },
) => {
  const encoder = new PlanEncoder();
  return expandReport(
    buildReport({
      ...input,
      changes: input.changes.map((p) => encoder.encode(p)),
      unchanged: input.unchanged.map(toUnchanged),
      previewed: input.previewed.map((p) => encoder.encode(p)),
      kinds: encoder.kinds,
    }),
  );
};

const plan = (fleet: string, over: Partial<FleetPlan> = {}): FleetPlan => ({
  fleet,
  region: 'us-east-1',
  schedule: 's',
  fleetType: 'ON_DEMAND',
  unit: 'DesiredInstances',
  state: 'RUNNING',
  before: 1,
  after: 4,
  wanted: 4,
  inUse: 0,
  action: 'resize',
  reason: 'period workday',
  notes: [],
  ...over,
});

const base = {
  at: '2026-11-30T09:00:00.000Z',
  dryRun: false,
  previewed: [] as FleetPlan[],
  failed: [] as ReportEntry[],
};

describe('Fleet schedule report', () => {
  it('joins plans with the Map results: applied, busy (retry-later), failed by name', () => {
    const out = report({
      ...base,
      changes: [plan('a'), plan('b'), plan('c')],
      unchanged: [
        plan('d', { action: 'none', after: 1 }),
        plan('e', { action: 'retry-later', state: 'STARTING' }),
      ],
      results: [
        'applied',
        {
          result: 'skipped',
          action: 'retry-later',
          error: 'ConcurrentModificationException: busy',
        },
        {
          result: 'failed',
          error: {
            Error: 'LimitExceededException',
            Cause: JSON.stringify({
              errorType: 'LimitExceededException',
              errorMessage: 'quota of 5 reached',
            }),
          },
        },
      ],
    });
    expect(out.fleets.map((f) => [f.fleet, f.action, f.result])).toEqual([
      ['a', 'resize', 'applied'],
      ['b', 'retry-later', 'skipped'],
      ['c', 'resize', 'failed'],
      ['d', 'none', 'unchanged'],
      ['e', 'retry-later', 'skipped'],
    ]);
    expect(out.fleets[2].error).toBe('LimitExceededException: quota of 5 reached');
    expect(out.failed).toEqual(['c@us-east-1']);
    expect(out.counts).toEqual({
      resize: 2,
      applied: 1,
      'retry-later': 2,
      skipped: 2,
      failed: 1,
      none: 1,
      unchanged: 1,
    });
  });

  it('marks a change with no result as failed (never silently applied)', () => {
    const out = report({ ...base, changes: [plan('a')], unchanged: [], results: [] });
    expect(out.fleets[0]).toMatchObject({ result: 'failed', error: 'no result from the apply step' });
  });

  it('shows a dry run as dry-run, with the selection problems as failed', () => {
    const failed: ReportEntry = {
      ...plan('ghost', { action: 'none' }),
      result: 'failed',
      error: 'FleetNotFound: x',
    };
    const out = report({
      ...base,
      dryRun: true,
      changes: [],
      unchanged: [],
      previewed: [plan('a')],
      failed: [failed],
      results: [],
    });
    expect(out.fleets.map((f) => f.result)).toEqual(['dry-run', 'failed']);
    expect(out.failed).toEqual(['ghost@us-east-1']);
  });

  it('formats Catch errors whose Cause is plain text', () => {
    expect(errorText({ Error: 'States.Timeout', Cause: 'took too long' })).toBe(
      'States.Timeout: took too long',
    );
    expect(errorText({ Error: 'X' })).toBe('X');
  });
});

describe('Fleet schedule report: what the Report step logs (Express keeps no history)', () => {
  const encoder = new PlanEncoder();
  const out = buildReport({
    ...base,
    changes: [
      plan('a'),
      plan('b', { cap: { capacity: 11, reason: 'IP cap: 0 free addresses' }, after: 11, wanted: 20 }),
      plan('c', { forced: true, after: 1, inUse: 3 }),
      plan('d'),
    ].map((p) => encoder.encode(p)),
    unchanged: [plan('e', { action: 'none', after: 1 })].map(toUnchanged),
    previewed: [],
    kinds: encoder.kinds,
    results: ['applied', 'applied', 'applied', { result: 'failed', error: 'LimitExceededException: quota' }],
  });

  it('summarises counts, failed fleets with their errors, caps and forced fleets', () => {
    expect(runSummary(out)).toEqual({
      at: base.at,
      dryRun: false,
      counts: { resize: 4, applied: 3, failed: 1, none: 1, unchanged: 1 },
      failed: [{ fleet: 'd@us-east-1', error: 'LimitExceededException: quota' }],
      capped: [{ fleet: 'b@us-east-1', wanted: 20, after: 11, cap: 'IP cap: 0 free addresses' }],
      forced: [{ fleet: 'c@us-east-1', after: 1, inUse: 3 }],
    });
  });

  it('emits the counts as CloudWatch embedded-metric-format metrics (FleetsFailed feeds the alarm)', () => {
    const at = Date.parse(base.at);
    expect(runMetrics(out, at)).toEqual({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: 'appstream-autopilot',
            Dimensions: [['service']],
            Metrics: ['FleetsChanged', 'FleetsFailed', 'FleetsSkipped', 'FleetsForced'].map((Name) => ({
              Name,
              Unit: 'Count',
            })),
          },
        ],
      },
      FleetsChanged: 3,
      FleetsFailed: 1,
      FleetsSkipped: 0,
      FleetsForced: 1,
    });
  });

  it('the deployed Report function logs the summary and one EMF line with the service dimension', async () => {
    const lines: Record<string, unknown>[] = [];
    const { logger } = await import('../../../lib/lambda/logger');
    const capture = ((message: unknown, extra?: unknown) => {
      lines.push({ message, ...(extra as object) });
    }) as never;
    const spy = vi.spyOn(logger, 'info').mockImplementation(capture);
    const warn = vi.spyOn(logger, 'warn').mockImplementation(capture);
    try {
      const { withDeps } = await import('../../../functions/schedule-report');
      const clock = { now: () => Date.parse(base.at) };
      await withDeps({ clock } as never)({
        at: base.at,
        dryRun: false,
        changes: [plan('a')].map((p) => encoder.encode(p)),
        unchanged: [],
        previewed: [],
        kinds: encoder.kinds,
        failed: [],
        results: [{ result: 'failed', error: 'LimitExceededException: quota' }],
      });
    } finally {
      spy.mockRestore();
      warn.mockRestore();
    }
    expect(lines.map((l) => l.message)).toEqual(['fleet schedule run', 'fleet schedule metrics']);
    expect(lines[0]).toMatchObject({ summary: { failed: [{ fleet: 'a@us-east-1' }] } });
    expect(lines[1]).toMatchObject({ FleetsFailed: 1, _aws: { Timestamp: Date.parse(base.at) } });
  });
});
