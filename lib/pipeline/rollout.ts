import { DescribeFleetsCommand, UpdateFleetCommand } from '@aws-sdk/client-appstream';
import { aws, isNotFound, unexpected } from '../aws/call';
import type { PipelineConfig } from '../config/pipeline';
import type { PipelineDeps } from './deps';
import { AwsRequestError, FleetBusy } from './errors';
import type { Plan } from './types';

export interface RolloutResult {
  fleet: string;
  region: string;
  state: string;
  previousImage?: string;
}

/**
 * Points each configured fleet at the new image. A RUNNING fleet takes the image change
 * (new sessions get it; instances are replaced as sessions end), a STOPPED one takes it at its
 * next start. A fleet that is STARTING or STOPPING can't be changed: FleetBusy, and the state
 * machine retries later. Fleets already on the image are left alone, so retries are harmless.
 */
export async function rollOut(
  input: { config: PipelineConfig; plan: Plan },
  deps: PipelineDeps,
): Promise<RolloutResult[]> {
  const results: RolloutResult[] = [];
  const busy: string[] = [];
  for (const target of input.config.after.rollOut) {
    const region = target.region ?? input.plan.region;
    const client = deps.appstream(region);
    const fleet = await aws('DescribeFleets', () =>
      client.send(new DescribeFleetsCommand({ Names: [target.fleet] })),
    )
      .then((o) => o.Fleets?.[0])
      .catch((err) => {
        if (isNotFound(err))
          throw new AwsRequestError(`after.rollOut: fleet '${target.fleet}' not found in ${region}`);
        throw err;
      });
    const state = fleet?.State ?? 'UNKNOWN';
    if (fleet?.ImageName === input.plan.imageName) {
      results.push({ fleet: target.fleet, region, state, previousImage: fleet.ImageName });
      continue;
    }
    if (state !== 'RUNNING' && state !== 'STOPPED') {
      busy.push(`${target.fleet} (${region}) is ${state}`);
      continue;
    }
    await aws('UpdateFleet', () =>
      client.send(new UpdateFleetCommand({ Name: target.fleet, ImageName: input.plan.imageName })),
    ).catch((err) => {
      throw unexpected(`UpdateFleet ${target.fleet}`, err);
    });
    results.push({ fleet: target.fleet, region, state, previousImage: fleet?.ImageName });
  }
  if (busy.length) throw new FleetBusy(`Can't update fleets in transition: ${busy.join(', ')}`);
  return results;
}
