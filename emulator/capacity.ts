/**
 * Streaming capacity: how many instances a fleet can run (desired, network interfaces, quota),
 * the network interfaces builders and fleets hold, and the user sessions on fleets. The one
 * place that decides a fleet's target capacity is `retarget`; `Store.runningInstances` ramps
 * toward it lazily on the virtual clock.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Ctx } from './context';
import type { EniFailure, Network } from './ec2/network';
import { limitExceeded, ServiceError } from './errors';
import type { BuilderRec, FleetRec, SessionRec } from './records';
import { builderEniOwner, fleetEniOwner, type Store } from './store';
import { instanceQuota, type World } from './world';

export { DEFAULT_DISCONNECT_TIMEOUT_S } from './store';
/** AWS's default MaxUserDurationInSeconds (16 hours). */
export const DEFAULT_MAX_USER_DURATION_S = 57600;

/** States in which a fleet's instances exist and count against the streaming-instance quota. */
const ACTIVE_FLEET_STATES = ['STARTING', 'RUNNING'];
/** States in which an image builder has an instance (and a network interface). */
const BUILDER_IDLE_STATES = ['STOPPED', 'FAILED'];

const network = (ctx: Ctx): Network => ctx.world.network(ctx.account, ctx.region);

interface VpcConfig {
  SubnetIds?: string[];
  SecurityGroupIds?: string[];
}

/** The subnets a builder or fleet launches into: its VpcConfig's, or the default VPC's default subnets. */
function subnetsOf(net: Network, attrs: Record<string, unknown>): string[] {
  const ids = (attrs.VpcConfig as VpcConfig | undefined)?.SubnetIds;
  return ids?.length ? ids : net.defaultSubnetIds();
}

const groupsOf = (attrs: Record<string, unknown>) =>
  (attrs.VpcConfig as VpcConfig | undefined)?.SecurityGroupIds;

/**
 * The network problem that keeps a builder or fleet from launching, if any: AWS reports these
 * as notification codes at launch (FleetErrorCode: SUBNET_NOT_FOUND, SECURITY_GROUPS_NOT_FOUND),
 * not as errors of the Create call.
 */
function networkProblem(net: Network, attrs: Record<string, unknown>): EniFailure | undefined {
  const subnets = subnetsOf(net, attrs);
  if (subnets.length === 0 || net.missingSubnets(subnets).length) return 'SUBNET_NOT_FOUND';
  const groups = groupsOf(attrs);
  if (groups?.length && net.missingSecurityGroups(groups).length) return 'SECURITY_GROUPS_NOT_FOUND';
  return undefined;
}

const PROBLEM_MESSAGES: Record<EniFailure, string> = {
  SUBNET_NOT_FOUND: 'The subnet specified in the VPC configuration could not be found.',
  SECURITY_GROUPS_NOT_FOUND: 'The security groups specified in the VPC configuration could not be found.',
  SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES:
    'The subnets specified in the VPC configuration do not have enough free IP addresses.',
};

// --- quotas ---

/** Fleet instances of this type the account+region runs, other fleets than `except`. */
function fleetInstancesInUse(ctx: Ctx, instanceType: string, except?: string): number {
  let n = 0;
  for (const f of ctx.store.fleets.values())
    if (
      f.name !== except &&
      f.fleetType !== 'ELASTIC' &&
      f.attrs.InstanceType === instanceType &&
      ACTIVE_FLEET_STATES.includes(f.state)
    )
      n += Math.max(f.target ?? f.desired, ctx.store.inUseInstances(f.name));
  return n;
}

/**
 * Refuses fleet capacity past the streaming-instance quota of its instance type
 * (LimitExceededException, declared by CreateFleet, UpdateFleet and StartFleet: "The requested
 * limit exceeds the permitted limit for an account"). Quotas are per instance type and size, per
 * account per region, shared by the fleets of that type (Administration Guide, "Service Quotas").
 * `active`: whether the fleet's instances run (then the other running fleets' count too).
 *
 * When AWS refuses: CreateFleet, UpdateFleet and StartFleet all declare LimitExceededException
 * (API reference), but no source found says whether a STOPPED fleet's capacity is checked at
 * CreateFleet/UpdateFleet or only at start. The one documented case is the Administration Guide's
 * troubleshooting entry "I tried to increase my fleet capacity, but the update isn't taking
 * effect" (troubleshooting-fleets.md): a Scaling Policies minimum or a scaling policy past the
 * instance quota "will not take effect" and shows in describe-scaling-activities, which is
 * Application Auto Scaling's path (a scaling activity that fails; see `setFleetCapacity`). Searches for a
 * fleet error code or message for the quota at start found none (FleetErrorCode has no quota
 * code). So the emulator keeps refusing at the API call, also for a STOPPED fleet: a request that
 * cannot run is refused where it is made, with the error the operation declares.
 */
