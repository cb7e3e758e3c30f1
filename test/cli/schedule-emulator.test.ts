import {
  AppStreamClient,
  DescribeFleetsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { TAG } from '../../lib/tags';
import { createFleet } from '../helpers/builders';
import { autopilot } from './schedule-cli';

const EXAMPLE = 'examples/schedules.yaml';
/** Tuesday 2026-12-01 10:00 in Berlin: a workday, the `workday` period (07:30-18:00) in force. */
const START = Date.parse('2026-12-01T09:00:00Z');

let emu: RunningEmulator;
let client: AppStreamClient;
beforeAll(async () => {
  emu = await startEmulator({ jitterSigma: 0, start: START });
  client = new AppStreamClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' },
  });
  await createFleet(client, 'finance');
  await createFleet(client, 'support');
});
afterAll(async () => {
  client?.destroy();
  await emu?.stop();
});

const fleetsNow = async () => {
  const { Fleets } = await client.send(new DescribeFleetsCommand({}));
  return Promise.all(
    (Fleets ?? []).map(async (f) => ({
      name: f.Name,
      state: f.State,
      desired: f.ComputeCapacityStatus?.Desired,
      tags: (await client.send(new ListTagsForResourceCommand({ ResourceArn: f.Arn }))).Tags,
    })),
  );
};

describe('CLI: autopilot schedule override / preview / run against a running emulator', () => {
  it('writes the override tag, which preview and a dry run then use; --clear removes it', async () => {
    // Prepare: 18:30 in the schedule's zone (from --file) is 17:30Z.
    const set = await autopilot([
      'override',
      '--fleet',
      'finance',
      '--capacity',
      '7',
      '--until',
      '2026-12-01T18:30',
      '--file',
      EXAMPLE,
      '--endpoint-url',
      emu.endpoint,
      '--json',
    ]);
    expect(set.code).toBe(0);
    const written = JSON.parse(set.stdout);
    expect(written.tag).toEqual({ key: TAG.override, value: '7@2026-12-01T17:30Z' });
    expect((await fleetsNow()).find((f) => f.name === 'finance')?.tags).toEqual({
      [TAG.override]: '7@2026-12-01T17:30Z',
    });

    // preview reads the tag: the override now, then the schedule from its end.
    const preview = await autopilot([
      'preview',
      EXAMPLE,
      '--fleet',
      'finance',
      '--endpoint-url',
      emu.endpoint,
      '--days',
      '1',
      '--json',
    ]);
    expect(preview.code).toBe(0);
    const changes = JSON.parse(preview.stdout).changes;
    expect(changes[0]).toMatchObject({ capacity: 7, reason: 'override' });
    expect(Date.parse(changes[0].at) - START).toBeLessThan(60_000);
    expect(changes[1]).toEqual({
      at: '2026-12-01T17:30:00Z',
      local: '2026-12-01T18:30:00+01:00',
      capacity: 2,
      reason: 'default',
    });

    // A dry run plans with it and changes nothing.
    const before = await fleetsNow();
    const run = await autopilot([
      'run',
      EXAMPLE,
      '--local',
      '--endpoint-url',
      emu.endpoint,
      '--dry-run',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.dryRun).toBe(true);
    const finance = report.fleets.find((f: { fleet: string }) => f.fleet === 'finance');
    expect(finance).toMatchObject({ wanted: 7, reason: 'override', result: 'dry-run' });
    expect(
      report.fleets.every((f: { result: string }) => f.result === 'dry-run' || f.result === 'unchanged'),
    ).toBe(true);
    expect(await fleetsNow()).toEqual(before);

    const clear = await autopilot([
      'override',
      '--fleet',
      'finance',
      '--clear',
      '--endpoint-url',
      emu.endpoint,
    ]);
    expect(clear.code).toBe(0);
    expect(clear.stdout.trim()).toBe('fleet finance: autopilot:override removed (was 7@2026-12-01T17:30Z)');
    expect((await fleetsNow()).find((f) => f.name === 'finance')?.tags).toEqual({});
  }, 60_000);

  it("refuses an --until that is not after the emulator's virtual now, and an unknown fleet", async () => {
    const past = await autopilot([
      'override',
      '--fleet',
      'finance',
      '--capacity',
      '7',
      '--until',
      '2026-12-01T09:30',
      '--zone',
      'Europe/Berlin',
      '--endpoint-url',
      emu.endpoint,
    ]);
    expect(past.code).toBe(2);
    expect(past.stderr.trim()).toMatch(
      /^autopilot schedule override: --until 2026-12-01T09:30:00\+01:00 is not in the future \(now: 2026-12-01T09:0\d:\d\dZ\)/,
    );
    const unknown = await autopilot([
      'override',
      '--fleet',
      'nope',
      '--clear',
      '--endpoint-url',
      emu.endpoint,
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("autopilot schedule: FleetNotFound: no fleet 'nope' in us-east-1");
  }, 30_000);
});

describe('CLI: autopilot schedule run / simulate on the embedded emulator', () => {
  it('run --local --dry-run prints each fleet before → after, action and reason', async () => {
    const out = await autopilot(['run', EXAMPLE, '--local', '--dry-run']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/dry run: nothing changed\): 3 fleets/);
    expect(out.stdout).toMatch(/^ {2}finance +us-east-1 +ON_DEMAND \w+ +DesiredInstances +\d+ → \d+ /m);
    expect(out.stdout).toContain('execution SUCCEEDED');
  }, 30_000);

  it('run --aws without a state machine names what is missing', async () => {
    const out = await autopilot(['run', EXAMPLE, '--aws']);
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toMatch(/^autopilot schedule run: --aws needs --state-machine-arn/);
  });

  it('simulate --days 1 counts no short minute and no session cut off for the example', async () => {
    const out = await autopilot([
      'simulate',
      EXAMPLE,
      '--days',
      '1',
      '--from',
      '2026-12-01',
      '--local',
      '--json',
    ]);
    expect(out.code).toBe(0);
    const sim = JSON.parse(out.stdout);
    expect(sim).toMatchObject({
      from: '2026-11-30T23:00:00Z',
      to: '2026-12-01T23:00:00Z',
      cadenceMinutes: 5,
      runs: 288,
      failedExecutions: 0,
    });
    const finance = sim.fleets.find((f: { fleet: string }) => f.fleet === 'finance');
    // 80% of the workday's 20 log in on a Tuesday, all served, nobody cut off.
    expect(finance).toMatchObject({
      peakUsers: 16,
      peakSessions: 16,
      shortMinutes: 0,
      cutOff: 0,
      failedRuns: 0,
    });
    expect(finance.capacity).toContainEqual({
      at: '2026-12-01T06:30:00Z',
      local: '2026-12-01T07:30:00+01:00',
      capacity: 20,
      reason: 'period workday',
    });
    for (const f of sim.fleets) expect(f.cutOff).toBe(0);
  }, 120_000);

  it('simulate refuses to run without --local', async () => {
    const out = await autopilot(['simulate', EXAMPLE, '--days', '1']);
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toBe(
      'autopilot schedule simulate: simulate runs on the embedded emulator only: add --local (see --help)',
    );
  });
});
