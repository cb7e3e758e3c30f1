/** A fleet's ARN and tags, read the way a person's CLI call would (AppStream API). */
import {
  AppStreamClient,
  DescribeFleetsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { named } from '../lib/errors';
import type { ScheduleFile } from '../lib/schedule/config';
import { clientSettings, emulatorNow, namedSelector, regionOf } from './schedule-args';

export const FleetNotFound = named('FleetNotFound');

export interface FleetTags {
  arn: string;
  tags: Record<string, string>;
}

/** DescribeFleets by name (the ARN to tag), then its tags (DescribeFleets returns none). */
export async function fleetTags(client: AppStreamClient, fleet: string, region: string): Promise<FleetTags> {
  const found = await client.send(new DescribeFleetsCommand({ Names: [fleet] })).catch((err: Error) => {
    if (err.name === 'ResourceNotFoundException') return { Fleets: [] };
    throw err;
  });
  const arn = found.Fleets?.[0]?.Arn;
  if (!arn) throw new FleetNotFound(`no fleet '${fleet}' in ${region}`);
  const { Tags } = await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
  return { arn, tags: Tags ?? {} };
}

/** An AppStream client for `region`, against `endpoint` (an emulator) or AWS. */
export const appstreamClient = (region: string, endpoint?: string) =>
  new AppStreamClient({ ...clientSettings(region, endpoint), maxAttempts: 3 });

/**
 * The fleet a command acts on: its selector when `file` names it, and its region (`--region`,
 * else the selector's, else AWS_REGION / us-east-1).
 */
export function fleetTarget(file: ScheduleFile | undefined, fleet: string, region?: string) {
  const selector = file ? namedSelector(file, fleet) : undefined;
  return { selector, region: regionOf(region ?? selector?.region) };
}

/** "Now" where the fleet lives: the emulator's virtual now at `endpoint`, else real time (AWS). */
export async function nowAt(endpoint?: string): Promise<number> {
  return (endpoint ? await emulatorNow(endpoint) : undefined) ?? Date.now();
}

/** The fleet's ARN and tags with a client of its own (commands that only read them). */
export async function readFleet(fleet: string, region: string, endpoint?: string): Promise<FleetTags> {
  const client = appstreamClient(region, endpoint);
  try {
    return await fleetTags(client, fleet, region);
  } finally {
    client.destroy();
  }
}
