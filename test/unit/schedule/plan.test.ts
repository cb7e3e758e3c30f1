import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../lib/schedule/engine';
import type { FleetFacts } from '../../../lib/schedule/inventory';
import { formatLastAction } from '../../../lib/schedule/last-action';
import { extraInterfaces, needsApply, type PlanInput, planFleet } from '../../../lib/schedule/plan';
import { TAG } from '../../../lib/tags';

const NOW = Date.parse('2026-11-30T08:00:00Z');

function fleet(over: Partial<FleetFacts> = {}): FleetFacts {
  return {
    name: 'f1',
    arn: 'arn:aws:appstream:us-east-1:123456789012:fleet/f1',
    region: 'us-east-1',
    fleetType: 'ON_DEMAND',
    unit: 'DesiredInstances',
    state: 'RUNNING',
    current: 2,
    inUse: 0,
    heldInterfaces: 2,
    subnetIds: [],
    tags: {},
    ...over,
  };
}

const d = (capacity: number, reason = 'period workday', extra: Partial<Decision> = {}): Decision => ({
  capacity,
  reason,
  ...extra,
});

function input(over: Partial<PlanInput> & { now?: Decision; lead?: Decision } = {}): PlanInput {
  const { now = d(20), lead, ...rest } = over;
  return {
    fleet: fleet(),
    schedule: 'office-hours',
    decisions: { now, lead: lead ?? now },
    enforced: true,
    force: false,
    stopWhenZero: false,
    startLeadMinutes: 15,
    ...rest,
  };
}

describe('Fleet schedule planner: sizing in the fleet unit', () => {
  it('resizes a RUNNING single-session fleet to the schedule (DesiredInstances)', () => {
    const plan = planFleet(input());
    expect(plan).toMatchObject({
      action: 'resize',
      unit: 'DesiredInstances',
      before: 2,
      after: 20,
      wanted: 20,
      reason: 'period workday',
    });
    expect(plan.cap).toBeUndefined();
    expect(needsApply(plan)).toBe(true);
  });

  it("is idempotent: 'none' when the fleet already has the capacity (nothing to apply)", () => {
    const plan = planFleet(input({ fleet: fleet({ current: 20 }) }));
    expect(plan.action).toBe('none');
    expect(needsApply(plan)).toBe(false);
  });

  it('sizes multi-session and Elastic fleets in sessions, carrying the unit through', () => {
    const multi = planFleet(
      input({ fleet: fleet({ unit: 'DesiredSessions', maxSessionsPerInstance: 4, current: 8 }) }),
    );
    expect(multi).toMatchObject({ unit: 'DesiredSessions', before: 8, after: 20, action: 'resize' });
    const elastic = planFleet(
      input({ fleet: fleet({ fleetType: 'ELASTIC', unit: 'MaxConcurrentSessions', current: 5 }) }),
    );
    expect(elastic).toMatchObject({ unit: 'MaxConcurrentSessions', after: 20, action: 'resize' });
  });

  it('keeps an Elastic fleet at MaxConcurrentSessions 1 when the schedule says 0 without stopWhenZero', () => {
    const plan = planFleet(
      input({ now: d(0, 'default'), fleet: fleet({ fleetType: 'ELASTIC', unit: 'MaxConcurrentSessions' }) }),
    );
    expect(plan).toMatchObject({ after: 1, action: 'resize' });
    expect(plan.notes.join()).toMatch(/≥ 1/);
  });
});

