import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { validateScheduleFile } from '../../lib/schedule/config';
import { demandAt, LOAD_RAMPS, rampsOn } from '../../local/simulate-load';

const schedule = (periods: unknown[]) =>
  validateScheduleFile({ schedules: { s: { timezone: 'Europe/Berlin', default: 2, periods } } }).schedules.s;
const WORKDAY = { name: 'workday', weekdays: 'mon-fri', begin: '07:30', end: '18:00', capacity: 20 };
const t = (iso: string) => Date.parse(iso);

describe('simulate: the office-hours load model', () => {
  it('logs users in from the working period’s begin (07:30), not from a fixed 08:00', () => {
    const s = schedule([WORKDAY]);
    // Tuesday 2026-12-01, Berlin UTC+1: 07:29 local = 06:29Z.
    expect(demandAt(s, t('2026-12-01T06:29Z'))).toBe(0);
    expect(demandAt(s, t('2026-12-01T06:30Z'))).toBeGreaterThan(0); // 07:30: someone is waiting
    expect(demandAt(s, t('2026-12-01T08:00Z'))).toBe(16); // 09:00: all 80% of 20 on
    expect(rampsOn(s, Temporal.PlainDate.from('2026-12-01'))).toEqual({
      upFrom: 7 * 60 + 30,
      upTo: 9 * 60,
      downFrom: 16 * 60 + 30,
      downTo: 17 * 60 + 45,
    });
    // 17:45 local: everyone has left, 15 minutes before the period ends.
    expect(demandAt(s, t('2026-12-01T16:45Z'))).toBe(0);
  });

  it('takes the largest daytime period of the day; overnight and short periods are not working periods', () => {
    const s = schedule([
      WORKDAY,
      { name: 'peak', weekdays: 'fri', begin: '06:00', end: '16:00', capacity: 30 },
      { name: 'night', begin: '22:00', end: '06:00', capacity: 40 },
      { name: 'lunch', begin: '12:00', end: '13:00', capacity: 50 },
    ]);
    expect(rampsOn(s, Temporal.PlainDate.from('2026-12-04')).upFrom).toBe(6 * 60); // Friday: peak
    expect(rampsOn(s, Temporal.PlainDate.from('2026-12-03')).upFrom).toBe(7 * 60 + 30); // Thursday
    expect(rampsOn(schedule([]), Temporal.PlainDate.from('2026-12-03'))).toEqual(LOAD_RAMPS);
  });

  it('nobody at weekends', () => {
    expect(demandAt(schedule([WORKDAY]), t('2026-12-05T10:00Z'))).toBe(0);
  });
});
