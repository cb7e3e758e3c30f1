import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors';
import { loadScheduleFile, parseScheduleFile, validateScheduleFile } from '../../../lib/schedule/config';
import { TAG } from '../../../lib/tags';

const ISSUE_EXAMPLE = `
schedules:
  office-hours:
    timezone: Europe/Berlin
    default: 2
    periods:
      - name: workday
        weekdays: mon-fri
        begin: "07:30"
        end: "18:00"
        capacity: 20
      - { name: month-end, monthdays: "L", begin: "18:00", end: "22:00", capacity: 8 }
    holidays:
      - { date: 2026-12-24, capacity: 0, name: Christmas Eve }
      - { calendar: DE-BE, capacity: 0 }
fleets:
  - { name: finance, schedule: office-hours, stopWhenZero: true }
  - { tag: autopilot:schedule }
`;

/** A file with one schedule `s` whose fields are `schedule` and fleets `fleets`. */
function file(schedule: Record<string, unknown>, fleets: unknown[] = []) {
  return { schedules: { s: { timezone: 'Europe/Berlin', default: 1, ...schedule } }, fleets };
}

/** The ConfigError message validating `value` throws. */
function errorOf(value: unknown): string {
  try {
    validateScheduleFile(value, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).name).toBe('ConfigError');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Schedule file: the issue example', () => {
  it('parses with defaults: enforced, not forced, no stop at zero, 15 minutes lead', () => {
    const parsed = parseScheduleFile(ISSUE_EXAMPLE);
    const s = parsed.schedules['office-hours'];
    expect(s.enforced).toBe(true);
    expect(s.force).toBe(false);
    expect(s.holidays).toEqual([
      { date: '2026-12-24', capacity: 0, name: 'Christmas Eve' },
      { calendar: 'DE-BE', capacity: 0 },
    ]);
    expect(parsed.fleets).toEqual([
      { name: 'finance', schedule: 'office-hours', stopWhenZero: true, startLeadMinutes: 15 },
      { tag: TAG.schedule, stopWhenZero: false, startLeadMinutes: 15 },
    ]);
  });

  it('loads examples/schedules.yaml, whose fleets have plain names', () => {
    const parsed = loadScheduleFile('examples/schedules.yaml');
    expect(Object.keys(parsed.schedules)).toContain('office-hours');
    for (const f of parsed.fleets) if ('name' in f) expect(f.name).toMatch(/^[a-z][a-z0-9-]*$/);
    const periods = Object.values(parsed.schedules).flatMap((s) => s.periods);
    expect(periods.some((p) => p.months && p.minCapacity !== undefined && p.maxCapacity !== undefined)).toBe(
      true,
    );
    expect(periods.some((p) => p.begin && p.end && p.end < p.begin)).toBe(true); // an overnight period
  });

  it('reads a file from disk and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedules-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, ISSUE_EXAMPLE.replace('Europe/Berlin', 'Europe/Berlim'));
    expect(() => loadScheduleFile(path)).toThrow(
      `${path}: schedules.office-hours.timezone: must be an IANA time zone`,
    );
    expect(() => loadScheduleFile(join(dir, 'missing.yaml'))).toThrow(ConfigError);
  });

  it('reports YAML syntax errors as ConfigError with the source', () => {
    expect(() => parseScheduleFile('schedules: [', 'x.yaml')).toThrow(/^x\.yaml: /);
  });
});

