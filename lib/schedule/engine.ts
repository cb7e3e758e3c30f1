/**
 * The schedule engine: pure, instants are epoch ms. Semantics (issue 8, tested at the boundaries):
 * - a period occurrence is the instant interval [begin, end) of local wall times in the schedule's
 *   zone; end before begin runs overnight and belongs to the day it begins (its expressions are
 *   matched on that day); begin absent = 00:00, end absent = 24:00 (end == begin is rejected by
 *   the config);
 * - wall times → instants with time.ts (gap: the first instant after it; fold: first occurrence),
 *   so each occurrence is one contiguous interval: the repeated hour's second pass is outside a
 *   period that ended in its first;
 * - overlapping periods: the largest capacity wins; on a tie the period listed first;
 * - a holiday covers its local date 00:00-24:00 and replaces periods and the default there (an
 *   overnight period from the day before is cut at midnight); the periods that belong to the
 *   holiday don't run at all, so an overnight period beginning on it doesn't start at the next
 *   midnight either (no night shift after Christmas Day; the default applies after midnight);
 *   several holidays on one date: the largest capacity wins, a tie the one listed first;
 * - an override with `until` after the instant replaces everything (reason 'override').
 */
import { Temporal } from 'temporal-polyfill';
import { minutesOf, type Period, type Schedule } from './config';
import { type DayMatcher, parseExpression } from './expressions';
import { calendarHolidays } from './holidays';
import { localDate, MINUTES_PER_DAY, wallToInstant } from './time';

export interface Override {
  capacity: number;
  /** Epoch ms; the override is in force while `until` is after the instant. */
  until: number;
}
export interface Decision {
  capacity: number;
  /** 'period <name>' | 'holiday <name>' | 'default' | 'override' */
  reason: string;
  minCapacity?: number;
  maxCapacity?: number;
}
export interface Change extends Decision {
  at: number;
}

interface CompiledPeriod {
  index: number;
  begin: number;
  end: number;
  matchers: DayMatcher[];
  decision: Decision;
}
interface Compiled {
  zone: string;
  periods: CompiledPeriod[];
  fallback: Decision;
  days: Map<string, Day>;
}
/** Occurrence of a period (or a holiday's day) as an instant interval. */
interface Interval {
  start: number;
  end: number;
  rank: number;
  decision: Decision;
}

const compiledCache = new WeakMap<Schedule, Compiled>();

/** Expressions parsed once per schedule object (the engine runs for 500 fleets every 5 minutes). */
function compile(schedule: Schedule): Compiled {
  let compiled = compiledCache.get(schedule);
  if (!compiled) {
    compiled = {
      zone: schedule.timezone,
      fallback: { capacity: schedule.default, reason: 'default' },
      periods: schedule.periods.map((p, index) => compilePeriod(p, index)),
      days: new Map(),
    };
    compiledCache.set(schedule, compiled);
  }
  return compiled;
}

/**
 * A period's local minutes on the day it begins: `begin` (0 when absent) and `end` (1440 = 24:00
 * when absent; past 1440 for an overnight period, which ends on the next day).
 */
export function periodWindow(p: Period): { begin: number; end: number; overnight: boolean } {
  const begin = p.begin === undefined ? 0 : minutesOf(p.begin);
  const end = p.end === undefined ? MINUTES_PER_DAY : minutesOf(p.end);
  return end <= begin
    ? { begin, end: end + MINUTES_PER_DAY, overnight: true }
    : { begin, end, overnight: false };
}

/** A period's day expressions, parsed (every one must match the day the period begins on). */
export function periodMatchers(p: Period): DayMatcher[] {
  const matchers: DayMatcher[] = [];
  if (p.weekdays !== undefined) matchers.push(parseExpression(p.weekdays, 'weekdays'));
  if (p.monthdays !== undefined) matchers.push(parseExpression(p.monthdays, 'monthdays'));
  if (p.months !== undefined) matchers.push(parseExpression(p.months, 'months'));
  return matchers;
}

function compilePeriod(p: Period, index: number): CompiledPeriod {
  const matchers = periodMatchers(p);
  const { begin, end } = periodWindow(p);
  const decision: Decision = { capacity: p.capacity, reason: `period ${p.name}` };
  if (p.minCapacity !== undefined) decision.minCapacity = p.minCapacity;
  if (p.maxCapacity !== undefined) decision.maxCapacity = p.maxCapacity;
  return { index, begin, end, matchers, decision };
}

/** The holiday deciding local `date`, if any (largest capacity; a tie: listed first). */
export function holidayOn(schedule: Schedule, date: Temporal.PlainDate): Decision | undefined {
  const iso = date.toString();
  let best: Decision | undefined;
  for (const h of schedule.holidays) {
    let name: string | undefined;
    if ('date' in h) {
      if (h.date === iso) name = h.name ?? iso;
    } else {
      const found = calendarHolidays(h.calendar, date.year, h.types).find((c) => c.date === iso);
      if (found) name = h.name ?? found.name;
    }
    if (name !== undefined && (!best || h.capacity > best.capacity))
      best = { capacity: h.capacity, reason: `holiday ${name}` };
  }
  return best;
}

