/**
 * Scheduled actions: PutScheduledAction, DescribeScheduledActions, DeleteScheduledAction, and
 * running them on the virtual clock (after each settle, like the lifecycle transitions): at the
 * scheduled time the target's Min/Max become the action's, then a RUNNING fleet's desired
 * capacity is put within them ("At the scheduled time, if the current capacity is below the
 * minimum capacity, Application Auto Scaling scales out to the minimum capacity. If the current
 * capacity is above the maximum capacity, Application Auto Scaling scales in to the maximum
 * capacity", ScalableTargetAction).
 */
import { randomUUID } from 'node:crypto';
import type { Ctx, Handler } from '../context';
import { compact, sec } from '../context';
import { ServiceError } from '../errors';
import { loadModel } from '../model';
import type { Store } from '../store';
import type { World } from '../world';
import { checkTargetId, getTarget, page, scaling, type TargetId, validation } from './common';
import { isTimeZone, nextRun, parseSchedule } from './schedule';
import type { ActionRec, ScalingState } from './state';
import { clampFleet } from './targets';

/** "Scheduled actions per scalable target: 200" (User Guide, "Quotas for Application Auto Scaling"; not adjustable). */
export const MAX_ACTIONS_PER_TARGET = 200;

const zoneOf = (a: ActionRec) => a.timezone ?? 'UTC';

/** When the action runs next after `after` (undefined: never again). */
const nextAfter = (a: ActionRec, after: number) =>
  nextRun(parseSchedule(a.schedule), after, {
    zone: zoneOf(a),
    start: a.startTime ?? a.rateFrom ?? a.createdAt,
    end: a.endTime,
  });

function actionOut(a: ActionRec) {
  return compact({
    ScheduledActionName: a.name,
    ScheduledActionARN: a.arn,
    ServiceNamespace: a.serviceNamespace,
    Schedule: a.schedule,
    Timezone: a.timezone,
    ResourceId: a.resourceId,
    ScalableDimension: a.scalableDimension,
    StartTime: a.startTime === undefined ? undefined : sec(a.startTime),
    EndTime: a.endTime === undefined ? undefined : sec(a.endTime),
    ScalableTargetAction:
      a.min === undefined && a.max === undefined
        ? undefined
        : compact({ MinCapacity: a.min, MaxCapacity: a.max }),
    CreationTime: sec(a.createdAt),
  });
}

/** JSON 1.1 timestamps arrive as epoch seconds; the SDKs send numbers. */
const ms = (t: number | undefined) => (t === undefined ? undefined : Math.round(t * 1000));

/** The scheduled action a request names (its target and ScheduledActionName), if it exists. */
const namedAction = (state: ScalingState, input: TargetId & { ScheduledActionName: string }) =>
  state.action(input.ServiceNamespace, input.ResourceId, input.ScalableDimension, input.ScheduledActionName);

const putScheduledAction: Handler = (input, ctx) => {
  checkTargetId(input);
  const target = getTarget(ctx, input);
  const state = scaling(ctx);
  const existing = namedAction(state, input);
  // "To update a scheduled action, specify the parameters that you want to change. If you don't
  // specify start and end times, the old values are deleted."
  const schedule: string | undefined = input.Schedule ?? existing?.schedule;
  if (schedule === undefined) throw validation('Schedule is required when creating a scheduled action');
  try {
    parseSchedule(schedule);
  } catch (err) {
    throw validation(`Invalid schedule expression '${schedule}': ${(err as Error).message}`);
  }
  const timezone: string | undefined = input.Timezone ?? existing?.timezone;
  if (timezone !== undefined && !isTimeZone(timezone)) throw validation(`Invalid time zone: ${timezone}`);
  const startTime = ms(input.StartTime);
  const endTime = ms(input.EndTime);
  if (startTime !== undefined && endTime !== undefined && endTime <= startTime)
    throw validation('EndTime must be after StartTime');
  const action = input.ScalableTargetAction as { MinCapacity?: number; MaxCapacity?: number } | undefined;
  const min = action ? action.MinCapacity : existing?.min;
  const max = action ? action.MaxCapacity : existing?.max;
  // "You can set both values or just one."
  if (min === undefined && max === undefined)
    throw validation('ScalableTargetAction must set MinCapacity, MaxCapacity or both');
  if ((min ?? 0) < 0 || (max ?? 0) < 0) throw validation('Capacity cannot be less than 0');
  if (min !== undefined && max !== undefined && min > max)
    throw validation(`Minimum capacity cannot be greater than maximum capacity (${min} > ${max})`);
  if (!existing && state.actionsOf(target).length >= MAX_ACTIONS_PER_TARGET)
    throw new ServiceError(
      'LimitExceededException',
      `You have reached the maximum of ${MAX_ACTIONS_PER_TARGET} scheduled actions for this scalable target.`,
    );
  // All checks passed: now change state.
  const a: ActionRec = {
    name: input.ScheduledActionName,
    arn:
      existing?.arn ??
      `arn:aws:autoscaling:${ctx.region}:${ctx.account}:scheduledAction:${randomUUID()}:resource/${input.ServiceNamespace}/${input.ResourceId}:scheduledActionName/${input.ScheduledActionName}`,
    serviceNamespace: input.ServiceNamespace,
    resourceId: input.ResourceId,
    scalableDimension: input.ScalableDimension,
    schedule,
    timezone,
    startTime,
    endTime,
    min,
    max,
    createdAt: existing?.createdAt ?? ctx.now,
    rateFrom: ctx.now,
  };
  // An at() time already past when the action is put never runs; rate() counts from StartTime or now.
  a.nextRun = nextAfter(a, ctx.now - 1);
  state.putAction(a);
  return {};
};

