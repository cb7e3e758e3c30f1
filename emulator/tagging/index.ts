/**
 * Resource Groups Tagging API (JSON 1.1, `ResourceGroupsTaggingAPI_20170126`, signing name
 * `tagging`): GetResources over the AppStream 2.0 resources of the caller's account and region
 * (image builders, private images, fleets, stacks). The other operations answer
 * NotImplementedException. EC2 resources of the emulator are not listed.
 */
import type { Ctx, Handler, ServiceDefinition } from '../context';
import { ServiceError } from '../errors';
import { loadModel } from '../model';
import type { Tags } from '../records';

/** A taggable AppStream resource as GetResources sees it. */
interface Tagged {
  arn: string;
  /** Resource type as embedded in the ARN (`fleet`, `image-builder`, `image`, `stack`). */
  type: string;
  tags: Tags;
  everTagged?: boolean;
}

/** "A PaginationToken is valid for a maximum of 15 minutes." (PaginationTokenExpiredException) */
export const TOKEN_LIFETIME_MS = 15 * 60_000;
/**
 * ResourcesPerPage when the request has none: the API reference gives only the range (1–100);
 * 50 is moto's default. Callers that want 100 per page say so.
 */
export const DEFAULT_RESOURCES_PER_PAGE = 50;

const invalid = (message: string) => new ServiceError('InvalidParameterException', message);

/**
 * The account's resources that GetResources returns: "Returns all the tagged or previously
 * tagged resources … GetResources does not return untagged resources"; "Resources that were
 * previously tagged, but do not currently have tags, are shown with an empty tag set" (API
 * reference, GetResources and TagFilters). Sorted by ARN so pages are stable.
 */
function resources(ctx: Ctx): Tagged[] {
  const { store } = ctx;
  const out: Tagged[] = [];
  const add = (type: string, r: { arn: string; tags: Tags; everTagged?: boolean }) => {
    if (Object.keys(r.tags).length || r.everTagged)
      out.push({ arn: r.arn, type, tags: r.tags, everTagged: r.everTagged });
  };
  for (const b of store.builders.values()) add('image-builder', b);
  for (const i of store.images.values()) add('image', i);
  for (const f of store.fleets.values()) add('fleet', f);
  for (const s of store.stacks.values()) add('stack', s);
  return out.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}

/**
 * ResourceTypeFilters: "The format of each resource type is service[:resourceType]"; "The string
 * for each service name and resource type is the same as that embedded in a resource's Amazon
 * Resource Name (ARN)": `appstream` (all), `appstream:fleet`, `appstream:image-builder`,
 * `appstream:image`, `appstream:stack`. Other services' types match nothing here.
 */
const typeMatches = (r: Tagged, filters: string[] | undefined) =>
  !filters?.length || filters.some((f) => f === 'appstream' || f === `appstream:${r.type}`);

/**
 * TagFilters: "If you specify more than one filter in a single request, the response returns only
 * those resources that satisfy all filters. If you specify a filter that contains more than one
 * value for a key, the response returns resources that match any of the specified values for
 * that key. If you don't specify a value for a key, the response returns all resources that are
 * tagged with that key, with any or no value."
 */
const tagsMatch = (r: Tagged, filters: { Key?: string; Values?: string[] }[] | undefined) =>
  (filters ?? []).every(
    (f) =>
      f.Key !== undefined &&
      Object.hasOwn(r.tags, f.Key) &&
      (!f.Values?.length || f.Values.includes(r.tags[f.Key])),
  );

function encodeToken(lastArn: string, issuedAt: number): string {
  return Buffer.from(JSON.stringify({ a: lastArn, t: issuedAt })).toString('base64url');
}

function decodeToken(token: string, now: number): string {
  let parsed: { a?: unknown; t?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = {};
  }
  if (typeof parsed?.a !== 'string' || typeof parsed.t !== 'number')
    throw invalid(`The pagination token is not valid: '${token.slice(0, 200)}'`);
  if (now - parsed.t > TOKEN_LIFETIME_MS)
    throw new ServiceError(
      'PaginationTokenExpiredException',
      'The specified PaginationToken has expired. A PaginationToken is valid for a maximum of 15 minutes.',
    );
  return parsed.a;
}

const getResources: Handler = (input, ctx) => {
  const arnList: string[] | undefined = input.ResourceARNList;
  // "You can't specify both this parameter and the ResourceTypeFilters parameter / the TagFilters
  // parameter / any of the pagination parameters (ResourcesPerPage, TagsPerPage, PaginationToken)
  // in the same request. If you do, you get an Invalid Parameter exception." (ResourceARNList)
  if (arnList) {
    const clash = [
      'ResourceTypeFilters',
      'TagFilters',
      'ResourcesPerPage',
      'TagsPerPage',
      'PaginationToken',
    ].filter((k) => input[k] !== undefined);
    if (clash.length) throw invalid(`ResourceARNList can't be specified together with ${clash.join(', ')}.`);
  }
  // "You can specify a minimum of 1 and a maximum value of 100" (ResourcesPerPage); "You can set
  // TagsPerPage to a minimum of 100 items up to a maximum of 500 items" (moto's wording).
  const perPage: number = input.ResourcesPerPage ?? DEFAULT_RESOURCES_PER_PAGE;
  if (perPage < 1 || perPage > 100) throw invalid('ResourcesPerPage must be between 1 and 100');
  const tagsPerPage: number | undefined = input.TagsPerPage;
  if (tagsPerPage !== undefined && (tagsPerPage < 100 || tagsPerPage > 500))
    throw invalid('TagsPerPage must be between 100 and 500');
  const after = input.PaginationToken ? decodeToken(input.PaginationToken, ctx.now) : undefined;
  const matching = resources(ctx).filter(
    (r) =>
      (after === undefined || r.arn > after) &&
      (!arnList || arnList.includes(r.arn)) &&
      typeMatches(r, input.ResourceTypeFilters) &&
      tagsMatch(r, input.TagFilters),
  );
  const page: Tagged[] = [];
  let tags = 0;
  for (const r of matching) {
    // "A resource with no tags is counted as having one tag"; a resource is never split across pages.
    const n = Math.max(1, Object.keys(r.tags).length);
    if (page.length === perPage || (tagsPerPage !== undefined && page.length && tags + n > tagsPerPage))
      break;
    page.push(r);
    tags += n;
  }
  const more = page.length < matching.length;
  return {
    ResourceTagMappingList: page.map((r) => ({
      ResourceARN: r.arn,
      Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
    })),
    // At the end AWS answers an empty string, not null (boto/boto3#2513); the SDK paginators stop on it.
    PaginationToken: more ? encodeToken(page[page.length - 1].arn, ctx.now) : '',
  };
};

/** Resource Groups Tagging API: GetResources; the rest answer NotImplementedException. */
export const taggingService = (): ServiceDefinition => ({
  model: loadModel('resourcegroupstaggingapi'),
  handlers: { GetResources: getResources },
});
