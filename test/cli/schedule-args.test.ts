import { describe, expect, it } from 'vitest';
import { localIso, parseInstant, utcIso } from '../../bin/schedule-args';

describe('autopilot schedule: instants on the command line', () => {
  it('takes ISO-8601 with Z or an offset as written, whatever the zone', () => {
    expect(utcIso(parseInstant('from', '2026-12-24T06:30Z', 'Asia/Kolkata'))).toBe('2026-12-24T06:30:00Z');
    expect(utcIso(parseInstant('from', '2026-12-24T07:30:00+01:00', 'UTC'))).toBe('2026-12-24T06:30:00Z');
  });

  it("reads a local time or a bare date in the schedule's zone", () => {
    expect(utcIso(parseInstant('from', '2026-12-24T07:30', 'Europe/Berlin'))).toBe('2026-12-24T06:30:00Z');
    // A bare date's "-24" is no offset: local midnight.
    expect(utcIso(parseInstant('from', '2026-12-24', 'Australia/Adelaide'))).toBe('2026-12-23T13:30:00Z');
  });

  it('takes a time in the spring-forward gap at the end of the gap, a repeated one at its first occurrence', () => {
    expect(localIso(parseInstant('until', '2026-03-29T02:30', 'Europe/Berlin'), 'Europe/Berlin')).toBe(
      '2026-03-29T03:00:00+02:00',
    );
    expect(localIso(parseInstant('until', '2026-10-25T02:30', 'Europe/Berlin'), 'Europe/Berlin')).toBe(
      '2026-10-25T02:30:00+02:00',
    );
  });

  it('refuses what is not a date-time with a UsageError naming the option', () => {
    expect(() => parseInstant('from', 'tomorrow', 'UTC')).toThrow(/^--from 'tomorrow' is not a date-time/);
    expect(() => parseInstant('until', '2026-02-30T10:00', 'UTC')).toThrow(
      expect.objectContaining({ name: 'UsageError' }),
    );
  });

  it('refuses an impossible date or a malformed offset with Z or an offset too (no Date.parse rollover)', () => {
    for (const text of [
      '2026-02-30T10:00Z',
      '2026-02-30T10:00:00+01:00',
      '2026-12-24T07:30+0100',
      '2026-04-31T00:00Z',
    ])
      expect(() => parseInstant('from', text, 'UTC'), text).toThrow(
        expect.objectContaining({
          name: 'UsageError',
          message: expect.stringMatching(/^--from '.*' is not an ISO-8601 date-time/),
        }),
      );
    // Leap day exists in 2028 and takes the same path.
    expect(utcIso(parseInstant('until', '2028-02-29T10:00Z', 'UTC'))).toBe('2028-02-29T10:00:00Z');
  });
});
