import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors';
import { formatOverride, parseOverride, untilFromLocal } from '../../../lib/schedule/override';
import { isTagValue } from '../../../lib/tags';

const t = (iso: string) => Date.parse(iso);

describe('Overrides: the autopilot:override tag value', () => {
  it('renders capacity@until with until as a UTC ISO minute, within the tag charset', () => {
    const value = formatOverride({ capacity: 30, until: t('2026-12-01T17:00:00Z') });
    expect(value).toBe('30@2026-12-01T17:00Z');
    expect(isTagValue(value)).toBe(true);
  });

  it('rounds an until between minutes up, so the override never ends early', () => {
    expect(formatOverride({ capacity: 0, until: t('2026-12-01T17:00:00.001Z') })).toBe('0@2026-12-01T17:01Z');
  });

  it('parses its own format and full ISO instants with offsets', () => {
    expect(parseOverride('30@2026-12-01T17:00Z')).toEqual({ capacity: 30, until: t('2026-12-01T17:00Z') });
    expect(parseOverride('5@2026-12-01T18:00:00+01:00')).toEqual({
      capacity: 5,
      until: t('2026-12-01T17:00Z'),
    });
    expect(parseOverride(' 0@2026-12-01T17:00:30.500Z ')).toEqual({
      capacity: 0,
      until: t('2026-12-01T17:00:30.500Z'),
    });
  });

  it.each([
    [''],
    ['30'],
    ['thirty@2026-12-01T17:00Z'],
    ['-1@2026-12-01T17:00Z'],
    ['30@2026-12-01T17:00'], // no zone: ambiguous, a person must say which
    ['30@tomorrow'],
    ['30@2026-13-01T17:00Z'],
    ['99999@2026-12-01T17:00Z'], // above the sane maximum
  ])('is undefined for the malformed %j', (value) => {
    expect(parseOverride(value)).toBeUndefined();
  });
});

describe('Overrides: --until in local time', () => {
  it('reads a local date-time in the zone', () => {
    expect(untilFromLocal('2026-12-01T18:00', 'Europe/Berlin')).toBe(t('2026-12-01T17:00Z'));
    expect(untilFromLocal('2026-07-01T18:00', 'Europe/Berlin')).toBe(t('2026-07-01T16:00Z'));
    expect(untilFromLocal('2026-12-01T18:00', 'Asia/Kolkata')).toBe(t('2026-12-01T12:30Z'));
  });

  it('uses the DST rules of begin/end: a skipped time means the end of the gap, a repeated one its first occurrence', () => {
    expect(untilFromLocal('2026-03-29T02:30', 'Europe/Berlin')).toBe(t('2026-03-29T01:00Z'));
    expect(untilFromLocal('2026-10-25T02:30', 'Europe/Berlin')).toBe(t('2026-10-25T00:30Z'));
  });

  it('takes an ISO instant as is, whatever the zone', () => {
    expect(untilFromLocal('2026-12-01T17:00Z', 'Europe/Berlin')).toBe(t('2026-12-01T17:00Z'));
    expect(untilFromLocal('2026-12-01T18:00+01:00', 'America/New_York')).toBe(t('2026-12-01T17:00Z'));
  });

  it('round-trips through the tag', () => {
    const until = untilFromLocal('2026-12-01T18:00', 'Europe/Berlin');
    expect(parseOverride(formatOverride({ capacity: 12, until }))).toEqual({ capacity: 12, until });
  });

  it('rejects a malformed time or zone with ConfigError', () => {
    expect(() => untilFromLocal('next friday', 'Europe/Berlin')).toThrow(ConfigError);
    expect(() => untilFromLocal('2026-02-30T10:00', 'Europe/Berlin')).toThrow(/not a valid date-time/);
    expect(() => untilFromLocal('2026-12-01T18:00', 'Mars/Olympus')).toThrow(/zone: 'Mars\/Olympus'/);
  });
});
