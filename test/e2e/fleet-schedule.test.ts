import { type Fleet, ListTagsForResourceCommand } from '@aws-sdk/client-appstream';
import { afterEach, describe, expect, it } from 'vitest';
import { type ScheduleFile, validateScheduleFile } from '../../lib/schedule/config';
import { capacityAt } from '../../lib/schedule/engine';
import { TAG } from '../../lib/tags';
import { runScheduleLocally } from '../../local/schedule';
import { ACCOUNT, MIN } from '../helpers/emulator';
import {
  defaultSubnets,
  fleetsByName,
  fleetWithStack,
  registerTarget,
  type ScheduleWorld,
  scheduleWorld,
  smallSubnet,
  targetOf,
  WRITES,
} from '../helpers/fleet-schedule';

/** Monday 2026-11-30 00:00 in Berlin. */
const MONDAY = Date.parse('2026-11-29T23:00:00Z');
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const CADENCE = 5 * MIN;
const LEAD = 15 * MIN;
/** Usable addresses of a /28 (16 − 5 reserved by AWS). */
const SMALL_SUBNET_IPS = 11;

const workday = (begin: string, end: string, capacity: number, extra = {}) => ({
  name: 'workday',
  weekdays: 'mon-fri',
  begin,
  end,
  capacity,
  ...extra,
});

const CONFIG = {
  schedules: {
    // Wednesday is a team holiday: the office fleet stays stopped all day.
    office: {
      timezone: 'Europe/Berlin',
      default: 0,
      periods: [workday('07:30', '18:00', 6)],
      holidays: [{ date: '2026-12-02', capacity: 0, name: "Team's day off" }],
    },
    always: { timezone: 'Europe/Berlin', default: 1, periods: [workday('08:00', '17:00', 4)] },
    elastic: { timezone: 'America/New_York', default: 2, periods: [workday('09:00', '17:00', 10)] },
    // Half-hour offset zone; 4 sessions per instance.
    multi: { timezone: 'Asia/Kolkata', default: 4, periods: [workday('09:30', '18:30', 16)] },
    scaled: {
      timezone: 'Europe/Berlin',
      default: 1,
      periods: [workday('08:00', '18:00', 8, { minCapacity: 4, maxCapacity: 12 })],
    },
    small: { timezone: 'Europe/Berlin', default: 2, periods: [workday('08:00', '18:00', 20)] },
  },
  fleets: [
    { name: 'office', schedule: 'office', stopWhenZero: true },
    { name: 'elastic', schedule: 'elastic' },
    { name: 'multi', schedule: 'multi' },
    { name: 'scaled', schedule: 'scaled' },
    { name: 'small', schedule: 'small' },
    // The `always` fleet is found by its tag (Resource Groups Tagging API), its value names the schedule.
    { tag: TAG.schedule },
  ],
};
const FILE: ScheduleFile = validateScheduleFile(CONFIG);
const cap = (schedule: string, at: number) => capacityAt(FILE.schedules[schedule], at).capacity;
/**
 * What a run at `at` sizes a fleet for: the highest value its schedule takes before the next run
 * could still act a start lead ahead, [at, at + LEAD + CADENCE) (lib/schedule/decide.ts), found here
 * by sampling every minute rather than from the engine's change points.
 */
const dueDecision = (schedule: string, at: number) => {
  let best = capacityAt(FILE.schedules[schedule], at);
  for (let m = at + MIN; m < at + LEAD + CADENCE; m += MIN) {
    const d = capacityAt(FILE.schedules[schedule], m);
    if (d.capacity > best.capacity) best = d;
  }
  return best;
};
const due = (schedule: string, at: number) => dueDecision(schedule, at).capacity;

let w: ScheduleWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

/** The fleets of CONFIG, created half an hour before Monday and running at Monday 00:00. */
async function weekWorld(): Promise<ScheduleWorld> {
  const world = await scheduleWorld(MONDAY - 30 * MIN);
  await fleetWithStack(world, 'office', {}, false);
  await fleetWithStack(world, 'always', { FleetType: 'ALWAYS_ON', Tags: { [TAG.schedule]: 'always' } });
  await fleetWithStack(world, 'elastic', {
    FleetType: 'ELASTIC',
    MaxConcurrentSessions: 2,
    Platform: 'WINDOWS_SERVER_2022',
    VpcConfig: { SubnetIds: await defaultSubnets(world) },
  });
  await fleetWithStack(world, 'multi', {
    MaxSessionsPerInstance: 4,
    ComputeCapacity: { DesiredSessions: 4 },
  });
  await fleetWithStack(world, 'scaled');
  await registerTarget(world, 'scaled', 1, 1);
  await fleetWithStack(world, 'small', { VpcConfig: { SubnetIds: [await smallSubnet(world)] } });
  world.emu.control.advance(30 * MIN);
  return world;
}

