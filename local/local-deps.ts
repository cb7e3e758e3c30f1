import { AppStreamClient } from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { RunningEmulator } from '../emulator';
import type { BuilderChannel } from '../lib/agent/channel';
import {
  type CommandRunner,
  EmulatorChannel,
  type EmulatorChannelOptions,
} from '../lib/agent/emulator-channel';
import { perRegion } from '../lib/aws/per-region';
import type { Notifier } from '../lib/notify/notifier';
import { MemoryNotifier } from '../lib/notify/sns';
import type { PipelineDeps } from '../lib/pipeline/deps';
import { localClients } from './local-clients';

export const LOCAL_ACCOUNT = '123456789012';

/**
 * The emulated builder agent on this emulator (agent protocol 2): heartbeats and expiry on the
 * virtual clock, runs only while the builder is RUNNING. Tests pass `options` to make the agent
 * absent, outdated, lost or rebooting, to tamper with the job, or to give the builder secrets.
 */
export function localChannel(
  emu: RunningEmulator,
  opts: EmulatorChannelOptions & { runCommand?: CommandRunner; account?: string } = {},
): EmulatorChannel {
  const account = opts.account ?? LOCAL_ACCOUNT;
  return new EmulatorChannel(emu.endpoint, account, opts.runCommand, {
    now: () => emu.world.now(),
    builderState: async (region, name) => {
      emu.world.settle(region);
      return emu.world.store(account, region).builders.get(name)?.state ?? 'DELETED';
    },
    ...opts,
  });
}

/**
 * Dependencies for running the pipeline against an in-process emulator: real SDK clients over
 * HTTP, the emulator channel for the builder, and sleeps that advance the virtual clock.
 */
export function localDeps(
  emu: RunningEmulator,
  opts: {
    region?: string;
    notifier?: Notifier;
    runCommand?: CommandRunner;
    account?: string;
    channel?: BuilderChannel;
  } = {},
): PipelineDeps & { clients: { destroy(): void }[] } {
  const account = opts.account ?? LOCAL_ACCOUNT;
  const { clients, make } = localClients(emu.endpoint, account);
  return {
    deployment: 'local',
    region: opts.region ?? 'us-east-1',
    appstream: perRegion((region) => make(AppStreamClient, region)),
    // The emulator's EC2 subset (Query protocol on the same port, routed by the signing scope).
    ec2: perRegion((region) => make(EC2Client, region)),
    channel: opts.channel ?? localChannel(emu, { account, runCommand: opts.runCommand }),
    notifier: opts.notifier ?? new MemoryNotifier(),
    clock: { now: () => emu.world.now() },
    sleep: async (ms) => {
      emu.control.advance(ms);
    },
    clients,
  };
}
