import * as EC2 from '@aws-sdk/client-ec2';
import * as STS from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { ec2Service } from '../../../emulator/ec2';
import { declaredErrors, loadModel, type ServiceModel } from '../../../emulator/model';
import { appstreamService } from '../../../emulator/operations';
import { loadQueryModel } from '../../../emulator/query/model';
import { stsService } from '../../../emulator/sts';
import { COMMON_ERRORS, outputProblems } from '../../helpers/contract';
import { MIN, OTHER_ACCOUNT, rawCall, useEmulator, WIN2022 } from '../../helpers/emulator';

const f = useEmulator();
const model = loadModel('appstream');

interface Seen {
  operation: string;
  status: number;
  body: Record<string, unknown>;
}

/** A tour through every implemented operation, with successes and typical failures. */
async function tour(
  call: (op: string, body: unknown, opts?: { account?: string; region?: string }) => Promise<unknown>,
) {
  const { control } = f.emu;
  await call('DescribeImages', { Type: 'PUBLIC' });
  await call('DescribeImages', { Names: ['missing'] });
  await call('CreateDirectoryConfig', {
    DirectoryName: 'corp.example.com',
    OrganizationalUnitDistinguishedNames: ['OU=x'],
    ServiceAccountCredentials: { AccountName: 'svc', AccountPassword: 'pw' },
  });
  await call('DescribeDirectoryConfigs', {});
  await call('UpdateDirectoryConfig', {
    DirectoryName: 'corp.example.com',
    OrganizationalUnitDistinguishedNames: ['OU=y'],
  });
  await call('CreateImageBuilder', {
    Name: 'b1',
    InstanceType: 'stream.standard.medium',
    ImageName: WIN2022,
    Tags: { a: 'b' },
  });
  await call('CreateImageBuilder', {
    Name: 'b1',
    InstanceType: 'stream.standard.medium',
    ImageName: WIN2022,
  });
  await call('CreateImageBuilder', {
    Name: 'b2',
    InstanceType: 'stream.standard.medium',
    ImageName: WIN2022,
    DomainJoinInfo: { DirectoryName: 'corp.example.com' },
  });
  await call('StopImageBuilder', { Name: 'b1' });
  await call('StartImageBuilder', { Name: 'b1' });
  await call('DeleteImageBuilder', { Name: 'b1' });
  await call('CreateImageBuilderStreamingURL', { Name: 'b1' });
  await call('DeleteDirectoryConfig', { DirectoryName: 'corp.example.com' });
  control.advance(13 * MIN);
  await call('DescribeImageBuilders', { MaxResults: 1 });
  await call('DescribeImageBuilders', { Names: ['ghost'] });
  await call('CreateImageBuilderStreamingURL', { Name: 'b1', Validity: 60 });
  control.imageAssistant({
    builderName: 'b1',
    argv: ['add-application', '--name', 'a', '--absolute-app-path', 'C:\\a.exe'],
  });
  control.imageAssistant({ builderName: 'b1', argv: ['create-image', '--name', 'img1', '--tags', 'k', 'v'] });
  await call('DescribeImages', { Names: ['img1'] });
  await call('DeleteImage', { Name: 'img1' });
  control.advance(41 * MIN);
  await call('StopImageBuilder', { Name: 'b2' });
  control.advance(4 * MIN);
  await call('DeleteImageBuilder', { Name: 'b2' });
  await call('StartImageBuilder', { Name: 'b1' });
  await call('DescribeImages', { Type: 'PRIVATE' });
  await call('CopyImage', {
    SourceImageName: 'img1',
    DestinationImageName: 'img1-eu',
    DestinationRegion: 'eu-west-1',
  });
  await call('CopyImage', {
    SourceImageName: 'img1',
    DestinationImageName: 'img1-eu',
    DestinationRegion: 'eu-west-1',
  });
  await call('CreateUpdatedImage', { existingImageName: 'img1', newImageName: 'img2', dryRun: true });
  await call('CreateUpdatedImage', { existingImageName: 'img1', newImageName: 'img2' });
  await call('UpdateImagePermissions', {
    Name: 'img1',
    SharedAccountId: OTHER_ACCOUNT,
    ImagePermissions: { allowFleet: true },
  });
  await call('DescribeImagePermissions', { Name: 'img1' });
  await call('DescribeImages', { Type: 'SHARED' }, { account: OTHER_ACCOUNT });
  await call('DeleteImagePermissions', { Name: 'img1', SharedAccountId: OTHER_ACCOUNT });
  await call('DeleteImagePermissions', { Name: 'img1', SharedAccountId: OTHER_ACCOUNT });
  await call('CreateFleet', {
    Name: 'f1',
    InstanceType: 'stream.standard.medium',
    ImageName: 'img1',
    ComputeCapacity: { DesiredInstances: 1 },
    Tags: { t: '1' },
  });
  await call('CreateFleet', { Name: 'f2', InstanceType: 'stream.standard.medium', ImageName: 'img1' });
  await call('DeleteImage', { Name: 'img1' });
  await call('UpdateFleet', { Name: 'f1', DisplayName: 'Fleet 1', InstanceType: 'stream.standard.large' });
  await call('StartFleet', { Name: 'f1' });
  await call('UpdateFleet', { Name: 'f1', DisplayName: 'x' });
  await call('StopFleet', { Name: 'f1' });
  control.advance(16 * MIN);
  await call('DescribeFleets', {});
  await call('UpdateFleet', { Name: 'f1', InstanceType: 'stream.standard.xlarge' });
  await call('CreateStack', { Name: 's1', ApplicationSettings: { Enabled: true, SettingsGroup: 'g' } });
  await call('CreateStack', { Name: 's1' });
  await call('UpdateStack', { Name: 's1', DisplayName: 'Stack' });
  await call('DescribeStacks', {});
  await call('AssociateFleet', { FleetName: 'f1', StackName: 's1' });
  await call('ListAssociatedFleets', { StackName: 's1' });
  await call('ListAssociatedStacks', { FleetName: 'f1' });
  const url = (await call('CreateStreamingURL', { StackName: 's1', FleetName: 'f1', UserId: 'alice' })) as {
    StreamingURL: string;
  };
  control.openStreamingUrl({ url: url.StreamingURL });
  await call('DescribeSessions', { StackName: 's1', FleetName: 'f1' });
  await call('DescribeSessions', { StackName: 's1', FleetName: 'f1', UserId: 'alice' });
  const sessions = (await call('DescribeSessions', { StackName: 's1', FleetName: 'f1' })) as {
    Sessions: { Id: string }[];
  };
  await call('ExpireSession', { SessionId: sessions.Sessions[0].Id });
  await call('DeleteStack', { Name: 's1' });
  await call('DeleteFleet', { Name: 'f1' });
  await call('StopFleet', { Name: 'f1' });
  control.advance(6 * MIN);
  await call('DisassociateFleet', { FleetName: 'f1', StackName: 's1' });
  await call('DeleteFleet', { Name: 'f1' });
  await call('CreateUser', { UserName: 'a@example.com', AuthenticationType: 'USERPOOL' });
  await call('CreateUser', { UserName: 'a@example.com', AuthenticationType: 'USERPOOL' });
  await call('DescribeUsers', { AuthenticationType: 'USERPOOL' });
  await call('DisableUser', { UserName: 'a@example.com', AuthenticationType: 'USERPOOL' });
  await call('EnableUser', { UserName: 'a@example.com', AuthenticationType: 'USERPOOL' });
  await call('BatchAssociateUserStack', {
    UserStackAssociations: [
      { StackName: 's1', UserName: 'a@example.com', AuthenticationType: 'USERPOOL' },
      { StackName: 'x', UserName: 'a@example.com', AuthenticationType: 'USERPOOL' },
    ],
  });
  await call('DescribeUserStackAssociations', { StackName: 's1' });
  await call('DescribeUserStackAssociations', {});
  await call('BatchDisassociateUserStack', {
    UserStackAssociations: [{ StackName: 's1', UserName: 'a@example.com', AuthenticationType: 'USERPOOL' }],
  });
  await call('DeleteUser', { UserName: 'a@example.com', AuthenticationType: 'USERPOOL' });
  await call('DeleteUser', { UserName: 'a@example.com', AuthenticationType: 'USERPOOL' });
  await call('DeleteStack', { Name: 's1' });
  const fleetArn = 'arn:aws:appstream:us-east-1:123456789012:fleet/f2';
  await call('CreateFleet', {
    Name: 'f2',
    InstanceType: 'stream.standard.medium',
    ImageName: 'img1',
    ComputeCapacity: { DesiredInstances: 1 },
  });
  await call('TagResource', { ResourceArn: fleetArn, Tags: { env: 'prod' } });
  await call('ListTagsForResource', { ResourceArn: fleetArn });
  await call('UntagResource', { ResourceArn: fleetArn, TagKeys: ['env'] });
  await call('ListTagsForResource', { ResourceArn: `${fleetArn}x` });
  await call('DeleteDirectoryConfig', { DirectoryName: 'corp.example.com' });
  await call('DeleteFleet', { Name: 'f2' });
  await call('DeleteImage', { Name: 'img1' });
}

