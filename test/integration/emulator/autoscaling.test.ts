import {
  ApplicationAutoScalingClient,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  InvalidNextTokenException,
  LimitExceededException,
  ObjectNotFoundException,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DeleteFleetCommand,
  DescribeFleetsCommand,
  StartFleetCommand,
  StopFleetCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { MAX_TARGETS_PER_TYPE } from '../../../emulator/autoscaling/targets';
import { loadModel } from '../../../emulator/model';
import { awsCliEnv, run } from '../../helpers/aws-cli';
import { createFleet } from '../../helpers/builders';
import { recordResponses, responseProblems } from '../../helpers/contract';
import { MIN, useEmulator } from '../../helpers/emulator';

const f = useEmulator();
/** Every response of this file, checked against the model at the end. */
const seen = recordResponses(f);

const aas = (region = 'us-east-1') => f.sdk(ApplicationAutoScalingClient, { region });

const fleetTarget = (name = 'f1') => ({
  ServiceNamespace: 'appstream' as const,
  ResourceId: `fleet/${name}`,
  ScalableDimension: 'appstream:fleet:DesiredCapacity' as const,
});

/** A RUNNING fleet with `desired` instances (create, start, 10 min to RUNNING, 5 min ramp). */
async function runningFleet(name = 'f1', desired = 2) {
  const client = f.client();
  await createFleet(client, name, { ComputeCapacity: { DesiredInstances: desired } });
  await client.send(new StartFleetCommand({ Name: name }));
  f.emu.control.advance(16 * MIN);
}

const capacity = async (name = 'f1') =>
  (await f.client().send(new DescribeFleetsCommand({ Names: [name] }))).Fleets![0].ComputeCapacityStatus!;

const eniCount = (name = 'f1') => f.emu.world.store('123456789012', 'us-east-1').fleets.get(name)!.eniCount;

/** `at(...)` for a virtual time `ms` from now, in UTC. */
const atIn = (ms: number) => `at(${new Date(f.emu.control.clock().now + ms).toISOString().slice(0, 19)})`;

describe('Emulator: RegisterScalableTarget', () => {
  it('registers an AppStream fleet and describes it with AWS defaults', async () => {
    await runningFleet();
    const { ScalableTargetARN } = await aas().send(
      new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1, MaxCapacity: 5 }),
    );
    expect(ScalableTargetARN).toMatch(
      /^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/\w{36}$/,
    );
    const { ScalableTargets } = await aas().send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' }),
    );
    expect(ScalableTargets).toEqual([
      {
        ...fleetTarget(),
        MinCapacity: 1,
        MaxCapacity: 5,
        RoleARN:
          'arn:aws:iam::123456789012:role/aws-service-role/appstream.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_AppStreamFleet',
        CreationTime: expect.any(Date),
        SuspendedState: {
          DynamicScalingInSuspended: false,
          DynamicScalingOutSuspended: false,
          ScheduledScalingSuspended: false,
        },
        ScalableTargetARN,
      },
    ]);
  });

  it('scales a RUNNING fleet out to Min and in to Max, and sizes its interfaces to Max', async () => {
    await runningFleet('f1', 2);
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 3, MaxCapacity: 5 }));
    expect((await capacity()).Desired).toBe(3);
    expect(eniCount()).toBe(5);
    f.emu.control.advance(5 * MIN);
    expect((await capacity()).Running).toBe(3);
    // An update without Min/Max keeps them; lowering Max below desired scales in.
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MaxCapacity: 2, MinCapacity: 1 }));
    expect((await capacity()).Desired).toBe(2);
    expect(eniCount()).toBe(2);
    const [t] = (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
      .ScalableTargets!;
    expect([t.MinCapacity, t.MaxCapacity]).toEqual([1, 2]);
  });

  it('leaves a STOPPED fleet at its capacity ("not active in the target service")', async () => {
    await createFleet(f.client(), 'f1', { ComputeCapacity: { DesiredInstances: 1 } });
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 4, MaxCapacity: 6 }));
    expect((await capacity()).Desired).toBe(1);
  });

  it('accepts an UpdateFleet outside [Min, Max] (out of band) and puts it back at the next registration', async () => {
    await runningFleet('f1', 2);
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 2, MaxCapacity: 4 }));
    await f.client().send(new UpdateFleetCommand({ Name: 'f1', ComputeCapacity: { DesiredInstances: 5 } }));
    expect((await capacity()).Desired).toBe(5);
    // Out of band above Max: the fleet still gets interfaces for its desired capacity.
    expect(eniCount()).toBe(5);
    await aas().send(new RegisterScalableTargetCommand(fleetTarget()));
    expect((await capacity()).Desired).toBe(4);
  });

  it('keeps the target but not the resize when Min exceeds the streaming-instance quota', async () => {
    await runningFleet('f1', 2);
    await aas().send(
      new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 8, MaxCapacity: 10 }),
    );
    expect((await capacity()).Desired).toBe(2);
    const [t] = (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
      .ScalableTargets!;
    expect(t.MinCapacity).toBe(8);
  });

  it('refuses a new target without Min and Max, Min above Max and a fleet that does not exist', async () => {
    await createFleet(f.client());
    const client = aas();
    await expect(
      client.send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1 })),
    ).rejects.toThrow(ValidationException);
    await expect(
      client.send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 3, MaxCapacity: 2 })),
    ).rejects.toThrow(/Minimum capacity cannot be greater than maximum capacity/);
    await expect(
      client.send(
        new RegisterScalableTargetCommand({ ...fleetTarget('ghost'), MinCapacity: 1, MaxCapacity: 2 }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'AppStream fleet does not exist: fleet/ghost',
    });
    expect(
      (await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
        .ScalableTargets,
    ).toEqual([]);
  });

  it('answers other namespaces as resources that do not exist, and mismatched ids as unsupported', async () => {
    await expect(
      aas().send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'ecs',
          ResourceId: 'service/default/web',
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: 1,
          MaxCapacity: 2,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "ECS service doesn't exist: service/default/web",
    });
    await expect(
      aas().send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'appstream',
          ResourceId: 'fleet/f1',
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: 1,
          MaxCapacity: 2,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Unsupported service namespace, resource type or scalable dimension',
    });
  });

  it('refuses tags on an existing target and targets past the quota', async () => {
    await createFleet(f.client());
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 0, MaxCapacity: 2 }));
    await expect(
      aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), Tags: { team: 'a' } })),
    ).rejects.toThrow(/The scalable target that you tried to tag already exists/);
    const state = f.emu.world.scaling('123456789012', 'us-east-1');
    for (let i = state.targets.size; i < MAX_TARGETS_PER_TYPE; i++)
      state.putTarget({
        ...state.target('appstream', 'fleet/f1', 'appstream:fleet:DesiredCapacity')!,
        resourceId: `fleet/x${i}`,
      });
    await createFleet(f.client(), 'f2');
    await expect(
      aas().send(new RegisterScalableTargetCommand({ ...fleetTarget('f2'), MinCapacity: 0, MaxCapacity: 2 })),
    ).rejects.toThrow(LimitExceededException);
  });
});

