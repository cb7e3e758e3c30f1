/**
 * The regions of the `aws` partition where AppStream 2.0 (WorkSpaces Applications) has a service
 * endpoint (`appstream2.<region>.amazonaws.com`; AWS General Reference, "Amazon AppStream 2.0
 * endpoints and quotas", and the Administration Guide's "Allowed Domains" table). The one list
 * the emulator uses: credential scopes, CopyImage destinations and control-API regions.
 * GovCloud (`aws-us-gov` partition) and China are other partitions and are not served.
 * Tests can replace it through `WorldOptions.regions`.
 */
export const APPSTREAM_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'il-central-1',
];

/** True when AppStream runs in `region` (the world's list when it overrides the default one). */
export function isKnownRegion(region: string, world?: { regions?: readonly string[] }): boolean {
  return (world?.regions ?? APPSTREAM_REGIONS).includes(region);
}