interface Day {
  holiday?: Interval;
  occurrences: Interval[];
}

/**
 * The holiday or the period occurrences beginning on local date `d`. Cached per schedule object
 * and date: a run evaluates hundreds of fleets sharing a few schedules at the same instant.
 */
function day(schedule: Schedule, d: Temporal.PlainDate): Day {
  const compiled = compile(schedule);
  const key = d.toString();
  const cached = compiled.days.get(key);
  if (cached) return cached;
  const { zone, periods } = compiled;
  const result: Day = { occurrences: [] };
  const holiday = holidayOn(schedule, d);
  if (holiday) {
    const start = wallToInstant(d, 0, zone);
    result.holiday = { start, end: wallToInstant(d, MINUTES_PER_DAY, zone), rank: 0, decision: holiday };
    // The holiday's own periods don't run, not even past its midnight.
  } else
    for (const p of periods) {
      if (!p.matchers.every((m) => m(d))) continue;
      const start = wallToInstant(d, p.begin, zone);
      const end =
        p.end > MINUTES_PER_DAY
          ? wallToInstant(d.add({ days: 1 }), p.end - MINUTES_PER_DAY, zone)
          : wallToInstant(d, p.end, zone);
      if (start < end) result.occurrences.push({ start, end, rank: p.index, decision: p.decision });
    }
  if (compiled.days.size >= DAY_CACHE) compiled.days.clear();
  compiled.days.set(key, result);
  return result;
}
const DAY_CACHE = 800;

/** Holiday days and period occurrences beginning on local dates first..last. */
function intervals(schedule: Schedule, first: Temporal.PlainDate, last: Temporal.PlainDate) {
  const holidays: Interval[] = [];
  const occurrences: Interval[] = [];
  for (let d = first; Temporal.PlainDate.compare(d, last) <= 0; d = d.add({ days: 1 })) {
    const { holiday, occurrences: list } = day(schedule, d);
    if (holiday) holidays.push(holiday);
    occurrences.push(...list);
  }
  return { holidays, occurrences };
}

type Intervals = ReturnType<typeof intervals>;

function decide(
  { holidays, occurrences }: Intervals,
  fallback: Decision,
  at: number,
  override?: Override,
): Decision {
  if (override && override.until > at) return { capacity: override.capacity, reason: 'override' };
  const holiday = holidays.find((h) => h.start <= at && at < h.end);
  if (holiday) return holiday.decision;
  let best: Interval | undefined;
  for (const o of occurrences)
    if (o.start <= at && at < o.end)
      if (
        !best ||
        o.decision.capacity > best.decision.capacity ||
        (o.decision.capacity === best.decision.capacity && o.rank < best.rank)
      )
        best = o;
  return best ? best.decision : fallback;
}

/** The capacity in force at `at`, and why. */
export function capacityAt(schedule: Schedule, at: number, override?: Override): Decision {
  if (override && override.until > at) return { capacity: override.capacity, reason: 'override' };
  const { zone, fallback } = compile(schedule);
  const today = localDate(at, zone);
  // An overnight period in force now may have begun yesterday.
  return { ...decide(intervals(schedule, today.subtract({ days: 1 }), today), fallback, at) };
}

const same = (a: Decision, b: Decision) =>
  a.capacity === b.capacity &&
  a.reason === b.reason &&
  a.minCapacity === b.minCapacity &&
  a.maxCapacity === b.maxCapacity;

/**
 * The changes in [from, to): sorted, the first is the value in force at `from` (at = from), then
 * only where the decision changes. Work is per local day and boundary, not per minute.
 */
export function changePoints(schedule: Schedule, from: number, to: number, override?: Override): Change[] {
  if (!(to > from)) return [];
  const { zone, fallback } = compile(schedule);
  const all = intervals(schedule, localDate(from, zone).subtract({ days: 1 }), localDate(to, zone));
  const boundaries = new Set<number>();
  for (const i of [...all.holidays, ...all.occurrences]) {
    if (i.start > from && i.start < to) boundaries.add(i.start);
    if (i.end > from && i.end < to) boundaries.add(i.end);
  }
  if (override && override.until > from && override.until < to) boundaries.add(override.until);
  const changes: Change[] = [{ at: from, ...decide(all, fallback, from, override) }];
  for (const at of [...boundaries].sort((a, b) => a - b)) {
    const decision = decide(all, fallback, at, override);
    if (!same(decision, changes[changes.length - 1])) changes.push({ at, ...decision });
  }
  return changes;
}