describe('Fleet schedule planner: never cut users off', () => {
  it('never sets capacity below the instances in use: in-use floor reported as the cap', () => {
    const plan = planFleet(input({ now: d(2, 'default'), fleet: fleet({ current: 20, inUse: 7 }) }));
    expect(plan).toMatchObject({ action: 'resize', after: 7, wanted: 2, inUse: 7 });
    expect(plan.cap).toEqual({ capacity: 7, reason: expect.stringContaining('7 instances in use') });
    expect(plan.forced).toBeUndefined();
  });

  it('exactly at the floor: capacity equal to what is in use is allowed, one below is raised', () => {
    expect(planFleet(input({ now: d(7), fleet: fleet({ current: 20, inUse: 7 }) })).after).toBe(7);
    expect(planFleet(input({ now: d(6), fleet: fleet({ current: 20, inUse: 7 }) })).after).toBe(7);
    expect(planFleet(input({ now: d(8), fleet: fleet({ current: 20, inUse: 7 }) })).after).toBe(8);
  });

  it('goes below what is in use only with force, and says so', () => {
    const plan = planFleet(input({ now: d(2), force: true, fleet: fleet({ current: 20, inUse: 7 }) }));
    expect(plan).toMatchObject({ after: 2, forced: true });
    expect(plan.notes.join()).toMatch(/force/);
  });

  it('uses ActiveUserSessions as the floor of a multi-session fleet', () => {
    const plan = planFleet(
      input({
        now: d(4),
        fleet: fleet({ unit: 'DesiredSessions', maxSessionsPerInstance: 4, current: 16, inUse: 9 }),
      }),
    );
    expect(plan).toMatchObject({ after: 9 });
    expect(plan.cap?.reason).toMatch(/9 sessions in use/);
  });
});

describe('Fleet schedule planner: stopWhenZero and the start lead', () => {
  it('stops a RUNNING fleet when the schedule says 0 and nothing is in use', () => {
    const plan = planFleet(input({ now: d(0, 'default'), stopWhenZero: true }));
    expect(plan).toMatchObject({ action: 'stop', after: 0, wanted: 0 });
  });

  it('defers the stop while sessions are open: shrinks to what is in use instead', () => {
    const plan = planFleet(
      input({ now: d(0, 'default'), stopWhenZero: true, fleet: fleet({ current: 20, inUse: 3 }) }),
    );
    expect(plan).toMatchObject({ action: 'resize', after: 3 });
    expect(plan.notes.join()).toMatch(/stop deferred: 3 instances in use/);
  });

  it('stops a fleet in use only with force (forced)', () => {
    const plan = planFleet(
      input({ now: d(0, 'default'), stopWhenZero: true, force: true, fleet: fleet({ inUse: 3 }) }),
    );
    expect(plan).toMatchObject({ action: 'stop', forced: true });
  });

  it('leaves a STOPPED fleet stopped while nothing is due within the lead', () => {
    const plan = planFleet(
      input({
        now: d(0, 'default'),
        lead: d(0, 'default'),
        stopWhenZero: true,
        fleet: fleet({ state: 'STOPPED' }),
      }),
    );
    expect(plan.action).toBe('none');
  });

  it('starts a STOPPED fleet when capacity is due within startLeadMinutes, sized for it', () => {
    const plan = planFleet(
      input({
        now: d(0, 'default'),
        lead: d(20, 'period workday'),
        stopWhenZero: true,
        fleet: fleet({ state: 'STOPPED', current: 1, heldInterfaces: 0 }),
      }),
    );
    expect(plan).toMatchObject({ action: 'start', after: 20, wanted: 20, reason: 'period workday' });
    expect(plan.notes.join()).toMatch(/started ahead/);
  });

  it('does not stop a RUNNING fleet in the lead window before the next period: it keeps it sized', () => {
    const plan = planFleet(
      input({ now: d(0, 'default'), lead: d(20), stopWhenZero: true, fleet: fleet({ current: 20 }) }),
    );
    expect(plan.action).toBe('none');
  });

  it('sizes (but does not start) a STOPPED fleet the schedule does not stop and start', () => {
    const plan = planFleet(input({ fleet: fleet({ state: 'STOPPED' }) }));
    expect(plan).toMatchObject({ action: 'resize', after: 20 });
    expect(plan.notes.join()).toMatch(/not started/);
  });

  it.each(['STARTING', 'STOPPING'])('leaves a %s fleet for the next run (retry-later, no write)', (state) => {
    const plan = planFleet(input({ fleet: fleet({ state }) }));
    expect(plan).toMatchObject({ action: 'retry-later', after: 2 });
    expect(needsApply(plan)).toBe(false);
  });
});

