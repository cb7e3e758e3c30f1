import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  type Bounds,
  boundsOf,
  type CompileResult,
  compileScheduledActions,
  type ScheduledAction,
} from '../../../lib/schedule/compile';
import { type Schedule, validateScheduleFile } from '../../../lib/schedule/config';
import { capacityAt, changePoints } from '../../../lib/schedule/engine';

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

const actionsOf = (r: CompileResult) => {
  if (!('actions' in r)) throw new Error(`not compiled: ${r.unsupported.join('; ')}`);
  return r;
};

describe('Compile: the register line, the guard, enforced, canonical zones', () => {
  const WORKDAY = { name: 'workday', weekdays: 'mon-fri', begin: '07:30', end: '18:00', capacity: 20 };

  it('registers the value in force at `now` and says until when the actions take over', () => {
    // NOW: Thursday 2026-11-26 13:00 in Berlin, inside the workday.
    const r = actionsOf(compile(schedule([WORKDAY])));
    expect(r.register).toEqual({ min: 20, max: 20 });
    expect(r.notes[0]).toBe(
      "register-scalable-target sets Min/Max 20/20, the schedule's value at 2026-11-26T13:00+01:00 (period workday); the actions take over from the next change at 2026-11-26T18:00+01:00: run the commands before then, or compile again",
    );
    expect(r.notes.join(' ')).not.toMatch(/keeps its current Min\/Max/);
  });

  it('a schedule with no period: no action, and the register line pins the default (not 0/1)', () => {
    const r = actionsOf(
      compileScheduledActions(
        validateScheduleFile({ schedules: { s: { timezone: 'UTC', default: 5 } } }).schedules.s,
        'finance',
        NOW,
      ),
    );
    expect(r.actions).toEqual([]);
    expect(r.register).toEqual({ min: 5, max: 5 });
    expect(r.notes[0]).toMatch(/no period: no scheduled action; register-scalable-target sets Min\/Max 5\/5/);
  });

  it("clamps every Min/Max to the fleet's maxCapacity guard, as a run does", () => {
    const r = actionsOf(
      compileScheduledActions(schedule([{ ...WORKDAY, minCapacity: 15, maxCapacity: 40 }]), 'finance', NOW, {
        maxCapacity: 12,
      }),
    );
    expect(r.actions.map((a) => [a.min, a.max])).toEqual([
      [12, 12], // workday: Min 15 / Max 40 under a guard of 12
      [2, 2],
    ]);
    expect(r.register).toEqual({ min: 12, max: 12 });
    expect(r.notes.join(' ')).toMatch(/maxCapacity guard 12/);
    expect(boundsOf({ capacity: 20, minCapacity: 15, maxCapacity: 40 }, 30)).toEqual({ min: 15, max: 30 });
  });

  it('says enforced: true (the default) is not equivalent, and is silent for enforced: false', () => {
    const enforced = actionsOf(compile(schedule([WORKDAY])));
    expect(enforced.notes.join(' ')).toMatch(
      /enforced: true is not equivalent: .*stays until the next action/,
    );
    const lax = actionsOf(compile(schedule([WORKDAY], { enforced: false })));
    expect(lax.notes.join(' ')).not.toMatch(/enforced/);
  });

  it('writes canonical IANA zone names: case from the config, links resolved (Asia/Calcutta → Asia/Kolkata)', () => {
    const berlin = actionsOf(compile(schedule([WORKDAY], {}, 'europe/berlin')));
    expect(berlin.actions.map((a) => a.timezone)).toEqual(['Europe/Berlin', 'Europe/Berlin']);
    const calcutta = actionsOf(compile(schedule([WORKDAY], {}, 'Asia/Calcutta')));
    expect(calcutta.timezone).toBe('Asia/Kolkata');
    expect(calcutta.actions.every((a) => a.timezone === 'Asia/Kolkata')).toBe(true);
    expect(calcutta.notes.join(' ')).toMatch(
      /Asia\/Calcutta is written as its canonical IANA name Asia\/Kolkata/,
    );
    expect(actionsOf(compile(schedule([WORKDAY], {}, 'US/Pacific'))).timezone).toBe('America/Los_Angeles');
  });
});

/**
 * Replays compiled scheduled actions as Application Auto Scaling would: each cron fires at its
 * local time in the action's zone on the days its fields name (EventBridge cron: one of
 * day-of-month and day-of-week is `?`), setting Min/Max; before the first, the register line's.
 */
function fires(a: ScheduledAction, from: number, to: number): number[] {
  const m = /^cron\((\d+) (\d+) (\S+) (\S+) (\S+) \*\)$/.exec(a.schedule);
  if (!m) throw new Error(`unexpected cron ${a.schedule}`);
  const [, minute, hour, dom, month, dow] = m;
  const set = (field: string, map: (v: string) => number) =>
    field === '*' || field === '?' ? undefined : new Set(field.split(',').map(map));
  const DOW = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
  const doms = set(dom, Number);
  const months = set(month, Number);
  const dows = set(dow, (d) => DOW.indexOf(d) + 1);
  const out: number[] = [];
  let d = Temporal.Instant.fromEpochMilliseconds(from)
    .toZonedDateTimeISO(a.timezone)
    .toPlainDate()
    .subtract({ days: 1 });
  const last = Temporal.Instant.fromEpochMilliseconds(to).toZonedDateTimeISO(a.timezone).toPlainDate();
  for (; Temporal.PlainDate.compare(d, last) <= 0; d = d.add({ days: 1 })) {
    if (months && !months.has(d.month)) continue;
    if (doms && !doms.has(d.day)) continue;
    if (dows && !dows.has(d.dayOfWeek)) continue;
    const at = d
      .toPlainDateTime({ hour: Number(hour), minute: Number(minute) })
      .toZonedDateTime(a.timezone).epochMilliseconds;
    if (at >= from && at < to) out.push(at);
  }
  return out;
}

