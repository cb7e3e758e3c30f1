import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  type EC2Client,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../../helpers/emulator';
import { errorOf, queryClients } from '../../helpers/query';

const t = useEmulator();
const clients = queryClients(t);

async function vpc(ec2: EC2Client, cidr = '10.0.0.0/16') {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  return Vpc?.VpcId as string;
}

describe('Emulator: EC2 security groups', () => {
  it('gives each VPC a default group that cannot be deleted', async () => {
    const ec2 = clients.ec2();
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
    expect(SecurityGroups).toHaveLength(1);
    const sg = SecurityGroups?.[0];
    expect(sg).toMatchObject({ GroupName: 'default', Description: 'default VPC security group' });
    expect(sg?.IpPermissionsEgress?.[0]).toMatchObject({
      IpProtocol: '-1',
      IpRanges: [{ CidrIp: '0.0.0.0/0' }],
    });
    const e = await errorOf(ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg?.GroupId })));
    expect(e).toMatchObject({
      name: 'CannotDelete',
      message: `the specified group: "${sg?.GroupId}" name: "default" cannot be deleted by a user`,
    });
  });

  it('creates groups, refuses duplicates and reserved names, filters and deletes them', async () => {
    const ec2 = clients.ec2();
    const vpcId = await vpc(ec2);
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web tier', VpcId: vpcId }),
    );
    expect(GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
    const dup = await errorOf(
      ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'again', VpcId: vpcId })),
    );
    expect(dup).toMatchObject({
      name: 'InvalidGroup.Duplicate',
      message: `The security group 'web' already exists for VPC '${vpcId}'`,
    });
    expect(
      (await errorOf(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sg-1', Description: 'x' })))).name,
    ).toBe('InvalidParameterValue');
    // The same name in another VPC (here the default one, VpcId omitted) is fine.
    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'default-vpc web' }));
    const byVpc = await ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: ['w*'] },
        ],
      }),
    );
    expect(byVpc.SecurityGroups?.map((g) => g.GroupId)).toEqual([GroupId]);
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId }));
    const gone = await errorOf(
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId as string] })),
    );
    expect(gone).toMatchObject({
      name: 'InvalidGroup.NotFound',
      message: `The security group '${GroupId}' does not exist`,
    });
    await ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'web' }));
  });

  it('refuses to delete a group in use by a network interface (DependencyViolation)', async () => {
    const ec2 = clients.ec2();
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: 'fleet', Description: 'fleet' }),
    );
    const net = t.emu.world.network('123456789012', 'us-east-1');
    net.allocateEni({
      subnetIds: net.defaultSubnetIds(),
      securityGroupIds: [GroupId as string],
      owner: 'fleet/f1',
      description: 'AppStream 2.0 fleet f1',
    });
    const e = await errorOf(ec2.send(new DeleteSecurityGroupCommand({ GroupId })));
    expect(e).toMatchObject({
      name: 'DependencyViolation',
      message: `resource ${GroupId} has a dependent object`,
    });
  });
});

