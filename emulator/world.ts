import { ScalingState } from './autoscaling/state';
import { type RealTime, VirtualClock } from './clock';
import { Network } from './ec2/network';
import { EventLog, type EventLogOptions } from './events/log';
import { Faults } from './faults';
import { DEFAULT_DURATIONS, DEFAULT_JITTER_SIGMA, type DurationsMs } from './lifecycle';
import { type BuilderLogon, logonKey, savedLogon } from './presence';
import { Random } from './random';
import type { ImageRec } from './records';
import { APPSTREAM_REGIONS, AWS_REGIONS } from './regions';
import { publicImages } from './seed';
import { Store, type TransitionEvent } from './store';

/** Per-account, per-region resource quotas (AppStream defaults from the Administration Guide). */
export interface Quotas {
  imageBuilders: number;
  images: number;
  fleets: number;
  stacks: number;
  users: number;
  tagsPerResource: number;
  /**
   * Fleet streaming instances per instance type (AWS quotas are per instance type and size, per
   * account per region: Administration Guide, "Service Quotas"): one number for every type, or
   * per type (types not listed: DEFAULT_INSTANCE_QUOTA).
   */
  streamingInstances: number | Record<string, number>;
  /** Image builder instances per instance type (a separate quota in AWS), same forms. */
  imageBuilderInstances: number | Record<string, number>;
}

/** The seed guide's default streaming-instance quota: 5 per instance type. */
export const DEFAULT_INSTANCE_QUOTA = 5;

export const DEFAULT_QUOTAS: Quotas = {
  imageBuilders: 5,
  images: 5,
  fleets: 5,
  stacks: 5,
  users: 50,
  tagsPerResource: 50,
  streamingInstances: DEFAULT_INSTANCE_QUOTA,
  imageBuilderInstances: DEFAULT_INSTANCE_QUOTA,
};

/** The instance quota for one instance type out of a per-type or all-types setting. */
export function instanceQuota(q: number | Record<string, number>, instanceType: string): number {
  // Own keys only: an instance type named like an Object.prototype member is just unlisted.
  if (typeof q === 'number') return q;
  return Object.hasOwn(q, instanceType) ? q[instanceType] : DEFAULT_INSTANCE_QUOTA;
}

export const DEFAULT_ACCOUNT = '123456789012';

/** A temporary access key issued by sts:AssumeRole (GetCallerIdentity answers with its ARN). */
export interface IssuedKey {
  accessKeyId: string;
  account: string;
  arn: string;
  userId: string;
  expiration: number;
  /** The role assumed (absent in older state files: derived from `arn`). */
  roleArn?: string;
  /** Virtual epoch ms the key was issued (CloudTrail's sessionContext.attributes.creationDate). */
  issuedAt?: number;
}

/** How sts:AssumeRole treats a role (set on the control API; roles not set are assumable, 1 h max). */
export interface RoleConfig {
  assumable: boolean;
  /** The role's maximum session duration in seconds (IAM default 3600, up to 43200). */
  maxSessionDuration?: number;
}
export const DEFAULT_REGION = 'us-east-1';

export interface WorldOptions {
  /** Virtual seconds per real second (default 1). */
  speed?: number;
  /** Seed for jitter and generated ids (default 1). */
  seed?: number;
  /** Virtual start time, epoch ms (default: now). */
  start?: number;
  durations?: Partial<DurationsMs>;
  /** Lognormal sigma for duration jitter; 0 makes every duration its median. */
  jitterSigma?: number;
  quotas?: Partial<Quotas>;
  realTime?: RealTime;
  /** Regions where the emulated services run (default: APPSTREAM_REGIONS, see regions.ts). */
  regions?: string[];
  /** Regions where EC2 and STS run (default: AWS_REGIONS, every commercial region; regions.ts). */
  partitionRegions?: string[];
  /** CloudTrail event log retention (events kept per account+region and in all, virtual max age). */
  events?: EventLogOptions;
}

