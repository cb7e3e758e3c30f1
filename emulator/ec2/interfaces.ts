import type { QueryHandler } from '../query/context';
import { applyFilters, byIds, type Filter, invalidParameter, notFound, page } from './common';
import { type AzInfo, type EniRec, macOf } from './network';

export const interfaceHandlers: Record<string, QueryHandler> = {
  /** Network interfaces are created by AppStream resources and NAT gateways (Network.allocateEni / createEni). */
  DescribeNetworkInterfaces(
    input: { NetworkInterfaceIds?: string[]; Filters?: Filter[]; MaxResults?: number; NextToken?: string },
    ctx,
  ) {
    const net = ctx.network();
    const groupName = (id: string) => net.securityGroups.get(id)?.name;
    const fns = {
      'addresses.private-ip-address': (e: EniRec) => e.privateIp,
      'addresses.primary': () => true,
      'availability-zone': (e: EniRec) => e.az,
      description: (e: EniRec) => e.description,
      'group-id': (e: EniRec) => e.securityGroupIds,
      'group-name': (e: EniRec) => e.securityGroupIds.map(groupName),
      'interface-type': (e: EniRec) => e.interfaceType,
      'mac-address': (e: EniRec) => macOf(e.id),
      'network-interface-id': (e: EniRec) => e.id,
      'owner-id': () => ctx.account,
      'private-ip-address': (e: EniRec) => e.privateIp,
      'requester-managed': (e: EniRec) => e.requesterManaged,
      'source-dest-check': () => true,
      status: (e: EniRec) => e.status,
      'subnet-id': (e: EniRec) => e.subnetId,
      'vpc-id': (e: EniRec) => e.vpcId,
      // EC2 API Reference, DescribeNetworkInterfaces, Filters: the subset's interfaces have no
      // public association, instance attachment, IPv6 address or operator; those match nothing.
      'addresses.association.owner-id': () => undefined,
      'addresses.association.public-ip': () => undefined,
      'association.allocation-id': () => undefined,
      'association.association-id': () => undefined,
      'association.ip-owner-id': () => undefined,
      'association.public-dns-name': () => undefined,
      'association.public-ip': () => undefined,
      'attachment.attach-time': () => undefined,
      'attachment.attachment-id': () => undefined,
      'attachment.delete-on-termination': () => undefined,
      'attachment.device-index': () => undefined,
      'attachment.instance-id': () => undefined,
      'attachment.instance-owner-id': () => undefined,
      'attachment.status': () => undefined,
      'availability-zone-id': (e: EniRec) => net.subnets.get(e.subnetId)?.azId,
      'ipv6-addresses.ipv6-address': () => undefined,
      'operator.managed': () => false,
      'operator.principal': () => undefined,
      // EC2 private DNS names: ip-a-b-c-d.ec2.internal in us-east-1, .<region>.compute.internal elsewhere.
      'private-dns-name': (e: EniRec) =>
        `ip-${e.privateIp.replace(/\./g, '-')}.${ctx.region === 'us-east-1' ? 'ec2.internal' : `${ctx.region}.compute.internal`}`,
      'requester-id': (e: EniRec) => (e.requesterManaged ? 'AIDAEMULATORREQUESTER' : undefined),
    };
    const selected = byIds(net.enis, input.NetworkInterfaceIds, (id) =>
      notFound('InvalidNetworkInterfaceID.NotFound', 'network interface', id),
    );
    const { items, NextToken } = page(
      applyFilters(selected, input.Filters, fns, (id) => net.tagsOf(id)),
      input,
    );
    return {
      NetworkInterfaces: items.map((e) => ({
        NetworkInterfaceId: e.id,
        SubnetId: e.subnetId,
        VpcId: e.vpcId,
        AvailabilityZone: e.az,
        Description: e.description,
        Groups: e.securityGroupIds.map((id) => ({ GroupId: id, GroupName: groupName(id) })),
        InterfaceType: e.interfaceType,
        MacAddress: macOf(e.id),
        OwnerId: ctx.account,
        PrivateIpAddress: e.privateIp,
        PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: e.privateIp }],
        Ipv6Addresses: [],
        RequesterId: e.requesterManaged ? 'AROAEMULATORAPPSTREAM' : undefined,
        RequesterManaged: e.requesterManaged,
        SourceDestCheck: true,
        Status: e.status,
        TagSet: net.tagList(e.id) ?? [],
      })),
      NextToken,
    };
  },

  DescribeAvailabilityZones(input: { ZoneNames?: string[]; ZoneIds?: string[]; Filters?: Filter[] }, ctx) {
    const net = ctx.network();
    let zones = net.zones.map((z) => ({ ...z }));
    for (const name of input.ZoneNames ?? [])
      if (!zones.some((z) => z.name === name)) throw invalidParameter(`Invalid availability zone: [${name}]`);
    for (const id of input.ZoneIds ?? [])
      if (!zones.some((z) => z.id === id)) throw invalidParameter(`Invalid availability zone: [${id}]`);
    if (input.ZoneNames?.length || input.ZoneIds?.length)
      zones = zones.filter((z) => input.ZoneNames?.includes(z.name) || input.ZoneIds?.includes(z.id));
    const fns = {
      'group-name': () => ctx.region,
      'group-long-name': () => ctx.region,
      'parent-zone-id': () => undefined,
      'parent-zone-name': () => undefined,
      message: () => undefined,
      'opt-in-status': () => 'opt-in-not-required',
      'region-name': () => ctx.region,
      state: () => 'available',
      'zone-id': (z: AzInfo) => z.id,
      'zone-name': (z: AzInfo) => z.name,
      'zone-type': () => 'availability-zone',
    };
    const matched = applyFilters(
      zones.map((z) => ({ ...z, id: z.id })),
      input.Filters,
      fns,
      () => ({}),
    );
    return {
      AvailabilityZones: matched.map((z) => ({
        ZoneName: z.name,
        ZoneId: z.id,
        State: 'available',
        OptInStatus: 'opt-in-not-required',
        RegionName: ctx.region,
        GroupName: ctx.region,
        GroupLongName: ctx.region,
        NetworkBorderGroup: ctx.region,
        ZoneType: 'availability-zone',
        Messages: [],
      })),
    };
  },
};
