import { describe, expect, it } from 'vitest';
import { calendarHolidays, calendarProblem } from '../../../lib/schedule/holidays';

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
});
