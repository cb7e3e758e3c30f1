import { createHash } from 'node:crypto';
import type { Image } from '@aws-sdk/client-appstream';
import { findImage, listImages } from '../appstream/queries';
import {
  describeIssues,
  type PipelineConfig,
  PipelineConfigSchema,
  renderImageName,
} from '../config/pipeline';
import type { PipelineDeps } from './deps';
import { BaseImageNotFound, ConfigError } from './errors';
import { lognormalQuantile, Z05 } from './poll';
import type { PhaseWait, PipelineState, Plan } from './types';

export interface ResolveInput {
  config: unknown;
  execution: string;
}

/** The newest PUBLIC image of a platform that is AVAILABLE and still supported for builders. */
export function newestPublic(images: Image[], platform: string): Image | undefined {
  const release = (i: Image) => (i.PublicBaseImageReleasedDate ?? i.CreatedTime ?? new Date(0)).getTime();
  return images
    .filter((i) => i.Platform === platform && i.State === 'AVAILABLE' && i.ImageBuilderSupported !== false)
    .sort((a, b) => release(b) - release(a))[0];
}

async function resolveBaseImage(
  config: PipelineConfig,
  region: string,
  deps: PipelineDeps,
): Promise<Image | undefined> {
  const ref = config.builder.image;
  if (!ref) return undefined;
  const client = deps.appstream(region);
  if (ref.startsWith('latest:')) {
    const platform = ref.slice('latest:'.length);
    const image = newestPublic(await listImages(client, 'PUBLIC'), platform);
    if (!image)
      throw new BaseImageNotFound(
        `No AVAILABLE public image of platform ${platform} supports image builders in ${region}`,
      );
    return image;
  }
  const image = await findImage(client, ref.startsWith('arn:') ? { arn: ref } : { name: ref });
  if (!image) throw new BaseImageNotFound(`builder.image: image '${ref}' not found in ${region}`);
  if (image.ImageBuilderSupported === false)
    throw new BaseImageNotFound(`builder.image: '${ref}' is deprecated: it can't be used for image builders`);
  return image;
}

function waitsFor(config: PipelineConfig): Plan['waits'] {
  const p = config.polling;
  const phase = (medianMinutes: number, fixedSeconds: number): PhaseWait =>
    p.strategy === 'fixed'
      ? {
          firstSeconds: fixedSeconds,
          loopWaitSeconds: fixedSeconds,
          pollSeconds: fixedSeconds,
          windowSeconds: 0,
        }
      : {
          // Wait until the 5th percentile of the expected duration, then poll within long checks.
          firstSeconds: Math.round(lognormalQuantile(medianMinutes * 60, p.sigma, Z05)),
          loopWaitSeconds: 0,
          pollSeconds: p.pollSeconds,
          windowSeconds: p.windowSeconds,
        };
  const noFirstWait = (w: PhaseWait): PhaseWait => ({ ...w, firstSeconds: 0 });
  return {
    builder: phase(p.builderMedianMinutes, p.builderIntervalSeconds),
    build: noFirstWait(phase(0, p.builderIntervalSeconds)),
    image: phase(p.imageMedianMinutes, p.imageIntervalSeconds),
    finish: noFirstWait(phase(0, p.builderIntervalSeconds)),
  };
}

/** Short id of an execution: names the builder, so a retried step finds the builder it launched. */
export const executionId = (execution: string) =>
  createHash('sha256').update(execution).digest('hex').slice(0, 10);

/** The builder a run of this pipeline launches (unless it reuses an existing one). */
export const derivedBuilderName = (pipeline: string, execution: string) =>
  `${pipeline}-${executionId(execution)}`;

/** Validates the pipeline definition and plans the run: names, base image, waits. */
export async function resolvePipeline(input: ResolveInput, deps: PipelineDeps): Promise<PipelineState> {
  const parsed = PipelineConfigSchema.safeParse(input.config);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const config = parsed.data;
  const region = config.region ?? deps.region;
  const execution = executionId(input.execution);
  let imageName: string;
  try {
    imageName = renderImageName(config.image.name, {
      pipeline: config.name,
      now: deps.clock.now(),
      execution,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const base = await resolveBaseImage(config, region, deps);
  return {
    config,
    plan: {
      pipeline: config.name,
      execution,
      region,
      builderName: config.builder.existing ?? derivedBuilderName(config.name, input.execution),
      reuseBuilder: Boolean(config.builder.existing),
      deleteBuilder: config.builder.whenDone === 'delete' && !config.builder.existing,
      baseImageArn: base?.Arn,
      baseImageName: base?.Name,
      imageName,
      imageTags: {
        ...config.image.tags,
        'autopilot:pipeline': config.name,
        'autopilot:execution': execution,
      },
      waits: waitsFor(config),
    },
  };
}
