import { type Ctx, compact } from '../context';
import { invalidCombination, limitExceeded, ServiceError } from '../errors';
import type { Tags } from '../records';

/** Request members image builders and fleets share and keep as attributes. */
export const COMPUTE_ATTRS = [
  'Description',
  'DisplayName',
  'InstanceType',
  'VpcConfig',
  'IamRoleArn',
  'EnableDefaultInternetAccess',
  'DomainJoinInfo',
  'RootVolumeConfig',
  'DisableIMDSV1',
];

const INSTANCE_TYPE =
  /^stream\.(standard|compute|memory|graphics|graphics-design|graphics-pro|graphics\.g4dn|graphics\.g5|graphics\.g6|memory\.z1d)\.[a-z0-9]+$/;
const IAM_ROLE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Whether a string is an AppStream 2.0 instance type (also used by the control API's quotas). */
export const isInstanceType = (instanceType: string): boolean => INSTANCE_TYPE.test(instanceType);

export function checkInstanceType(instanceType: string): void {
  if (!isInstanceType(instanceType))
    throw invalidCombination(
      `The instance type '${instanceType}' is not a valid AppStream 2.0 instance type.`,
    );
}

export function checkRole(roleArn: string | undefined): void {
  if (roleArn !== undefined && !IAM_ROLE.test(roleArn))
    throw new ServiceError('InvalidRoleException', `The role '${roleArn}' is not a valid IAM role ARN.`);
}

export function checkDirectory(ctx: Ctx, info: { DirectoryName?: string } | undefined): void {
  if (info?.DirectoryName && !ctx.store.directories.has(info.DirectoryName))
    throw new ServiceError(
      'ResourceNotFoundException',
      `The directory config '${info.DirectoryName}' can't be found.`,
    );
}

export function checkQuota(count: number, quota: number, what: string): void {
  if (count >= quota)
    throw limitExceeded(`The ${what} limit of ${quota} for this account in this region has been reached.`);
}

/** Merges tags, keeping the per-resource limit. */
export function mergeTags(ctx: Ctx, current: Tags, added: Tags | undefined): Tags {
  const next = { ...current, ...added };
  const limit = ctx.world.quotasFor(ctx.account, ctx.region).tagsPerResource;
  if (Object.keys(next).length > limit) throw limitExceeded(`A resource can have at most ${limit} tags.`);
  return next;
}

/** Picks the request members that are set, for storing as a resource's attributes. */
export function pick(input: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (input[k] !== undefined) out[k] = input[k];
  return compact(out);
}

/** Looks names up in a collection; AWS answers the whole call with NotFound for any missing name. */
export function selectByNames<T>(
  all: Map<string, T>,
  names: string[] | undefined,
  what: string,
): Iterable<T> {
  if (!names) return all.values();
  return names.map((n) => {
    const v = all.get(n);
    if (!v) throw new ServiceError('ResourceNotFoundException', `The ${what} '${n}' can't be found.`);
    return v;
  });
}