/** Everything the emulator knows: the clock, faults, quotas and one Store per account+region. */
export class World {
  readonly clock: VirtualClock;
  random: Random;
  /** Faults draw from their own sequence so throttling never shifts the lifecycle jitter. */
  private faultRandom: Random;
  readonly faults: Faults;
  /** Regions callers may use (credential scope, CopyImage, control API); see regions.ts. */
  readonly regions: readonly string[];
  /** Regions EC2/STS callers may use (credential scope); see regions.ts. */
  readonly partitionRegions: readonly string[];
  /** World-default quotas (every account and region, unless overridden in `quotaOverrides`). */
  quotas: Quotas;
  /** Quotas set for one account+region (`account/region` → the members set there). */
  readonly quotaOverrides = new Map<string, Partial<Quotas>>();
  durations: DurationsMs;
  jitterSigma: number;
  private stores = new Map<string, Store>();
  /** Listeners told about every lifecycle transition, in every account and region. */
  readonly transitionListeners: ((e: TransitionEvent) => void)[] = [];
  private publics = new Map<string, Map<string, ImageRec>>();
  private networks = new Map<string, Network>();
  /** Application Auto Scaling targets and scheduled actions per account+region. */
  private scalings = new Map<string, ScalingState>();
  /** STS: issued temporary access keys → who they belong to; roles marked (not) assumable. */
  readonly issuedKeys = new Map<string, IssuedKey>();
  readonly roles = new Map<string, RoleConfig>();
  /** CloudTrail-shaped events of AppStream write calls (events/log.ts), per account+region. */
  readonly events: EventLog;
  /** Interactive logons on image builders (presence.ts), by `account/region/name`. */
  readonly logons = new Map<string, BuilderLogon>();
  /**
   * Run after each store's due transitions are applied (settle), e.g. fleets short of network
   * interfaces taking addresses freed meanwhile (capacity.ts, registered by Control).
   */
  readonly settleHooks: ((world: World, store: Store, now: number) => void)[] = [];

  constructor(private readonly options: WorldOptions = {}) {
    this.clock = new VirtualClock(options.speed ?? 1, options.start ?? Date.now(), options.realTime);
    this.random = new Random(options.seed ?? 1);
    this.faultRandom = new Random((options.seed ?? 1) + 0x9e3779b9);
    this.faults = new Faults(() => this.faultRandom);
    this.regions = options.regions ?? APPSTREAM_REGIONS;
    this.partitionRegions = options.partitionRegions ?? AWS_REGIONS;
    this.quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
    this.durations = { ...DEFAULT_DURATIONS, ...options.durations };
    this.jitterSigma = options.jitterSigma ?? DEFAULT_JITTER_SIGMA;
    this.events = new EventLog(options.events);
  }

  now(): number {
    return this.clock.now();
  }

  /** The quotas in force for an account in a region: the world defaults and that scope's overrides. */
  quotasFor(account: string, region: string): Quotas {
    const o = this.quotaOverrides.get(`${account}/${region}`);
    return o ? { ...this.quotas, ...o } : this.quotas;
  }

  /** A jittered duration (virtual ms) for one lifecycle transition. */
  sample(key: keyof DurationsMs): number {
    return Math.round(this.random.lognormal(this.durations[key], this.jitterSigma));
  }

  store(account: string, region: string): Store {
    const key = `${account}/${region}`;
    let store = this.stores.get(key);
    if (!store) {
      store = new Store(account, region, {
        sample: (k) => this.sample(k),
        takeFailure: (kind, name) => this.faults.takeFailure(kind, name),
        releaseEnis: (owner) => this.network(account, region).releaseEnis(owner),
        onTransition: (e) => {
          for (const listener of this.transitionListeners) listener(e);
        },
      });
      this.stores.set(key, store);
    }
    return store;
  }

  /** The EC2 network (default VPC included) of an account in a region, created on first use. */
  network(account: string, region: string): Network {
    const key = `${account}/${region}`;
    let net = this.networks.get(key);
    if (!net) {
      net = new Network(account, region);
      this.networks.set(key, net);
    }
    return net;
  }

  /** Application Auto Scaling state of an account in a region, created on first use. */
  scaling(account: string, region: string): ScalingState {
    const key = `${account}/${region}`;
    let state = this.scalings.get(key);
    if (!state) {
      state = new ScalingState(account, region);
      this.scalings.set(key, state);
    }
    return state;
  }

  /** The same without creating it (hot paths: capacity, settle). */
  scalingIfAny(account: string, region: string): ScalingState | undefined {
    return this.scalings.get(`${account}/${region}`);
  }

  allNetworks(): Network[] {
    return [...this.networks.values()];
  }

  /** Stores of other accounts in a region (for images shared across accounts). */
  storesIn(region: string): Store[] {
    return [...this.stores.values()].filter((s) => s.region === region);
  }

  allStores(): Store[] {
    return [...this.stores.values()];
  }