describe('Emulator: EC2 network interfaces', () => {
  it('lists AppStream interfaces as requester-managed and filters them', async () => {
    const ec2 = clients.ec2();
    const net = t.emu.world.network('123456789012', 'us-east-1');
    const subnets = net.defaultSubnetIds();
    const eni = net.allocateEni({
      subnetIds: subnets,
      owner: 'image-builder/b1',
      description: 'AppStream 2.0 image builder b1',
    });
    if (typeof eni === 'string') throw new Error(eni);
    expect(eni.privateIp).toBe('172.31.0.4');
    const { NetworkInterfaces } = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: 'requester-managed', Values: ['true'] },
          { Name: 'subnet-id', Values: [subnets[0]] },
        ],
      }),
    );
    expect(NetworkInterfaces).toHaveLength(1);
    expect(NetworkInterfaces?.[0]).toMatchObject({
      NetworkInterfaceId: eni.id,
      Description: 'AppStream 2.0 image builder b1',
      PrivateIpAddress: '172.31.0.4',
      RequesterManaged: true,
      Status: 'in-use',
      VpcId: eni.vpcId,
      Groups: [{ GroupName: 'default' }],
    });
    const byDesc = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: ['*builder*'] }] }),
    );
    expect(byDesc.NetworkInterfaces).toHaveLength(1);
    const missing = await errorOf(
      ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0123456789abcdef0'] })),
    );
    expect(missing.name).toBe('InvalidNetworkInterfaceID.NotFound');
  });

  it('runs a /28 subnet out of addresses after 11 interfaces', async () => {
    const ec2 = clients.ec2();
    const vpcId = await vpc(ec2);
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/28' }));
    const net = t.emu.world.network('123456789012', 'us-east-1');
    const got = Array.from({ length: 12 }, () =>
      net.allocateEni({
        subnetIds: [Subnet?.SubnetId as string],
        owner: 'fleet/f',
        description: 'AppStream 2.0 fleet f',
      }),
    );
    expect(got.filter((g) => typeof g === 'object')).toHaveLength(11);
    expect(got[11]).toBe('SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES');
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({ SubnetIds: [Subnet?.SubnetId as string] }),
    );
    expect(Subnets?.[0].AvailableIpAddressCount).toBe(0);
    expect(net.allocateEni({ subnetIds: ['subnet-0123456789abcdef0'], owner: 'x', description: 'x' })).toBe(
      'SUBNET_NOT_FOUND',
    );
    expect(
      net.allocateEni({
        subnetIds: net.defaultSubnetIds(),
        securityGroupIds: ['sg-0123456789abcdef0'],
        owner: 'x',
        description: 'x',
      }),
    ).toBe('SECURITY_GROUPS_NOT_FOUND');
    expect(net.releaseEnis('fleet/f', 3)).toBe(3);
    expect(net.freeIps(Subnet?.SubnetId as string)).toBe(3);
  });
});

describe('Emulator: EC2 route tables and internet gateways', () => {
  it('creates a route table with a local route, routes to an attached gateway, associates and cleans up', async () => {
    const ec2 = clients.ec2();
    const vpcId = await vpc(ec2);
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' }));
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const rtb = RouteTable?.RouteTableId as string;
    expect(RouteTable?.Routes).toEqual([
      {
        DestinationCidrBlock: '10.0.0.0/16',
        GatewayId: 'local',
        Origin: 'CreateRouteTable',
        State: 'active',
      },
    ]);
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    const igw = InternetGateway?.InternetGatewayId as string;
    const detached = await errorOf(
      ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }),
      ),
    );
    expect(detached.name).toBe('InvalidParameterValue');
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const again = await errorOf(
      ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId })),
    );
    expect(again.name).toBe('Resource.AlreadyAssociated');
    expect(
      (
        await ec2.send(
          new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }),
        )
      ).Return,
    ).toBe(true);
    const dup = await errorOf(
      ec2.send(
        new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }),
      ),
    );
    expect(dup).toMatchObject({
      name: 'RouteAlreadyExists',
      message: 'The route identified by 0.0.0.0/0 already exists.',
    });
    const noTarget = await errorOf(
      ec2.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '1.0.0.0/8' })),
    );
    expect(noTarget.name).toBe('MissingParameter');
    const { AssociationId } = await ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: Subnet?.SubnetId }),
    );
    const twice = await errorOf(
      ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: Subnet?.SubnetId })),
    );
    expect(twice.name).toBe('Resource.AlreadyAssociated');
    const byAssoc = await ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'association.subnet-id', Values: [Subnet?.SubnetId as string] }],
      }),
    );
    expect(byAssoc.RouteTables?.map((r) => r.RouteTableId)).toEqual([rtb]);
    const inUse = await errorOf(ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb })));
    expect(inUse).toMatchObject({
      name: 'DependencyViolation',
      message: `The routeTable '${rtb}' has dependencies and cannot be deleted.`,
    });
    const igwBusy = await errorOf(ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw })));
    expect(igwBusy.name).toBe('DependencyViolation');
    expect((await errorOf(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).name).toBe(
      'DependencyViolation',
    );
    // Detaching the gateway leaves its route a blackhole.
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const after = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }));
    expect(after.RouteTables?.[0].Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.State).toBe(
      'blackhole',
    );
    await ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' }));
    const local = await errorOf(
      ec2.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '10.0.0.0/16' })),
    );
    expect(local.name).toBe('InvalidParameterValue');
    await ec2.send(new DisassociateRouteTableCommand({ AssociationId }));
    await ec2.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet?.SubnetId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    const notFound = await errorOf(ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] })));
    expect(notFound).toMatchObject({
      name: 'InvalidRouteTableID.NotFound',
      message: `The routeTable ID '${rtb}' does not exist`,
    });
  });

  it('refuses to delete the main route table and to disassociate its main association', async () => {
    const ec2 = clients.ec2();
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.main', Values: ['true'] }] }),
    );
    expect(RouteTables).toHaveLength(1);
    const main = RouteTables?.[0];
    expect(main?.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId?.slice(0, 4)])).toEqual([
      ['172.31.0.0/16', 'loca'],
      ['0.0.0.0/0', 'igw-'],
    ]);
    expect(
      (await errorOf(ec2.send(new DeleteRouteTableCommand({ RouteTableId: main?.RouteTableId })))).name,
    ).toBe('DependencyViolation');
    const assoc = main?.Associations?.[0].RouteTableAssociationId;
    expect((await errorOf(ec2.send(new DisassociateRouteTableCommand({ AssociationId: assoc })))).name).toBe(
      'InvalidParameterValue',
    );
    const igws = await ec2.send(
      new DescribeInternetGatewaysCommand({
        Filters: [{ Name: 'attachment.vpc-id', Values: [main?.VpcId as string] }],
      }),
    );
    expect(igws.InternetGateways?.[0].Attachments).toEqual([{ VpcId: main?.VpcId, State: 'available' }]);
  });
});

