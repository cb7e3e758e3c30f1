import { describe, expect, it } from 'vitest';
import { type Schedule, validateScheduleFile } from '../../../lib/schedule/config';
import { capacityAt, changePoints } from '../../../lib/schedule/engine';

/** A validated schedule (defaults applied) in `timezone` with default 2. */
function schedule(timezone: string, periods: unknown[], holidays: unknown[] = []): Schedule {
  return validateScheduleFile({ schedules: { s: { timezone, default: 2, periods, holidays } } }).schedules.s;
}
const t = (iso: string) => Date.parse(iso);
const capacity = (s: Schedule, iso: string) => capacityAt(s, t(iso)).capacity;
const reason = (s: Schedule, iso: string) => capacityAt(s, t(iso)).reason;
/** changePoints rendered as [UTC ISO, capacity, reason]. */
const changes = (s: Schedule, from: string, to: string, override?: { capacity: number; until: number }) =>
  changePoints(s, t(from), t(to), override).map((c) => [new Date(c.at).toISOString(), c.capacity, c.reason]);

const WORKDAY = { name: 'workday', weekdays: 'mon-fri', begin: '07:30', end: '18:00', capacity: 20 };

describe('Schedule engine: period boundaries are [begin, end) in the local zone', () => {
  // Tuesday 2026-11-24, Berlin is UTC+1: 07:30 local = 06:30Z, 18:00 local = 17:00Z.
  const s = schedule('Europe/Berlin', [WORKDAY]);

  it('is the default until the last millisecond before begin, the period from begin on', () => {
    expect(capacityAt(s, t('2026-11-24T06:29:59.999Z'))).toEqual({ capacity: 2, reason: 'default' });
    expect(capacityAt(s, t('2026-11-24T06:30:00.000Z'))).toEqual({ capacity: 20, reason: 'period workday' });
  });

  it('ends exclusively at end', () => {
    expect(capacity(s, '2026-11-24T16:59:59.999Z')).toBe(20);
    expect(capacity(s, '2026-11-24T17:00:00.000Z')).toBe(2);
  });

  it('matches weekdays on the local date, not the UTC one', () => {
    // Saturday 00:30 in Berlin is still Friday 23:30 UTC.
    const late = schedule('Europe/Berlin', [{ name: 'sat', weekdays: 'sat', capacity: 7 }]);
    expect(capacity(late, '2026-11-27T23:30:00Z')).toBe(7);
    expect(capacity(late, '2026-11-27T22:59:59.999Z')).toBe(2);
  });

  it('applies a whole-day period (no begin/end) from 00:00 to 24:00', () => {
    const day = schedule('Europe/Berlin', [{ name: 'sunday', weekdays: 'sun', capacity: 1 }]);
    expect(changes(day, '2026-11-28T00:00Z', '2026-11-30T00:00Z')).toEqual([
      ['2026-11-28T00:00:00.000Z', 2, 'default'],
      ['2026-11-28T23:00:00.000Z', 1, 'period sunday'],
      ['2026-11-29T23:00:00.000Z', 2, 'default'],
    ]);
  });
});

describe('Schedule engine: overnight periods belong to the day they begin', () => {
  const s = schedule('Europe/Berlin', [
    { name: 'night', weekdays: 'fri', begin: '22:00', end: '06:00', capacity: 3 },
  ]);

  it('runs from Friday 22:00 to Saturday 06:00 (weekday matched on Friday)', () => {
    expect(capacity(s, '2026-11-27T20:59:59.999Z')).toBe(2); // Fri 21:59:59.999
    expect(capacity(s, '2026-11-27T21:00:00Z')).toBe(3); // Fri 22:00
    expect(capacity(s, '2026-11-28T04:59:59.999Z')).toBe(3); // Sat 05:59:59.999
    expect(capacity(s, '2026-11-28T05:00:00Z')).toBe(2); // Sat 06:00
  });

  it('does not run on the night a Saturday begins, nor in the early hours of Friday', () => {
    expect(capacity(s, '2026-11-28T21:30:00Z')).toBe(2); // Sat 22:30
    expect(capacity(s, '2026-11-27T01:00:00Z')).toBe(2); // Fri 02:00 (Thursday's night)
  });

  it('with a monthday: the month-end night continues into the 1st', () => {
    const end = schedule('Europe/Berlin', [
      { name: 'close', monthdays: 'L', begin: '20:00', end: '02:00', capacity: 9 },
    ]);
    expect(capacity(end, '2026-12-01T00:30:00Z')).toBe(9); // 1 Dec 01:30, began 30 Nov
    expect(capacity(end, '2026-12-01T19:30:00Z')).toBe(2); // 1 Dec 20:30 is not the last day
  });
});

