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

/**
 * Expected results read from Instance Scheduler's own tests and code (aws-solutions/
 * instance-scheduler-on-aws, source/app/tests/cron/test_cron_to_running_period.py and
 * source/app/instance_scheduler/cron/cron_to_running_period.py): April 2024 starts on a Monday and
 * ends on a Tuesday, April 2023 starts on a Saturday and ends on a Sunday, September 2024 starts
 * on a Sunday. Weekday numbers are 0 = Monday (Python's weekday()).
 */
describe('Instance Scheduler expressions: a table of matching days', () => {
  it.each<[string, 'weekdays' | 'monthdays', string, number[]]>([
    // Last weekday of the month (IS test_last_weekday_runs_on_expected_day, April 2024).
    ['monL', 'weekdays', '2024-04', [29]],
    ['1L', 'weekdays', '2024-04', [30]],
    ['WedL', 'weekdays', '2024-04', [24]],
    ['FRIL', 'weekdays', '2024-04', [26]],
    ['6L', 'weekdays', '2024-04', [28]],
    // nth weekday (IS test_nth_weekday_runs_on_expected_day, April 2024; September 2024).
    ['mon#1', 'weekdays', '2024-04', [1]],
    ['sun#1', 'weekdays', '2024-04', [7]],
    ['mon#5', 'weekdays', '2024-04', [29]],
    ['TUE#3', 'weekdays', '2024-04', [16]],
    ['Tue#5', 'weekdays', '2024-04', [30]],
    ['Thu#5', 'weekdays', '2024-04', []], // no fifth Thursday: never runs
    ['mon#1', 'weekdays', '2024-09', [2]],
    ['sun#2', 'weekdays', '2024-09', [8]],
    ['fri#3', 'weekdays', '2024-09', [20]],
    ['sat#4', 'weekdays', '2024-09', [28]],
    // Weekday ranges wrap (fri-mon); steps, also across the wrap: 4-2/2 = fri, sun, tue (IS
    // "5-4/2" → {5, 7, 2, 4} in a 1-7 domain: the step continues past the end from the start).
    ['fri-mon', 'weekdays', '2024-04', [1, 5, 6, 7, 8, 12, 13, 14, 15, 19, 20, 21, 22, 26, 27, 28, 29]],
    ['4-2/2', 'weekdays', '2024-04', [2, 5, 7, 9, 12, 14, 16, 19, 21, 23, 26, 28, 30]],
    ['mon-fri/2', 'weekdays', '2024-04', [1, 3, 5, 8, 10, 12, 15, 17, 19, 22, 24, 26, 29]],
    ['0/3', 'weekdays', '2024-04', [1, 4, 7, 8, 11, 14, 15, 18, 21, 22, 25, 28, 29]],
    ['sat,sun', 'weekdays', '2024-04', [6, 7, 13, 14, 20, 21, 27, 28]],
    // Nearest weekday within the month (IS test_nearest_weekday_runs_as_expected, April 2023).
    ['1W', 'monthdays', '2023-04', [3]], // Saturday 1st → Monday 3rd (not back into March)
    ['2W', 'monthdays', '2023-04', [3]],
    ['3W', 'monthdays', '2023-04', [3]],
    ['15W', 'monthdays', '2023-04', [14]],
    ['16W', 'monthdays', '2023-04', [17]],
    ['29W', 'monthdays', '2023-04', [28]],
    ['30W', 'monthdays', '2023-04', [28]], // Sunday last day → Friday 28th (not into May)
    // L, ranges to L, steps; a start past the month's end matches nothing (IS "8-L/2" → set()).
    ['L', 'monthdays', '2023-04', [30]],
    ['L', 'monthdays', '2024-02', [29]],
    ['1-L/10', 'monthdays', '2024-02', [1, 11, 21]],
    ['25-L', 'monthdays', '2023-04', [25, 26, 27, 28, 29, 30]],
    ['1,15,L', 'monthdays', '2023-04', [1, 15, 30]],
    ['10/7', 'monthdays', '2023-04', [10, 17, 24]],
    ['10/7', 'monthdays', '2023-05', [10, 17, 24, 31]],
    ['31', 'monthdays', '2023-04', []],
    ['31-L', 'monthdays', '2023-04', []],
    ['31-L', 'monthdays', '2023-05', [31]],
    ['1-7/2', 'monthdays', '2023-04', [1, 3, 5, 7]], // IS "1-7/2" → {1, 3, 5, 7}
    ['1-7/4', 'monthdays', '2023-04', [1, 5]], // IS "1-7/4" → {1, 5}
  ])('%s (%s) in %s', (expression, field, month, expected) => {
    expect(daysIn(expression, field, month)).toEqual(expected);
  });

  it.each<[string, number[]]>([
    ['*', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]],
    ['jan', [1]],
    ['nov-feb', [1, 2, 11, 12]], // wraps
    ['11-2/2', [1, 11]], // wraps with a step: 11, 13 → 1
    ['jan/3', [1, 4, 7, 10]],
    ['jun-aug', [6, 7, 8]],
    ['March,sep', [3, 9]],
  ])('months %s', (expression, expected) => {
    expect(monthsOf(expression)).toEqual(expected);
  });
});