describe('Emulator: EC2 NAT gateways, Elastic IPs and VPC endpoints', () => {
  it('creates a NAT gateway on an Elastic IP: pending, then available on the virtual clock; deleting frees the address', async () => {
    const ec2 = clients.ec2();
    const vpcId = await vpc(ec2);
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' }));
    const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
    const igwId = InternetGateway?.InternetGatewayId as string;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    const { AllocationId, PublicIp } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: Subnet?.SubnetId, AllocationId }),
    );
    expect(NatGateway).toMatchObject({
      State: 'pending',
      SubnetId: Subnet?.SubnetId,
      VpcId: vpcId,
      ConnectivityType: 'public',
    });
    expect(NatGateway?.NatGatewayAddresses?.[0]).toMatchObject({
      AllocationId,
      PublicIp,
      PrivateIp: '10.0.0.4',
    });
    expect(NatGateway?.CreateTime).toBeInstanceOf(Date);
    // An Elastic IP already associated: accepted, then `failed` (NatGateway.FailureCode).
    const reused = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: Subnet?.SubnetId, AllocationId })))
      .NatGateway?.NatGatewayId as string;
    const inUse = await errorOf(ec2.send(new ReleaseAddressCommand({ AllocationId })));
    expect(inUse.name).toBe('InvalidIPAddress.InUse');
    // Its interface takes an address in the subnet.
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({ SubnetIds: [Subnet?.SubnetId as string] }),
    );
    expect(Subnets?.[0].AvailableIpAddressCount).toBe(250);
    t.emu.control.advance(61_000);
    const id = NatGateway?.NatGatewayId as string;
    const described = await ec2.send(
      new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['available'] }] }),
    );
    expect(described.NatGateways?.map((n) => n.NatGatewayId)).toEqual([id]);
    const failed = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [reused] })))
      .NatGateways?.[0];
    expect(failed).toMatchObject({
      State: 'failed',
      FailureCode: 'Resource.AlreadyAssociated',
      FailureMessage: `Elastic IP address ${AllocationId} is already associated`,
    });
    expect(failed?.NatGatewayAddresses?.[0].NetworkInterfaceId).toBeUndefined();
    expect((await errorOf(ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet?.SubnetId })))).name).toBe(
      'DependencyViolation',
    );
    expect((await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }))).NatGatewayId).toBe(id);
    expect(
      (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0].State,
    ).toBe('deleting');
    t.emu.control.advance(61_000);
    expect(
      (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0].State,
    ).toBe('deleted');
    await ec2.send(new ReleaseAddressCommand({ AllocationId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet?.SubnetId }));
    expect((await errorOf(ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id })))).name).toBe(
      'NatGatewayNotFound',
    );
  });

  it('fails a public NAT gateway in a VPC without an attached internet gateway (Gateway.NotAttached)', async () => {
    const ec2 = clients.ec2();
    const vpcId = await vpc(ec2, '10.9.0.0/16');
    const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.9.0.0/24' }));
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: Subnet?.SubnetId, AllocationId }),
    );
    expect(NatGateway?.State).toBe('pending');
    t.emu.control.advance(61_000);
    const id = NatGateway?.NatGatewayId as string;
    const [nat] = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways ?? [];
    expect(nat).toMatchObject({
      State: 'failed',
      FailureCode: 'Gateway.NotAttached',
      FailureMessage: `Network ${vpcId} has no Internet gateway attached`,
    });
    // It holds no interface and no address: the subnet keeps all 251 addresses, the EIP is free.
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({ SubnetIds: [Subnet?.SubnetId as string] }),
    );
    expect(Subnets?.[0].AvailableIpAddressCount).toBe(251);
    await ec2.send(new ReleaseAddressCommand({ AllocationId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet?.SubnetId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
  });

  it('creates an S3 gateway endpoint that adds a prefix-list route to its route tables, and removes it on delete', async () => {
    const ec2 = clients.ec2();
    const vpcId = await vpc(ec2);
    const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const rtb = RouteTable?.RouteTableId as string;
    const { VpcEndpoint } = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: 'com.amazonaws.us-east-1.s3',
        RouteTableIds: [rtb],
      }),
    );
    expect(VpcEndpoint).toMatchObject({
      VpcEndpointType: 'Gateway',
      State: 'available',
      RouteTableIds: [rtb],
      ServiceName: 'com.amazonaws.us-east-1.s3',
    });
    expect(JSON.parse(VpcEndpoint?.PolicyDocument as string).Statement[0].Effect).toBe('Allow');
    const routes = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables?.[0]
      .Routes;
    expect(routes?.[1]).toMatchObject({ GatewayId: VpcEndpoint?.VpcEndpointId, State: 'active' });
    expect(routes?.[1].DestinationPrefixListId).toMatch(/^pl-[0-9a-f]{8}$/);
    const second = await errorOf(
      ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: 'com.amazonaws.us-east-1.s3',
          RouteTableIds: [rtb],
        }),
      ),
    );
    expect(second.name).toBe('RouteAlreadyExists');
    const unknown = await errorOf(
      ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.nope' })),
    );
    expect(unknown).toMatchObject({
      name: 'InvalidServiceName',
      message: "The Vpc Endpoint Service 'com.amazonaws.us-east-1.nope' does not exist",
    });
    const filtered = await ec2.send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'vpc-endpoint-type', Values: ['Gateway'] },
          { Name: 'service-name', Values: ['*.s3'] },
        ],
      }),
    );
    expect(filtered.VpcEndpoints?.map((e) => e.VpcEndpointId)).toEqual([VpcEndpoint?.VpcEndpointId]);
    expect((await errorOf(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })))).name).toBe(
      'DependencyViolation',
    );
    const { Unsuccessful } = await ec2.send(
      new DeleteVpcEndpointsCommand({
        VpcEndpointIds: [VpcEndpoint?.VpcEndpointId as string, 'vpce-0123456789abcdef0'],
      }),
    );
    expect(Unsuccessful).toEqual([
      {
        ResourceId: 'vpce-0123456789abcdef0',
        Error: {
          Code: 'InvalidVpcEndpoint.NotFound',
          Message: "The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist",
        },
      },
    ]);
    const after = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables?.[0]
      .Routes;
    expect(after).toHaveLength(1);
  });
});