describe('Emulator: DeregisterScalableTarget and DescribeScalableTargets', () => {
  it('deregisters a target with its scheduled actions, then answers ObjectNotFoundException', async () => {
    await runningFleet('f1', 2);
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1, MaxCapacity: 6 }));
    await aas().send(
      new PutScheduledActionCommand({
        ...fleetTarget(),
        ScheduledActionName: 'nightly',
        Schedule: 'cron(0 20 * * ? *)',
        ScalableTargetAction: { MaxCapacity: 1 },
      }),
    );
    expect(eniCount()).toBe(6);
    await aas().send(new DeregisterScalableTargetCommand(fleetTarget()));
    expect(eniCount()).toBe(2);
    expect(
      (await aas().send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'appstream' })))
        .ScheduledActions,
    ).toEqual([]);
    await expect(aas().send(new DeregisterScalableTargetCommand(fleetTarget()))).rejects.toMatchObject({
      name: 'ObjectNotFoundException',
      message:
        'No scalable target registered for service namespace: appstream, resource ID: fleet/f1, scalable dimension: appstream:fleet:DesiredCapacity',
    });
  });

  it('removes the target when its fleet is deleted', async () => {
    const client = f.client();
    await runningFleet('f1', 1);
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1, MaxCapacity: 3 }));
    await client.send(new StopFleetCommand({ Name: 'f1' }));
    f.emu.control.advance(6 * MIN);
    await client.send(new DeleteFleetCommand({ Name: 'f1' }));
    expect(
      (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
        .ScalableTargets,
    ).toEqual([]);
  });

  it('filters by ResourceIds and pages with MaxResults/NextToken (1–50)', async () => {
    for (const name of ['a', 'b', 'c']) {
      await createFleet(f.client(), name, { ComputeCapacity: { DesiredInstances: 1 } });
      await aas().send(
        new RegisterScalableTargetCommand({ ...fleetTarget(name), MinCapacity: 0, MaxCapacity: 2 }),
      );
    }
    const client = aas();
    const first = await client.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream', MaxResults: 2 }),
    );
    expect(first.ScalableTargets!.map((t) => t.ResourceId)).toEqual(['fleet/a', 'fleet/b']);
    const second = await client.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'appstream',
        MaxResults: 2,
        NextToken: first.NextToken,
      }),
    );
    expect(second.ScalableTargets!.map((t) => t.ResourceId)).toEqual(['fleet/c']);
    expect(second.NextToken).toBeUndefined();
    const filtered = await client.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: 'appstream',
        ResourceIds: ['fleet/c', 'fleet/zzz'],
        ScalableDimension: 'appstream:fleet:DesiredCapacity',
      }),
    );
    expect(filtered.ScalableTargets!.map((t) => t.ResourceId)).toEqual(['fleet/c']);
    expect(
      (await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).ScalableTargets,
    ).toEqual([]);
    await expect(
      client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream', NextToken: 'bogus' })),
    ).rejects.toThrow(InvalidNextTokenException);
    await expect(
      client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream', MaxResults: 51 })),
    ).rejects.toThrow(ValidationException);
    // "If you specify a scalable dimension, you must also specify a resource ID."
    await expect(
      client.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: 'appstream',
          ScalableDimension: 'appstream:fleet:DesiredCapacity',
        }),
      ),
    ).rejects.toThrow(ValidationException);
  });

  it('keeps targets per account and region, in the state file and across reset', async () => {
    await createFleet(f.client());
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 0, MaxCapacity: 2 }));
    expect(
      (await aas('eu-west-1').send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
        .ScalableTargets,
    ).toEqual([]);
    const saved = JSON.parse(JSON.stringify(f.emu.world.toJSON()));
    f.emu.control.reset();
    expect(
      (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
        .ScalableTargets,
    ).toEqual([]);
    f.emu.world.load(saved);
    expect(
      (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
        .ScalableTargets,
    ).toHaveLength(1);
  });

  it('honours injected faults and answers NotImplementedException for scaling policies', async () => {
    f.emu.control.failCalls({ code: 'ConcurrentUpdateException', operation: 'RegisterScalableTarget' });
    await createFleet(f.client());
    await expect(
      aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 0, MaxCapacity: 2 })),
    ).rejects.toMatchObject({ name: 'ConcurrentUpdateException' });
    expect(
      (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
        .ScalableTargets,
    ).toEqual([]);
    await expect(
      aas().send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'appstream' })),
    ).rejects.toMatchObject({ name: 'NotImplementedException' });
  });
});

