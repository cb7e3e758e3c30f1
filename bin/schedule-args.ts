/** What the `autopilot schedule` subcommands share: options, the fleet's schedule, instants. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { Temporal } from 'temporal-polyfill';
import { named } from '../lib/errors';
import type { FleetSelector, Schedule, ScheduleFile } from '../lib/schedule/config';
import { instant, untilFromLocal } from '../lib/schedule/override';
import { LOCAL_ACCOUNT } from '../local/local-deps';

/** A command line the subcommand can't make sense of: exit 2, like an unknown command. */
export const UsageError = named('UsageError');

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with `--help`/`-h` and strict options; a parse error (unknown option, missing value)
 * becomes a one-line UsageError naming the option.
 */
export function parseOptions<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O & {
        help: { type: 'boolean'; short: 'h' };
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A whole number option within [min, max]; `undefined` when absent. */
export function intOption(name: string, text: string | undefined, min: number, max: number) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${text}'`);
  return n;
}

export interface FleetSchedule {
  /** The schedule's name in the file. */
  name: string;
  schedule: Schedule;
  /** The fleet's selector when the file names the fleet. */
  selector?: FleetSelector;
}

/** The selector that names `fleet`, if any. */
export const namedSelector = (file: ScheduleFile, fleet: string) =>
  file.fleets.find(
    (f): f is FleetSelector & { name: string; schedule: string } => 'name' in f && f.name === fleet,
  );

/**
 * The schedule that sizes `fleet`: the one its selector names, or `scheduleName` (`--schedule`,
 * for fleets selected by tag, whose schedule is in the fleet's tag). Refuses with what to give.
 */
export function fleetSchedule(file: ScheduleFile, fleet: string, scheduleName?: string): FleetSchedule {
  const selector = namedSelector(file, fleet);
  const name = scheduleName ?? selector?.schedule;
  const known = Object.keys(file.schedules).join(', ') || 'none';
  if (name === undefined) {
    const byTag = file.fleets.some((f) => 'tag' in f);
    throw new UsageError(
      `fleet '${fleet}' is not named in the file's fleets${byTag ? ' (a fleet selected by tag: give --schedule <name>)' : ''}; schedules: ${known}`,
    );
  }
  const schedule = file.schedules[name];
  if (!schedule) throw new UsageError(`no schedule '${name}' in the file; schedules: ${known}`);
  return { name, schedule, selector };
}

/** Fleets the file names, with their schedules (fleets selected by tag are found at run time). */
export function namedFleets(file: ScheduleFile): (FleetSchedule & { fleet: string })[] {
  return file.fleets.flatMap((f) => ('name' in f ? [{ fleet: f.name, ...fleetSchedule(file, f.name) }] : []));
}

/** A date-time that names its offset: `…T10:00Z`, `…T10:00+01:00` (a bare date's `-21` is no offset). */
const WITH_OFFSET = /T[\d:.]+(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * An instant from the command line: ISO-8601 with `Z` or an offset as written, else a local wall
 * time in `zone` (a date alone is its local midnight), with the engine's DST rules (a time in a
 * spring-forward gap means the first instant after it; a repeated one its first occurrence).
 */
export function parseInstant(option: string, text: string, zone: string): number {
  if (WITH_OFFSET.test(text)) {
    // Temporal, like the override tag's parser: no impossible dates, offsets as ±HH:MM.
    const ms = instant(text);
    if (ms === undefined)
      throw new UsageError(
        `--${option} '${text}' is not an ISO-8601 date-time (e.g. 2026-12-01T17:00Z or 2026-12-01T18:00+01:00)`,
      );
    return ms;
  }
  const local = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00` : text;
  try {
    return untilFromLocal(local, zone);
  } catch (err) {
    throw new UsageError(
      `--${option} '${text}' is not a date-time (${(err as Error).message.replace(/^until: /, '')})`,
    );
  }
}

/** `2026-12-24T06:30:00Z`: UTC ISO-8601 to the second. */
export const utcIso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `2026-12-24T07:30:00+01:00`: ISO-8601 local time in `zone` with its offset, to the second (like utcIso). */
export const localIso = (ms: number, zone: string) =>
  Temporal.Instant.fromEpochMilliseconds(ms)
    .toZonedDateTimeISO(zone)
    .toString({ timeZoneName: 'never', smallestUnit: 'second' });

/** SDK client settings: a running emulator (its local account) or AWS's default chain. */
export function clientSettings(region: string, endpoint?: string) {
  return endpoint
    ? { region, endpoint, credentials: { accessKeyId: LOCAL_ACCOUNT, secretAccessKey: 'local' } }
    : { region };
}

/**
 * The emulator's virtual now (`GET /_emulator/clock`) at `endpoint`, or undefined when the endpoint
 * isn't an emulator (then real time applies, as on AWS).
 */
export async function emulatorNow(endpoint: string): Promise<number | undefined> {
  try {
    const res = await fetch(new URL('/_emulator/clock', endpoint), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { now?: unknown };
    return typeof body.now === 'number' ? body.now : undefined;
  } catch {
    return undefined;
  }
}

/** The region of a command: `--region`, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
export const regionOf = (region?: string) =>
  region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
