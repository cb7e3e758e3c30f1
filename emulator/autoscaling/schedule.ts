/**
 * Schedule expressions of Application Auto Scaling scheduled actions (PutScheduledAction,
 * Schedule): `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` with unit minute(s)|hour(s)|day(s),
 * `cron(Minutes Hours Day-of-month Month Day-of-week Year)`. "At and cron expressions use
 * Universal Coordinated Time (UTC) by default"; Timezone is an IANA zone ("canonical names of
 * the IANA time zones supported by Joda-Time"). The cron syntax is the one of the Application
 * Auto Scaling User Guide, "Cron expressions reference": `* , - / ?`, `L` (last day of the month;
 * `5L` the last Thursday), `W` (nearest weekday: `15W`), `#` (`3#2` the second Tuesday), day names
 * SUN-SAT (1-7) and month names JAN-DEC; one of day-of-month and day-of-week must be `?`.
 * Local times are resolved with Temporal's "compatible" disambiguation (a time skipped by a DST
 * jump runs that much later, a repeated one at its first occurrence): no source says what AAS
 * does at a DST change.
 */
import { Temporal } from 'temporal-polyfill';

export type Schedule =
  | { kind: 'at'; local: Temporal.PlainDateTime }
  | { kind: 'rate'; everyMs: number }
  | { kind: 'cron'; cron: Cron };

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years?: Set<number>;
  /** Day-of-month and day-of-week tests; exactly one of them is `?` (always true). */
  day: (d: Temporal.PlainDate) => boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Parses a schedule expression; throws an Error with the reason when it is malformed. */
export function parseSchedule(expression: string): Schedule {
  const m = /^(at|rate|cron)\((.*)\)$/.exec(expression.trim());
  if (!m) throw new Error('must be at(...), rate(...) or cron(...)');
  const [, kind, body] = m;
  if (kind === 'at') {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(body))
      throw new Error('at() takes yyyy-mm-ddThh:mm:ss');
    return { kind, local: Temporal.PlainDateTime.from(body, { overflow: 'reject' }) };
  }
  if (kind === 'rate') {
    const r = /^([1-9]\d{0,8}) (minutes?|hours?|days?)$/.exec(body);
    if (!r) throw new Error('rate() takes a positive integer and minute(s), hour(s) or day(s)');
    return { kind, everyMs: Number(r[1]) * UNIT_MS[r[2]] };
  }
  return { kind: 'cron', cron: parseCron(body) };
}

function parseCron(body: string): Cron {
  const f = body.trim().split(/\s+/);
  if (f.length !== 6)
    throw new Error('cron() takes six fields: minutes hours day-of-month month day-of-week year');
  const [min, hour, dom, month, dow, year] = f;
  if ((dom === '?') === (dow === '?')) throw new Error('one of day-of-month and day-of-week must be ?');
  return {
    minutes: field(min, 0, 59),
    hours: field(hour, 0, 23),
    months: field(month, 1, 12, MONTHS),
    years: year === '*' ? undefined : field(year, 1970, 2199),
    day: dom === '?' ? dayOfWeek(dow) : dayOfMonth(dom),
  };
}

/** A numeric field: `*`, `a`, `a-b`, `a/s`, `*` + `/s`, `a-b/s`, comma lists; names when given. */
function field(text: string, lo: number, hi: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names?.indexOf(v.toUpperCase()) ?? -1;
    const n = i >= 0 ? i + lo : /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= lo && n <= hi)) throw new Error(`'${v}' is out of range ${lo}-${hi}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in '${part}'`);
    let from = lo;
    let to = hi;
    if (range !== '*') {
      const [a, b] = range.split('-');
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : hi) : value(b);
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

