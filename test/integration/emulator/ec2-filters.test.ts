import { describe, expect, it } from 'vitest';
import { useEmulator } from '../../helpers/emulator';
import { rawQuery } from '../../helpers/query';

const t = useEmulator();

/**
 * The filter names the EC2 API Reference documents for each Describe call of the subset (the
 * `Filters` member of each request; `tag:<key>` stands for `tag`). Every one is accepted; an
 * undocumented name is refused as EC2 refuses it.
 */
const DOCUMENTED: Record<string, string[]> = {
  DescribeVpcs: [
    'cidr',
    'cidr-block-association.cidr-block',
    'cidr-block-association.association-id',
    'cidr-block-association.state',
    'dhcp-options-id',
    'ipv6-cidr-block-association.ipv6-cidr-block',
    'ipv6-cidr-block-association.ipv6-pool',
    'ipv6-cidr-block-association.association-id',
    'ipv6-cidr-block-association.state',
    'is-default',
    'owner-id',
    'state',
    'tag:Name',
    'tag-key',
    'vpc-id',
  ],
  DescribeSubnets: [
    'availability-zone',
    'availability-zone-id',
    'available-ip-address-count',
    'cidr-block',
    'customer-owned-ipv4-pool',
    'default-for-az',
    'enable-dns64',
    'enable-lni-at-device-index',
    'ipv6-cidr-block-association.ipv6-cidr-block',
    'ipv6-cidr-block-association.association-id',
    'ipv6-cidr-block-association.state',
    'ipv6-native',
    'map-customer-owned-ip-on-launch',
    'map-public-ip-on-launch',
    'outpost-arn',
    'owner-id',
    'private-dns-name-options-on-launch.hostname-type',
    'private-dns-name-options-on-launch.enable-resource-name-dns-a-record',
    'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record',
    'state',
    'subnet-arn',
    'subnet-id',
    'tag:Name',
    'tag-key',
    'vpc-id',
  ],
  DescribeSecurityGroups: [
    'description',
    'egress.ip-permission.cidr',
    'egress.ip-permission.from-port',
    'egress.ip-permission.group-id',
    'egress.ip-permission.group-name',
    'egress.ip-permission.ipv6-cidr',
    'egress.ip-permission.prefix-list-id',
    'egress.ip-permission.protocol',
    'egress.ip-permission.to-port',
    'egress.ip-permission.user-id',
    'group-id',
    'group-name',
    'ip-permission.cidr',
    'ip-permission.from-port',
    'ip-permission.group-id',
    'ip-permission.group-name',
    'ip-permission.ipv6-cidr',
    'ip-permission.prefix-list-id',
    'ip-permission.protocol',
    'ip-permission.to-port',
    'ip-permission.user-id',
    'owner-id',
    'tag:Name',
    'tag-key',
    'vpc-id',
  ],
  DescribeRouteTables: [
    'association.gateway-id',
    'association.route-table-association-id',
    'association.route-table-id',
    'association.subnet-id',
    'association.main',
    'owner-id',
    'route-table-id',
    'route.destination-cidr-block',
    'route.destination-ipv6-cidr-block',
    'route.destination-prefix-list-id',
    'route.egress-only-internet-gateway-id',
    'route.gateway-id',
    'route.instance-id',
    'route.nat-gateway-id',
    'route.transit-gateway-id',
    'route.origin',
    'route.state',
    'route.vpc-peering-connection-id',
    'tag:Name',
    'tag-key',
    'vpc-id',
  ],
  DescribeNatGateways: ['nat-gateway-id', 'state', 'subnet-id', 'tag:Name', 'tag-key', 'vpc-id'],
  DescribeInternetGateways: [
    'attachment.state',
    'attachment.vpc-id',
    'internet-gateway-id',
    'owner-id',
    'tag:Name',
    'tag-key',
  ],
  DescribeVpcEndpoints: [
    'ip-address-type',
    'service-name',
    'service-region',
    'tag:Name',
    'tag-key',
    'vpc-id',
    'vpc-endpoint-id',
    'vpc-endpoint-state',
    'vpc-endpoint-type',
  ],
  DescribeNetworkInterfaces: [
    'association.allocation-id',
    'association.association-id',
    'addresses.association.owner-id',
    'addresses.association.public-ip',
    'addresses.primary',
    'addresses.private-ip-address',
    'association.ip-owner-id',
    'association.public-ip',
    'association.public-dns-name',
    'attachment.attach-time',
    'attachment.attachment-id',
    'attachment.delete-on-termination',
    'attachment.device-index',
    'attachment.instance-id',
    'attachment.instance-owner-id',
    'attachment.status',
    'availability-zone',
    'availability-zone-id',
    'description',
    'group-id',
    'ipv6-addresses.ipv6-address',
    'interface-type',
    'mac-address',
    'network-interface-id',
    'operator.managed',
    'operator.principal',
    'owner-id',
    'private-dns-name',
    'private-ip-address',
    'requester-id',
    'requester-managed',
    'source-dest-check',
    'status',
    'subnet-id',
    'tag:Name',
    'tag-key',
    'vpc-id',
  ],
  DescribeAvailabilityZones: [
    'group-long-name',
    'group-name',
    'message',
    'opt-in-status',
    'parent-zone-id',
    'parent-zone-name',
    'region-name',
    'state',
    'zone-id',
    'zone-name',
    'zone-type',
  ],
  DescribeAddresses: [
    'allocation-id',
    'association-id',
    'instance-id',
    'network-border-group',
    'network-interface-id',
    'network-interface-owner-id',
    'private-ip-address',
    'public-ip',
    'tag:Name',
    'tag-key',
  ],
  DescribeTags: ['key', 'resource-id', 'resource-type', 'tag:Name', 'value'],
};