export function checkFleetQuota(
  ctx: Ctx,
  name: string,
  instanceType: string,
  desired: number,
  active: boolean,
) {
  const quota = instanceQuota(ctx.world.quotasFor(ctx.account, ctx.region).streamingInstances, instanceType);
  const others = active ? fleetInstancesInUse(ctx, instanceType, name) : 0;
  if (others + desired > quota)
    throw limitExceeded(
      `The requested capacity of ${desired} ${instanceType} instances exceeds your streaming instance quota ` +
        `(${quota} ${instanceType} fleet instances in this account and region, ${others} in use by other fleets).`,
    );
}

/**
 * Refuses an image builder instance past the image-builder instance quota of its type
 * (LimitExceededException for CreateImageBuilder; StartImageBuilder declares no such error, so
 * it answers ResourceNotAvailableException).
 */
export function checkBuilderQuota(
  ctx: Ctx,
  instanceType: string,
  except?: string,
  code = 'LimitExceededException',
) {
  const quota = instanceQuota(
    ctx.world.quotasFor(ctx.account, ctx.region).imageBuilderInstances,
    instanceType,
  );
  let used = 0;
  for (const b of ctx.store.builders.values())
    if (b.name !== except && b.attrs.InstanceType === instanceType && !BUILDER_IDLE_STATES.includes(b.state))
      used++;
  if (used + 1 > quota)
    throw new ServiceError(
      code,
      `The image builder instance quota for ${instanceType} (${quota} in this account and region) has been reached.`,
    );
}

// --- image builders ---

/**
 * A builder launching (create or start) takes one network interface in its subnet (or the
 * default VPC's first default subnet with room). When it can't, its launch fails: it ends FAILED
 * with the code in ImageBuilderErrors and StateChangeReason INTERNAL_ERROR (the only builder
 * reason codes are INTERNAL_ERROR and IMAGE_UNAVAILABLE).
 */
export function acquireBuilderEni(ctx: Ctx, b: BuilderRec): void {
  const net = network(ctx);
  const problem = networkProblem(net, b.attrs);
  const eni =
    problem ??
    net.allocateEni({
      subnetIds: subnetsOf(net, b.attrs),
      securityGroupIds: groupsOf(b.attrs),
      owner: builderEniOwner(b.name),
      description: `AppStream 2.0 image builder ${b.name}`,
    });
  if (typeof eni === 'string') {
    b.failNext = PROBLEM_MESSAGES[eni];
    b.failCode = eni;
    return;
  }
  b.eni = { id: eni.id, ip: eni.privateIp };
}

// --- fleets: network interfaces and target capacity ---

/** Application Auto Scaling's identifiers of an AppStream fleet (RegisterScalableTarget). */
export const APPSTREAM_NAMESPACE = 'appstream';
export const FLEET_DIMENSION = 'appstream:fleet:DesiredCapacity';
export const fleetResourceId = (name: string) => `fleet/${name}`;

/** The fleet's Application Auto Scaling scalable target, if it has one. */
export function fleetTarget(ctx: Ctx, f: FleetRec) {
  return ctx.world
    .scalingIfAny(ctx.account, ctx.region)
    ?.target(APPSTREAM_NAMESPACE, fleetResourceId(f.name), FLEET_DIMENSION);
}

/**
 * A deleted fleet's scalable target (and its scheduled actions) go with it. Not documented for
 * AppStream; for ECS, deleting a service deregisters its scalable targets and policies
 * (eagletmt/hako#69: "when a service is deleted, scalable targets and scaling policies
 * associated with it get deregistered/deleted along with the service").
 */
export function dropFleetTarget(ctx: Ctx, f: FleetRec): void {
  const t = fleetTarget(ctx, f);
  if (t) ctx.world.scaling(ctx.account, ctx.region).removeTarget(t);
}

const sessionsPerInstance = (f: FleetRec) => Math.max(1, Number(f.attrs.MaxSessionsPerInstance ?? 1));
const multiSession = (f: FleetRec) => f.attrs.MaxSessionsPerInstance !== undefined;

