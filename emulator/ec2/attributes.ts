import type { QueryHandler } from '../query/context';
import { applyFilters, byIds, ec2Error, type Filter, notFound } from './common';
import type { AddressRec, VpcRec } from './network';
import { subnetOrThrow } from './subnets';
import { vpcOrThrow } from './vpcs';

type Bool = { Value?: boolean } | undefined;

/** A VPC's DNS attributes as AWS defaults them (VPC User Guide, "DNS attributes for your VPC"). */
export const dnsSupport = (v: VpcRec) => v.enableDnsSupport ?? true;
export const dnsHostnames = (v: VpcRec) => v.enableDnsHostnames ?? v.isDefault;

/** Modify*Attribute change one attribute per call: more or none → InvalidParameterCombination. */
function exactlyOne(given: readonly string[]): void {
  if (given.length !== 1)
    throw ec2Error(
      'InvalidParameterCombination',
      given.length === 0
        ? 'The request must contain exactly one attribute to modify.'
        : `You can only modify one attribute at a time: ${given.join(', ')}`,
    );
}

/**
 * The attribute calls the VPC tutorials use (VPC User Guide, "Create a VPC with public and
 * private subnets (NAT)" CLI steps: `modify-subnet-attribute --map-public-ip-on-launch`,
 * `modify-vpc-attribute --enable-dns-hostnames`), and DescribeAddresses.
 * EC2 API Reference: ModifySubnetAttribute / ModifyVpcAttribute change one attribute per call
 * ("You can only modify one attribute at a time"); more or none → InvalidParameterCombination.
 */
