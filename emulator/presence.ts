/**
 * Interactive logons on image builders and the presence heartbeats their builder agent writes
 * (issue 9, agent protocol 2): while someone is logged on, the agent baked into the builder puts
 * `autopilot-agent/<builder>/presence/heartbeat.json` in the agent bucket at logon and every 300
 * seconds. The emulator has no S3: it appends what EventBridge would deliver for each put (an S3
 * "Object Created" event) to its event log, on the virtual clock. See emulator/README.md,
 * "Builder logons and presence heartbeats".
 */

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Ctx } from './context';
import { notFound, ServiceError } from './errors';
import { isoSeconds } from './events/cloudtrail';
import type { EventEnvelope } from './events/log';
import type { BuilderRec } from './records';
import type { Store } from './store';
import type { World } from './world';

/** The agent bucket the emulated builder agent writes to (the local stand-in for AgentBucketName). */
export const EMULATOR_AGENT_BUCKET = 'autopilot-agent-local';
/** The agent's key prefix (agent protocol: `<prefix>/<builderName>/...`). */
export const AGENT_KEY_PREFIX = 'autopilot-agent';
/** The agent's presenceSeconds default: one heartbeat every 300 s while someone is logged on. */
export const PRESENCE_INTERVAL_MS = 300_000;
/** The agent version that writes heartbeats (agent protocol 2). */
export const PRESENCE_AGENT_VERSION = '2.1.0';
/** The Windows user an AppStream image builder session logs on as. */
export const DEFAULT_LOGON_USER = 'ImageBuilderAdmin';
export const DEFAULT_LOGON_MINUTES = 60;
/** Longest logon the control API accepts (a week: at most 2,016 heartbeats per logon). */
export const MAX_LOGON_MINUTES = 10_080;

/** The S3 key of a builder's presence heartbeat. */
export const presenceKey = (builderName: string): string =>
  `${AGENT_KEY_PREFIX}/${builderName}/presence/heartbeat.json`;

/**
 * Someone (one or more users) logged on to a builder, and when its agent writes next. Small and
 * plain JSON: kept in World.logons and saved in the state file as it is.
 */
export interface BuilderLogon {
  account: string;
  region: string;
  name: string;
  /** The builder's createdAt at logon: a builder deleted and created again under the name is another. */
  builderCreatedAt: number;
  /** Users logged on and the virtual epoch ms each logon ends. */
  users: { user: string; until: number }[];
  /** Virtual epoch ms of the next heartbeat. */
  nextAt: number;
}

export const logonKey = (account: string, region: string, name: string): string =>
  `${account}/${region}/${name}`;

export interface LogonResult {
  name: string;
  user: string;
  /** Virtual epoch ms this user's logon ends (unless logged off or the builder leaves RUNNING). */
  until: number;
  /** Users logged on to the builder now. */
  users: string[];
  /** Virtual epoch ms of the agent's next heartbeat. */
  nextHeartbeatAt: number;
  /** Ids of the heartbeat events this call logged (the first one, when nobody was logged on before). */
  eventIds: string[];
}

export interface LogoffResult {
  name: string;
  /** Users whose logon this call ended (none: nobody was logged on). */
  loggedOff: string[];
  /** Users still logged on (a logoff of one `user`). */
  users: string[];
}

/**
 * A user logs on interactively to a RUNNING builder (control API). The first logon makes the
 * agent write a heartbeat now; a user who logs on while others are on joins the running
 * schedule (the agent writes every presenceSeconds while at least one logon lasts); the same
 * user logging on again extends their logon. `ctx` has settled the region (heartbeats due
 * before now are logged already).
 */
