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

/** Every fleet in the region, across pages. */
export async function listFleets(client: AppStreamClient): Promise<Fleet[]> {
  const fleets: Fleet[] = [];
  let token: string | undefined;
  do {
    const out = await aws('DescribeFleets', () =>
      client.send(new DescribeFleetsCommand({ NextToken: token })),
    );
    fleets.push(...(out.Fleets ?? []));
    token = out.NextToken;
  } while (token);
  return fleets;
}

/** Every image builder in the region, across pages. */
export async function listBuilders(client: AppStreamClient): Promise<ImageBuilder[]> {
  const builders: ImageBuilder[] = [];
  let token: string | undefined;
  do {
    const out = await aws('DescribeImageBuilders', () =>
      client.send(new DescribeImageBuildersCommand({ NextToken: token })),
    );
    builders.push(...(out?.ImageBuilders ?? []));
    token = out?.NextToken;
  } while (token);
  return builders;
}

export const errorsOf = (r: {
  ImageBuilderErrors?: { ErrorMessage?: string }[];
  ImageErrors?: { ErrorMessage?: string }[];
}) =>
  [...(r.ImageBuilderErrors ?? []), ...(r.ImageErrors ?? [])]
    .map((e) => e.ErrorMessage)
    .filter(Boolean)
    .join('; ') || 'no error details';
