/**
 * The schedule file (examples/schedules.yaml): zod schemas are the one source of truth, types are
 * their z.infer. Every error names its field (`schedules.office-hours.periods[0].begin: …`).
 */
import { readFileSync } from 'node:fs';
import { Temporal } from 'temporal-polyfill';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { isTagValue } from '../tags';
import { ExpressionError, type Field, parseExpression } from './expressions';
import { calendarProblem, HOLIDAY_TYPES } from './holidays';

/**
 * Upper bound for any capacity: far above AppStream's fleet quotas, low enough to catch a typo
 * (an extra zero) before it scales a fleet.
 */
export const MAX_CAPACITY = 10_000;

const capacity = z.number().int('must be a whole number').min(0).max(MAX_CAPACITY);

/** `HH:MM`, 00:00-23:59; an end may also be 24:00 (midnight at the end of the day). */
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const time = (end: boolean) =>
  z.string().refine((t) => TIME.test(t) || (end && t === '24:00'), {
    message: end ? 'must be HH:MM between 00:00 and 24:00' : 'must be HH:MM between 00:00 and 23:59',
  });

/** Minutes since local midnight of "HH:MM". */
export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** YAML gives `monthdays: 1` as a number: expressions are strings. */
const expression = (field: Field) =>
  z.preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z.string().superRefine((text, ctx) => {
      try {
        parseExpression(text, field);
      } catch (err) {
        if (!(err instanceof ExpressionError)) throw err;
        ctx.addIssue({ code: 'custom', message: err.message });
      }
    }),
  );

const period = z
  .strictObject({
    name: z.string().min(1).max(64),
    weekdays: expression('weekdays').optional(),
    monthdays: expression('monthdays').optional(),
    months: expression('months').optional(),
    begin: time(false).optional(),
    end: time(true).optional(),
    capacity,
    /** Auto-scaled fleets: Min/Max of the scalable target while the period is in force. */
    minCapacity: capacity.optional(),
    maxCapacity: capacity.optional(),
  })
  .superRefine((p, ctx) => {
    // end == begin is rejected rather than read as 24 hours: it is almost always a typo, and a
    // whole day is written by leaving begin/end out (or 00:00-24:00).
    if ((p.begin ?? '00:00') === (p.end ?? '24:00'))
      ctx.addIssue({
        code: 'custom',
        path: ['end'],
        message: 'must differ from begin (leave begin and end out for a whole day)',
      });
    if (p.minCapacity !== undefined && p.maxCapacity !== undefined && p.minCapacity > p.maxCapacity)
      ctx.addIssue({ code: 'custom', path: ['minCapacity'], message: 'must not exceed maxCapacity' });
    if (p.minCapacity !== undefined && p.capacity < p.minCapacity)
      ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'must not be below minCapacity' });
    if (p.maxCapacity !== undefined && p.capacity > p.maxCapacity)
      ctx.addIssue({ code: 'custom', path: ['capacity'], message: 'must not exceed maxCapacity' });
  });

/** YAML 1.1 tools may hand us a Date for `2026-12-24`: accept it as its calendar date. */
const isoDate = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
  z.string().refine(
    (d) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return false;
      try {
        Temporal.PlainDate.from(d, { overflow: 'reject' });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a date YYYY-MM-DD' },
  ),
);

const dateHoliday = z.strictObject({ date: isoDate, capacity, name: z.string().min(1).max(100).optional() });
const calendarHoliday = z.strictObject({
  calendar: z.string().superRefine((c, ctx) => {
    const problem = calendarProblem(c);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  capacity,
  name: z.string().min(1).max(100).optional(),
  types: z.array(z.enum(HOLIDAY_TYPES)).min(1).optional(),
});
const holiday = z.union([dateHoliday, calendarHoliday]);

/**
 * The IANA zone `zone` names, spelled as Temporal spells it (case normalised: `europe/berlin` →
 * `Europe/Berlin`), or undefined when it isn't one. Offsets (`+02:00`) are refused although
 * Temporal takes them: they have no DST and are not what an admin means by a time zone.
 * temporal-polyfill keeps a link as written (`Asia/Calcutta` stays `Asia/Calcutta`, not
 * `Asia/Kolkata`): see canonicalZoneProblem (compile.ts) for where that matters.
 */
export function ianaZone(zone: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return undefined;
  try {
    return Temporal.PlainDate.from('2026-01-01').toZonedDateTime(zone).timeZoneId;
  } catch {
    return undefined;
  }
}

export const ZONE_MESSAGE = 'must be an IANA time zone such as Europe/Berlin';

const timezone = z.string().transform((zone, ctx) => {
  const id = ianaZone(zone);
  if (id === undefined) {
    ctx.addIssue({ code: 'custom', message: ZONE_MESSAGE });
    return z.NEVER;
  }
  return id;
});

const scheduleSchema = z
  .strictObject({
    description: z.string().optional(),
    timezone,
    default: capacity,
    periods: z.array(period).default([]),
    holidays: z.array(holiday).default([]),
    /** Reconcile on every run (true) or act only at change points (false), like Instance Scheduler. */
    enforced: z.boolean().default(true),
    /** Allow going below the sessions in use (cuts users off). */
    force: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.periods.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: ['periods', i, 'name'],
          message: `duplicate period '${p.name}'`,
        });
      seen.add(p.name);
    });
  });

