import { errorsOf, findImage } from '../appstream/queries';
import type { PipelineDeps } from './deps';
import { ImageFailed, ImageTimeout } from './errors';
import { pollWithin } from './poll';
import type { CheckResult, PhaseWait } from './types';

/** Waits (within one poll window) for the new image to be AVAILABLE. */
export async function checkImage(
  input: { region: string; imageName: string; deadline: number; wait: PhaseWait; finishMinutes: number },
  deps: PipelineDeps,
): Promise<CheckResult & { arn?: string; finishDeadline?: number }> {
  const client = deps.appstream(input.region);
  let state = 'UNKNOWN';
  let arn: string | undefined;
  const ready = await pollWithin(input.wait, deps, async () => {
    const image = await findImage(client, { name: input.imageName });
    state = image?.State ?? 'NOT_FOUND';
    arn = image?.Arn;
    if (state === 'AVAILABLE') return true;
    if (state === 'FAILED') throw new ImageFailed(`Image '${input.imageName}' FAILED: ${errorsOf(image!)}`);
    if (deps.clock.now() > input.deadline)
      throw new ImageTimeout(`Image '${input.imageName}' not AVAILABLE before its deadline (state ${state})`);
    return false;
  });
  const now = deps.clock.now();
  // The next phase (builder stopped or deleted) gets its own bound from here.
  return {
    ready,
    state,
    observedAt: now,
    arn,
    finishDeadline: ready ? now + input.finishMinutes * 60_000 : undefined,
  };
}
