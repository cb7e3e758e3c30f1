import { type Ctx, compact, type Handler, paginate, sec, stateError } from '../context';
import { alreadyExists, inUse, invalidCombination, notFound, notPermitted, ServiceError } from '../errors';
import { declaredErrors } from '../model';
import type { ImageRec } from '../records';
import { isKnownRegion } from '../regions';
import { LATEST_AGENT_VERSION } from '../seed';
import { checkQuota, mergeTags } from './common';

const RESERVED_PREFIX = /^(amazon|aws|appstream)/i;

/** AppStream's image name rules beyond the model pattern; returns the problem or undefined. */
export function imageNameProblem(name: string): string | undefined {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$/.test(name))
    return `Image name '${name}' is invalid: use 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit.`;
  if (RESERVED_PREFIX.test(name))
    return `Image name '${name}' is invalid: it can't begin with 'Amazon', 'AWS' or 'AppStream'.`;
  return undefined;
}

function checkImageName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem) throw new ServiceError('ValidationException', problem);
}

/** PUBLIC, PRIVATE (the viewer owns it) or SHARED (another account shared it with the viewer). */
function visibilityFor(image: ImageRec, viewer: string): 'PUBLIC' | 'PRIVATE' | 'SHARED' {
  if (image.visibility === 'PUBLIC') return 'PUBLIC';
  return image.ownerAccount === viewer ? 'PRIVATE' : 'SHARED';
}

export function imageOut(image: ImageRec, viewer: string) {
  const visibility = visibilityFor(image, viewer);
  const shared = visibility === 'SHARED';
  return compact({
    Name: image.name,
    Arn: image.arn,
    BaseImageArn: image.baseImageArn,
    DisplayName: image.displayName,
    State: image.state,
    Visibility: visibility,
    ImageBuilderSupported: image.builderSupported,
    SupportedInstanceFamilies: image.families,
    ImageBuilderName: image.builderName,
    Platform: image.platform,
    Description: image.description,
    StateChangeReason: image.stateChangeReason,
    Applications: image.applications.map((a) =>
      compact({
        Name: a.Name,
        DisplayName: a.DisplayName,
        LaunchPath: a.AbsoluteAppPath,
        LaunchParameters: a.LaunchParameters,
        WorkingDirectory: a.WorkingDirectory,
        Enabled: true,
        Metadata: {},
      }),
    ),
    CreatedTime: sec(image.createdAt),
    PublicBaseImageReleasedDate:
      image.publicReleaseDate !== undefined ? sec(image.publicReleaseDate) : undefined,
    AppstreamAgentVersion: image.agentVersion,
    LatestAppstreamAgentVersion: image.agentVersion === LATEST_AGENT_VERSION ? 'TRUE' : 'FALSE',
    ImagePermissions: shared ? image.permissions[viewer] : undefined,
    ImageSharedWithOthers:
      image.visibility === 'PRIVATE' && !shared
        ? Object.keys(image.permissions).length
          ? 'TRUE'
          : 'FALSE'
        : undefined,
    DynamicAppProvidersEnabled:
      image.dynamicAppProviders === undefined
        ? undefined
        : image.dynamicAppProviders
          ? 'ENABLED'
          : 'DISABLED',
    ImageErrors: image.errors.length
      ? image.errors.map((e) => ({ ...e, ErrorTimestamp: sec(e.ErrorTimestamp) }))
      : undefined,
  });
}

/** Images other accounts in this region share with the caller. */
function sharedWithMe(ctx: Ctx): ImageRec[] {
  const out: ImageRec[] = [];
  for (const s of ctx.world.storesIn(ctx.region)) {
    if (s.account === ctx.account) continue;
    for (const i of s.images.values()) if (i.permissions[ctx.account]) out.push(i);
  }
  return out;
}

/** Every image the caller can see: public, its own, shared with it. */
export function visibleImages(ctx: Ctx): ImageRec[] {
  return [...ctx.world.publicImages(ctx.region).values(), ...ctx.store.images.values(), ...sharedWithMe(ctx)];
}

/** Finds an image by name or ARN for use by a builder or fleet, with AWS's checks. */
export function resolveImage(
  ctx: Ctx,
  ref: { name?: string; arn?: string },
  use: 'imageBuilder' | 'fleet',
): ImageRec {
  const label = ref.name ?? ref.arn ?? '';
  const candidates = visibleImages(ctx).filter((i) => (ref.arn ? i.arn === ref.arn : i.name === ref.name));
  const image = candidates.find((i) => {
    if (i.visibility === 'PUBLIC' || i.ownerAccount === ctx.account) return true;
    const p = i.permissions[ctx.account];
    return use === 'imageBuilder' ? p.allowImageBuilder : p.allowFleet;
  });
  if (!image) throw notFound('image', label);
  if (image.state !== 'AVAILABLE')
    throw new ServiceError(
      'ResourceNotAvailableException',
      `The image '${label}' is not available (state ${image.state}).`,
    );
  if (use === 'imageBuilder' && !image.builderSupported)
    throw new ServiceError(
      'IncompatibleImageException',
      `The image '${label}' can't be used to launch an image builder.`,
    );
  return image;
}

