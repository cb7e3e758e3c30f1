import {
  CopyImageCommand,
  DescribeFleetsCommand,
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
  type Image,
  LimitExceededException,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import {
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  type Route,
} from '@aws-sdk/client-ec2';
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  familyFit,
  instanceFamily,
  normalizeFamily,
  supportsInstanceType,
} from '../../../lib/appstream/families';
import { validatePipeline } from '../../../lib/config/load';
import { PipelineConfigSchema } from '../../../lib/config/pipeline';
import { setMetricSink } from '../../../lib/notify/metrics';
import { SnsNotifier } from '../../../lib/notify/sns';
import { checkCopies, startCopies } from '../../../lib/pipeline/distribute';
import { notifyOutcome } from '../../../lib/pipeline/notify';
import { preflight } from '../../../lib/pipeline/preflight';
import { newestPublic, resolvePipeline } from '../../../lib/pipeline/resolve';
import type { Plan } from '../../../lib/pipeline/types';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const img = (Name: string, Platform: string, released: string, extra: Partial<Image> = {}): Image => ({
  Name,
  Arn: `arn:aws:appstream:us-east-1::image/${Name}`,
  Platform: Platform as never,
  State: 'AVAILABLE',
  PublicBaseImageReleasedDate: new Date(released),
  ...extra,
});

const refusedBoth = async (config: unknown) => {
  const { deps } = mockDeps();
  let validateMessage = '';
  try {
    validatePipeline(config);
  } catch (err) {
    validateMessage = (err as Error).message;
  }
  const resolveError = await resolvePipeline({ config, execution: 'x' }, deps).catch((e: Error) => e);
  return { validateMessage, resolveError: resolveError as Error };
};

