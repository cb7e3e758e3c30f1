import { randomBytes } from 'node:crypto';
import { acquireBuilderEni, checkBuilderQuota } from '../capacity';
import { arnOf, type Ctx, compact, type Handler, paginate, sec, stateError } from '../context';
import { alreadyExists, invalidCombination, notFound, ServiceError } from '../errors';
import { BUILDER_BUSY_STATES } from '../lifecycle';
import type { BuilderRec } from '../records';
import { LATEST_AGENT_VERSION } from '../seed';
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

const ATTRS = [...COMPUTE_ATTRS, 'AccessEndpoints'];

export function builderOut(b: BuilderRec) {
  return compact(
    {
      Arn: b.arn,
      Name: b.name,
      ImageArn: b.imageArn,
      Platform: b.platform,
      State: b.state,
      StateChangeReason: b.stateChangeReason,
      CreatedTime: sec(b.createdAt),
      AppstreamAgentVersion: b.agentVersion,
      LatestAppstreamAgentVersion: b.agentVersion === LATEST_AGENT_VERSION ? 'TRUE' : 'FALSE',
      // The builder's real network interface (emulator/ec2/network.ts) while it has one.
      NetworkAccessConfiguration:
        b.state === 'RUNNING' && b.eni ? { EniPrivateIpAddress: b.eni.ip, EniId: b.eni.id } : undefined,
      ImageBuilderErrors: b.errors.length
        ? b.errors.map((e) => ({ ...e, ErrorTimestamp: sec(e.ErrorTimestamp) }))
        : undefined,
    },
    b.attrs,
  );
}

export function getBuilder(ctx: Ctx, name: string): BuilderRec {
  const b = ctx.store.builders.get(name);
  if (!b) throw notFound('image builder', name);
  return b;
}

function requireState(ctx: Ctx, b: BuilderRec, allowed: string[], action: string): void {
  if (allowed.includes(b.state)) return;
  const why = BUILDER_BUSY_STATES.includes(b.state)
    ? 'an operation is in progress'
    : `it must be ${allowed.join(' or ')}`;
  throw stateError(ctx, `Cannot ${action} image builder '${b.name}' in state ${b.state}: ${why}.`);
}

const createImageBuilder: Handler = (input, ctx) => {
  const { store } = ctx;
  if (store.builders.has(input.Name)) throw alreadyExists('image builder', input.Name);
  if (!input.ImageName === !input.ImageArn)
    throw invalidCombination('Exactly one of ImageName and ImageArn must be specified.');
  checkInstanceType(input.InstanceType);
  checkRole(input.IamRoleArn);
  if ((input.VpcConfig?.SubnetIds?.length ?? 0) > 1)
    throw invalidCombination('An image builder can be launched in one subnet only.');
  checkDirectory(ctx, input.DomainJoinInfo);
  const image = resolveImage(ctx, { name: input.ImageName, arn: input.ImageArn }, 'imageBuilder');
  checkQuota(
    store.builders.size,
    ctx.world.quotasFor(ctx.account, ctx.region).imageBuilders,
    'image builder',
  );
  checkBuilderQuota(ctx, input.InstanceType);
  const b: BuilderRec = {
    name: input.Name,
    arn: arnOf(ctx, 'image-builder', input.Name),
    createdAt: ctx.now,
    imageArn: image.arn,
    platform: image.platform,
    attrs: pick(input, ATTRS),
    agentVersion:
      input.AppstreamAgentVersion && input.AppstreamAgentVersion !== 'LATEST'
        ? input.AppstreamAgentVersion
        : LATEST_AGENT_VERSION,
    tags: mergeTags(ctx, {}, input.Tags),
    apps: [],
    errors: [],
    state: 'PENDING',
    stateSince: ctx.now,
  };
  store.builders.set(b.name, b);
  store.enter('imageBuilder', b, 'PENDING', ctx.now);
  acquireBuilderEni(ctx, b);
  return { ImageBuilder: builderOut(b) };
};

const describeImageBuilders: Handler = (input, ctx) => {
  const all = selectByNames(ctx.store.builders, input.Names, 'image builder');
  const { page, nextToken } = paginate(all, input.NextToken, input.MaxResults, 25);
  return compact({ ImageBuilders: page.map(builderOut), NextToken: nextToken });
};

const startImageBuilder: Handler = (input, ctx) => {
  const b = getBuilder(ctx, input.Name);
  requireState(ctx, b, ['STOPPED'], 'start');
  checkBuilderQuota(ctx, String(b.attrs.InstanceType), b.name, 'ResourceNotAvailableException');
  if (input.AppstreamAgentVersion)
    b.agentVersion =
      input.AppstreamAgentVersion === 'LATEST' ? LATEST_AGENT_VERSION : input.AppstreamAgentVersion;
  b.errors = [];
  b.stateChangeReason = undefined;
  ctx.store.enter('imageBuilder', b, 'PENDING', ctx.now, { duration: 'builderStart' });
  acquireBuilderEni(ctx, b);
  return { ImageBuilder: builderOut(b) };
};

const stopImageBuilder: Handler = (input, ctx) => {
  const b = getBuilder(ctx, input.Name);
  requireState(ctx, b, ['RUNNING'], 'stop');
  ctx.store.enter('imageBuilder', b, 'STOPPING', ctx.now);
  return { ImageBuilder: builderOut(b) };
};

const deleteImageBuilder: Handler = (input, ctx) => {
  const b = getBuilder(ctx, input.Name);
  requireState(ctx, b, ['STOPPED', 'FAILED'], 'delete');
  ctx.store.enter('imageBuilder', b, 'DELETING', ctx.now);
  return { ImageBuilder: builderOut(b) };
};

const createImageBuilderStreamingURL: Handler = (input, ctx) => {
  const b = getBuilder(ctx, input.Name);
  requireState(ctx, b, ['RUNNING'], 'connect to');
  const validity = input.Validity ?? 3600;
  if (validity < 1 || validity > 604800)
    throw new ServiceError('ValidationException', 'Validity must be between 1 and 604800 seconds.');
  const token = randomBytes(24).toString('base64url');
  return {
    StreamingURL: `https://appstream2.${ctx.region}.aws.amazon.com/authenticate?parameters=${token}&builder=${encodeURIComponent(b.name)}`,
    Expires: sec(ctx.now + validity * 1000),
  };
};

export const builderHandlers: Record<string, Handler> = {
  CreateImageBuilder: createImageBuilder,
  DescribeImageBuilders: describeImageBuilders,
  StartImageBuilder: startImageBuilder,
  StopImageBuilder: stopImageBuilder,
  DeleteImageBuilder: deleteImageBuilder,
  CreateImageBuilderStreamingURL: createImageBuilderStreamingURL,
};