describe('Fleet schedule planner: caps', () => {
  it('caps at the per-fleet maxCapacity guard', () => {
    const plan = planFleet(input({ maxCapacity: 12 }));
    expect(plan).toMatchObject({
      after: 12,
      wanted: 20,
      cap: { capacity: 12, reason: 'maxCapacity guard 12' },
    });
  });

  it('caps a scale-up at free IPs + interfaces held (single-session: one per instance)', () => {
    const f = fleet({ subnetIds: ['subnet-1'], current: 2, heldInterfaces: 2 });
    const plan = planFleet(input({ fleet: f, freeIps: 9 }));
    expect(plan).toMatchObject({ after: 11, cap: { capacity: 11 } });
    expect(plan.cap?.reason).toMatch(/IP cap: 9 free addresses in subnet-1 \+ 2 interfaces held/);
    // Exactly enough addresses: no cap.
    expect(planFleet(input({ fleet: f, freeIps: 18 })).cap).toBeUndefined();
    expect(planFleet(input({ fleet: f, freeIps: 17 })).after).toBe(19);
  });

  it('counts a multi-session fleet’s interfaces per instance: ceil(sessions / MaxSessionsPerInstance)', () => {
    const f = fleet({
      unit: 'DesiredSessions',
      maxSessionsPerInstance: 4,
      current: 8,
      heldInterfaces: 2,
      subnetIds: ['subnet-1'],
    });
    const plan = planFleet(input({ fleet: f, now: d(40), freeIps: 3 }));
    expect(plan).toMatchObject({ after: 20, cap: { capacity: 20 } });
    expect(extraInterfaces(plan, f)).toBe(3);
  });

  it('does not cap a fleet outside the account’s VPCs (no subnets) and never below what is in use', () => {
    expect(planFleet(input({ freeIps: 0 })).after).toBe(20);
    const plan = planFleet(
      input({ fleet: fleet({ subnetIds: ['s'], current: 5, inUse: 5, heldInterfaces: 5 }), freeIps: 0 }),
    );
    expect(plan.after).toBe(5);
  });
});

describe('Fleet schedule planner: Application Auto Scaling targets', () => {
  it('sets Min/Max from the period instead of the desired capacity', () => {
    const plan = planFleet(
      input({
        now: d(10, 'period daytime', { minCapacity: 5, maxCapacity: 30 }),
        fleet: fleet({ scalableTarget: { min: 1, max: 1 }, current: 1 }),
      }),
    );
    expect(plan).toMatchObject({
      action: 'set-min-max',
      after: 5,
      scalableTarget: { min: 5, max: 30, wantedMin: 5, wantedMax: 30 },
    });
  });

  it('uses the capacity as Min and Max when the period has none, and is idempotent', () => {
    const f = fleet({ scalableTarget: { min: 20, max: 20 }, current: 20 });
    expect(planFleet(input({ fleet: f })).action).toBe('none');
    const plan = planFleet(input({ now: d(2, 'default'), fleet: f }));
    expect(plan).toMatchObject({ action: 'set-min-max', scalableTarget: { min: 2, max: 2 } });
  });

  it('caps Max by the guard and keeps Min ≤ Max', () => {
    const plan = planFleet(
      input({
        now: d(10, 'p', { minCapacity: 10, maxCapacity: 40 }),
        maxCapacity: 8,
        fleet: fleet({ scalableTarget: { min: 1, max: 1 } }),
      }),
    );
    expect(plan.scalableTarget).toEqual({ min: 8, max: 8, wantedMin: 10, wantedMax: 40 });
  });

  it('starts a STOPPED auto-scaled fleet sized to the schedule within the new [Min, Max], not at its old capacity', () => {
    // RegisterScalableTarget leaves a stopped fleet's capacity alone: apply.ts sizes it (after).
    const plan = planFleet(
      input({
        now: d(0, 'default'),
        lead: d(8, 'period workday', { minCapacity: 4, maxCapacity: 12 }),
        stopWhenZero: true,
        fleet: fleet({ state: 'STOPPED', scalableTarget: { min: 1, max: 1 }, current: 1 }),
      }),
    );
    expect(plan).toMatchObject({
      action: 'start',
      before: 1,
      after: 8,
      scalableTarget: { min: 4, max: 12, wantedMin: 4, wantedMax: 12 },
    });
    // A schedule value outside the range is clamped into it.
    const low = planFleet(
      input({
        now: d(0, 'default'),
        lead: d(2, 'period workday', { minCapacity: 4, maxCapacity: 12 }),
        stopWhenZero: true,
        fleet: fleet({ state: 'STOPPED', scalableTarget: { min: 1, max: 1 }, current: 1 }),
      }),
    );
    expect(low).toMatchObject({ action: 'start', after: 4 });
  });
});

