import {
  capacityStatus,
  checkFleetQuota,
  dropFleetTarget,
  growFleetEnis,
  prepareFleetStart,
  retarget,
} from '../capacity';
import { arnOf, type Ctx, compact, type Handler, paginate, sec, stateError } from '../context';
import { alreadyExists, inUse, invalidCombination, notFound, notPermitted, ServiceError } from '../errors';
import type { FleetRec } from '../records';
import {
  COMPUTE_ATTRS,
  checkDirectory,
  checkInstanceType,
  checkQuota,
  checkRole,
  mergeTags,
  pick,
  selectByNames,
} from './common';
import { resolveImage } from './images';

const ATTRS = [
  ...COMPUTE_ATTRS,
  'MaxUserDurationInSeconds',
  'DisconnectTimeoutInSeconds',
  'IdleDisconnectTimeoutInSeconds',
  'StreamView',
  'Platform',
  'MaxConcurrentSessions',
  'UsbDeviceFilterStrings',
  'SessionScriptS3Location',
  'MaxSessionsPerInstance',
];

/** What UpdateFleet may change while a fleet is RUNNING (everything else needs STOPPED). */
const RUNNING_EDITABLE = [
  'Name',
  'DisplayName',
  'Description',
  'ComputeCapacity',
  'ImageName',
  'ImageArn',
  'DisconnectTimeoutInSeconds',
  'IdleDisconnectTimeoutInSeconds',
  'MaxUserDurationInSeconds',
  'MaxConcurrentSessions',
];

const DELETABLE_ATTRIBUTES: Record<string, string[]> = {
  VPC_CONFIGURATION: ['VpcConfig'],
  DOMAIN_JOIN_INFO: ['DomainJoinInfo'],
  IAM_ROLE_ARN: ['IamRoleArn'],
  USB_DEVICE_FILTER_STRINGS: ['UsbDeviceFilterStrings'],
  SESSION_SCRIPT_S3_LOCATION: ['SessionScriptS3Location'],
  MAX_SESSIONS_PER_INSTANCE: ['MaxSessionsPerInstance'],
  VOLUME_CONFIGURATION: ['RootVolumeConfig'],
};

export function fleetOut(f: FleetRec, ctx: Ctx) {
  return compact(
    {
      Arn: f.arn,
      Name: f.name,
      FleetType: f.fleetType,
      State: f.state,
      CreatedTime: sec(f.createdAt),
      ComputeCapacityStatus: capacityStatus(ctx, f),
      FleetErrors: f.errors.length ? f.errors : undefined,
    },
    f.attrs,
  );
}

export function getFleet(ctx: Ctx, name: string): FleetRec {
  const f = ctx.store.fleets.get(name);
  if (!f) throw notFound('fleet', name);
  return f;
}

function checkTimeouts(input: Record<string, number | undefined>): void {
  const ranges: [string, number, number][] = [
    ['MaxUserDurationInSeconds', 600, 432000],
    ['DisconnectTimeoutInSeconds', 60, 360000],
  ];
  for (const [k, min, max] of ranges) {
    const v = input[k];
    if (v !== undefined && (v < min || v > max))
      throw new ServiceError('ValidationException', `${k} must be between ${min} and ${max}.`);
  }
  const idle = input.IdleDisconnectTimeoutInSeconds;
  if (idle !== undefined && idle !== 0 && (idle < 60 || idle > 36000))
    throw new ServiceError(
      'ValidationException',
      'IdleDisconnectTimeoutInSeconds must be 0 or between 60 and 36000.',
    );
}

function desiredOf(input: {
  ComputeCapacity?: { DesiredInstances?: number; DesiredSessions?: number };
  MaxSessionsPerInstance?: number;
}): number {
  const c = input.ComputeCapacity ?? {};
  if (c.DesiredInstances !== undefined) return c.DesiredInstances;
  if (c.DesiredSessions !== undefined)
    return Math.ceil(c.DesiredSessions / (input.MaxSessionsPerInstance ?? 1));
  return 0;
}

const createFleet: Handler = (input, ctx) => {
  const { store } = ctx;
  if (store.fleets.has(input.Name)) throw alreadyExists('fleet', input.Name);
  const fleetType = input.FleetType ?? 'ON_DEMAND';
  checkInstanceType(input.InstanceType);
  checkRole(input.IamRoleArn);
  checkTimeouts(input);
  if (fleetType === 'ELASTIC') {
    if (!input.MaxConcurrentSessions || !input.Platform || !input.VpcConfig)
      throw invalidCombination('Elastic fleets require MaxConcurrentSessions, Platform and VpcConfig.');
    if (input.ComputeCapacity) throw invalidCombination('Elastic fleets do not take ComputeCapacity.');
  } else if (!input.ComputeCapacity) {
    throw invalidCombination(`ComputeCapacity is required for ${fleetType} fleets.`);
  }
  if (!input.ImageName === !input.ImageArn)
    throw invalidCombination('Exactly one of ImageName and ImageArn must be specified.');
  checkDirectory(ctx, input.DomainJoinInfo);
  const image = resolveImage(ctx, { name: input.ImageName, arn: input.ImageArn }, 'fleet');
  checkQuota(store.fleets.size, ctx.world.quotasFor(ctx.account, ctx.region).fleets, 'fleet');
  const desired = fleetType === 'ELASTIC' ? 0 : desiredOf(input);
  checkFleetQuota(ctx, input.Name, input.InstanceType, desired, false);
  const f: FleetRec = {
    name: input.Name,
    arn: arnOf(ctx, 'fleet', input.Name),
    createdAt: ctx.now,
    fleetType,
    attrs: {
      ...pick(input, ATTRS),
      ImageName: image.name,
      ImageArn: image.arn,
      Platform: input.Platform ?? image.platform,
    },
    desired,
    desiredSessions: input.ComputeCapacity?.DesiredSessions,
    target: 0,
    eniCount: 0,
    capacityFrom: 0,
    capacityChangeStart: ctx.now,
    capacityChangeEnd: ctx.now,
    tags: mergeTags(ctx, {}, input.Tags),
    errors: [],
    state: 'STOPPED',
    stateSince: ctx.now,
  };
  store.fleets.set(f.name, f);
  return { Fleet: fleetOut(f, ctx) };
};

