/**
 * `autopilot schedule compile`: the Application Auto Scaling scheduled actions equivalent to a
 * schedule, for fleets where AWS's own feature is enough. Only what is exactly equivalent compiles;
 * anything else is listed as unsupported with the reason.
 *
 * AAS facts (Application Auto Scaling User Guide, "Schedule recurring scaling actions using cron
 * expressions" and "How scheduled scaling works"): PutScheduledAction takes
 * `cron(Minutes Hours Day-of-month Month Day-of-week Year)` in EventBridge syntax (one of
 * day-of-month and day-of-week must be `?`; weekdays SUN-SAT) and a `Timezone` (IANA); a scheduled
 * action sets MinCapacity/MaxCapacity only (the current capacity is moved into the range, then
 * scaling policies decide); in a zone with DST the schedule follows local time, but which instant
 * fires for a local time skipped or repeated by DST is not documented.
 */
import { Temporal } from 'temporal-polyfill';
import type { Period, Schedule } from './config';
import { capacityAt, changePoints, type Decision, periodMatchers, periodWindow } from './engine';
import { type DayMatcher, parseExpression } from './expressions';
import { MINUTES_PER_DAY } from './time';
import { ZONE_LINKS } from './zone-links';

export interface ScheduledAction {
  /** ScheduledActionName (AAS forbids : / |). */
  name: string;
  /** PutScheduledAction Schedule, e.g. `cron(30 7 ? * MON,TUE,WED,THU,FRI *)`. */
  schedule: string;
  timezone: string;
  min: number;
  max: number;
}
/** Min/Max of the scalable target. */
export interface Bounds {
  min: number;
  max: number;
}
export type CompileResult =
  | {
      actions: ScheduledAction[];
      /** RegisterScalableTarget's Min/Max: the schedule's value in force at `now`. */
      register: Bounds;
      /** The canonical IANA name the actions use (a link such as Asia/Calcutta is resolved). */
      timezone: string;
      notes: string[];
    }
  | { unsupported: string[] };

export interface CompileOptions {
  /** The fleet's maxCapacity guard: Min/Max are clamped to it, as a run clamps them (plan.ts). */
  maxCapacity?: number;
}

/**
 * Min/Max for a decision, as a run sets them on a scalable target (plan.ts planSize): Min =
 * minCapacity ?? capacity, Max = maxCapacity ?? capacity, Max under the fleet's guard, Min ≤ Max.
 */
export function boundsOf(
  d: Pick<Decision, 'capacity' | 'minCapacity' | 'maxCapacity'>,
  guard?: number,
): Bounds {
  const wantedMin = d.minCapacity ?? d.capacity;
  const wantedMax = Math.max(d.maxCapacity ?? d.capacity, wantedMin);
  const max = guard === undefined ? wantedMax : Math.min(wantedMax, guard);
  return { min: Math.min(wantedMin, max), max };
}

const DOW = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
/** Four years from a Monday: every weekday/month/leap-year combination a simple rule can depend on. */
const SAMPLE_START = Temporal.PlainDate.from('2024-01-01');
const SAMPLE_DAYS = 4 * 366;

/** A day rule as cron fields, or why it has none. */
type Days = { dom: string; month: string; dow: string; weekdays?: Set<number> } | { why: string };

/** The set `key(d)` determines `matches(d)` by, if it does for every sample day (else undefined). */
function setBy(matches: DayMatcher, key: (d: Temporal.PlainDate) => number): Set<number> | undefined {
  const on = new Map<number, boolean>();
  for (let i = 0; i < SAMPLE_DAYS; i++) {
    const d = SAMPLE_START.add({ days: i });
    const k = key(d);
    const m = matches(d);
    if (on.has(k) && on.get(k) !== m) return undefined;
    on.set(k, m);
  }
  return new Set([...on].filter(([, m]) => m).map(([k]) => k));
}

const list = (values: Set<number>, all: number, render: (v: number) => string) =>
  values.size === all
    ? '*'
    : [...values]
        .sort((a, b) => a - b)
        .map(render)
        .join(',');