describe('Schedule engine: overlapping periods', () => {
  it('the largest capacity wins, whatever the order', () => {
    const s = schedule('Europe/Berlin', [
      WORKDAY,
      { name: 'peak', weekdays: 'mon', begin: '08:00', end: '10:00', capacity: 30 },
      { name: 'quiet', weekdays: 'mon', begin: '09:00', end: '11:00', capacity: 5 },
    ]);
    expect(changes(s, '2026-11-23T06:00Z', '2026-11-23T18:00Z')).toEqual([
      ['2026-11-23T06:00:00.000Z', 2, 'default'],
      ['2026-11-23T06:30:00.000Z', 20, 'period workday'],
      ['2026-11-23T07:00:00.000Z', 30, 'period peak'],
      ['2026-11-23T09:00:00.000Z', 20, 'period workday'], // quiet (5) loses to workday (20)
      ['2026-11-23T17:00:00.000Z', 2, 'default'],
    ]);
  });

  it('a tie goes to the period listed first', () => {
    const s = schedule('Europe/Berlin', [
      { name: 'first', begin: '08:00', end: '12:00', capacity: 10 },
      { name: 'second', begin: '09:00', end: '13:00', capacity: 10 },
    ]);
    expect(changes(s, '2026-11-23T06:00Z', '2026-11-23T13:00Z')).toEqual([
      ['2026-11-23T06:00:00.000Z', 2, 'default'],
      ['2026-11-23T07:00:00.000Z', 10, 'period first'],
      ['2026-11-23T11:00:00.000Z', 10, 'period second'], // same capacity, new reason: a change
      ['2026-11-23T12:00:00.000Z', 2, 'default'],
    ]);
  });

  it('a period below the default still applies (the default is for outside every period)', () => {
    const s = schedule('Europe/Berlin', [{ name: 'night', begin: '00:00', end: '05:00', capacity: 0 }]);
    expect(capacityAt(s, t('2026-11-23T01:00Z'))).toEqual({ capacity: 0, reason: 'period night' });
  });

  it('carries the winning period’s minCapacity/maxCapacity', () => {
    const s = schedule('Europe/Berlin', [{ ...WORKDAY, minCapacity: 5, maxCapacity: 40 }]);
    expect(capacityAt(s, t('2026-11-24T10:00Z'))).toEqual({
      capacity: 20,
      reason: 'period workday',
      minCapacity: 5,
      maxCapacity: 40,
    });
    expect(capacityAt(s, t('2026-11-24T20:00Z'))).toEqual({ capacity: 2, reason: 'default' });
  });
});

