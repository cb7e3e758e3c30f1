/**
 * Property test: the engine against a brute-force, minute-by-minute oracle written from the
 * stated rules without the engine's code paths (no Temporal disambiguation, no interval lists):
 *
 * A wall time w "takes effect" at the earliest instant whose local wall time is ≥ w (this is the
 * rule: a skipped time takes effect when the gap ends, a repeated one at its first occurrence).
 * So at instant t a wall time w has taken effect iff M(t) ≥ w, where M(t) is the running maximum
 * of the local wall time up to t. The oracle therefore walks minute by minute, keeps M, and
 * decides on M with plain wall-clock arithmetic: the holiday of M's date, else the largest of the
 * periods begun on M's date or the day before (not on a holiday) with begin ≤ M < end, else the
 * default; an override until after t beats all.
 */
import Holidays from 'date-holidays';
import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { type Schedule, validateScheduleFile } from '../../../lib/schedule/config';
import { capacityAt, changePoints, type Decision, type Override } from '../../../lib/schedule/engine';

const MINUTE = 60_000;
const DAY_MINUTES = 1440;
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Sydney',
  'Australia/Adelaide',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'America/Havana', // DST at midnight: 00:00 → 01:00 and 01:00 → 00:00
  'Australia/Lord_Howe', // 30-minute DST
];
const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// ---- the oracle --------------------------------------------------------------------------

/** Local wall time of an instant, as minutes since 1970-01-01T00:00 local. */
function wallMinutes(at: number, zone: string): number {
  const offsetMs =
    Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO(zone).offsetNanoseconds / 1e6;
  return Math.floor((at + offsetMs) / MINUTE);
}

interface DayInfo {
  weekday: number; // 0 = Monday
  day: number;
  month: number;
  iso: string;
}
function dayInfo(localDay: number): DayInfo {
  const d = new Date(localDay * 86_400_000);
  return {
    weekday: (localDay + 3) % 7, // 1970-01-01 was a Thursday
    day: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    iso: d.toISOString().slice(0, 10),
  };
}

interface GenPeriod {
  name: string;
  weekdays?: number[];
  monthdays?: number[];
  months?: number[];
  begin?: number;
  end?: number;
  capacity: number;
  minCapacity?: number;
}
interface GenSchedule {
  zone: string;
  default: number;
  periods: GenPeriod[];
  holidays: ({ date: string; capacity: number; name?: string } | { calendar: 'DE-BE'; capacity: number })[];
}

const berlin = new Holidays('DE', 'BE', { languages: ['en'] });
const berlinYears = new Map<number, { date: string; name: string; type: string }[]>();
/** The public DE-BE holiday on `iso`, straight from date-holidays (each year read once). */
function publicHolidayName(iso: string): string | undefined {
  const year = Number(iso.slice(0, 4));
  if (!berlinYears.has(year)) berlinYears.set(year, berlin.getHolidays(year));
  return berlinYears.get(year)?.find((h) => h.type === 'public' && h.date.startsWith(iso))?.name;
}

function oracleHoliday(g: GenSchedule, iso: string): Decision | undefined {
  let best: Decision | undefined;
  for (const h of g.holidays) {
    const name = 'date' in h ? (h.date === iso ? (h.name ?? iso) : undefined) : publicHolidayName(iso);
    if (name !== undefined && (!best || h.capacity > best.capacity))
      best = { capacity: h.capacity, reason: `holiday ${name}` };
  }
  return best;
}

const periodOn = (p: GenPeriod, d: DayInfo) =>
  (!p.weekdays || p.weekdays.includes(d.weekday)) &&
  (!p.monthdays || p.monthdays.includes(d.day)) &&
  (!p.months || p.months.includes(d.month));