describe('pipeline validate runs exactly the checks Resolve runs', () => {
  it.each([
    ['a reserved prefix', 'AppStream-{pipeline}', /image\.name: .*can't begin with Amazon, AWS or AppStream/],
    ['a 102-character name', `${'x'.repeat(102)}`, /image\.name: .*is not a valid image name/],
    ['an unknown placeholder', '{pipeline}-{branch}', /image\.name: unknown placeholder \{branch\}/],
    [
      'a name that grows past 101 with the date',
      `${'y'.repeat(92)}-{date}`,
      /image\.name: .*not a valid image name/,
    ],
  ])('refuses %s in both, with the same field', async (_case, name, expected) => {
    const config = samplePipeline({ image: { name } });
    const { validateMessage, resolveError } = await refusedBoth(config);
    expect(validateMessage).toMatch(expected);
    expect(resolveError).toMatchObject({ name: 'ConfigError', message: expect.stringMatching(expected) });
  });

  it('refuses a copy or roll-out region without AppStream and a share account that is not 12 digits', async () => {
    const config = samplePipeline({
      after: {
        copyTo: ['eu-south-1'],
        rollOut: [{ fleet: 'f', region: 'us-west-1' }],
        shareWith: [{ account: '12345' }],
      },
    } as never);
    const { validateMessage, resolveError } = await refusedBoth(config);
    for (const m of [validateMessage, resolveError.message]) {
      expect(m).toContain('after.copyTo.0: AppStream 2.0 is not available in eu-south-1');
      expect(m).toContain('after.rollOut.0.region: AppStream 2.0 is not available in us-west-1');
      expect(m).toContain('after.shareWith.0.account: must be a 12-digit AWS account id');
    }
  });

  it('accepts the template a run renders to a valid name', () => {
    expect(
      validatePipeline(samplePipeline({ image: { name: 'office-{date}-{time}-{execution}' } })).name,
    ).toBe('e2e');
  });
});

describe('latest:<platform> picks by the builder instance family', () => {
  const images = [
    img('AppStream-WinServer2022-10-14-2025', 'WINDOWS_SERVER_2022', '2025-10-14'),
    img('AppStream-Graphics-G4dn-WinServer2022-11-01-2025', 'WINDOWS_SERVER_2022', '2025-11-01'),
    img('AppStream-Graphics-Design-WinServer2022-11-02-2025', 'WINDOWS_SERVER_2022', '2025-11-02'),
    img('Amazon-AppStream2-Sample-Image-11-03-2025', 'WINDOWS_SERVER_2022', '2025-11-03'),
    img('reported-g5-only', 'WINDOWS_SERVER_2022', '2025-11-04', {
      SupportedInstanceFamilies: ['GRAPHICS_G5'],
    }),
  ];

  it('derives the family from the instance type', () => {
    expect(instanceFamily('stream.standard.medium')).toBe('GENERAL_PURPOSE');
    expect(instanceFamily('stream.memory.z1d.large')).toBe('MEMORY_OPTIMIZED');
    expect(instanceFamily('stream.graphics.g4dn.xlarge')).toBe('GRAPHICS_G4');
    expect(instanceFamily('stream.graphics-design.large')).toBe('GRAPHICS_DESIGN');
  });

  it('never a Graphics or Sample image for stream.standard; the family’s own image for graphics types', () => {
    expect(newestPublic(images, 'WINDOWS_SERVER_2022', 'stream.standard.medium')?.Name).toBe(
      'AppStream-WinServer2022-10-14-2025',
    );
    expect(newestPublic(images, 'WINDOWS_SERVER_2022', 'stream.graphics.g4dn.xlarge')?.Name).toBe(
      'AppStream-Graphics-G4dn-WinServer2022-11-01-2025',
    );
    expect(newestPublic(images, 'WINDOWS_SERVER_2022', 'stream.graphics.g5.xlarge')?.Name).toBe(
      'reported-g5-only',
    );
    expect(newestPublic(images, 'WINDOWS_SERVER_2022', 'stream.graphics-pro.4xlarge')).toBeUndefined();
  });

  it('accepts every documented spelling: GRAPHICS_G4 and GRAPHICS_G4DN both mean g4dn; words and hyphens too', () => {
    for (const spelling of ['GRAPHICS_G4', 'GRAPHICS_G4DN', 'Graphics G4', 'graphics-g4dn'])
      expect(
        familyFit(
          img('custom', 'WINDOWS_SERVER_2022', '2025-11-01', { SupportedInstanceFamilies: [spelling] }),
          'stream.graphics.g4dn.xlarge',
        ),
      ).toBe('yes');
    expect(normalizeFamily('General Purpose')).toBe('GENERAL_PURPOSE');
    expect(
      familyFit(
        img('g4', 'WINDOWS_SERVER_2022', '2025-11-01', { SupportedInstanceFamilies: ['GRAPHICS_G4'] }),
        'stream.standard.medium',
      ),
    ).toBe('no');
  });

  it('an unknown family spelling never makes the pre-flight refuse an image: a warning instead', async () => {
    const image = img('AppStream-WinServer2022-12-01-2025', 'WINDOWS_SERVER_2022', '2025-12-01', {
      SupportedInstanceFamilies: ['GENERAL_PURPOSE_V2', 'SOMETHING_NEW'],
    });
    expect(familyFit(image, 'stream.standard.medium')).toBe('unknown');
    expect(supportsInstanceType(image, 'stream.standard.medium')).toBe(true);
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImagesCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    const config = PipelineConfigSchema.parse(samplePipeline());
    const problems = await preflight(
      config,
      { region: 'us-east-1', imageName: 'x-new', baseImage: image },
      deps,
    );
    expect(problems).toEqual([
      { field: 'builder.image', severity: 'warning', message: expect.stringContaining('SOMETHING_NEW') },
    ]);
  });

  it('Resolve plans the general-purpose image for the sample stream.standard builder', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImagesCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    appstream.on(DescribeImagesCommand, { Type: 'PUBLIC' }).resolves({ Images: images });
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [] });
    const state = await resolvePipeline({ config: samplePipeline(), execution: 'e' }, deps);
    expect(state.plan.baseImageName).toBe('AppStream-WinServer2022-10-14-2025');
  });
});

// --- pre-flight with mocked AppStream, EC2 and SNS -------------------------------------------

const VPC = 'vpc-0aaaaaaaaaaaaaaaa';
const SUBNET = 'subnet-0aaaaaaaaaaaaaaaa';
const SG = 'sg-0aaaaaaaaaaaaaaaa';
const RTB = 'rtb-0aaaaaaaaaaaaaaaa';