describe('Emulator: scheduled actions', () => {
  it('puts, describes (with Timezone, times and action) and deletes a scheduled action', async () => {
    await createFleet(f.client());
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1, MaxCapacity: 5 }));
    const start = new Date(Date.UTC(2030, 0, 1));
    await aas().send(
      new PutScheduledActionCommand({
        ...fleetTarget(),
        ScheduledActionName: 'morning',
        Schedule: 'cron(30 7 ? * MON-FRI *)',
        Timezone: 'Europe/Berlin',
        StartTime: start,
        ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 8 },
      }),
    );
    const [a] = (await aas().send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'appstream' })))
      .ScheduledActions!;
    expect(a).toMatchObject({
      ScheduledActionName: 'morning',
      ScheduledActionARN: expect.stringMatching(
        /^arn:aws:autoscaling:us-east-1:123456789012:scheduledAction:[0-9a-f-]{36}:resource\/appstream\/fleet\/f1:scheduledActionName\/morning$/,
      ),
      Schedule: 'cron(30 7 ? * MON-FRI *)',
      Timezone: 'Europe/Berlin',
      StartTime: start,
      ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 8 },
      ...fleetTarget(),
    });
    await aas().send(new DeleteScheduledActionCommand({ ...fleetTarget(), ScheduledActionName: 'morning' }));
    await expect(
      aas().send(new DeleteScheduledActionCommand({ ...fleetTarget(), ScheduledActionName: 'morning' })),
    ).rejects.toThrow(ObjectNotFoundException);
  });

  it('refuses actions without a target, with a bad schedule or time zone, or without Min and Max', async () => {
    await createFleet(f.client());
    const put = (extra: Record<string, unknown>) =>
      aas().send(
        new PutScheduledActionCommand({
          ...fleetTarget(),
          ScheduledActionName: 'a',
          Schedule: 'rate(1 hour)',
          ScalableTargetAction: { MinCapacity: 1 },
          ...extra,
        }),
      );
    await expect(put({})).rejects.toThrow(ObjectNotFoundException);
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1, MaxCapacity: 5 }));
    await expect(put({ Schedule: 'rate(0 hours)' })).rejects.toThrow(ValidationException);
    await expect(put({ Schedule: 'cron(0 8 * * MON *)' })).rejects.toThrow(
      /one of day-of-month and day-of-week/,
    );
    await expect(put({ Schedule: 'cron(0 8 ? * MON *)', Timezone: 'Mars/Olympus' })).rejects.toThrow(
      /Invalid time zone/,
    );
    await expect(put({ ScalableTargetAction: {} })).rejects.toThrow(ValidationException);
    expect(
      (await aas().send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'appstream' })))
        .ScheduledActions,
    ).toEqual([]);
  });

  it('runs an at() action on the virtual clock: Min/Max change and the fleet scales within them', async () => {
    await runningFleet('f1', 2);
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1, MaxCapacity: 5 }));
    await aas().send(
      new PutScheduledActionCommand({
        ...fleetTarget(),
        ScheduledActionName: 'peak',
        Schedule: atIn(60 * MIN),
        ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 10 },
      }),
    );
    f.emu.control.advance(59 * MIN);
    expect((await capacity()).Desired).toBe(2);
    f.emu.control.advance(2 * MIN);
    expect((await capacity()).Desired).toBe(4);
    const [t] = (await aas().send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream' })))
      .ScalableTargets!;
    expect([t.MinCapacity, t.MaxCapacity]).toEqual([4, 10]);
    expect(eniCount()).toBe(10);
    // The resize started when the action ran (5 min ramp from 2 to 4).
    f.emu.control.advance(4 * MIN);
    expect((await capacity()).Running).toBe(4);
  });

  it('skips actions while ScheduledScalingSuspended, and runs rate() and cron() with a time zone', async () => {
    await runningFleet('f1', 2);
    await aas().send(
      new RegisterScalableTargetCommand({
        ...fleetTarget(),
        MinCapacity: 1,
        MaxCapacity: 5,
        SuspendedState: { ScheduledScalingSuspended: true },
      }),
    );
    await aas().send(
      new PutScheduledActionCommand({
        ...fleetTarget(),
        ScheduledActionName: 'every-hour',
        Schedule: 'rate(1 hour)',
        ScalableTargetAction: { MinCapacity: 3 },
      }),
    );
    f.emu.control.advance(61 * MIN);
    expect((await capacity()).Desired).toBe(2);
    await aas().send(
      new RegisterScalableTargetCommand({
        ...fleetTarget(),
        SuspendedState: { ScheduledScalingSuspended: false },
      }),
    );
    f.emu.control.advance(60 * MIN);
    expect((await capacity()).Desired).toBe(3);
    // A cron in Asia/Kolkata (+05:30): the next local 00:00 sets Max 1.
    await aas().send(
      new DeleteScheduledActionCommand({ ...fleetTarget(), ScheduledActionName: 'every-hour' }),
    );
    await aas().send(new RegisterScalableTargetCommand({ ...fleetTarget(), MinCapacity: 1 }));
    await aas().send(
      new PutScheduledActionCommand({
        ...fleetTarget(),
        ScheduledActionName: 'midnight',
        Schedule: 'cron(0 0 * * ? *)',
        Timezone: 'Asia/Kolkata',
        ScalableTargetAction: { MaxCapacity: 1 },
      }),
    );
    const now = f.emu.control.clock().now;
    const local = new Date(now + 5.5 * 3_600_000);
    const nextMidnightUtc =
      Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1) - 5.5 * 3_600_000;
    f.emu.control.advance(nextMidnightUtc - now - 1000);
    expect((await capacity()).Desired).toBe(3);
    f.emu.control.advance(2000);
    expect((await capacity()).Desired).toBe(1);
  });
});

