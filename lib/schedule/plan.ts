/**
 * The planner: one fleet's facts + what its schedule says → what to do (pure; no AWS, no clock).
 * Rules, in order:
 * 1. A fleet STARTING or STOPPING can't be edited (UpdateFleet answers
 *    ConcurrentModificationException): retry-later, the next run acts.
 * 2. `enforced: false`: act only at change points: when TAG.lastAction recorded the same schedule
 *    value (capacity and reason) as now, a person's manual change stays (lib/schedule/last-action.ts),
 *    unless a stop deferred for sessions or a change held back is still owed.
 * 3. `stopWhenZero` fleets: stopped when the schedule says 0 and nothing is in use (or `force`).
 *    Capacity due within `startLeadMinutes` (+ the cadence, decide.ts) is there in time: a stopped
 *    fleet starts, a running one scales up, sized to it (fleets take minutes to start); scale-downs
 *    happen at their time.
 * 4. Capacity, in the fleet's unit (lib/schedule/units.ts), is capped by the per-fleet maxCapacity
 *    guard, then by the free IP addresses of its subnets plus the interfaces it already holds, and
 *    is never set below what is in use (InUse / ActiveUserSessions) unless `force` (then `forced`).
 * 5. Fleets with an Application Auto Scaling target get Min/Max (RegisterScalableTarget) instead
 *    of a desired capacity: their scaling policies keep working inside the range.
 * 6. Idempotent: when the fleet is already right the action is 'none' (no write).
 */
import { TAG } from '../tags';
import type { Decision } from './engine';
import type { FleetFacts } from './inventory';
import { parseLastAction, sameScheduleValue } from './last-action';
import { type CapacityUnit, capacityFor, type FleetType, interfacesFor, sameCapacity } from './units';

export type PlanAction = 'none' | 'resize' | 'start' | 'stop' | 'set-min-max' | 'retry-later';

export interface FleetPlan {
  fleet: string;
  region: string;
  schedule: string;
  fleetType: FleetType;
  unit: CapacityUnit;
  /** The fleet's state when planned. */
  state: string;
  before: number;
  after: number;
  /** The schedule's value before caps. */
  wanted: number;
  inUse: number;
  action: PlanAction;
  reason: string;
  /** What held `after` below (or above) `wanted`: IP cap, maxCapacity guard, in-use floor. */
  cap?: { capacity: number; reason: string };
  /** `force` took capacity below what is in use (or stopped a fleet in use): users are cut off. */
  forced?: boolean;
  scalableTarget?: { min: number; max: number; wantedMin: number; wantedMax: number };
  /** The fleet's override tag has expired: remove it. */
  clearOverride?: boolean;
  /** `enforced: false` at a change point with the fleet already right: record TAG.lastAction only. */
  record?: boolean;
  /** The fleet's ARN (tags are written by ARN). */
  arn?: string;
  notes: string[];
}

export interface PlanInput {
  fleet: FleetFacts;
  schedule: string;
  /** The schedule's value now and the highest one ahead (lib/schedule/decide.ts). */
  decisions: { now: Decision; lead: Decision; overrideExpired?: boolean; notes?: string[] };
  enforced: boolean;
  /** The schedule's force, or the fleet selector's. */
  force: boolean;
  stopWhenZero: boolean;
  startLeadMinutes: number;
  maxCapacity?: number;
  /** Free IP addresses left in the fleet's subnets (DescribeSubnets); absent: not looked up. */
  freeIps?: number;
}

const noun = (unit: CapacityUnit) => (unit === 'DesiredInstances' ? 'instances' : 'sessions');