function days(p: Period, shift: boolean): Days {
  const label = `period ${p.name}`;
  if (p.weekdays !== undefined && p.monthdays !== undefined)
    return { why: `${label}: weekdays and monthdays together (cron takes one of them)` };
  if (shift && (p.monthdays !== undefined || p.months !== undefined))
    return { why: `${label}: an overnight period with monthdays/months ends on a day cron can't name` };
  let month = '*';
  if (p.months !== undefined) {
    const months = setBy(parseExpression(p.months, 'months'), (d) => d.month);
    if (!months) return { why: `${label}: months '${p.months}'` };
    month = list(months, 12, String);
  }
  if (p.monthdays !== undefined) {
    const dom = setBy(parseExpression(p.monthdays, 'monthdays'), (d) => d.day);
    if (!dom) return { why: `${label}: monthdays '${p.monthdays}' (L and W are not a fixed set of days)` };
    if (dom.size === 0) return { why: `${label}: monthdays '${p.monthdays}' never match` };
    return { dom: list(dom, 31, String), month, dow: '?' };
  }
  const matcher = p.weekdays === undefined ? () => true : parseExpression(p.weekdays, 'weekdays');
  const weekdays = setBy(matcher, (d) => d.dayOfWeek - 1);
  if (!weekdays)
    return { why: `${label}: weekdays '${p.weekdays}' (nth and last weekdays are not compiled)` };
  if (weekdays.size === 0) return { why: `${label}: weekdays '${p.weekdays}' never match` };
  const shifted = shift ? new Set([...weekdays].map((w) => (w + 1) % 7)) : weekdays;
  return {
    dom: shifted.size === 7 ? '*' : '?',
    month,
    dow: shifted.size === 7 ? '?' : list(shifted, 7, (w) => DOW[w]),
    weekdays: shifted,
  };
}

/** Local minutes of day that DST skips or repeats in `zone` (next five years from `from`). */
function dstWindows(zone: string, from: Temporal.Instant): { begin: number; end: number; date: string }[] {
  const windows: { begin: number; end: number; date: string }[] = [];
  let at = from.toZonedDateTimeISO(zone);
  const stop = at.add({ years: 5 });
  for (;;) {
    const next = at.getTimeZoneTransition('next');
    if (!next || Temporal.ZonedDateTime.compare(next, stop) > 0) break;
    const before = next.subtract({ nanoseconds: 1 });
    const delta = (next.offsetNanoseconds - before.offsetNanoseconds) / 60e9;
    const t = delta > 0 ? before.toPlainTime() : next.toPlainTime();
    // Spring forward: the delta minutes after the last local minute before it never happen;
    // fall back: the |delta| minutes from the new local time happen twice.
    const begin = t.hour * 60 + t.minute + (delta > 0 ? 1 : 0);
    windows.push({ begin, end: begin + Math.abs(delta), date: next.toPlainDate().toString() });
    at = next;
  }
  return windows;
}

const safeName = (text: string) => text.replace(/[:/|]/g, '-').slice(0, 256);
const cron = (minute: number, d: { dom: string; month: string; dow: string }) =>
  `cron(${minute % 60} ${Math.floor(minute / 60)} ${d.dom} ${d.month} ${d.dow} *)`;

/** The scheduled actions equivalent to `schedule` for `fleetName`, or why there are none. */
export function compileScheduledActions(
  schedule: Schedule,
  fleetName: string,
  now: Temporal.Instant = Temporal.Now.instant(),
  options: CompileOptions = {},
): CompileResult {
  const unsupported: string[] = [];
  if (schedule.holidays.length > 0) unsupported.push('holidays (scheduled actions have no holiday calendar)');
  const windows = dstWindows(schedule.timezone, now);
  const guard = options.maxCapacity;
  const starts: { minute: number; days: Days; p: Period }[] = [];
  const ends: { minute: number; days: Days; p: Period }[] = [];
  for (const p of schedule.periods) {
    const { begin, end: endRaw } = periodWindow(p);
    // An end at or past 24:00 fires on the next day.
    const shift = endRaw >= MINUTES_PER_DAY;
    const start = days(p, false);
    const end = days(p, shift);
    for (const d of [start, end]) if ('why' in d) unsupported.push(d.why);
    for (const minute of [begin, endRaw % MINUTES_PER_DAY]) {
      const w = windows.find((x) =>
        [minute, minute + MINUTES_PER_DAY].some((m) => m >= x.begin && m < x.end),
      );
      if (w)
        unsupported.push(
          `period ${p.name}: ${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')} is skipped or repeated by DST in ${schedule.timezone} (${w.date}); AAS doesn't document when it fires`,
        );
    }
    starts.push({ minute: begin, days: start, p });
    ends.push({ minute: endRaw % MINUTES_PER_DAY, days: end, p });
  }
  overlaps(schedule, unsupported);
  if (unsupported.length > 0) return { unsupported: [...new Set(unsupported)] };

  const actions: ScheduledAction[] = [];
  // AAS takes canonical IANA names; temporal-polyfill keeps a link as written (zone-links.ts).
  const timezone = ZONE_LINKS[schedule.timezone] ?? schedule.timezone;
  for (const { minute, days: d, p } of starts)
    if (!('why' in d))
      actions.push({
        name: safeName(`${fleetName}-${p.name}-begin`),
        schedule: cron(minute, d),
        timezone,
        ...boundsOf(p, guard),
      });
  for (const { minute, days: d, p } of ends) {
    if ('why' in d) continue;
    // A period beginning where this one ends (or this one again, for a whole-day period) takes
    // over: its begin action is the one to run at that minute.
    const taken = starts.filter((s) => s.minute === minute);
    let rest = d;
    if (taken.length > 0) {
      if (!d.weekdays || taken.some((s) => 'why' in s.days || !s.days.weekdays || s.days.month !== d.month))
        return { unsupported: [`period ${p.name} ends where another begins on days cron can't subtract`] };
      const left = new Set(
        [...d.weekdays].filter((w) => !taken.some((s) => 'weekdays' in s.days && s.days.weekdays?.has(w))),
      );
      if (left.size === 0) continue;
      rest = { ...d, dom: '?', dow: list(left, 7, (w) => DOW[w]), weekdays: left };
    }
    actions.push({
      name: safeName(`${fleetName}-${p.name}-end`),
      schedule: cron(minute, rest),
      timezone,
      ...boundsOf({ capacity: schedule.default }, guard),
    });
  }
  const inForce = capacityAt(schedule, now.epochMilliseconds);
  const register = boundsOf(inForce, guard);
  return { actions, register, timezone, notes: notes(schedule, now, register, inForce, timezone, guard) };
}