  publicImages(region: string): Map<string, ImageRec> {
    let images = this.publics.get(region);
    if (!images) {
      images = new Map(publicImages(region).map((i) => [i.name, i]));
      this.publics.set(region, images);
    }
    return images;
  }

  /** Applies every due transition in a region (all accounts: shared images cross accounts). */
  settle(region: string): void {
    const now = this.now();
    for (const s of this.storesIn(region)) {
      s.settle(now);
      for (const hook of this.settleHooks) hook(this, s, now);
    }
  }

  /** Forgets all state and faults; `seed` restarts the jitter sequence from another seed. */
  reset(seed = this.options.seed ?? 1): void {
    this.stores.clear();
    this.publics.clear();
    this.networks.clear();
    this.scalings.clear();
    this.quotaOverrides.clear();
    this.issuedKeys.clear();
    this.roles.clear();
    this.events.reset();
    this.logons.clear();
    this.faults.reset();
    this.random = new Random(seed);
    this.faultRandom = new Random(seed + 0x9e3779b9);
    this.quotas = { ...DEFAULT_QUOTAS, ...this.options.quotas };
    this.durations = { ...DEFAULT_DURATIONS, ...this.options.durations };
    this.jitterSigma = this.options.jitterSigma ?? DEFAULT_JITTER_SIGMA;
  }

  toJSON(): unknown {
    return {
      version: 1,
      now: this.now(),
      stores: this.allStores().map((s) => s.toJSON()),
      networks: this.allNetworks().map((n) => n.toJSON()),
      scaling: [...this.scalings.values()].map((s) => s.toJSON()),
      issuedKeys: [...this.issuedKeys.values()],
      roles: [...this.roles.entries()],
      quotas: this.quotas,
      quotaOverrides: [...this.quotaOverrides.entries()],
      events: this.events.toJSON(),
      logons: [...this.logons.values()],
    };
  }

  load(data: {
    version: number;
    now: number;
    stores: Record<string, unknown>[];
    networks?: Record<string, unknown>[];
    /** Application Auto Scaling targets and scheduled actions (absent in older state files). */
    scaling?: Record<string, unknown>[];
    issuedKeys?: IssuedKey[];
    roles?: [string, RoleConfig][];
    /** World-default quotas and per account+region overrides (absent in older state files). */
    quotas?: Partial<Quotas>;
    quotaOverrides?: [string, Partial<Quotas>][];
    /** The CloudTrail event log and its cursor (absent in older state files). */
    events?: Parameters<EventLog['load']>[0];
    /** Interactive logons on builders (absent in older state files). */
    logons?: unknown[];
  }): void {
    if (data.version !== 1) throw new Error(`Unsupported state file version ${data.version}`);
    this.reset();
    this.clock.set(data.now);
    for (const s of data.stores) this.store(s.account as string, s.region as string).load(s as never);
    for (const n of data.networks ?? []) {
      const net = Network.fromJSON(n as never);
      this.networks.set(`${net.account}/${net.region}`, net);
    }
    for (const sc of data.scaling ?? []) {
      const state = ScalingState.fromJSON(sc as never);
      this.scalings.set(`${state.account}/${state.region}`, state);
    }
    for (const k of data.issuedKeys ?? []) this.issuedKeys.set(k.accessKeyId, withIssuedAt(k, data.now));
    for (const [arn, role] of data.roles ?? []) this.roles.set(arn, role);
    if (data.quotas) this.quotas = { ...this.quotas, ...data.quotas };
    for (const [scope, q] of data.quotaOverrides ?? []) this.quotaOverrides.set(scope, q);
    if (data.events) this.events.load(data.events);
    for (const saved of Array.isArray(data.logons) ? data.logons : []) {
      const l = savedLogon(saved);
      if (l) this.logons.set(logonKey(l.account, l.region, l.name), l);
    }
  }
}

/** AssumeRole's default DurationSeconds, in ms. */
const DEFAULT_SESSION_MS = 3_600_000;

/**
 * A key of an older state file, saved before keys kept when they were issued, gets a fixed
 * issuedAt (CloudTrail's sessionContext creationDate, the same in every event of the session):
 * its expiration less AssumeRole's default hour, but no later than the saved clock (the key
 * existed by then).
 */
function withIssuedAt(key: IssuedKey, savedNow: number): IssuedKey {
  if (key.issuedAt !== undefined) return key;
  const issuedAt = Math.min(savedNow, key.expiration - DEFAULT_SESSION_MS);
  return Number.isFinite(issuedAt) ? { ...key, issuedAt } : key;
}