export function planFleet(p: PlanInput): FleetPlan {
  const f = p.fleet;
  const { now, lead } = p.decisions;
  // Capacity due within the start lead (+ the cadence) is there in time: a stopped fleet comes up
  // early, a running one scales up early, sized for what's next. Scale-downs wait for their time.
  const ahead = lead.capacity > now.capacity;
  const startAhead = ahead && p.stopWhenZero && now.capacity === 0;
  const target = ahead ? lead : now;
  const notes = [...(p.decisions.notes ?? [])];
  const plan: FleetPlan = {
    fleet: f.name,
    region: f.region,
    schedule: p.schedule,
    fleetType: f.fleetType,
    unit: f.unit,
    state: f.state,
    before: f.current,
    after: f.current,
    wanted: target.capacity,
    inUse: f.inUse,
    action: 'none',
    reason: target.reason,
    arn: f.arn,
    notes,
  };
  if (p.decisions.overrideExpired) plan.clearOverride = true;
  if (startAhead) notes.push(`${lead.capacity} due within ${p.startLeadMinutes} min: started ahead`);
  else if (ahead) notes.push(`${lead.capacity} due within ${p.startLeadMinutes} min: sized ahead`);

  if (f.state === 'STARTING' || f.state === 'STOPPING') {
    notes.push(`fleet is ${f.state}: acted on at the next run`);
    // Nothing is written to a busy fleet, not even the removal of an expired override (next run).
    const { clearOverride: _later, ...busy } = plan;
    return { ...busy, action: 'retry-later' };
  }
  const running = f.state === 'RUNNING';
  const last = parseLastAction(f.tags[TAG.lastAction]);
  // A stop deferred for users in session is still owed at the same change point (the last action
  // recorded a resize to 0, not a stop); a fleet a person started after our stop is theirs.
  const stopOwed = p.stopWhenZero && target.capacity === 0 && running && last?.action !== 'stop';
  // Likewise a change held back (users in session, the IP cap) is still owed while the fleet
  // stays where we left it; a fleet a person resized since is theirs. (Auto-scaled fleets move by
  // themselves: their recorded after says nothing of a person.)
  const heldOwed =
    last !== undefined &&
    !f.scalableTarget &&
    last.after !== last.wanted &&
    sameCapacity(f.unit, f.current, last.after, f.maxSessionsPerInstance);
  if (!p.enforced && !stopOwed && !heldOwed && sameScheduleValue(last, target.capacity, target.reason)) {
    notes.push(`enforced: false and no change point since ${last!.at}: manual changes stay`);
    return plan;
  }

  let decided: FleetPlan;
  if (p.stopWhenZero && target.capacity === 0) decided = planStop(plan, p, running);
  else {
    // Someone stopped a fleet the schedule doesn't stop/start: size it (STOPPED fleets take every
    // edit), leave starting it to them.
    if (f.state === 'STOPPED' && !p.stopWhenZero)
      notes.push('fleet is STOPPED and stopWhenZero is off: sized, not started');
    decided = planSize(plan, p, target);
  }
  // Record the change point once (a change still held back is not recorded again every run).
  const recorded = sameScheduleValue(last, target.capacity, target.reason) && last?.after === decided.after;
  if (!p.enforced && decided.action === 'none' && !recorded) decided.record = true;
  return decided;
}

/** The schedule says 0 for a stopWhenZero fleet. */
function planStop(plan: FleetPlan, p: PlanInput, running: boolean): FleetPlan {
  const f = p.fleet;
  if (!running) return plan;
  if (f.inUse === 0) return { ...plan, action: 'stop', after: 0 };
  if (p.force) {
    plan.notes.push(`force: stopping ends ${f.inUse} ${noun(f.unit)} in use`);
    return { ...plan, action: 'stop', after: 0, forced: true };
  }
  // Stopping would end their sessions: shrink to what is in use, stop at a later run.
  plan.notes.push(`stop deferred: ${f.inUse} ${noun(f.unit)} in use`);
  return planSize(plan, p, { capacity: 0, reason: plan.reason });
}

