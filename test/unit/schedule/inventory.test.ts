import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeFleetsCommand, type Fleet } from '@aws-sdk/client-appstream';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { beforeEach, describe, expect, it } from 'vitest';
import { evaluateSchedules } from '../../../lib/schedule/evaluate';
import { factsOf, readRegion } from '../../../lib/schedule/inventory';
import { fromWire } from '../../../lib/schedule/wire';
import { mockScheduleDeps } from '../../helpers/schedule-mocks';

// Monday 2026-11-30 10:00 UTC.
const { mocks, deps } = mockScheduleDeps(Date.parse('2026-11-30T10:00:00Z'));

const arn = (name: string) => `arn:aws:appstream:us-east-1:123456789012:fleet/${name}`;
const fleet = (name: string, over: Partial<Fleet> = {}): Fleet => ({
  Name: name,
  Arn: arn(name),
  InstanceType: 'stream.standard.medium',
  FleetType: 'ON_DEMAND',
  State: 'RUNNING',
  ComputeCapacityStatus: { Desired: 2, Running: 2, InUse: 0, Available: 2 },
  ...over,
});

beforeEach(() => {
  for (const m of Object.values(mocks)) m.reset();
  mocks.autoscaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
  mocks.tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [], PaginationToken: '' });
});

describe('Fleet schedule inventory: bulk reads', () => {
  it('reads every page of fleets, tags (ends on an empty token) and scalable targets', async () => {
    mocks.appstream
      .on(DescribeFleetsCommand, { NextToken: undefined })
      .resolves({ Fleets: [fleet('a')], NextToken: 't1' })
      .on(DescribeFleetsCommand, { NextToken: 't1' })
      .resolves({ Fleets: [fleet('b')] });
    mocks.tagging
      .on(GetResourcesCommand, { PaginationToken: undefined })
      .resolves({
        ResourceTagMappingList: [{ ResourceARN: arn('a'), Tags: [{ Key: 'k', Value: 'v' }] }],
        PaginationToken: 'p2',
      })
      .on(GetResourcesCommand, { PaginationToken: 'p2' })
      .resolves({
        ResourceTagMappingList: [{ ResourceARN: arn('b'), Tags: [{ Key: 'k', Value: 'w' }] }],
        PaginationToken: '',
      });
    mocks.autoscaling.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'appstream',
          ResourceId: 'fleet/b',
          ScalableDimension: 'appstream:fleet:DesiredCapacity',
          MinCapacity: 2,
          MaxCapacity: 9,
          RoleARN: 'r',
          CreationTime: new Date(),
        },
      ],
    });
    const inv = await readRegion(deps, 'us-east-1');
    expect(inv.reads).toBe(5);
    expect(inv.fleets.get('a')?.tags).toEqual({ k: 'v' });
    expect(inv.fleets.get('b')).toMatchObject({ tags: { k: 'w' }, scalableTarget: { min: 2, max: 9 } });
    expect(mocks.tagging.commandCalls(GetResourcesCommand)[0].args[0].input).toMatchObject({
      ResourceTypeFilters: ['appstream:fleet'],
      ResourcesPerPage: 100,
    });
    expect(mocks.autoscaling.commandCalls(DescribeScalableTargetsCommand)[0].args[0].input).toMatchObject({
      ServiceNamespace: 'appstream',
      MaxResults: 50,
    });
  });

  it('reads capacity in the fleet unit and counts the interfaces it holds', () => {
    const multi = factsOf(
      fleet('m', {
        MaxSessionsPerInstance: 4,
        ComputeCapacityStatus: { Desired: 3, InUse: 2, ActiveUserSessions: 5, DesiredUserSessions: 12 },
      }),
      'us-east-1',
      {},
    );
    expect(multi).toMatchObject({ unit: 'DesiredSessions', current: 12, inUse: 5, heldInterfaces: 3 });
    const elastic = factsOf(
      fleet('e', {
        FleetType: 'ELASTIC',
        MaxConcurrentSessions: 10,
        ComputeCapacityStatus: { Desired: 4, InUse: 4 },
      }),
      'us-east-1',
      {},
    );
    expect(elastic).toMatchObject({
      unit: 'MaxConcurrentSessions',
      current: 10,
      inUse: 4,
      heldInterfaces: 4,
    });
    const scaled = factsOf(fleet('s'), 'us-east-1', {}, { min: 1, max: 8 });
    expect(scaled.heldInterfaces).toBe(8);
    expect(factsOf(fleet('x', { State: 'STOPPED' }), 'us-east-1', {}).heldInterfaces).toBe(0);
  });
});

describe('Fleet schedule evaluate: the IP cap', () => {
  const config = {
    schedules: { day: { timezone: 'UTC', default: 10 } },
    fleets: [
      { name: 'a', schedule: 'day' },
      { name: 'b', schedule: 'day' },
      { name: 'c', schedule: 'day' },
    ],
  };

  it('looks subnets up once, only for fleets that grow, and shares a subnet’s free addresses in order', async () => {
    const vpc = { SubnetIds: ['subnet-1'], SecurityGroupIds: [] };
    mocks.appstream.on(DescribeFleetsCommand).resolves({
      Fleets: [
        fleet('a', { VpcConfig: vpc }),
        fleet('b', { VpcConfig: vpc }),
        // Already at 10: no lookup needed for it.
        fleet('c', {
          VpcConfig: { SubnetIds: ['subnet-2'] },
          ComputeCapacityStatus: { Desired: 10, InUse: 0 },
        }),
      ],
    });
    mocks.ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [{ SubnetId: 'subnet-1', AvailableIpAddressCount: 12 }],
    });
    const out = await evaluateSchedules({ config }, deps);
    expect(mocks.ec2.commandCalls(DescribeSubnetsCommand).map((c) => c.args[0].input)).toEqual([
      { SubnetIds: ['subnet-1'] },
    ]);
    // a takes 8 of the 12 free addresses (2 → 10), b gets the 4 left: 2 + 4 = 6.
    expect(
      out.changes.map((w) => fromWire(w, out.kinds)).map((p) => [p.fleet, p.after, p.cap?.reason]),
    ).toEqual([
      ['a', 10, undefined],
      ['b', 6, 'IP cap: 4 free addresses in subnet-1 + 2 interfaces held'],
    ]);
    expect(out.unchanged.map(([fleet]) => fleet)).toEqual(['c']);
    expect(out.reads).toBe(4);
  });

  it('refuses a run without a schedule file, naming what to pass', async () => {
    await expect(evaluateSchedules({}, deps)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('SCHEDULE_FILE'),
    });
  });
});
