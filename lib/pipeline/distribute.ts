import { CopyImageCommand, UpdateImagePermissionsCommand } from '@aws-sdk/client-appstream';
import { aws, unexpected } from '../appstream/call';
import { errorsOf, findImage } from '../appstream/queries';
import type { PipelineConfig } from '../config/pipeline';
import type { PipelineDeps } from './deps';
import { CopyFailed, CopyTimeout } from './errors';
import { pollWithin } from './poll';
import type { PhaseWait, Plan } from './types';

/** Starts a copy of the new image to each region (same name); a copy already there is kept. */
export async function startCopies(input: { config: PipelineConfig; plan: Plan }, deps: PipelineDeps) {
  const { plan } = input;
  const client = deps.appstream(plan.region);
  const regions = input.config.after.copyTo.filter((r) => r !== plan.region);
  for (const region of regions) {
    try {
      await aws('CopyImage', () =>
        client.send(
          new CopyImageCommand({
            SourceImageName: plan.imageName,
            DestinationImageName: plan.imageName,
            DestinationRegion: region,
            DestinationImageDescription: `Copy of ${plan.imageName} from ${plan.region}`,
          }),
        ),
      );
    } catch (err) {
      // A retried step: the copy was started by the earlier attempt.
      if ((err as Error).name !== 'ResourceAlreadyExistsException')
        throw unexpected(`CopyImage to ${region}`, err);
    }
  }
  return { regions, deadline: deps.clock.now() + input.config.timeouts.imageMinutes * 60_000 };
}

/** Waits (within one poll window) until every copy is AVAILABLE; a FAILED copy fails the step. */
export async function checkCopies(
  input: { imageName: string; regions: string[]; wait: PhaseWait; deadline: number },
  deps: PipelineDeps,
): Promise<{ ready: boolean; states: Record<string, string> }> {
  const states: Record<string, string> = {};
  const ready = await pollWithin(input.wait, deps, async () => {
    for (const region of input.regions) {
      if (states[region] === 'AVAILABLE') continue;
      const image = await findImage(deps.appstream(region), { name: input.imageName });
      states[region] = image?.State ?? 'NOT_FOUND';
      if (image?.State === 'FAILED')
        throw new CopyFailed(`Copy of '${input.imageName}' to ${region} FAILED: ${errorsOf(image)}`);
    }
    const ready = input.regions.every((r) => states[r] === 'AVAILABLE');
    if (!ready && deps.clock.now() > input.deadline)
      throw new CopyTimeout(
        `Copies of '${input.imageName}' not AVAILABLE in time: ${JSON.stringify(states)}`,
      );
    return ready;
  });
  return { ready, states };
}

/** Shares the image (in its home region) with the configured accounts. Idempotent. */
export async function shareImage(input: { config: PipelineConfig; plan: Plan }, deps: PipelineDeps) {
  const client = deps.appstream(input.plan.region);
  for (const s of input.config.after.shareWith)
    await aws('UpdateImagePermissions', () =>
      client.send(
        new UpdateImagePermissionsCommand({
          Name: input.plan.imageName,
          SharedAccountId: s.account,
          ImagePermissions: { allowFleet: s.allowFleet, allowImageBuilder: s.allowImageBuilder },
        }),
      ),
    ).catch((err) => {
      throw unexpected(`UpdateImagePermissions for ${s.account}`, err);
    });
  return { sharedWith: input.config.after.shareWith.map((s) => s.account) };
}
