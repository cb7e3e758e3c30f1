import { type DurationsMs, GONE, type Kind, LIFECYCLES } from './lifecycle';
import type {
  BuilderRec,
  DirectoryRec,
  FleetRec,
  ImageRec,
  Lifecycled,
  SessionRec,
  StackRec,
  StreamingTokenRec,
  UserRec,
  UserStackRec,
} from './records';
import { Scheduler } from './scheduler';

/** What a store needs from the emulator around it. */
export interface StoreEnv {
  /** A jittered duration for a transition, in virtual ms. */
  sample(key: keyof DurationsMs): number;
  /** True (once) when a fault says this resource's next transition must fail. */
  takeFailure(kind: Kind, name: string): string | undefined;
  /** Told about every state change a lifecycle applies (benchmarks, future event feeds). */
  onTransition?(e: TransitionEvent): void;
  /** Releases the network interfaces an AppStream resource holds (its owner key, see capacity.ts). */
  releaseEnis?(owner: string): void;
}

/** Owner keys of the network interfaces AppStream resources hold (emulator/ec2/network.ts). */
export const builderEniOwner = (name: string) => `image-builder/${name}`;
export const fleetEniOwner = (name: string) => `fleet/${name}`;

export interface TransitionEvent {
  account: string;
  region: string;
  kind: Kind;
  name: string;
  from: string;
  to: string;
  at: number;
}

type Rec = BuilderRec | ImageRec | FleetRec;

/** Scheduler kind of a session's planned end. */
const SESSION = 'session';
/** Scheduler kind of an idle session's planned disconnect (IdleDisconnectTimeoutInSeconds). */
const SESSION_IDLE = 'session-idle';

/** AWS's default DisconnectTimeoutInSeconds (CreateFleet: "Specify a value between 60 and 36000"; console default 15 min). */
export const DEFAULT_DISCONNECT_TIMEOUT_S = 900;

/** All resources of one account in one region, with their pending transitions. */
export class Store {
  readonly builders = new Map<string, BuilderRec>();
  readonly images = new Map<string, ImageRec>();
  readonly fleets = new Map<string, FleetRec>();
  readonly stacks = new Map<string, StackRec>();
  readonly users = new Map<string, UserRec>();
  userStacks: UserStackRec[] = [];
  readonly sessions = new Map<string, SessionRec>();
  readonly directories = new Map<string, DirectoryRec>();
  /** Streaming URLs handed out and not yet opened: token → who may open it, until when. */
  readonly streamingTokens = new Map<string, StreamingTokenRec>();
  /** Fleets short of network interfaces (SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES), see capacity.ts. */
  readonly shortFleets = new Set<string>();
  /**
   * Fleets holding more network interfaces than their desired capacity because users are still on
   * the instances a shrink would have ended (capacity.ts releases them as those sessions end).
   */
  readonly surplusFleets = new Set<string>();
  private readonly scheduler = new Scheduler();
  private token = 0;

  constructor(
    readonly account: string,
    readonly region: string,
    private readonly env: StoreEnv,
  ) {}

  collection(kind: Kind): Map<string, Rec> {
    return (kind === 'imageBuilder' ? this.builders : kind === 'image' ? this.images : this.fleets) as Map<
      string,
      Rec
    >;
  }

  /**
   * Puts a resource in `state` as of `now` and schedules the transition its lifecycle declares
   * for that state (if any), after `duration` (default: the declared one) or at `at`.
   */
  enter(
    kind: Kind,
    rec: Lifecycled & { name: string },
    state: string,
    now: number,
    opts: { duration?: keyof DurationsMs; at?: number } = {},
  ): void {
    rec.state = state;
    rec.stateSince = now;
    rec.pending = undefined;
    const t = LIFECYCLES[kind].transitions[state];
    if (!t) return;
    const at = opts.at ?? now + this.env.sample(opts.duration ?? t.duration);
    this.schedule(kind, rec, t.next, at);
  }

  private schedule(kind: Kind, rec: Lifecycled & { name: string }, to: string, at: number): void {
    const token = ++this.token;
    rec.pending = { to, at, token };
    this.scheduler.push({ at, kind, key: rec.name, token });
  }

  /** Applies every transition (and session end) due at or before `now`, in time order. */
  settle(now: number): void {
    for (let due = this.scheduler.popDue(now); due; due = this.scheduler.popDue(now)) {
      if (due.kind === SESSION) {
        const s = this.sessions.get(due.key);
        if (s && s.token === due.token) this.endSession(s);
        continue;
      }
      if (due.kind === SESSION_IDLE) {
        const s = this.sessions.get(due.key);
        if (s && s.idleToken === due.token) this.disconnectSession(s, due.at);
        continue;
      }
      const kind = due.kind as Kind;
      const rec = this.collection(kind).get(due.key);
      if (!rec?.pending || rec.pending.token !== due.token) continue;
      this.apply(kind, rec, due.at);
    }
  }

