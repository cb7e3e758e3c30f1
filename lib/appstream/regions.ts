/**
 * Regions of the `aws` partition where AppStream 2.0 (WorkSpaces Applications) has a service
 * endpoint, `appstream2.<region>.amazonaws.com` (AWS General Reference, "Amazon AppStream 2.0
 * endpoints and quotas"; the same list as the emulator's `emulator/regions.ts`). A copy or
 * roll-out to another region fails there, so validation refuses it before a builder launches.
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

/** GovCloud regions run AppStream too (partition `aws-us-gov`). */
const GOV_REGIONS = ['us-gov-west-1'];

export const hasAppStream = (region: string) =>
  APPSTREAM_REGIONS.includes(region) || GOV_REGIONS.includes(region);
