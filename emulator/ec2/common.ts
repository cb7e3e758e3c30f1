import { ServiceError } from '../errors';
import type { QueryCtx } from '../query/context';
import type { Network, Tags } from './network';

/** An EC2 client error (HTTP 400, `<Response><Errors><Error>`); codes from the EC2 API error-code reference. */
export const ec2Error = (code: string, message: string) => new ServiceError(code, message, 400);

/** `Invalid<Kind>ID.NotFound`: "The <noun> ID '<id>' does not exist" (EC2 API reference, error codes). */
export const notFound = (code: string, noun: string, id: string) =>
  ec2Error(code, `The ${noun} ID '${id}' does not exist`);

/** EC2's `Invalid<Kind>ID.Malformed` when an id lacks its prefix, e.g. `Invalid id: "x" (expecting "vpc-...")`. */
export function checkId(id: string, prefix: string, code: string): void {
  if (!new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(id))
    throw ec2Error(code, `Invalid id: "${id}" (expecting "${prefix}-...")`);
}

export const invalidParameter = (message: string) => ec2Error('InvalidParameterValue', message);

export const dependencyViolation = (message: string) => ec2Error('DependencyViolation', message);

export interface Filter {
  Name?: string;
  Values?: string[];
}

/** Values a resource has for one filter name. */
export type FilterFns<T> = Record<
  string,
  (rec: T) => (string | number | boolean | undefined)[] | string | number | boolean | undefined
>;

/**
 * AWS filter wildcards: `*` any run of characters, `?` exactly one (EC2 User Guide, "Filter your
 * resources"). A greedy two-pointer glob match, O(len(value) × len(pattern)) at worst: no
 * regular expression, so a hostile pattern can't backtrack exponentially.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

function matcher(value: string): (s: string) => boolean {
  if (!/[*?]/.test(value)) return (s) => s === value;
  return (s) => globMatch(value, s);
}

/**
 * Applies EC2 `Filter.N.Name` / `Filter.N.Value.M` filters: a resource passes when, for every
 * filter, one of its values matches one of the filter's values. Besides `fns`, every resource
 * supports `tag:<key>`, `tag-key` and `tag-value`. An unknown filter name is InvalidParameterValue
 * ("The filter '<name>' is invalid"), as EC2 answers.
 */
export function applyFilters<T extends { id: string }>(
  items: Iterable<T>,
  filters: Filter[] | undefined,
  fns: FilterFns<T>,
  tagsOf: (id: string) => Tags,
): T[] {
  const tests: ((rec: T) => boolean)[] = [];
  for (const f of filters ?? []) {
    const name = f.Name ?? '';
    const match = (f.Values ?? []).map(matcher);
    const any = (vals: string[]) => vals.some((v) => match.some((m) => m(v)));
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      tests.push((r) => {
        const t = tagsOf(r.id);
        return Object.hasOwn(t, key) && any([t[key]]);
      });
    } else if (name === 'tag-key') tests.push((r) => any(Object.keys(tagsOf(r.id))));
    else if (name === 'tag-value') tests.push((r) => any(Object.values(tagsOf(r.id))));
    else if (Object.hasOwn(fns, name)) {
      const fn = fns[name];
      tests.push((r) => {
        const v = fn(r);
        const list = Array.isArray(v) ? v : [v];
        return any(list.filter((x) => x !== undefined).map(String));
      });
    } else throw invalidParameter(`The filter '${name}' is invalid`);
  }
  const out: T[] = [];
  for (const item of items) if (tests.every((t) => t(item))) out.push(item);
  return out;
}

/**
 * EC2 MaxResults/NextToken pagination over an already filtered list; without MaxResults every
 * item is returned. A token that isn't ours is `InvalidPaginationToken`.
 */
export function page<T>(
  items: T[],
  input: { MaxResults?: number; NextToken?: string },
): { items: T[]; NextToken?: string } {
  let offset = 0;
  if (input.NextToken !== undefined) {
    const m = /^o(\d{1,9})$/.exec(Buffer.from(input.NextToken, 'base64url').toString('latin1'));
    if (!m)
      throw ec2Error('InvalidPaginationToken', `Invalid pagination token: ${input.NextToken.slice(0, 64)}`);
    offset = Number(m[1]);
  }
  if (input.MaxResults === undefined) return { items: items.slice(offset) };
  const end = offset + input.MaxResults;
  return {
    items: items.slice(offset, end),
    NextToken: end < items.length ? Buffer.from(`o${end}`, 'latin1').toString('base64url') : undefined,
  };
}

/** Selects resources by id (unknown ids fail with `notFound`), in the order the ids were given. */
export function byIds<T>(
  map: Map<string, T>,
  ids: string[] | undefined,
  fail: (id: string) => ServiceError,
): T[] {
  if (!ids || ids.length === 0) return [...map.values()];
  const out: T[] = [];
  for (const id of ids) {
    const rec = map.get(id);
    if (!rec) throw fail(id);
    if (!out.includes(rec)) out.push(rec);
  }
  return out;
}

export interface TagSpecification {
  ResourceType?: string;
  Tags?: { Key?: string; Value?: string }[];
}

/**
 * Checks TagSpecifications before a create (resource type must be the created one: EC2 answers
 * InvalidParameterValue otherwise) and returns a function applying them to the new resource id.
 */
export function tagSpecs(specs: TagSpecification[] | undefined, resourceType: string, net: Network) {
  for (const s of specs ?? []) {
    if (s.ResourceType !== resourceType)
      throw invalidParameter(
        `'${s.ResourceType ?? ''}' is not a valid taggable resource type for this operation.`,
      );
    for (const t of s.Tags ?? []) validateTag(t);
  }
  return (id: string) => {
    for (const s of specs ?? []) if (s.Tags?.length) net.setTags(id, s.Tags);
  };
}

/** Tag rules: key 1..127 characters, not starting with `aws:`; value up to 255 (EC2 User Guide, "Tag restrictions"). */
export function validateTag(t: { Key?: string; Value?: string }): void {
  if (t.Key === undefined || t.Key.length === 0)
    throw ec2Error('InvalidParameterValue', 'Tag keys cannot be empty.');
  if (t.Key.length > 127)
    throw ec2Error('InvalidParameterValue', `Tag key exceeds the maximum length of 127 characters`);
  if ((t.Value ?? '').length > 255)
    throw ec2Error('InvalidParameterValue', `Tag value exceeds the maximum length of 255 characters`);
  if (t.Key.toLowerCase().startsWith('aws:'))
    throw ec2Error('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
}

export const arn = (ctx: QueryCtx, type: string, id: string) =>
  `arn:aws:ec2:${ctx.region}:${ctx.account}:${type}/${id}`;

export const ok = { Return: true };