function networkMocks(opts: {
  routes: Route[];
  freeIps?: number;
  sgVpc?: string;
  s3Endpoint?: boolean;
  sgMissing?: boolean;
}) {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const m = mockClient(ec2);
  m.on(DescribeSubnetsCommand, { SubnetIds: [SUBNET] }).resolves({
    Subnets: [{ SubnetId: SUBNET, VpcId: VPC, AvailableIpAddressCount: opts.freeIps ?? 250 }],
  });
  m.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-0bbbbbbbbbbbbbbbb'] }).rejects(
    Object.assign(new Error("The subnet ID 'subnet-0bbbbbbbbbbbbbbbb' does not exist"), {
      name: 'InvalidSubnetID.NotFound',
    }),
  );
  m.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [{ GroupId: SG, VpcId: opts.sgVpc ?? VPC }],
  });
  if (opts.sgMissing)
    m.on(DescribeSecurityGroupsCommand).rejects(
      Object.assign(new Error(`The security group '${SG}' does not exist`), {
        name: 'InvalidGroup.NotFound',
      }),
    );
  m.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [{ RouteTableId: RTB, VpcId: VPC, Routes: opts.routes }],
  });
  m.on(DescribeVpcEndpointsCommand).resolves({
    VpcEndpoints: opts.s3Endpoint
      ? [{ VpcEndpointId: 'vpce-0aaaaaaaaaaaaaaaa', RouteTableIds: [RTB], State: 'available' as never }]
      : [],
  });
  return ec2;
}

const LOCAL: Route = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' };

async function problemsFor(
  builder: Record<string, unknown>,
  net: Parameters<typeof networkMocks>[0],
  after: Record<string, unknown> = {},
  region = 'us-east-1',
) {
  const { deps, appstream } = mockDeps();
  appstream
    .on(DescribeImagesCommand)
    .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
  const ec2 = networkMocks(net);
  const config = PipelineConfigSchema.parse(
    samplePipeline({
      builder: { instanceType: 'stream.standard.medium', image: 'latest:WINDOWS_SERVER_2022', ...builder },
      after,
    } as never),
  );
  return preflight(config, { region, imageName: 'e2e-new' }, { ...deps, ec2: () => ec2 });
}