export function logonBuilder(ctx: Ctx, req: { name: string; minutes?: number; user?: string }): LogonResult {
  const minutes = req.minutes ?? DEFAULT_LOGON_MINUTES;
  // The control route's schema checks these too; in process (control.logonImageBuilder) this does.
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_LOGON_MINUTES)
    throw new ServiceError(
      'ValidationException',
      `Invalid control request: 'minutes': must be a whole number from 1 to ${MAX_LOGON_MINUTES}`,
    );
  const b = runningBuilderOf(ctx, req.name, 'log on to');
  const user = req.user ?? DEFAULT_LOGON_USER;
  const until = ctx.now + minutes * 60_000;
  const key = logonKey(ctx.account, ctx.region, b.name);
  let logon = ctx.world.logons.get(key);
  if (!logon || logon.builderCreatedAt !== b.createdAt) {
    logon = {
      account: ctx.account,
      region: ctx.region,
      name: b.name,
      builderCreatedAt: b.createdAt,
      users: [],
      nextAt: ctx.now,
    };
    ctx.world.logons.set(key, logon);
  }
  let mine = logon.users.find((u) => u.user === user);
  if (mine) mine.until = Math.max(mine.until, until);
  else {
    mine = { user, until };
    logon.users.push(mine);
  }
  const eventIds: string[] = [];
  runLogons(ctx.world, ctx.store, ctx.now, (e) => eventIds.push(e.id));
  return {
    name: b.name,
    user,
    until: mine.until,
    users: logon.users.map((u) => u.user),
    nextHeartbeatAt: logon.nextAt,
    eventIds,
  };
}

/** Users log off a builder: `user`, or everyone. Nobody logged on is not an error. */
export function logoffBuilder(ctx: Ctx, req: { name: string; user?: string }): LogoffResult {
  const b = ctx.store.builders.get(req.name);
  if (!b) throw notFound('image builder', req.name);
  const key = logonKey(ctx.account, ctx.region, b.name);
  const logon = ctx.world.logons.get(key);
  if (!logon) return { name: b.name, loggedOff: [], users: [] };
  const off = logon.users.filter((u) => req.user === undefined || u.user === req.user);
  logon.users = logon.users.filter((u) => !off.includes(u));
  if (logon.users.length === 0) ctx.world.logons.delete(key);
  return { name: b.name, loggedOff: off.map((u) => u.user), users: logon.users.map((u) => u.user) };
}

function runningBuilderOf(ctx: Ctx, name: string, action: string): BuilderRec {
  const b = ctx.store.builders.get(name);
  if (!b) throw notFound('image builder', name);
  if (b.state !== 'RUNNING')
    // The error the console's Connect gets for a builder that is not RUNNING.
    throw new ServiceError(
      'OperationNotPermittedException',
      `Cannot ${action} image builder '${name}' in state ${b.state}: it must be RUNNING.`,
    );
  return b;
}

/**
 * Settle hook (World.settleHooks): logs every heartbeat of this account+region due by `now`,
 * each with its own time, oldest first across builders (a clock jump of hours logs them all),
 * and ends logons whose users' time is up or whose builder is no longer RUNNING. A builder
 * leaves RUNNING only through a call (Stop/Delete/CreateImage...: no lifecycle transition starts
 * at RUNNING), and every call settles its region first, so heartbeats due before the call are
 * logged before it and none after.
 */
export function runLogons(
  world: World,
  store: Store,
  now: number,
  onHeartbeat?: (e: EventEnvelope) => void,
): void {
  if (world.logons.size === 0) return;
  const mine: BuilderLogon[] = [];
  for (const [key, logon] of world.logons) {
    if (logon.account !== store.account || logon.region !== store.region) continue;
    const b = store.builders.get(logon.name);
    if (!b || b.createdAt !== logon.builderCreatedAt || b.state !== 'RUNNING') world.logons.delete(key);
    else mine.push(logon);
  }
  for (;;) {
    let next: BuilderLogon | undefined;
    for (const l of mine) if (l.nextAt <= now && (!next || l.nextAt < next.nextAt)) next = l;
    if (!next) break;
    const at = next.nextAt;
    const users = next.users.filter((u) => u.until > at).length;
    if (users === 0) {
      // Everyone had logged off by then: no more heartbeats.
      mine.splice(mine.indexOf(next), 1);
      continue;
    }
    const envelope = heartbeatEnvelope(store.builders.get(next.name)!, store, at, users);
    world.events.append(envelope, at);
    onHeartbeat?.(envelope);
    next.nextAt = at + PRESENCE_INTERVAL_MS;
  }
  for (const l of world.logons.values()) {
    if (l.account !== store.account || l.region !== store.region) continue;
    l.users = l.users.filter((u) => u.until > now);
    if (l.users.length === 0) world.logons.delete(logonKey(l.account, l.region, l.name));
  }
}