describe('Emulator: contract with the AppStream service model', () => {
  it('answers every implemented operation with the output shape, and only declared or common errors', async () => {
    const seen: Seen[] = [];
    const off = f.emu.onResponse((operation, status, body) =>
      seen.push({ operation, status, body: JSON.parse(body) }),
    );
    await tour((op, body, opts) => rawCall(f.emu.endpoint, op, body, opts).then((r) => r.json));
    off();

    const implemented = Object.keys(appstreamService().handlers);
    const succeeded = new Set(seen.filter((s) => s.status === 200).map((s) => s.operation));
    expect(implemented.filter((op) => !succeeded.has(op))).toEqual([]);

    const problems: string[] = [];
    for (const s of seen) {
      if (s.status === 200) {
        const shape = model.operations[s.operation].output?.shape;
        if (shape) problems.push(...outputProblems(model, shape, s.body).map((p) => `${s.operation} ${p}`));
      } else {
        const code = String(s.body.__type);
        if (![...declaredErrors(model, s.operation), ...COMMON_ERRORS].includes(code))
          problems.push(`${s.operation} answered ${code}, which the model does not declare`);
      }
    }
    expect(problems).toEqual([]);
    expect(seen.filter((s) => s.status !== 200).length).toBeGreaterThan(15);
  });
});

