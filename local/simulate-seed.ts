/**
 * Fleets for a simulated schedule (simulate, bench): created, tagged, associated with a stack (users
 * stream through one) and started through the real AppStream API of the in-process emulator.
 */
import {
  AppStreamClient,
  AssociateFleetCommand,
  CreateFleetCommand,
  CreateStackCommand,
  StartFleetCommand,
} from '@aws-sdk/client-appstream';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { RunningEmulator } from '../emulator';
import { perRegion } from '../lib/aws/per-region';
import { localClients } from './local-clients';
import { LOCAL_ACCOUNT } from './local-deps';

export type SeedType = 'ALWAYS_ON' | 'ON_DEMAND' | 'ELASTIC' | 'MULTI_SESSION';

export interface SeedFleet {
  name: string;
  region: string;
  type: SeedType;
  /** Initial capacity in the fleet's unit (Elastic: MaxConcurrentSessions, at least 1). */
  capacity: number;
  tags?: Record<string, string>;
  /** Start it (default true); a stopped fleet stays STOPPED. */
  start?: boolean;
}

/** The public base image fleets run (emulator/seed.ts). */
const IMAGE = 'AppStream-WinServer2022-10-14-2025';
/** Sessions per instance of a seeded multi-session fleet. */
export const SESSIONS_PER_INSTANCE = 4;

/** The clients seeding needs, per region (ScheduleDeps fits). */
export interface SeedClients {
  appstream(region: string): AppStreamClient;
  ec2(region: string): EC2Client;
}

/**
 * Creates the fleets (quotas raised to fit them), tags, stacks and starts them, in parallel
 * batches. They are RUNNING once the emulator's clock has passed its fleet start duration.
 */
export async function seedFleets(emu: RunningEmulator, fleets: SeedFleet[], batch = 25): Promise<void> {
  const regions = [...new Set(fleets.map((f) => f.region))];
  for (const region of regions)
    emu.control.setQuotas({
      region,
      fleets: fleets.length + 10,
      stacks: fleets.length + 10,
      streamingInstances: 1_000_000,
    });
  const { clients: made, make } = localClients(emu.endpoint, LOCAL_ACCOUNT);
  const clients: SeedClients = {
    appstream: perRegion((r) => make(AppStreamClient, r)),
    ec2: perRegion((r) => make(EC2Client, r)),
  };
  try {
    await createFleets(clients, fleets, batch);
  } finally {
    for (const c of made) c.destroy();
  }
}

/**
 * The one fleet seeder (simulate, bench, and `schedule run --local` through
 * local/schedule-seed.ts): creates each fleet with a stack, Elastic ones in the region's default
 * subnets (Elastic fleets need a VpcConfig), and starts those not marked `start: false`.
 */
export async function createFleets(clients: SeedClients, fleets: SeedFleet[], batch = 25): Promise<void> {
  const subnets = new Map<string, string[]>();
  for (const region of new Set(fleets.filter((f) => f.type === 'ELASTIC').map((f) => f.region))) {
    const out = await clients
      .ec2(region)
      .send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
    subnets.set(region, (out.Subnets ?? []).map((s) => s.SubnetId as string).slice(0, 2));
  }
  for (let i = 0; i < fleets.length; i += batch)
    await Promise.all(
      fleets
        .slice(i, i + batch)
        .map((f) => seedOne(clients.appstream(f.region), f, subnets.get(f.region) ?? [])),
    );
}

async function seedOne(client: AppStreamClient, f: SeedFleet, subnetIds: string[]) {
  const common = {
    Name: f.name,
    InstanceType: 'stream.standard.medium',
    ImageName: IMAGE,
    Tags: f.tags && Object.keys(f.tags).length ? f.tags : undefined,
  };
  if (f.type === 'ELASTIC')
    await client.send(
      new CreateFleetCommand({
        ...common,
        FleetType: 'ELASTIC',
        Platform: 'WINDOWS_SERVER_2022',
        MaxConcurrentSessions: Math.max(1, f.capacity),
        VpcConfig: { SubnetIds: subnetIds },
      }),
    );
  else if (f.type === 'MULTI_SESSION')
    await client.send(
      new CreateFleetCommand({
        ...common,
        FleetType: 'ALWAYS_ON',
        MaxSessionsPerInstance: SESSIONS_PER_INSTANCE,
        ComputeCapacity: { DesiredSessions: f.capacity },
      }),
    );
  else
    await client.send(
      new CreateFleetCommand({
        ...common,
        FleetType: f.type,
        ComputeCapacity: { DesiredInstances: f.capacity },
      }),
    );
  await client.send(new CreateStackCommand({ Name: `${f.name}-stack` }));
  await client.send(new AssociateFleetCommand({ FleetName: f.name, StackName: `${f.name}-stack` }));
  if (f.start !== false) await client.send(new StartFleetCommand({ Name: f.name }));
}
