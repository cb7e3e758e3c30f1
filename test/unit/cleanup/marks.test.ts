import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/cleanup/duration';
import {
  formatCleanupAction,
  formatLastConnection,
  formatMark,
  isoMinute,
  optOut,
  parseInstant,
  parseLastConnection,
  parseMark,
  recordConnection,
} from '../../../lib/cleanup/marks';
import { isTagValue, keepActive, MAX_TAG_VALUE } from '../../../lib/tags';

const T = Date.parse('2026-11-27T14:00:00Z');

describe('Cleanup marks: times are UTC minutes, rounded up', () => {
  it('writes YYYY-MM-DDTHH:MMZ', () => {
    expect(isoMinute(T)).toBe('2026-11-27T14:00Z');
  });

  it('rounds a time between minutes up: never earlier than the event', () => {
    expect(isoMinute(T + 1)).toBe('2026-11-27T14:01Z');
    expect(isoMinute(T + 59_999)).toBe('2026-11-27T14:01Z');
  });

  it('reads instants with Z or an offset, seconds optional; refuses impossible dates and local times', () => {
    expect(parseInstant('2026-11-27T14:00Z')).toBe(T);
    expect(parseInstant('2026-11-27T15:00:00+01:00')).toBe(T);
    expect(parseInstant('2026-11-27t14:00z')).toBe(T);
    expect(parseInstant('2026-02-30T14:00Z')).toBeUndefined();
    expect(parseInstant('2026-11-27T14:00')).toBeUndefined();
    expect(parseInstant('yesterday')).toBeUndefined();
  });
});

describe('Cleanup marks: TAG.cleanup mark-for-op value', () => {
  it('writes the plan first, then warned, stopped, started, seen', () => {
    const value = formatMark({
      seen: T - 26 * 60 * MINUTE,
      warned: T - 120 * MINUTE,
      plan: { op: 'stop', at: T },
    });
    expect(value).toBe('stop@2026-11-27T14:00Z warned@2026-11-27T12:00Z seen@2026-11-26T12:00Z');
    expect(
      formatMark({ stopped: T, seen: T - MINUTE, plan: { op: 'delete', at: T + 30 * 1440 * MINUTE } }),
    ).toBe('delete@2026-12-27T14:00Z stopped@2026-11-27T14:00Z seen@2026-11-27T13:59Z');
    expect(formatMark({ started: T, seen: T })).toBe('started@2026-11-27T14:00Z seen@2026-11-27T14:00Z');
    expect(formatMark({})).toBe('');
  });

  it('reads what it writes', () => {
    const mark = { plan: { op: 'stop' as const, at: T }, warned: T - 60 * MINUTE, seen: T - 600 * MINUTE };
    expect(parseMark(formatMark(mark))).toEqual(mark);
    expect(parseMark('seen@2026-11-27T14:00Z')).toEqual({ seen: T });
  });

  it('reads nothing from an absent, empty or garbled value (a person edited it)', () => {
    for (const value of [
      undefined,
      '',
      '  ',
      'stop@tomorrow',
      'stop',
      'nuke@2026-11-27T14:00Z',
      'stop@2026-11-27T14:00Z delete@2026-11-28T14:00Z',
      'seen@2026-11-27T14:00Z seen@2026-11-27T15:00Z',
      'please keep',
    ])
      expect(parseMark(value), String(value)).toBeUndefined();
  });

  it('is always a valid AWS tag value, well under 256 characters', () => {
    const at = fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2999-12-31') });
    fc.assert(
      fc.property(
        fc.record(
          {
            plan: fc.record({ op: fc.constantFrom('stop' as const, 'delete' as const), at }),
            warned: at,
            stopped: at,
            started: at,
            seen: at,
          },
          { requiredKeys: [] },
        ),
        (mark) => {
          const value = formatMark(mark);
          expect(isTagValue(value)).toBe(true);
          expect([...value].length).toBeLessThan(MAX_TAG_VALUE / 2);
          // Round trip, to the minute (rounded up).
          const back = parseMark(value);
          if (value === '') expect(back).toBeUndefined();
          else
            for (const [k, v] of Object.entries(mark))
              if (k !== 'plan') expect(back![k as 'seen']).toBe(Math.ceil((v as number) / MINUTE) * MINUTE);
        },
      ),
    );
  });
});

