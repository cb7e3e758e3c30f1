import {
  type AppStreamClient,
  AssociateFleetCommand,
  DeleteImageBuilderCommand,
  DescribeFleetsCommand,
  DescribeImageBuildersCommand,
  StartFleetCommand,
  StopFleetCommand,
  StopImageBuilderCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { createBuilder, createFleet, createStack } from '../../helpers/builders';
import { ACCOUNT, MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

/** The account's network, after the lifecycle transitions due by now (they apply lazily, on a request). */
const network = () => {
  f.emu.control.world.settle('us-east-1');
  return f.emu.control.world.network(ACCOUNT, 'us-east-1');
};

/** A VPC 10.0.0.0/16 with one subnet of `cidr` (a /28 has 16 − 5 reserved = 11 usable addresses). */
function smallSubnet(cidr = '10.0.0.0/28') {
  const net = network();
  const vpc = net.addVpc('10.0.0.0/16');
  const subnet = net.addSubnet({ vpcId: vpc.id, cidr, az: net.zones[0] });
  const sg = net.addSecurityGroup(vpc.id, 'streaming', 'AppStream instances');
  return { net, vpcId: vpc.id, subnetId: subnet.id, sgId: sg.id };
}

const fleet = async (client: AppStreamClient, name = 'f1') =>
  (await client.send(new DescribeFleetsCommand({ Names: [name] }))).Fleets![0];
const builder = async (client: AppStreamClient, name = 'b1') =>
  (await client.send(new DescribeImageBuildersCommand({ Names: [name] }))).ImageBuilders![0];

describe('Emulator: fleets in the network', () => {
  it('runs only as many instances as a /28 subnet has addresses: 11 of 20, with SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES', async () => {
    const client = f.client();
    const { net, subnetId, sgId } = smallSubnet();
    expect(net.freeIps(subnetId)).toBe(11);
    f.emu.control.setQuotas({ streamingInstances: 50 });
    await createFleet(client, 'f1', {
      ComputeCapacity: { DesiredInstances: 20 },
      VpcConfig: { SubnetIds: [subnetId], SecurityGroupIds: [sgId] },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(15 * MIN);
    const out = await fleet(client);
    expect(out.State).toBe('RUNNING');
    expect(out.ComputeCapacityStatus).toMatchObject({ Desired: 20, Running: 11, Available: 11 });
    expect(out.FleetErrors).toEqual([
      expect.objectContaining({ ErrorCode: 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES' }),
    ]);
    expect(net.freeIps(subnetId)).toBe(0);
    const enis = net.enisOf('fleet/f1');
    expect(enis).toHaveLength(11);
    expect(enis[0]).toMatchObject({
      subnetId,
      securityGroupIds: [sgId],
      description: 'AppStream 2.0 fleet f1',
    });

    // Stopping the fleet releases its interfaces.
    await client.send(new StopFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(5 * MIN);
    expect(network().freeIps(subnetId)).toBe(11);
    expect(net.enisOf('fleet/f1')).toEqual([]);
  });

  it('holds as many interfaces as its desired capacity, spread over its subnets, and takes more as it grows', async () => {
    const client = f.client();
    const net = network();
    const subnets = net.defaultSubnetIds();
    const free = subnets.map((s) => net.freeIps(s));
    await createFleet(client, 'f1', { ComputeCapacity: { DesiredInstances: 3 } });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    // A fleet without VpcConfig launches into the default VPC's default subnets, one interface per instance.
    expect(subnets.map((s) => net.freeIps(s))).toEqual(free.map((n) => n - 1));
    f.emu.control.advance(15 * MIN);
    await client.send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 5 } }));
    expect(net.enisOf('fleet/f1')).toHaveLength(5);
    // Shrinking releases the surplus (interfaces follow the maximum desired capacity; no users are on).
    await client.send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 1 } }));
    expect(net.enisOf('fleet/f1')).toHaveLength(1);
  });

  it('fails to start (STOPPED with FleetErrors) when its subnet or security group does not exist', async () => {
    const client = f.client();
    const { subnetId } = smallSubnet();
    await createFleet(client, 'f1', { VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0'] } });
    await createFleet(client, 'f2', {
      VpcConfig: { SubnetIds: [subnetId], SecurityGroupIds: ['sg-0123456789abcdef0'] },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    await client.send(new StartFleetCommand({ Name: 'f2' }));
    f.emu.control.advance(15 * MIN);
    expect(await fleet(client, 'f1')).toMatchObject({
      State: 'STOPPED',
      FleetErrors: [expect.objectContaining({ ErrorCode: 'SUBNET_NOT_FOUND' })],
    });
    expect(await fleet(client, 'f2')).toMatchObject({
      State: 'STOPPED',
      FleetErrors: [expect.objectContaining({ ErrorCode: 'SECURITY_GROUPS_NOT_FOUND' })],
    });
    expect(network().enisOf('fleet/f2')).toEqual([]);
  });
});

describe('Emulator: image builders in the network', () => {
  it('holds one interface while it runs, shows it in NetworkAccessConfiguration and releases it when stopped', async () => {
    const client = f.client();
    const { net, subnetId } = smallSubnet();
    await createBuilder(client, 'b1', { VpcConfig: { SubnetIds: [subnetId] } });
    expect(net.freeIps(subnetId)).toBe(10);
    f.emu.control.advance(13 * MIN);
    const [eni] = net.enisOf('image-builder/b1');
    expect(eni).toMatchObject({ subnetId, description: 'AppStream 2.0 image builder b1' });
    expect((await builder(client)).NetworkAccessConfiguration).toEqual({
      EniId: eni.id,
      EniPrivateIpAddress: eni.privateIp,
    });
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    f.emu.control.advance(4 * MIN);
    expect(network().freeIps(subnetId)).toBe(11);
    expect((await builder(client)).NetworkAccessConfiguration).toBeUndefined();
  });

  it('uses a default subnet of the default VPC without VpcConfig and gives its address back when deleted', async () => {
    const client = f.client();
    const net = network();
    const [first] = net.defaultSubnetIds();
    const before = net.freeIps(first);
    await createBuilder(client, 'b1');
    expect(net.freeIps(first)).toBe(before - 1);
    f.emu.control.advance(13 * MIN);
    await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
    f.emu.control.advance(4 * MIN);
    await client.send(new DeleteImageBuilderCommand({ Name: 'b1' }));
    f.emu.control.advance(2 * MIN);
    expect(network().freeIps(first)).toBe(before);
  });

  it('fails to launch (FAILED, ImageBuilderErrors) when its subnet is missing or has no free address', async () => {
    const client = f.client();
    const { net, subnetId } = smallSubnet();
    f.emu.control.setQuotas({ streamingInstances: 50 });
    // Fill the /28 with a fleet's interfaces.
    await createFleet(client, 'f1', {
      ComputeCapacity: { DesiredInstances: 11 },
      VpcConfig: { SubnetIds: [subnetId] },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    expect(net.freeIps(subnetId)).toBe(0);
    await createBuilder(client, 'full', { VpcConfig: { SubnetIds: [subnetId] } });
    await createBuilder(client, 'gone', { VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0'] } });
    f.emu.control.advance(13 * MIN);
    expect(await builder(client, 'full')).toMatchObject({
      State: 'FAILED',
      StateChangeReason: { Code: 'INTERNAL_ERROR' },
      ImageBuilderErrors: [expect.objectContaining({ ErrorCode: 'SUBNET_HAS_INSUFFICIENT_IP_ADDRESSES' })],
    });
    expect(await builder(client, 'gone')).toMatchObject({
      State: 'FAILED',
      ImageBuilderErrors: [expect.objectContaining({ ErrorCode: 'SUBNET_NOT_FOUND' })],
    });
  });
});

describe('Emulator: AppStream interfaces seen through EC2', () => {
  it('shows a builder interface in DescribeSubnets and DescribeNetworkInterfaces, and refuses deleting its subnet', async () => {
    const client = f.client();
    const ec2 = new EC2Client({
      endpoint: f.emu.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'secret' },
    });
    try {
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!;
      const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.1.0.0/28' })))
        .Subnet!;
      expect(subnet.AvailableIpAddressCount).toBe(11);
      await createBuilder(client, 'b1', { VpcConfig: { SubnetIds: [subnet.SubnetId!] } });
      const free = async () =>
        (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }))).Subnets![0]
          .AvailableIpAddressCount;
      expect(await free()).toBe(10);
      const enis = (
        await ec2.send(
          new DescribeNetworkInterfacesCommand({
            Filters: [{ Name: 'subnet-id', Values: [subnet.SubnetId!] }],
          }),
        )
      ).NetworkInterfaces!;
      expect(enis).toEqual([
        expect.objectContaining({ Description: 'AppStream 2.0 image builder b1', RequesterManaged: true }),
      ]);
      await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId! }))).rejects.toThrow(
        expect.objectContaining({ name: 'DependencyViolation' }),
      );
      f.emu.control.advance(13 * MIN);
      await client.send(new StopImageBuilderCommand({ Name: 'b1' }));
      f.emu.control.advance(4 * MIN);
      expect((await builder(client)).State).toBe('STOPPED');
      expect(await free()).toBe(11);
      await ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.SubnetId! }));
    } finally {
      ec2.destroy();
    }
  });
});