describe('Schedule file: errors name the field', () => {
  it.each([
    [
      'a bad begin',
      { periods: [{ name: 'p', begin: '7:30', capacity: 1 }] },
      'schedules.s.periods[0].begin: must be HH:MM between 00:00 and 23:59',
    ],
    [
      'begin 24:00',
      { periods: [{ name: 'p', begin: '24:00', capacity: 1 }] },
      'schedules.s.periods[0].begin: must be HH:MM',
    ],
    [
      'end 24:30',
      { periods: [{ name: 'p', end: '24:30', capacity: 1 }] },
      'schedules.s.periods[0].end: must be HH:MM between 00:00 and 24:00',
    ],
    [
      'end equal to begin',
      { periods: [{ name: 'p', begin: '08:00', end: '08:00', capacity: 1 }] },
      'schedules.s.periods[0].end: must differ from begin',
    ],
    [
      'a negative capacity',
      { periods: [{ name: 'p', capacity: -1 }] },
      'schedules.s.periods[0].capacity: Too small',
    ],
    ['a fractional default', { default: 1.5 }, 'schedules.s.default: must be a whole number'],
    ['a capacity past the sane maximum', { default: 100000 }, 'schedules.s.default: Too big'],
    [
      'minCapacity above maxCapacity',
      { periods: [{ name: 'p', capacity: 5, minCapacity: 6, maxCapacity: 4 }] },
      'schedules.s.periods[0].minCapacity: must not exceed maxCapacity',
    ],
    [
      'capacity outside min/max',
      { periods: [{ name: 'p', capacity: 50, minCapacity: 1, maxCapacity: 40 }] },
      'schedules.s.periods[0].capacity: must not exceed maxCapacity',
    ],
    [
      'a bad weekday token',
      { periods: [{ name: 'p', weekdays: 'mon-frx', capacity: 1 }] },
      "schedules.s.periods[0].weekdays: unknown weekdays value 'frx' (in 'mon-frx')",
    ],
    [
      'a bad months token',
      { periods: [{ name: 'p', months: 'jan,foo', capacity: 1 }] },
      "schedules.s.periods[0].months: unknown months value 'foo'",
    ],
    ['an unknown zone', { timezone: 'Mars/Olympus' }, 'schedules.s.timezone: must be an IANA time zone'],
    [
      'an offset instead of a zone',
      { timezone: '+02:00' },
      'schedules.s.timezone: must be an IANA time zone',
    ],
    [
      'an unknown period key',
      { periods: [{ name: 'p', capacity: 1, begins: '08:00' }] },
      'schedules.s.periods[0]: Unrecognized key: "begins"',
    ],
    ['an unknown schedule key', { enforce: false }, 'schedules.s: Unrecognized key: "enforce"'],
    [
      'a duplicate period name',
      {
        periods: [
          { name: 'p', capacity: 1 },
          { name: 'p', capacity: 2 },
        ],
      },
      "schedules.s.periods[1].name: duplicate period 'p'",
    ],
    [
      'a bad holiday date',
      { holidays: [{ date: '2026-02-30', capacity: 0 }] },
      'schedules.s.holidays[0].date: must be a date YYYY-MM-DD',
    ],
    [
      'an unknown calendar',
      { holidays: [{ calendar: 'XX', capacity: 0 }] },
      "schedules.s.holidays[0].calendar: unknown country 'XX'",
    ],
    [
      'an unknown state',
      { holidays: [{ calendar: 'DE-XX', capacity: 0 }] },
      "schedules.s.holidays[0].calendar: unknown state 'XX' of DE",
    ],
    [
      'an unknown holiday type',
      { holidays: [{ calendar: 'DE-BE', capacity: 0, types: ['fun'] }] },
      'schedules.s.holidays[0].types[0]',
    ],
    [
      'an unknown holiday key',
      { holidays: [{ date: '2026-12-24', capacity: 0, reason: 'x' }] },
      'schedules.s.holidays[0]: Unrecognized key: "reason"',
    ],
  ])('%s', (_, schedule, message) => {
    expect(errorOf(file(schedule))).toContain(`test.yaml: ${message}`);
  });

  it('names a fleet that refers to an unknown schedule', () => {
    expect(errorOf(file({}, [{ name: 'finance', schedule: 'office' }]))).toContain(
      "fleets[0].schedule: unknown schedule 'office' (schedules: s)",
    );
  });

  it('names a duplicate fleet (same name and region)', () => {
    const fleets = [
      { name: 'finance', schedule: 's' },
      { name: 'finance', schedule: 's', region: 'eu-west-1' },
      { name: 'finance', schedule: 's' },
    ];
    expect(errorOf(file({}, fleets))).toBe("test.yaml: fleets[2].name: duplicate fleet 'finance'");
  });

  it('names unknown fleet keys, bad regions and bad lead times', () => {
    expect(errorOf(file({}, [{ name: 'f', schedule: 's', stopWhenzero: true }]))).toContain(
      'fleets[0]: Unrecognized key: "stopWhenzero"',
    );
    expect(errorOf(file({}, [{ name: 'f', schedule: 's', region: 'Frankfurt' }]))).toContain(
      'fleets[0].region: must be an AWS region',
    );
    expect(errorOf(file({}, [{ tag: TAG.schedule, startLeadMinutes: -5 }]))).toContain(
      'fleets[0].startLeadMinutes',
    );
  });
});

describe('Schedule file: what admins may write', () => {
  it('spells a zone as Temporal does (europe/berlin → Europe/Berlin); links stay as written', () => {
    const zone = (timezone: string) => validateScheduleFile(file({ timezone })).schedules.s.timezone;
    expect(zone('europe/berlin')).toBe('Europe/Berlin');
    expect(zone('AMERICA/NEW_YORK')).toBe('America/New_York');
    // temporal-polyfill doesn't resolve links: compile writes their canonical name (zone-links.ts).
    expect(zone('Asia/Calcutta')).toBe('Asia/Calcutta');
  });

  it('takes per-period min/max, months, numeric monthdays from YAML and a per-fleet guard', () => {
    const parsed = parseScheduleFile(`
schedules:
  s:
    timezone: Asia/Kolkata
    default: 0
    periods:
      - { name: p, months: jan-mar, monthdays: 1, capacity: 5, minCapacity: 2, maxCapacity: 9 }
fleets:
  - { name: f, schedule: s, region: ap-south-1, maxCapacity: 6, force: true }
`);
    expect(parsed.schedules.s.periods[0]).toEqual({
      name: 'p',
      months: 'jan-mar',
      monthdays: '1',
      capacity: 5,
      minCapacity: 2,
      maxCapacity: 9,
    });
    expect(parsed.fleets[0]).toMatchObject({ maxCapacity: 6, force: true, region: 'ap-south-1' });
  });

  it('allows end 24:00 and an overnight period', () => {
    const ok = validateScheduleFile(
      file({
        periods: [
          { name: 'late', begin: '18:00', end: '24:00', capacity: 1 },
          { name: 'night', begin: '22:00', end: '06:00', capacity: 1 },
        ],
      }),
    );
    expect(ok.schedules.s.periods).toHaveLength(2);
  });
});

describe('Schedule file: holidays and fleet selectors need their key', () => {
  it('a holiday needs a date or a calendar', () => {
    expect(errorOf(file({ holidays: [{ capacity: 0 }] }))).toBe(
      'test.yaml: schedules.s.holidays[0]: needs one of date, calendar',
    );
  });

  it('a fleet needs a name (with a schedule) or a tag', () => {
    expect(errorOf(file({}, [{ stopWhenZero: true }]))).toBe('test.yaml: fleets[0]: needs one of name, tag');
  });

  it('a named fleet needs its schedule', () => {
    expect(errorOf(file({}, [{ name: 'finance' }]))).toBe('test.yaml: fleets[0].schedule: required');
  });
});