describe('Schedule engine: holidays replace their whole local date', () => {
  const NIGHT = { name: 'night', begin: '22:00', end: '06:00', capacity: 3 };
  const s = schedule(
    'Europe/Berlin',
    [WORKDAY, NIGHT],
    [{ date: '2026-12-24', capacity: 0, name: 'Christmas Eve' }],
  );

  it('from 00:00 to 24:00 local, cutting the night before at midnight', () => {
    expect(changes(s, '2026-12-23T20:00Z', '2026-12-25T06:00Z')).toEqual([
      ['2026-12-23T20:00:00.000Z', 2, 'default'],
      ['2026-12-23T21:00:00.000Z', 3, 'period night'],
      ['2026-12-23T23:00:00.000Z', 0, 'holiday Christmas Eve'], // midnight Berlin
      ['2026-12-24T23:00:00.000Z', 2, 'default'], // the holiday's own night doesn't start
    ]);
  });

  it('periods belonging to the holiday do not run after its midnight either', () => {
    expect(capacityAt(s, t('2026-12-25T01:00Z'))).toEqual({ capacity: 2, reason: 'default' });
    expect(capacityAt(s, t('2026-12-25T21:00Z'))).toEqual({ capacity: 3, reason: 'period night' });
  });

  it('an overnight period beginning on a holiday does not run after midnight (our rule; hard-coded instants)', () => {
    // Friday 2026-05-01 is a holiday; the Friday night shift (22:00-06:00, Berlin UTC+2) would
    // run until Saturday 06:00 = 04:00Z. It doesn't start at all: Saturday 00:00-06:00 is default.
    const FRIDAY_NIGHT = { name: 'friday-night', weekdays: 'fri', begin: '22:00', end: '06:00', capacity: 7 };
    const may = schedule(
      'Europe/Berlin',
      [FRIDAY_NIGHT],
      [{ date: '2026-05-01', capacity: 1, name: 'May Day' }],
    );
    expect(capacityAt(may, t('2026-05-01T20:30Z'))).toEqual({ capacity: 1, reason: 'holiday May Day' });
    expect(capacityAt(may, t('2026-05-01T22:00Z'))).toEqual({ capacity: 2, reason: 'default' }); // Sat 00:00
    expect(capacityAt(may, t('2026-05-02T03:59Z'))).toEqual({ capacity: 2, reason: 'default' }); // Sat 05:59
    // The next Friday (no holiday) runs into Saturday as usual.
    expect(capacityAt(may, t('2026-05-08T22:00Z'))).toEqual({ capacity: 7, reason: 'period friday-night' });
  });

  it('a multi-day library holiday covers each of its days (AE Eid al-Fitr 20-22 Mar 2026)', () => {
    const dubai = schedule('Asia/Dubai', [WORKDAY], [{ calendar: 'AE', capacity: 0 }]);
    // Mon 23 Mar is a working day again; Sat 21 and Sun 22 are the 2nd and 3rd days of Eid.
    expect(reason(dubai, '2026-03-20T06:00Z')).toMatch(/^holiday .*Eid al-Fitr/);
    expect(reason(dubai, '2026-03-21T06:00Z')).toMatch(/^holiday .*Eid al-Fitr/);
    expect(reason(dubai, '2026-03-22T06:00Z')).toMatch(/^holiday .*Eid al-Fitr/);
    expect(reason(dubai, '2026-03-23T06:00Z')).toBe('period workday');
    const yerevan = schedule('Asia/Yerevan', [WORKDAY], [{ calendar: 'AM', capacity: 0 }]);
    expect(reason(yerevan, '2026-01-02T06:00Z')).toBe("holiday New Year's Day"); // Friday, 2nd day
  });

  it('several holidays on one date: the largest capacity wins', () => {
    const both = schedule(
      'Europe/Berlin',
      [],
      [
        { calendar: 'DE-BE', capacity: 0 },
        { date: '2026-12-25', capacity: 4, name: 'skeleton crew' },
      ],
    );
    expect(reason(both, '2026-12-25T10:00Z')).toBe('holiday skeleton crew');
  });

  it('names DE-BE public holidays in English (Christmas Day, New Year’s Day)', () => {
    const berlin = schedule('Europe/Berlin', [WORKDAY], [{ calendar: 'DE-BE', capacity: 0 }]);
    expect(capacityAt(berlin, t('2026-12-25T10:00Z'))).toEqual({
      capacity: 0,
      reason: 'holiday Christmas Day',
    });
    expect(capacityAt(berlin, t('2027-01-01T10:00Z'))).toEqual({
      capacity: 0,
      reason: "holiday New Year's Day",
    });
    // Christmas Eve is only a bank holiday (from 14:00) in the library: not public.
    expect(reason(berlin, '2026-12-24T10:00Z')).toBe('period workday');
  });

  it('a holiday on a 23-hour day (spring forward) lasts 23 hours', () => {
    const dst = schedule('Europe/Berlin', [], [{ date: '2026-03-29', capacity: 0, name: 'Test' }]);
    expect(changes(dst, '2026-03-28T12:00Z', '2026-03-30T12:00Z')).toEqual([
      ['2026-03-28T12:00:00.000Z', 2, 'default'],
      ['2026-03-28T23:00:00.000Z', 0, 'holiday Test'],
      ['2026-03-29T22:00:00.000Z', 2, 'default'],
    ]);
  });
});