describe('pre-flight (mocked clients): every problem with its field, before anything launches', () => {
  const net = { subnetIds: [SUBNET], securityGroupIds: [SG] };

  it('passes a private subnet with a NAT route, and one with an S3 gateway endpoint', async () => {
    expect(
      await problemsFor(net, {
        routes: [LOCAL, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0a', State: 'active' }],
      }),
    ).toEqual([]);
    expect(
      await problemsFor(net, {
        routes: [
          LOCAL,
          { DestinationPrefixListId: 'pl-63a5400a', GatewayId: 'vpce-0aaaaaaaaaaaaaaaa', State: 'active' },
        ],
        s3Endpoint: true,
      }),
    ).toEqual([]);
  });

  it('refuses a subnet with no way to S3 (would hang until BuildTimeout), and an IGW route without default internet access', async () => {
    expect(await problemsFor(net, { routes: [LOCAL] })).toEqual([
      { field: 'builder.subnetIds', message: expect.stringContaining('no way to S3') },
    ]);
    const igw: Route = { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-0a', State: 'active' };
    expect(await problemsFor(net, { routes: [LOCAL, igw] })).toEqual([
      { field: 'builder.subnetIds', message: expect.stringContaining('enableDefaultInternetAccess: true') },
    ]);
    expect(
      await problemsFor({ ...net, enableDefaultInternetAccess: true }, { routes: [LOCAL, igw] }),
    ).toEqual([]);
    expect(await problemsFor({ ...net, enableDefaultInternetAccess: true }, { routes: [LOCAL] })).toEqual([
      { field: 'builder.enableDefaultInternetAccess', message: expect.stringContaining('internet gateway') },
    ]);
  });

  it('an S3 gateway endpoint does not reach the agent bucket in the deployment’s other region', async () => {
    const viaEndpoint = {
      routes: [
        LOCAL,
        {
          DestinationPrefixListId: 'pl-6da54004',
          GatewayId: 'vpce-0aaaaaaaaaaaaaaaa',
          State: 'active' as const,
        },
      ],
      s3Endpoint: true,
    };
    expect(await problemsFor(net, viaEndpoint, {}, 'eu-west-1')).toEqual([
      { field: 'builder.subnetIds', message: expect.stringContaining('no way to S3') },
    ]);
  });

  it('a blackhole NAT route (NAT gateway deleted) is no way out', async () => {
    expect(
      await problemsFor(net, {
        routes: [LOCAL, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0a', State: 'blackhole' }],
      }),
    ).toEqual([{ field: 'builder.subnetIds', message: expect.stringContaining('no way to S3') }]);
  });

  it('lists a missing subnet, a full subnet and a security group of another VPC', async () => {
    const nat: Route = { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0a', State: 'active' };
    expect(await problemsFor({ subnetIds: ['subnet-0bbbbbbbbbbbbbbbb'] }, { routes: [nat] })).toEqual([
      { field: 'builder.subnetIds', message: 'subnet subnet-0bbbbbbbbbbbbbbbb does not exist in us-east-1' },
    ]);
    expect(await problemsFor(net, { routes: [nat], freeIps: 0, sgVpc: 'vpc-0other' })).toEqual([
      { field: 'builder.subnetIds', message: expect.stringContaining('no free IP address') },
      {
        field: 'builder.securityGroupIds',
        message: expect.stringContaining(`belongs to vpc-0other, not the subnet's VPC ${VPC}`),
      },
    ]);
  });

  it('a missing subnet does not hide a missing security group: both reported at once', async () => {
    const nat: Route = { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0a', State: 'active' };
    expect(
      await problemsFor(
        { subnetIds: ['subnet-0bbbbbbbbbbbbbbbb'], securityGroupIds: [SG] },
        { routes: [nat], sgMissing: true },
      ),
    ).toEqual([
      { field: 'builder.subnetIds', message: 'subnet subnet-0bbbbbbbbbbbbbbbb does not exist in us-east-1' },
      { field: 'builder.securityGroupIds', message: `security group ${SG} does not exist in us-east-1` },
    ]);
  });

  it('lists an image name already taken (home and copy region), a missing roll-out fleet and a missing topic', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImagesCommand).resolves({ Images: [{ Name: 'e2e-new', State: 'AVAILABLE' }] });
    appstream
      .on(DescribeFleetsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    const sns = new SNSClient({ region: 'eu-west-1' });
    mockClient(sns)
      .on(GetTopicAttributesCommand)
      .rejects(Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' }));
    const config = PipelineConfigSchema.parse(
      samplePipeline({
        after: {
          copyTo: ['eu-west-1'],
          rollOut: [{ fleet: 'office' }],
          notify: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:gone' },
        },
      } as never),
    );
    const problems = await preflight(
      config,
      { region: 'us-east-1', imageName: 'e2e-new' },
      { ...deps, notifier: new SnsNotifier(() => sns) },
    );
    expect(problems).toEqual([
      { field: 'image.name', message: "an image named 'e2e-new' already exists in us-east-1 (AVAILABLE)" },
      { field: 'image.name', message: "an image named 'e2e-new' already exists in eu-west-1 (AVAILABLE)" },
      { field: 'after.rollOut', message: "fleet 'office' does not exist in us-east-1" },
      { field: 'after.notify.topicArn', message: expect.stringContaining('does not exist in eu-west-1') },
    ]);
  });

  it('Resolve throws PreflightFailed naming every problem', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImagesCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    appstream.on(DescribeImagesCommand, { Type: 'PUBLIC' }).resolves({
      Images: [img('AppStream-WinServer2022-10-14-2025', 'WINDOWS_SERVER_2022', '2025-10-14')],
    });
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [] });
    appstream
      .on(DescribeFleetsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    const config = samplePipeline({ after: { rollOut: [{ fleet: 'a' }, { fleet: 'b' }] } } as never);
    await expect(resolvePipeline({ config, execution: 'x' }, deps)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringMatching(
        /2 pre-flight problems.*after\.rollOut: fleet 'a'.*after\.rollOut: fleet 'b'/,
      ),
    });
  });
});

describe('SNS: the topic ARN’s region, failures counted', () => {
  afterEach(() => {
    setMetricSink((line) => process.stdout.write(`${line}\n`));
  });

  it('publishes through a client of the topic’s region, not the function’s', async () => {
    const made: string[] = [];
    const clients = new Map<string, SNSClient>();
    const notifier = new SnsNotifier((region) => {
      made.push(region);
      if (!clients.has(region)) {
        const c = new SNSClient({ region });
        mockClient(c).on(PublishCommand).resolves({ MessageId: region });
        clients.set(region, c);
      }
      return clients.get(region)!;
    });
    await notifier.publish({
      topicArn: 'arn:aws:sns:eu-central-1:123456789012:t',
      subject: 's',
      message: {},
    });
    expect(made).toEqual(['eu-central-1']);
    expect(await clients.get('eu-central-1')!.config.region()).toBe('eu-central-1');
  });

  it('a failed notification is returned, logged as an error and counted (NotificationFailed, EMF)', async () => {
    const lines: string[] = [];
    setMetricSink((l) => lines.push(l));
    const { deps } = mockDeps();
    deps.notifier = {
      publish: async () => {
        throw Object.assign(new Error('User is not authorized to perform: SNS:Publish'), {
          name: 'AuthorizationErrorException',
        });
      },
    };
    const out = await notifyOutcome(
      {
        state: { config: { name: 'office', after: { notify: { topicArn: 'arn:aws:sns:eu-west-1:1:t' } } } },
        outcome: 'SUCCEEDED',
      },
      deps,
    );
    expect(out).toEqual({ notified: false, error: expect.stringContaining('AuthorizationErrorException') });
    const metric = JSON.parse(lines[0]!);
    expect(metric).toMatchObject({
      Pipeline: 'office',
      NotificationFailed: 1,
      _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: 'NotificationFailed', Unit: 'Count' }] }] },
    });
  });
});

