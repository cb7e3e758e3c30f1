import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeFleetsCommand, type Fleet } from '@aws-sdk/client-appstream';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { aws } from '../aws/call';
import { tagsByArn } from '../aws/tags-by-arn';
import type { ScheduleDeps } from './deps';
import { type CapacityUnit, type FleetType, interfacesFor, unitOf } from './units';

/** What the planner needs to know about one fleet, read in bulk (see `readRegion`). */
export interface FleetFacts {
  name: string;
  arn: string;
  region: string;
  fleetType: FleetType;
  unit: CapacityUnit;
  state: string;
  maxSessionsPerInstance?: number;
  /** Current capacity in `unit`. */
  current: number;
  /** In use, in `unit`: instances (InUse), sessions (ActiveUserSessions). */
  inUse: number;
  /** Network interfaces the fleet holds now (0 unless STARTING/RUNNING). */
  heldInterfaces: number;
  /** VpcConfig subnets; empty: not in a VPC of the account (no IP cap). */
  subnetIds: string[];
  tags: Record<string, string>;
  /** Its Application Auto Scaling target (ServiceNamespace appstream), when it has one. */
  scalableTarget?: { min: number; max: number };
}

/** A region's fleets, tags and scalable targets. */
export interface RegionInventory {
  region: string;
  fleets: Map<string, FleetFacts>;
  /** Read calls made (DescribeFleets pages, GetResources pages, DescribeScalableTargets pages). */
  reads: number;
}

/** ResourceId of a fleet's scalable target (Application Auto Scaling API reference, RegisterScalableTarget). */
export const fleetResourceId = (name: string) => `fleet/${name}`;
export const FLEET_DIMENSION = 'appstream:fleet:DesiredCapacity';

/**
 * Reads one region in bulk: DescribeFleets (every page), the fleets' tags with one Resource
 * Groups Tagging API GetResources per 100 fleets (DescribeFleets returns no tags; GetResources
 * lists only resources that have or had tags, so an untagged fleet is simply absent), and the
 * appstream scalable targets (DescribeScalableTargets, 50 per page, the API's maximum).
 */
export async function readRegion(deps: ScheduleDeps, region: string): Promise<RegionInventory> {
  let reads = 0;
  const counted = <T>(what: string, fn: () => Promise<T>) => {
    reads++;
    return aws(what, fn);
  };
  const [fleets, tags, targets] = await Promise.all([
    readFleets(deps, region, counted),
    tagsByArn(deps.tagging(region), 'appstream:fleet', counted),
    readTargets(deps, region, counted),
  ]);
  const out = new Map<string, FleetFacts>();
  for (const f of fleets) {
    if (!f.Name || !f.Arn) continue;
    out.set(f.Name, factsOf(f, region, tags.get(f.Arn) ?? {}, targets.get(fleetResourceId(f.Name))));
  }
  return { region, fleets: out, reads };
}

type Counted = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/** Every fleet of the region (DescribeFleets has no paginator in the SDK: NextToken by hand). */
async function readFleets(deps: ScheduleDeps, region: string, call: Counted): Promise<Fleet[]> {
  const fleets: Fleet[] = [];
  let token: string | undefined;
  do {
    const out = await call('DescribeFleets', () =>
      deps.appstream(region).send(new DescribeFleetsCommand({ NextToken: token })),
    );
    fleets.push(...(out.Fleets ?? []));
    token = out.NextToken || undefined;
  } while (token);
  return fleets;
}

async function readTargets(deps: ScheduleDeps, region: string, call: Counted) {
  const byId = new Map<string, { min: number; max: number }>();
  let token: string | undefined;
  do {
    const out = await call('DescribeScalableTargets', () =>
      deps.autoscaling(region).send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: 'appstream',
          MaxResults: 50,
          NextToken: token,
        }),
      ),
    );
    for (const t of out.ScalableTargets ?? [])
      if (t.ResourceId && t.ScalableDimension === FLEET_DIMENSION)
        byId.set(t.ResourceId, { min: t.MinCapacity ?? 0, max: t.MaxCapacity ?? 0 });
    token = out.NextToken || undefined;
  } while (token);
  return byId;
}

const ACTIVE = ['STARTING', 'RUNNING'];

/** A fleet's facts in its own unit (lib/schedule/units.ts). */
export function factsOf(
  f: Fleet,
  region: string,
  tags: Record<string, string>,
  scalableTarget?: { min: number; max: number },
): FleetFacts {
  const fleetType = (f.FleetType ?? 'ON_DEMAND') as FleetType;
  const per = f.MaxSessionsPerInstance;
  const unit = unitOf(fleetType, per);
  const s = f.ComputeCapacityStatus ?? { Desired: 0 };
  const desired = s.Desired ?? 0;
  const instancesInUse = s.InUse ?? 0;
  const current =
    unit === 'MaxConcurrentSessions'
      ? (f.MaxConcurrentSessions ?? 0)
      : unit === 'DesiredSessions'
        ? (s.DesiredUserSessions ?? desired * (per ?? 1))
        : desired;
  const inUse = unit === 'DesiredInstances' ? instancesInUse : (s.ActiveUserSessions ?? instancesInUse);
  // AWS gives a fleet "as many network interfaces as the maximum desired capacity" (the Max of
  // its scalable target, when it has one); instances users are on keep theirs. Elastic fleets hold
  // one per session.
  const sized = scalableTarget ? Math.max(scalableTarget.max, current) : current;
  const held = !ACTIVE.includes(f.State ?? '')
    ? 0
    : unit === 'MaxConcurrentSessions'
      ? inUse
      : Math.max(interfacesFor(unit, sized, per), instancesInUse);
  return {
    name: f.Name!,
    arn: f.Arn!,
    region,
    fleetType,
    unit,
    state: f.State ?? 'UNKNOWN',
    maxSessionsPerInstance: per,
    current,
    inUse,
    heldInterfaces: held,
    subnetIds: f.VpcConfig?.SubnetIds ?? [],
    tags,
    scalableTarget,
  };
}

/**
 * Free addresses per subnet (AvailableIpAddressCount), one DescribeSubnets for all the subnets of
 * a region's fleets that scale up (SubnetIds takes a list; the API pages only when asked to).
 */
export async function freeAddresses(
  deps: ScheduleDeps,
  region: string,
  subnetIds: string[],
): Promise<Map<string, number>> {
  const free = new Map<string, number>();
  if (subnetIds.length === 0) return free;
  // A subnet that no longer exists fails the whole call (InvalidSubnetID.NotFound): the fleets in
  // it are left uncapped (the caller notes it) rather than failing every fleet of the region.
  const out = await aws('DescribeSubnets', () =>
    deps.ec2(region).send(new DescribeSubnetsCommand({ SubnetIds: [...new Set(subnetIds)] })),
  ).catch((err: Error) => {
    // Throttling (EC2's RequestLimitExceeded included, lib/aws/call.ts): the state machine retries Evaluate.
    if (err.name === 'AwsTransientError') throw err;
    return { Subnets: [] };
  });
  for (const s of out.Subnets ?? []) if (s.SubnetId) free.set(s.SubnetId, s.AvailableIpAddressCount ?? 0);
  return free;
}