async function run(world: ScheduleWorld, extra = {}) {
  return runScheduleLocally({ config: CONFIG, emulator: world.emu, ...extra });
}

/** Sessions (our user sessions) of a fleet in the emulator's store, by id. */
const sessionsOf = (world: ScheduleWorld, fleet: string) =>
  [...world.emu.world.store(ACCOUNT, 'us-east-1').sessions.values()].filter((s) => s.fleetName === fleet);

/** What every fleet must look like right after the run at `t`, in its unit. */
async function expectFleetsRight(world: ScheduleWorld, t: number, fleets: Record<string, Fleet>) {
  const at = new Date(t).toISOString();
  const office = fleets.office;
  const officeInUse = office.ComputeCapacityStatus?.InUse ?? 0;
  if (cap('office', t) > 0) {
    // Stopped fleets are up before `begin`, not 15 minutes after.
    expect(office.State, `office at ${at}`).toBe('RUNNING');
    expect(office.ComputeCapacityStatus?.Desired, `office at ${at}`).toBe(Math.max(6, officeInUse));
  } else if (due('office', t) > 0) {
    expect(['STARTING', 'RUNNING'], `office at ${at}`).toContain(office.State);
  } else if (officeInUse > 0) {
    expect(office.State, `office at ${at}: users still on it`).toBe('RUNNING');
    expect(office.ComputeCapacityStatus?.Desired).toBe(officeInUse);
  } else expect(['STOPPING', 'STOPPED'], `office at ${at}`).toContain(office.State);

  // Scale-ups are there a start lead ahead; scale-downs happen at their time.
  expect(fleets.always.ComputeCapacityStatus?.Desired, `always at ${at}`).toBe(due('always', t));
  expect(fleets.elastic.MaxConcurrentSessions, `elastic at ${at}`).toBe(due('elastic', t));
  const active = fleets.multi.ComputeCapacityStatus?.ActiveUserSessions ?? 0;
  expect(fleets.multi.ComputeCapacityStatus?.DesiredUserSessions, `multi at ${at}`).toBe(
    Math.ceil(Math.max(due('multi', t), active) / 4) * 4,
  );
  const period = dueDecision('scaled', t);
  const range = { min: period.minCapacity ?? period.capacity, max: period.maxCapacity ?? period.capacity };
  expect(await targetOf(world, 'scaled'), `scaled at ${at}`).toEqual(range);
  // Application Auto Scaling keeps the fleet's desired capacity inside [Min, Max].
  const scaled = fleets.scaled.ComputeCapacityStatus?.Desired ?? -1;
  expect(scaled, `scaled at ${at}`).toBeGreaterThanOrEqual(range.min);
  expect(scaled, `scaled at ${at}`).toBeLessThanOrEqual(range.max);
  expect(fleets.small.ComputeCapacityStatus?.Desired, `small at ${at}`).toBe(
    Math.min(due('small', t), SMALL_SUBNET_IPS),
  );
}

/**
 * The most writes the week may take: a fleet whose expected size changes between two runs takes
 * at most 3 (UpdateFleet or RegisterScalableTarget, StartFleet/StopFleet or UpdateFleet, and
 * TagResource); the two user scenarios add a deferred stop/shrink and its completion (3 each).
 */
const MAX_WRITES_PER_CHANGE = 3;
const expectedSizes = (t: number) =>
  Object.keys(FILE.schedules).map((s) => {
    const d = dueDecision(s, t);
    return `${d.capacity}/${d.minCapacity}/${d.maxCapacity}`;
  });

