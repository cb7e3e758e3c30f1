import { DescribeFleetsCommand, type Image } from '@aws-sdk/client-appstream';
import {
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { familyFit, imageFamilies, instanceFamily } from '../appstream/families';
import { findImage } from '../appstream/queries';
import { aws, isNotFound } from '../aws/call';
import { hasAppStream } from '../aws/regions';
import type { PipelineConfig } from '../config/pipeline';
import type { PipelineDeps } from './deps';
import { PreflightFailed } from './errors';

/** One thing that would make the run fail (or hang) after its builder launched. */
export interface PreflightProblem {
  /** The pipeline field to change, e.g. `builder.subnetIds`. */
  field: string;
  message: string;
  /** `warning`: worth reading, but no reason to refuse the run. */
  severity?: 'warning';
}

export interface PreflightTarget {
  region: string;
  imageName: string;
  baseImage?: Image;
}

const errName = (err: unknown) => (err as Error)?.name ?? 'Error';
/**
 * EC2 answers `InvalidSubnetID.NotFound`, `InvalidGroup.NotFound`, `….Malformed` for ids it
 * doesn't know. Throttling and 5xx become AwsTransientError (via `aws`): Resolve is retried.
 */
const isEc2Missing = (err: unknown) => /NotFound$|Malformed$/.test(errName(err));

/**
 * Everything checkable before a builder launches, all of it (not the first problem only): the
 * image name is free in the home and copy regions (a copy region holding that name would be taken
 * for our copy), copy and roll-out regions run AppStream, roll-out fleets exist, the SNS topic
 * exists and may be used, the base image fits the instance family, and the builder's network can
 * launch it and reach S3 for the agent. Read-only calls only.
 */
export async function preflight(
  config: PipelineConfig,
  target: PreflightTarget,
  deps: PipelineDeps,
): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const { region, imageName } = target;

  for (const r of [region, ...config.after.copyTo.filter((c) => c !== region)]) {
    if (!hasAppStream(r)) {
      add(r === region ? 'region' : 'after.copyTo', `AppStream 2.0 is not available in ${r}`);
      continue;
    }
    const existing = await findImage(deps.appstream(r), { name: imageName });
    if (existing?.Name === imageName)
      add('image.name', `an image named '${imageName}' already exists in ${r} (${existing.State})`);
  }

  for (const t of config.after.rollOut) {
    const r = t.region ?? region;
    if (!hasAppStream(r)) {
      add('after.rollOut', `fleet '${t.fleet}': AppStream 2.0 is not available in ${r}`);
      continue;
    }
    const fleet = await aws('DescribeFleets', () =>
      deps.appstream(r).send(new DescribeFleetsCommand({ Names: [t.fleet] })),
    )
      .then((o) => o?.Fleets?.find((f) => f.Name === t.fleet))
      .catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
    if (!fleet) add('after.rollOut', `fleet '${t.fleet}' does not exist in ${r}`);
  }

  const topicArn = config.after.notify?.topicArn;
  if (topicArn && deps.notifier.check) {
    const problem = await deps.notifier.check(topicArn);
    if (problem) add('after.notify.topicArn', problem);
  }

  const type = config.builder.instanceType;
  const fit = target.baseImage && type ? familyFit(target.baseImage, type) : 'unknown';
  if (target.baseImage && type && fit === 'no')
    add(
      'builder.image',
      `'${target.baseImage.Name}' is for ${imageFamilies(target.baseImage).join(', ')} instances, not ${instanceFamily(type)} (${type})`,
    );
  // A family spelling we don't know (AWS adds families): warn, never refuse a correct image.
  else if (target.baseImage && type && instanceFamily(type) && fit === 'unknown')
    problems.push({
      field: 'builder.image',
      severity: 'warning',
      message: `'${target.baseImage.Name}' reports instance families ${imageFamilies(target.baseImage).join(', ')}: cannot tell whether ${instanceFamily(type)} (${type}) is among them`,
    });

  if (deps.ec2 && !config.builder.existing && config.builder.subnetIds?.length)
    problems.push(...(await networkProblems(config, deps.ec2(region), region, deps.region)));
  return problems;
}

/** Runs the pre-flight and throws PreflightFailed listing every problem with its field. */
export async function assertPreflight(
  config: PipelineConfig,
  target: PreflightTarget,
  deps: PipelineDeps,
): Promise<void> {
  const all = await preflight(config, target, deps);
  for (const w of all.filter((p) => p.severity === 'warning'))
    console.warn(`pre-flight warning: ${w.field}: ${w.message}`);
  const problems = all.filter((p) => p.severity !== 'warning');
  if (problems.length) throw new PreflightFailed(describeProblems(problems));
}

export const describeProblems = (problems: PreflightProblem[]) =>
  `${problems.length} pre-flight problem${problems.length > 1 ? 's' : ''}, nothing launched: ${problems
    .map((p) => `${p.field}: ${p.message}`)
    .join('; ')}`;