describe('copies: tagged in their region, queued behind LimitExceeded', () => {
  const plan = {
    pipeline: 'e2e',
    execution: 'abc',
    region: 'us-east-1',
    imageName: 'new',
    imageTags: { release: 'r1' },
  } as unknown as Plan;
  const config = (copyTo: string[]) =>
    PipelineConfigSchema.parse(samplePipeline({ after: { copyTo } } as never));

  it('tags each started copy with the owner tags; a LimitExceeded copy is queued, started later by CheckCopies', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(CopyImageCommand)
      .resolvesOnce({})
      .rejectsOnce(new LimitExceededException({ message: 'too many concurrent copies', $metadata: {} }))
      .resolves({});
    appstream.on(DescribeImagesCommand).callsFake((i) => ({
      Images: [{ Name: i.Names[0], Arn: `arn:aws:appstream:x:1:image/${i.Names[0]}`, State: 'COPYING' }],
    }));
    appstream.on(TagResourceCommand).resolves({});
    const out = await startCopies({ config: config(['eu-west-1', 'ap-southeast-2']), plan }, deps);
    expect(out).toMatchObject({ regions: ['eu-west-1', 'ap-southeast-2'], queued: ['ap-southeast-2'] });
    expect(appstream.commandCalls(TagResourceCommand).map((c) => c.args[0].input.Tags)).toEqual([
      { release: 'r1', [TAG.managed]: 'true', [TAG.pipeline]: 'e2e', [TAG.execution]: 'abc' },
    ]);

    // CheckCopies: the queued region shows no image yet; CopyImage now takes it.
    appstream.on(DescribeImagesCommand).callsFake(() => ({ Images: [] }));
    const check = await checkCopies(
      {
        imageName: 'new',
        regions: ['ap-southeast-2'],
        wait: { firstSeconds: 0, loopWaitSeconds: 0, pollSeconds: 15, windowSeconds: 0 },
        deadline: deps.clock.now() + 60_000,
        plan,
      },
      deps,
    );
    expect(check).toEqual({ ready: false, states: { 'ap-southeast-2': 'COPYING' } });
    expect(appstream.commandCalls(CopyImageCommand)).toHaveLength(3);
  });
});
