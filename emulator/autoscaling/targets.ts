/**
 * Scalable targets: RegisterScalableTarget, DeregisterScalableTarget, DescribeScalableTargets.
 * Only AppStream 2.0 fleets (`appstream`, `fleet/<name>`, `appstream:fleet:DesiredCapacity`)
 * exist here; any other namespace is a resource that doesn't exist (ValidationException).
 */
import { randomBytes } from 'node:crypto';
import { fleetCapacityUnits, growFleetEnis, retarget, setFleetCapacity } from '../capacity';
import { type Ctx, compact, type Handler, sec } from '../context';
import { ServiceError } from '../errors';
import type { FleetRec } from '../records';
import { checkTargetId, getTarget, page, resourceOf, scaling, type TargetId, validation } from './common';
import type { TargetRec } from './state';

/**
 * "Scalable targets per resource type: … Other resource types: 500" (Application Auto Scaling
 * User Guide, "Quotas for Application Auto Scaling"), per account and Region.
 */
export const MAX_TARGETS_PER_TYPE = 500;

/** The service-linked role AAS uses for AppStream fleets (User Guide, "Amazon AppStream 2.0 and Application Auto Scaling"). */
const appStreamRole = (account: string) =>
  `arn:aws:iam::${account}:role/aws-service-role/appstream.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_AppStreamFleet`;

function targetOut(t: TargetRec) {
  return {
    ServiceNamespace: t.serviceNamespace,
    ResourceId: t.resourceId,
    ScalableDimension: t.scalableDimension,
    MinCapacity: t.min,
    MaxCapacity: t.max,
    RoleARN: t.roleArn,
    CreationTime: sec(t.createdAt),
    SuspendedState: { ...t.suspended },
    ScalableTargetARN: t.arn,
  };
}

/**
 * Puts a RUNNING fleet's desired capacity within [Min, Max], as AAS does when a target is
 * registered or updated ("If it's below the minimum capacity or above the maximum capacity,
 * Application Auto Scaling adjusts the capacity of the scalable target to place it within these
 * bounds", RegisterScalableTarget) and when a scheduled action runs. A fleet that isn't RUNNING
 * is left alone: "If the specified resource is not active in the target service, this operation
 * does not change the resource's current capacity." A resize past the streaming-instance quota
 * fails as a scaling activity does (Administration Guide troubleshooting, "I tried to increase my
 * fleet capacity, but the update isn't taking effect"): the target keeps its new range, the fleet
 * its capacity. The network interfaces follow the new Max either way.
 */
export function clampFleet(ctx: Ctx, f: FleetRec, t: TargetRec): void {
  if (f.state !== 'RUNNING') return;
  const units = fleetCapacityUnits(f);
  const wanted = Math.min(Math.max(units, t.min), t.max);
  if (wanted !== units)
    try {
      setFleetCapacity(ctx, f, wanted);
      return;
    } catch (err) {
      if (!(err instanceof ServiceError && err.code === 'LimitExceededException')) throw err;
    }
  growFleetEnis(ctx, f);
  retarget(ctx, f);
}

function checkRange(min: number, max: number): void {
  // "For the following resources, the minimum value allowed is 0. AppStream 2.0 fleets …" (MinCapacity).
  if (min < 0) throw validation(`Minimum capacity cannot be less than 0: ${min}`);
  if (max < 0) throw validation(`Maximum capacity cannot be less than 0: ${max}`);
  if (min > max)
    throw validation(`Minimum capacity cannot be greater than maximum capacity (${min} > ${max})`);
}

const registerScalableTarget: Handler = (input, ctx) => {
  checkTargetId(input);
  const fleet = resourceOf(ctx, input);
  // Elastic fleet capacity is managed by AppStream: "You do not need to create auto scaling rules
  // to manage the number of fleet streaming instances that are available for Elastic fleets"
  // (Administration Guide, "Fleet Auto Scaling"). AWS's answer to trying is not documented.
  if (fleet.fleetType === 'ELASTIC')
    throw validation(`Elastic fleets can't be registered as scalable targets: ${input.ResourceId}`);
  const state = scaling(ctx);
  const existing = state.target(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
  if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined))
    // "When you register a new scalable target, you must specify values for the minimum and maximum capacity."
    throw validation('MinCapacity and MaxCapacity are required when registering a new scalable target');
  if (existing && input.Tags && Object.keys(input.Tags).length)
    // AWS's words (hashicorp/terraform-provider-aws#31839): tags go on at creation only.
    throw validation(
      'The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.',
    );
  if (!existing && state.targets.size >= MAX_TARGETS_PER_TYPE)
    throw new ServiceError(
      'LimitExceededException',
      `You have reached the maximum of ${MAX_TARGETS_PER_TYPE} scalable targets for this resource type.`,
    );
  const min = input.MinCapacity ?? existing!.min;
  const max = input.MaxCapacity ?? existing!.max;
  checkRange(min, max);
  // All checks passed: now change state.
  const suspended = { ...existing?.suspended, ...input.SuspendedState };
  const t: TargetRec = {
    serviceNamespace: input.ServiceNamespace,
    resourceId: input.ResourceId,
    scalableDimension: input.ScalableDimension,
    min,
    max,
    // RoleARN is for services without service-linked roles; AppStream uses one.
    roleArn: existing?.roleArn ?? input.RoleARN ?? appStreamRole(ctx.account),
    arn:
      existing?.arn ??
      `arn:aws:application-autoscaling:${ctx.region}:${ctx.account}:scalable-target/${randomBytes(18).toString('hex')}`,
    createdAt: existing?.createdAt ?? ctx.now,
    suspended: {
      DynamicScalingInSuspended: suspended.DynamicScalingInSuspended ?? false,
      DynamicScalingOutSuspended: suspended.DynamicScalingOutSuspended ?? false,
      ScheduledScalingSuspended: suspended.ScheduledScalingSuspended ?? false,
    },
    tags: existing?.tags ?? input.Tags,
  };
  state.putTarget(t);
  clampFleet(ctx, fleet, t);
  return { ScalableTargetARN: t.arn };
};

const deregisterScalableTarget: Handler = (input: TargetId, ctx) => {
  checkTargetId(input);
  const t = getTarget(ctx, input);
  scaling(ctx).removeTarget(t);
  // Without the target the fleet keeps interfaces for its desired capacity only.
  const f = ctx.store.fleets.get(input.ResourceId.slice('fleet/'.length));
  if (f?.state === 'RUNNING') {
    growFleetEnis(ctx, f);
    retarget(ctx, f);
  }
  return {};
};

const describeScalableTargets: Handler = (input, ctx) => {
  // "If you specify a scalable dimension, you must also specify a resource ID." (ScalableDimension)
  if (input.ScalableDimension !== undefined && !input.ResourceIds?.length)
    throw validation('If you specify a scalable dimension, you must also specify a resource ID.');
  const ids: string[] | undefined = input.ResourceIds?.length ? input.ResourceIds : undefined;
  const all = [...scaling(ctx).targets.values()].filter(
    (t) =>
      t.serviceNamespace === input.ServiceNamespace &&
      (!ids || ids.includes(t.resourceId)) &&
      (input.ScalableDimension === undefined || t.scalableDimension === input.ScalableDimension),
  );
  const { page: targets, nextToken } = page(all, input.MaxResults, input.NextToken);
  return compact({ ScalableTargets: targets.map(targetOut), NextToken: nextToken });
};

export const targetHandlers: Record<string, Handler> = {
  RegisterScalableTarget: registerScalableTarget,
  DeregisterScalableTarget: deregisterScalableTarget,
  DescribeScalableTargets: describeScalableTargets,
};