function dayOfMonth(text: string): (d: Temporal.PlainDate) => boolean {
  if (text === 'L') return (d) => d.day === d.daysInMonth;
  const w = /^(\d{1,2})W$/.exec(text);
  if (w) {
    const target = Number(w[1]);
    if (target < 1 || target > 31) throw new Error(`'${text}' is out of range`);
    // The weekday nearest to that day, within the same month.
    return (d) => {
      if (target > d.daysInMonth) return false;
      let t = d.with({ day: target });
      if (t.dayOfWeek === 6) t = target === 1 ? t.add({ days: 2 }) : t.subtract({ days: 1 });
      else if (t.dayOfWeek === 7) t = target === d.daysInMonth ? t.subtract({ days: 2 }) : t.add({ days: 1 });
      return t.day === d.day;
    };
  }
  const days = field(text, 1, 31);
  return (d) => days.has(d.day);
}

/** Day-of-week: 1-7 or SUN-SAT (1 = Sunday), `nL` (last n-day of the month), `n#k` (k-th n-day). */
function dayOfWeek(text: string): (d: Temporal.PlainDate) => boolean {
  const cronDay = (d: Temporal.PlainDate) => (d.dayOfWeek % 7) + 1; // Temporal: Monday 1 … Sunday 7
  const last = /^(\w+)L$/.exec(text);
  if (last) {
    const n = [...field(last[1], 1, 7, DAYS)][0];
    return (d) => cronDay(d) === n && d.day + 7 > d.daysInMonth;
  }
  const nth = /^(\w+)#([1-5])$/.exec(text);
  if (nth) {
    const n = [...field(nth[1], 1, 7, DAYS)][0];
    const k = Number(nth[2]);
    return (d) => cronDay(d) === n && Math.ceil(d.day / 7) === k;
  }
  const days = field(text, 1, 7, DAYS);
  return (d) => days.has(cronDay(d));
}

/** How far ahead a cron expression is searched for its next time (its Year field ends at 2199). */
const CRON_HORIZON_DAYS = 366 * 5;

/**
 * The first time the schedule runs strictly after `after` (epoch ms), within [start, end], or
 * undefined when it never runs again. `zone` applies to at() and cron(); rate() counts from
 * `start` (the action's StartTime, else its creation).
 */
export function nextRun(
  s: Schedule,
  after: number,
  opts: { zone: string; start: number; end?: number },
): number | undefined {
  const { zone, start, end } = opts;
  const within = (t: number | undefined) =>
    t !== undefined && (end === undefined || t <= end) ? t : undefined;
  if (s.kind === 'at') {
    const t = s.local.toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
    return t > after && t >= start ? within(t) : undefined;
  }
  if (s.kind === 'rate') {
    const k = after < start ? 0 : Math.floor((after - start) / s.everyMs) + 1;
    return within(start + k * s.everyMs);
  }
  const from = Math.max(after + 1, start);
  const first = Temporal.Instant.fromEpochMilliseconds(from).toZonedDateTimeISO(zone);
  let date = first.toPlainDate();
  const hours = [...s.cron.hours].sort((a, b) => a - b);
  const minutes = [...s.cron.minutes].sort((a, b) => a - b);
  for (let i = 0; i < CRON_HORIZON_DAYS; i++, date = date.add({ days: 1 })) {
    if (end !== undefined && date.toZonedDateTime({ timeZone: zone }).epochMilliseconds > end)
      return undefined;
    if (!s.cron.months.has(date.month) || (s.cron.years && !s.cron.years.has(date.year)) || !s.cron.day(date))
      continue;
    for (const hour of hours)
      for (const minute of minutes) {
        const t = date
          .toPlainDateTime({ hour, minute })
          .toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
        if (t >= from) return within(t);
      }
  }
  return undefined;
}

/** Whether `zone` is an IANA time zone Temporal knows (Timezone of PutScheduledAction). */
export function isTimeZone(zone: string): boolean {
  try {
    Temporal.Now.instant().toZonedDateTimeISO(zone);
    return true;
  } catch {
    return false;
  }
}
