import { APPSTREAM_REGIONS, AWS_REGIONS } from '../lib/aws/regions';

export { APPSTREAM_REGIONS, AWS_REGIONS };

/**
 * Services whose regions are every `aws` partition region: EC2 and STS (Query protocol) and the
 * Resource Groups Tagging API (signing name `tagging`), which runs in every commercial Region and
 * answers with the caller's AppStream resources there (none where AppStream doesn't run).
 */
const PARTITION_WIDE = new Set(['ec2', 'sts', 'tagging']);

/** The region lists a world may override (tests): AppStream's (also Application Auto Scaling's) and EC2/STS/tagging's. */
export interface RegionLists {
  regions?: readonly string[];
  partitionRegions?: readonly string[];
}

/**
 * True when `service` (a SigV4 signing name; default AppStream) runs in `region`: EC2, STS and
 * the tagging API in every commercial region of the partition, AppStream and Application Auto Scaling (used for its
 * fleets) where AppStream runs. The world's lists replace the defaults when it sets them.
 */
export function isKnownRegion(region: string, world?: RegionLists, service = 'appstream'): boolean {
  if (PARTITION_WIDE.has(service)) return (world?.partitionRegions ?? AWS_REGIONS).includes(region);
  return (world?.regions ?? APPSTREAM_REGIONS).includes(region);
}
