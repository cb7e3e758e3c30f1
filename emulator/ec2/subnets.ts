import type { QueryCtx, QueryHandler } from '../query/context';
import {
  applyFilters,
  arn,
  byIds,
  checkId,
  dependencyViolation,
  ec2Error,
  type Filter,
  invalidParameter,
  notFound,
  page,
  type TagSpecification,
  tagSpecs,
} from './common';
import { cidrsOverlap, cidrWithin, type Network, type SubnetRec } from './network';
import { checkBlock, vpcOrThrow } from './vpcs';

export function subnetOrThrow(net: Network, id: string): SubnetRec {
  checkId(id, 'subnet', 'InvalidSubnetID.Malformed');
  const subnet = net.subnets.get(id);
  if (!subnet) throw notFound('InvalidSubnetID.NotFound', 'subnet', id);
  return subnet;
}

export function describeSubnet(net: Network, s: SubnetRec, ctx: QueryCtx) {
  return {
    SubnetId: s.id,
    SubnetArn: arn(ctx, 'subnet', s.id),
    VpcId: s.vpcId,
    CidrBlock: s.cidr,
    AvailabilityZone: s.az,
    AvailabilityZoneId: s.azId,
    AvailableIpAddressCount: net.freeIps(s.id),
    DefaultForAz: s.defaultForAz,
    MapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
    MapCustomerOwnedIpOnLaunch: false,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    Ipv6Native: false,
    EnableDns64: s.enableDns64 ?? false,
    State: s.state,
    OwnerId: ctx.account,
    PrivateDnsNameOptionsOnLaunch: {
      HostnameType: s.hostnameType ?? 'ip-name',
      EnableResourceNameDnsARecord: s.enableResourceNameDnsARecord ?? false,
      EnableResourceNameDnsAAAARecord: s.enableResourceNameDnsAAAARecord ?? false,
    },
    Tags: net.tagList(s.id),
  };
}

export const subnetHandlers: Record<string, QueryHandler> = {
  CreateSubnet(
    input: {
      VpcId: string;
      CidrBlock?: string;
      AvailabilityZone?: string;
      AvailabilityZoneId?: string;
      TagSpecifications?: TagSpecification[];
    },
    ctx,
  ) {
    const net = ctx.network();
    const vpc = vpcOrThrow(net, input.VpcId);
    if (input.CidrBlock === undefined)
      throw ec2Error('MissingParameter', 'The request must contain the parameter CidrBlock');
    checkBlock(input.CidrBlock, 'cidrBlock', 'InvalidSubnet.Range');
    // Amazon VPC User Guide, "Subnet CIDR blocks": inside the VPC's block, not overlapping another subnet.
    if (!cidrWithin(input.CidrBlock, vpc.cidr))
      throw ec2Error('InvalidSubnet.Range', `The CIDR '${input.CidrBlock}' is invalid.`);
    for (const other of net.subnets.values())
      if (other.vpcId === vpc.id && cidrsOverlap(other.cidr, input.CidrBlock))
        throw ec2Error(
          'InvalidSubnet.Conflict',
          `The CIDR '${input.CidrBlock}' conflicts with another subnet`,
        );
    const names = net.zones.map((z) => z.name).join(', ');
    let az = net.zones[[...net.subnets.values()].filter((s) => s.vpcId === vpc.id).length % net.zones.length];
    if (input.AvailabilityZone !== undefined) {
      const found = net.zones.find((z) => z.name === input.AvailabilityZone);
      if (!found)
        throw invalidParameter(
          `Value (${input.AvailabilityZone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${names}.`,
        );
      az = found;
    }
    if (input.AvailabilityZoneId !== undefined) {
      const found = net.zones.find((z) => z.id === input.AvailabilityZoneId);
      if (!found || (input.AvailabilityZone !== undefined && found.name !== az.name))
        throw invalidParameter(
          `Value (${input.AvailabilityZoneId}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: ${net.zones.map((z) => z.id).join(', ')}.`,
        );
      az = found;
    }
    const apply = tagSpecs(input.TagSpecifications, 'subnet', net);
    const subnet = net.addSubnet({ vpcId: vpc.id, cidr: input.CidrBlock, az });
    apply(subnet.id);
    return { Subnet: describeSubnet(net, subnet, ctx) };
  },

  DeleteSubnet(input: { SubnetId: string }, ctx) {
    const net = ctx.network();
    const subnet = subnetOrThrow(net, input.SubnetId);
    // EC2 API reference, DeleteSubnet: terminate the instances (network interfaces) in it first.
    if (net.usedIps(subnet.id) > 0)
      throw dependencyViolation(`The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
    for (const rt of net.routeTables.values())
      rt.associations = rt.associations.filter((a) => a.subnetId !== subnet.id);
    net.subnets.delete(subnet.id);
    net.forget(subnet.id);
    return {};
  },

  DescribeSubnets(
    input: { SubnetIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const fns = {
      'availability-zone': (s: SubnetRec) => s.az,
      availabilityZone: (s: SubnetRec) => s.az,
      'availability-zone-id': (s: SubnetRec) => s.azId,
      availabilityZoneId: (s: SubnetRec) => s.azId,
      'available-ip-address-count': (s: SubnetRec) => net.freeIps(s.id),
      'cidr-block': (s: SubnetRec) => s.cidr,
      cidr: (s: SubnetRec) => s.cidr,
      cidrBlock: (s: SubnetRec) => s.cidr,
      'default-for-az': (s: SubnetRec) => s.defaultForAz,
      defaultForAz: (s: SubnetRec) => s.defaultForAz,
      // EC2 API Reference, DescribeSubnets, Filters: the documented names. The subset models no
      // IPv6 blocks, Outposts, customer-owned pools or LNI: those filters match nothing set.
      'customer-owned-ipv4-pool': () => undefined,
      'enable-dns64': (s: SubnetRec) => s.enableDns64 ?? false,
      'enable-lni-at-device-index': () => undefined,
      'ipv6-cidr-block-association.ipv6-cidr-block': () => undefined,
      'ipv6-cidr-block-association.association-id': () => undefined,
      'ipv6-cidr-block-association.state': () => undefined,
      'ipv6-native': () => false,
      'map-customer-owned-ip-on-launch': () => false,
      'map-public-ip-on-launch': (s: SubnetRec) => s.mapPublicIpOnLaunch,
      'outpost-arn': () => undefined,
      'private-dns-name-options-on-launch.hostname-type': (s: SubnetRec) => s.hostnameType ?? 'ip-name',
      'private-dns-name-options-on-launch.enable-resource-name-dns-a-record': (s: SubnetRec) =>
        s.enableResourceNameDnsARecord ?? false,
      'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record': (s: SubnetRec) =>
        s.enableResourceNameDnsAAAARecord ?? false,
      'owner-id': () => ctx.account,
      state: (s: SubnetRec) => s.state,
      'subnet-arn': (s: SubnetRec) => arn(ctx, 'subnet', s.id),
      'subnet-id': (s: SubnetRec) => s.id,
      subnetId: (s: SubnetRec) => s.id,
      'vpc-id': (s: SubnetRec) => s.vpcId,
      vpcId: (s: SubnetRec) => s.vpcId,
    };
    const selected = byIds(net.subnets, input.SubnetIds, (id) =>
      notFound('InvalidSubnetID.NotFound', 'subnet', id),
    );
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return { Subnets: items.map((s) => describeSubnet(net, s, ctx)), NextToken };
  },
};
