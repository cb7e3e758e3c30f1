import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  StartFleetCommand,
  StopFleetCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFleetCommand,
  type UpdateFleetCommandInput,
} from '@aws-sdk/client-appstream';
import { aws } from '../aws/call';
import { TAG } from '../tags';
import type { ScheduleDeps } from './deps';
import { FLEET_DIMENSION, fleetResourceId } from './inventory';
import { formatLastAction } from './last-action';
import type { FleetPlan } from './plan';
import type { ApplyOutcome } from './report';
import { type ArnPrefixes, fromWire, type PlanKind, type WirePlan } from './wire';

/**
 * Errors that mean "the fleet is busy, act at the next run" (not a failure): UpdateFleet,
 * StartFleet and StopFleet declare ConcurrentModificationException (AppStream API reference);
 * RegisterScalableTarget declares ConcurrentUpdateException ("concurrent updates caused an
 * exception", Application Auto Scaling API reference). A state refusal that names STARTING or
 * STOPPING (StartFleet on a fleet still stopping) is the same thing.
 */
export function isBusy(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  if (e?.name === 'ConcurrentModificationException' || e?.name === 'ConcurrentUpdateException') return true;
  return (
    ['OperationNotPermittedException', 'ResourceNotAvailableException'].includes(e?.name ?? '') &&
    /\b(STARTING|STOPPING)\b/.test(e?.message ?? '')
  );
}

/** The UpdateFleet input that sets a fleet's capacity in its unit. */
export function capacityUpdate(plan: FleetPlan, capacity: number): UpdateFleetCommandInput {
  if (plan.unit === 'MaxConcurrentSessions') return { Name: plan.fleet, MaxConcurrentSessions: capacity };
  return { Name: plan.fleet, ComputeCapacity: { [plan.unit]: capacity } };
}

/**
 * Executes one plan (the Map's Apply step), then records TAG.lastAction. Idempotent: running it
 * twice leaves the same fleet. A busy fleet is `skipped` with action retry-later (the next run
 * acts); throttling and 5xx become AwsTransientError (the state machine retries with backoff);
 * any other error keeps its name and fails this fleet only (the Map's Catch).
 */
/** What applyPlan did to one fleet: its result and the calls it made (tests, logs). */
export interface ApplyResult {
  fleet: string;
  region: string;
  result: 'applied' | 'skipped';
  action?: FleetPlan['action'];
  error?: string;
  calls: string[];
}

export async function applyPlan(input: { plan: FleetPlan }, deps: ScheduleDeps): Promise<ApplyResult> {
  const { plan } = input;
  const appstream = deps.appstream(plan.region);
  const calls: string[] = [];
  const call = <T>(what: string, fn: () => Promise<T>) => {
    calls.push(what);
    return aws(what, fn);
  };
  const done = { fleet: plan.fleet, region: plan.region, calls };
  try {
    if (plan.scalableTarget && (plan.action === 'set-min-max' || plan.action === 'start'))
      await call('RegisterScalableTarget', () =>
        deps.autoscaling(plan.region).send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: 'appstream',
            ResourceId: fleetResourceId(plan.fleet),
            ScalableDimension: FLEET_DIMENSION,
            MinCapacity: plan.scalableTarget!.min,
            MaxCapacity: plan.scalableTarget!.max,
          }),
        ),
      );
    // A stopped fleet is sized first: STOPPED fleets take every edit, STARTING ones none
    // (Administration Guide, fleet states); it then starts at the right size. That holds for an
    // auto-scaled one too: RegisterScalableTarget above does not change the capacity of a fleet
    // that isn't running, so without this it would start at its old capacity, outside [Min, Max].
    const size = plan.action === 'resize' || (plan.action === 'start' && plan.after !== plan.before);
    if (size)
      await call('UpdateFleet', () =>
        appstream.send(new UpdateFleetCommand(capacityUpdate(plan, plan.after))),
      );
    if (plan.action === 'start')
      await call('StartFleet', () => appstream.send(new StartFleetCommand({ Name: plan.fleet })));
    if (plan.action === 'stop')
      await call('StopFleet', () => appstream.send(new StopFleetCommand({ Name: plan.fleet })));
  } catch (err) {
    if (!isBusy(err)) throw err;
    const e = err as Error;
    return { ...done, result: 'skipped', action: 'retry-later', error: `${e.name}: ${e.message}` };
  }
  if (plan.arn && plan.clearOverride)
    await call('UntagResource', () =>
      appstream.send(new UntagResourceCommand({ ResourceArn: plan.arn, TagKeys: [TAG.override] })),
    );
  if (plan.arn && (plan.action !== 'none' || plan.record))
    await call('TagResource', () =>
      appstream.send(
        new TagResourceCommand({
          ResourceArn: plan.arn,
          Tags: {
            [TAG.lastAction]: formatLastAction({
              at: deps.clock.now(),
              action: plan.action,
              after: plan.after,
              wanted: plan.wanted,
              reason: plan.reason,
            }),
          },
        }),
      ),
    );
  return { ...done, result: calls.length ? 'applied' : 'skipped' };
}

/**
 * The Apply step (the Map's item): a plan tuple from Evaluate (lib/schedule/wire.ts) in, the
 * compact outcome out: the bare word when applied, the Map's output carrying one per change.
 */
export async function applyWirePlan(
  input: { plan: WirePlan; kinds: PlanKind[]; arnPrefix?: ArnPrefixes },
  deps: ScheduleDeps,
): Promise<ApplyOutcome> {
  return compactOutcome(await applyPlan({ plan: fromWire(input.plan, input.kinds, input.arnPrefix) }, deps));
}

export function compactOutcome(r: ApplyResult): ApplyOutcome {
  if (r.action === undefined && r.error === undefined) return r.result;
  return {
    result: r.result,
    ...(r.action ? { action: r.action } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}
