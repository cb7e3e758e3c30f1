import { createHash } from 'node:crypto';
import type { Image } from '@aws-sdk/client-appstream';
import { familyFit, isSampleImage, supportsInstanceType } from '../appstream/families';
import { findImage, listImages } from '../appstream/queries';
import {
  describeIssues,
  type PipelineConfig,
  PipelineConfigSchema,
  renderImageName,
} from '../config/pipeline';
import { TAG, tagValue } from '../tags';
import type { PipelineDeps } from './deps';
import { BaseImageNotFound, ConfigError, RollOutFleetNotAllowed } from './errors';
import { prepareRun } from './housekeeping';
import { lognormalQuantile, Z05 } from './poll';
import { assertPreflight } from './preflight';
import type { PhaseWait, PipelineState, Plan } from './types';

export interface ResolveInput {
  config: unknown;
  execution: string;
  /** $$.Execution.Id: finds the other RUNNING executions of the state machine. */
  executionArn?: string;
}

/**
 * The newest PUBLIC image of a platform that is AVAILABLE, still supported for builders and made
 * for the builder's instance family (a Graphics image is no base for a stream.standard builder,
 * nor a general one for stream.graphics.g4dn), never one of AWS's sample images.
 */
export function newestPublic(images: Image[], platform: string, instanceType?: string): Image | undefined {
  const release = (i: Image) => (i.PublicBaseImageReleasedDate ?? i.CreatedTime ?? new Date(0)).getTime();
  return (
    images
      .filter(
        (i) =>
          i.Platform === platform &&
          i.State === 'AVAILABLE' &&
          i.ImageBuilderSupported !== false &&
          !isSampleImage(i) &&
          supportsInstanceType(i, instanceType),
      )
      // An image that names the family beats one whose families we can't read (unknown spelling).
      .sort(
        (a, b) =>
          Number(familyFit(b, instanceType) === 'yes') - Number(familyFit(a, instanceType) === 'yes') ||
          release(b) - release(a),
      )[0]
  );
}

/** The builder's base image (`latest:<platform>` picks by platform and instance family). */
export async function resolveBaseImage(
  config: PipelineConfig,
  region: string,
  deps: PipelineDeps,
): Promise<Image | undefined> {
  const ref = config.builder.image;
  if (!ref) return undefined;
  const client = deps.appstream(region);
  if (ref.startsWith('latest:')) {
    const platform = ref.slice('latest:'.length);
    const type = config.builder.instanceType;
    const image = newestPublic(await listImages(client, 'PUBLIC'), platform, type);
    if (!image)
      throw new BaseImageNotFound(
        `No AVAILABLE public image of platform ${platform} supports image builders${type ? ` of ${type}` : ''} in ${region}`,
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

/**
 * The roles a deployment lets builders run with (serverless.yml param builderRoleArns, which is
 * also the only Resource of the functions' iam:PassRole): ALLOWED_BUILDER_ROLE_ARNS,
 * comma-separated. Unset (local runs) means unrestricted; set but empty means none.
 */
export function checkBuilderRole(
  config: PipelineConfig,
  allowed: string | undefined = process.env.ALLOWED_BUILDER_ROLE_ARNS,
): void {
  const role = config.builder.iamRoleArn;
  if (!role || allowed === undefined) return;
  const roles = allowed
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (!roles.includes(role))
    throw new ConfigError(
      `builder.iamRoleArn: ${role} is not a builder role this deployment declares ` +
        `(${roles.length ? roles.join(', ') : 'none'}; serverless.yml param builderRoleArns): the functions may pass only those`,
    );
}

/**
 * The fleets a deployment lets RollOut update: ALLOWED_ROLLOUT_FLEETS, a JSON array of
 * "<region>/<fleet>" generated at package time from the bundled pipelines' after.rollOut
 * (deploy/rollout-fleet-grants.cjs), the same list that is RollOut's only appstream:UpdateFleet
 * grant. A run whose rollOut names another fleet (an {"overrides"} or another {"config"}) would
 * build for an hour and then fail at RollOut with AccessDenied: refused here, before anything
 * launches. Unset means unrestricted (local runs: the local runtime has no IAM); [] means none.
 * `region` is the run's (config.region, else the deployment's), as rollOut() resolves a target's.
 */
export function checkRollOutFleets(
  config: PipelineConfig,
  region: string,
  allowed: string | undefined = process.env.ALLOWED_ROLLOUT_FLEETS,
): void {
  if (allowed === undefined || config.after.rollOut.length === 0) return;
  let list: unknown;
  try {
    list = JSON.parse(allowed);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string'))
    throw new ConfigError(
      'ALLOWED_ROLLOUT_FLEETS: not a JSON array of "<region>/<fleet>" (deploy/rollout-fleet-grants.cjs)',
    );
  const refused = config.after.rollOut
    .map((t, i) => ({ i, key: `${t.region ?? region}/${t.fleet}` }))
    .filter(({ key }) => !list.includes(key))
    .map(({ i, key }) => `after.rollOut[${i}]: ${key}`);
  if (refused.length > 0)
    throw new RollOutFleetNotAllowed(
      `${refused.join(', ')}: not a fleet this deployment may roll out to (${list.length ? list.join(', ') : 'none'}; ` +
        'the fleets the bundled pipelines name in after.rollOut, deploy/rollout-fleet-grants.cjs): add it to a pipeline of config/pipelines and deploy',
    );
}

/** Validates the pipeline definition and plans the run: names, base image, waits. */
export async function resolvePipeline(input: ResolveInput, deps: PipelineDeps): Promise<PipelineState> {
  const parsed = PipelineConfigSchema.safeParse(input.config);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const config = parsed.data;
  checkBuilderRole(config);
  const region = config.region ?? deps.region;
  checkRollOutFleets(config, region);
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
  // Everything checkable before a builder launches (lib/pipeline/preflight.ts), read-only, so a
  // PreflightFailed run changed nothing: listed problems, each with its field.
  await assertPreflight(config, { region, imageName, baseImage: base }, deps);
  // Before anything launches: refuse a concurrent run, prune the pipeline's old builders (quota).
  await prepareRun(
    {
      config,
      region,
      execution: input.execution,
      executionArn: input.executionArn,
      builderName: config.builder.existing ?? derivedBuilderName(config.name, input.execution),
    },
    deps,
  );
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
        [TAG.managed]: 'true',
        [TAG.deployment]: tagValue(deps.deployment),
        [TAG.pipeline]: tagValue(config.name),
        [TAG.execution]: tagValue(execution),
      },
      waits: waitsFor(config),
    },
  };
}
