import { DeleteImageCommand, type Image, ListTagsForResourceCommand } from '@aws-sdk/client-appstream';
import { listFleets, listImages } from '../appstream/queries';
import { aws, unexpected } from '../aws/call';
import type { PipelineConfig } from '../config/pipeline';
import type { PipelineDeps } from './deps';
import { ownedBy } from './housekeeping';
import type { Plan } from './types';

export interface RetireResult {
  region: string;
  kept: string[];
  deleted: string[];
  skipped: { image: string; reason: string }[];
}

/**
 * Keeps the newest `keepLatest` images of this pipeline (TAG.managed, TAG.deployment and
 * TAG.pipeline: another deployment's images of a same-named pipeline are not ours) in the
 * home region and each copy region (copies carry the tag: StartCopies/CheckCopies tag them, as
 * CopyImage copies no tags), and deletes older ones, except images a fleet of that region uses
 * and the image this run built.
 */
export async function retireImages(
  input: { config: PipelineConfig; plan: Plan },
  deps: PipelineDeps,
): Promise<RetireResult[]> {
  const keep = input.config.after.keepLatest;
  if (!keep) return [];
  const regions = [input.plan.region, ...input.config.after.copyTo.filter((r) => r !== input.plan.region)];
  const out: RetireResult[] = [];
  for (const region of regions) {
    const client = deps.appstream(region);
    const mine: Image[] = [];
    for (const image of await listImages(client, 'PRIVATE')) {
      const tags = await aws('ListTagsForResource', () =>
        client.send(new ListTagsForResourceCommand({ ResourceArn: image.Arn! })),
      );
      if (ownedBy(tags.Tags ?? {}, deps.deployment, input.plan.pipeline)) mine.push(image);
    }
    mine.sort((a, b) => (b.CreatedTime?.getTime() ?? 0) - (a.CreatedTime?.getTime() ?? 0));
    const fleets = await listFleets(client);
    const inUse = new Set(fleets.flatMap((f) => [f.ImageName, f.ImageArn]).filter(Boolean));
    const result: RetireResult = { region, kept: [], deleted: [], skipped: [] };
    mine.forEach((image, i) => {
      if (i < keep || image.Name === input.plan.imageName) result.kept.push(image.Name!);
    });
    for (const image of mine.slice(keep)) {
      const name = image.Name!;
      if (name === input.plan.imageName) continue;
      if (inUse.has(name) || inUse.has(image.Arn)) {
        result.skipped.push({ image: name, reason: 'in use by a fleet' });
        continue;
      }
      if (image.State !== 'AVAILABLE' && image.State !== 'FAILED') {
        result.skipped.push({ image: name, reason: `state ${image.State}` });
        continue;
      }
      try {
        await aws('DeleteImage', () => client.send(new DeleteImageCommand({ Name: name })));
        result.deleted.push(name);
      } catch (err) {
        // A fleet picked it up since we looked: never delete an image in use.
        if ((err as Error).name === 'ResourceInUseException')
          result.skipped.push({ image: name, reason: 'in use' });
        else if ((err as Error).name !== 'ResourceNotFoundException')
          throw unexpected(`DeleteImage ${name}`, err);
      }
    }
    out.push(result);
  }
  return out;
}