function oracleDecision(g: GenSchedule, m: number): Decision {
  const today = Math.floor(m / DAY_MINUTES);
  const holiday = oracleHoliday(g, dayInfo(today).iso);
  if (holiday) return holiday;
  let best: GenPeriod | undefined;
  for (const p of g.periods)
    for (const day of [today, today - 1]) {
      const info = dayInfo(day);
      if (!periodOn(p, info) || oracleHoliday(g, info.iso)) continue;
      const begin = p.begin ?? 0;
      let end = p.end ?? DAY_MINUTES;
      if (end <= begin) end += DAY_MINUTES;
      const inside = day * DAY_MINUTES + begin <= m && m < day * DAY_MINUTES + end;
      if (inside && (!best || p.capacity > best.capacity)) best = p; // strict: ties keep the earlier
    }
  if (!best) return { capacity: g.default, reason: 'default' };
  return {
    capacity: best.capacity,
    reason: `period ${best.name}`,
    ...(best.minCapacity !== undefined ? { minCapacity: best.minCapacity, maxCapacity: 99 } : {}),
  };
}

/** The oracle's decision at every minute of [from, to), starting a day early to know M. */
function oracle(
  g: GenSchedule,
  from: number,
  to: number,
  override?: Override,
): { at: number; d: Decision }[] {
  const out: { at: number; d: Decision }[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for (let at = from - 86_400_000; at < to; at += MINUTE) {
    max = Math.max(max, wallMinutes(at, g.zone));
    if (at < from) continue;
    out.push({
      at,
      d:
        override && override.until > at
          ? { capacity: override.capacity, reason: 'override' }
          : oracleDecision(g, max),
    });
  }
  return out;
}

const sameDecision = (a: Decision, b: Decision) =>
  a.capacity === b.capacity &&
  a.reason === b.reason &&
  a.minCapacity === b.minCapacity &&
  a.maxCapacity === b.maxCapacity;

// ---- generators ------------------------------------------------------------------------

const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Minutes of day, biased to the hours DST moves (00:00-04:00) and to midnight. */
const minuteOfDay = fc.oneof(
  fc.constantFrom(0, 30, 60, 90, 120, 150, 180, 210, 1410),
  fc.integer({ min: 0, max: 260 }),
  fc.integer({ min: 0, max: 1439 }),
);
const subset = (max: number, base: number) =>
  fc
    .uniqueArray(fc.integer({ min: base, max }), { minLength: 1, maxLength: 4 })
    .map((a) => a.sort((x, y) => x - y));

const period = (i: number) =>
  fc
    .record(
      {
        weekdays: fc.option(subset(6, 0), { nil: undefined, freq: 2 }),
        monthdays: fc.option(subset(31, 1), { nil: undefined, freq: 1 }),
        months: fc.option(subset(12, 1), { nil: undefined, freq: 1 }),
        begin: fc.option(minuteOfDay, { nil: undefined, freq: 4 }),
        end: fc.option(fc.oneof(minuteOfDay, fc.constant(DAY_MINUTES)), { nil: undefined, freq: 4 }),
        capacity: fc.integer({ min: 0, max: 5 }),
        minCapacity: fc.option(fc.constant(0), { nil: undefined, freq: 1 }),
      },
      { requiredKeys: ['capacity'] },
    )
    // The config rejects end == begin (absent begin = 00:00, absent end = 24:00).
    .filter((p) => (p.begin ?? 0) !== (p.end ?? DAY_MINUTES))
    .map((p): GenPeriod => ({ name: `p${i}`, ...p }));

/** The next DST transitions (2026-2027) of a zone, or none. */
function transitions(zone: string): number[] {
  const list: number[] = [];
  let at: Temporal.ZonedDateTime | null = Temporal.ZonedDateTime.from({
    timeZone: zone,
    year: 2026,
    month: 1,
    day: 1,
  });
  while (at && at.year < 2028) {
    at = at.getTimeZoneTransition('next');
    if (at && at.year < 2028) list.push(at.epochMilliseconds);
  }
  return list;
}
const TRANSITIONS = Object.fromEntries(ZONES.map((z) => [z, transitions(z)]));

const scenario = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    pick: fc.nat(),
    offsetMinutes: fc.integer({ min: -2 * DAY_MINUTES, max: DAY_MINUTES }),
    lengthMinutes: fc.integer({ min: 60, max: 3 * DAY_MINUTES }),
    default: fc.integer({ min: 0, max: 5 }),
    periodCount: fc.integer({ min: 1, max: 4 }),
    holidayDays: fc.uniqueArray(fc.integer({ min: -1, max: 3 }), { maxLength: 2 }),
    holidayCapacity: fc.integer({ min: 0, max: 5 }),
    calendar: fc.boolean(),
    override: fc.option(
      fc.record({
        capacity: fc.integer({ min: 0, max: 9 }),
        afterMinutes: fc.integer({ min: -60, max: 2000 }),
      }),
      {
        nil: undefined,
        freq: 3,
      },
    ),
  })
  .chain((s) =>
    fc.tuple(...Array.from({ length: s.periodCount }, (_, i) => period(i))).map((periods) => {
      const ts = TRANSITIONS[s.zone];
      const base = ts.length ? ts[s.pick % ts.length] : Date.UTC(2026, s.pick % 12, 1 + (s.pick % 28));
      const from = Math.floor(base / MINUTE) * MINUTE + s.offsetMinutes * MINUTE;
      const to = from + s.lengthMinutes * MINUTE;
      const firstDay = Temporal.Instant.fromEpochMilliseconds(from).toZonedDateTimeISO(s.zone).toPlainDate();
      const holidays: GenSchedule['holidays'] = s.holidayDays.map((k, i) => ({
        date: firstDay.add({ days: k }).toString(),
        capacity: s.holidayCapacity + i,
        ...(i === 0 ? { name: `H${i}` } : {}),
      }));
      if (s.calendar) holidays.push({ calendar: 'DE-BE', capacity: 1 });
      const g: GenSchedule = { zone: s.zone, default: s.default, periods, holidays };
      const override = s.override && {
        capacity: s.override.capacity,
        until: from + s.override.afterMinutes * MINUTE,
      };
      return { g, from, to, override };
    }),
  );