describe('Cleanup marks: TAG.lastConnection', () => {
  it('writes the connection bare and the heartbeat as presence@', () => {
    expect(formatLastConnection({ connectedAt: T })).toBe('2026-11-27T14:00Z');
    expect(formatLastConnection({ presenceAt: T })).toBe('presence@2026-11-27T14:00Z');
    expect(formatLastConnection({ connectedAt: T - MINUTE, presenceAt: T + 30_000 })).toBe(
      '2026-11-27T13:59Z presence@2026-11-27T14:01Z',
    );
  });

  it('reads a bare instant (also with seconds or an offset) or connect@ as the connection', () => {
    expect(parseLastConnection('2026-11-27T14:00Z')).toEqual({ connectedAt: T });
    expect(parseLastConnection('2026-11-27T14:00:00.000Z')).toEqual({ connectedAt: T });
    expect(parseLastConnection('connect@2026-11-27T15:00+01:00 presence@2026-11-27T14:00Z')).toEqual({
      connectedAt: T,
      presenceAt: T,
    });
  });

  it('writes and reads the start as started@, after the other tokens, and still reads values without it', () => {
    expect(formatLastConnection({ startedAt: T })).toBe('started@2026-11-27T14:00Z');
    expect(formatLastConnection({ connectedAt: T, presenceAt: T + MINUTE, startedAt: T - MINUTE })).toBe(
      '2026-11-27T14:00Z presence@2026-11-27T14:01Z started@2026-11-27T13:59Z',
    );
    expect(parseLastConnection('started@2026-11-27T14:00Z 2026-11-27T15:00Z')).toEqual({
      startedAt: T,
      connectedAt: T + 60 * MINUTE,
    });
    // Values written before started@ existed.
    expect(parseLastConnection('2026-11-27T14:00Z presence@2026-11-27T14:00Z')).toEqual({
      connectedAt: T,
      presenceAt: T,
    });
    expect(parseLastConnection('started@later')).toBeUndefined();
  });

  it('reads token by token: a garbled token is ignored, the valid ones kept (B3)', () => {
    expect(parseLastConnection('2026-11-27T14:00Z presence@2026-11-2 started@2026-11-27T13:00Z')).toEqual({
      connectedAt: T,
      startedAt: T - 60 * MINUTE,
    });
    expect(parseLastConnection('hands-off presence@2026-11-27T14:00Z')).toEqual({ presenceAt: T });
    expect(parseLastConnection('2026-11-27T14:00Z keep@2026-11-27T15:00Z')).toEqual({ connectedAt: T });
    // A word given twice: the later time counts.
    expect(parseLastConnection('2026-11-27T14:00Z 2026-11-27T15:00Z')).toEqual({
      connectedAt: T + 60 * MINUTE,
    });
    expect(parseLastConnection('started@2026-11-27T14:00Z started@2026-11-27T15:00Z')).toEqual({
      startedAt: T + 60 * MINUTE,
    });
  });

  it('a garbled token never makes the recorder drop the others and move the clock back (B3)', () => {
    const garbled = '2026-11-27T14:00Z presence@2026-11-27T16:00Z?? started@2026-11-27T15:00Z';
    // The recorder's update keeps the connection and start; only the unreadable token is lost.
    expect(recordConnection(garbled, { kind: 'connect', at: T - 60 * MINUTE })).toBe(
      '2026-11-27T14:00Z started@2026-11-27T15:00Z',
    );
    expect(recordConnection(garbled, { kind: 'presence', at: T + 30 * MINUTE })).toBe(
      '2026-11-27T14:00Z presence@2026-11-27T14:30Z started@2026-11-27T15:00Z',
    );
  });

  it('moves started@ forward only, keeping the connection and presence', () => {
    const v = '2026-11-27T14:00Z presence@2026-11-27T14:05Z';
    const started = recordConnection(v, { kind: 'start', at: T + 10 * MINUTE });
    expect(started).toBe('2026-11-27T14:00Z presence@2026-11-27T14:05Z started@2026-11-27T14:10Z');
    expect(recordConnection(started, { kind: 'start', at: T })).toBe(started);
    expect(recordConnection(started, { kind: 'presence', at: T + 20 * MINUTE })).toBe(
      '2026-11-27T14:00Z presence@2026-11-27T14:20Z started@2026-11-27T14:10Z',
    );
  });

  it('reads nothing from an absent or malformed value', () => {
    for (const value of [undefined, '', 'never', 'presence@soon', 'hands off'])
      expect(parseLastConnection(value), String(value)).toBeUndefined();
  });

  it('records the later of the tag and a new event: it never goes back in time', () => {
    const v1 = recordConnection(undefined, { kind: 'connect', at: T });
    expect(v1).toBe('2026-11-27T14:00Z');
    const v2 = recordConnection(v1, { kind: 'presence', at: T + 5 * MINUTE });
    expect(v2).toBe('2026-11-27T14:00Z presence@2026-11-27T14:05Z');
    expect(recordConnection(v2, { kind: 'connect', at: T - 60 * MINUTE })).toBe(v2);
    expect(recordConnection('garbage', { kind: 'connect', at: T })).toBe('2026-11-27T14:00Z');
  });
});

