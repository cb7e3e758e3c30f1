import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { runScheduledActions } from './autoscaling';
import { disconnectSession, openSession, reconnectSession, refillShortFleets } from './capacity';
import type { Ctx } from './context';
import { ServiceError } from './errors';
import { apiCallEnvelope, CONSOLE_USER_AGENT, identityFromArn } from './events/cloudtrail';
import type { EventPage, EventQuery } from './events/log';
import type { FailCallsSpec, FaultConfig } from './faults';
import { type AssistantResult, runImageAssistant } from './image-assistant';
import type { DurationsMs, Kind } from './lifecycle';
import { loadModel } from './model';
import { builderHandlers, getBuilder } from './operations/builders';
import { getFleet } from './operations/fleets';
import { openStreamingUrl } from './operations/stacks';
import {
  type LogoffResult,
  type LogonResult,
  logoffBuilder,
  logonBuilder,
  runLogons,
  settleLogons,
} from './presence';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, type Quotas, type World } from './world';

export interface Where {
  accountId?: string;
  region?: string;
}

/** What `sessions` does on one fleet (control API `POST /_emulator/sessions`). */
export interface SessionsRequest extends Where {
  fleet: string;
  /** Users opening sessions: as many as the fleet has room for, the rest are refused. */
  open?: number;
  /** Users signing out: the N oldest sessions end. */
  close?: number;
  /** UserId of the sessions opened (default user-1, user-2, ...). */
  userId?: string;
  /** Sessions whose client disconnects: NOT_CONNECTED until they reconnect or the fleet's DisconnectTimeoutInSeconds ends them. */
  disconnect?: string[];
  /** Disconnected sessions whose user comes back within the timeout: CONNECTED again. */
  reconnect?: string[];
  /**
   * Connected sessions whose user goes idle now: with the fleet's IdleDisconnectTimeoutInSeconds
   * set, they are disconnected that long after (then DisconnectTimeoutInSeconds applies).
   */
  idle?: string[];
  /** Sessions whose user is active again (input): a pending idle disconnect is cancelled. */
  active?: string[];
}

export interface SessionsResult {
  opened: string[];
  closed: string[];
  refused: number;
  disconnected: string[];
  reconnected: string[];
  /** Sessions marked idle, with when the user will be disconnected (epoch ms; null: never, the fleet has no idle timeout). */
  idle: { id: string; disconnectsAt: number | null }[];
  active: string[];
  /** Ids in disconnect/reconnect/idle/active that are not (or no longer) open sessions of the fleet. */
  gone: string[];
}

/**
 * The emulator's control handle: what tests and the local runtime use to drive the world
 * (clock, quotas, faults) and to act as the builder or a user. Also served over HTTP under
 * /_emulator/ (see server.ts).
 */
export class Control {
  constructor(readonly world: World) {
    if (!world.settleHooks.includes(refillShortFleets)) world.settleHooks.push(refillShortFleets);
    // Application Auto Scaling's scheduled actions run on the virtual clock like transitions.
    if (!world.settleHooks.includes(runScheduledActions)) world.settleHooks.push(runScheduledActions);
    // The builder agent's presence heartbeats while someone is logged on (presence.ts).
    if (!world.settleHooks.includes(runLogons)) world.settleHooks.push(runLogons);
  }

  reset(seed?: number): void {
    this.world.reset(seed);
  }

  clock(): { now: number; speed: number } {
    return { now: this.world.now(), speed: this.world.clock.speed };
  }

  advance(ms: number): { now: number; speed: number } {
    if (!(ms >= 0))
      throw new ServiceError('ValidationException', 'advance must be a non-negative number of ms');
    this.world.clock.advance(ms);
    // Heartbeats due meanwhile reach onEvent listeners now, each with its own time.
    settleLogons(this.world);
    return this.clock();
  }

  setSpeed(speed: number): { now: number; speed: number } {
    if (!(speed > 0)) throw new ServiceError('ValidationException', 'speed must be a positive number');
    this.world.clock.setSpeed(speed);
    return this.clock();
  }

