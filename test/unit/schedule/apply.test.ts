import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AppStreamClient,
  DescribeFleetsCommand,
  type FleetState,
  StartFleetCommand,
  StopFleetCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../lib/schedule/apply';
import type { ScheduleDeps } from '../../../lib/schedule/deps';
import type { FleetPlan } from '../../../lib/schedule/plan';
import { TAG } from '../../../lib/tags';

const NOW = Date.parse('2026-11-30T06:30:00Z');
const ARN = 'arn:aws:appstream:us-east-1:123456789012:fleet/f1';
const appstreamClient = new AppStreamClient({ region: 'us-east-1', maxAttempts: 1 });
const autoscalingClient = new ApplicationAutoScalingClient({ region: 'us-east-1', maxAttempts: 1 });
const appstream = mockClient(appstreamClient);
const autoscaling = mockClient(autoscalingClient);

const deps: ScheduleDeps = {
  deployment: 'local',
  region: 'us-east-1',
  appstream: () => appstreamClient,
  autoscaling: () => autoscalingClient,
  ec2: () => new EC2Client({}),
  tagging: () => new ResourceGroupsTaggingAPIClient({}),
  clock: { now: () => NOW },
};

function plan(over: Partial<FleetPlan> = {}): FleetPlan {
  return {
    fleet: 'f1',
    region: 'us-east-1',
    schedule: 'office-hours',
    fleetType: 'ON_DEMAND',
    unit: 'DesiredInstances',
    state: 'RUNNING',
    before: 2,
    after: 20,
    wanted: 20,
    inUse: 0,
    action: 'resize',
    reason: 'period workday',
    arn: ARN,
    notes: [],
    ...over,
  };
}

const serviceError = (name: string, message: string, status = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

beforeEach(() => {
  appstream.reset();
  autoscaling.reset();
  appstream.resolves({});
  autoscaling.resolves({});
});

describe('Fleet schedule apply: one plan', () => {
  it('resizes in the fleet unit, then records the last action and reason', async () => {
    const out = await applyPlan({ plan: plan() }, deps);
    expect(out).toMatchObject({ result: 'applied', calls: ['UpdateFleet', 'TagResource'] });
    expect(appstream.commandCalls(UpdateFleetCommand)[0].args[0].input).toEqual({
      Name: 'f1',
      ComputeCapacity: { DesiredInstances: 20 },
    });
    expect(appstream.commandCalls(TagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: ARN,
      Tags: { [TAG.lastAction]: '2026-11-30T06:30Z resize 20/20 period workday' },
    });
  });

  it('sets DesiredSessions on multi-session fleets and MaxConcurrentSessions on Elastic fleets', async () => {
    await applyPlan({ plan: plan({ unit: 'DesiredSessions', after: 12 }) }, deps);
    await applyPlan({ plan: plan({ unit: 'MaxConcurrentSessions', fleetType: 'ELASTIC', after: 7 }) }, deps);
    const inputs = appstream.commandCalls(UpdateFleetCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { Name: 'f1', ComputeCapacity: { DesiredSessions: 12 } },
      { Name: 'f1', MaxConcurrentSessions: 7 },
    ]);
  });

  it('sizes a stopped fleet first (STARTING fleets take no edits), then starts it', async () => {
    const out = await applyPlan({ plan: plan({ action: 'start', state: 'STOPPED', before: 1 }) }, deps);
    expect(out.calls).toEqual(['UpdateFleet', 'StartFleet', 'TagResource']);
    expect(appstream.commandCalls(StartFleetCommand)[0].args[0].input).toEqual({ Name: 'f1' });
  });

  it('stops a fleet and tags why, with a tag-safe reason', async () => {
    const out = await applyPlan(
      { plan: plan({ action: 'stop', after: 0, wanted: 0, reason: "holiday New Year's Day" }) },
      deps,
    );
    expect(out.calls).toEqual(['StopFleet', 'TagResource']);
    expect(appstream.commandCalls(StopFleetCommand)).toHaveLength(1);
    expect(appstream.commandCalls(TagResourceCommand)[0].args[0].input.Tags).toEqual({
      [TAG.lastAction]: '2026-11-30T06:30Z stop 0/0 holiday New Year s Day',
    });
  });

  it('sets Min/Max on an auto-scaled fleet instead of its desired capacity', async () => {
    const out = await applyPlan(
      {
        plan: plan({
          action: 'set-min-max',
          after: 5,
          scalableTarget: { min: 5, max: 30, wantedMin: 5, wantedMax: 30 },
        }),
      },
      deps,
    );
    expect(out.calls).toEqual(['RegisterScalableTarget', 'TagResource']);
    expect(autoscaling.commandCalls(RegisterScalableTargetCommand)[0].args[0].input).toEqual({
      ServiceNamespace: 'appstream',
      ResourceId: 'fleet/f1',
      ScalableDimension: 'appstream:fleet:DesiredCapacity',
      MinCapacity: 5,
      MaxCapacity: 30,
    });
    expect(appstream.commandCalls(UpdateFleetCommand)).toHaveLength(0);
  });

  it('starts a STOPPED auto-scaled fleet: registers [Min, Max], sizes it within them, then starts it', async () => {
    // RegisterScalableTarget does not change a fleet that isn't active: without the UpdateFleet
    // the fleet would start at its old capacity (1), outside [4, 12].
    const out = await applyPlan(
      {
        plan: plan({
          action: 'start',
          state: 'STOPPED',
          before: 1,
          after: 8,
          scalableTarget: { min: 4, max: 12, wantedMin: 4, wantedMax: 12 },
        }),
      },
      deps,
    );
    expect(out.calls).toEqual(['RegisterScalableTarget', 'UpdateFleet', 'StartFleet', 'TagResource']);
    expect(autoscaling.commandCalls(RegisterScalableTargetCommand)[0].args[0].input).toMatchObject({
      MinCapacity: 4,
      MaxCapacity: 12,
    });
    expect(appstream.commandCalls(UpdateFleetCommand)[0].args[0].input).toEqual({
      Name: 'f1',
      ComputeCapacity: { DesiredInstances: 8 },
    });
  });

  it('removes an expired override (and only records when nothing else changes)', async () => {
    const out = await applyPlan({ plan: plan({ action: 'none', after: 2, clearOverride: true }) }, deps);
    expect(out.calls).toEqual(['UntagResource']);
    expect(appstream.commandCalls(UntagResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: ARN,
      TagKeys: [TAG.override],
    });
  });

  it('writes only the tag for an enforced: false change point the fleet already matches', async () => {
    const out = await applyPlan(
      { plan: plan({ action: 'none', after: 20, before: 20, record: true }) },
      deps,
    );
    expect(out.calls).toEqual(['TagResource']);
  });
});

