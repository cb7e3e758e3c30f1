/** A fleet's ARN and tags, read the way a person's CLI call would (AppStream API). */
import {
  AppStreamClient,
  DescribeFleetsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { named } from '../lib/errors';
import { clientSettings } from './schedule-args';

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