/**
 * The builder's network: its subnet exists and has a free address (the builder takes one
 * network interface), its security groups exist in the subnet's VPC (AppStream refuses groups of
 * another VPC), and the builder can reach S3 where the agent's jobs are. Without a way out the
 * builder starts fine and the run waits for an agent that never answers (BuildTimeout, hours).
 * A way to S3 is one of (AppStream Administration Guide, "Internet Access" and "Using Amazon S3
 * VPC Endpoints"): default internet access (a public IP, so the subnet needs 0.0.0.0/0 → internet
 * gateway), a 0.0.0.0/0 route to a NAT gateway, or a gateway VPC endpoint for S3 in the subnet's
 * route table (its explicit association, else the VPC's main table).
 */
async function networkProblems(
  config: PipelineConfig,
  ec2: EC2Client,
  region: string,
  /** The agent bucket's region (the deployment's). */
  bucketRegion: string,
): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const b = config.builder;
  const subnets: Subnet[] = [];
  for (const id of b.subnetIds ?? []) {
    try {
      const out = await aws('ec2:DescribeSubnets', () =>
        ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] })),
      );
      const s = out.Subnets?.[0];
      if (s) subnets.push(s);
      else add('builder.subnetIds', `subnet ${id} does not exist in ${region}`);
    } catch (err) {
      if (!isEc2Missing(err)) throw err;
      add('builder.subnetIds', `subnet ${id} does not exist in ${region}`);
    }
  }
  const vpcs = [...new Set(subnets.map((s) => s.VpcId))];
  if (vpcs.length > 1)
    add(
      'builder.subnetIds',
      `the subnets are in different VPCs (${vpcs.join(', ')}): use subnets of one VPC`,
    );
  // No subnet found: the security groups are still checked (that they exist), so one run of
  // the pre-flight reports every problem; the VPC and route checks need a subnet.
  const vpc = vpcs[0];
  for (const s of subnets)
    if ((s.AvailableIpAddressCount ?? 0) < 1)
      add(
        'builder.subnetIds',
        `subnet ${s.SubnetId} has no free IP address for the builder's network interface`,
      );

  for (const id of b.securityGroupIds ?? []) {
    try {
      const out = await aws('ec2:DescribeSecurityGroups', () =>
        ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })),
      );
      const g = out.SecurityGroups?.[0];
      if (!g) add('builder.securityGroupIds', `security group ${id} does not exist in ${region}`);
      else if (vpc && g.VpcId !== vpc)
        add(
          'builder.securityGroupIds',
          `security group ${id} belongs to ${g.VpcId}, not the subnet's VPC ${vpc}`,
        );
    } catch (err) {
      if (!isEc2Missing(err)) throw err;
      add('builder.securityGroupIds', `security group ${id} does not exist in ${region}`);
    }
  }

  if (!vpc) return problems;
  const endpoints = await aws('ec2:DescribeVpcEndpoints', () =>
    ec2.send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpc] },
          { Name: 'service-name', Values: [`com.amazonaws.${region}.s3`] },
          { Name: 'vpc-endpoint-type', Values: ['Gateway'] },
        ],
      }),
    ),
  );
  const s3Endpoints = (endpoints.VpcEndpoints ?? []).filter((e) => e.State?.toLowerCase() !== 'deleted');
  for (const s of subnets) {
    const table = await routeTableOf(ec2, s);
    const routes = (table?.Routes ?? []).filter((r) => r.State !== 'blackhole');
    const defaultRoute = routes.filter((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    const toIgw = defaultRoute.some((r) => r.GatewayId?.startsWith('igw-'));
    const toNat = defaultRoute.some((r) => r.NatGatewayId);
    // A gateway endpoint reaches S3 of its own region only (VPC User Guide, "Gateway endpoints for
    // Amazon S3": same-Region buckets): no use when the agent bucket is in another region.
    const toS3 =
      region === bucketRegion &&
      !!table?.RouteTableId &&
      s3Endpoints.some(
        (e) =>
          e.RouteTableIds?.includes(table.RouteTableId!) &&
          routes.some((r) => r.GatewayId === e.VpcEndpointId && r.DestinationPrefixListId),
      );
    const where = `subnet ${s.SubnetId} (route table ${table?.RouteTableId ?? 'none'})`;
    if (b.enableDefaultInternetAccess) {
      if (!toIgw && !toNat && !toS3)
        add(
          'builder.enableDefaultInternetAccess',
          `${where} has no 0.0.0.0/0 route to an internet gateway: default internet access needs a public subnet; the builder could not reach S3 for the agent's jobs`,
        );
    } else if (!toNat && !toS3)
      add(
        'builder.subnetIds',
        `${where} has no way to S3 for the agent's jobs: add a 0.0.0.0/0 route to a NAT gateway or an S3 gateway endpoint${toIgw ? ', or set builder.enableDefaultInternetAccess: true (the route to the internet gateway needs a public IP)' : ''}; otherwise the run waits until its build timeout`,
      );
  }
  return problems;
}

/** The route table of a subnet: its explicit association, else its VPC's main table. */
async function routeTableOf(ec2: EC2Client, s: Subnet): Promise<RouteTable | undefined> {
  const explicit = await aws('ec2:DescribeRouteTables', () =>
    ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [s.SubnetId!] }] }),
    ),
  );
  if (explicit.RouteTables?.[0]) return explicit.RouteTables[0];
  const main = await aws('ec2:DescribeRouteTables', () =>
    ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [s.VpcId!] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    ),
  );
  return main.RouteTables?.[0];
}
