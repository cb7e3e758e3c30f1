import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autopilot } from './schedule-cli';

const dir = mkdtempSync(join(tmpdir(), 'cli-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = 'examples/schedules.yaml';

/** A one-line error: no stack trace, no multi-line dump. */
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0];
};

describe('CLI: autopilot schedule validate', () => {
  it('accepts the example file', async () => {
    const out = await autopilot(['validate', EXAMPLE, '--json']);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      valid: true,
      schedules: ['office-hours', 'support-desk'],
      fleets: 3,
    });
  });

  it('refuses an invalid file with one line naming the field, exit 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'schedules:\n  office-hours:\n    timezone: Europe/Berlin\n    default: 2\n    periods:\n      - { name: workday, begin: "7:30", end: "18:00", capacity: 20 }\n',
    );
    const out = await autopilot(['validate', file]);
    expect(out.code).toBe(1);
    expect(oneLine(out.stderr)).toBe(
      `autopilot schedule: ConfigError: ${file}: schedules.office-hours.periods[0].begin: must be HH:MM between 00:00 and 23:59`,
    );
  });

  it('names an unknown time zone and a missing file', async () => {
    const file = join(dir, 'zone.yaml');
    writeFileSync(file, 'schedules:\n  s:\n    timezone: Europe/Berlinn\n    default: 1\n');
    const zone = await autopilot(['validate', file]);
    expect(zone.code).toBe(1);
    expect(oneLine(zone.stderr)).toContain('schedules.s.timezone: must be an IANA time zone');
    const missing = await autopilot(['validate', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(oneLine(missing.stderr)).toContain('ENOENT');
  });

  it('answers a command line it cannot use with exit 2 and one line', async () => {
    const unknown = await autopilot(['validate', EXAMPLE, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toMatch(/^autopilot schedule validate: Unknown option '--bogus'/);
    const sub = await autopilot(['frobnicate']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("Unknown schedule command 'frobnicate'");
    const help = await autopilot(['preview', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--svg <file>');
  });
});

describe('CLI: autopilot schedule preview', () => {
  it('--json lists the change points across the spring DST change in the schedule zone', async () => {
    // Berlin springs forward on Sunday 2026-03-29: 07:30 is 06:30Z on Friday, 05:30Z on Monday.
    const out = await autopilot([
      'preview',
      EXAMPLE,
      '--fleet',
      'finance',
      '--from',
      '2026-03-27',
      '--days',
      '4',
      '--json',
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      fleet: 'finance',
      timezone: 'Europe/Berlin',
      changes: [
        { at: '2026-03-26T23:00:00Z', local: '2026-03-27T00:00:00+01:00', capacity: 2, reason: 'default' },
        {
          at: '2026-03-27T06:30:00Z',
          local: '2026-03-27T07:30:00+01:00',
          capacity: 20,
          reason: 'period workday',
        },
        { at: '2026-03-27T17:00:00Z', local: '2026-03-27T18:00:00+01:00', capacity: 2, reason: 'default' },
        {
          at: '2026-03-30T05:30:00Z',
          local: '2026-03-30T07:30:00+02:00',
          capacity: 20,
          reason: 'period workday',
        },
        { at: '2026-03-30T16:00:00Z', local: '2026-03-30T18:00:00+02:00', capacity: 2, reason: 'default' },
      ],
    });
  });

  it('--json starts with the value in force at --from and shows holidays by name', async () => {
    const out = await autopilot([
      'preview',
      EXAMPLE,
      '--fleet',
      'finance',
      '--from',
      '2026-12-23T12:00:00Z',
      '--days',
      '2',
      '--json',
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).changes).toEqual([
      {
        at: '2026-12-23T12:00:00Z',
        local: '2026-12-23T13:00:00+01:00',
        capacity: 20,
        reason: 'period workday',
      },
      { at: '2026-12-23T17:00:00Z', local: '2026-12-23T18:00:00+01:00', capacity: 2, reason: 'default' },
      {
        at: '2026-12-23T23:00:00Z',
        local: '2026-12-24T00:00:00+01:00',
        capacity: 0,
        reason: 'holiday Christmas Eve',
      },
      {
        at: '2026-12-24T23:00:00Z',
        local: '2026-12-25T00:00:00+01:00',
        capacity: 0,
        reason: 'holiday Christmas Day',
      },
    ]);
  });

  it('prints a table and a terminal chart, and --svg writes a standalone SVG with holidays shaded', async () => {
    const svg = join(dir, 'week.svg');
    const out = await autopilot([
      'preview',
      EXAMPLE,
      '--fleet',
      'finance',
      '--from',
      '2026-12-21',
      '--svg',
      svg,
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      '2026-12-23T23:00:00Z  Thu 2026-12-24 00:00 +01:00         0  holiday Christmas Eve',
    );
    expect(out.stdout).toMatch(/^20 │/m);
    expect(out.stdout).toContain('Mon 21');
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(balancedTags(text)).toBe(true);
    const holidays = [...text.matchAll(/<rect class="holiday"[^>]*><title>([^<]*)<\/title>/g)].map(
      (m) => m[1],
    );
    // Christmas Eve, Christmas Day and Boxing Day (DE-BE): one span each, in order.
    expect(holidays).toEqual(['holiday Christmas Eve', 'holiday Christmas Day', 'holiday Boxing Day']);
  });

  it('needs --schedule for a fleet the file selects by tag', async () => {
    const out = await autopilot(['preview', EXAMPLE, '--fleet', 'tagged', '--from', '2026-12-21', '--json']);
    expect(out.code).toBe(2);
    expect(oneLine(out.stderr)).toContain('give --schedule <name>');
    const ok = await autopilot([
      'preview',
      EXAMPLE,
      '--fleet',
      'tagged',
      '--schedule',
      'support-desk',
      '--from',
      '2026-12-21',
      '--days',
      '1',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).timezone).toBe('America/New_York');
  });
});

describe('CLI: autopilot schedule compile', () => {
  it('prints the AWS CLI commands for a schedule scheduled actions can express', async () => {
    const file = join(dir, 'simple.yaml');
    writeFileSync(
      file,
      [
        'schedules:',
        '  simple:',
        '    timezone: America/New_York',
        '    default: 1',
        '    periods:',
        '      - { name: day, weekdays: mon-fri, begin: "08:00", end: "17:30", capacity: 10, minCapacity: 5, maxCapacity: 15 }',
        'fleets:',
        '  - { name: sales, schedule: simple, region: us-east-2 }',
      ].join('\n'),
    );
    // Tuesday 2026-11-24 12:00 in New York: the day period (Min 5, Max 15) is in force.
    const out = await autopilot(['compile', file, '--at', '2026-11-24T12:00']);
    expect(out.code).toBe(0);
    const lines = out.stdout
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(lines[0]).toBe(
      'aws application-autoscaling register-scalable-target --service-namespace appstream --resource-id fleet/sales --scalable-dimension appstream:fleet:DesiredCapacity --region us-east-2 --min-capacity 5 --max-capacity 15',
    );
    expect(out.stdout).toContain(
      "#   note: register-scalable-target sets Min/Max 5/15, the schedule's value at 2026-11-24T12:00-05:00 (period day); the actions take over from the next change at 2026-11-24T17:30-05:00",
    );
    expect(out.stdout).toMatch(/# {3}note: enforced: true is not equivalent/);
    expect(
      lines.filter((l) => l.startsWith('aws application-autoscaling put-scheduled-action')),
    ).toHaveLength(2);
    expect(out.stdout).toContain(
      "--schedule 'cron(0 8 ? * MON,TUE,WED,THU,FRI *)' --timezone America/New_York --scalable-target-action MinCapacity=5,MaxCapacity=15",
    );
    const json = JSON.parse(
      (await autopilot(['compile', file, '--json', '--at', '2026-11-24T20:00'])).stdout,
    );
    expect(json.fleets[0].register).toEqual({ MinCapacity: 1, MaxCapacity: 1 }); // 20:00: the default
    expect(json.fleets[0].actions[1]).toEqual({
      ServiceNamespace: 'appstream',
      ResourceId: 'fleet/sales',
      ScalableDimension: 'appstream:fleet:DesiredCapacity',
      ScheduledActionName: 'sales-day-end',
      Schedule: 'cron(30 17 ? * MON,TUE,WED,THU,FRI *)',
      Timezone: 'America/New_York',
      ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 1 },
    });
  });

  it("clamps to the fleet's maxCapacity guard; a schedule without periods registers its default", async () => {
    const file = join(dir, 'guarded.yaml');
    writeFileSync(
      file,
      [
        'schedules:',
        '  day: { timezone: Europe/Berlin, default: 2, enforced: false, periods: [{ name: d, weekdays: mon-fri, begin: "08:00", end: "18:00", capacity: 40 }] }',
        '  flat: { timezone: asia/calcutta, default: 5 }',
        'fleets:',
        '  - { name: capped, schedule: day, maxCapacity: 25 }',
        '  - { name: flat, schedule: flat }',
      ].join('\n'),
    );
    const out = await autopilot(['compile', file, '--json', '--at', '2026-11-24T12:00Z']);
    expect(out.code).toBe(0);
    const [capped, flat] = JSON.parse(out.stdout).fleets;
    expect(capped.actions.map((a: { ScalableTargetAction: unknown }) => a.ScalableTargetAction)).toEqual([
      { MinCapacity: 25, MaxCapacity: 25 },
      { MinCapacity: 2, MaxCapacity: 2 },
    ]);
    expect(capped.register).toEqual({ MinCapacity: 25, MaxCapacity: 25 });
    expect(capped.notes.join(' ')).toMatch(/maxCapacity guard 25/);
    expect(capped.notes.join(' ')).not.toMatch(/enforced/);
    expect(flat.actions).toEqual([]);
    expect(flat.register).toEqual({ MinCapacity: 5, MaxCapacity: 5 });
    const text = await autopilot(['compile', file, '--fleet', 'flat']);
    expect(text.stdout).toContain('--min-capacity 5 --max-capacity 5');
    expect(text.stdout).toContain('Asia/Calcutta is written as its canonical IANA name Asia/Kolkata');
  });

  it("says why the example's schedules can't be compiled, exit 1", async () => {
    const out = await autopilot(['compile', EXAMPLE, '--json']);
    expect(out.code).toBe(1);
    const fleets = JSON.parse(out.stdout).fleets as { fleet: string; unsupported?: string[] }[];
    expect(fleets.map((f) => f.fleet)).toEqual(['finance', 'support']);
    expect(fleets[0].unsupported?.join(' ')).toMatch(/stopWhenZero.*holidays/);
    expect(fleets[1].unsupported?.join(' ')).toContain('holidays');
  });
});

describe('CLI: autopilot schedule override checks its arguments before any AWS call', () => {
  // Port 9 (discard) on localhost: nothing listens, so any call would fail with ECONNREFUSED.
  const DEAD = 'http://127.0.0.1:9';
  const override = (...args: string[]) =>
    autopilot(['override', '--fleet', 'finance', '--endpoint-url', DEAD, ...args]);

  it.each([
    [
      ['--capacity', '10001', '--until', '2030-01-01T10:00Z'],
      /^autopilot schedule override: --capacity must be a whole number from 0 to 10000, got '10001'/,
    ],
    [['--capacity', 'x', '--until', '2030-01-01T10:00Z'], /--capacity must be a whole number/],
    [
      ['--capacity', '3', '--until', '2026-02-30T10:00Z'],
      /--until '2026-02-30T10:00Z' is not an ISO-8601 date-time/,
    ],
    [['--capacity', '3', '--until', '2026-02-30T10:00'], /--until '2026-02-30T10:00' is not a date-time/],
    [
      ['--capacity', '3', '--until', '2030-01-01T10:00', '--zone', '+02:00'],
      /--zone '\+02:00' must be an IANA time zone/,
    ],
    [
      ['--capacity', '3', '--until', '2030-01-01T10:00', '--zone', 'Mars/Olympus'],
      /--zone 'Mars\/Olympus' must be an IANA/,
    ],
  ])('%j: a usage error (exit 2), no network call', async (args, message) => {
    const out = await override(...args);
    expect(out.code).toBe(2);
    expect(oneLine(out.stderr)).toMatch(message);
    expect(out.stderr).not.toMatch(/ECONNREFUSED|FleetNotFound/);
  });

  it('valid arguments do reach the endpoint (so the cases above really stopped before it)', async () => {
    const out = await override('--capacity', '3', '--until', '2030-01-01T10:00', '--zone', 'europe/berlin');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/ECONNREFUSED|connect/i);
  }, 30_000);
});

/** True when every element opened is closed in order (a minimal well-formedness check). */
function balancedTags(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}
