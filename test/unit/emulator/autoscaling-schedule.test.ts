import { describe, expect, it } from 'vitest';
import { isTimeZone, nextRun, parseSchedule } from '../../../emulator/autoscaling/schedule';

const utc = (iso: string) => Date.parse(`${iso}Z`);
const iso = (ms: number | undefined) =>
  ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 16);
const next = (expr: string, after: string, zone = 'UTC', extra: { start?: string; end?: string } = {}) =>
  iso(
    nextRun(parseSchedule(expr), utc(after), {
      zone,
      start: extra.start ? utc(extra.start) : 0,
      end: extra.end ? utc(extra.end) : undefined,
    }),
  );

describe('Emulator: Application Auto Scaling schedule expressions', () => {
  it('runs at() once, in UTC or the given zone, and never when it is past', () => {
    expect(next('at(2026-12-01T08:00:00)', '2026-11-30T00:00')).toBe('2026-12-01T08:00');
    expect(next('at(2026-12-01T08:00:00)', '2026-11-30T00:00', 'Europe/Berlin')).toBe('2026-12-01T07:00');
    expect(next('at(2026-12-01T08:00:00)', '2026-12-01T08:00')).toBeUndefined();
  });

  it('counts rate() from its start and stops at the end', () => {
    expect(next('rate(15 minutes)', '2026-01-01T00:20', 'UTC', { start: '2026-01-01T00:00' })).toBe(
      '2026-01-01T00:30',
    );
    expect(next('rate(1 day)', '2025-12-31T00:00', 'UTC', { start: '2026-01-01T06:00' })).toBe(
      '2026-01-01T06:00',
    );
    expect(
      next('rate(2 hours)', '2026-01-01T05:00', 'UTC', {
        start: '2026-01-01T00:00',
        end: '2026-01-01T05:30',
      }),
    ).toBe(undefined);
  });

  it('matches cron weekdays, ranges, steps and names in a time zone across DST', () => {
    // Fri 2026-03-27: next weekday 07:30 Berlin is Mon 2026-03-30, after the spring-forward (UTC+2).
    expect(next('cron(30 7 ? * MON-FRI *)', '2026-03-27T07:00', 'Europe/Berlin')).toBe('2026-03-30T05:30');
    expect(next('cron(30 7 ? * 2-6 *)', '2026-03-26T07:00', 'Europe/Berlin')).toBe('2026-03-27T06:30');
    expect(next('cron(0/20 * * * ? *)', '2026-01-01T10:41')).toBe('2026-01-01T11:00');
    expect(next('cron(0 12 1 JAN,JUL ? *)', '2026-02-01T00:00')).toBe('2026-07-01T12:00');
    expect(next('cron(0 0 * * ? 2027)', '2026-06-01T00:00')).toBe('2027-01-01T00:00');
    // Half-hour offset zone: Kolkata midnight is 18:30 UTC the day before.
    expect(next('cron(0 0 * * ? *)', '2026-05-01T12:00', 'Asia/Kolkata')).toBe('2026-05-01T18:30');
  });

  it('resolves L, W and # in the day fields', () => {
    expect(next('cron(0 18 L * ? *)', '2026-02-01T00:00')).toBe('2026-02-28T18:00');
    // Last Friday (6L) of May 2026 is the 29th; the 2nd Tuesday (3#2) of June 2026 is the 9th.
    expect(next('cron(0 9 ? * 6L *)', '2026-05-01T00:00')).toBe('2026-05-29T09:00');
    expect(next('cron(0 9 ? * TUE#2 *)', '2026-06-01T00:00')).toBe('2026-06-09T09:00');
    // 15W: 2026-08-15 is a Saturday, so the nearest weekday is Friday the 14th.
    expect(next('cron(0 9 15W * ? *)', '2026-08-01T00:00')).toBe('2026-08-14T09:00');
  });

  it('a local time skipped by DST runs that much later (Temporal "compatible")', () => {
    // Berlin 2026-03-29 02:30 does not exist; it runs at 03:30 local = 01:30 UTC.
    expect(next('cron(30 2 29 3 ? 2026)', '2026-03-28T00:00', 'Europe/Berlin')).toBe('2026-03-29T01:30');
  });

  it('refuses malformed expressions and unknown zones', () => {
    for (const bad of [
      'daily',
      'at(2026-13-01T00:00:00)',
      'at(2026-01-01 00:00:00)',
      'rate(0 minutes)',
      'rate(5 weeks)',
      'cron(0 8 * * *)',
      'cron(0 8 * * MON *)',
      'cron(61 8 ? * MON *)',
      'cron(0 8 ? * FUNDAY *)',
    ])
      expect(() => parseSchedule(bad), bad).toThrow();
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
