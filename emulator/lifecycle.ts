/**
 * Declared lifecycles: for each resource kind, which states move on by themselves, to what,
 * and after which (configurable, jittered) duration. The store applies them lazily against the
 * virtual clock: nothing runs on timers.
 */
export type Kind = 'imageBuilder' | 'image' | 'fleet';

/** Target meaning "the resource is removed". */
export const GONE = '(gone)';

export interface DurationsMs {
  builderLaunch: number;
  builderStart: number;
  builderStop: number;
  builderDelete: number;
  imageCreate: number;
  imageCopy: number;
  imageUpdate: number;
  fleetStart: number;
  fleetStop: number;
  fleetCapacity: number;
}

const MIN = 60_000;

/**
 * Median durations, from what AWS documents and admins report: a builder launch takes 10-15
 * minutes, a snapshot 30-60, fleet start 10-20. Each sample gets lognormal jitter (sigma below).
 */
export const DEFAULT_DURATIONS: DurationsMs = {
  builderLaunch: 12 * MIN,
  builderStart: 10 * MIN,
  builderStop: 3 * MIN,
  builderDelete: 1 * MIN,
  imageCreate: 40 * MIN,
  imageCopy: 20 * MIN,
  imageUpdate: 45 * MIN,
  fleetStart: 10 * MIN,
  fleetStop: 5 * MIN,
  fleetCapacity: 5 * MIN,
};

export const DEFAULT_JITTER_SIGMA = 0.2;

export interface Transition {
  next: string;
  duration: keyof DurationsMs;
}

export interface Lifecycle {
  transitions: Record<string, Transition>;
  /** The state a resource lands in when a FAILED fault hits its next transition. */
  failed: string;
}

export const LIFECYCLES: Record<Kind, Lifecycle> = {
  imageBuilder: {
    transitions: {
      PENDING: { next: 'RUNNING', duration: 'builderLaunch' },
      STOPPING: { next: 'STOPPED', duration: 'builderStop' },
      SNAPSHOTTING: { next: 'STOPPED', duration: 'imageCreate' },
      DELETING: { next: GONE, duration: 'builderDelete' },
    },
    failed: 'FAILED',
  },
  image: {
    transitions: {
      PENDING: { next: 'AVAILABLE', duration: 'imageCreate' },
      COPYING: { next: 'AVAILABLE', duration: 'imageCopy' },
      CREATING: { next: 'AVAILABLE', duration: 'imageUpdate' },
    },
    failed: 'FAILED',
  },
  fleet: {
    transitions: {
      STARTING: { next: 'RUNNING', duration: 'fleetStart' },
      STOPPING: { next: 'STOPPED', duration: 'fleetStop' },
    },
    // FleetState has no FAILED: a fleet that fails to start ends STOPPED with FleetErrors.
    failed: 'STOPPED',
  },
};

/** States in which an image builder accepts no action at all. */
export const BUILDER_BUSY_STATES = [
  'PENDING',
  'SNAPSHOTTING',
  'STOPPING',
  'DELETING',
  'REBOOTING',
  'UPDATING',
  'UPDATING_AGENT',
  'PENDING_QUALIFICATION',
  'PENDING_SYNCING_APPS',
  'SYNCING_APPS',
  'PENDING_IMAGE_IMPORT',
];