describe('Schedule engine: DST — a skipped local time takes effect after the gap, a repeated one at its first occurrence', () => {
  it('Europe/Berlin spring forward (02:00 → 03:00 on 29 Mar 2026): 02:30 means 03:00 CEST', () => {
    const s = schedule('Europe/Berlin', [{ name: 'p', begin: '02:30', end: '04:00', capacity: 9 }]);
    expect(capacity(s, '2026-03-29T00:59:59.999Z')).toBe(2); // 01:59:59.999 CET
    expect(capacity(s, '2026-03-29T01:00:00Z')).toBe(9); // 03:00 CEST, the first instant after the gap
    expect(capacity(s, '2026-03-29T01:59:59.999Z')).toBe(9);
    expect(capacity(s, '2026-03-29T02:00:00Z')).toBe(2); // 04:00 CEST
  });

  it('Europe/Berlin: a period ending in the gap ends when the gap ends', () => {
    const s = schedule('Europe/Berlin', [{ name: 'p', begin: '01:00', end: '02:30', capacity: 9 }]);
    expect(changes(s, '2026-03-28T23:00Z', '2026-03-29T03:00Z')).toEqual([
      ['2026-03-28T23:00:00.000Z', 2, 'default'],
      ['2026-03-29T00:00:00.000Z', 9, 'period p'],
      ['2026-03-29T01:00:00.000Z', 2, 'default'],
    ]);
  });

  it('Europe/Berlin fall back (03:00 → 02:00 on 25 Oct 2026): 02:30 means the first 02:30 (CEST)', () => {
    const s = schedule('Europe/Berlin', [{ name: 'p', begin: '01:00', end: '02:30', capacity: 9 }]);
    expect(changes(s, '2026-10-24T22:00Z', '2026-10-25T03:00Z')).toEqual([
      ['2026-10-24T22:00:00.000Z', 2, 'default'],
      ['2026-10-24T23:00:00.000Z', 9, 'period p'], // 01:00 CEST
      ['2026-10-25T00:30:00.000Z', 2, 'default'], // first 02:30 (CEST); the second pass stays default
    ]);
    const later = schedule('Europe/Berlin', [{ name: 'p', begin: '02:30', end: '05:00', capacity: 9 }]);
    expect(capacity(later, '2026-10-25T00:29:59.999Z')).toBe(2);
    expect(capacity(later, '2026-10-25T00:30:00Z')).toBe(9);
  });

  it('America/New_York (8 Mar and 1 Nov 2026)', () => {
    const s = schedule('America/New_York', [{ name: 'p', begin: '02:30', end: '06:00', capacity: 9 }]);
    expect(capacity(s, '2026-03-08T06:59:59.999Z')).toBe(2); // 01:59:59.999 EST
    expect(capacity(s, '2026-03-08T07:00:00Z')).toBe(9); // 03:00 EDT
    const fall = schedule('America/New_York', [{ name: 'p', begin: '01:30', end: '06:00', capacity: 9 }]);
    expect(capacity(fall, '2026-11-01T05:29:59.999Z')).toBe(2);
    expect(capacity(fall, '2026-11-01T05:30:00Z')).toBe(9); // first 01:30 (EDT, -04:00)
  });

  it('Australia/Sydney, southern hemisphere (back 5 Apr, forward 4 Oct 2026)', () => {
    const s = schedule('Australia/Sydney', [{ name: 'p', begin: '02:30', end: '06:00', capacity: 9 }]);
    expect(capacity(s, '2026-10-03T15:59:59.999Z')).toBe(2); // 01:59:59.999 AEST
    expect(capacity(s, '2026-10-03T16:00:00Z')).toBe(9); // 03:00 AEDT
    expect(capacity(s, '2026-04-04T15:29:59.999Z')).toBe(2);
    expect(capacity(s, '2026-04-04T15:30:00Z')).toBe(9); // first 02:30 (AEDT, +11:00)
  });

  it('Australia/Adelaide, half-hour offsets with DST (+10:30 / +9:30)', () => {
    const s = schedule('Australia/Adelaide', [{ name: 'p', begin: '02:30', end: '06:00', capacity: 9 }]);
    expect(capacity(s, '2026-10-03T16:29:59.999Z')).toBe(2); // 01:59:59.999 ACST (+09:30)
    expect(capacity(s, '2026-10-03T16:30:00Z')).toBe(9); // 03:00 ACDT (+10:30)
    expect(capacity(s, '2026-04-04T15:59:59.999Z')).toBe(2);
    expect(capacity(s, '2026-04-04T16:00:00Z')).toBe(9); // first 02:30 (ACDT)
    expect(capacity(s, '2026-04-04T20:29:59.999Z')).toBe(9); // 05:59:59.999 ACST
    expect(capacity(s, '2026-04-04T20:30:00Z')).toBe(2); // 06:00 ACST (+09:30)
  });

  it('Asia/Kolkata, a half-hour offset without DST: 07:30 is always 02:00Z', () => {
    const s = schedule('Asia/Kolkata', [WORKDAY]);
    for (const day of ['2026-01-05', '2026-03-30', '2026-07-06', '2026-11-02']) {
      expect(capacity(s, `${day}T01:59:59.999Z`)).toBe(2);
      expect(capacity(s, `${day}T02:00:00Z`)).toBe(20);
      expect(capacity(s, `${day}T12:29:59.999Z`)).toBe(20);
      expect(capacity(s, `${day}T12:30:00Z`)).toBe(2);
    }
  });

  it('Asia/Tokyo, no DST: the same UTC instants all year', () => {
    const s = schedule('Asia/Tokyo', [WORKDAY]);
    for (const [sunday, monday] of [
      ['2026-03-08', '2026-03-09'],
      ['2026-11-01', '2026-11-02'],
    ])
      expect(changes(s, `${sunday}T12:00Z`, `${monday}T12:00Z`)).toEqual([
        [`${sunday}T12:00:00.000Z`, 2, 'default'],
        [`${sunday}T22:30:00.000Z`, 20, 'period workday'], // Monday 07:30 JST
        [`${monday}T09:00:00.000Z`, 2, 'default'],
      ]);
  });
});

