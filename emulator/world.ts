import { type RealTime, VirtualClock } from './clock';
import { Faults } from './faults';
import { DEFAULT_DURATIONS, DEFAULT_JITTER_SIGMA, type DurationsMs } from './lifecycle';
import { Random } from './random';
import type { ImageRec } from './records';
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
}

export const DEFAULT_QUOTAS: Quotas = {
  imageBuilders: 5,
  images: 5,
  fleets: 5,
  stacks: 5,
  users: 50,
  tagsPerResource: 50,
};

export const DEFAULT_ACCOUNT = '123456789012';
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
}

/** Everything the emulator knows: the clock, faults, quotas and one Store per account+region. */
export class World {
  readonly clock: VirtualClock;
  random: Random;
  /** Faults draw from their own sequence so throttling never shifts the lifecycle jitter. */
  private faultRandom: Random;
  readonly faults: Faults;
  quotas: Quotas;
  durations: DurationsMs;
  jitterSigma: number;
  private stores = new Map<string, Store>();
  /** Listeners told about every lifecycle transition, in every account and region. */
  readonly transitionListeners: ((e: TransitionEvent) => void)[] = [];
  private publics = new Map<string, Map<string, ImageRec>>();

  constructor(private readonly options: WorldOptions = {}) {
    this.clock = new VirtualClock(options.speed ?? 1, options.start ?? Date.now(), options.realTime);
    this.random = new Random(options.seed ?? 1);
    this.faultRandom = new Random((options.seed ?? 1) + 0x9e3779b9);
    this.faults = new Faults(() => this.faultRandom);
    this.quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
    this.durations = { ...DEFAULT_DURATIONS, ...options.durations };
    this.jitterSigma = options.jitterSigma ?? DEFAULT_JITTER_SIGMA;
  }

  now(): number {
    return this.clock.now();
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
        onTransition: (e) => {
          for (const listener of this.transitionListeners) listener(e);
        },
      });
      this.stores.set(key, store);
    }
    return store;
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
    for (const s of this.storesIn(region)) s.settle(now);
  }

  /** Forgets all state and faults; `seed` restarts the jitter sequence from another seed. */
  reset(seed = this.options.seed ?? 1): void {
    this.stores.clear();
    this.publics.clear();
    this.faults.reset();
    this.random = new Random(seed);
    this.faultRandom = new Random(seed + 0x9e3779b9);
    this.quotas = { ...DEFAULT_QUOTAS, ...this.options.quotas };
    this.durations = { ...DEFAULT_DURATIONS, ...this.options.durations };
    this.jitterSigma = this.options.jitterSigma ?? DEFAULT_JITTER_SIGMA;
  }

  toJSON(): unknown {
    return { version: 1, now: this.now(), stores: this.allStores().map((s) => s.toJSON()) };
  }

  load(data: { version: number; now: number; stores: Record<string, unknown>[] }): void {
    if (data.version !== 1) throw new Error(`Unsupported state file version ${data.version}`);
    this.reset();
    this.clock.set(data.now);
    for (const s of data.stores) this.store(s.account as string, s.region as string).load(s as never);
  }
}
