import { describe, expect, it } from 'vitest';
import { validateScheduleFile } from '../../../lib/schedule/config';
import { decisionsFor } from '../../../lib/schedule/decide';

const MIN = 60_000;
const { schedules } = validateScheduleFile({
  schedules: {
    // Begins at 07:32 Berlin (06:32Z in winter): off any 5-minute cadence.
    office: {
      timezone: 'Europe/Berlin',
      default: 0,
      periods: [{ name: 'workday', weekdays: 'mon-fri', begin: '07:32', end: '18:00', capacity: 6 }],
    },
  },
});
const BEGIN = Date.parse('2026-11-30T06:32:00Z');

describe('Fleet schedule decisions: the lead window (start lead + cadence)', () => {
  it('acts at the last run that still leaves the start lead before a boundary between runs', () => {
    const lead = (at: number, cadence = 5) =>
      decisionsFor(schedules.office, {}, at, 15, cadence).lead.capacity;
    // Runs every 5 minutes. At 06:12Z the next run (06:17Z) still comes 15 minutes ahead: wait.
    expect(lead(BEGIN - 20 * MIN)).toBe(0);
    // At 06:13Z the next run (06:18Z) would be 14 minutes ahead: act now.
    expect(lead(BEGIN - 19 * MIN)).toBe(6);
    expect(lead(BEGIN - 15 * MIN)).toBe(6);
    // A 10-minute cadence reaches further ahead.
    expect(lead(BEGIN - 24 * MIN, 10)).toBe(6);
    expect(lead(BEGIN - 24 * MIN, 5)).toBe(0);
  });

  it('does not lead a scale-down: the value now holds until its time', () => {
    const end = Date.parse('2026-11-30T17:00:00Z');
    const d = decisionsFor(schedules.office, {}, end - 5 * MIN, 15, 5);
    expect(d.now.capacity).toBe(6);
    expect(d.lead.capacity).toBe(6);
  });
});

describe('Fleet schedule cadence: SCHEDULE_CADENCE_MINUTES (serverless.yml param scheduleCadenceMinutes)', () => {
  it('is read as whole minutes, absent means the default, anything else is refused by name', async () => {
    const { cadenceFrom } = await import('../../../lib/lambda/schedule-deps');
    expect(cadenceFrom('10')).toBe(10);
    expect(cadenceFrom(undefined)).toBeUndefined();
    expect(() => cadenceFrom('5 minutes')).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    expect(() => cadenceFrom('0')).toThrow(/1-60/);
  });
});