export const attributeHandlers: Record<string, QueryHandler> = {
  ModifySubnetAttribute(
    input: {
      SubnetId: string;
      MapPublicIpOnLaunch?: Bool;
      EnableDns64?: Bool;
      AssignIpv6AddressOnCreation?: Bool;
      MapCustomerOwnedIpOnLaunch?: Bool;
      CustomerOwnedIpv4Pool?: string;
      PrivateDnsHostnameTypeOnLaunch?: 'ip-name' | 'resource-name';
      EnableResourceNameDnsARecordOnLaunch?: Bool;
      EnableResourceNameDnsAAAARecordOnLaunch?: Bool;
      EnableLniAtDeviceIndex?: number;
      DisableLniAtDeviceIndex?: Bool;
    },
    ctx,
  ) {
    const net = ctx.network();
    const subnet = subnetOrThrow(net, input.SubnetId);
    const given = Object.keys(input).filter(
      (k) => k !== 'SubnetId' && input[k as keyof typeof input] !== undefined,
    );
    exactlyOne(given);
    const flag = (b: Bool, name: string): boolean => {
      if (b?.Value === undefined)
        throw ec2Error('MissingParameter', `The request must contain the parameter ${name}.Value`);
      return b.Value;
    };
    // IPv6, customer-owned (Outposts) and LNI attributes need resources the subset doesn't model.
    const unsupported = (what: string) =>
      ec2Error('InvalidParameterValue', `Subnet ${subnet.id} does not support ${what}.`);
    if (input.MapPublicIpOnLaunch !== undefined)
      subnet.mapPublicIpOnLaunch = flag(input.MapPublicIpOnLaunch, 'MapPublicIpOnLaunch');
    else if (input.EnableDns64 !== undefined) subnet.enableDns64 = flag(input.EnableDns64, 'EnableDns64');
    else if (input.PrivateDnsHostnameTypeOnLaunch !== undefined)
      subnet.hostnameType = input.PrivateDnsHostnameTypeOnLaunch;
    else if (input.EnableResourceNameDnsARecordOnLaunch !== undefined)
      subnet.enableResourceNameDnsARecord = flag(
        input.EnableResourceNameDnsARecordOnLaunch,
        'EnableResourceNameDnsARecordOnLaunch',
      );
    else if (input.EnableResourceNameDnsAAAARecordOnLaunch !== undefined) {
      if (flag(input.EnableResourceNameDnsAAAARecordOnLaunch, 'EnableResourceNameDnsAAAARecordOnLaunch'))
        throw unsupported('AAAA records without an IPv6 CIDR block');
      subnet.enableResourceNameDnsAAAARecord = false;
    } else if (input.AssignIpv6AddressOnCreation !== undefined) {
      if (flag(input.AssignIpv6AddressOnCreation, 'AssignIpv6AddressOnCreation'))
        throw unsupported('assigning IPv6 addresses without an IPv6 CIDR block');
    } else if (input.MapCustomerOwnedIpOnLaunch !== undefined) {
      if (flag(input.MapCustomerOwnedIpOnLaunch, 'MapCustomerOwnedIpOnLaunch'))
        throw unsupported('customer-owned IP addresses (it is not in an Outpost)');
    } else throw unsupported(given[0]);
    return {};
  },

  ModifyVpcAttribute(
    input: {
      VpcId: string;
      EnableDnsHostnames?: Bool;
      EnableDnsSupport?: Bool;
      EnableNetworkAddressUsageMetrics?: Bool;
    },
    ctx,
  ) {
    const vpc = vpcOrThrow(ctx.network(), input.VpcId);
    const given = (
      ['EnableDnsHostnames', 'EnableDnsSupport', 'EnableNetworkAddressUsageMetrics'] as const
    ).filter((k) => input[k] !== undefined);
    exactlyOne(given);
    const value = input[given[0]]?.Value;
    if (value === undefined)
      throw ec2Error('MissingParameter', `The request must contain the parameter ${given[0]}.Value`);
    if (given[0] === 'EnableDnsHostnames') vpc.enableDnsHostnames = value;
    else if (given[0] === 'EnableDnsSupport') vpc.enableDnsSupport = value;
    else vpc.enableNetworkAddressUsageMetrics = value;
    return {};
  },

  DescribeVpcAttribute(
    input: {
      VpcId: string;
      Attribute: 'enableDnsSupport' | 'enableDnsHostnames' | 'enableNetworkAddressUsageMetrics';
    },
    ctx,
  ) {
    const vpc = vpcOrThrow(ctx.network(), input.VpcId);
    if (input.Attribute === 'enableDnsSupport')
      return { VpcId: vpc.id, EnableDnsSupport: { Value: dnsSupport(vpc) } };
    if (input.Attribute === 'enableDnsHostnames')
      return { VpcId: vpc.id, EnableDnsHostnames: { Value: dnsHostnames(vpc) } };
    return {
      VpcId: vpc.id,
      EnableNetworkAddressUsageMetrics: { Value: vpc.enableNetworkAddressUsageMetrics ?? false },
    };
  },

  DescribeAddresses(input: { PublicIps?: string[]; AllocationIds?: string[]; Filters?: Filter[] }, ctx) {
    const net = ctx.network();
    let selected: AddressRec[] = [...net.addresses.values()];
    if (input.AllocationIds?.length)
      selected = byIds(net.addresses, input.AllocationIds, (id) =>
        notFound('InvalidAllocationID.NotFound', 'allocation', id),
      );
    if (input.PublicIps?.length) {
      for (const ip of input.PublicIps)
        if (!selected.some((a) => a.publicIp === ip))
          throw ec2Error('InvalidAddress.NotFound', `Address '${ip}' not found.`);
      selected = selected.filter((a) => input.PublicIps?.includes(a.publicIp));
    }
    const items = applyFilters(
      selected.map((a) => ({ ...a, id: a.allocationId })),
      input.Filters,
      {
        'allocation-id': (a) => a.allocationId,
        'association-id': (a) => a.associationId,
        domain: () => 'vpc',
        'instance-id': () => undefined,
        'network-border-group': () => ctx.region,
        'network-interface-id': (a) => a.networkInterfaceId,
        'network-interface-owner-id': (a) => (a.networkInterfaceId ? ctx.account : undefined),
        'private-ip-address': (a) => a.privateIp,
        'public-ip': (a) => a.publicIp,
      },
      (id) => net.tagsOf(id),
    );
    return {
      Addresses: items.map((a) => ({
        AllocationId: a.allocationId,
        PublicIp: a.publicIp,
        Domain: 'vpc',
        AssociationId: a.associationId,
        NetworkInterfaceId: a.networkInterfaceId,
        NetworkInterfaceOwnerId: a.networkInterfaceId ? ctx.account : undefined,
        PrivateIpAddress: a.privateIp,
        PublicIpv4Pool: 'amazon',
        NetworkBorderGroup: ctx.region,
        Tags: net.tagList(a.allocationId),
      })),
    };
  },
};