const fleetName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$/, 'must be a fleet name (letters, digits, _ . -, up to 101)');
const common = {
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1')
    .optional(),
  /** Stop the fleet when the schedule says 0 (only with no session in use unless forced). */
  stopWhenZero: z.boolean().default(false),
  /** Start a stopped fleet this many minutes before capacity is due (fleets take ~10-15 min). */
  startLeadMinutes: z.number().int().min(0).max(240).default(15),
  /** Guard: never set more than this, whatever the schedule says. */
  maxCapacity: capacity.optional(),
  /** Overrides the schedule's force for this fleet. */
  force: z.boolean().optional(),
};
const namedFleet = z.strictObject({ name: fleetName, schedule: z.string().min(1), ...common });
const taggedFleet = z.strictObject({
  tag: z
    .string()
    .min(1)
    .max(128)
    .refine((k) => isTagValue(k) && !k.toLowerCase().startsWith('aws:'), 'must be a tag key'),
  ...common,
});
const fleetSelector = z.union([namedFleet, taggedFleet]);

const scheduleName = z
  .string()
  .min(1)
  .max(128)
  .refine(isTagValue, 'schedule names are tag values: letters, digits, spaces and _ . : / = + - @');

const scheduleFileSchema = z
  .strictObject({
    schedules: z.record(scheduleName, scheduleSchema),
    fleets: z.array(fleetSelector).default([]),
  })
  .superRefine((file, ctx) => {
    const names = new Set<string>();
    file.fleets.forEach((f, i) => {
      if (!('name' in f)) return;
      if (!Object.hasOwn(file.schedules, f.schedule))
        ctx.addIssue({
          code: 'custom',
          path: ['fleets', i, 'schedule'],
          message: `unknown schedule '${f.schedule}' (schedules: ${Object.keys(file.schedules).join(', ') || 'none'})`,
        });
      const key = `${f.name}@${f.region ?? ''}`;
      if (names.has(key))
        ctx.addIssue({ code: 'custom', path: ['fleets', i, 'name'], message: `duplicate fleet '${f.name}'` });
      names.add(key);
    });
  });

export type ScheduleFile = z.infer<typeof scheduleFileSchema>;
export type Schedule = z.infer<typeof scheduleSchema>;
export type Period = z.infer<typeof period>;
export type Holiday = z.infer<typeof holiday>;
export type FleetSelector = z.infer<typeof fleetSelector>;

type Issue = z.core.$ZodIssue;
/**
 * "field: message" per issue, like describeIssues (lib/config/pipeline.ts), but a union (holiday,
 * fleet selector) reports the branch the input came closest to instead of zod's "Invalid input".
 */
function describe(issues: readonly Issue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Every branch misses its own key (no date and no calendar): say which keys would do.
      const missing = issue.errors.map((branch) => branch.find(isMissingKey)?.path[0]);
      const stray = issue.errors.some((branch) => branch.some((i) => i.code === 'unrecognized_keys'));
      if (!stray && missing.every((key) => key !== undefined))
        return [`${formatPath(path) || '(root)'}: needs one of ${missing.map(String).join(', ')}`];
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      return describe(closest, path);
    }
    const message = / received undefined$/.test(issue.message) ? 'required' : issue.message;
    return [`${formatPath(path) || '(root)'}: ${message}`];
  });
}

const isMissingKey = (i: Issue) =>
  i.code === 'invalid_type' && i.path.length === 1 && / received undefined$/.test(i.message);

const formatPath = (path: PropertyKey[]) =>
  path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    '',
  );

/** Validates already-parsed input (a state machine input); throws ConfigError naming the field. */
export function validateScheduleFile(value: unknown, source = 'schedules'): ScheduleFile {
  const parsed = scheduleFileSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`${source}: ${describe(parsed.error.issues).join('; ')}`);
  return parsed.data;
}

/** Parses YAML (or JSON, a subset) text; syntax errors name the line, schema errors the field. */
export function parseScheduleFile(text: string, source = 'schedules'): ScheduleFile {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
  return validateScheduleFile(value, source);
}

export function loadScheduleFile(path: string): ScheduleFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  return parseScheduleFile(text, path);
}
