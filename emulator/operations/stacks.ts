import { randomBytes } from 'node:crypto';
import { openSession } from '../capacity';
import { arnOf, type Ctx, compact, type Handler, paginate, sec } from '../context';
import { alreadyExists, inUse, invalidCombination, limitExceeded, notFound, ServiceError } from '../errors';
import type { StackRec } from '../records';
import { checkQuota, mergeTags, pick, selectByNames } from './common';
import { getFleet } from './fleets';

const ATTRS = [
  'Description',
  'DisplayName',
  'StorageConnectors',
  'RedirectURL',
  'FeedbackURL',
  'UserSettings',
  'AccessEndpoints',
  'EmbedHostDomains',
  'StreamingExperienceSettings',
  'ContentRedirection',
  'AgentAccessConfig',
];

const DELETABLE_ATTRIBUTES: Record<string, string[]> = {
  STORAGE_CONNECTORS: ['StorageConnectors'],
  REDIRECT_URL: ['RedirectURL'],
  FEEDBACK_URL: ['FeedbackURL'],
  USER_SETTINGS: ['UserSettings'],
  EMBED_HOST_DOMAINS: ['EmbedHostDomains'],
  ACCESS_ENDPOINTS: ['AccessEndpoints'],
  STREAMING_EXPERIENCE_SETTINGS: ['StreamingExperienceSettings'],
  CONTENT_REDIRECTION: ['ContentRedirection'],
  AGENT_ACCESS_CONFIG: ['AgentAccessConfig'],
};

function applicationSettings(ctx: Ctx, s: { Enabled: boolean; SettingsGroup?: string } | undefined) {
  if (!s) return undefined;
  return compact({
    Enabled: s.Enabled,
    SettingsGroup: s.SettingsGroup,
    S3BucketName: s.Enabled ? `appstream-app-settings-${ctx.region}-${ctx.account}-abcdefgh` : undefined,
  });
}

export function stackOut(s: StackRec) {
  return compact({ Arn: s.arn, Name: s.name, CreatedTime: sec(s.createdAt) }, s.attrs);
}

export function getStack(ctx: Ctx, name: string): StackRec {
  const s = ctx.store.stacks.get(name);
  if (!s) throw notFound('stack', name);
  return s;
}

const createStack: Handler = (input, ctx) => {
  if (ctx.store.stacks.has(input.Name)) throw alreadyExists('stack', input.Name);
  checkQuota(ctx.store.stacks.size, ctx.world.quotasFor(ctx.account, ctx.region).stacks, 'stack');
  const s: StackRec = {
    name: input.Name,
    arn: arnOf(ctx, 'stack', input.Name),
    createdAt: ctx.now,
    attrs: {
      ...pick(input, ATTRS),
      ApplicationSettings: applicationSettings(ctx, input.ApplicationSettings),
    },
    fleets: [],
    tags: mergeTags(ctx, {}, input.Tags),
  };
  ctx.store.stacks.set(s.name, s);
  return { Stack: stackOut(s) };
};

const describeStacks: Handler = (input, ctx) => {
  const all = selectByNames(ctx.store.stacks, input.Names, 'stack');
  const { page, nextToken } = paginate(all, input.NextToken, undefined, 25);
  return compact({ Stacks: page.map(stackOut), NextToken: nextToken });
};

const updateStack: Handler = (input, ctx) => {
  const s = getStack(ctx, input.Name);
  for (const attr of input.AttributesToDelete ?? [])
    for (const k of DELETABLE_ATTRIBUTES[attr] ?? []) delete s.attrs[k];
  if (input.DeleteStorageConnectors) delete s.attrs.StorageConnectors;
  Object.assign(s.attrs, pick(input, ATTRS));
  if (input.ApplicationSettings)
    s.attrs.ApplicationSettings = applicationSettings(ctx, input.ApplicationSettings);
  return { Stack: stackOut(s) };
};

const deleteStack: Handler = (input, ctx) => {
  const s = getStack(ctx, input.Name);
  if (s.fleets.length)
    throw inUse(
      `Stack '${s.name}' is associated with fleet(s) ${s.fleets.join(', ')}; stop and disassociate them first.`,
    );
  ctx.store.stacks.delete(s.name);
  ctx.store.userStacks = ctx.store.userStacks.filter((a) => a.stackName !== s.name);
  return {};
};

const associateFleet: Handler = (input, ctx) => {
  const fleet = getFleet(ctx, input.FleetName);
  const stack = getStack(ctx, input.StackName);
  if (stack.fleets.includes(fleet.name)) return {};
  if (stack.fleets.length)
    throw limitExceeded(`Stack '${stack.name}' is already associated with fleet '${stack.fleets[0]}'.`);
  stack.fleets.push(fleet.name);
  return {};
};

