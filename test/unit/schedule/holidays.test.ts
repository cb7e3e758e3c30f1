import { describe, expect, it } from 'vitest';
import { calendarHolidays, calendarProblem, localDates } from '../../../lib/schedule/holidays';

describe('Holiday calendars (date-holidays)', () => {
  it('lists the public holidays of Berlin with English names', () => {
    const names = calendarHolidays('DE-BE', 2026).map((h) => `${h.date} ${h.name}`);
    expect(names).toContain("2026-01-01 New Year's Day");
    expect(names).toContain('2026-12-25 Christmas Day');
    expect(names).toContain('2026-12-26 Boxing Day');
    expect(names).toContain("2026-03-08 International Women's Day"); // Berlin only
    expect(names).not.toContain('2026-12-24 Christmas Eve'); // a bank holiday, not public
  });

  it('takes other types on request, dated by their local date', () => {
    const bank = calendarHolidays('DE-BE', 2026, ['bank']);
    expect(bank).toContainEqual({ date: '2026-12-24', name: 'Christmas Eve', type: 'bank' });
  });

  it('knows states and regions by COUNTRY-STATE-REGION, case-insensitively', () => {
    expect(calendarHolidays('de-by', 2026).some((h) => h.name === 'Epiphany')).toBe(true);
    expect(calendarHolidays('DE-BE', 2026).some((h) => h.name === 'Epiphany')).toBe(false);
    expect(calendarHolidays('US', 2026).map((h) => h.date)).toContain('2026-07-03'); // Independence Day observed
    expect(calendarProblem('DE-BY-A')).toBeUndefined();
  });

  it('returns the cached list for the same calendar, types and year', () => {
    expect(calendarHolidays('GB-ENG', 2027)).toBe(calendarHolidays('GB-ENG', 2027));
  });

  it.each([
    ['XX', /unknown country 'XX'/],
    ['DE-XX', /unknown state 'XX' of DE/],
    ['DE-BY-ZZ', /unknown region 'ZZ' of DE-BY/],
    ['Germany', /COUNTRY\[-STATE\[-REGION\]\]/],
  ])('names what is wrong with %s', (calendar, message) => {
    expect(calendarProblem(calendar)).toMatch(message);
  });

  it('counts a multi-day holiday on every local date it covers', () => {
    // date-holidays reports AE Eid al-Fitr 2026 once (2026-03-20, a three-day span) and AM New
    // Year once (2026-01-01, two days): each of their days is a holiday.
    const ae = calendarHolidays('AE', 2026).filter((h) => h.name.includes('Eid al-Fitr'));
    expect(ae.map((h) => h.date)).toEqual(['2026-03-20', '2026-03-21', '2026-03-22']);
    const am = calendarHolidays('AM', 2026).filter((h) => h.name === "New Year's Day");
    expect(am.map((h) => h.date)).toEqual(['2026-01-01', '2026-01-02']);
  });

  it('expands a span across the year boundary into both years', () => {
    const span = localDates(
      '2025-12-31 00:00:00',
      new Date('2025-12-30T20:00Z'),
      new Date('2026-01-02T20:00Z'),
    );
    expect(span).toEqual(['2025-12-31', '2026-01-01', '2026-01-02']);
    // An afternoon holiday (10 hours) is still its one date.
    expect(
      localDates('2026-12-24 14:00:00', new Date('2026-12-24T13:00Z'), new Date('2026-12-24T23:00Z')),
    ).toEqual(['2026-12-24']);
  });
});