function toSchedule(g: GenSchedule): Schedule {
  const periods = g.periods.map((p) => ({
    name: p.name,
    ...(p.weekdays ? { weekdays: p.weekdays.map((w) => WEEKDAY_NAMES[w]).join(',') } : {}),
    ...(p.monthdays ? { monthdays: p.monthdays.join(',') } : {}),
    ...(p.months ? { months: p.months.join(',') } : {}),
    ...(p.begin !== undefined ? { begin: hhmm(p.begin) } : {}),
    ...(p.end !== undefined ? { end: hhmm(p.end) } : {}),
    capacity: p.capacity,
    ...(p.minCapacity !== undefined ? { minCapacity: p.minCapacity, maxCapacity: 99 } : {}),
  }));
  return validateScheduleFile({
    schedules: { s: { timezone: g.zone, default: g.default, periods, holidays: g.holidays } },
  }).schedules.s;
}

// ---- properties --------------------------------------------------------------------------

describe('Schedule engine vs a minute-by-minute oracle (random schedules, zones, DST, holidays, overrides)', () => {
  it('changePoints reproduces the oracle’s sequence of changes, and capacityAt its value', () => {
    fc.assert(
      fc.property(scenario, ({ g, from, to, override }) => {
        const schedule = toSchedule(g);
        const minutes = oracle(g, from, to, override);
        const expected: { at: number; d: Decision }[] = [];
        for (const m of minutes)
          if (!expected.length || !sameDecision(expected[expected.length - 1].d, m.d)) expected.push(m);
        const actual = changePoints(schedule, from, to, override);
        expect(actual.map(({ at, ...d }) => ({ at: new Date(at).toISOString(), ...d }))).toEqual(
          expected.map(({ at, d }) => ({ at: new Date(at).toISOString(), ...d })),
        );
        // capacityAt at every change, the minute before it, and a spread of other minutes.
        const probes = new Set<number>();
        for (const c of expected) probes.add(c.at).add(Math.max(from, c.at - MINUTE));
        for (let i = 0; i < minutes.length; i += 97) probes.add(minutes[i].at);
        for (const at of probes)
          expect(capacityAt(schedule, at, override)).toEqual(minutes[(at - from) / MINUTE].d);
      }),
      { numRuns: Number(process.env.RUNS ?? 60), endOnFailure: true },
    );
  });
});