/**
 * Brings every logon up to now (all regions that have one): the event log is read, or the clock
 * was advanced, so listeners and readers see the heartbeats due meanwhile.
 */
export function settleLogons(world: World): void {
  if (world.logons.size === 0) return;
  for (const region of new Set([...world.logons.values()].map((l) => l.region))) world.settle(region);
}

/**
 * The EventBridge event of one heartbeat put, as S3 sends it for a bucket with EventBridge
 * notifications on (Amazon S3 User Guide, "EventBridge event message structure", the "Object
 * created" example and "Event message detail field"): envelope `source` aws.s3, `detail-type`
 * "Object Created", `account` the bucket owner's, `region` the bucket's, `resources` the bucket's
 * ARN; `detail` {version "0", bucket.name, object {key, size, etag, sequencer} (no version-id:
 * the bucket is not versioned), request-id, requester (an account id, as in the guide's
 * example), source-ip-address, reason PutObject}. Newer copies of the guide's example also show
 * `detail["event-version"]` "1.0"; contract 2 leaves it out. The agent bucket is in the
 * builder's account and region.
 */
function heartbeatEnvelope(b: BuilderRec, store: Store, at: number, users: number): EventEnvelope {
  const time = isoSeconds(at);
  // The object the agent writes (contract 1): its size and ETag (the MD5 of a single-part put).
  const body = JSON.stringify({
    schemaVersion: 2,
    builderName: b.name,
    agentVersion: PRESENCE_AGENT_VERSION,
    at: time,
    users,
  });
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: store.account,
    time,
    region: store.region,
    resources: [`arn:aws:s3:::${EMULATOR_AGENT_BUCKET}`],
    detail: {
      version: '0',
      bucket: { name: EMULATOR_AGENT_BUCKET },
      object: {
        key: presenceKey(b.name),
        size: Buffer.byteLength(body),
        etag: createHash('md5').update(body).digest('hex'),
        // Sequencers of one key's events order them (hex, compared as strings): the virtual time.
        sequencer: Math.floor(at).toString(16).toUpperCase().padStart(16, '0'),
      },
      'request-id': randomBytes(8).toString('hex').toUpperCase(),
      requester: store.account,
      // The builder's network interface address (a documentation address when it has none).
      'source-ip-address': b.eni?.ip ?? '198.51.100.16',
      reason: 'PutObject',
    },
  };
}

/** A logon of a state file, if it is one (a hand-edited or damaged file loads without it). */
export function savedLogon(x: unknown): BuilderLogon | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const l = x as Record<string, unknown>;
  const time = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
  if (typeof l.account !== 'string' || typeof l.region !== 'string' || typeof l.name !== 'string')
    return undefined;
  if (!time(l.builderCreatedAt) || !time(l.nextAt) || !Array.isArray(l.users)) return undefined;
  const users = l.users.filter(
    (u): u is { user: string; until: number } =>
      typeof u === 'object' && u !== null && typeof u.user === 'string' && time(u.until),
  );
  return {
    account: l.account,
    region: l.region,
    name: l.name,
    builderCreatedAt: l.builderCreatedAt,
    users: users.map((u) => ({ user: u.user, until: u.until })),
    nextAt: l.nextAt,
  };
}