const describeScheduledActions: Handler = (input, ctx) => {
  // "If you specify a scalable dimension, you must also specify a resource ID." (ScalableDimension)
  if (input.ScalableDimension !== undefined && input.ResourceId === undefined)
    throw validation('If you specify a scalable dimension, you must also specify a resource ID.');
  const names: string[] | undefined = input.ScheduledActionNames?.length
    ? input.ScheduledActionNames
    : undefined;
  const all = [...scaling(ctx).actions.values()].filter(
    (a) =>
      a.serviceNamespace === input.ServiceNamespace &&
      (input.ResourceId === undefined || a.resourceId === input.ResourceId) &&
      (input.ScalableDimension === undefined || a.scalableDimension === input.ScalableDimension) &&
      (!names || names.includes(a.name)),
  );
  const { page: actions, nextToken } = page(all, input.MaxResults, input.NextToken);
  return compact({ ScheduledActions: actions.map(actionOut), NextToken: nextToken });
};

const deleteScheduledAction: Handler = (input: TargetId & { ScheduledActionName: string }, ctx) => {
  checkTargetId(input);
  const state = scaling(ctx);
  const a = namedAction(state, input);
  // "For any operation that deletes or deregisters a resource, this exception is thrown if the
  // resource cannot be found" (ObjectNotFoundException). AWS's exact message was not found.
  if (!a)
    throw new ServiceError(
      'ObjectNotFoundException',
      `No scheduled action found for service namespace: ${input.ServiceNamespace}, resource ID: ${input.ResourceId}, scalable dimension: ${input.ScalableDimension}, scheduled action name: ${input.ScheduledActionName}`,
    );
  state.deleteAction(a);
  return {};
};

export const actionHandlers: Record<string, Handler> = {
  PutScheduledAction: putScheduledAction,
  DescribeScheduledActions: describeScheduledActions,
  DeleteScheduledAction: deleteScheduledAction,
};

/** Most scheduled-action runs one settle performs (a rate(1 minute) action after a long clock jump). */
const MAX_RUNS_PER_SETTLE = 10_000;

/** Runs one action due at `due`: the target takes its Min/Max, a RUNNING fleet is put within them. */
function runAction(world: World, store: Store, state: ScalingState, a: ActionRec, due: number): void {
  const t = state.target(a.serviceNamespace, a.resourceId, a.scalableDimension);
  // "For ScheduledScalingSuspended, while a suspension is in effect, all scaling activities that
  // involve scheduled actions are suspended." (SuspendedState)
  if (!t || t.suspended.ScheduledScalingSuspended) return;
  const min = a.min ?? t.min;
  const max = a.max ?? t.max;
  // A Min above the target's Max (or the reverse) can't apply; AWS would record a failed
  // scaling activity (DescribeScalingActivities is not implemented).
  if (min > max) return;
  t.min = min;
  t.max = max;
  const f = store.fleets.get(a.resourceId.slice('fleet/'.length));
  if (!f) return;
  // The resize starts when the action ran, unless the fleet changed since (then: now).
  const at = Math.max(due, f.stateSince, f.capacityChangeStart);
  const ctx: Ctx = {
    world,
    store,
    model: loadModel('application-autoscaling'),
    account: store.account,
    region: store.region,
    now: at,
    operation: 'ScheduledAction',
    requestId: '',
  };
  clampFleet(ctx, f, t);
}

/**
 * Settle hook (World.settleHooks): runs the scheduled actions of this account+region due by
 * `now`, in time order, each recurring one as often as it came due (up to MAX_RUNS_PER_SETTLE,
 * then the rest skip ahead to after `now`). O(1) when nothing is due.
 */
export function runScheduledActions(world: World, store: Store, now: number): void {
  const state = world.scalingIfAny(store.account, store.region);
  const first = state?.nextDue();
  if (!state || first === undefined || first > now) return;
  let runs = 0;
  for (;;) {
    let next: ActionRec | undefined;
    for (const a of state.actions.values())
      if (a.nextRun !== undefined && a.nextRun <= now && (!next || a.nextRun < next.nextRun!)) next = a;
    if (!next) break;
    const due = next.nextRun!;
    runAction(world, store, state, next, due);
    next.nextRun = nextAfter(next, ++runs < MAX_RUNS_PER_SETTLE ? due : now);
    state.changed();
  }
}