describe('Fleet schedule (local runtime against the emulator): a simulated week', () => {
  it('keeps every fleet type at its scheduled capacity every 5 minutes, never cutting a session off', {
    timeout: 120_000,
  }, async () => {
    w = await weekWorld();
    const world = w;
    const office = { opened: [] as string[] };
    const multi = { opened: [] as string[] };
    let quietRuns = 0;
    let ipCapReported = false;
    let writesTotal = 0;
    let changes = 0;
    let handChecked = 0;
    let previous = expectedSizes(MONDAY - CADENCE);
    for (let t = MONDAY; t < MONDAY + 7 * DAY; t += CADENCE) {
      const sizes = expectedSizes(t);
      changes += sizes.filter((v, i) => v !== previous[i]).length;
      previous = sizes;
      world.emu.control.advance(Math.max(0, t - world.emu.world.now()));
      // Users: three on the office fleet Monday 10:00-19:00 Berlin (past its 18:00 end), nine
      // on the multi-session fleet Tuesday 17:00-19:30 Kolkata (past its 18:30 end).
      if (t === Date.parse('2026-11-30T09:00:00Z'))
        office.opened = world.emu.control.sessions({ fleet: 'office', open: 3 }).opened;
      if (t === Date.parse('2026-11-30T18:00:00Z')) {
        // Every session is still there when its user leaves: none was cut off by the schedule.
        expect(
          sessionsOf(world, 'office')
            .map((s) => s.id)
            .sort(),
        ).toEqual([...office.opened].sort());
        world.emu.control.sessions({ fleet: 'office', close: 3 });
      }
      if (t === Date.parse('2026-12-01T11:30:00Z'))
        multi.opened = world.emu.control.sessions({ fleet: 'multi', open: 9 }).opened;
      if (t === Date.parse('2026-12-01T14:00:00Z')) {
        expect(
          sessionsOf(world, 'multi')
            .map((s) => s.id)
            .sort(),
        ).toEqual([...multi.opened].sort());
        world.emu.control.sessions({ fleet: 'multi', close: 9 });
      }
      world.calls.take();
      const { report } = await run(world);
      const calls = world.calls.take();
      const writes = WRITES.reduce((n, op) => n + (calls[op] ?? 0), 0);
      writesTotal += writes;
      expect(report.failed, new Date(t).toISOString()).toEqual([]);
      const small = report.fleets.find((f) => f.fleet === 'small')!;
      if (cap('small', t) > SMALL_SUBNET_IPS) {
        expect(small.cap?.reason, 'IP cap reported').toMatch(/IP cap: \d+ free addresses in subnet-/);
        ipCapReported = true;
      }
      // Saturday: no change point anywhere, nothing to write; reads stay a handful.
      const saturday = new Date(t + HOUR).getUTCDay() === 6;
      if (saturday && t > Date.parse('2026-12-05T01:00:00Z')) {
        expect(writes, `writes on a quiet Saturday run ${new Date(t).toISOString()}`).toBe(0);
        expect(calls.DescribeFleets + calls.GetResources + calls.DescribeScalableTargets).toBe(3);
        quietRuns++;
      }
      const fleets = await fleetsByName(world);
      await expectFleetsRight(world, t, fleets);
      // Written out by hand, not from the engine: Monday 07:30 Berlin the office fleet runs 6;
      // Wednesday (the team's day off) it stays stopped all day.
      if (t === Date.parse('2026-11-30T06:30:00Z')) {
        expect(fleets.office.State).toBe('RUNNING');
        expect(fleets.office.ComputeCapacityStatus?.Desired).toBe(6);
        handChecked++;
      }
      if (t >= Date.parse('2026-12-01T23:00:00Z') && t < Date.parse('2026-12-02T23:00:00Z')) {
        expect(fleets.office.State, new Date(t).toISOString()).toBe('STOPPED');
        handChecked++;
      }
    }
    expect(handChecked).toBe(1 + 24 * 12);
    expect(ipCapReported).toBe(true);
    expect(quietRuns).toBeGreaterThan(200);
    // Writes happen only at change points (a few per fleet per day), never every run.
    expect(changes).toBeGreaterThan(20);
    expect(writesTotal).toBeLessThanOrEqual((changes + 2 * 2) * MAX_WRITES_PER_CHANGE);
    const tags = (
      await world.appstream.send(
        new ListTagsForResourceCommand({
          ResourceArn: `arn:aws:appstream:us-east-1:${ACCOUNT}:fleet/office`,
        }),
      )
    ).Tags!;
    expect(tags[TAG.lastAction]).toMatch(/^2026-12-0\dT\d\d:\d\dZ (stop|start|resize) \d+\/\d+ /);
  });
});
