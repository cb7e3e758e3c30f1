import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import {
  type AppStreamClient,
  DescribeFleetsCommand,
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
import { FLEET_DIMENSION, factsOf, fleetResourceId } from './inventory';
import { formatLastAction } from './last-action';
import type { FleetPlan } from './plan';
import type { ApplyOutcome } from './report';
import { type ArnPrefixes, fromWire, type PlanKind, type WirePlan } from './wire';

/**
 * Errors that always mean "busy, act at the next run" (not a failure): UpdateFleet, StartFleet and
 * StopFleet declare ConcurrentModificationException (AppStream API reference);
 * RegisterScalableTarget declares ConcurrentUpdateException ("concurrent updates caused an
 * exception", Application Auto Scaling API reference).
 */
function isBusy(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'ConcurrentModificationException' || name === 'ConcurrentUpdateException';
}

/**
 * Errors that may be a refusal because of the fleet's state (StartFleet on a fleet still
 * STOPPING, UpdateFleet on a STARTING one): whether they are is read from the fleet
 * (DescribeFleets), not from the wording of the message, which AWS does not document.
 */
const STATE_REFUSALS = [
  'ConcurrentModificationException',
  'OperationNotPermittedException',
  'InvalidParameterCombinationException',
  'ResourceNotAvailableException',
];

/** Where a write of the plan left the fleet, re-read after a refusal. */
type Settled = 'done' | 'busy' | undefined;

/**
 * Re-describes the fleet after a refused write: 'done' when it already is where the plan takes it
 * (an earlier attempt of this step succeeded before a later call of it failed, and Step Functions
 * retried the step), 'busy' when it is STARTING or STOPPING toward something else, undefined
 * (a real failure) otherwise.
 */
async function settle(plan: FleetPlan, appstream: AppStreamClient, call: Call): Promise<Settled> {
  const out = await call('DescribeFleets', () =>
    appstream.send(new DescribeFleetsCommand({ Names: [plan.fleet] })),
  );
  const fleet = out.Fleets?.[0];
  if (!fleet?.Name) return undefined;
  const now = factsOf(fleet, plan.region, {});
  const at = now.current === plan.after;
  if (plan.action === 'start' && (now.state === 'STARTING' || now.state === 'RUNNING') && at) return 'done';
  if (plan.action === 'stop' && (now.state === 'STOPPING' || now.state === 'STOPPED')) return 'done';
  if ((plan.action === 'resize' || plan.action === 'set-min-max') && at && now.state !== 'STOPPING')
    return 'done';
  if (now.state === 'STARTING' || now.state === 'STOPPING') return 'busy';
  return undefined;
}

type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/** The UpdateFleet input that sets a fleet's capacity in its unit. */
function capacityUpdate(plan: FleetPlan, capacity: number): UpdateFleetCommandInput {
  if (plan.unit === 'MaxConcurrentSessions') return { Name: plan.fleet, MaxConcurrentSessions: capacity };
  return { Name: plan.fleet, ComputeCapacity: { [plan.unit]: capacity } };
}

/** What applyPlan did to one fleet: its result and the calls it made (tests, logs). */
export interface ApplyResult {
  fleet: string;
  region: string;
  result: 'applied' | 'skipped';
  action?: FleetPlan['action'];
  error?: string;
  calls: string[];
}

/**
 * Executes one plan (the Map's Apply step), then records TAG.lastAction. Idempotent: running it
 * twice leaves the same fleet. A busy fleet is `skipped` with action retry-later (the next run
 * acts); throttling and 5xx become AwsTransientError (the state machine retries with backoff);
 * a refusal that may come from the fleet's state re-reads the fleet (settle): already done is
 * recorded, STARTING/STOPPING is busy; any other error keeps its name and fails this fleet only
 * (the Map's Catch).
 */
export async function applyPlan(input: { plan: FleetPlan }, deps: ScheduleDeps): Promise<ApplyResult> {
  const { plan } = input;
  const appstream = deps.appstream(plan.region);
  const calls: string[] = [];
  const call = <T>(what: string, fn: () => Promise<T>) => {
    calls.push(what);
    return aws(what, fn);
  };
  const done = { fleet: plan.fleet, region: plan.region, calls };
  // A busy fleet has nothing to apply (and no last action to record): the next run acts. Evaluate
  // sends none (needsApply); this keeps a stray one from tagging `retry-later`.
  if (plan.action === 'retry-later') return { ...done, result: 'skipped', action: 'retry-later' };
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
    const e = err as Error;
    const refused = STATE_REFUSALS.includes(e?.name) && calls.at(-1) !== 'RegisterScalableTarget';
    let settled = refused ? await settle(plan, appstream, call) : undefined;
    // The declared "busy" errors stay busy whatever the fleet looks like now.
    if (settled === undefined && isBusy(err)) settled = 'busy';
    if (settled === undefined) throw err;
    if (settled === 'busy')
      return { ...done, result: 'skipped', action: 'retry-later', error: `${e.name}: ${e.message}` };
    // 'done': an earlier attempt made the change; record it below.
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
