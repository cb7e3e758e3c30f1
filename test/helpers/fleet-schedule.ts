import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AppStreamClient,
  AssociateFleetCommand,
  CreateFleetCommand,
  type CreateFleetCommandInput,
  CreateStackCommand,
  DescribeFleetsCommand,
  type Fleet,
  StartFleetCommand,
} from '@aws-sdk/client-appstream';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { ACCOUNT, WIN2022 } from './emulator';

/** Operations that change something: a run that needs nothing must make none of them. */
export const WRITES = [
  'UpdateFleet',
  'StartFleet',
  'StopFleet',
  'TagResource',
  'UntagResource',
  'RegisterScalableTarget',
];

export interface ScheduleWorld {
  emu: RunningEmulator;
  appstream: AppStreamClient;
  autoscaling: ApplicationAutoScalingClient;
  ec2: EC2Client;
  /** An AppStream client in another region (destroyed with the others at `stop()`). */
  appstreamIn(region: string): AppStreamClient;
  /** API calls answered since the last `take()`, by operation. */
  calls: { take(): Record<string, number> };
  stop(): Promise<void>;
}

/**
 * A fresh emulator whose virtual clock starts at `start` and barely moves on its own (the test
 * moves it), with quotas high enough for the test's fleets, and real SDK clients.
 */
export async function scheduleWorld(start: number): Promise<ScheduleWorld> {
  const emu = await startEmulator({ jitterSigma: 0, start, speed: 1e-9 });
  emu.control.setQuotas({ streamingInstances: 1000, fleets: 50, stacks: 50 });
  const config = (region = 'us-east-1') => ({
    endpoint: emu.endpoint,
    region,
    maxAttempts: 1,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'secret' },
  });
  const appstream = new AppStreamClient(config());
  const autoscaling = new ApplicationAutoScalingClient(config());
  const ec2 = new EC2Client(config());
  const clients: { destroy(): void }[] = [appstream, autoscaling, ec2];
  let seen: Record<string, number> = {};
  emu.onResponse((op) => {
    seen[op] = (seen[op] ?? 0) + 1;
  });
  return {
    emu,
    appstream,
    autoscaling,
    ec2,
    appstreamIn(region) {
      const c = new AppStreamClient(config(region));
      clients.push(c);
      return c;
    },
    calls: {
      take() {
        const out = seen;
        seen = {};
        return out;
      },
    },
    async stop() {
      for (const c of clients) c.destroy();
      await emu.stop();
    },
  };
}

/** Creates a fleet with a stack (users stream through one) and starts it unless told not to. */
export async function fleetWithStack(
  w: ScheduleWorld,
  name: string,
  extra: Partial<CreateFleetCommandInput> = {},
  start = true,
): Promise<void> {
  await w.appstream.send(
    new CreateFleetCommand({
      Name: name,
      InstanceType: 'stream.standard.medium',
      ImageName: WIN2022,
      ...(extra.FleetType === 'ELASTIC' ? {} : { ComputeCapacity: { DesiredInstances: 1 } }),
      ...extra,
    }),
  );
  await w.appstream.send(new CreateStackCommand({ Name: `${name}-stack` }));
  await w.appstream.send(new AssociateFleetCommand({ FleetName: name, StackName: `${name}-stack` }));
  if (start) await w.appstream.send(new StartFleetCommand({ Name: name }));
}

/** The default VPC's default subnets (Elastic fleets need a VpcConfig). */
export async function defaultSubnets(w: ScheduleWorld): Promise<string[]> {
  const out = await w.ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
  );
  return (out.Subnets ?? []).map((s) => s.SubnetId!);
}

/** A /28 subnet in a new VPC: 16 addresses, 5 reserved by AWS, 11 usable. */
export async function smallSubnet(w: ScheduleWorld): Promise<string> {
  const vpc = await w.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const subnet = await w.ec2.send(
    new CreateSubnetCommand({
      VpcId: vpc.Vpc!.VpcId!,
      CidrBlock: '10.9.1.0/28',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  return subnet.Subnet!.SubnetId!;
}

export async function registerTarget(w: ScheduleWorld, fleet: string, min: number, max: number) {
  await w.autoscaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'appstream',
      ResourceId: `fleet/${fleet}`,
      ScalableDimension: 'appstream:fleet:DesiredCapacity',
      MinCapacity: min,
      MaxCapacity: max,
    }),
  );
}

export async function fleetsByName(w: ScheduleWorld): Promise<Record<string, Fleet>> {
  const out = await w.appstream.send(new DescribeFleetsCommand({}));
  return Object.fromEntries((out.Fleets ?? []).map((f) => [f.Name!, f]));
}

export async function targetOf(w: ScheduleWorld, fleet: string) {
  const out = await w.autoscaling.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: 'appstream', ResourceIds: [`fleet/${fleet}`] }),
  );
  const t = out.ScalableTargets?.[0];
  return t && { min: t.MinCapacity!, max: t.MaxCapacity! };
}