/**
 * The Max of the fleet's scalable target, in instances, when it has one. AWS sizes a fleet's
 * network interfaces to "the maximum desired capacity of your fleet"; with a scalable target
 * that is its MaxCapacity. Multi-session fleets scale in user sessions ("You can specify your
 * fleet capacity in terms of instances (for single-session fleets) and user sessions (for
 * multi-session fleets)", Administration Guide, "Fleet Auto Scaling"): Max sessions need
 * ceil(Max / MaxSessionsPerInstance) instances.
 */
export function scalableTargetMax(ctx: Ctx, f: FleetRec): number | undefined {
  const t = fleetTarget(ctx, f);
  return t === undefined ? undefined : Math.ceil(t.max / sessionsPerInstance(f));
}

/**
 * Instances whose network interfaces the fleet keeps: its desired capacity or the Max of its
 * scalable target, whichever is larger (a desired capacity set out of band above Max still
 * needs its interfaces).
 */
const eniBudget = (ctx: Ctx, f: FleetRec) => Math.max(f.desired, scalableTargetMax(ctx, f) ?? 0);

/** The fleet's capacity in Application Auto Scaling's unit: instances, or sessions for multi-session fleets. */
export function fleetCapacityUnits(f: FleetRec): number {
  return multiSession(f) ? (f.desiredSessions ?? f.desired * sessionsPerInstance(f)) : f.desired;
}

/**
 * Sets a fleet's desired capacity in Application Auto Scaling's unit (instances, or sessions for
 * multi-session fleets), as UpdateFleet's ComputeCapacity does: checks the streaming-instance
 * quota first (LimitExceededException, nothing changed), then resizes the network interfaces
 * and the running target of a RUNNING fleet.
 */
export function setFleetCapacity(ctx: Ctx, f: FleetRec, units: number): void {
  const desired = multiSession(f) ? Math.ceil(units / sessionsPerInstance(f)) : units;
  checkFleetQuota(ctx, f.name, String(f.attrs.InstanceType), desired, f.state === 'RUNNING');
  f.desired = desired;
  f.desiredSessions = multiSession(f) ? units : undefined;
  if (f.state === 'RUNNING') {
    growFleetEnis(ctx, f);
    retarget(ctx, f);
  }
}

/**
 * Checks a starting fleet's subnets and security groups: a missing one makes the start fail
 * (STARTING → STOPPED with the code in FleetErrors). Otherwise takes its network interfaces.
 */
export function prepareFleetStart(ctx: Ctx, f: FleetRec): void {
  const problem = networkProblem(network(ctx), f.attrs);
  if (problem) {
    f.failNext = PROBLEM_MESSAGES[problem];
    f.failCode = problem;
    return;
  }
  growFleetEnis(ctx, f);
  retarget(ctx, f);
}

/**
 * The network interfaces a fleet must hold now: "as many elastic network interfaces as the
 * maximum desired capacity of your fleet" (seed guide; its desired capacity, or the Max of its
 * scalable target), but never fewer than its instances still serving sessions: reducing capacity
 * doesn't terminate instances users are on (Running stays ≥ InUse until their sessions end).
 */
function enisWanted(ctx: Ctx, f: FleetRec): number {
  return Math.max(eniBudget(ctx, f), ctx.store.inUseInstances(f.name));
}

/**
 * Sizes a fleet's network interfaces to `enisWanted`. Growing creates them round-robin over its
 * subnets (a full subnet passes to the next); when they run out, the fleet runs only as many
 * instances as it has interfaces and reports SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES. Shrinking
 * releases the surplus at once, except those of instances users are still on: those go as their
 * sessions end (`Store.surplusFleets`, trimmed after every settle by `trimSurplusFleets`).
 */
