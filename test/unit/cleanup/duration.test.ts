import { describe, expect, it } from 'vitest';
import {
  DAY,
  durationProblem,
  formatDuration,
  HOUR,
  MAX_DURATION,
  MINUTE,
  parseDuration,
  WEEK,
} from '../../../lib/cleanup/duration';
import { ConfigError } from '../../../lib/errors';

describe('Cleanup durations: parseDuration', () => {
  it('reads minutes, hours, days and weeks', () => {
    expect(parseDuration('30m')).toBe(30 * MINUTE);
    expect(parseDuration('4h')).toBe(4 * HOUR);
    expect(parseDuration('30d')).toBe(30 * DAY);
    expect(parseDuration('2w')).toBe(2 * WEEK);
  });

  it('reads units combined largest first, with or without spaces', () => {
    expect(parseDuration('1h30m')).toBe(90 * MINUTE);
    expect(parseDuration('1d 12h')).toBe(36 * HOUR);
    expect(parseDuration(' 1w2d3h4m ')).toBe(WEEK + 2 * DAY + 3 * HOUR + 4 * MINUTE);
  });

  it('reads zero (a field decides whether zero is allowed)', () => {
    expect(parseDuration('0m')).toBe(0);
  });

  it('refuses seconds with a hint: cleanup works to the minute', () => {
    expect(durationProblem('90s')).toMatch(/works to the minute, seconds are not supported/);
    expect(durationProblem('500ms')).toMatch(/seconds are not supported/);
  });

  it('refuses a bare number: it needs a unit', () => {
    expect(durationProblem(120)).toMatch(/needs a unit/);
    expect(durationProblem('120')).toMatch(/is not a duration such as 30m, 4h, 30d/);
  });

  it('refuses unknown units, wrong order, repeats, fractions, negatives and empty text', () => {
    for (const text of ['4x', '30M', '2mo', '1y', '30m2h', '1h1h', '1.5h', '-4h', '', 'h', 'PT4H'])
      expect(durationProblem(text), text).toBeDefined();
  });

  it('says required for a missing value and refuses other types', () => {
    expect(durationProblem(undefined)).toBe('required');
    expect(durationProblem(true)).toMatch(/must be a duration/);
  });

  it('refuses durations above ten years', () => {
    expect(durationProblem('3650d')).toBeUndefined();
    expect(parseDuration('3650d')).toBe(MAX_DURATION);
    expect(durationProblem('3651d')).toMatch(/longer than 3650d/);
  });

  it('throws a ConfigError naming the field', () => {
    expect(() => parseDuration('4x', 'stopAfter')).toThrow(ConfigError);
    expect(() => parseDuration('4x', 'stopAfter')).toThrow(/^stopAfter: '4x' is not a duration/);
  });
});

describe('Cleanup durations: formatDuration', () => {
  it('writes the largest units first in the policy syntax', () => {
    expect(formatDuration(4 * HOUR)).toBe('4h');
    expect(formatDuration(90 * MINUTE)).toBe('1h30m');
    expect(formatDuration(30 * DAY + 5 * MINUTE)).toBe('30d5m');
    expect(formatDuration(0)).toBe('0m');
  });

  it('rounds down to whole minutes and never goes negative', () => {
    expect(formatDuration(4 * HOUR - 1)).toBe('3h59m');
    expect(formatDuration(-MINUTE)).toBe('0m');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [MINUTE, 59 * MINUTE, 25 * HOUR, 400 * DAY + 7 * MINUTE])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