  private apply(kind: Kind, rec: Rec, at: number): void {
    const from = rec.state;
    this.applyTransition(kind, rec, at);
    const to = this.collection(kind).has(rec.name) ? rec.state : GONE;
    this.env.onTransition?.({
      account: this.account,
      region: this.region,
      kind,
      name: rec.name,
      from,
      to,
      at,
    });
  }

  private applyTransition(kind: Kind, rec: Rec, at: number): void {
    const to = rec.pending!.to;
    const failure = rec.failNext ?? this.env.takeFailure(kind, rec.name);
    const code = rec.failCode;
    rec.failNext = undefined;
    rec.failCode = undefined;
    if (failure !== undefined) {
      this.fail(kind, rec, at, failure, code);
      return;
    }
    if (to === GONE || to === 'STOPPED') this.releaseInstances(kind, rec);
    if (to === GONE) {
      this.collection(kind).delete(rec.name);
      return;
    }
    if (kind === 'fleet') this.onFleetState(rec as FleetRec, to, at);
    this.enter(kind, rec, to, at);
  }

  /** A builder or fleet whose instances are gone gives back its network interfaces. */
  private releaseInstances(kind: Kind, rec: Rec): void {
    if (kind === 'imageBuilder') {
      if ((rec as BuilderRec).eni) this.env.releaseEnis?.(builderEniOwner(rec.name));
      (rec as BuilderRec).eni = undefined;
    } else if (kind === 'fleet') {
      const fleet = rec as FleetRec;
      if (fleet.eniCount) this.env.releaseEnis?.(fleetEniOwner(fleet.name));
      fleet.eniCount = 0;
      fleet.target = 0;
      for (const s of [...this.sessions.values()]) if (s.fleetName === fleet.name) this.endSession(s);
    }
  }

  private fail(kind: Kind, rec: Rec, at: number, message: string, code?: string): void {
    const from = rec.state;
    const failed = LIFECYCLES[kind].failed;
    if (kind === 'fleet') {
      const fleet = rec as FleetRec;
      fleet.errors = [{ ErrorCode: code ?? 'FLEET_INSTANCE_PROVISIONING_FAILURE', ErrorMessage: message }];
    } else {
      const r = rec as BuilderRec | ImageRec;
      r.errors = [{ ErrorCode: code ?? 'INTERNAL_SERVICE_ERROR', ErrorMessage: message, ErrorTimestamp: at }];
      if (kind === 'imageBuilder' && code) r.stateChangeReason = { Code: 'INTERNAL_ERROR', Message: message };
    }
    this.releaseInstances(kind, rec);
    this.enter(kind, rec, failed, at);
    // A builder that fails while snapshotting takes its pending image down with it.
    if (kind === 'imageBuilder' && from === 'SNAPSHOTTING') {
      for (const image of this.images.values())
        if (image.builderName === rec.name && image.state === 'PENDING') image.failNext = message;
    }
  }

  /** A fleet that reaches RUNNING ramps its instances from 0 up to its target capacity. */
  private onFleetState(fleet: FleetRec, to: string, at: number): void {
    if (to !== 'RUNNING') return;
    fleet.capacityFrom = 0;
    fleet.capacityChangeStart = at;
    fleet.capacityChangeEnd = at + this.env.sample('fleetCapacity');
  }

  /**
   * Running instances of a fleet right now: the linear ramp toward its target (min of desired,
   * network interfaces and quota: see capacity.ts), never below the instances users are on
   * (AWS doesn't terminate an instance with an active session when capacity is reduced: it goes
   * once the session ends). Elastic fleets run one instance per session.
   */
  runningInstances(fleet: FleetRec, now: number): number {
    if (fleet.state !== 'RUNNING') return 0;
    if (fleet.fleetType === 'ELASTIC') return this.fleetSessions(fleet.name).length;
    const target = fleet.target ?? fleet.desired;
    let ramp = target;
    if (now < fleet.capacityChangeEnd) {
      const span = fleet.capacityChangeEnd - fleet.capacityChangeStart;
      const progress = span > 0 ? (now - fleet.capacityChangeStart) / span : 1;
      ramp = Math.round(fleet.capacityFrom + (target - fleet.capacityFrom) * progress);
    }
    return Math.max(ramp, this.inUseInstances(fleet.name));
  }

  /** The sessions open on a fleet (ended ones are removed as the clock passes their end). */
  fleetSessions(fleetName: string): SessionRec[] {
    const out: SessionRec[] = [];
    for (const s of this.sessions.values()) if (s.fleetName === fleetName) out.push(s);
    return out;
  }

  /** Instances with at least one session on them. */
  inUseInstances(fleetName: string): number {
    const ids = new Set<string>();
    for (const s of this.sessions.values()) if (s.fleetName === fleetName) ids.add(s.instanceId);
    return ids.size;
  }

