/** AWS region facts shared by the workflows and the emulator (data only). */

/**
 * The regions of the `aws` partition where AppStream 2.0 (WorkSpaces Applications) has a service
 * endpoint (`appstream2.<region>.amazonaws.com`; AWS General Reference, "Amazon AppStream 2.0
 * endpoints and quotas", and the Administration Guide's "Allowed Domains" table). The one list:
 * the emulator's credential scopes, CopyImage destinations and control-API regions, and the
 * pipeline's copy/roll-out checks. GovCloud (`aws-us-gov`) and China are other partitions: an
 * image can't be copied there from here.
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

/**
 * Every commercial region of the `aws` partition (botocore `data/partitions.json`, partition
 * `aws`, less the `aws-global` pseudo-region): where EC2 and STS run. A credential scoped to one of
 * them is valid for EC2/STS even where AppStream doesn't run (`aws sts get-caller-identity
 * --region us-west-1` works on AWS).
 */
export const AWS_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** True when AppStream 2.0 runs in `region` (a copy or roll-out elsewhere fails there). */
export const hasAppStream = (region: string) => APPSTREAM_REGIONS.includes(region);
