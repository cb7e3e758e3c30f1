import {
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { afterEach, describe, expect, it } from 'vitest';
import { formatOverride } from '../../lib/schedule/override';
import { TAG } from '../../lib/tags';
import type { ProgressEvent } from '../../local/runner';
import { runScheduleLocally } from '../../local/schedule';
import { ACCOUNT, MIN } from '../helpers/emulator';
import {
  fleetsByName,
  fleetWithStack,
  type ScheduleWorld,
  scheduleWorld,
  WRITES,
} from '../helpers/fleet-schedule';

/** Monday 2026-11-30 10:00 in Berlin: inside the workday. */
const MONDAY_10 = Date.parse('2026-11-30T09:00:00Z');
const arn = (fleet: string) => `arn:aws:appstream:us-east-1:${ACCOUNT}:fleet/${fleet}`;

const CONFIG = {
  schedules: {
    day: {
      timezone: 'Europe/Berlin',
      default: 1,
      periods: [{ name: 'workday', weekdays: 'mon-fri', begin: '08:00', end: '18:00', capacity: 4 }],
    },
  },
  fleets: [
    { name: 'a', schedule: 'day' },
    { name: 'b', schedule: 'day' },
  ],
};

let w: ScheduleWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

/** Fleets running at capacity 1 on Monday 10:00 Berlin (the schedule wants 4). */
async function setUp(names = ['a', 'b'], extra: Record<string, Record<string, unknown>> = {}) {
  w = await scheduleWorld(MONDAY_10 - 20 * MIN);
  for (const name of names) await fleetWithStack(w, name, extra[name] ?? {});
  w.emu.control.advance(20 * MIN);
  return w;
}

const run = (world: ScheduleWorld, opts: Record<string, unknown> = {}) =>
  runScheduleLocally({ config: CONFIG, emulator: world.emu, ...opts });

describe('Fleet schedule: faults', () => {
  it('retries throttling: the SDK first, then the state machine (Evaluate and Apply), and applies', async () => {
    const world = await setUp();
    world.emu.control.failCalls({ code: 'ThrottlingException', operation: 'DescribeFleets', count: 3 });
    world.emu.control.failCalls({ code: 'ThrottlingException', operation: 'UpdateFleet', count: 4 });
    const events: ProgressEvent[] = [];
    const { result, report } = await run(world, {
      config: { ...CONFIG, fleets: [CONFIG.fleets[0]] },
      onProgress: (e: ProgressEvent) => events.push(e),
    });
    expect(result.status).toBe('SUCCEEDED');
    // 3 SDK attempts failed → AwsTransientError → the Task's Retry ran the function again.
    const retried = events.filter((e) => e.type === 'retried').map((e) => e.state);
    expect(retried).toEqual(expect.arrayContaining(['Evaluate', 'ApplyFleet']));
    expect(report.fleets[0]).toMatchObject({ fleet: 'a', action: 'resize', after: 4, result: 'applied' });
    expect((await fleetsByName(world)).a.ComputeCapacityStatus?.Desired).toBe(4);
  });

  it('leaves a fleet that answers ConcurrentModificationException for the next run, which applies it', async () => {
    const world = await setUp(['a']);
    world.emu.control.failCalls({ code: 'ConcurrentModificationException', operation: 'UpdateFleet' });
    const cfg = { ...CONFIG, fleets: [CONFIG.fleets[0]] };
    const first = await run(world, { config: cfg });
    expect(first.result.status).toBe('SUCCEEDED');
    expect(first.report.fleets[0]).toMatchObject({ action: 'retry-later', result: 'skipped' });
    expect(first.report.failed).toEqual([]);
    world.emu.control.advance(5 * MIN);
    const second = await run(world, { config: cfg });
    expect(second.report.fleets[0]).toMatchObject({ action: 'resize', result: 'applied', after: 4 });
  });

  it('reports a failing fleet by name while the others apply', async () => {
    const world = await setUp(['a', 'b'], { b: { InstanceType: 'stream.standard.large' } });
    // b's instance type may run 2 instances in this account: UpdateFleet to 4 is refused.
    world.emu.control.setQuotas({
      streamingInstances: { 'stream.standard.medium': 100, 'stream.standard.large': 2 },
    });
    const { result, report } = await run(world);
    expect(result.status).toBe('SUCCEEDED');
    expect(report.failed).toEqual(['b@us-east-1']);
    const b = report.fleets.find((f) => f.fleet === 'b')!;
    expect(b).toMatchObject({ result: 'failed', error: expect.stringMatching(/^LimitExceededException: /) });
    expect(report.fleets.find((f) => f.fleet === 'a')).toMatchObject({ result: 'applied', after: 4 });
    expect(report.counts).toMatchObject({ applied: 1, failed: 1, resize: 2 });
  });

  it('reports a named fleet that does not exist and a tag naming an unknown schedule, per fleet', async () => {
    const world = await setUp(['a', 'tagged'], { tagged: { Tags: { 'team:schedule': 'nope' } } });
    const { report } = await run(world, {
      config: { ...CONFIG, fleets: [...CONFIG.fleets, { tag: 'team:schedule' }] },
    });
    expect(report.failed.sort()).toEqual(['b@us-east-1', 'tagged@us-east-1']);
    expect(report.fleets.find((f) => f.fleet === 'b')?.error).toMatch(/^FleetNotFound: /);
    expect(report.fleets.find((f) => f.fleet === 'tagged')?.error).toMatch(/^UnknownSchedule: .*'nope'/);
    expect(report.fleets.find((f) => f.fleet === 'a')).toMatchObject({ result: 'applied' });
  });
});

describe('Fleet schedule: idempotence, dry run and overrides', () => {
  it('writes nothing on a second run at the same instant, and nothing on a dry run', async () => {
    const world = await setUp();
    const dry = await run(world, { dryRun: true });
    expect(world.calls.take().UpdateFleet).toBeUndefined();
    expect(dry.report.fleets.map((f) => [f.fleet, f.action, f.result])).toEqual([
      ['a', 'resize', 'dry-run'],
      ['b', 'resize', 'dry-run'],
    ]);
    await run(world);
    expect(world.calls.take().UpdateFleet).toBe(2);
    const again = await run(world);
    const calls = world.calls.take();
    expect(WRITES.filter((op) => calls[op])).toEqual([]);
    expect(again.report.counts).toEqual({ none: 2, unchanged: 2 });
    expect(again.result.transitions).toBe(3);
  });

  it('applies an override until it expires, then removes its tag and goes back to the schedule', async () => {
    const world = await setUp(['a']);
    const until = MONDAY_10 + 60 * MIN;
    await world.appstream.send(
      new TagResourceCommand({
        ResourceArn: arn('a'),
        Tags: { [TAG.override]: formatOverride({ capacity: 9, until }) },
      }),
    );
    const cfg = { ...CONFIG, fleets: [CONFIG.fleets[0]] };
    const during = await run(world, { config: cfg });
    expect(during.report.fleets[0]).toMatchObject({ after: 9, reason: 'override' });
    world.emu.control.advance(65 * MIN);
    const after = await run(world, { config: cfg });
    expect(after.report.fleets[0]).toMatchObject({ after: 4, reason: 'period workday', clearOverride: true });
    const tags = (await world.appstream.send(new ListTagsForResourceCommand({ ResourceArn: arn('a') })))
      .Tags!;
    expect(tags[TAG.override]).toBeUndefined();
    expect(tags[TAG.lastAction]).toMatch(/ resize 4\/4 period workday$/);
  });

  it('enforced: false leaves a manual change alone until the next change point', async () => {
    const world = await setUp(['a']);
    const cfg = {
      schedules: { day: { ...CONFIG.schedules.day, enforced: false } },
      fleets: [CONFIG.fleets[0]],
    };
    await run(world, { config: cfg });
    await world.appstream.send(
      new UpdateFleetCommand({ Name: 'a', ComputeCapacity: { DesiredInstances: 7 } }),
    );
    world.emu.control.advance(5 * MIN);
    world.calls.take();
    const kept = await run(world, { config: cfg });
    expect(kept.report.fleets[0]).toMatchObject({ action: 'none', before: 7 });
    expect(world.calls.take().UpdateFleet).toBeUndefined();
    // 18:00 Berlin: the workday ends, a change point: the schedule acts again.
    world.emu.control.advance(Date.parse('2026-11-30T17:00:00Z') - world.emu.world.now());
    const next = await run(world, { config: cfg });
    expect(next.report.fleets[0]).toMatchObject({ action: 'resize', before: 7, after: 1 });
  });
});
