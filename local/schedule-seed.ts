import {
  AssociateFleetCommand,
  CreateFleetCommand,
  CreateStackCommand,
  DescribeFleetsCommand,
  StartFleetCommand,
} from '@aws-sdk/client-appstream';
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { listImages } from '../lib/appstream/queries';
import type { ScheduleFile } from '../lib/schedule/config';
import type { ScheduleDeps } from '../lib/schedule/deps';
import { regionOf } from '../lib/schedule/select';
import type { FleetType } from '../lib/schedule/units';

/** How a seeded fleet is made: the type its name suggests (…elastic…, …always…), else ON_DEMAND. */
export const seedTypeOf = (name: string): FleetType =>
  /elastic/i.test(name) ? 'ELASTIC' : /always/i.test(name) ? 'ALWAYS_ON' : 'ON_DEMAND';

/**
 * Creates the fleets a schedule file names that don't exist yet (and, per tag selector with no
 * fleet carrying the tag, one fleet tagged with the first schedule), so a local run has something
 * to size: a public Windows image, stream.standard.medium, each with a stack (users stream through
 * one). ELASTIC fleets go into the default VPC's default subnets (Elastic fleets need a VpcConfig).
 * Fleets the schedule doesn't stop and start are started. Returns the names created.
 */
export async function seedScheduleFleets(file: ScheduleFile, deps: ScheduleDeps): Promise<string[]> {
  const created: string[] = [];
  let tagged = 0;
  const firstSchedule = Object.keys(file.schedules)[0];
  for (const selector of file.fleets) {
    const region = regionOf(selector, deps.region);
    const client = deps.appstream(region);
    const existing = (await client.send(new DescribeFleetsCommand({}))).Fleets ?? [];
    let name: string;
    let tags: Record<string, string> | undefined;
    if ('name' in selector) {
      if (existing.some((f) => f.Name === selector.name)) continue;
      name = selector.name;
    } else {
      name = `tagged-fleet-${++tagged}`;
      if (!firstSchedule || existing.some((f) => f.Name === name)) continue;
      tags = { [selector.tag]: firstSchedule };
    }
    const type = seedTypeOf(name);
    const images = await listImages(client, 'PUBLIC');
    const image =
      images.find((i) => i.State === 'AVAILABLE' && i.Platform === 'WINDOWS_SERVER_2022') ?? images[0];
    const subnets =
      type === 'ELASTIC'
        ? (
            await deps
              .ec2(region)
              .send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))
          ).Subnets?.map((s) => s.SubnetId!)
        : undefined;
    await client.send(
      new CreateFleetCommand({
        Name: name,
        FleetType: type,
        InstanceType: 'stream.standard.medium',
        ImageName: image?.Name,
        ...(type === 'ELASTIC'
          ? { MaxConcurrentSessions: 1, Platform: image?.Platform, VpcConfig: { SubnetIds: subnets } }
          : { ComputeCapacity: { DesiredInstances: 1 } }),
        Tags: tags,
      }),
    );
    await client.send(new CreateStackCommand({ Name: `${name}-stack` }));
    await client.send(new AssociateFleetCommand({ FleetName: name, StackName: `${name}-stack` }));
    if (!selector.stopWhenZero) await client.send(new StartFleetCommand({ Name: name }));
    created.push(name);
  }
  return created;
}
