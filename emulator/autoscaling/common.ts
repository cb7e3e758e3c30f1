/** What the Application Auto Scaling handlers share: errors in AWS's words, resource checks, paging. */
import { APPSTREAM_NAMESPACE, FLEET_DIMENSION } from '../capacity';
import type { Ctx } from '../context';
import { ServiceError } from '../errors';
import type { FleetRec } from '../records';
import type { ScalingState, TargetRec } from './state';

export const validation = (message: string) => new ServiceError('ValidationException', message);

/** The scalable target a request names (namespace, resource id, dimension). */
export interface TargetId {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
}

export const scaling = (ctx: Ctx): ScalingState => ctx.world.scaling(ctx.account, ctx.region);

/**
 * ObjectNotFoundException for a target that isn't registered, in AWS's words (seen from
 * PutScalingPolicy in ansible/ansible#40237, cloudposse/terraform-aws-ecs-cloudwatch-autoscaling#36:
 * "No scalable target registered for service namespace: ecs, resource ID: …, scalable dimension: …").
 */
export const noTarget = (id: TargetId) =>
  new ServiceError(
    'ObjectNotFoundException',
    `No scalable target registered for service namespace: ${id.ServiceNamespace}, resource ID: ${id.ResourceId}, scalable dimension: ${id.ScalableDimension}`,
  );

export function getTarget(ctx: Ctx, id: TargetId): TargetRec {
  const t = scaling(ctx).target(id.ServiceNamespace, id.ResourceId, id.ScalableDimension);
  if (!t) throw noTarget(id);
  return t;
}

/**
 * Checks that namespace, resource id and dimension belong together: AWS answers a mismatch with
 * ValidationException "Unsupported service namespace, resource type or scalable dimension"
 * (pulumi/pulumi-policy-aws#11; moto does the same).
 */
export function checkTargetId(id: TargetId): void {
  const [dimNamespace, dimType] = id.ScalableDimension.split(':');
  const unsupported = validation('Unsupported service namespace, resource type or scalable dimension');
  if (dimNamespace !== id.ServiceNamespace) throw unsupported;
  if (id.ServiceNamespace === APPSTREAM_NAMESPACE) {
    // AppStream 2.0 fleet: "The resource type is fleet and the unique identifier is the fleet name. Example: fleet/sample-fleet."
    if (id.ScalableDimension !== FLEET_DIMENSION || !/^fleet\/.+$/.test(id.ResourceId)) throw unsupported;
    return;
  }
  // Other services: the resource type is usually the first part of the resource id
  // (`service/…`, `table/…`, `spot-fleet-request/…`); ids that are ARNs or custom URLs pass.
  const first = id.ResourceId.split(/[/:]/)[0];
  if (
    /^[a-z-]+$/.test(first) &&
    !['arn', 'https', 'endpoint', 'keyspace'].includes(first) &&
    dimType !== first
  )
    if (!(dimType === 'index' && first === 'table')) throw unsupported;
}

/**
 * The AppStream fleet a target names, or the ValidationException AWS gives for a resource that
 * doesn't exist. Its wording for AppStream was not found; it follows the ones AWS gives other
 * services: "DynamoDB table does not exist: table/MyTable"
 * (terraform-aws-modules/terraform-aws-dynamodb-table#15), "ECS service doesn't exist: …" (moto).
 * Other namespaces have no resources in this emulator, so they always get this answer.
 */
export function resourceOf(ctx: Ctx, id: TargetId): FleetRec {
  if (id.ServiceNamespace === APPSTREAM_NAMESPACE) {
    const f = ctx.store.fleets.get(id.ResourceId.slice('fleet/'.length));
    if (f) return f;
    throw validation(`AppStream fleet does not exist: ${id.ResourceId}`);
  }
  const what: Record<string, string> = {
    ecs: "ECS service doesn't exist",
    dynamodb: 'DynamoDB table does not exist',
  };
  throw validation(
    `${what[id.ServiceNamespace] ?? `${id.ServiceNamespace} resource does not exist`}: ${id.ResourceId}`,
  );
}

/**
 * MaxResults/NextToken paging of the Describe operations: "This value can be between 1 and 50.
 * The default value is 50" (DescribeScalableTargets, DescribeScheduledActions); a token this
 * emulator didn't hand out → InvalidNextTokenException ("The next token supplied was invalid").
 */
export function page<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined) {
  if (maxResults !== undefined && (maxResults < 1 || maxResults > 50))
    throw validation(
      `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value ${maxResults < 1 ? 'greater than or equal to 1' : 'less than or equal to 50'}`,
    );
  let offset = 0;
  if (nextToken !== undefined) {
    const m = /^o(\d{1,9})$/.exec(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!m) throw new ServiceError('InvalidNextTokenException', 'Invalid NextToken');
    offset = Number(m[1]);
  }
  const size = maxResults ?? 50;
  const slice = items.slice(offset, offset + size);
  const more = offset + size < items.length;
  return {
    page: slice,
    nextToken: more ? Buffer.from(`o${offset + size}`).toString('base64url') : undefined,
  };
}