const disassociateFleet: Handler = (input, ctx) => {
  const fleet = getFleet(ctx, input.FleetName);
  const stack = getStack(ctx, input.StackName);
  if (!stack.fleets.includes(fleet.name))
    throw notFound('association of fleet and stack', `${fleet.name}/${stack.name}`);
  const active = [...ctx.store.sessions.values()].some(
    (x) => x.fleetName === fleet.name && x.stackName === stack.name,
  );
  if (active) throw inUse(`Fleet '${fleet.name}' has active sessions on stack '${stack.name}'.`);
  stack.fleets = stack.fleets.filter((n) => n !== fleet.name);
  return {};
};

const listAssociatedFleets: Handler = (input, ctx) => {
  const names = ctx.store.stacks.get(input.StackName)?.fleets ?? [];
  const { page, nextToken } = paginate(names, input.NextToken, undefined, 25);
  return compact({ Names: page, NextToken: nextToken });
};

const listAssociatedStacks: Handler = (input, ctx) => {
  const names = [...ctx.store.stacks.values()]
    .filter((s) => s.fleets.includes(input.FleetName))
    .map((s) => s.name);
  const { page, nextToken } = paginate(names, input.NextToken, undefined, 25);
  return compact({ Names: page, NextToken: nextToken });
};

const createStreamingURL: Handler = (input, ctx) => {
  const stack = getStack(ctx, input.StackName);
  const fleet = getFleet(ctx, input.FleetName);
  if (!stack.fleets.includes(fleet.name))
    throw invalidCombination(`Fleet '${fleet.name}' is not associated with stack '${stack.name}'.`);
  if (fleet.state !== 'RUNNING')
    throw new ServiceError(
      'ResourceNotAvailableException',
      `Fleet '${fleet.name}' is ${fleet.state}; it must be RUNNING.`,
    );
  const validity = input.Validity ?? 60;
  if (validity < 1 || validity > 604800)
    throw new ServiceError('ValidationException', 'Validity must be between 1 and 604800 seconds.');
  const token = randomBytes(24).toString('base64url');
  const expires = ctx.now + validity * 1000;
  ctx.store.streamingTokens.set(token, {
    stackName: stack.name,
    fleetName: fleet.name,
    userId: input.UserId,
    expires,
  });
  return {
    StreamingURL: `https://appstream2.${ctx.region}.aws.amazon.com/authenticate?parameters=${token}`,
    Expires: sec(expires),
  };
};

const describeSessions: Handler = (input, ctx) => {
  if (input.UserId && !input.AuthenticationType)
    throw invalidCombination('AuthenticationType is required when UserId is specified.');
  const sessions = [...ctx.store.sessions.values()].filter(
    (s) =>
      s.maxExpirationTime > ctx.now &&
      s.stackName === input.StackName &&
      s.fleetName === input.FleetName &&
      (!input.UserId || s.userId === input.UserId) &&
      (!input.AuthenticationType || s.authenticationType === input.AuthenticationType) &&
      (!input.InstanceId || s.instanceId === input.InstanceId),
  );
  const { page, nextToken } = paginate(sessions, input.NextToken, input.Limit, 50);
  return compact({
    Sessions: page.map((s) => ({
      Id: s.id,
      UserId: s.userId,
      StackName: s.stackName,
      FleetName: s.fleetName,
      State: s.state,
      ConnectionState: s.connectionState,
      StartTime: sec(s.startTime),
      MaxExpirationTime: sec(s.maxExpirationTime),
      AuthenticationType: s.authenticationType,
      InstanceId: s.instanceId,
    })),
    NextToken: nextToken,
  });
};

const expireSession: Handler = (input, ctx) => {
  // The model declares no errors: expiring an unknown session is a silent no-op.
  const s = ctx.store.sessions.get(input.SessionId);
  if (s) ctx.store.endSession(s);
  return {};
};

/** A user opening a streaming URL (driven from the control API): starts a session if capacity allows. */
export function openStreamingUrl(ctx: Ctx, url: string) {
  const token = new URL(url).searchParams.get('parameters') ?? '';
  const t = ctx.store.streamingTokens.get(token);
  if (!t) throw notFound('streaming URL', url);
  if (t.expires < ctx.now) throw new ServiceError('ExpiredStreamingURL', 'The streaming URL has expired.');
  const fleet = getFleet(ctx, t.fleetName);
  const session = openSession(ctx, fleet, { stackName: t.stackName, userId: t.userId });
  if (!session)
    throw new ServiceError('InsufficientCapacity', `Fleet '${fleet.name}' has no available capacity.`);
  ctx.store.streamingTokens.delete(token);
  return session;
}

export const stackHandlers: Record<string, Handler> = {
  CreateStack: createStack,
  DescribeStacks: describeStacks,
  UpdateStack: updateStack,
  DeleteStack: deleteStack,
  AssociateFleet: associateFleet,
  DisassociateFleet: disassociateFleet,
  ListAssociatedFleets: listAssociatedFleets,
  ListAssociatedStacks: listAssociatedStacks,
  CreateStreamingURL: createStreamingURL,
  DescribeSessions: describeSessions,
  ExpireSession: expireSession,
};
