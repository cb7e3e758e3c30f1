import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { compileScheduledActions } from '../../../lib/schedule/compile';
import { type Schedule, validateScheduleFile } from '../../../lib/schedule/config';

function schedule(
  periods: unknown[],
  extra: Record<string, unknown> = {},
  timezone = 'Europe/Berlin',
): Schedule {
  return validateScheduleFile({ schedules: { s: { timezone, default: 2, periods, ...extra } } }).schedules.s;
}
const NOW = Temporal.Instant.from('2026-11-26T12:00Z');
const compile = (s: Schedule) => compileScheduledActions(s, 'finance', NOW);

describe('Compile to Application Auto Scaling scheduled actions', () => {
  it('turns a weekday period into a begin and an end action in the schedule’s zone', () => {
    const result = compile(
      schedule([{ name: 'workday', weekdays: 'mon-fri', begin: '07:30', end: '18:00', capacity: 20 }]),
    );
    expect(result).toMatchObject({
      actions: [
        {
          name: 'finance-workday-begin',
          schedule: 'cron(30 7 ? * MON,TUE,WED,THU,FRI *)',
          timezone: 'Europe/Berlin',
          min: 20,
          max: 20,
        },
        {
          name: 'finance-workday-end',
          schedule: 'cron(0 18 ? * MON,TUE,WED,THU,FRI *)',
          timezone: 'Europe/Berlin',
          min: 2,
          max: 2,
        },
      ],
    });
  });

  it('ends an overnight period on the next weekday', () => {
    const result = compile(
      schedule([{ name: 'night', weekdays: 'fri,sun', begin: '22:00', end: '06:00', capacity: 3 }]),
    );
    expect(result).toMatchObject({
      actions: [
        { name: 'finance-night-begin', schedule: 'cron(0 22 ? * FRI,SUN *)' },
        { name: 'finance-night-end', schedule: 'cron(0 6 ? * MON,SAT *)' },
      ],
    });
  });

  it('lets a period that begins where another ends replace that end action', () => {
    const result = compile(
      schedule([
        { name: 'morning', weekdays: 'mon-fri', begin: '07:00', end: '12:00', capacity: 20 },
        { name: 'afternoon', weekdays: 'mon-thu', begin: '12:00', end: '17:00', capacity: 10 },
      ]),
    );
    expect('actions' in result && result.actions.map((a) => `${a.name} ${a.schedule}`)).toEqual([
      'finance-morning-begin cron(0 7 ? * MON,TUE,WED,THU,FRI *)',
      'finance-afternoon-begin cron(0 12 ? * MON,TUE,WED,THU *)',
      'finance-morning-end cron(0 12 ? * FRI *)', // Friday has no afternoon
      'finance-afternoon-end cron(0 17 ? * MON,TUE,WED,THU *)',
    ]);
  });

  it('uses the period’s minCapacity/maxCapacity and says AAS sets only Min/Max', () => {
    const result = compile(
      schedule([
        {
          name: 'day',
          months: 'nov-jan',
          monthdays: '1-15',
          begin: '08:00',
          end: '20:00',
          capacity: 10,
          minCapacity: 5,
          maxCapacity: 30,
        },
      ]),
    );
    expect(result).toMatchObject({
      actions: [
        { schedule: 'cron(0 8 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 1,11,12 ? *)', min: 5, max: 30 },
        {},
      ],
    });
    expect('notes' in result && result.notes.join(' ')).toMatch(/Min\/Max only/);
  });

  it.each([
    ['holidays', schedule([], { holidays: [{ date: '2026-12-24', capacity: 0 }] }), /holidays/],
    [
      'nth weekdays',
      schedule([{ name: 'p', weekdays: 'sat#1', begin: '08:00', end: '12:00', capacity: 1 }]),
      /sat#1/,
    ],
    [
      'last day of month',
      schedule([{ name: 'p', monthdays: 'L', begin: '18:00', end: '22:00', capacity: 1 }]),
      /monthdays 'L'/,
    ],
    [
      'weekdays and monthdays',
      schedule([{ name: 'p', weekdays: 'mon', monthdays: '1-7', capacity: 1 }]),
      /weekdays and monthdays together/,
    ],
    [
      'overlaps',
      schedule([
        { name: 'a', begin: '08:00', end: '12:00', capacity: 1 },
        { name: 'b', weekdays: 'wed', begin: '11:00', end: '13:00', capacity: 2 },
      ]),
      /periods a and b overlap/,
    ],
    [
      'a time DST skips',
      schedule([{ name: 'p', begin: '02:30', end: '05:00', capacity: 1 }]),
      /02:30 is skipped or repeated by DST in Europe\/Berlin/,
    ],
    [
      'an overnight period on monthdays',
      schedule([{ name: 'p', monthdays: '1', begin: '22:00', end: '02:00', capacity: 1 }]),
      /overnight period with monthdays/,
    ],
  ])('refuses %s (not exactly expressible)', (_, s, reason) => {
    const result = compile(s);
    expect('unsupported' in result && result.unsupported.join('\n')).toMatch(reason);
  });

  it('accepts 02:30 in a zone without DST', () => {
    expect(
      'actions' in
        compile(schedule([{ name: 'p', begin: '02:30', end: '05:00', capacity: 1 }], {}, 'Asia/Kolkata')),
    ).toBe(true);
  });
});