describe('Emulator: contract with the EC2 subset and STS models (Query protocol)', () => {
  /** SDK output → the JSON form outputProblems checks (timestamps as epoch seconds, no $metadata). */
  const plain = (v: unknown): unknown =>
    v instanceof Date
      ? v.getTime() / 1000
      : Array.isArray(v)
        ? v.map(plain)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k]) => k !== '$metadata')
                .map(([k, x]) => [k, plain(x)]),
            )
          : v;
  /**
   * Values real EC2 answers that its own model's enums don't list (kept as AWS sends them):
   * NAT gateway interfaces are `nat_gateway`, gateway endpoints' State is lower-case `available`,
   * and an attached internet gateway's attachment State is `available` (not `attached`).
   */
  const AWS_NOT_IN_ENUM = [
    "'nat_gateway' not in enum",
    "'available' not in enum PendingAcceptance",
    "'available' not in enum attaching|attached",
  ];

  it('answers every EC2 and STS operation in a form the SDK parses, with the output shape and required members', async () => {
    const ec2Model = loadQueryModel('ec2.subset') as unknown as ServiceModel;
    const stsModel = loadQueryModel('sts') as unknown as ServiceModel;
    const ec2 = new EC2.EC2Client({
      endpoint: f.emu.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: '123456789012', secretAccessKey: 's' },
    });
    const sts = new STS.STSClient({
      endpoint: f.emu.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: '123456789012', secretAccessKey: 's' },
    });
    const problems: string[] = [];
    const succeeded = new Set<string>();
    const call = async (
      client: { send(c: unknown): Promise<unknown> },
      sdk: Record<string, unknown>,
      model: ServiceModel,
      op: string,
      input: object,
    ) => {
      const Command = sdk[`${op}Command`] as new (i: object) => unknown;
      const out = plain(await client.send(new Command(input)));
      succeeded.add(op);
      const shape = model.operations[op].output?.shape;
      if (shape)
        problems.push(
          ...outputProblems(model, shape, out)
            .filter((p) => !AWS_NOT_IN_ENUM.some((allowed) => p.includes(allowed)))
            .map((p) => `${op} ${p}`),
        );
      return out as Record<string, never>;
    };
    const e = (op: string, input: object = {}) => call(ec2, EC2 as never, ec2Model, op, input);
    try {
      await e('DescribeAvailabilityZones');
      const { Vpc } = await e('CreateVpc', {
        CidrBlock: '10.0.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'k', Value: 'v' }] }],
      });
      const vpcId = (Vpc as { VpcId: string }).VpcId;
      const { Subnet } = await e('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.0.0.0/24' });
      const subnetId = (Subnet as { SubnetId: string }).SubnetId;
      const { GroupId } = await e('CreateSecurityGroup', { VpcId: vpcId, GroupName: 'g', Description: 'd' });
      const { RouteTable } = await e('CreateRouteTable', { VpcId: vpcId });
      const rtb = (RouteTable as { RouteTableId: string }).RouteTableId;
      const { InternetGateway } = await e('CreateInternetGateway');
      const igw = (InternetGateway as { InternetGatewayId: string }).InternetGatewayId;
      await e('AttachInternetGateway', { InternetGatewayId: igw, VpcId: vpcId });
      await e('CreateRoute', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw });
      const { AssociationId } = await e('AssociateRouteTable', { RouteTableId: rtb, SubnetId: subnetId });
      const { AllocationId } = await e('AllocateAddress', { Domain: 'vpc' });
      const { NatGateway } = await e('CreateNatGateway', { SubnetId: subnetId, AllocationId });
      const { VpcEndpoint } = await e('CreateVpcEndpoint', {
        VpcId: vpcId,
        ServiceName: 'com.amazonaws.us-east-1.s3',
        RouteTableIds: [rtb],
      });
      await e('CreateTags', { Resources: [subnetId], Tags: [{ Key: 'a', Value: 'b' }] });
      await e('ModifySubnetAttribute', { SubnetId: subnetId, MapPublicIpOnLaunch: { Value: true } });
      await e('ModifyVpcAttribute', { VpcId: vpcId, EnableDnsHostnames: { Value: true } });
      await e('DescribeVpcAttribute', { VpcId: vpcId, Attribute: 'enableDnsHostnames' });
      await e('DescribeAddresses', { AllocationIds: [AllocationId] });
      for (const op of [
        'DescribeVpcs',
        'DescribeSubnets',
        'DescribeSecurityGroups',
        'DescribeRouteTables',
        'DescribeInternetGateways',
        'DescribeNatGateways',
        'DescribeVpcEndpoints',
        'DescribeNetworkInterfaces',
        'DescribeTags',
      ])
        await e(op);
      await e('DeleteTags', { Resources: [subnetId] });
      await e('DeleteVpcEndpoints', {
        VpcEndpointIds: [(VpcEndpoint as { VpcEndpointId: string }).VpcEndpointId],
      });
      await e('DeleteNatGateway', { NatGatewayId: (NatGateway as { NatGatewayId: string }).NatGatewayId });
      await e('ReleaseAddress', { AllocationId });
      await e('DisassociateRouteTable', { AssociationId });
      await e('DeleteRoute', { RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0' });
      await e('DeleteRouteTable', { RouteTableId: rtb });
      await e('DetachInternetGateway', { InternetGatewayId: igw, VpcId: vpcId });
      await e('DeleteInternetGateway', { InternetGatewayId: igw });
      await e('DeleteSecurityGroup', { GroupId });
      f.emu.control.advance(2 * MIN);
      await e('DeleteSubnet', { SubnetId: subnetId });
      await e('DeleteVpc', { VpcId: vpcId });
      await call(sts, STS as never, stsModel, 'GetCallerIdentity', {});
      await call(sts, STS as never, stsModel, 'AssumeRole', {
        RoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/r`,
        RoleSessionName: 'contract',
      });
    } finally {
      ec2.destroy();
      sts.destroy();
    }
    expect(Object.keys(ec2Service().handlers).filter((op) => !succeeded.has(op))).toEqual([]);
    expect(Object.keys(stsService().handlers).filter((op) => !succeeded.has(op))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