function ownImage(ctx: Ctx, name: string): ImageRec {
  const image = ctx.store.images.get(name);
  if (image) return image;
  if (
    ctx.world.publicImages(ctx.region).has(name) &&
    declaredErrors(ctx.model, ctx.operation).includes('OperationNotPermittedException')
  )
    throw notPermitted(
      `The image '${name}' is a public image owned by AWS; only private images can be changed.`,
    );
  throw notFound('image', name);
}

const describeImages: Handler = (input, ctx) => {
  if (input.Names && input.Arns) throw invalidCombination('Names and Arns can not be specified together.');
  let images = visibleImages(ctx);
  if (input.Type) images = images.filter((i) => visibilityFor(i, ctx.account) === input.Type);
  for (const [key, values] of [
    ['name', input.Names],
    ['arn', input.Arns],
  ] as const) {
    if (!values) continue;
    images = (values as string[]).map((v) => {
      const found = images.find((i) => i[key] === v);
      if (!found) throw notFound('image', v);
      return found;
    });
  }
  const { page, nextToken } = paginate(images, input.NextToken, input.MaxResults, 25);
  return compact({ Images: page.map((i) => imageOut(i, ctx.account)), NextToken: nextToken });
};

const deleteImage: Handler = (input, ctx) => {
  const image = ownImage(ctx, input.Name);
  if (!['AVAILABLE', 'FAILED'].includes(image.state))
    throw stateError(ctx, `The image '${image.name}' can't be deleted in state ${image.state}.`);
  const users = [...ctx.store.fleets.values()].filter((f) => f.attrs.ImageArn === image.arn);
  if (users.length)
    throw inUse(`The image '${image.name}' is in use by fleet(s) ${users.map((f) => f.name).join(', ')}.`);
  ctx.store.images.delete(image.name);
  return { Image: { ...imageOut(image, ctx.account), State: 'DELETING' } };
};

function newImage(ctx: Ctx, region: string, account: string, base: ImageRec, name: string): ImageRec {
  return {
    ...structuredClone(base),
    name,
    arn: `arn:aws:appstream:${region}:${account}:image/${name}`,
    ownerAccount: account,
    visibility: 'PRIVATE',
    createdAt: ctx.now,
    publicReleaseDate: undefined,
    permissions: {},
    errors: [],
    stateChangeReason: undefined,
    tags: {},
    pending: undefined,
    failNext: undefined,
  };
}

/** Image copies in flight into one destination region (per account). */
export const CONCURRENT_COPIES = 2;

const copyImage: Handler = (input, ctx) => {
  const source = ownImage(ctx, input.SourceImageName);
  if (source.state !== 'AVAILABLE')
    throw new ServiceError(
      'ResourceNotAvailableException',
      `The image '${source.name}' is not available (state ${source.state}).`,
    );
  checkImageName(input.DestinationImageName);
  if (!isKnownRegion(input.DestinationRegion, ctx.world))
    throw new ServiceError(
      'ResourceNotAvailableException',
      `AppStream 2.0 is not available in region '${input.DestinationRegion}'.`,
    );
  const dest = ctx.world.store(ctx.account, input.DestinationRegion);
  dest.settle(ctx.now);
  if (dest.images.has(input.DestinationImageName)) throw alreadyExists('image', input.DestinationImageName);
  checkQuota(dest.images.size, ctx.world.quotasFor(ctx.account, input.DestinationRegion).images, 'image');
  // AWS runs at most 2 image copies at a time into one destination region per account; another
  // CopyImage answers LimitExceededException (CopyImage "Errors") until one finishes.
  const copying = [...dest.images.values()].filter((i) => i.state === 'COPYING').length;
  if (copying >= CONCURRENT_COPIES)
    throw new ServiceError(
      'LimitExceededException',
      `The limit of ${CONCURRENT_COPIES} concurrent image copies to ${input.DestinationRegion} has been reached.`,
    );
  const copy = newImage(ctx, input.DestinationRegion, ctx.account, source, input.DestinationImageName);
  copy.description = input.DestinationImageDescription ?? source.description;
  copy.baseImageArn = source.baseImageArn;
  dest.images.set(copy.name, copy);
  dest.enter('image', copy, 'COPYING', ctx.now);
  return { DestinationImageName: copy.name };
};

