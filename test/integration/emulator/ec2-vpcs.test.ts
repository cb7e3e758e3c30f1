import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  paginateDescribeSubnets,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { OTHER_ACCOUNT, useEmulator } from '../../helpers/emulator';
import { whileProbing } from '../../helpers/hostile';
import { errorOf, queryClients, rawQuery } from '../../helpers/query';

const t = useEmulator();
const clients = queryClients(t);

describe('Emulator: EC2 default VPC', () => {
  it('gives every account and region a default VPC with one default /20 subnet per availability zone', async () => {
    const ec2 = clients.ec2();
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({}));
    expect(Vpcs).toHaveLength(1);
    expect(Vpcs?.[0]).toMatchObject({
      CidrBlock: '172.31.0.0/16',
      IsDefault: true,
      State: 'available',
      OwnerId: '123456789012',
    });
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({}));
    expect(
      Subnets?.map((s) => [
        s.AvailabilityZone,
        s.AvailabilityZoneId,
        s.CidrBlock,
        s.AvailableIpAddressCount,
        s.DefaultForAz,
      ]),
    ).toEqual([
      ['us-east-1a', 'use1-az1', '172.31.0.0/20', 4091, true],
      ['us-east-1b', 'use1-az2', '172.31.16.0/20', 4091, true],
      ['us-east-1c', 'use1-az3', '172.31.32.0/20', 4091, true],
    ]);
    expect(Subnets?.every((s) => s.VpcId === Vpcs?.[0].VpcId && s.MapPublicIpOnLaunch === true)).toBe(true);
  });

  it('names availability zones after the region', async () => {
    const { AvailabilityZones } = await clients
      .ec2({ region: 'eu-west-2' })
      .send(new DescribeAvailabilityZonesCommand({}));
    expect(AvailabilityZones?.map((z) => [z.ZoneName, z.ZoneId, z.State, z.RegionName])).toEqual([
      ['eu-west-2a', 'euw2-az1', 'available', 'eu-west-2'],
      ['eu-west-2b', 'euw2-az2', 'available', 'eu-west-2'],
      ['eu-west-2c', 'euw2-az3', 'available', 'eu-west-2'],
    ]);
    const one = await clients
      .ec2({ region: 'eu-west-2' })
      .send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-id', Values: ['euw2-az2'] }] }));
    expect(one.AvailabilityZones?.map((z) => z.ZoneName)).toEqual(['eu-west-2b']);
  });

  it('keeps each account its own network', async () => {
    await clients.ec2().send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const mine = await clients.ec2().send(new DescribeVpcsCommand({}));
    const theirs = await clients.ec2({ account: OTHER_ACCOUNT }).send(new DescribeVpcsCommand({}));
    expect(mine.Vpcs).toHaveLength(2);
    expect(theirs.Vpcs).toHaveLength(1);
    expect(theirs.Vpcs?.[0].VpcId).not.toBe(mine.Vpcs?.[0].VpcId);
  });
});