describe('Cleanup marks: optOut (the policy optOutTag, default autopilot:keep)', () => {
  const all = { stop: true, delete: true, notify: true };

  it('allows everything without a tag, with an empty value or false', () => {
    expect(optOut(undefined, T)).toEqual(all);
    expect(optOut('', T)).toEqual(all);
    expect(optOut('False', T)).toEqual(all);
  });

  it('true: never warned, stopped or deleted', () => {
    expect(optOut('true', T)).toMatchObject({ stop: false, delete: false, notify: true });
    expect(optOut(' TRUE ', T).stop).toBe(false);
  });

  it('stop-only: stopped, never deleted', () => {
    expect(optOut('stop-only', T)).toMatchObject({ stop: true, delete: false, notify: true });
  });

  it('no-notify: acted on, left out of notifications', () => {
    expect(optOut('no-notify', T)).toEqual({ stop: true, delete: true, notify: false });
  });

  it('stop-only and no-notify combine, with spaces or +', () => {
    expect(optOut('stop-only no-notify', T)).toMatchObject({ stop: true, delete: false, notify: false });
    expect(optOut('no-notify+stop-only', T)).toMatchObject({ stop: true, delete: false, notify: false });
  });

  it('an ISO date keeps the builder through the end of that day (UTC), to the millisecond', () => {
    const until = Date.parse('2026-12-01T00:00:00Z');
    expect(optOut('2026-11-30', until - 1)).toMatchObject({ stop: false, delete: false, until });
    expect(optOut('2026-11-30', until)).toMatchObject({ stop: true, delete: true });
    expect(optOut('2026-12-01T18:00Z', until)).toMatchObject({
      stop: false,
      reason: 'kept until 2026-12-01T18:00Z',
    });
    expect(optOut('2026-12-01T18:00', until).stop).toBe(false);
  });

  it('reads anything else as keep: a person meant to keep it', () => {
    for (const value of ['yes', 'keep please', '2026-02-30', 'stop-only stop-only', '1'])
      expect(optOut(value, T), value).toMatchObject({ stop: false, delete: false });
  });

  it('never allows a delete the image pipeline reading (keepActive) forbids', () => {
    const words = fc.constantFrom(
      'true',
      'false',
      'stop-only',
      'no-notify',
      'TRUE',
      '',
      '2026-11-27',
      '2026-11-28T00:00Z',
      '2026-11-26',
      'maybe',
      '1',
      'stop-only no-notify',
    );
    fc.assert(
      fc.property(
        fc.oneof(words, fc.string()),
        fc.integer({ min: T - 5 * 86_400_000, max: T + 5 * 86_400_000 }),
        (v, now) => {
          if (keepActive(v, now)) expect(optOut(v, now).delete).toBe(false);
          // Whatever stops nothing deletes nothing.
          const o = optOut(v, now);
          if (!o.stop) expect(o.delete).toBe(false);
        },
      ),
    );
  });
});

describe('Cleanup marks: TAG.lastAction after cleanup acted', () => {
  it('writes the minute, cleanup, the action and the reason as a valid tag value', () => {
    const value = formatCleanupAction(T, 'stop', "idle 4h since connected (Bob's session)");
    expect(value).toBe('2026-11-27T14:00Z cleanup stop idle 4h since connected Bob s session');
    expect(isTagValue(value)).toBe(true);
  });
});