/** An image can be updated when its agent is old or a newer base image of its platform exists. */
function canUpdate(ctx: Ctx, image: ImageRec): boolean {
  if (image.agentVersion !== LATEST_AGENT_VERSION) return true;
  return [...ctx.world.publicImages(ctx.region).values()].some(
    (p) =>
      p.platform === image.platform && p.builderSupported && (p.publicReleaseDate ?? 0) > image.createdAt,
  );
}

const createUpdatedImage: Handler = (input, ctx) => {
  const image = ownImage(ctx, input.existingImageName);
  if (image.state !== 'AVAILABLE')
    throw stateError(ctx, `The image '${image.name}' can't be updated in state ${image.state}.`);
  const possible = canUpdate(ctx, image);
  if (input.dryRun) return { image: imageOut(image, ctx.account), canUpdateImage: possible };
  checkImageName(input.newImageName);
  if (ctx.store.images.has(input.newImageName)) throw alreadyExists('image', input.newImageName);
  if (!possible) throw notPermitted(`The image '${image.name}' is already up to date.`);
  checkQuota(ctx.store.images.size, ctx.world.quotasFor(ctx.account, ctx.region).images, 'image');
  const updated = newImage(ctx, ctx.region, ctx.account, image, input.newImageName);
  updated.agentVersion = LATEST_AGENT_VERSION;
  updated.baseImageArn = image.baseImageArn ?? image.arn;
  updated.description = input.newImageDescription ?? image.description;
  updated.displayName = input.newImageDisplayName ?? image.displayName;
  updated.tags = mergeTags(ctx, {}, input.newImageTags);
  ctx.store.images.set(updated.name, updated);
  ctx.store.enter('image', updated, 'PENDING', ctx.now, { duration: 'imageUpdate' });
  return { image: imageOut(updated, ctx.account), canUpdateImage: true };
};

const describeImagePermissions: Handler = (input, ctx) => {
  const image = ownImage(ctx, input.Name);
  let list = Object.entries(image.permissions).map(([sharedAccountId, imagePermissions]) => ({
    sharedAccountId,
    imagePermissions,
  }));
  if (input.SharedAwsAccountIds)
    list = list.filter((p) => input.SharedAwsAccountIds.includes(p.sharedAccountId));
  const { page, nextToken } = paginate(list, input.NextToken, input.MaxResults, 500);
  return compact({ Name: image.name, SharedImagePermissionsList: page, NextToken: nextToken });
};

const MAX_SHARED_ACCOUNTS = 100;

const updateImagePermissions: Handler = (input, ctx) => {
  const image = ownImage(ctx, input.Name);
  if (image.state !== 'AVAILABLE')
    throw new ServiceError(
      'ResourceNotAvailableException',
      `The image '${image.name}' is not available (state ${image.state}).`,
    );
  if (!/^\d{12}$/.test(input.SharedAccountId) || input.SharedAccountId === ctx.account)
    throw new ServiceError(
      'ValidationException',
      `'${input.SharedAccountId}' is not another valid AWS account id.`,
    );
  if (
    !Object.hasOwn(image.permissions, input.SharedAccountId) &&
    Object.keys(image.permissions).length >= MAX_SHARED_ACCOUNTS
  )
    throw new ServiceError(
      'LimitExceededException',
      `An image can be shared with at most ${MAX_SHARED_ACCOUNTS} accounts.`,
    );
  image.permissions[input.SharedAccountId] = {
    allowFleet: input.ImagePermissions.allowFleet ?? false,
    allowImageBuilder: input.ImagePermissions.allowImageBuilder ?? false,
  };
  return {};
};

const deleteImagePermissions: Handler = (input, ctx) => {
  const image = ownImage(ctx, input.Name);
  if (!Object.hasOwn(image.permissions, input.SharedAccountId))
    throw new ServiceError(
      'ResourceNotFoundException',
      `The image '${image.name}' is not shared with account ${input.SharedAccountId}.`,
    );
  delete image.permissions[input.SharedAccountId];
  return {};
};

export const imageHandlers: Record<string, Handler> = {
  DescribeImages: describeImages,
  DeleteImage: deleteImage,
  CopyImage: copyImage,
  CreateUpdatedImage: createUpdatedImage,
  DescribeImagePermissions: describeImagePermissions,
  UpdateImagePermissions: updateImagePermissions,
  DeleteImagePermissions: deleteImagePermissions,
};
