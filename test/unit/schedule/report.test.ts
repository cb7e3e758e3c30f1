import { describe, expect, it } from 'vitest';
import type { FleetPlan } from '../../../lib/schedule/plan';
import { buildReport, errorText, type ReportEntry } from '../../../lib/schedule/report';

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

const base = { at: '2026-11-30T09:00:00.000Z', dryRun: false, previewed: [], failed: [] as ReportEntry[] };

describe('Fleet schedule report', () => {
  it('joins plans with the Map results: applied, busy (retry-later), failed by name', () => {
    const report = buildReport({
      ...base,
      changes: [plan('a'), plan('b'), plan('c')],
      unchanged: [
        plan('d', { action: 'none', after: 1 }),
        plan('e', { action: 'retry-later', state: 'STARTING' }),
      ],
      results: [
        { fleet: 'a', region: 'us-east-1', result: 'applied' },
        {
          fleet: 'b',
          region: 'us-east-1',
          result: 'skipped',
          action: 'retry-later',
          error: 'ConcurrentModificationException: busy',
        },
        {
          fleet: 'c',
          region: 'us-east-1',
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
    expect(report.fleets.map((f) => [f.fleet, f.action, f.result])).toEqual([
      ['a', 'resize', 'applied'],
      ['b', 'retry-later', 'skipped'],
      ['c', 'resize', 'failed'],
      ['d', 'none', 'unchanged'],
      ['e', 'retry-later', 'skipped'],
    ]);
    expect(report.fleets[2].error).toBe('LimitExceededException: quota of 5 reached');
    expect(report.failed).toEqual(['c@us-east-1']);
    expect(report.counts).toEqual({
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
    const report = buildReport({ ...base, changes: [plan('a')], unchanged: [], results: [] });
    expect(report.fleets[0]).toMatchObject({ result: 'failed', error: 'no result from the apply step' });
  });

  it('shows a dry run as dry-run, with the selection problems as failed', () => {
    const failed: ReportEntry = {
      ...plan('ghost', { action: 'none' }),
      result: 'failed',
      error: 'FleetNotFound: x',
    };
    const report = buildReport({
      ...base,
      dryRun: true,
      changes: [],
      unchanged: [],
      previewed: [plan('a')],
      failed: [failed],
      results: [],
    });
    expect(report.fleets.map((f) => f.result)).toEqual(['dry-run', 'failed']);
    expect(report.failed).toEqual(['ghost@us-east-1']);
  });

  it('formats Catch errors whose Cause is plain text', () => {
    expect(errorText({ Error: 'States.Timeout', Cause: 'took too long' })).toBe(
      'States.Timeout: took too long',
    );
    expect(errorText({ Error: 'X' })).toBe('X');
  });
});
