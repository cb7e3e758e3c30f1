/**
 * Period day expressions with the semantics of AWS Instance Scheduler, so admins can reuse what
 * they know (read, not copied, from aws-solutions/instance-scheduler-on-aws
 * source/app/instance_scheduler/cron/parser.py, validator.py and cron_to_running_period.py;
 * docs: "Period rules" in the Instance Scheduler implementation guide):
 * - comma lists; `*` or `?` = every value;
 * - a value is a number or a name (`mon`/`monday`, `jan`/`january`, case-insensitive);
 *   weekday numbers are 0 = Monday … 6 = Sunday (Python's `date.weekday()`, as Instance Scheduler);
 * - `L` = the last value (last day of the month; as a weekday, Sunday; not allowed in months);
 * - ranges `a-b` (end may be `L`); weekday and month ranges wrap (`fri-mon`, `nov-feb`), monthday
 *   ranges don't (`20-5` is rejected); a start past the end of the domain matches nothing;
 * - steps `a/n` (from a to the last value) and `a-b/n`;
 * - weekdays only: `sat#1` = the first Saturday of the month (n = 1..5), `friL` = its last Friday;
 * - monthdays only: `15W` = the weekday nearest the 15th, within the month (a Saturday 1st
 *   moves to Monday 3rd, a Sunday last day to Friday).
 * A period matches a day when every expression it has matches (Instance Scheduler checks the
 * intersection, unlike cron's union of day-of-month and day-of-week).
 */
import type { Temporal } from 'temporal-polyfill';

export type Field = 'weekdays' | 'monthdays' | 'months';

/** An expression, or a token in it, that Instance Scheduler would reject; the message names the token. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

type Term =
  | { kind: 'all' }
  | { kind: 'value'; value: number | 'L' }
  | { kind: 'range'; start: number; end: number | 'L'; step: number }
  | { kind: 'nth'; weekday: number; n: number }
  | { kind: 'lastWeekday'; weekday: number }
  | { kind: 'nearestWeekday'; day: number };

/** A parsed expression: matches a local date. */
export type DayMatcher = (date: Temporal.PlainDate) => boolean;

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const names = (list: string[], base: number) =>
  new Map(list.flatMap((n, i) => [[n, i + base] as const, [n.slice(0, 3), i + base] as const]));
const NAMES: Record<Field, Map<string, number>> = {
  weekdays: names(WEEKDAYS, 0),
  monthdays: new Map(),
  months: names(MONTHS, 1),
};
const DOMAIN: Record<Field, [number, number]> = { weekdays: [0, 6], monthdays: [1, 31], months: [1, 12] };

function value(raw: string, field: Field, whole: string, allowLast = true): number | 'L' {
  const token = raw.trim();
  if (token === 'l' && allowLast) {
    if (field === 'months') throw new ExpressionError(`'L' is not allowed in months (in '${whole}')`);
    return 'L';
  }
  const n = /^\d+$/.test(token) ? Number(token) : NAMES[field].get(token);
  if (n === undefined) throw new ExpressionError(`unknown ${field} value '${token}' (in '${whole}')`);
  const [lo, hi] = DOMAIN[field];
  if (n < lo || n > hi)
    throw new ExpressionError(`${field} value '${token}' is outside ${lo}-${hi} (in '${whole}')`);
  return n;
}

function number(token: string, field: Field, whole: string): number {
  const v = value(token, field, whole, false);
  return v as number;
}

