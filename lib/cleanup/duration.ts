/**
 * Durations of the cleanup policy (examples/cleanup.yaml): `30m`, `4h`, `30d`, `2w`, or units
 * combined largest first (`1h30m`, `1d 12h`). Cleanup works to the minute (thresholds are exact to
 * the minute, marks carry UTC minutes), so the smallest unit is the minute: `90s` is refused with
 * a hint rather than rounded. A bare number is refused too: `120` could mean minutes or hours.
 */
import { ConfigError } from '../errors';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** Upper bound of any duration (ten years): far above any sensible policy, low enough to catch a typo. */
export const MAX_DURATION = 3650 * DAY;

const UNITS: Record<string, number> = { w: WEEK, d: DAY, h: HOUR, m: MINUTE };
const FORMAT = /^(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?$/;
const EXAMPLE = 'such as 30m, 4h, 30d or 1h30m (units w, d, h, m)';

/** What is wrong with `text` as a duration, or undefined when it is one. */
export function durationProblem(text: unknown): string | undefined {
  if (text === undefined || text === null) return 'required';
  if (typeof text === 'number') return `needs a unit: a duration ${EXAMPLE}`;
  if (typeof text !== 'string') return `must be a duration ${EXAMPLE}`;
  const t = text.trim();
  if (/^\d+(\.\d+)?\s*(s|sec|secs|seconds?|ms)$/i.test(t))
    return `'${text}': cleanup works to the minute, seconds are not supported (use m, h, d or w)`;
  const m = FORMAT.exec(t);
  if (t === '' || !m || m.slice(1).every((g) => g === undefined))
    return `'${text}' is not a duration ${EXAMPLE}`;
  if (toMs(m) > MAX_DURATION) return `'${text}' is longer than ${MAX_DURATION / DAY}d`;
  return undefined;
}

const toMs = (m: RegExpExecArray) =>
  ['w', 'd', 'h', 'm'].reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * UNITS[unit], 0);

/**
 * `text` as milliseconds (a whole number of minutes); throws ConfigError naming `field` (e.g.
 * `stopAfter: '4x' is not a duration …`).
 */
export function parseDuration(text: string, field = 'duration'): number {
  const problem = durationProblem(text);
  if (problem) throw new ConfigError(`${field}: ${problem}`);
  return toMs(FORMAT.exec(text.trim())!);
}

/**
 * `ms` in the policy's syntax, largest units first, whole minutes (rounded down): 14_400_000 →
 * `4h`, 5_400_000 → `1h30m`, 0 → `0m`. Round-trips through parseDuration.
 */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / MINUTE)) * MINUTE;
  let text = '';
  for (const unit of ['d', 'h', 'm']) {
    const n = Math.floor(rest / UNITS[unit]);
    rest -= n * UNITS[unit];
    if (n > 0) text += `${n}${unit}`;
  }
  return text || '0m';
}