describe('Schedule engine: overrides', () => {
  const s = schedule('Europe/Berlin', [WORKDAY]);
  const override = { capacity: 50, until: t('2026-11-24T12:00Z') };

  it('replace everything while until is after the instant, and expire at until', () => {
    expect(capacityAt(s, t('2026-11-24T11:59:59.999Z'), override)).toEqual({
      capacity: 50,
      reason: 'override',
    });
    expect(capacityAt(s, t('2026-11-24T12:00:00Z'), override)).toEqual({
      capacity: 20,
      reason: 'period workday',
    });
  });

  it('an expired override is ignored', () => {
    expect(capacityAt(s, t('2026-11-25T10:00Z'), override)).toEqual({
      capacity: 20,
      reason: 'period workday',
    });
  });

  it('show in change points until they expire', () => {
    expect(changes(s, '2026-11-24T00:00Z', '2026-11-25T00:00Z', override)).toEqual([
      ['2026-11-24T00:00:00.000Z', 50, 'override'],
      ['2026-11-24T12:00:00.000Z', 20, 'period workday'],
      ['2026-11-24T17:00:00.000Z', 2, 'default'],
    ]);
  });
});

describe('Schedule engine: changePoints', () => {
  const s = schedule('Europe/Berlin', [WORKDAY], [{ calendar: 'DE-BE', capacity: 0 }]);

  it('starts with the value in force at from, then lists only changes, sorted, within [from, to)', () => {
    const list = changePoints(s, t('2026-11-24T10:00Z'), t('2026-12-01T10:00Z'));
    expect(list[0]).toEqual({ at: t('2026-11-24T10:00Z'), capacity: 20, reason: 'period workday' });
    for (let i = 1; i < list.length; i++) {
      expect(list[i].at).toBeGreaterThan(list[i - 1].at);
      expect(list[i].at).toBeLessThan(t('2026-12-01T10:00Z'));
      expect([list[i].capacity, list[i].reason]).not.toEqual([list[i - 1].capacity, list[i - 1].reason]);
    }
    expect(list).toHaveLength(1 + 2 * 5); // Tue..Fri, Mon..Tue: 5 ends and 5 begins
  });

  it('agrees with capacityAt just before and at each change', () => {
    const list = changePoints(s, t('2026-12-20T00:00Z'), t('2027-01-10T00:00Z'));
    for (const c of list) {
      expect(capacityAt(s, c.at)).toEqual({ capacity: c.capacity, reason: c.reason });
      if (c.at > list[0].at) expect(capacityAt(s, c.at - 1).reason).not.toBe(c.reason);
    }
  });

  it('is empty for an empty range', () => {
    expect(changePoints(s, t('2026-11-24T10:00Z'), t('2026-11-24T10:00Z'))).toEqual([]);
  });
});