export function growFleetEnis(ctx: Ctx, f: FleetRec): void {
  if (f.fleetType === 'ELASTIC') return;
  const net = network(ctx);
  const subnets = subnetsOf(net, f.attrs);
  const wanted = enisWanted(ctx, f);
  let have = f.eniCount ?? 0;
  if (have > wanted) have -= net.releaseEnis(fleetEniOwner(f.name), have - wanted);
  let short: EniFailure | undefined;
  while (have < wanted && subnets.length) {
    const start = have % subnets.length;
    const eni = net.allocateEni({
      subnetIds: [...subnets.slice(start), ...subnets.slice(0, start)],
      securityGroupIds: groupsOf(f.attrs),
      owner: fleetEniOwner(f.name),
      description: `AppStream 2.0 fleet ${f.name}`,
    });
    if (typeof eni === 'string') {
      short = eni;
      break;
    }
    have++;
  }
  f.eniCount = have;
  if (have > eniBudget(ctx, f)) ctx.store.surplusFleets.add(f.name);
  else ctx.store.surplusFleets.delete(f.name);
  f.errors = f.errors.filter((e) => e.ErrorCode !== 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES');
  if (short) f.errors.push({ ErrorCode: short, ErrorMessage: PROBLEM_MESSAGES[short] });
  if (short === 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES') ctx.store.shortFleets.add(f.name);
  else ctx.store.shortFleets.delete(f.name);
}

/** A context for work done while settling (no request of its own). */
const settleCtx = (world: World, store: Store, now: number): Ctx =>
  ({
    world,
    store,
    account: store.account,
    region: store.region,
    now,
    operation: 'ProvisionFleet',
    requestId: '',
  }) as Ctx;

/**
 * A fleet that shrank below the instances users were on kept their network interfaces
 * (`Store.surplusFleets`); as those sessions end (scheduled ends, ExpireSession, the control
 * API's `close`), the interfaces beyond `enisWanted` are released. Runs after every settle; only
 * fleets marked are looked at.
 */
function trimSurplusFleets(world: World, store: Store, now: number): void {
  for (const name of [...store.surplusFleets]) {
    const f = store.fleets.get(name);
    if (!f || f.fleetType === 'ELASTIC' || !ACTIVE_FLEET_STATES.includes(f.state)) {
      store.surplusFleets.delete(name);
      continue;
    }
    const ctx = settleCtx(world, store, now);
    if ((f.eniCount ?? 0) > enisWanted(ctx, f)) {
      growFleetEnis(ctx, f);
      retarget(ctx, f);
    } else if ((f.eniCount ?? 0) <= eniBudget(ctx, f)) store.surplusFleets.delete(name);
  }
}

/**
 * AWS keeps provisioning a fleet toward its desired capacity: a fleet short of network
 * interfaces (SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES) takes addresses as they free up in its
 * subnets (a builder stops, another fleet shrinks or stops). Runs after every settle (World
 * settle hooks); only fleets marked short are looked at, and only when a subnet of theirs has a
 * free address, so it costs nothing in the common case.
 */
export function refillShortFleets(world: World, store: Store, now: number): void {
  if (store.surplusFleets.size) trimSurplusFleets(world, store, now);
  if (store.shortFleets.size === 0) return;
  const net = world.network(store.account, store.region);
  for (const name of [...store.shortFleets]) {
    const f = store.fleets.get(name);
    if (!f || f.fleetType === 'ELASTIC' || !ACTIVE_FLEET_STATES.includes(f.state)) {
      store.shortFleets.delete(name);
      continue;
    }
    if (!subnetsOf(net, f.attrs).some((s) => net.freeIps(s) > 0)) continue;
    const ctx = settleCtx(world, store, now);
    const before = f.eniCount ?? 0;
    growFleetEnis(ctx, f);
    if ((f.eniCount ?? 0) !== before) retarget(ctx, f);
  }
}

/**
 * The one place that decides how many instances a fleet can run: min(desired, its network
 * interfaces, what its streaming-instance quota leaves). Running capacity then ramps from what
 * runs now toward it (fleetCapacity duration), never below the instances in use.
 */
export function retarget(ctx: Ctx, f: FleetRec): void {
  const quota = instanceQuota(
    ctx.world.quotasFor(ctx.account, ctx.region).streamingInstances,
    String(f.attrs.InstanceType),
  );
  const quotaLeft = Math.max(0, quota - fleetInstancesInUse(ctx, String(f.attrs.InstanceType), f.name));
  const current = ctx.store.runningInstances(f, ctx.now);
  f.target = Math.min(f.desired, f.eniCount ?? 0, quotaLeft);
  f.capacityFrom = current;
  f.capacityChangeStart = ctx.now;
  f.capacityChangeEnd = ctx.now + (f.state === 'RUNNING' ? ctx.world.durations.fleetCapacity : 0);
}

// --- capacity status ---

/**
 * ComputeCapacityStatus (API reference): Running/InUse/Available in instances; for multi-session
 * fleets also session slots: ActualUserSessions = Running × MaxSessionsPerInstance,
 * ActiveUserSessions = sessions, AvailableUserSessions = Actual − Active, DesiredUserSessions =
 * Desired × MaxSessionsPerInstance. Elastic fleets: one instance per session, Available = what
 * MaxConcurrentSessions still allows.
 */
export function capacityStatus(ctx: Ctx, f: FleetRec) {
  const running = ctx.store.runningInstances(f, ctx.now);
  if (f.fleetType === 'ELASTIC') {
    const max = f.state === 'RUNNING' ? Number(f.attrs.MaxConcurrentSessions ?? 0) : 0;
    return { Desired: running, Running: running, InUse: running, Available: Math.max(0, max - running) };
  }
  const inUse = ctx.store.inUseInstances(f.name);
  const base = {
    Desired: f.desired,
    Running: running,
    InUse: inUse,
    Available: Math.max(0, running - inUse),
  };
  const per = sessionsPerInstance(f);
  if (f.attrs.MaxSessionsPerInstance === undefined) return base;
  const active = ctx.store.fleetSessions(f.name).length;
  return {
    ...base,
    DesiredUserSessions: f.desired * per,
    ActualUserSessions: running * per,
    ActiveUserSessions: active,
    AvailableUserSessions: Math.max(0, running * per - active),
  };
}

// --- sessions ---

const instanceId = () => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

/**
 * Finds room for one more session on a RUNNING fleet: an instance with a free slot (multi-
 * session fleets fill instances before taking a new one), else an idle instance; Elastic fleets
 * take a new instance (and network interface) per session up to MaxConcurrentSessions.
 * Undefined when the fleet has no room.
 */
function placeSession(
  ctx: Ctx,
  f: FleetRec,
  id: string,
): { instanceId: string; eniOwner?: string } | undefined {
  if (f.state !== 'RUNNING') return undefined;
  const sessions = ctx.store.fleetSessions(f.name);
  if (f.fleetType === 'ELASTIC') {
    if (sessions.length >= Number(f.attrs.MaxConcurrentSessions ?? 0)) return undefined;
    const net = network(ctx);
    const owner = `${fleetEniOwner(f.name)}/session/${id}`;
    const eni = net.allocateEni({
      subnetIds: subnetsOf(net, f.attrs),
      securityGroupIds: groupsOf(f.attrs),
      owner,
      description: `AppStream 2.0 fleet ${f.name}`,
    });
    if (typeof eni === 'string') return undefined;
    return { instanceId: instanceId(), eniOwner: owner };
  }
  const per = sessionsPerInstance(f);
  const load = new Map<string, number>();
  for (const s of sessions) load.set(s.instanceId, (load.get(s.instanceId) ?? 0) + 1);
  for (const [instance, n] of load) if (n < per) return { instanceId: instance };
  if (load.size < ctx.store.runningInstances(f, ctx.now)) return { instanceId: instanceId() };
  return undefined;
}

export interface SessionOpen {
  stackName: string;
  userId: string;
  authenticationType?: string;
}

/** Starts one session on a fleet, or undefined when it has no available capacity. */
export function openSession(ctx: Ctx, f: FleetRec, req: SessionOpen): SessionRec | undefined {
  const id = randomUUID();
  const place = placeSession(ctx, f, id);
  if (!place) return undefined;
  const maxDuration = Number(f.attrs.MaxUserDurationInSeconds ?? DEFAULT_MAX_USER_DURATION_S);
  const session: SessionRec = {
    id,
    userId: req.userId,
    stackName: req.stackName,
    fleetName: f.name,
    state: 'ACTIVE',
    connectionState: 'CONNECTED',
    startTime: ctx.now,
    maxExpirationTime: ctx.now + maxDuration * 1000,
    endsAt: ctx.now + maxDuration * 1000,
    authenticationType: req.authenticationType ?? 'API',
    instanceId: place.instanceId,
    eniOwner: place.eniOwner,
  };
  ctx.store.putSession(session);
  return session;
}

/** A user's client disconnects: NOT_CONNECTED for the fleet's DisconnectTimeoutInSeconds (Store.disconnectSession). */
export function disconnectSession(ctx: Ctx, s: SessionRec): void {
  ctx.store.disconnectSession(s, ctx.now);
}

/** The user reconnects within the disconnect timeout: back to CONNECTED on the same session. */
export function reconnectSession(ctx: Ctx, s: SessionRec): void {
  s.connectionState = 'CONNECTED';
  s.disconnectedAt = undefined;
  ctx.store.clearIdle(s);
  s.endsAt = s.maxExpirationTime;
  ctx.store.putSession(s);
}