  /**
   * Sets quotas: for one account+region when `accountId` or `region` is given (the other
   * defaulting to 123456789012 / us-east-1), else the world defaults that apply everywhere not
   * overridden. Answers the quotas now in force there.
   */
  setQuotas(req: Partial<Quotas> & Where): Quotas {
    const { accountId, region, ...quotas } = req;
    if (accountId === undefined && region === undefined) {
      this.world.quotas = { ...this.world.quotas, ...quotas };
      return this.world.quotas;
    }
    const account = accountId ?? DEFAULT_ACCOUNT;
    const where = region ?? DEFAULT_REGION;
    const key = `${account}/${where}`;
    this.world.quotaOverrides.set(key, { ...this.world.quotaOverrides.get(key), ...quotas });
    return this.world.quotasFor(account, where);
  }

  setDurations(durations: Partial<DurationsMs>, jitterSigma?: number): DurationsMs {
    this.world.durations = { ...this.world.durations, ...durations };
    if (jitterSigma !== undefined) this.world.jitterSigma = jitterSigma;
    return this.world.durations;
  }

  setFaults(config: FaultConfig): void {
    this.world.faults.config = { ...config };
  }

  failCalls(f: FailCallsSpec): void {
    this.world.faults.failCalls(f);
  }

  failTransition(f: { kind: Kind; name?: string; message?: string }): void {
    if (!['imageBuilder', 'image', 'fleet'].includes(f.kind))
      throw new ServiceError('ValidationException', "kind must be 'imageBuilder', 'image' or 'fleet'");
    this.world.faults.failTransition({
      kind: f.kind,
      name: f.name,
      message: f.message ?? 'Injected failure',
    });
  }

  clearFaults(): void {
    this.world.faults.reset();
  }

  /** Runs the Image Assistant CLI on a builder, as the builder-side agent would. */
  imageAssistant(req: { builderName: string; argv: string[] } & Where): AssistantResult {
    if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string'))
      throw new ServiceError('ValidationException', 'argv must be an array of strings');
    const ctx = this.ctx(req, 'ImageAssistant');
    return runImageAssistant(ctx, getBuilder(ctx, req.builderName), req.argv);
  }

  /** A user opening a streaming URL from CreateStreamingURL: starts a session. */
  openStreamingUrl(req: { url: string } & Where) {
    return openStreamingUrl(this.ctx(req, 'OpenStreamingURL'), req.url);
  }

  /**
   * Users on a fleet: opens up to `open` sessions (what doesn't fit is refused), ends the
   * `close` oldest, disconnects and reconnects sessions by id. Sessions open on the stack the
   * fleet is associated with.
   */
  sessions(req: SessionsRequest): SessionsResult {
    const ctx = this.ctx(req, 'Sessions');
    const fleet = getFleet(ctx, req.fleet);
    const out: SessionsResult = {
      opened: [],
      closed: [],
      refused: 0,
      disconnected: [],
      reconnected: [],
      idle: [],
      active: [],
      gone: [],
    };
    const mine = (id: string) => {
      const s = ctx.store.sessions.get(id);
      if (s?.fleetName === fleet.name) return s;
      out.gone.push(id);
      return undefined;
    };
    for (const id of req.reconnect ?? []) {
      const s = mine(id);
      if (s) {
        reconnectSession(ctx, s);
        out.reconnected.push(id);
      }
    }
    for (const id of req.active ?? []) {
      const s = mine(id);
      if (s) {
        ctx.store.clearIdle(s);
        out.active.push(id);
      }
    }
    for (const id of req.idle ?? []) {
      const s = mine(id);
      if (s) out.idle.push({ id, disconnectsAt: ctx.store.markIdle(s, ctx.now) ?? null });
    }
    for (const id of req.disconnect ?? []) {
      const s = mine(id);
      if (s) {
        disconnectSession(ctx, s);
        out.disconnected.push(id);
      }
    }
    if (req.close) {
      const oldest = ctx.store.fleetSessions(fleet.name).sort((a, b) => a.startTime - b.startTime);
      for (const s of oldest.slice(0, req.close)) {
        ctx.store.endSession(s);
        out.closed.push(s.id);
      }
    }
    if (req.open) {
      const stack = [...ctx.store.stacks.values()].find((s) => s.fleets.includes(fleet.name));
      if (!stack)
        throw new ServiceError(
          'InvalidParameterCombinationException',
          `Fleet '${fleet.name}' is not associated with a stack; users stream through a stack.`,
        );
      const base = ctx.store.fleetSessions(fleet.name).length;
      for (let i = 0; i < req.open; i++) {
        const userId = req.userId ?? `user-${base + i + 1}`;
        const s = openSession(ctx, fleet, { stackName: stack.name, userId });
        if (!s) {
          out.refused = req.open - i;
          break;
        }
        out.opened.push(s.id);
      }
    }
    return out;
  }

