import { describe, expect, it } from 'vitest';
import { reportLines } from '../../bin/schedule-report';
import type { ScheduleReport } from '../../lib/schedule/report';

describe('CLI: the run report', () => {
  const report: ScheduleReport = {
    at: '2026-12-01T09:00:00Z',
    dryRun: false,
    counts: { resize: 1, none: 1, applied: 1, unchanged: 1 },
    failed: [],
    fleets: [
      {
        fleet: 'finance',
        region: 'us-east-1',
        schedule: 'office-hours',
        fleetType: 'ALWAYS_ON',
        unit: 'DesiredInstances',
        state: 'RUNNING',
        before: 2,
        after: 20,
        wanted: 20,
        inUse: 0,
        action: 'resize',
        reason: 'period workday',
        notes: [],
        result: 'applied',
      },
      // An unchanged fleet as the compact output gives it back: no type, state or unit.
      {
        fleet: 'support',
        region: 'us-east-1',
        before: 5,
        after: 5,
        wanted: 5,
        action: 'none',
        reason: 'default',
        notes: [],
        result: 'unchanged',
      },
    ],
  };

  it('shows type/state and unit for a changed fleet, and leaves them empty (no bare -) for an unchanged one', () => {
    const lines = reportLines(report);
    const finance = lines.find((l) => l.includes('finance'));
    const support = lines.find((l) => l.includes('support'));
    expect(finance).toMatch(
      /finance +us-east-1 +ALWAYS_ON RUNNING +DesiredInstances +2 → 20 +resize +applied +period workday/,
    );
    expect(support).toMatch(/support +us-east-1 +5 → 5 +none +unchanged +default/);
    expect(support).not.toMatch(/ - /);
  });
});