describe("Emulator: the seed guide's VPC tutorial", () => {
  it('builds a VPC with a public subnet, two private subnets, a NAT gateway and an S3 endpoint', async () => {
    const ec2 = clients.ec2();
    const tag = (
      ResourceType: 'vpc' | 'subnet' | 'route-table' | 'internet-gateway' | 'natgateway',
      Value: string,
    ) => [{ ResourceType, Tags: [{ Key: 'Name', Value }] }];
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tag('vpc', 'appstream-vpc') }),
    );
    const vpcId = Vpc?.VpcId as string;
    const subnet = async (cidr: string, az: string, name: string) =>
      (
        await ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: cidr,
            AvailabilityZone: az,
            TagSpecifications: tag('subnet', name),
          }),
        )
      ).Subnet?.SubnetId as string;
    const publicSubnet = await subnet('10.0.0.0/24', 'us-east-1a', 'public');
    const private1 = await subnet('10.0.1.0/24', 'us-east-1a', 'private-1');
    const private2 = await subnet('10.0.2.0/24', 'us-east-1b', 'private-2');
    // Internet gateway and the public route table.
    const igw = (
      await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tag('internet-gateway', 'igw') }))
    ).InternetGateway?.InternetGatewayId as string;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const publicRtb = (
      await ec2.send(
        new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tag('route-table', 'public') }),
      )
    ).RouteTable?.RouteTableId as string;
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: publicRtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }),
    );
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicRtb, SubnetId: publicSubnet }));
    // Elastic IP + NAT gateway in the public subnet; private route table through it.
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const nat = (
      await ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: publicSubnet,
          AllocationId,
          TagSpecifications: tag('natgateway', 'nat'),
        }),
      )
    ).NatGateway?.NatGatewayId as string;
    const privateRtb = (
      await ec2.send(
        new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tag('route-table', 'private') }),
      )
    ).RouteTable?.RouteTableId as string;
    await ec2.send(
      new CreateRouteCommand({
        RouteTableId: privateRtb,
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: nat,
      }),
    );
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privateRtb, SubnetId: private1 }));
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privateRtb, SubnetId: private2 }));
    // S3 gateway endpoint on the private route table.
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: 'com.amazonaws.us-east-1.s3',
        RouteTableIds: [privateRtb],
      }),
    );

    t.emu.control.advance(5 * 60_000);
    const { RouteTables } = await ec2.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    const table = (name: string) => RouteTables?.find((r) => r.Tags?.some((x) => x.Value === name));
    expect(table('public')?.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId, r.State])).toEqual([
      ['10.0.0.0/16', 'local', 'active'],
      ['0.0.0.0/0', igw, 'active'],
    ]);
    expect(table('public')?.Associations?.map((a) => a.SubnetId)).toEqual([publicSubnet]);
    const privateRoutes = table('private')?.Routes ?? [];
    expect(privateRoutes.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')).toMatchObject({
      NatGatewayId: nat,
      State: 'active',
    });
    expect(privateRoutes.some((r) => r.DestinationPrefixListId?.startsWith('pl-'))).toBe(true);
    expect(
      table('private')
        ?.Associations?.map((a) => a.SubnetId)
        .sort(),
    ).toEqual([private1, private2].sort());
    const nats = await ec2.send(
      new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    expect(nats.NatGateways?.map((n) => [n.NatGatewayId, n.State, n.SubnetId])).toEqual([
      [nat, 'available', publicSubnet],
    ]);
    const privates = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Name', Values: ['private-*'] }] }),
    );
    expect(privates.Subnets?.map((s) => s.AvailabilityZone)).toEqual(['us-east-1a', 'us-east-1b']);
    expect(
      (
        await ec2.send(
          new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['appstream-vpc'] }] }),
        )
      ).Vpcs,
    ).toHaveLength(1);
  });
});