describe('Fleet schedule apply: errors', () => {
  it('skips a busy fleet for the next run (ConcurrentModificationException), tagging nothing', async () => {
    appstream
      .on(UpdateFleetCommand)
      .rejects(serviceError('ConcurrentModificationException', "Fleet 'f1' is STARTING"));
    const out = await applyPlan({ plan: plan() }, deps);
    expect(out).toMatchObject({
      result: 'skipped',
      action: 'retry-later',
      error: expect.stringContaining('ConcurrentModificationException'),
    });
    expect(appstream.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  const described = (State: FleetState, Desired: number) => ({
    Fleets: [
      {
        Name: 'f1',
        Arn: ARN,
        InstanceType: 'stream.standard.small',
        State,
        ComputeCapacityStatus: { Desired },
      },
    ],
  });

  it('treats a StartFleet refused because the fleet is still STOPPING as busy, whatever the message says', async () => {
    appstream.on(StartFleetCommand).rejects(serviceError('OperationNotPermittedException', 'not now'));
    appstream.on(DescribeFleetsCommand).resolves(described('STOPPING', 20));
    const out = await applyPlan({ plan: plan({ action: 'start', before: 20 }) }, deps);
    expect(out).toMatchObject({ result: 'skipped', action: 'retry-later' });
    expect(out.calls).toEqual(['StartFleet', 'DescribeFleets']);
    expect(appstream.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it("fails a refusal the fleet's state does not explain (re-described RUNNING), even if the message names STARTING", async () => {
    appstream
      .on(UpdateFleetCommand)
      .rejects(serviceError('InvalidParameterCombinationException', "Fleet 'f1' is STARTING"));
    appstream.on(DescribeFleetsCommand).resolves(described('RUNNING', 3));
    await expect(applyPlan({ plan: plan() }, deps)).rejects.toMatchObject({
      name: 'InvalidParameterCombinationException',
    });
  });

  it('resumes after a partial success: a retried start finds the fleet STARTING at its size and records the last action', async () => {
    // The first attempt sized and started the fleet, then TagResource was throttled; Step
    // Functions retries the step: UpdateFleet now meets a STARTING fleet.
    appstream.on(UpdateFleetCommand).rejects(serviceError('ConcurrentModificationException', 'busy'));
    appstream.on(DescribeFleetsCommand).resolves(described('STARTING', 12));
    const out = await applyPlan(
      { plan: plan({ action: 'start', state: 'STOPPED', before: 2, after: 12, wanted: 12 }) },
      deps,
    );
    expect(out).toMatchObject({ result: 'applied' });
    expect(out.calls).toEqual(['UpdateFleet', 'DescribeFleets', 'TagResource']);
    expect(appstream.commandCalls(StartFleetCommand)).toHaveLength(0);
    expect(appstream.commandCalls(TagResourceCommand)[0].args[0].input.Tags?.[TAG.lastAction]).toMatch(
      / start 12\/12 /,
    );
  });

  it('never applies or records a retry-later plan (a busy fleet with an expired override)', async () => {
    const out = await applyPlan(
      { plan: plan({ action: 'retry-later', state: 'STOPPING', clearOverride: true }) },
      deps,
    );
    expect(out).toMatchObject({ result: 'skipped', action: 'retry-later', calls: [] });
    expect(appstream.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('turns throttling left after the SDK retries into AwsTransientError (the state machine retries)', async () => {
    appstream.on(UpdateFleetCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    await expect(applyPlan({ plan: plan() }, deps)).rejects.toMatchObject({ name: 'AwsTransientError' });
  });

  it('lets any other error keep its name (the Map reports this fleet failed, the others apply)', async () => {
    appstream.on(UpdateFleetCommand).rejects(serviceError('LimitExceededException', 'quota'));
    await expect(applyPlan({ plan: plan() }, deps)).rejects.toMatchObject({ name: 'LimitExceededException' });
  });
});
