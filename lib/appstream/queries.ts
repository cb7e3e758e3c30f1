import {
  type AppStreamClient,
  DescribeFleetsCommand,
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
  type Fleet,
  type Image,
  type ImageBuilder,
  paginateDescribeImages,
} from '@aws-sdk/client-appstream';
import { aws, isNotFound } from '../aws/call';

/** The builder, or undefined when it does not exist. */
export async function findBuilder(client: AppStreamClient, name: string): Promise<ImageBuilder | undefined> {
  try {
    const out = await aws('DescribeImageBuilders', () =>
      client.send(new DescribeImageBuildersCommand({ Names: [name] })),
    );
    return out.ImageBuilders?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function findImage(
  client: AppStreamClient,
  ref: { name?: string; arn?: string },
): Promise<Image | undefined> {
  try {
    const out = await aws('DescribeImages', () =>
      client.send(new DescribeImagesCommand(ref.arn ? { Arns: [ref.arn] } : { Names: [ref.name!] })),
    );
    return out.Images?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every image of one visibility, across pages. */
export async function listImages(
  client: AppStreamClient,
  type: 'PUBLIC' | 'PRIVATE' | 'SHARED',
): Promise<Image[]> {
  const images: Image[] = [];
  await aws('DescribeImages', async () => {
    for await (const page of paginateDescribeImages({ client }, { Type: type }))
      images.push(...(page.Images ?? []));
  });
  return images;
}

/**
 * Every item of a NextToken-paged Describe call (the SDK has paginators for DescribeImages but
 * none for DescribeFleets or DescribeImageBuilders).
 */
async function allPages<T>(
  what: string,
  page: (token: string | undefined) => Promise<{ items?: T[]; next?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const out = await aws(what, () => page(token));
    items.push(...(out.items ?? []));
    token = out.next;
  } while (token);
  return items;
}

/** Every fleet in the region, across pages. */
export const listFleets = (client: AppStreamClient): Promise<Fleet[]> =>
  allPages('DescribeFleets', async (token) => {
    const out = await client.send(new DescribeFleetsCommand({ NextToken: token }));
    return { items: out.Fleets, next: out.NextToken };
  });

/** Every image builder in the region, across pages. */
export const listBuilders = (client: AppStreamClient): Promise<ImageBuilder[]> =>
  allPages('DescribeImageBuilders', async (token) => {
    const out = await client.send(new DescribeImageBuildersCommand({ NextToken: token }));
    return { items: out?.ImageBuilders, next: out?.NextToken };
  });

export const errorsOf = (r: {
  ImageBuilderErrors?: { ErrorMessage?: string }[];
  ImageErrors?: { ErrorMessage?: string }[];
}) =>
  [...(r.ImageBuilderErrors ?? []), ...(r.ImageErrors ?? [])]
    .map((e) => e.ErrorMessage)
    .filter(Boolean)
    .join('; ') || 'no error details';
