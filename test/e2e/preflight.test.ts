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
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../lib/config/pipeline';
import { preflight } from '../../lib/pipeline/preflight';
import { localDeps } from '../../local/local-deps';
import { ACCOUNT, MIN, useEmulator } from '../helpers/emulator';
import { builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });
const ec2s: EC2Client[] = [];
afterAll(() => {
  for (const c of ec2s) c.destroy();
});

function ec2(region = 'us-east-1') {
  const c = new EC2Client({
    endpoint: f.emu.endpoint,
    region,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'secret' },
  });
  ec2s.push(c);
  return c;
}

/** A VPC with a private subnet (own route table: local route only) and a security group. */
async function privateNetwork(c: EC2Client, cidr = '10.0.0.0/16') {
  const vpc = (await c.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
  const subnet = (
    await c.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr.replace('0.0/16', '1.0/24') }))
  ).Subnet!.SubnetId!;
  const rtb = (await c.send(new CreateRouteTableCommand({ VpcId: vpc }))).RouteTable!.RouteTableId!;
  await c.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnet }));
  const sg = (
    await c.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'builder', Description: 'b' }))
  ).GroupId!;
  return { vpc, subnet, rtb, sg };
}

const withNetwork = (subnet: string, sgs: string[], extra: Record<string, unknown> = {}) =>
  samplePipeline({
    builder: {
      instanceType: 'stream.standard.medium',
      image: 'latest:WINDOWS_SERVER_2022',
      subnetIds: [subnet],
      securityGroupIds: sgs,
      ...extra,
    },
  });

describe('pre-flight in Resolve (local runtime, emulator with EC2): caught before any builder launches', () => {
  it('lists every misconfiguration at once: no way to S3, a group of another VPC, a missing fleet, a taken image name', async () => {
    const c = ec2();
    const net = await privateNetwork(c);
    const otherVpcGroup = (
      await c.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
      )
    ).SecurityGroups!.find((g) => g.VpcId !== net.vpc)!.GroupId!;
    // A first run takes the fixed image name.
    const first = await runPipeline(f, { ...samplePipeline(), image: { name: 'office-fixed' } });
    expect(first.result.status).toBe('SUCCEEDED');
    const before = await builders(f);

    const config = {
      ...withNetwork(net.subnet, [net.sg, otherVpcGroup]),
      image: { name: 'office-fixed' },
      after: { rollOut: [{ fleet: 'no-such-fleet' }] },
    };
    const { result, notifier } = await runPipeline(f, config);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PreflightFailed');
    expect(result.cause).toContain('4 pre-flight problems, nothing launched');
    expect(result.cause).toContain(
      `builder.subnetIds: subnet ${net.subnet} (route table ${net.rtb}) has no way to S3`,
    );
    expect(result.cause).toContain(`builder.securityGroupIds: security group ${otherVpcGroup} belongs to`);
    expect(result.cause).toContain("after.rollOut: fleet 'no-such-fleet' does not exist in us-east-1");
    expect(result.cause).toContain("image.name: an image named 'office-fixed' already exists in us-east-1");
    expect(await builders(f)).toEqual(before);
    expect(notifier.sent[0]!.message).toMatchObject({ outcome: 'FAILED', error: 'PreflightFailed' });
  });

  it('refuses a subnet that does not exist, and the same subnet with default internet access but no internet gateway', async () => {
    const missing = await runPipeline(f, withNetwork('subnet-0123456789abcdef0', []));
    expect(missing.result).toMatchObject({ status: 'FAILED', error: 'PreflightFailed' });
    expect(missing.result.cause).toContain('subnet subnet-0123456789abcdef0 does not exist in us-east-1');

    const net = await privateNetwork(ec2());
    const noIgw = await runPipeline(
      f,
      withNetwork(net.subnet, [net.sg], { enableDefaultInternetAccess: true }),
    );
    expect(noIgw.result).toMatchObject({ status: 'FAILED', error: 'PreflightFailed' });
    expect(noIgw.result.cause).toContain('builder.enableDefaultInternetAccess');
    expect(await builders(f)).toEqual([]);
  });

  it('runs a builder in a private subnet reaching S3 through a gateway endpoint', async () => {
    const c = ec2();
    const net = await privateNetwork(c);
    await c.send(
      new CreateVpcEndpointCommand({
        VpcId: net.vpc,
        ServiceName: 'com.amazonaws.us-east-1.s3',
        VpcEndpointType: 'Gateway',
        RouteTableIds: [net.rtb],
      }),
    );
    const { result } = await runPipeline(f, withNetwork(net.subnet, [net.sg]));
    expect(result.status).toBe('SUCCEEDED');
  });

  it('passes a private subnet whose 0.0.0.0/0 goes to a NAT gateway in a public subnet', async () => {
    const c = ec2();
    const net = await privateNetwork(c);
    const igw = (await c.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await c.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpc }));
    const pub = (await c.send(new CreateSubnetCommand({ VpcId: net.vpc, CidrBlock: '10.0.2.0/24' }))).Subnet!
      .SubnetId!;
    const eip = (await c.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
    const nat = (await c.send(new CreateNatGatewayCommand({ SubnetId: pub, AllocationId: eip }))).NatGateway!
      .NatGatewayId!;
    f.emu.control.advance(2 * MIN);
    await c.send(
      new CreateRouteCommand({ RouteTableId: net.rtb, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }),
    );
    const deps = localDeps(f.emu);
    try {
      const config = PipelineConfigSchema.parse(withNetwork(net.subnet, [net.sg]));
      expect(await preflight(config, { region: 'us-east-1', imageName: 'free-name' }, deps)).toEqual([]);
    } finally {
      for (const cl of deps.clients) cl.destroy();
    }
  });

  it('latest:WINDOWS_SERVER_2022 gives a stream.standard builder the general image, not the newer Graphics G4dn one', async () => {
    const { result } = await runPipeline(f, samplePipeline());
    expect(result.status).toBe('SUCCEEDED');
    const plan = (result.output as { plan: { baseImageName: string } }).plan;
    expect(plan.baseImageName).toBe('AppStream-WinServer2022-10-14-2025');
    const g4dn = await runPipeline(f, {
      ...samplePipeline({ name: 'gfx' }),
      builder: { instanceType: 'stream.graphics.g4dn.xlarge', image: 'latest:WINDOWS_SERVER_2022' },
    });
    expect((g4dn.result.output as { plan: { baseImageName: string } }).plan.baseImageName).toBe(
      'AppStream-Graphics-G4dn-WinServer2022-11-04-2025',
    );
  });
});
