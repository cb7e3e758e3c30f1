import {
  GetResourcesCommand,
  type ResourceGroupsTaggingAPIClient,
} from '@aws-sdk/client-resource-groups-tagging-api';

/** How a workflow runs one AWS call (its retries, counting and error naming). */
export type AwsCall = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Every tagged resource of one type (e.g. `appstream:fleet`, `appstream:image-builder`) in the
 * client's account and region with its tags, in bulk: Resource Groups Tagging `GetResources`,
 * 100 per page (the API's maximum), instead of one ListTagsForResource per resource.
 */
export async function tagsByArn(
  tagging: ResourceGroupsTaggingAPIClient,
  resourceType: string,
  call: AwsCall,
): Promise<Map<string, Record<string, string>>> {
  const byArn = new Map<string, Record<string, string>>();
  let token: string | undefined;
  do {
    const out = await call('GetResources', () =>
      tagging.send(
        new GetResourcesCommand({
          ResourceTypeFilters: [resourceType],
          ResourcesPerPage: 100,
          PaginationToken: token,
        }),
      ),
    );
    for (const r of out.ResourceTagMappingList ?? [])
      if (r.ResourceARN)
        byArn.set(r.ResourceARN, Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
    // The API ends with an empty PaginationToken (not an absent one).
    token = out.PaginationToken || undefined;
  } while (token);
  return byArn;
}
