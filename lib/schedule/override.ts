/**
 * Temporary overrides stored in the fleet tag TAG.override as `capacity@until` (tag contract,
 * ../shared/DESIGN.md), e.g. `30@2026-12-01T17:00Z`: a person reads it in the console, and the
 * value stays within AWS's tag charset ([\p{L}\p{Z}\p{N}_.:/=+\-@]*).
 */
import { Temporal } from 'temporal-polyfill';
import { ConfigError } from '../errors';
import { MAX_CAPACITY } from './config';
import type { Override } from './engine';
import { plainToInstant } from './time';

const MINUTE = 60_000;

/**
 * `${capacity}@${until as UTC ISO minute}`. An `until` between minutes is rounded up to the next
 * minute, so the override never ends earlier than asked.
 */
export function formatOverride(o: Override): string {
  const until = Math.ceil(o.until / MINUTE) * MINUTE;
  return `${o.capacity}@${new Date(until).toISOString().slice(0, 16)}Z`;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO-8601 instant with `Z` or a `±HH:MM` offset as epoch ms; undefined when it isn't one or
 * names an impossible date (Temporal rejects 2026-02-30, which Date.parse rolls to 2 March).
 */
export function instant(text: string): number | undefined {
  if (!ISO_INSTANT.test(text)) return undefined;
  try {
    return Temporal.Instant.from(text).epochMilliseconds;
  } catch {
    return undefined;
  }
}

/** The override in a tag value; undefined when malformed (the caller reports it). */
export function parseOverride(value: string): Override | undefined {
  const m = /^(\d{1,5})@(.+)$/.exec(value.trim());
  if (!m) return undefined;
  const capacity = Number(m[1]);
  const until = instant(m[2]);
  if (capacity > MAX_CAPACITY || until === undefined) return undefined;
  return { capacity, until };
}

/**
 * `--until` as epoch ms: a local date-time (`2026-12-01T18:00`) in `zone`, with the same DST
 * rules as a period's begin (a skipped time takes effect after the gap, a repeated one at its
 * first occurrence), or an ISO instant with `Z` or an offset (then `zone` is not used).
 */
export function untilFromLocal(local: string, zone: string): number {
  const text = local.trim();
  const absolute = instant(text);
  if (absolute !== undefined) return absolute;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text))
    throw new ConfigError(
      `until: '${local}' is not a local date-time like 2026-12-01T18:00 or an ISO instant`,
    );
  let wall: Temporal.PlainDateTime;
  try {
    wall = Temporal.PlainDateTime.from(text, { overflow: 'reject' });
  } catch {
    throw new ConfigError(`until: '${local}' is not a valid date-time`);
  }
  try {
    return plainToInstant(wall, zone);
  } catch {
    throw new ConfigError(`zone: '${zone}' is not an IANA time zone`);
  }
}
