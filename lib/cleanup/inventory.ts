/**
 * One account-region's image builders with their tags, read in bulk: DescribeImageBuilders
 * (every page; MaxResults 25) and the builders' tags from the Resource Groups Tagging API,
 * GetResources for `appstream:image-builder`, 100 per page (DescribeImageBuilders returns no
 * tags). Calls per region: ⌈builders / 25⌉ + ⌈tagged builders / 100⌉, against one
 * ListTagsForResource per builder otherwise (used when no tagging client is given). GetResources
 * lists only resources that have or had tags: an untagged builder is absent, i.e. has no tags.
 */
import {
  type AppStreamClient,
  DescribeImageBuildersCommand,
  type ImageBuilder,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { isNotFound } from '../aws/call';
import { tagsByArn } from '../aws/tags-by-arn';
import type { BuilderFacts } from './decide';

export interface InventoryBuilder {
  facts: BuilderFacts;
  tags: Record<string, string>;
}

/** Runs one AWS call (after the SDK's own retries), counting it; retries throttling (see sweep.ts). */
export type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

export async function readBuilders(
  appstream: AppStreamClient,
  tagging: ResourceGroupsTaggingAPIClient | undefined,
  call: Call,
): Promise<InventoryBuilder[]> {
  const builders: InventoryBuilder[] = [];
  let token: string | undefined;
  do {
    const out = await call('DescribeImageBuilders', () =>
      appstream.send(new DescribeImageBuildersCommand({ MaxResults: 25, NextToken: token })),
    );
    for (const b of out.ImageBuilders ?? []) {
      if (!b.Name) continue;
      builders.push({
        facts: {
          name: b.Name,
          state: b.State ?? 'UNKNOWN',
          ...(b.Arn ? { arn: b.Arn } : {}),
          ...(b.CreatedTime ? { createdAt: b.CreatedTime.getTime() } : {}),
        },
        tags: {},
      });
    }
    token = out.NextToken || undefined;
  } while (token);
  if (builders.length === 0) return builders;

  if (tagging) {
    const byArn = await tagsByArn(tagging, 'appstream:image-builder', call);
    for (const b of builders) b.tags = (b.facts.arn && byArn.get(b.facts.arn)) || {};
    return builders;
  }
  for (const b of builders) {
    if (!b.facts.arn) continue;
    try {
      const out = await call(`ListTagsForResource ${b.facts.arn}`, () =>
        appstream.send(new ListTagsForResourceCommand({ ResourceArn: b.facts.arn })),
      );
      b.tags = out.Tags ?? {};
    } catch (err) {
      if (!isNotFound(err)) throw err; // deleted since the listing: no tags
    }
  }
  return builders;
}

/**
 * One builder as it is now (DescribeImageBuilders Names + ListTagsForResource: no bulk tag index,
 * whose tags may lag): the re-check before a stop or delete. Gone: undefined.
 */
export async function readBuilder(appstream: AppStreamClient, name: string, call: Call) {
  let b: ImageBuilder | undefined;
  try {
    const out = await call(`DescribeImageBuilders ${name}`, () =>
      appstream.send(new DescribeImageBuildersCommand({ Names: [name] })),
    );
    b = out.ImageBuilders?.find((x) => x.Name === name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  if (!b?.Name) return undefined;
  const found: InventoryBuilder = {
    facts: {
      name: b.Name,
      state: b.State ?? 'UNKNOWN',
      ...(b.Arn ? { arn: b.Arn } : {}),
      ...(b.CreatedTime ? { createdAt: b.CreatedTime.getTime() } : {}),
    },
    tags: {},
  };
  if (b.Arn) {
    const arn = b.Arn;
    const tags = await call(`ListTagsForResource ${arn}`, () =>
      appstream.send(new ListTagsForResourceCommand({ ResourceArn: arn })),
    );
    found.tags = tags.Tags ?? {};
  }
  return found;
}
