import { describe, expect, it } from 'vitest';
import { awsCliEnv, run } from '../../helpers/aws-cli';
import { useEmulator } from '../../helpers/emulator';

const f = useEmulator();

// biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON output, read field by field
async function ec2(...args: string[]): Promise<any> {
  const { stdout } = await run(
    'aws',
    ['ec2', ...args, '--endpoint-url', f.emu.endpoint, '--output', 'json'],
    {
      env: awsCliEnv(),
    },
  );
  return stdout.trim() ? JSON.parse(stdout) : {};
}

/**
 * The seed's VPC tutorial with the real AWS CLI: AppStream 2.0 Administration Guide, "Configure a
 * new or existing VPC with private subnets and a NAT gateway" (one public subnet with a NAT
 * gateway, two private subnets in different Availability Zones for the fleet), done with the CLI
 * steps of the VPC User Guide ("VPC with public and private subnets (NAT)": create-vpc,
 * modify-vpc-attribute --enable-dns-hostnames, create-subnet, create-internet-gateway,
 * attach-internet-gateway, create-route-table, create-route, associate-route-table,
 * modify-subnet-attribute --map-public-ip-on-launch, allocate-address, create-nat-gateway).
 */
describe('Emulator: the VPC tutorial with the AWS CLI', () => {
  it('builds a VPC with a public subnet, two private subnets and a NAT gateway', {
    timeout: 120_000,
  }, async () => {
    const vpcId = (await ec2('create-vpc', '--cidr-block', '10.0.0.0/16')).Vpc.VpcId as string;
    await ec2('modify-vpc-attribute', '--vpc-id', vpcId, '--enable-dns-hostnames', '{"Value":true}');
    expect(
      (await ec2('describe-vpc-attribute', '--vpc-id', vpcId, '--attribute', 'enableDnsHostnames'))
        .EnableDnsHostnames,
    ).toEqual({ Value: true });
    const subnet = async (cidr: string, az: string) =>
      (await ec2('create-subnet', '--vpc-id', vpcId, '--cidr-block', cidr, '--availability-zone', az)).Subnet
        .SubnetId as string;
    const publicSubnet = await subnet('10.0.0.0/24', 'us-east-1a');
    const private1 = await subnet('10.0.1.0/24', 'us-east-1a');
    const private2 = await subnet('10.0.2.0/24', 'us-east-1b');
    const igw = (await ec2('create-internet-gateway')).InternetGateway.InternetGatewayId as string;
    await ec2('attach-internet-gateway', '--vpc-id', vpcId, '--internet-gateway-id', igw);
    const publicRt = (await ec2('create-route-table', '--vpc-id', vpcId)).RouteTable.RouteTableId as string;
    expect(
      (
        await ec2(
          'create-route',
          '--route-table-id',
          publicRt,
          '--destination-cidr-block',
          '0.0.0.0/0',
          '--gateway-id',
          igw,
        )
      ).Return,
    ).toBe(true);
    await ec2('associate-route-table', '--subnet-id', publicSubnet, '--route-table-id', publicRt);
    await ec2('modify-subnet-attribute', '--subnet-id', publicSubnet, '--map-public-ip-on-launch');
    const alloc = (await ec2('allocate-address', '--domain', 'vpc')).AllocationId as string;
    const nat = (await ec2('create-nat-gateway', '--subnet-id', publicSubnet, '--allocation-id', alloc))
      .NatGateway.NatGatewayId as string;
    f.emu.control.advance(61_000);
    expect((await ec2('describe-nat-gateways', '--nat-gateway-ids', nat)).NatGateways[0].State).toBe(
      'available',
    );
    const privateRt = (await ec2('create-route-table', '--vpc-id', vpcId)).RouteTable.RouteTableId as string;
    await ec2(
      'create-route',
      '--route-table-id',
      privateRt,
      '--destination-cidr-block',
      '0.0.0.0/0',
      '--nat-gateway-id',
      nat,
    );
    for (const s of [private1, private2])
      await ec2('associate-route-table', '--subnet-id', s, '--route-table-id', privateRt);

    // What the tutorial checks afterwards.
    const subnets = (await ec2('describe-subnets', '--filters', `Name=vpc-id,Values=${vpcId}`)).Subnets as {
      SubnetId: string;
      MapPublicIpOnLaunch: boolean;
    }[];
    expect(Object.fromEntries(subnets.map((s) => [s.SubnetId, s.MapPublicIpOnLaunch]))).toEqual({
      [publicSubnet]: true,
      [private1]: false,
      [private2]: false,
    });
    const addresses = (await ec2('describe-addresses', '--allocation-ids', alloc)).Addresses;
    expect(addresses[0]).toMatchObject({ AllocationId: alloc, Domain: 'vpc' });
    expect(addresses[0].AssociationId).toMatch(/^eipassoc-/);
    const routes = (await ec2('describe-route-tables', '--route-table-ids', privateRt)).RouteTables[0];
    expect(routes.Routes).toContainEqual(
      expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat, State: 'active' }),
    );
    expect(routes.Associations.map((a: { SubnetId: string }) => a.SubnetId).sort()).toEqual(
      [private1, private2].sort(),
    );
    await ec2('modify-subnet-attribute', '--subnet-id', publicSubnet, '--no-map-public-ip-on-launch');
    expect((await ec2('describe-subnets', '--subnet-ids', publicSubnet)).Subnets[0].MapPublicIpOnLaunch).toBe(
      false,
    );
  });
});
