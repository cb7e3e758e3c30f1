import type { PipelineConfig } from '../config/pipeline';

/** How one phase waits: a first Wait sized from the expected duration, then polls. */
export interface PhaseWait {
  /** Seconds of the Wait state before the first check. */
  firstSeconds: number;
  /** Seconds of the Wait state between checks (0: the check itself polled, go straight back). */
  loopWaitSeconds: number;
  /** Seconds between polls inside one check. */
  pollSeconds: number;
  /** How long one check keeps polling before it returns "not yet" (0: a single look). */
  windowSeconds: number;
}

export interface Plan {
  pipeline: string;
  execution: string;
  region: string;
  builderName: string;
  /** True when the builder is an existing one (never deleted by the pipeline). */
  reuseBuilder: boolean;
  /** Delete the builder at the end (builder.whenDone: delete, and not a reused builder). */
  deleteBuilder: boolean;
  baseImageArn?: string;
  baseImageName?: string;
  imageName: string;
  imageTags: Record<string, string>;
  waits: { builder: PhaseWait; build: PhaseWait; image: PhaseWait; finish: PhaseWait };
}

/** What EnsureBuilder reports: whether this run launched or started the builder. */
export interface BuilderRun {
  name: string;
  region: string;
  createdByRun: boolean;
  startedByRun: boolean;
  /** Epoch ms after which waiting for RUNNING fails with BuilderStartTimeout. */
  deadline: number;
}

/** The document that flows through the state machine. */
export interface PipelineState {
  config: PipelineConfig;
  plan: Plan;
  builder?: BuilderRun;
}

export interface CheckResult {
  ready: boolean;
  state: string;
  observedAt: number;
}