describe('Emulator: a fleet that shrinks gives back its network interfaces', () => {
  // Seed guide: a fleet holds "as many elastic network interfaces as the maximum desired capacity
  // of your fleet"; reducing capacity doesn't end the sessions users are on.
  async function withEc2<T>(fn: (ec2: EC2Client) => Promise<T>): Promise<T> {
    const ec2 = new EC2Client({
      endpoint: f.emu.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'secret' },
    });
    try {
      return await fn(ec2);
    } finally {
      ec2.destroy();
    }
  }
  const freeIps = (ec2: EC2Client, subnetId: string) =>
    ec2
      .send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))
      .then((out) => out.Subnets![0].AvailableIpAddressCount);

  it('releases the surplus interfaces when UpdateFleet lowers the desired capacity (/28: 20 → 5)', async () => {
    const client = f.client();
    const { subnetId, sgId } = smallSubnet();
    f.emu.control.setQuotas({ streamingInstances: 50 });
    await createFleet(client, 'f1', {
      ComputeCapacity: { DesiredInstances: 20 },
      VpcConfig: { SubnetIds: [subnetId], SecurityGroupIds: [sgId] },
    });
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(15 * MIN);
    await withEc2(async (ec2) => {
      expect((await fleet(client)).ComputeCapacityStatus).toMatchObject({ Running: 11 });
      expect(await freeIps(ec2, subnetId)).toBe(0);
      await client.send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 5 } }));
      f.emu.control.advance(30 * MIN);
      const out = await fleet(client);
      expect(out.ComputeCapacityStatus).toMatchObject({ Desired: 5, Running: 5, InUse: 0 });
      expect(out.FleetErrors ?? []).toEqual([]);
      expect(await freeIps(ec2, subnetId)).toBe(11 - 5);
    });
  });

  it('keeps the interfaces of instances users are on until their sessions end', async () => {
    const client = f.client();
    const { subnetId } = smallSubnet();
    await createFleet(client, 'f1', {
      ComputeCapacity: { DesiredInstances: 4 },
      VpcConfig: { SubnetIds: [subnetId] },
    });
    await createStack(client, 's1');
    await client.send(new AssociateFleetCommand({ FleetName: 'f1', StackName: 's1' }));
    await client.send(new StartFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(15 * MIN);
    await withEc2(async (ec2) => {
      expect(await freeIps(ec2, subnetId)).toBe(11 - 4);
      expect(f.emu.control.sessions({ fleet: 'f1', open: 3 }).opened).toHaveLength(3);
      await client.send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 1 } }));
      f.emu.control.advance(30 * MIN);
      expect((await fleet(client)).ComputeCapacityStatus).toMatchObject({ Desired: 1, Running: 3, InUse: 3 });
      expect(await freeIps(ec2, subnetId)).toBe(11 - 3);
      f.emu.control.sessions({ fleet: 'f1', close: 2 });
      expect(await freeIps(ec2, subnetId)).toBe(11 - 1);
      expect((await fleet(client)).ComputeCapacityStatus).toMatchObject({ Desired: 1, Running: 1, InUse: 1 });
      f.emu.control.sessions({ fleet: 'f1', close: 1 });
      expect(await freeIps(ec2, subnetId)).toBe(11 - 1);
    });
  });
});
