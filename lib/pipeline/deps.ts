import type { AppStreamClient } from '@aws-sdk/client-appstream';
import type { BuilderChannel } from '../agent/channel';
import type { Notifier } from '../notify/notifier';

export interface Clock {
  /** Epoch ms. */
  now(): number;
}

/** Everything a pipeline core talks to; passed in, never built inside the core. */
export interface PipelineDeps {
  /** The deployment's own region: pipelines that name no region run here. */
  region: string;
  /** An AppStream client for a region (home region, copy and roll-out regions). */
  appstream(region: string): AppStreamClient;
  channel: BuilderChannel;
  notifier: Notifier;
  clock: Clock;
  sleep(ms: number): Promise<void>;
}
