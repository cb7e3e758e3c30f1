import { describe, expect, it } from 'vitest';
import { formatLastAction, parseLastAction, sameScheduleValue } from '../../../lib/schedule/last-action';
import { isTagValue } from '../../../lib/tags';

const AT = Date.parse('2026-12-31T23:00:30Z');

describe('Fleet schedule: last-action tag', () => {
  it('writes `<UTC minute> <action> <after>/<wanted> <reason>` within the tag charset', () => {
    const value = formatLastAction({
      at: AT,
      action: 'resize',
      after: 11,
      wanted: 20,
      reason: "holiday New Year's Day",
    });
    expect(value).toBe('2026-12-31T23:00Z resize 11/20 holiday New Year s Day');
    expect(isTagValue(value)).toBe(true);
  });

  it('reads back what it wrote, and compares with the sanitised reason', () => {
    const value = formatLastAction({
      at: AT,
      action: 'set-min-max',
      after: 5,
      wanted: 10,
      reason: "New Year's",
    });
    const last = parseLastAction(value);
    expect(last).toEqual({
      at: '2026-12-31T23:00Z',
      action: 'set-min-max',
      after: 5,
      wanted: 10,
      reason: 'New Year s',
    });
    expect(sameScheduleValue(last, 10, "New Year's")).toBe(true);
    expect(sameScheduleValue(last, 11, "New Year's")).toBe(false);
    expect(sameScheduleValue(last, 10, 'default')).toBe(false);
  });

  it('ignores values it did not write (a person edited the tag)', () => {
    expect(parseLastAction(undefined)).toBeUndefined();
    expect(parseLastAction('stopped by Bob')).toBeUndefined();
    expect(sameScheduleValue(undefined, 0, 'default')).toBe(false);
  });
});