/** What a person must know about the compiled actions: where they are not the same as a run. */
function notes(
  schedule: Schedule,
  now: Temporal.Instant,
  register: Bounds,
  inForce: Decision,
  timezone: string,
  guard: number | undefined,
): string[] {
  const out: string[] = [];
  const zone = schedule.timezone;
  const local = (ms: number) =>
    Temporal.Instant.fromEpochMilliseconds(ms)
      .toZonedDateTimeISO(zone)
      .toString({ timeZoneName: 'never', smallestUnit: 'minute' });
  const next = changePoints(schedule, now.epochMilliseconds, now.epochMilliseconds + 8 * 86_400_000)[1];
  out.push(
    next
      ? `register-scalable-target sets Min/Max ${register.min}/${register.max}, the schedule's value at ${local(now.epochMilliseconds)} (${inForce.reason}); the actions take over from the next change at ${local(next.at)}: run the commands before then, or compile again`
      : `no period: no scheduled action; register-scalable-target sets Min/Max ${register.min}/${register.max} (the default) for good`,
  );
  if (timezone !== schedule.timezone)
    out.push(`timezone ${schedule.timezone} is written as its canonical IANA name ${timezone} (same rules)`);
  if (guard !== undefined)
    out.push(`the fleet's maxCapacity guard ${guard} caps every Max (and Min), as a run does`);
  if (schedule.enforced)
    out.push(
      'enforced: true is not equivalent: scheduled actions act only at their cron times, so a Min/Max or capacity a person changes stays until the next action (like enforced: false); autopilot puts it back within one run',
    );
  if (schedule.periods.some((p) => p.minCapacity !== undefined || p.maxCapacity !== undefined))
    out.push(
      'scheduled actions set Min/Max only: desired capacity is moved into the range, then scaling policies decide',
    );
  return out;
}

/** Two periods that can be in force at once (conservatively: same sample day, intersecting hours). */
function overlaps(schedule: Schedule, unsupported: string[]): void {
  const ranges = schedule.periods.map((p) => {
    const { begin, end } = periodWindow(p);
    const matchers = periodMatchers(p);
    return { p, begin, end, on: (d: Temporal.PlainDate) => matchers.every((m) => m(d)) };
  });
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      for (let k = 0; k < SAMPLE_DAYS; k++) {
        const d = SAMPLE_START.add({ days: k });
        const prev = d.subtract({ days: 1 });
        // Occurrences beginning today or yesterday (shifted by a day) against each other.
        const spans = (r: typeof a) => [
          ...(r.on(d) ? [[r.begin, r.end]] : []),
          ...(r.on(prev) ? [[r.begin - MINUTES_PER_DAY, r.end - MINUTES_PER_DAY]] : []),
        ];
        const hit = spans(a).some(([s1, e1]) => spans(b).some(([s2, e2]) => s1 < e2 && s2 < e1));
        if (hit) {
          unsupported.push(
            `periods ${a.p.name} and ${b.p.name} overlap (${d}); scheduled actions have no "largest wins"`,
          );
          break;
        }
      }
    }
}