/** Sizes the fleet (or its scalable target) to `target`, capped. */
function planSize(plan: FleetPlan, p: PlanInput, target: Decision): FleetPlan {
  const f = p.fleet;
  const starting = f.state === 'STOPPED' && p.stopWhenZero;
  const action = (changed: boolean) => (starting ? 'start' : changed ? 'resize' : 'none');
  if (f.scalableTarget && f.unit !== 'MaxConcurrentSessions') {
    const wantedMin = target.minCapacity ?? target.capacity;
    const wantedMax = Math.max(target.maxCapacity ?? target.capacity, wantedMin);
    const max = capped(plan, p, wantedMax);
    const min = Math.min(wantedMin, max);
    const unchanged = min === f.scalableTarget.min && max === f.scalableTarget.max;
    // Application Auto Scaling moves a running fleet's desired capacity into [Min, Max] at once.
    // A stopped fleet it leaves alone ("If the specified resource is not active in the target
    // service, this operation does not change the resource's current capacity",
    // RegisterScalableTarget): one we start is sized by us (apply.ts) to the schedule's value
    // within the new range, not left at the capacity it stopped with.
    const from = starting ? target.capacity : f.current;
    // A new range moves a running fleet into it (RegisterScalableTarget); a capacity set outside
    // an unchanged range later, by UpdateFleet (a person in the console), it leaves: scaling
    // activities come from registration and scaling-policy alarms only (Application Auto Scaling
    // user guide, "out-of-band changes"). We put that one back (resize); a stopped fleet we don't
    // start keeps its capacity.
    const running = f.state === 'RUNNING';
    const after = starting || running ? Math.min(Math.max(from, min), max) : f.current;
    const outside = running && after !== f.current;
    return {
      ...plan,
      after,
      action: starting ? 'start' : !unchanged ? 'set-min-max' : outside ? 'resize' : 'none',
      scalableTarget: { min, max, wantedMin, wantedMax },
    };
  }
  let wanted = target.capacity;
  if (f.unit === 'MaxConcurrentSessions' && wanted < 1) {
    // MaxConcurrentSessions must be at least 1; an idle Elastic fleet costs nothing (billed per
    // session), so 0 means "stop" only with stopWhenZero.
    plan.notes.push('Elastic fleets keep MaxConcurrentSessions ≥ 1 (use stopWhenZero to stop)');
    wanted = 1;
  }
  const after = capped(plan, p, wanted);
  return {
    ...plan,
    after,
    action: action(!sameCapacity(f.unit, after, f.current, f.maxSessionsPerInstance)),
  };
}

/** `wanted` under the maxCapacity guard and the IP cap, never below what is in use unless force. */
function capped(plan: FleetPlan, p: PlanInput, wanted: number): number {
  const f = p.fleet;
  let after = wanted;
  if (p.maxCapacity !== undefined && after > p.maxCapacity) {
    after = p.maxCapacity;
    plan.cap = { capacity: after, reason: `maxCapacity guard ${p.maxCapacity}` };
  }
  if (p.freeIps !== undefined && f.subnetIds.length > 0) {
    const limit = capacityFor(f.unit, p.freeIps + f.heldInterfaces, f.maxSessionsPerInstance);
    if (after > limit) {
      after = limit;
      plan.cap = {
        capacity: limit,
        reason: `IP cap: ${p.freeIps} free addresses in ${f.subnetIds.join(', ')} + ${f.heldInterfaces} interfaces held`,
      };
    }
  }
  if (after < f.inUse) {
    if (p.force) {
      plan.forced = true;
      plan.notes.push(`force: below the ${f.inUse} ${noun(f.unit)} in use`);
    } else {
      after = f.inUse;
      plan.cap = { capacity: after, reason: `${f.inUse} ${noun(f.unit)} in use (never below without force)` };
    }
  }
  return after;
}

/** Network interfaces the plan needs beyond those the fleet holds (0: no IP lookup needed). */
export function extraInterfaces(plan: FleetPlan, fleet: FleetFacts): number {
  if (fleet.subnetIds.length === 0) return 0;
  if (plan.action !== 'resize' && plan.action !== 'start' && plan.action !== 'set-min-max') return 0;
  const capacity = plan.scalableTarget ? plan.scalableTarget.max : plan.after;
  return Math.max(
    0,
    interfacesFor(fleet.unit, capacity, fleet.maxSessionsPerInstance) - fleet.heldInterfaces,
  );
}

/** Plans the Map state applies: a change, an expired override to remove, a change point to record. */
export const needsApply = (plan: FleetPlan) =>
  plan.action !== 'retry-later' && (plan.action !== 'none' || Boolean(plan.clearOverride || plan.record));