describe('Emulator: EC2 Describe* filters', () => {
  for (const [action, names] of Object.entries(DOCUMENTED))
    it(`accepts every filter the EC2 API Reference documents for ${action}`, async () => {
      const refused: string[] = [];
      for (const name of names) {
        const res = await rawQuery(t.emu.endpoint, {
          Action: action,
          Version: '2016-11-15',
          'Filter.1.Name': name,
          'Filter.1.Value.1': '*',
        });
        if (res.status !== 200) refused.push(`${name}: ${res.status} ${res.text.slice(0, 200)}`);
      }
      expect(refused).toEqual([]);
    });

  it('refuses an undocumented filter name with InvalidParameterValue', async () => {
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'DescribeSubnets',
      Version: '2016-11-15',
      'Filter.1.Name': 'no-such-filter',
      'Filter.1.Value.1': 'x',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<Code>InvalidParameterValue</Code>');
    expect(res.text).toContain("The filter 'no-such-filter' is invalid");
  });

  it('filters subnets by the attributes ModifySubnetAttribute sets', async () => {
    const list = await rawQuery(t.emu.endpoint, { Action: 'DescribeSubnets', Version: '2016-11-15' });
    const id = /<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/.exec(list.text)?.[1] as string;
    const mod = await rawQuery(t.emu.endpoint, {
      Action: 'ModifySubnetAttribute',
      Version: '2016-11-15',
      SubnetId: id,
      'EnableDns64.Value': 'true',
    });
    expect(mod.status).toBe(200);
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'DescribeSubnets',
      Version: '2016-11-15',
      'Filter.1.Name': 'enable-dns64',
      'Filter.1.Value.1': 'true',
    });
    expect([...res.text.matchAll(/<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/g)].map((m) => m[1])).toEqual([
      id,
    ]);
    const none = await rawQuery(t.emu.endpoint, {
      Action: 'DescribeSubnets',
      Version: '2016-11-15',
      'Filter.1.Name': 'outpost-arn',
      'Filter.1.Value.1': '*',
    });
    expect(none.text).not.toContain('<subnetId>');
  });
});
