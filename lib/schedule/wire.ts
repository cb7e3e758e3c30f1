/**
 * The fleet schedule's payloads between states, compact. Step Functions passes at most 256 KiB
 * per state input and output (States.DataLimitExceeded; the execution output too, "Quotas related
 * to state machine executions"), and the fleet-schedule state with the most data carries one
 * entry per managed fleet. So plans travel as positional tuples with defaults left out and
 * what many share (region, schedule, type, unit, state, reason) stored once per run as a "kind",
 * an unchanged fleet as `[fleet, region, capacity, reason]`, an ARN as its region's prefix + the
 * fleet's name, and an applied fleet's result as the bare word. With 20-character fleet names
 * that is ~50 bytes a changed fleet at the largest state (Report's output) and ~56 an unchanged
 * one: 2,000 fleets are 98 KiB (all change) or 110 KiB (none); the 256 KiB limit is reached at
 * about 5,000 fleets all changing and 4,650 none (full plans, ~330 bytes each: ~600 fleets)
 * (test/unit/schedule/payload.test.ts measures it).
 */
import type { FleetPlan } from './plan';
import type { FleetResult, ReportEntry } from './report';
import type { CapacityUnit, FleetType } from './units';

/** What a plan carries beyond its common fields, only when it differs from the default. */
export type PlanExtra = Partial<
  Pick<FleetPlan, 'cap' | 'forced' | 'scalableTarget' | 'clearOverride' | 'record' | 'notes' | 'inUse'>
> & { wanted?: number };

/**
 * What many plans share, stored once per run: region, schedule, fleet type, unit, state, reason.
 * A run's plans have few distinct ones (one per schedule period and fleet type, mostly).
 */
export type PlanKind = [string, string, FleetType, CapacityUnit, string, string];

/** A plan: fleet, its kind (index into the run's kinds), before, after, action[, extra]. */
export type WirePlan =
  | [string, number, number, number, FleetPlan['action']]
  | [string, number, number, number, FleetPlan['action'], PlanExtra];

/**
 * A fleet that needs no write: `[fleet, region, capacity, reason]`, then what else it has to say
 * only when there is something (retry-later and why, a cap such as the IP cap, notes).
 */
export type UnchangedFleet =
  | [string, string, number, string]
  | [string, string, number, string, UnchangedExtra];

export type UnchangedExtra = Partial<Pick<FleetPlan, 'action' | 'cap' | 'forced' | 'notes' | 'wanted'>>;

/** Per region, the ARN of a fleet without its name: `arn:<partition>:appstream:<region>:<account>:fleet/`. */
export type ArnPrefixes = Record<string, string>;

/** Encodes plans for one payload: each plan's kind goes to `kinds` once. */
export class PlanEncoder {
  readonly kinds: PlanKind[] = [];
  private readonly index = new Map<string, number>();

  encode(p: FleetPlan): WirePlan {
    const kind: PlanKind = [p.region, p.schedule, p.fleetType, p.unit, p.state, p.reason];
    const key = JSON.stringify(kind);
    let k = this.index.get(key);
    if (k === undefined) {
      k = this.kinds.push(kind) - 1;
      this.index.set(key, k);
    }
    const extra: PlanExtra = {};
    if (p.wanted !== p.after) extra.wanted = p.wanted;
    if (p.inUse) extra.inUse = p.inUse;
    if (p.cap) extra.cap = p.cap;
    if (p.forced) extra.forced = true;
    if (p.scalableTarget) extra.scalableTarget = p.scalableTarget;
    if (p.clearOverride) extra.clearOverride = true;
    if (p.record) extra.record = true;
    if (p.notes.length) extra.notes = p.notes;
    const base = [p.fleet, k, p.before, p.after, p.action] as const;
    return Object.keys(extra).length ? [...base, extra] : [...base];
  }
}

export function fromWire(w: WirePlan, kinds: PlanKind[], arnPrefix: ArnPrefixes = {}): FleetPlan {
  const [fleet, k, before, after, action] = w;
  const kind = kinds[k];
  if (!kind) throw new RangeError(`plan of ${fleet}: kind ${k} is not in the run's ${kinds.length} kinds`);
  const [region, schedule, fleetType, unit, state, reason] = kind;
  const { wanted = after, inUse = 0, notes = [], ...rest } = (w[5] ?? {}) as PlanExtra;
  const prefix = arnPrefix[region];
  return {
    fleet,
    region,
    schedule,
    fleetType,
    unit,
    state,
    before,
    after,
    wanted,
    inUse,
    action,
    reason,
    ...rest,
    ...(prefix ? { arn: `${prefix}${fleet}` } : {}),
    notes,
  };
}

/** The ARN prefix of a fleet's region, from its ARN (`…:fleet/<name>`). */
export function arnPrefixOf(arn: string, fleet: string): string | undefined {
  return arn.endsWith(`:fleet/${fleet}`) ? arn.slice(0, arn.length - fleet.length) : undefined;
}

export function toUnchanged(p: FleetPlan): UnchangedFleet {
  const extra: UnchangedExtra = {};
  if (p.action !== 'none') extra.action = p.action;
  if (p.wanted !== p.after) extra.wanted = p.wanted;
  if (p.cap) extra.cap = p.cap;
  if (p.forced) extra.forced = true;
  if (p.notes.length) extra.notes = p.notes;
  const base: [string, string, number, string] = [p.fleet, p.region, p.after, p.reason];
  return Object.keys(extra).length ? [...base, extra] : base;
}

/** An unchanged fleet as a report entry: what the tuple doesn't carry is left out. */
export function fromUnchanged(u: UnchangedFleet): ReportRow {
  const [fleet, region, capacity, reason] = u;
  const { action = 'none', wanted = capacity, notes = [], ...rest } = u[4] ?? {};
  return {
    fleet,
    region,
    before: capacity,
    after: capacity,
    wanted,
    action,
    reason,
    ...rest,
    notes,
    result: action === 'retry-later' ? 'skipped' : 'unchanged',
  };
}

/**
 * One line of the report a person reads: a changed (or previewed, or failed) fleet has every
 * field of its plan; an unchanged one only fleet, region, capacity, reason, action and notes.
 */
export type ReportRow = Omit<ReportEntry, 'schedule' | 'fleetType' | 'unit' | 'state' | 'inUse'> &
  Partial<Pick<ReportEntry, 'schedule' | 'fleetType' | 'unit' | 'state' | 'inUse'>>;

/** A changed, previewed or failed fleet in the report's output: its plan, result and error. */
export type WireRow = [WirePlan, FleetResult] | [WirePlan, FleetResult, string];

export function toWireRow(e: ReportEntry, encoder: PlanEncoder): WireRow {
  const { result, error, ...plan } = e;
  const w = encoder.encode(plan);
  return error === undefined ? [w, result] : [w, result, error];
}

export function fromWireRow([plan, result, error]: WireRow, kinds: PlanKind[]): ReportEntry {
  const { arn: _arn, ...p } = fromWire(plan, kinds);
  return { ...p, result, ...(error === undefined ? {} : { error }) };
}
