import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { ExpressionError, type Field, parseExpression } from '../../../lib/schedule/expressions';

/** The days of `month` (YYYY-MM) an expression matches. */
function daysIn(expression: string, field: Field, month: string): number[] {
  const matches = parseExpression(expression, field);
  const first = Temporal.PlainYearMonth.from(month).toPlainDate({ day: 1 });
  return Array.from({ length: first.daysInMonth }, (_, i) => first.add({ days: i }))
    .filter(matches)
    .map((d) => d.day);
}

/** The months of 2026 an expression matches. */
function monthsOf(expression: string): number[] {
  const matches = parseExpression(expression, 'months');
  return Array.from({ length: 12 }, (_, i) => i + 1).filter((m) =>
    matches(Temporal.PlainDate.from({ year: 2026, month: m, day: 1 })),
  );
}

// November 2026: Sunday the 1st; Mondays 2, 9, 16, 23, 30; Fridays 6, 13, 20, 27; Saturdays 7, 14, 21, 28.
const NOV = '2026-11';

describe('Schedule expressions: weekdays (Instance Scheduler semantics)', () => {
  it('matches ranges, lists and names, case-insensitively', () => {
    expect(daysIn('mon-fri', 'weekdays', NOV)).toEqual([
      2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 30,
    ]);
    expect(daysIn('Sat, SUNDAY', 'weekdays', NOV)).toEqual([1, 7, 8, 14, 15, 21, 22, 28, 29]);
  });

  it('allows spaces around items and range ends', () => {
    expect(daysIn(' mon - tue , sun ', 'weekdays', NOV).slice(0, 4)).toEqual([1, 2, 3, 8]);
  });

  it('numbers weekdays from 0 = Monday to 6 = Sunday, like Instance Scheduler', () => {
    expect(daysIn('0', 'weekdays', NOV)).toEqual([2, 9, 16, 23, 30]);
    expect(daysIn('6', 'weekdays', NOV)).toEqual([1, 8, 15, 22, 29]);
    expect(() => parseExpression('7', 'weekdays')).toThrow(/'7' is outside 0-6/);
  });

  it('wraps a range past Sunday (fri-mon) and takes steps', () => {
    expect(daysIn('fri-mon', 'weekdays', NOV).slice(0, 5)).toEqual([1, 2, 6, 7, 8]);
    expect(daysIn('mon-sun/2', 'weekdays', NOV).slice(0, 4)).toEqual([1, 2, 4, 6]); // mon, wed, fri, sun
  });

  it('sat#1 is the first Saturday, friL the last Friday of the month', () => {
    expect(daysIn('sat#1', 'weekdays', NOV)).toEqual([7]);
    expect(daysIn('mon#5', 'weekdays', NOV)).toEqual([30]);
    expect(daysIn('fri#5', 'weekdays', NOV)).toEqual([]);
    expect(daysIn('friL', 'weekdays', NOV)).toEqual([27]);
    expect(daysIn('sunL', 'weekdays', NOV)).toEqual([29]);
  });

  it('a lone L is the last day of the week (Sunday)', () => {
    expect(daysIn('L', 'weekdays', NOV)).toEqual([1, 8, 15, 22, 29]);
  });
});

describe('Schedule expressions: monthdays', () => {
  it('matches days, ranges, lists and steps (1/7 = 1, 8, 15, 22, 29)', () => {
    expect(daysIn('1-3,15', 'monthdays', NOV)).toEqual([1, 2, 3, 15]);
    expect(daysIn('1/7', 'monthdays', NOV)).toEqual([1, 8, 15, 22, 29]);
    expect(daysIn('10-20/5', 'monthdays', NOV)).toEqual([10, 15, 20]);
  });

  it('L is the last day of each month, leap years included', () => {
    expect(daysIn('L', 'monthdays', '2026-02')).toEqual([28]);
    expect(daysIn('L', 'monthdays', '2028-02')).toEqual([29]);
    expect(daysIn('28-L', 'monthdays', '2026-04')).toEqual([28, 29, 30]);
  });

  it('a day a month does not have never matches (30 in February, 30-L)', () => {
    expect(daysIn('30', 'monthdays', '2026-02')).toEqual([]);
    expect(daysIn('30-L', 'monthdays', '2026-02')).toEqual([]);
  });

  it('15W is the weekday nearest the 15th, staying in the month', () => {
    expect(daysIn('15W', 'monthdays', NOV)).toEqual([16]); // Sunday 15th → Monday 16th
    expect(daysIn('14W', 'monthdays', NOV)).toEqual([13]); // Saturday 14th → Friday 13th
    expect(daysIn('1W', 'monthdays', '2026-08')).toEqual([3]); // Saturday 1st → Monday 3rd
    expect(daysIn('31W', 'monthdays', '2026-05')).toEqual([29]); // Sunday 31st → Friday 29th
    expect(daysIn('10W', 'monthdays', NOV)).toEqual([10]);
  });

  it('rejects a wrapping monthday range and weekday-only forms', () => {
    expect(() => parseExpression('20-5', 'monthdays')).toThrow(/can't wrap/);
    expect(() => parseExpression('mon#1', 'monthdays')).toThrow(ExpressionError);
    expect(() => parseExpression('32', 'monthdays')).toThrow(/'32' is outside 1-31/);
  });
});

describe('Schedule expressions: months', () => {
  it('matches names, numbers, ranges, wrapping ranges and steps', () => {
    expect(monthsOf('jan-mar')).toEqual([1, 2, 3]);
    expect(monthsOf('6,December')).toEqual([6, 12]);
    expect(monthsOf('nov-feb')).toEqual([1, 2, 11, 12]);
    expect(monthsOf('1/3')).toEqual([1, 4, 7, 10]);
    expect(monthsOf('11-2/2')).toEqual([1, 11]); // 11, then 13 → 1, then 3 is past the end
  });

  it('rejects L and an unknown month, naming the token', () => {
    expect(() => parseExpression('L', 'months')).toThrow(/'L' is not allowed in months/);
    expect(() => parseExpression('jan-foo', 'months')).toThrow(/unknown months value 'foo' \(in 'jan-foo'\)/);
  });
});

describe('Schedule expressions: syntax errors name the token', () => {
  it.each([
    ['mon-frx', 'weekdays', /'frx'/],
    ['mon,,fri', 'weekdays', /empty item/],
    ['sat#6', 'weekdays', /sat#6.*1 to 5/],
    ['', 'weekdays', /empty weekdays expression/],
    ['1/0', 'monthdays', /step '\/0'/],
  ] as const)('%s in %s', (expression, field, message) => {
    expect(() => parseExpression(expression, field)).toThrow(message);
  });

  it('* and ? match every day', () => {
    expect(daysIn('*', 'weekdays', NOV)).toHaveLength(30);
    expect(daysIn('?', 'monthdays', NOV)).toHaveLength(30);
  });
});