const describeFleets: Handler = (input, ctx) => {
  const all = selectByNames(ctx.store.fleets, input.Names, 'fleet');
  const { page, nextToken } = paginate(all, input.NextToken, undefined, 25);
  return compact({ Fleets: page.map((f) => fleetOut(f, ctx)), NextToken: nextToken });
};

const updateFleet: Handler = (input, ctx) => {
  if (!input.Name) throw invalidCombination('Name is required.');
  const f = getFleet(ctx, input.Name);
  if (f.state === 'STARTING' || f.state === 'STOPPING')
    throw new ServiceError(
      'ConcurrentModificationException',
      `Fleet '${f.name}' is ${f.state}; it can't be updated until it is RUNNING or STOPPED.`,
    );
  const changing = Object.keys(input).filter((k) => input[k] !== undefined);
  if (f.state === 'RUNNING') {
    const blocked = changing.filter((k) => !RUNNING_EDITABLE.includes(k));
    if (blocked.length)
      throw notPermitted(
        `Fleet '${f.name}' is RUNNING: ${blocked.join(', ')} can only be changed while it is STOPPED.`,
      );
  }
  if (input.InstanceType) checkInstanceType(input.InstanceType);
  checkRole(input.IamRoleArn);
  checkTimeouts(input);
  checkDirectory(ctx, input.DomainJoinInfo);
  if (input.ImageName && input.ImageArn) throw invalidCombination('Specify ImageName or ImageArn, not both.');
  if (input.ComputeCapacity && f.fleetType === 'ELASTIC')
    throw invalidCombination('Elastic fleets do not take ComputeCapacity.');
  const image =
    input.ImageName || input.ImageArn
      ? resolveImage(ctx, { name: input.ImageName, arn: input.ImageArn }, 'fleet')
      : undefined;
  const desired = input.ComputeCapacity
    ? desiredOf({
        ...input,
        MaxSessionsPerInstance: input.MaxSessionsPerInstance ?? f.attrs.MaxSessionsPerInstance,
      })
    : f.desired;
  if (f.fleetType !== 'ELASTIC' && (input.ComputeCapacity || input.InstanceType))
    checkFleetQuota(
      ctx,
      f.name,
      input.InstanceType ?? String(f.attrs.InstanceType),
      desired,
      f.state === 'RUNNING',
    );
  // All checks passed: now change the fleet (nothing is half-applied on error).
  for (const attr of input.AttributesToDelete ?? [])
    for (const k of DELETABLE_ATTRIBUTES[attr] ?? []) delete f.attrs[k];
  if (input.DeleteVpcConfig) delete f.attrs.VpcConfig;
  Object.assign(f.attrs, pick(input, ATTRS));
  if (image) Object.assign(f.attrs, { ImageName: image.name, ImageArn: image.arn });
  if (input.ComputeCapacity) {
    f.desired = desired;
    f.desiredSessions = input.ComputeCapacity.DesiredSessions;
    if (f.state === 'RUNNING') {
      growFleetEnis(ctx, f);
      retarget(ctx, f);
    }
  }
  return { Fleet: fleetOut(f, ctx) };
};

const startFleet: Handler = (input, ctx) => {
  const f = getFleet(ctx, input.Name);
  if (f.state !== 'STOPPED')
    throw stateError(ctx, `Fleet '${f.name}' is ${f.state}; only a STOPPED fleet can be started.`);
  if (f.fleetType !== 'ELASTIC') checkFleetQuota(ctx, f.name, String(f.attrs.InstanceType), f.desired, true);
  f.errors = [];
  ctx.store.enter('fleet', f, 'STARTING', ctx.now);
  prepareFleetStart(ctx, f);
  return {};
};

const stopFleet: Handler = (input, ctx) => {
  const f = getFleet(ctx, input.Name);
  if (f.state !== 'RUNNING')
    throw stateError(ctx, `Fleet '${f.name}' is ${f.state}; only a RUNNING fleet can be stopped.`);
  // Stopping a fleet ends its users' sessions.
  for (const s of ctx.store.fleetSessions(f.name)) ctx.store.endSession(s);
  ctx.store.enter('fleet', f, 'STOPPING', ctx.now);
  return {};
};

const deleteFleet: Handler = (input, ctx) => {
  const f = getFleet(ctx, input.Name);
  if (f.state !== 'STOPPED') throw inUse(`Fleet '${f.name}' is ${f.state}; stop it before deleting it.`);
  const stacks = [...ctx.store.stacks.values()].filter((s) => s.fleets.includes(f.name));
  if (stacks.length)
    throw inUse(
      `Fleet '${f.name}' is associated with stack(s) ${stacks.map((s) => s.name).join(', ')}; disassociate it first.`,
    );
  ctx.store.fleets.delete(f.name);
  dropFleetTarget(ctx, f);
  return {};
};

export const fleetHandlers: Record<string, Handler> = {
  CreateFleet: createFleet,
  DescribeFleets: describeFleets,
  UpdateFleet: updateFleet,
  StartFleet: startFleet,
  StopFleet: stopFleet,
  DeleteFleet: deleteFleet,
};
