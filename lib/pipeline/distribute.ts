import {
  CopyImageCommand,
  TagResourceCommand,
  UpdateImagePermissionsCommand,
} from '@aws-sdk/client-appstream';
import { errorsOf, findImage } from '../appstream/queries';
import { aws, unexpected } from '../aws/call';
import type { PipelineConfig } from '../config/pipeline';
import { TAG, tagValue } from '../tags';
import type { PipelineDeps } from './deps';
import { CopyFailed, CopyTimeout } from './errors';
import { pollWithin } from './poll';
import type { PhaseWait, Plan } from './types';

/** The tags every copy carries: the image's, plus the tag contract's owner tags. */
export function copyTags(plan: Plan): Record<string, string> {
  return {
    ...plan.imageTags,
    [TAG.managed]: 'true',
    [TAG.pipeline]: tagValue(plan.pipeline),
    [TAG.execution]: tagValue(plan.execution),
  };
}

/**
 * Starts one copy and tags it in its region. CopyImage copies no tags ("Note that any tags you
 * added to the image will not be copied", AppStream API reference, CopyImage), so without this a
 * copy belongs to nobody and `keepLatest` never sees it. `queued`: the destination region has as
 * many copies in flight as AWS allows (CopyImage answers LimitExceededException; AWS allows 2
 * concurrent copies per destination region); CheckCopies starts it when a slot frees.
 */
async function startCopy(
  args: { sourceRegion: string; imageName: string; region: string; tags: Record<string, string> },
  deps: PipelineDeps,
): Promise<'started' | 'queued'> {
  const { sourceRegion, imageName, region } = args;
  try {
    await aws('CopyImage', () =>
      deps.appstream(sourceRegion).send(
        new CopyImageCommand({
          SourceImageName: imageName,
          DestinationImageName: imageName,
          DestinationRegion: region,
          DestinationImageDescription: `Copy of ${imageName} from ${sourceRegion}`,
        }),
      ),
    );
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'LimitExceededException') return 'queued';
    // A retried step: the copy was started by the earlier attempt (pre-flight made sure no
    // other image has this name there).
    if (name !== 'ResourceAlreadyExistsException') throw unexpected(`CopyImage to ${region}`, err);
  }
  await tagCopy(imageName, region, args.tags, deps);
  return 'started';
}

/** Tags the copy in its region (idempotent: TagResource overwrites the same values). */
async function tagCopy(imageName: string, region: string, tags: Record<string, string>, deps: PipelineDeps) {
  const client = deps.appstream(region);
  const copy = await findImage(client, { name: imageName });
  if (!copy?.Arn) return; // Not visible yet: CheckCopies tags it when it sees it.
  await aws('TagResource', () =>
    client.send(new TagResourceCommand({ ResourceArn: copy.Arn!, Tags: tags })),
  ).catch((err) => {
    throw unexpected(`TagResource ${imageName} in ${region}`, err);
  });
}

/**
 * Starts a copy of the new image to each region (same name), tagged like the image; copies over
 * the destination's concurrent-copy limit wait in `queued` for CheckCopies.
 */
export async function startCopies(input: { config: PipelineConfig; plan: Plan }, deps: PipelineDeps) {
  const { plan } = input;
  const regions = input.config.after.copyTo.filter((r) => r !== plan.region);
  const queued: string[] = [];
  for (const region of regions) {
    const started = await startCopy(
      { sourceRegion: plan.region, imageName: plan.imageName, region, tags: copyTags(plan) },
      deps,
    );
    if (started === 'queued') queued.push(region);
  }
  return { regions, queued, deadline: deps.clock.now() + input.config.timeouts.imageMinutes * 60_000 };
}

/**
 * Waits (within one poll window) until every copy is AVAILABLE; a FAILED copy fails the step.
 * A copy not started yet (queued behind the concurrent-copy limit) is started as soon as CopyImage
 * takes it; every copy seen is tagged, so retention finds it even if StartCopies couldn't tag it.
 */
export async function checkCopies(
  input: {
    imageName: string;
    regions: string[];
    wait: PhaseWait;
    deadline: number;
    /** The image's home region and the copies' tags: start queued copies, tag late ones. */
    plan?: Pick<Plan, 'region' | 'pipeline' | 'execution' | 'imageTags' | 'imageName'>;
  },
  deps: PipelineDeps,
): Promise<{ ready: boolean; states: Record<string, string> }> {
  const states: Record<string, string> = {};
  const tagged = new Set<string>();
  const ready = await pollWithin(input.wait, deps, async () => {
    for (const region of input.regions) {
      if (states[region] === 'AVAILABLE') continue;
      const image = await findImage(deps.appstream(region), { name: input.imageName });
      states[region] = image?.State ?? 'NOT_FOUND';
      if (image?.State === 'FAILED')
        throw new CopyFailed(`Copy of '${input.imageName}' to ${region} FAILED: ${errorsOf(image)}`);
      const plan = input.plan;
      if (!plan) continue;
      if (!image) {
        const started = await startCopy(
          { sourceRegion: plan.region, imageName: input.imageName, region, tags: copyTags(plan as Plan) },
          deps,
        );
        states[region] = started === 'queued' ? 'QUEUED' : 'COPYING';
        if (started === 'started') tagged.add(region);
      } else if (!tagged.has(region)) {
        await tagCopy(input.imageName, region, copyTags(plan as Plan), deps);
        tagged.add(region);
      }
    }
    const ready = input.regions.every((r) => states[r] === 'AVAILABLE');
    if (!ready && deps.clock.now() > input.deadline)
      throw new CopyTimeout(
        `Copies of '${input.imageName}' not AVAILABLE in time: ${JSON.stringify(states)}${
          Object.values(states).includes('QUEUED')
            ? " (QUEUED: CopyImage kept answering LimitExceededException, the destination region's concurrent copies)"
            : ''
        }`,
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
