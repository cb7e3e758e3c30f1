import {
  CreateFleetCommand,
  ListTagsForResourceCommand,
  StopFleetCommand,
  TagResourceCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { afterEach, describe, expect, it } from 'vitest';
import { TAG } from '../../lib/tags';
import type { ProgressEvent } from '../../local/runner';
import { runScheduleLocally } from '../../local/schedule';
import { ACCOUNT, MIN, WIN2022 } from '../helpers/emulator';
import {
  fleetsByName,
  fleetWithStack,
  registerTarget,
  type ScheduleWorld,
  scheduleWorld,
  smallSubnet,
  targetOf,
  WRITES,
} from '../helpers/fleet-schedule';

/**
 * Runs of the fleet schedule against the emulator with expectations written out by hand (not
 * computed with the engine): console changes put back, force, busy fleets, a run resumed after a
 * partial success, one region failing, throttled reads, and a boundary off the cadence.
 */

/** Monday 2026-11-30 10:00 in Berlin (UTC+1). */
const MONDAY_10 = Date.parse('2026-11-30T09:00:00Z');
const arn = (fleet: string, region = 'us-east-1') => `arn:aws:appstream:${region}:${ACCOUNT}:fleet/${fleet}`;
const day = (capacity: number, extra: Record<string, unknown> = {}) => ({
  timezone: 'Europe/Berlin',
  default: 1,
  periods: [{ name: 'workday', weekdays: 'mon-fri', begin: '08:00', end: '18:00', capacity, ...extra }],
});

let w: ScheduleWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

async function setUp(at = MONDAY_10, fleets: [string, Record<string, unknown>?][] = [['a']]) {
  w = await scheduleWorld(at - 20 * MIN);
  for (const [name, extra] of fleets) await fleetWithStack(w, name, extra ?? {});
  w.emu.control.advance(20 * MIN);
  return w;
}

const run = (world: ScheduleWorld, config: unknown, opts: Record<string, unknown> = {}) =>
  runScheduleLocally({ config, emulator: world.emu, ...opts });

const tagsOf = async (world: ScheduleWorld, fleet: string) =>
  (await world.appstream.send(new ListTagsForResourceCommand({ ResourceArn: arn(fleet) }))).Tags ?? {};

describe('Fleet schedule: console changes', () => {
  it('enforced (the default): a console UpdateFleet is put back by the next run', async () => {
    const world = await setUp();
    const config = { schedules: { s: day(4) }, fleets: [{ name: 'a', schedule: 's' }] };
    await run(world, config);
    await world.appstream.send(
      new UpdateFleetCommand({ Name: 'a', ComputeCapacity: { DesiredInstances: 9 } }),
    );
    world.emu.control.advance(5 * MIN);
    const { report } = await run(world, config);
    expect(report.fleets[0]).toMatchObject({ action: 'resize', before: 9, after: 4, result: 'applied' });
    expect((await fleetsByName(world)).a.ComputeCapacityStatus?.Desired).toBe(4);
  });

  it('an auto-scaled fleet set outside its range in the console is put back to Max (Application Auto Scaling leaves it)', async () => {
    const world = await setUp();
    await registerTarget(world, 'a', 1, 1);
    const config = {
      schedules: { s: day(8, { minCapacity: 4, maxCapacity: 12 }) },
      fleets: [{ name: 'a', schedule: 's' }],
    };
    await run(world, config);
    expect(await targetOf(world, 'a')).toEqual({ min: 4, max: 12 });
    await world.appstream.send(
      new UpdateFleetCommand({ Name: 'a', ComputeCapacity: { DesiredInstances: 30 } }),
    );
    world.emu.control.advance(5 * MIN);
    const { report } = await run(world, config);
    expect(report.fleets[0]).toMatchObject({ action: 'resize', before: 30, after: 12, result: 'applied' });
    expect((await fleetsByName(world)).a.ComputeCapacityStatus?.Desired).toBe(12);
  });
});

describe('Fleet schedule: force', () => {
  it('force: true goes below what is in use and says so (forced)', async () => {
    const world = await setUp(MONDAY_10, [['a', { ComputeCapacity: { DesiredInstances: 5 } }]]);
    world.emu.control.sessions({ fleet: 'a', open: 3 });
    const config = { schedules: { s: { ...day(1), force: true } }, fleets: [{ name: 'a', schedule: 's' }] };
    const { report } = await run(world, config);
    expect(report.fleets[0]).toMatchObject({
      action: 'resize',
      after: 1,
      inUse: 3,
      forced: true,
      result: 'applied',
    });
    const a = (await fleetsByName(world)).a.ComputeCapacityStatus!;
    expect(a.Desired).toBe(1);
    expect(a.Desired).toBeLessThan(3);
  });
});

describe('Fleet schedule: busy fleets and retried steps', () => {
  it('a fleet STOPPING on its own is retry-later (skipped): nothing written, not even its expired override', async () => {
    const world = await setUp();
    await world.appstream.send(
      new TagResourceCommand({ ResourceArn: arn('a'), Tags: { [TAG.override]: '9@2026-11-30T08:30Z' } }),
    );
    await world.appstream.send(new StopFleetCommand({ Name: 'a' }));
    world.calls.take();
    const config = { schedules: { s: day(4) }, fleets: [{ name: 'a', schedule: 's' }] };
    const { report, result } = await run(world, config);
    expect(report.fleets[0]).toMatchObject({ action: 'retry-later', result: 'skipped' });
    const calls = world.calls.take();
    expect(WRITES.filter((op) => calls[op])).toEqual([]);
    // Evaluate and Report only: the Map had nothing to apply.
    expect(result.transitions).toBe(3);
    const tags = await tagsOf(world, 'a');
    expect(tags[TAG.lastAction]).toBeUndefined();
    expect(tags[TAG.override]).toBe('9@2026-11-30T08:30Z');
  });

  it('resumes a start whose TagResource was throttled: the retried step finds the fleet STARTING and records the start', async () => {
    // 06:42Z = 07:42 Berlin: the 08:00 workday is due within the start lead (+ the cadence).
    w = await scheduleWorld(Date.parse('2026-11-30T06:42:00Z'));
    const world = w;
    await fleetWithStack(world, 'a', {}, false);
    const config = {
      schedules: { s: { ...day(4), default: 0 } },
      fleets: [{ name: 'a', schedule: 's', stopWhenZero: true }],
    };
    // Three throttled answers use up the SDK's attempts: AwsTransientError, the state machine
    // retries the whole Apply step after StartFleet succeeded.
    world.emu.control.failCalls({ code: 'ThrottlingException', operation: 'TagResource', count: 3 });
    const events: ProgressEvent[] = [];
    const { report } = await run(world, config, { onProgress: (e: ProgressEvent) => events.push(e) });
    expect(events.filter((e) => e.type === 'retried').map((e) => e.state)).toContain('ApplyFleet');
    expect(report.fleets[0]).toMatchObject({ action: 'start', after: 4, result: 'applied' });
    expect((await fleetsByName(world)).a.State).toBe('STARTING');
    expect((await tagsOf(world, 'a'))[TAG.lastAction]).toMatch(
      /^2026-11-30T06:42Z start 4\/4 period workday$/,
    );
  });
});

describe('Fleet schedule: failures stay per region, throttled reads are retried', () => {
  it('a region that refuses its reads (AccessDenied) fails only its own fleets', async () => {
    const world = await setUp();
    await world.appstreamIn('eu-west-1').send(
      new CreateFleetCommand({
        Name: 'b',
        InstanceType: 'stream.standard.medium',
        ImageName: WIN2022,
        ComputeCapacity: { DesiredInstances: 1 },
      }),
    );
    // One DescribeFleets is refused: whichever region asked first can't be read.
    world.emu.control.failCalls({ code: 'AccessDeniedException', operation: 'DescribeFleets', count: 1 });
    const config = {
      schedules: { s: day(4) },
      fleets: [
        { name: 'a', schedule: 's' },
        { name: 'b', schedule: 's', region: 'eu-west-1' },
      ],
    };
    const { report, result } = await run(world, config);
    expect(result.status).toBe('SUCCEEDED');
    expect(report.failed).toHaveLength(1);
    const failed = report.fleets.filter((f) => f.result === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatch(/^RegionUnreadable: AccessDeniedException: /);
    // The other region's fleet was read and planned (b is STOPPED: sized; a RUNNING: resized).
    const other = report.fleets.find((f) => f.result !== 'failed')!;
    expect(other).toMatchObject({ after: 4, result: 'applied' });
  });

  it('retries throttled GetResources, DescribeScalableTargets and DescribeSubnets (the SDK, then the state machine)', async () => {
    w = await scheduleWorld(MONDAY_10 - 20 * MIN);
    const world = w;
    await fleetWithStack(world, 'a', { VpcConfig: { SubnetIds: [await smallSubnet(world)] } });
    world.emu.control.advance(20 * MIN);
    for (const operation of ['GetResources', 'DescribeScalableTargets', 'DescribeSubnets'])
      world.emu.control.failCalls({ code: 'ThrottlingException', operation, count: 4 });
    const events: ProgressEvent[] = [];
    const { report } = await run(
      world,
      { schedules: { s: day(20) }, fleets: [{ name: 'a', schedule: 's' }] },
      { onProgress: (e: ProgressEvent) => events.push(e) },
    );
    expect(events.filter((e) => e.type === 'retried').map((e) => e.state)).toContain('Evaluate');
    // Read in the end: capped by the /28's 11 usable addresses.
    expect(report.fleets[0]).toMatchObject({ action: 'resize', after: 11, result: 'applied' });
    expect(report.fleets[0].cap?.reason).toMatch(/^IP cap: /);
  });
});

describe('Fleet schedule: a boundary off the cadence', () => {
  it('begin 07:32 with runs every 5 minutes from :03: capacity is there by 07:32 and never cut', {
    timeout: 60_000,
  }, async () => {
    // 06:03Z = 07:03 Berlin.
    const first = Date.parse('2026-11-30T06:03:00Z');
    w = await scheduleWorld(first - 30 * MIN);
    const world = w;
    await fleetWithStack(world, 'stopped', {}, false);
    await fleetWithStack(world, 'running');
    world.emu.control.advance(30 * MIN);
    const schedule = (def: number) => ({
      timezone: 'Europe/Berlin',
      default: def,
      periods: [{ name: 'workday', weekdays: 'mon-fri', begin: '07:32', end: '09:02', capacity: 6 }],
    });
    const config = {
      schedules: { off: schedule(0), low: schedule(1) },
      fleets: [
        { name: 'stopped', schedule: 'off', stopWhenZero: true },
        { name: 'running', schedule: 'low' },
      ],
    };
    const begin = Date.parse('2026-11-30T06:32:00Z');
    const end = Date.parse('2026-11-30T08:02:00Z');
    const started: number[] = [];
    for (let t = first; t < end + 20 * MIN; t += 5 * MIN) {
      world.emu.control.advance(t - world.emu.world.now());
      const { report } = await run(world, config);
      expect(report.failed).toEqual([]);
      const fleets = await fleetsByName(world);
      if (report.fleets.find((f) => f.fleet === 'stopped')?.action === 'start') started.push(t);
      // Scale-downs at their time: not before 09:02 Berlin.
      if (t < end) {
        if (t >= begin - 19 * MIN)
          expect(fleets.running.ComputeCapacityStatus?.Desired, new Date(t).toISOString()).toBe(6);
        if (t >= begin) {
          expect(fleets.stopped.State, new Date(t).toISOString()).toBe('RUNNING');
          expect(fleets.stopped.ComputeCapacityStatus?.Desired).toBe(6);
        }
      } else {
        expect(fleets.running.ComputeCapacityStatus?.Desired, new Date(t).toISOString()).toBe(1);
      }
      // Between runs, at the boundary itself: the fleets are ready.
      if (t < begin && t + 5 * MIN > begin) {
        world.emu.control.advance(begin - world.emu.world.now());
        const at = await fleetsByName(world);
        expect(at.stopped.State).toBe('RUNNING');
        expect(at.running.ComputeCapacityStatus?.Desired).toBe(6);
      }
    }
    // The run at 06:13Z (19 minutes ahead) started it: the next (06:18Z) would have been 14.
    expect(started).toEqual([Date.parse('2026-11-30T06:13:00Z')]);
  });
});