describe('Fleet schedule planner: overrides and enforced: false', () => {
  it('marks an expired override for removal even when nothing else changes', () => {
    const plan = planFleet({
      ...input({ fleet: fleet({ current: 20 }) }),
      decisions: { now: d(20), lead: d(20), overrideExpired: true, notes: ['override 5@… expired: removed'] },
    });
    expect(plan).toMatchObject({ action: 'none', clearOverride: true });
    expect(needsApply(plan)).toBe(true);
  });

  it('enforced: false leaves a manual change alone until the schedule value changes', () => {
    const tag = formatLastAction({
      at: NOW,
      action: 'resize',
      after: 20,
      wanted: 20,
      reason: 'period workday',
    });
    // A person set 25 after the last action: same schedule value → no action.
    const manual = fleet({ current: 25, tags: { [TAG.lastAction]: tag } });
    const kept = planFleet(input({ enforced: false, fleet: manual }));
    expect(kept.action).toBe('none');
    expect(kept.notes.join()).toMatch(/no change point since 2026-11-30T08:00Z/);
    expect(needsApply(kept)).toBe(false);
    // The next change point (reason or capacity differs) acts.
    expect(planFleet(input({ enforced: false, now: d(2, 'default'), fleet: manual }))).toMatchObject({
      action: 'resize',
      after: 2,
    });
    // enforced: true puts the schedule's value back at once.
    expect(planFleet(input({ fleet: manual })).after).toBe(20);
  });

  it('enforced: false records a change point the fleet already matches (tag only)', () => {
    const plan = planFleet(input({ enforced: false, fleet: fleet({ current: 20 }) }));
    expect(plan).toMatchObject({ action: 'none', record: true });
    expect(needsApply(plan)).toBe(true);
  });
});

describe('Fleet schedule planner: multi-session fleets run whole instances', () => {
  it('treats 9 wanted sessions on 4-session instances as the 12 slots already running (no resize every run)', () => {
    const f = fleet({ unit: 'DesiredSessions', maxSessionsPerInstance: 4, current: 12, inUse: 9 });
    expect(planFleet(input({ now: d(4), fleet: f })).action).toBe('none');
    expect(planFleet(input({ now: d(13), fleet: f }))).toMatchObject({ action: 'resize', after: 13 });
  });
});

describe('Fleet schedule planner: enforced: false and stopWhenZero', () => {
  const zero = { now: d(0, 'default'), stopWhenZero: true, enforced: false };

  it('still owes a stop deferred for users in session once they leave (same change point)', () => {
    const tag = formatLastAction({ at: NOW, action: 'resize', after: 3, wanted: 0, reason: 'default' });
    const plan = planFleet(input({ ...zero, fleet: fleet({ current: 3, tags: { [TAG.lastAction]: tag } }) }));
    expect(plan.action).toBe('stop');
  });

  it('leaves alone a fleet a person started after the schedule stopped it', () => {
    const tag = formatLastAction({ at: NOW, action: 'stop', after: 0, wanted: 0, reason: 'default' });
    const plan = planFleet(input({ ...zero, fleet: fleet({ current: 3, tags: { [TAG.lastAction]: tag } }) }));
    expect(plan.action).toBe('none');
  });
});