describe('Emulator: Application Auto Scaling with the AWS CLI and boto3', () => {
  it('registers and describes targets with `aws application-autoscaling`', async () => {
    await runningFleet('f1', 1);
    const cli = async (...args: string[]) => {
      const { stdout } = await run(
        'aws',
        ['application-autoscaling', ...args, '--endpoint-url', f.emu.endpoint, '--output', 'json'],
        { env: awsCliEnv() },
      );
      return stdout.trim() ? JSON.parse(stdout) : {};
    };
    const registered = await cli(
      'register-scalable-target',
      '--service-namespace',
      'appstream',
      '--resource-id',
      'fleet/f1',
      '--scalable-dimension',
      'appstream:fleet:DesiredCapacity',
      '--min-capacity',
      '2',
      '--max-capacity',
      '5',
    );
    expect(registered.ScalableTargetARN).toMatch(/^arn:aws:application-autoscaling:/);
    const described = await cli('describe-scalable-targets', '--service-namespace', 'appstream');
    expect(described.ScalableTargets).toMatchObject([
      { ResourceId: 'fleet/f1', MinCapacity: 2, MaxCapacity: 5 },
    ]);
    expect((await capacity()).Desired).toBe(2);
    await expect(
      cli(
        'deregister-scalable-target',
        '--service-namespace',
        'appstream',
        '--resource-id',
        'fleet/ghost',
        '--scalable-dimension',
        'appstream:fleet:DesiredCapacity',
      ),
    ).rejects.toThrow(/ObjectNotFoundException/);
  });

  it('pages scalable targets with a boto3 paginator and reads scheduled actions', async () => {
    for (const name of ['a', 'b', 'c'])
      await createFleet(f.client(), name, { ComputeCapacity: { DesiredInstances: 1 } });
    const script = `
import boto3, json, sys
c = boto3.client('application-autoscaling', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='123456789012', aws_secret_access_key='s')
for n in ['a', 'b', 'c']:
    c.register_scalable_target(ServiceNamespace='appstream', ResourceId='fleet/' + n,
        ScalableDimension='appstream:fleet:DesiredCapacity', MinCapacity=0, MaxCapacity=3)
c.put_scheduled_action(ServiceNamespace='appstream', ResourceId='fleet/a', ScalableDimension='appstream:fleet:DesiredCapacity',
    ScheduledActionName='weekday', Schedule='cron(0 8 ? * MON-FRI *)', Timezone='Europe/Berlin',
    ScalableTargetAction={'MinCapacity': 2})
pages = list(c.get_paginator('describe_scalable_targets').paginate(ServiceNamespace='appstream', PaginationConfig={'PageSize': 2}))
actions = c.describe_scheduled_actions(ServiceNamespace='appstream', ResourceId='fleet/a')['ScheduledActions']
try:
    c.delete_scheduled_action(ServiceNamespace='appstream', ResourceId='fleet/a', ScalableDimension='appstream:fleet:DesiredCapacity', ScheduledActionName='nope')
    err = None
except c.exceptions.ObjectNotFoundException as e:
    err = e.response['Error']['Code']
print(json.dumps({'pages': [[t['ResourceId'] for t in p['ScalableTargets']] for p in pages],
                  'action': [actions[0]['Schedule'], actions[0]['Timezone']], 'err': err}))
`;
    const { stdout } = await run('python3', ['-c', script, f.emu.endpoint], { env: awsCliEnv() });
    expect(JSON.parse(stdout)).toEqual({
      pages: [['fleet/a', 'fleet/b'], ['fleet/c']],
      action: ['cron(0 8 ? * MON-FRI *)', 'Europe/Berlin'],
      err: 'ObjectNotFoundException',
    });
  });
});

describe('Emulator: Application Auto Scaling responses against the model', () => {
  it('answers every call of this file with the output shape or an error the operation declares', () => {
    const model = loadModel('application-autoscaling');
    const ops = seen.filter((s) => Object.hasOwn(model.operations, s.operation));
    expect(ops.length).toBeGreaterThan(20);
    expect(responseProblems(model, ops)).toEqual([]);
  });
});
