import { AppStreamClient } from '@aws-sdk/client-appstream';
import { ConfiguredRetryStrategy } from '@smithy/util-retry';
import type { RunningEmulator } from '../../emulator';
import type { BuilderChannel } from '../agent/channel';
import { type CommandRunner, EmulatorChannel } from '../agent/emulator-channel';
import type { Notifier } from '../notify/notifier';
import { MemoryNotifier } from '../notify/sns';
import type { PipelineDeps } from '../pipeline/deps';

export const LOCAL_ACCOUNT = '123456789012';

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
): PipelineDeps & { clients: AppStreamClient[] } {
  const account = opts.account ?? LOCAL_ACCOUNT;
  const cache = new Map<string, AppStreamClient>();
  const clients: AppStreamClient[] = [];
  return {
    region: opts.region ?? 'us-east-1',
    appstream(region) {
      let c = cache.get(region);
      if (!c) {
        c = new AppStreamClient({
          endpoint: emu.endpoint,
          region,
          credentials: { accessKeyId: account, secretAccessKey: 'local' },
          // Same 3 attempts as the SDK's standard mode, without real-time backoff pauses.
          retryStrategy: new ConfiguredRetryStrategy(3, () => 5),
        });
        cache.set(region, c);
        clients.push(c);
      }
      return c;
    },
    channel: opts.channel ?? new EmulatorChannel(emu.endpoint, account, opts.runCommand),
    notifier: opts.notifier ?? new MemoryNotifier(),
    clock: { now: () => emu.world.now() },
    sleep: async (ms) => {
      emu.control.advance(ms);
    },
    clients,
  };
}