  /** Adds a session, or re-plans its end (after a disconnect or reconnect) at `s.endsAt`. */
  putSession(s: SessionRec): void {
    this.sessions.set(s.id, s);
    if (s.endsAt === undefined) return;
    s.token = ++this.token;
    this.scheduler.push({ at: s.endsAt, kind: SESSION, key: s.id, token: s.token });
  }

  /**
   * A user's client disconnects (or an idle user is disconnected) at `at`: the session stays
   * NOT_CONNECTED for the fleet's DisconnectTimeoutInSeconds, then ends (CreateFleet: "If users
   * try to reconnect to the streaming session after a disconnection or network interruption
   * within this time interval, they are connected to their previous session").
   */
  disconnectSession(s: SessionRec, at: number): void {
    const f = this.fleets.get(s.fleetName);
    const timeout = Number(f?.attrs.DisconnectTimeoutInSeconds ?? DEFAULT_DISCONNECT_TIMEOUT_S);
    s.connectionState = 'NOT_CONNECTED';
    s.disconnectedAt = at;
    s.endsAt = Math.min(s.maxExpirationTime, at + timeout * 1000);
    this.clearIdle(s);
    this.putSession(s);
  }

  /**
   * The connected user goes idle at `at`: with the fleet's IdleDisconnectTimeoutInSeconds set
   * (1 or more; 0 or unset disables it), the user is disconnected that long after, and then the
   * disconnect timeout applies. Undefined when the fleet disconnects no idle users.
   */
  markIdle(s: SessionRec, at: number): number | undefined {
    if (s.connectionState !== 'CONNECTED' || s.idleSince !== undefined) return s.idleDisconnectAt;
    s.idleSince = at;
    const idle = Number(this.fleets.get(s.fleetName)?.attrs.IdleDisconnectTimeoutInSeconds ?? 0);
    if (idle > 0) this.scheduleIdle(s, at + idle * 1000);
    return s.idleDisconnectAt;
  }

  /** The user is active again (input, or a reconnect): no idle disconnect is pending. */
  clearIdle(s: SessionRec): void {
    s.idleSince = undefined;
    s.idleDisconnectAt = undefined;
    s.idleToken = undefined;
  }

  private scheduleIdle(s: SessionRec, at: number): void {
    s.idleDisconnectAt = at;
    s.idleToken = ++this.token;
    this.scheduler.push({ at, kind: SESSION_IDLE, key: s.id, token: s.idleToken });
  }

  /** Ends a session: it disappears and its instance (Elastic: its network interface) is freed. */
  endSession(s: SessionRec): void {
    this.sessions.delete(s.id);
    if (s.eniOwner) this.env.releaseEnis?.(s.eniOwner);
  }

  toJSON(): unknown {
    return {
      account: this.account,
      region: this.region,
      builders: [...this.builders.values()],
      images: [...this.images.values()],
      fleets: [...this.fleets.values()],
      stacks: [...this.stacks.values()],
      users: [...this.users.values()],
      userStacks: this.userStacks,
      sessions: [...this.sessions.values()],
      directories: [...this.directories.values()],
      streamingTokens: [...this.streamingTokens.entries()],
    };
  }

  /** Restores a saved store and re-queues every pending transition. */
  load(data: ReturnType<Store['toJSON']> & Record<string, unknown>): void {
    const d = data as {
      builders: BuilderRec[];
      images: ImageRec[];
      fleets: FleetRec[];
      stacks: StackRec[];
      users: UserRec[];
      userStacks: UserStackRec[];
      sessions: SessionRec[];
      directories: DirectoryRec[];
      streamingTokens: [string, StreamingTokenRec][];
    };
    for (const b of d.builders) this.builders.set(b.name, b);
    for (const i of d.images) this.images.set(i.name, i);
    for (const f of d.fleets) {
      this.fleets.set(f.name, f);
      if (f.errors?.some((e) => e.ErrorCode === 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES'))
        this.shortFleets.add(f.name);
      if ((f.eniCount ?? 0) > f.desired) this.surplusFleets.add(f.name);
    }
    for (const s of d.stacks) this.stacks.set(s.name, s);
    for (const u of d.users) this.users.set(userKey(u.authenticationType, u.userName), u);
    this.userStacks = d.userStacks;
    for (const s of d.sessions) {
      this.putSession(s);
      if (s.idleDisconnectAt !== undefined) this.scheduleIdle(s, s.idleDisconnectAt);
    }
    for (const dir of d.directories) this.directories.set(dir.DirectoryName, dir);
    for (const [token, t] of d.streamingTokens) this.streamingTokens.set(token, t);
    const kinds: [Kind, Rec[]][] = [
      ['imageBuilder', d.builders],
      ['image', d.images],
      ['fleet', d.fleets],
    ];
    for (const [kind, recs] of kinds)
      for (const rec of recs) if (rec.pending) this.schedule(kind, rec, rec.pending.to, rec.pending.at);
  }
}

export const userKey = (authenticationType: string, userName: string) => `${authenticationType}:${userName}`;