function parseTerm(raw: string, field: Field, whole: string): Term {
  const t = raw.trim().toLowerCase();
  if (t === '') throw new ExpressionError(`empty item in '${whole}'`);
  if (t === '*' || t === '?') return { kind: 'all' };
  let m = /^(.+)\/(\d+)$/.exec(t);
  if (m) {
    const step = Number(m[2]);
    if (step < 1) throw new ExpressionError(`step '/${m[2]}' must be at least 1 (in '${whole}')`);
    const inner = parseTerm(m[1], field, whole);
    if (inner.kind === 'range') return { ...inner, step };
    if (inner.kind === 'value' && inner.value !== 'L')
      return { kind: 'range', start: inner.value, end: 'L', step };
    throw new ExpressionError(`'${raw.trim()}' can't take a step (in '${whole}')`);
  }
  m = /^([^-]+)-([^-]+)$/.exec(t);
  if (m) {
    const start = value(m[1], field, whole, false);
    const end = value(m[2], field, whole);
    if (end === 'L' && field !== 'monthdays')
      throw new ExpressionError(`'L' can't end a ${field} range (in '${whole}')`);
    if (field === 'monthdays' && end !== 'L' && (start as number) > end)
      throw new ExpressionError(`monthday range '${raw.trim()}' can't wrap (in '${whole}')`);
    return { kind: 'range', start: start as number, end, step: 1 };
  }
  m = /^(.+)#(\d+)$/.exec(t);
  if (m) {
    if (field !== 'weekdays') throw new ExpressionError(`'${raw.trim()}': # is for weekdays (in '${whole}')`);
    const n = Number(m[2]);
    if (n < 1 || n > 5) throw new ExpressionError(`'${raw.trim()}': # takes 1 to 5 (in '${whole}')`);
    return { kind: 'nth', weekday: number(m[1], field, whole), n };
  }
  m = /^(.+)l$/.exec(t);
  if (m && field === 'weekdays') return { kind: 'lastWeekday', weekday: number(m[1], field, whole) };
  m = /^(\d+)w$/.exec(t);
  if (m) {
    if (field !== 'monthdays')
      throw new ExpressionError(`'${raw.trim()}': W is for monthdays (in '${whole}')`);
    return { kind: 'nearestWeekday', day: number(m[1], field, whole) };
  }
  return { kind: 'value', value: value(t, field, whole) };
}

/** Parses an expression of `field`; throws ExpressionError naming the bad token. */
export function parseExpression(expression: string, field: Field): DayMatcher {
  const whole = String(expression).trim();
  if (whole === '') throw new ExpressionError(`empty ${field} expression`);
  const terms = whole.split(',').map((part) => parseTerm(part, field, whole));
  return (date) => terms.some((term) => matches(term, field, date));
}

const weekdayOf = (date: Temporal.PlainDate) => date.dayOfWeek - 1; // Temporal: 1 = Monday

function fieldValue(date: Temporal.PlainDate, field: Field): number {
  return field === 'weekdays' ? weekdayOf(date) : field === 'monthdays' ? date.day : date.month;
}

function lastOf(date: Temporal.PlainDate, field: Field): number {
  return field === 'monthdays' ? date.daysInMonth : DOMAIN[field][1];
}

/** Values of a range in a domain ending at `last`: wraps when start > end (weekdays, months). */
function inRange(v: number, start: number, end: number, step: number, first: number, last: number): boolean {
  if (start > last) return false;
  if (start <= end) return v >= start && v <= end && (v - start) % step === 0;
  // Wrapping: start..last, then continue the step from `first` up to end
  // (Instance Scheduler subtracts the domain width, so 11-2/2 in months is {11, 1}).
  if (v >= start) return (v - start) % step === 0;
  if (v > end) return false;
  const width = last - first + 1;
  return (v + width - start) % step === 0;
}

function matches(term: Term, field: Field, date: Temporal.PlainDate): boolean {
  const v = fieldValue(date, field);
  const last = lastOf(date, field);
  switch (term.kind) {
    case 'all':
      return true;
    case 'value':
      return v === (term.value === 'L' ? last : term.value);
    case 'range': {
      const end = term.end === 'L' ? last : term.end;
      return inRange(v, term.start, end, term.step, DOMAIN[field][0], last);
    }
    case 'nth': {
      const first = date.with({ day: 1 });
      const offset = (term.weekday - weekdayOf(first) + 7) % 7;
      return date.day === 1 + offset + 7 * (term.n - 1);
    }
    case 'lastWeekday': {
      const lastDay = date.with({ day: date.daysInMonth });
      return date.day === date.daysInMonth - ((weekdayOf(lastDay) - term.weekday + 7) % 7);
    }
    case 'nearestWeekday':
      return term.day <= date.daysInMonth && date.day === nearestWeekday(date.with({ day: term.day }));
  }
}

/** The weekday nearest `target`, staying within its month (Instance Scheduler's rule). */
function nearestWeekday(target: Temporal.PlainDate): number {
  const wd = weekdayOf(target);
  if (wd === 5) return target.day === 1 ? 3 : target.day - 1;
  if (wd === 6) return target.day === target.daysInMonth ? target.day - 2 : target.day + 1;
  return target.day;
}