  /** CloudTrail-shaped events after a cursor (control API `GET /_emulator/events`). */
  events(q: EventQuery): EventPage {
    settleLogons(this.world);
    return this.world.events.query(q, this.world.now());
  }

  /**
   * A person choosing "Connect" on a RUNNING image builder in the AppStream console: the console
   * calls CreateImageBuilderStreamingURL as that person (a browser's user agent, a console
   * session), so the call and its CloudTrail-shaped event are those of the API; a refused call
   * (builder not RUNNING, unknown) is logged with its error and answered with it.
   */
  connectImageBuilder(
    req: { name: string; userArn?: string; validity?: number; userAgent?: string } & Where,
  ): { streamingURL: string; expires: number; requestId: string; eventId: string } {
    const ctx = this.ctx(req, 'CreateImageBuilderStreamingURL');
    const userArn = req.userArn ?? `arn:aws:iam::${ctx.account}:root`;
    const identity = identityFromArn(userArn, ctx.now);
    if (!identity || identity.accountId !== ctx.account)
      throw new ServiceError(
        'ValidationException',
        `Invalid control request: 'userArn': must be a principal of account ${ctx.account}`,
      );
    const input = { Name: req.name, ...(req.validity !== undefined ? { Validity: req.validity } : {}) };
    const record = (output?: Record<string, unknown>, error?: { code: string; message: string }) => {
      const envelope = apiCallEnvelope({
        service: 'appstream',
        model: ctx.model,
        operation: ctx.operation,
        account: ctx.account,
        region: ctx.region,
        now: ctx.now,
        identity,
        requestId: ctx.requestId,
        // A documentation address (RFC 5737), as in the Developer Guide's example entry.
        sourceIp: '198.51.100.15',
        userAgent: req.userAgent ?? CONSOLE_USER_AGENT,
        input,
        output,
        error,
        console: true,
      });
      this.world.events.append(envelope, ctx.now);
      return envelope;
    };
    let output: { StreamingURL: string; Expires: number };
    try {
      output = builderHandlers.CreateImageBuilderStreamingURL(input, ctx) as typeof output;
    } catch (err) {
      if (err instanceof ServiceError) record(undefined, { code: err.code, message: err.message });
      throw err;
    }
    const envelope = record(output);
    return {
      streamingURL: output.StreamingURL,
      expires: output.Expires,
      requestId: ctx.requestId,
      eventId: envelope.id,
    };
  }

  /**
   * Someone logs on interactively to a RUNNING image builder whose builder agent writes presence
   * heartbeats (agent protocol 2): at logon and every 300 virtual seconds until `minutes`
   * (default 60) pass, they log off, or the builder leaves RUNNING, each logged as the S3 "Object
   * Created" event EventBridge delivers for the put (presence.ts; emulator/README.md).
   */
  logonImageBuilder(req: { name: string; minutes?: number; user?: string } & Where): LogonResult {
    return logonBuilder(this.ctx(req, 'LogonImageBuilder'), req);
  }

  /** `user` (or everyone) logs off the builder: its agent writes no more heartbeats for them. */
  logoffImageBuilder(req: { name: string; user?: string } & Where): LogoffResult {
    return logoffBuilder(this.ctx(req, 'LogoffImageBuilder'), req);
  }

  state(): unknown {
    return {
      clock: this.clock(),
      quotas: this.world.quotas,
      quotaOverrides: Object.fromEntries(this.world.quotaOverrides),
      faults: this.world.faults.snapshot(),
      ...(this.world.toJSON() as object),
    };
  }

  save(file: string): void {
    writeFileSync(file, JSON.stringify(this.world.toJSON()));
  }

  load(file: string): void {
    this.world.load(JSON.parse(readFileSync(file, 'utf8')));
  }

  private ctx(where: Where, operation: string): Ctx {
    const account = where.accountId ?? DEFAULT_ACCOUNT;
    const region = where.region ?? DEFAULT_REGION;
    this.world.settle(region);
    return {
      world: this.world,
      store: this.world.store(account, region),
      model: loadModel('appstream'),
      account,
      region,
      now: this.world.now(),
      operation,
      requestId: randomUUID(),
    };
  }
}