/** Every instant where the replayed Min/Max differ from the engine's (with the guard): []. */
function mismatches(s: Schedule, from: number, to: number, guard?: number): string[] {
  const r = actionsOf(
    compileScheduledActions(
      s,
      'f',
      Temporal.Instant.fromEpochMilliseconds(from),
      guard === undefined ? {} : { maxCapacity: guard },
    ),
  );
  const events = new Map<number, Bounds[]>();
  for (const a of r.actions)
    for (const at of fires(a, from, to)) events.set(at, [...(events.get(at) ?? []), a]);
  const instants = new Set([...events.keys(), ...changePoints(s, from, to).map((c) => c.at)]);
  let state: Bounds = r.register;
  const out: string[] = [];
  for (const at of [...instants].sort((a, b) => a - b)) {
    const firing = events.get(at) ?? [];
    // Two actions at one instant must agree: AAS doesn't order them.
    if (new Set(firing.map((b) => `${b.min}/${b.max}`)).size > 1)
      out.push(`${new Date(at).toISOString()}: actions disagree`);
    if (firing.length) state = { min: firing[0].min, max: firing[0].max };
    const want = boundsOf(capacityAt(s, at), guard);
    if (state.min !== want.min || state.max !== want.max)
      out.push(
        `${new Date(at).toISOString()}: actions ${state.min}/${state.max}, engine ${want.min}/${want.max}`,
      );
  }
  return out;
}

describe('Compile equivalence: replayed actions = engine change points over a year', () => {
  const FROM = Date.parse('2026-01-01T00:00Z');
  const TO = Date.parse('2027-01-01T00:00Z');
  const p = (x: Record<string, unknown>) => ({ capacity: 10, ...x });

  it.each<[string, string, unknown[], number?]>([
    [
      'a weekday period',
      'Europe/Berlin',
      [p({ name: 'w', weekdays: 'mon-fri', begin: '07:30', end: '18:00' })],
    ],
    [
      'day + overnight shifts (Fri, Sun nights)',
      'America/New_York',
      [
        p({ name: 'day', weekdays: 'mon-fri', begin: '08:00', end: '17:00', capacity: 20 }),
        p({ name: 'night', weekdays: 'fri,sun', begin: '22:00', end: '06:00', capacity: 3 }),
      ],
    ],
    [
      'adjacent periods (morning ends where afternoon begins)',
      'Europe/Berlin',
      [
        p({ name: 'morning', weekdays: 'mon-fri', begin: '07:00', end: '12:00', capacity: 20 }),
        p({ name: 'afternoon', weekdays: 'mon-thu', begin: '12:00', end: '17:00', capacity: 10 }),
      ],
    ],
    [
      'months and monthdays with Min/Max, under a guard',
      'Europe/Berlin',
      [
        p({
          name: 'm',
          months: 'nov-jan',
          monthdays: '1-15',
          begin: '08:00',
          end: '20:00',
          minCapacity: 5,
          maxCapacity: 30,
        }),
      ],
      12,
    ],
    ['whole weekend days', 'Asia/Kolkata', [p({ name: 'weekend', weekdays: 'sat-sun' })]],
    [
      'an evening to 24:00, half-hour zone with DST',
      'Australia/Adelaide',
      [p({ name: 'eve', weekdays: 'mon-fri', begin: '18:00', end: '24:00' })],
    ],
    [
      'a months-only period (southern winter)',
      'Australia/Sydney',
      [p({ name: 'winter', months: 'jun-aug', begin: '08:00', end: '17:00' })],
    ],
    ['a zone link', 'Asia/Calcutta', [p({ name: 'w', weekdays: 'mon-fri', begin: '09:30', end: '18:30' })]],
    ['no period at all', 'Asia/Tokyo', []],
  ])('%s (%s)', (_, zone, periods, guard) => {
    const s = schedule(periods, {}, zone);
    expect(mismatches(s, FROM, TO, guard)).toEqual([]);
  });

  it('catches a wrong action (the checker is not vacuous)', () => {
    const s = schedule([p({ name: 'w', weekdays: 'mon-fri', begin: '07:30', end: '18:00' })]);
    const r = actionsOf(compileScheduledActions(s, 'f', Temporal.Instant.fromEpochMilliseconds(FROM)));
    expect(r.actions).toHaveLength(2);
    expect(mismatches(s, FROM, TO, undefined)).toEqual([]);
    // The same actions against a schedule ending 30 minutes later: every end action is wrong.
    const broken = { ...s, periods: [{ ...s.periods[0], end: '18:30' }] };
    const events = r.actions.flatMap((a) => fires(a, FROM, TO).map((at) => ({ at, a })));
    const wrong = events.filter(({ at, a }) => {
      const want = boundsOf(capacityAt(broken, at));
      return want.min !== a.min;
    });
    expect(wrong.length).toBeGreaterThan(250); // every weekday's 18:00 end
    expect(mismatches(s, FROM, TO, 5)).toEqual([]); // compiled and compared under one guard
  });
});
