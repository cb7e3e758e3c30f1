import type { Ctx, Handler } from '../context';
import { notFound } from '../errors';
import type { Tags } from '../records';
import { mergeTags } from './common';

/** The taggable resource an ARN names in the caller's account and region. */
function taggable(ctx: Ctx, arn: string): { tags: Tags; everTagged?: boolean } {
  const m = /^arn:aws[\w-]*:appstream:([^:]*):([^:]*):(image-builder|image|fleet|stack)\/(.+)$/.exec(arn);
  if (m && m[1] === ctx.region && m[2] === ctx.account) {
    const [, , , type, name] = m;
    const { store } = ctx;
    const found =
      type === 'image-builder'
        ? store.builders.get(name)
        : type === 'image'
          ? store.images.get(name)
          : type === 'fleet'
            ? store.fleets.get(name)
            : store.stacks.get(name);
    if (found) return found;
  }
  throw notFound('resource', arn);
}

export const tagHandlers: Record<string, Handler> = {
  TagResource: (input, ctx) => {
    const r = taggable(ctx, input.ResourceArn);
    r.tags = mergeTags(ctx, r.tags, input.Tags);
    return {};
  },
  UntagResource: (input, ctx) => {
    const r = taggable(ctx, input.ResourceArn);
    if (Object.keys(r.tags).length) r.everTagged = true;
    for (const k of input.TagKeys as string[]) delete r.tags[k];
    return {};
  },
  ListTagsForResource: (input, ctx) => ({ Tags: { ...taggable(ctx, input.ResourceArn).tags } }),
};
