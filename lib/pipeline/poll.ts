import type { PipelineDeps } from './deps';
import type { PhaseWait } from './types';

/**
 * Looks at something until it is done or the window is used up: one look when the window is 0,
 * otherwise a look every `pollSeconds` for up to `windowSeconds`. Keeps state-machine
 * transitions low (one Task covers many looks) while noticing readiness within a poll interval.
 * `look` returns true when done; it throws to stop with an error.
 */
export async function pollWithin(
  wait: Pick<PhaseWait, 'pollSeconds' | 'windowSeconds'>,
  deps: Pick<PipelineDeps, 'clock' | 'sleep'>,
  look: () => Promise<boolean>,
): Promise<boolean> {
  const end = deps.clock.now() + wait.windowSeconds * 1000;
  for (;;) {
    if (await look()) return true;
    if (deps.clock.now() + wait.pollSeconds * 1000 > end) return false;
    await deps.sleep(wait.pollSeconds * 1000);
  }
}

/** The q-quantile of a lognormal duration with this median and log-spread. */
export function lognormalQuantile(median: number, sigma: number, z: number): number {
  return median * Math.exp(sigma * z);
}

/** z of the 5th percentile of the standard normal distribution. */
export const Z05 = -1.6449;