describe('Emulator: EC2 VPCs and subnets', () => {
  it('creates a VPC with tags from TagSpecifications and deletes it', async () => {
    const ec2 = clients.ec2();
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: '10.0.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'a <b> & "c"' }] }],
      }),
    );
    expect(Vpc).toMatchObject({
      CidrBlock: '10.0.0.0/16',
      IsDefault: false,
      State: 'available',
      Tags: [{ Key: 'Name', Value: 'a <b> & "c"' }],
    });
    const found = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['a <b>*'] }] }),
    );
    expect(found.Vpcs?.map((v) => v.VpcId)).toEqual([Vpc?.VpcId]);
    await ec2.send(new DeleteVpcCommand({ VpcId: Vpc?.VpcId }));
    const e = await errorOf(ec2.send(new DescribeVpcsCommand({ VpcIds: [Vpc?.VpcId as string] })));
    expect(e.name).toBe('InvalidVpcID.NotFound');
    expect(e.message).toBe(`The vpc ID '${Vpc?.VpcId}' does not exist`);
  });

  it('refuses VPC blocks outside /16../28 and malformed CIDRs', async () => {
    const ec2 = clients.ec2();
    expect((await errorOf(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })))).name).toBe(
      'InvalidVpc.Range',
    );
    const bad = await errorOf(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.300/16' })));
    expect(bad.name).toBe('InvalidParameterValue');
    expect(bad.message).toContain('10.0.0.300/16');
    expect((await errorOf(ec2.send(new CreateVpcCommand({})))).name).toBe('MissingParameter');
  });

  it('refuses a sixth VPC in a region (VpcLimitExceeded)', async () => {
    const ec2 = clients.ec2();
    for (let i = 0; i < 4; i++) await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${i}.0.0/16` }));
    expect((await errorOf(ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })))).name).toBe(
      'VpcLimitExceeded',
    );
  });

  it('creates subnets inside the VPC block, counting 5 reserved addresses', async () => {
    const ec2 = clients.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { Subnet } = await ec2.send(
      new CreateSubnetCommand({
        VpcId: Vpc?.VpcId,
        CidrBlock: '10.0.1.0/28',
        AvailabilityZone: 'us-east-1b',
      }),
    );
    expect(Subnet).toMatchObject({
      CidrBlock: '10.0.1.0/28',
      AvailableIpAddressCount: 11,
      AvailabilityZone: 'us-east-1b',
      AvailabilityZoneId: 'use1-az2',
      DefaultForAz: false,
      MapPublicIpOnLaunch: false,
      State: 'available',
    });
    expect(Subnet?.SubnetArn).toBe(`arn:aws:ec2:us-east-1:123456789012:subnet/${Subnet?.SubnetId}`);
  });

  it('answers InvalidSubnet.Conflict for overlapping subnets and InvalidSubnet.Range outside the VPC', async () => {
    const ec2 = clients.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    await ec2.send(new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.0.0.0/24' }));
    const conflict = await errorOf(
      ec2.send(new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.0.0.128/25' })),
    );
    expect(conflict).toMatchObject({
      name: 'InvalidSubnet.Conflict',
      message: "The CIDR '10.0.0.128/25' conflicts with another subnet",
    });
    const range = await errorOf(
      ec2.send(new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.1.0.0/24' })),
    );
    expect(range).toMatchObject({
      name: 'InvalidSubnet.Range',
      message: "The CIDR '10.1.0.0/24' is invalid.",
    });
    const tooBig = await errorOf(
      ec2.send(new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.0.0.0/15' })),
    );
    expect(tooBig.name).toBe('InvalidSubnet.Range');
    const az = await errorOf(
      ec2.send(
        new CreateSubnetCommand({
          VpcId: Vpc?.VpcId,
          CidrBlock: '10.0.9.0/24',
          AvailabilityZone: 'us-east-1z',
        }),
      ),
    );
    expect(az.name).toBe('InvalidParameterValue');
    expect(az.message).toContain('us-east-1a, us-east-1b, us-east-1c');
  });

  it('answers InvalidVpcID.NotFound / Malformed for unknown VPCs', async () => {
    const ec2 = clients.ec2();
    const missing = await errorOf(
      ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/24' })),
    );
    expect(missing).toMatchObject({
      name: 'InvalidVpcID.NotFound',
      message: "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    });
    expect(missing.$metadata.httpStatusCode).toBe(400);
    const malformed = await errorOf(ec2.send(new DeleteVpcCommand({ VpcId: 'nope' })));
    expect(malformed.name).toBe('InvalidVpcID.Malformed');
  });

  it('refuses to delete a VPC that still has subnets (DependencyViolation), then deletes it', async () => {
    const ec2 = clients.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { Subnet } = await ec2.send(
      new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.0.0.0/24' }),
    );
    const e = await errorOf(ec2.send(new DeleteVpcCommand({ VpcId: Vpc?.VpcId })));
    expect(e).toMatchObject({
      name: 'DependencyViolation',
      message: `The vpc '${Vpc?.VpcId}' has dependencies and cannot be deleted.`,
    });
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet?.SubnetId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: Vpc?.VpcId }));
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(1);
  });

  it('refuses to delete a subnet with network interfaces and frees its addresses when they go', async () => {
    const ec2 = clients.ec2();
    const net = t.emu.world.network('123456789012', 'us-east-1');
    const [subnetId] = net.defaultSubnetIds();
    const eni = net.allocateEni({
      subnetIds: [subnetId],
      owner: 'image-builder/b1',
      description: 'AppStream 2.0 image builder b1',
    });
    expect(typeof eni).toBe('object');
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
    expect(Subnets?.[0].AvailableIpAddressCount).toBe(4090);
    const e = await errorOf(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId })));
    expect(e).toMatchObject({
      name: 'DependencyViolation',
      message: `The subnet '${subnetId}' has dependencies and cannot be deleted.`,
    });
    expect(net.releaseEnis('image-builder/b1')).toBe(1);
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
    expect((await ec2.send(new DescribeSubnetsCommand({}))).Subnets).toHaveLength(2);
  });

  it('filters subnets by the documented names, with wildcards, ANDing filters', async () => {
    const ec2 = clients.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    await ec2.send(
      new CreateSubnetCommand({
        VpcId: Vpc?.VpcId,
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: 'us-east-1a',
      }),
    );
    await ec2.send(
      new CreateSubnetCommand({
        VpcId: Vpc?.VpcId,
        CidrBlock: '10.0.2.0/24',
        AvailabilityZone: 'us-east-1b',
      }),
    );
    const by = async (Filters: { Name: string; Values: string[] }[]) =>
      ((await ec2.send(new DescribeSubnetsCommand({ Filters }))).Subnets ?? [])
        .map((s) => s.CidrBlock)
        .sort();
    expect(await by([{ Name: 'vpc-id', Values: [Vpc?.VpcId as string] }])).toEqual([
      '10.0.1.0/24',
      '10.0.2.0/24',
    ]);
    expect(await by([{ Name: 'availability-zone', Values: ['us-east-1b'] }])).toEqual([
      '10.0.2.0/24',
      '172.31.16.0/20',
    ]);
    expect(
      await by([
        { Name: 'default-for-az', Values: ['true'] },
        { Name: 'availability-zone', Values: ['us-east-1a'] },
      ]),
    ).toEqual(['172.31.0.0/20']);
    expect(await by([{ Name: 'cidr-block', Values: ['10.0.*'] }])).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
    expect(await by([{ Name: 'available-ip-address-count', Values: ['251'] }])).toEqual([
      '10.0.1.0/24',
      '10.0.2.0/24',
    ]);
    expect(await by([{ Name: 'state', Values: ['pending'] }])).toEqual([]);
    const e = await errorOf(
      ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })),
    );
    expect(e).toMatchObject({ name: 'InvalidParameterValue', message: "The filter 'colour' is invalid" });
  });

  it('pages DescribeSubnets with MaxResults/NextToken (SDK paginator)', async () => {
    const ec2 = clients.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    for (let i = 0; i < 9; i++)
      await ec2.send(new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: `10.0.${i}.0/24` }));
    const first = await ec2.send(new DescribeSubnetsCommand({ MaxResults: 5 }));
    expect(first.Subnets).toHaveLength(5);
    expect(first.NextToken).toBeTruthy();
    const pages: number[] = [];
    for await (const p of paginateDescribeSubnets({ client: ec2, pageSize: 5 }, {}))
      pages.push(p.Subnets?.length ?? 0);
    expect(pages).toEqual([5, 5, 2]);
    const tooSmall = await errorOf(ec2.send(new DescribeSubnetsCommand({ MaxResults: 2 })));
    expect(tooSmall.name).toBe('InvalidParameterValue');
    const badToken = await errorOf(ec2.send(new DescribeSubnetsCommand({ NextToken: 'garbage' })));
    expect(badToken.name).toBe('InvalidPaginationToken');
  });
});

describe('Emulator: EC2 tags', () => {
  it('creates, describes, filters and deletes tags', async () => {
    const ec2 = clients.ec2();
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({}));
    const vpcId = Vpcs?.[0].VpcId as string;
    const { Subnets } = await ec2.send(new DescribeSubnetsCommand({}));
    const subnetId = Subnets?.[0].SubnetId as string;
    await ec2.send(
      new CreateTagsCommand({
        Resources: [vpcId, subnetId],
        Tags: [
          { Key: 'env', Value: 'dev' },
          { Key: 'team', Value: 'x' },
        ],
      }),
    );
    const { Tags } = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['subnet'] }] }),
    );
    expect(Tags).toEqual([
      { ResourceId: subnetId, ResourceType: 'subnet', Key: 'env', Value: 'dev' },
      { ResourceId: subnetId, ResourceType: 'subnet', Key: 'team', Value: 'x' },
    ]);
    expect(
      (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag-key', Values: ['team'] }] }))).Vpcs,
    ).toHaveLength(1);
    await ec2.send(
      new DeleteTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'env', Value: 'other' }, { Key: 'team' }] }),
    );
    const left = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [vpcId] }] }),
    );
    expect(left.Tags?.map((x) => x.Key)).toEqual(['env']);
    const e = await errorOf(
      ec2.send(
        new CreateTagsCommand({ Resources: ['subnet-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
      ),
    );
    expect(e.name).toBe('InvalidSubnetID.NotFound');
    const reserved = await errorOf(
      ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'aws:x', Value: 'b' }] })),
    );
    expect(reserved.name).toBe('InvalidParameterValue');
  });

  it('refuses more than 50 tags on a resource (TagLimitExceeded)', async () => {
    const ec2 = clients.ec2();
    const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.[0].VpcId as string;
    const Tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect((await errorOf(ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags })))).name).toBe(
      'TagLimitExceeded',
    );
  });

  it('refuses TagSpecifications for another resource type', async () => {
    const e = await errorOf(
      clients.ec2().send(
        new CreateVpcCommand({
          CidrBlock: '10.0.0.0/16',
          TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'a', Value: 'b' }] }],
        }),
      ),
    );
    expect(e.name).toBe('InvalidParameterValue');
    expect((await clients.ec2().send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(1);
  });
});

describe('Emulator: EC2 Query protocol', () => {
  it('answers XML in the EC2 namespace with a requestId', async () => {
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'DescribeAvailabilityZones',
      Version: '2016-11-15',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('xml');
    expect(res.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeAvailabilityZonesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15">/,
    );
    expect(res.text).toMatch(/<requestId>[0-9a-f-]{36}<\/requestId>/);
    expect(res.text).toContain('<availabilityZoneInfo><item><');
  });

  it('parses flattened EC2 lists (Filter.N.Value.M, SubnetId.N)', async () => {
    const net = t.emu.world.network('123456789012', 'us-east-1');
    const [a, b] = net.defaultSubnetIds();
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'DescribeSubnets',
      Version: '2016-11-15',
      'SubnetId.1': a,
      'SubnetId.2': b,
      'Filter.1.Name': 'availability-zone',
      'Filter.1.Value.1': 'us-east-1b',
      'Filter.1.Value.2': 'us-east-1c',
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<subnetId>${b}</subnetId>`);
    expect(res.text).not.toContain(`<subnetId>${a}</subnetId>`);
  });

  it('answers errors as <Response><Errors><Error> with HTTP 400', async () => {
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'DeleteVpc',
      Version: '2016-11-15',
      VpcId: 'vpc-0123456789abcdef0',
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(
      /<Response><Errors><Error><Code>InvalidVpcID.NotFound<\/Code><Message>The vpc ID 'vpc-0123456789abcdef0' does not exist<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('answers InvalidAction for an unknown or prototype action', async () => {
    for (const Action of ['RunInstances', 'constructor', '__proto__', 'toString']) {
      const res = await rawQuery(t.emu.endpoint, { Action, Version: '2016-11-15' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('<Code>InvalidAction</Code>');
      expect(res.text).toContain(`The action ${Action} is not valid for this web service.`);
    }
  });

  it('answers MissingParameter for a missing required parameter and InvalidParameterValue for a wrong type', async () => {
    const missing = await rawQuery(t.emu.endpoint, { Action: 'DeleteSubnet', Version: '2016-11-15' });
    expect(missing.text).toContain(
      '<Code>MissingParameter</Code><Message>The request must contain the parameter SubnetId</Message>',
    );
    const wrong = await rawQuery(t.emu.endpoint, {
      Action: 'DescribeVpcs',
      Version: '2016-11-15',
      MaxResults: 'lots',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('<Code>InvalidParameterValue</Code>');
    expect(wrong.text).toContain('MaxResults');
  });

  it('answers DryRunOperation (412) for a valid DryRun request without applying it', async () => {
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'CreateVpc',
      Version: '2016-11-15',
      CidrBlock: '10.0.0.0/16',
      DryRun: 'true',
    });
    expect(res.status).toBe(412);
    expect(res.text).toContain('<Code>DryRunOperation</Code>');
    expect((await clients.ec2().send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(1);
  });

  it('answers SignatureDoesNotMatch (403) for a credential scoped to an unknown region', async () => {
    const e = await errorOf(clients.ec2({ region: 'xx-nowhere-1' }).send(new DescribeVpcsCommand({})));
    expect(e.name).toBe('SignatureDoesNotMatch');
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toContain('Credential should be scoped to a valid region');
  });

  it('refuses hostile form bodies within 200 ms each, AWS-shaped, state unchanged, health probes under 100 ms', async () => {
    const V = 'Version=2016-11-15';
    // [body, expected status, expected EC2 error code]. Before the parser walked names along the
    // model, the 1.8 MB one-name body took 0.41 s and stalled health probes for 0.35 s.
    const bodies: [string, number, string?][] = [
      // One name 900,000 parts deep: undeclared at the top level, skipped before anything is built.
      [`Action=DescribeVpcs&${V}&${'a.'.repeat(900_000)}b=1`, 200],
      // Declared at the top, then deeper than the shape: dropped at the first unknown part.
      [
        `Action=CreateVpc&${V}&CidrBlock=10.0.0.0/16&TagSpecification.1.Tag.1.Key.${'x.'.repeat(800_000)}y=1`,
        400,
        'InvalidParameterValue',
      ],
      // 130,000 list items / 600,000 empty parameters: over MAX_PARAMS (10,000), refused as read.
      [
        `Action=DescribeVpcs&${V}&${Array.from({ length: 130_000 }, (_, i) => `VpcId.${i + 1}=vpc-1`).join('&')}`.slice(
          0,
          2_000_000,
        ),
        400,
        'InvalidParameterValue',
      ],
      [`Action=DescribeVpcs&${V}&${'a=&'.repeat(600_000)}`, 400, 'InvalidParameterValue'],
      // A list index past MAX_LIST_INDEX (1000) and a malformed one.
      [`Action=DescribeVpcs&${V}&VpcId.1001=vpc-1`, 400, 'InvalidParameterValue'],
      [`Action=DescribeVpcs&${V}&Filter.0.Name=vpc-id&Filter.0.Value.1=x`, 400, 'UnknownParameter'],
      // A huge Action, a huge wildcard value.
      [`Action=${'A'.repeat(1_900_000)}&${V}`, 400, 'InvalidAction'],
      [
        `Action=DescribeSubnets&${V}&Filter.1.Name=tag:Name&Filter.1.Value.1=${encodeURIComponent(`${'*a'.repeat(500_000)}b`)}`,
        200,
      ],
      // Over the 2 MiB body limit.
      [`Action=DescribeVpcs&${V}&${'a=&'.repeat(800_000)}`, 413, 'RequestEntityTooLargeException'],
    ];
    await clients.ec2().send(new DescribeVpcsCommand({}));
    const before = JSON.stringify((t.emu.world.toJSON() as { networks: unknown }).networks);
    const {
      result: timings,
      slowestMs,
      probes,
    } = await whileProbing(t.emu.endpoint, async () => {
      const out: number[] = [];
      for (const [body, status, code] of bodies) {
        const started = performance.now();
        const res = await rawQuery(t.emu.endpoint, body);
        out.push(performance.now() - started);
        expect(res.status, body.slice(0, 80)).toBe(status);
        if (code) {
          expect(res.text).toMatch(
            /^<\?xml[^>]*>\n<Response><Errors><Error><Code>[\w.]+<\/Code><Message>[^<]*<\/Message><\/Error><\/Errors><RequestID>[\w-]+<\/RequestID><\/Response>$/,
          );
          expect(res.text).toContain(`<Code>${code}</Code>`);
        }
      }
      return out;
    });
    for (const ms of timings) expect(ms).toBeLessThan(200);
    expect(probes).toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(100);
    expect(JSON.stringify((t.emu.world.toJSON() as { networks: unknown }).networks)).toBe(before);
    expect((await clients.ec2().send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(1);
  });

  it('keeps undeclared parameters out of state and escapes what XML cannot carry', async () => {
    const res = await rawQuery(t.emu.endpoint, {
      Action: 'CreateVpc',
      Version: '2016-11-15',
      CidrBlock: '10.0.0.0/16',
      Evil: 'x',
      '__proto__.polluted': 'yes',
      'TagSpecification.1.ResourceType': 'vpc',
      'TagSpecification.1.Tag.1.Key': 'Name',
      'TagSpecification.1.Tag.1.Value': 'bell\u0007<tag>',
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<value>bell\uFFFD&lt;tag&gt;</value>');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(t.emu.world.toJSON())).not.toContain('Evil');
  });
});
