import { describe, expect, it } from 'vitest';
import { compactOutcome } from '../../../lib/schedule/apply';
import type { FleetPlan } from '../../../lib/schedule/plan';
import { arnPrefixOf, fromUnchanged, fromWire, PlanEncoder, toUnchanged } from '../../../lib/schedule/wire';

const ARN = 'arn:aws:appstream:eu-central-1:123456789012:fleet/';
const plan = (fleet: string, over: Partial<FleetPlan> = {}): FleetPlan => ({
  fleet,
  region: 'eu-central-1',
  schedule: 'office-hours',
  fleetType: 'ON_DEMAND',
  unit: 'DesiredInstances',
  state: 'RUNNING',
  before: 2,
  after: 8,
  wanted: 8,
  inUse: 0,
  action: 'resize',
  reason: 'period workday',
  arn: `${ARN}${fleet}`,
  notes: [],
  ...over,
});

describe('Fleet schedule payloads (lib/schedule/wire.ts)', () => {
  it('a plan survives the trip as a tuple, its shared fields stored once per run', () => {
    const encoder = new PlanEncoder();
    const plans = [
      plan('a'),
      plan('b'),
      plan('c', {
        action: 'set-min-max',
        wanted: 20,
        after: 11,
        inUse: 3,
        cap: { capacity: 11, reason: 'IP cap: 9 free addresses in subnet-1 + 2 interfaces held' },
        scalableTarget: { min: 4, max: 11, wantedMin: 4, wantedMax: 20 },
        clearOverride: true,
        notes: ['x'],
      }),
    ];
    const wired = plans.map((p) => encoder.encode(p));
    expect(wired[0]).toEqual(['a', 0, 2, 8, 'resize']);
    expect(encoder.kinds).toEqual([
      ['eu-central-1', 'office-hours', 'ON_DEMAND', 'DesiredInstances', 'RUNNING', 'period workday'],
    ]);
    const prefix = { 'eu-central-1': arnPrefixOf(`${ARN}a`, 'a')! };
    expect(prefix['eu-central-1']).toBe(ARN);
    expect(wired.map((w) => fromWire(w, encoder.kinds, prefix))).toEqual(plans);
  });

  it('refuses a plan whose kind the run does not carry', () => {
    expect(() => fromWire(['a', 3, 1, 2, 'resize'], [])).toThrow(RangeError);
  });

  it('an unchanged fleet is [fleet, region, capacity, reason], plus what it has to say (IP cap, retry-later)', () => {
    const plain = plan('a', { action: 'none', before: 8 });
    expect(toUnchanged(plain)).toEqual(['a', 'eu-central-1', 8, 'period workday']);
    expect(fromUnchanged(toUnchanged(plain))).toMatchObject({
      fleet: 'a',
      before: 8,
      after: 8,
      action: 'none',
      result: 'unchanged',
    });
    const capped = plan('small', {
      action: 'none',
      before: 11,
      after: 11,
      wanted: 20,
      cap: { capacity: 11, reason: 'IP cap: 0 free addresses in subnet-1 + 11 interfaces held' },
    });
    expect(fromUnchanged(toUnchanged(capped))).toMatchObject({
      wanted: 20,
      after: 11,
      cap: capped.cap,
      result: 'unchanged',
    });
    const busy = plan('b', {
      action: 'retry-later',
      state: 'STARTING',
      after: 2,
      notes: ['fleet is STARTING'],
    });
    expect(fromUnchanged(toUnchanged(busy))).toMatchObject({
      action: 'retry-later',
      result: 'skipped',
      notes: ['fleet is STARTING'],
    });
  });

  it('an applied fleet’s outcome is the bare word; a busy one keeps its action and error', () => {
    expect(compactOutcome({ fleet: 'a', region: 'r', result: 'applied', calls: ['UpdateFleet'] })).toBe(
      'applied',
    );
    expect(
      compactOutcome({
        fleet: 'a',
        region: 'r',
        result: 'skipped',
        action: 'retry-later',
        error: 'ConcurrentModificationException: busy',
        calls: ['UpdateFleet'],
      }),
    ).toEqual({ result: 'skipped', action: 'retry-later', error: 'ConcurrentModificationException: busy' });
  });
});
