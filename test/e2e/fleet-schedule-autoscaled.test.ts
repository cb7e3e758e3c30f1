import { afterEach, describe, expect, it } from 'vitest';
import { runScheduleLocally } from '../../local/schedule';
import { MIN } from '../helpers/emulator';
import {
  fleetsByName,
  fleetWithStack,
  registerTarget,
  type ScheduleWorld,
  scheduleWorld,
  targetOf,
} from '../helpers/fleet-schedule';

/** Monday 2026-11-30 07:20 in Berlin: the workday (07:30) is due within the 15-minute lead. */
const MONDAY_0720 = Date.parse('2026-11-30T06:20:00Z');

const CONFIG = {
  schedules: {
    office: {
      timezone: 'Europe/Berlin',
      default: 0,
      periods: [
        {
          name: 'workday',
          weekdays: 'mon-fri',
          begin: '07:30',
          end: '18:00',
          capacity: 8,
          minCapacity: 4,
          maxCapacity: 12,
        },
      ],
    },
  },
  fleets: [{ name: 'scaled', schedule: 'office', stopWhenZero: true }],
};

let w: ScheduleWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

describe('Fleet schedule: an auto-scaled fleet started from STOPPED', () => {
  // RegisterScalableTarget does not resize a fleet that isn't running ("If the specified resource
  // is not active in the target service, this operation does not change the resource's current
  // capacity", Application Auto Scaling API reference): the run sizes it before StartFleet.
  it('comes up within the new [Min, Max], sized to the schedule, not at last night’s capacity', async () => {
    w = await scheduleWorld(MONDAY_0720 - 10 * MIN);
    await fleetWithStack(w, 'scaled', {}, false); // STOPPED, DesiredInstances 1
    await registerTarget(w, 'scaled', 1, 1);
    w.emu.control.advance(10 * MIN);

    const first = await runScheduleLocally({ config: CONFIG, emulator: w.emu });
    expect(first.report.fleets.map((f) => [f.fleet, f.action, f.before, f.after, f.result])).toEqual([
      ['scaled', 'start', 1, 8, 'applied'],
    ]);
    expect(await targetOf(w, 'scaled')).toEqual({ min: 4, max: 12 });

    w.emu.control.advance(15 * MIN);
    const fleet = (await fleetsByName(w)).scaled;
    expect(fleet.State).toBe('RUNNING');
    const desired = fleet.ComputeCapacityStatus?.Desired;
    expect(desired).toBe(8);
    expect(desired).toBeGreaterThanOrEqual(4);
    expect(desired).toBeLessThanOrEqual(12);

    // The next run finds it right: nothing to do.
    const again = await runScheduleLocally({ config: CONFIG, emulator: w.emu });
    expect(again.report.fleets.map((f) => [f.fleet, f.action])).toEqual([['scaled', 'none']]);
  });
});