describe('Fleet schedule planner: auto-scaled fleets changed out of band', () => {
  const period = d(8, 'period workday', { minCapacity: 4, maxCapacity: 12 });

  it('puts a RUNNING fleet set above its unchanged range back to Max (Application Auto Scaling would not)', () => {
    const f = fleet({ scalableTarget: { min: 4, max: 12 }, current: 30, heldInterfaces: 30 });
    expect(planFleet(input({ now: period, fleet: f }))).toMatchObject({
      action: 'resize',
      before: 30,
      after: 12,
    });
  });

  it('respects the in-use floor when putting it back', () => {
    const f = fleet({ scalableTarget: { min: 4, max: 12 }, current: 30, inUse: 20, heldInterfaces: 30 });
    // Max is held at the 20 in use (never below without force); the fleet comes down to 20.
    expect(planFleet(input({ now: period, fleet: f }))).toMatchObject({ action: 'set-min-max', after: 20 });
  });

  it('leaves a fleet inside its range (its scaling policies move it) and a STOPPED one at its capacity', () => {
    const inside = fleet({ scalableTarget: { min: 4, max: 12 }, current: 9 });
    expect(planFleet(input({ now: period, fleet: inside }))).toMatchObject({ action: 'none', after: 9 });
    const stopped = fleet({ state: 'STOPPED', scalableTarget: { min: 4, max: 12 }, current: 30 });
    expect(planFleet(input({ now: period, fleet: stopped }))).toMatchObject({ action: 'none', after: 30 });
  });
});

describe('Fleet schedule planner: enforced: false finishes a change held back', () => {
  const tag = (after: number, wanted: number, reason = 'default') =>
    formatLastAction({ at: NOW, action: 'resize', after, wanted, reason });

  it('finishes a shrink held up by users once they leave (the fleet is still where we left it)', () => {
    const f = fleet({ current: 7, inUse: 0, tags: { [TAG.lastAction]: tag(7, 2) } });
    expect(planFleet(input({ enforced: false, now: d(2, 'default'), fleet: f }))).toMatchObject({
      action: 'resize',
      after: 2,
    });
  });

  it('finishes a scale-up held by the IP cap once addresses are free', () => {
    const f = fleet({
      current: 11,
      heldInterfaces: 11,
      subnetIds: ['subnet-1'],
      tags: { [TAG.lastAction]: tag(11, 20, 'period workday') },
    });
    expect(planFleet(input({ enforced: false, fleet: f, freeIps: 30 }))).toMatchObject({
      action: 'resize',
      after: 20,
    });
    // Still capped: nothing to write, and the change point is not recorded again every run.
    const still = planFleet(input({ enforced: false, fleet: f, freeIps: 0 }));
    expect(still).toMatchObject({ action: 'none', after: 11 });
    expect(needsApply(still)).toBe(false);
  });

  it('leaves a fleet a person resized after a held-back change alone', () => {
    const f = fleet({ current: 9, tags: { [TAG.lastAction]: tag(7, 2) } });
    expect(planFleet(input({ enforced: false, now: d(2, 'default'), fleet: f })).action).toBe('none');
  });
});

describe('Fleet schedule planner: capacity due ahead', () => {
  it('scales a RUNNING fleet up ahead of the period (the lead), and down only at its time', () => {
    const up = planFleet(input({ now: d(2, 'default'), lead: d(20), fleet: fleet({ current: 2 }) }));
    expect(up).toMatchObject({ action: 'resize', after: 20, wanted: 20, reason: 'period workday' });
    expect(up.notes.join(' ')).toContain('sized ahead');
    // A lower value ahead is not a lead: decide.ts gives `now` then.
    expect(planFleet(input({ now: d(20), lead: d(20), fleet: fleet({ current: 20 }) })).action).toBe('none');
  });
});
