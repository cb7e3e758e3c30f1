/**
 * IAM actions the stack grants that have NO resource types in the Service Authorization Reference
 * (the "Resource types" column of the action is empty): such an action is authorized against `*`
 * only, so a statement naming an ARN never matches it (the call is denied). They must be granted on
 * '*', and every other action on ARNs (test/deploy/iam.test.ts, member-role.test.ts).
 *
 * Sources (Service Authorization Reference, "Actions, resources, and condition keys for …"):
 * - Amazon AppStream 2.0 (the stored reference page): DescribeFleets, DescribeImageBuilders, DescribeImages and
 *   ListTagsForResource have an empty resource types column (CopyImage, CreateImageBuilder,
 *   Delete*, Start*, Stop*, TagResource, UntagResource, UpdateFleet, UpdateImagePermissions have
 *   fleet / image / image-builder).
 * - Resource Groups Tagging API: GetResources (no resource-level scope; `Resource: "*"`).
 * - Amazon EC2: Describe* (List access level, no resource types).
 * - AWS X-Ray: PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets.
 * - Application Auto Scaling: DescribeScalableTargets.
 * - Amazon CloudWatch Logs, the log delivery actions Step Functions needs for an Express machine's
 *   logging (Step Functions developer guide, "IAM policies for logging to CloudWatch Logs": the
 *   actions support no resource-level permissions, so `*`).
 * Add an action here only with its reference; anything else granted on '*' fails the test.
 */
export const NO_RESOURCE_TYPES: readonly string[] = [
  'appstream:DescribeFleets',
  'appstream:DescribeImageBuilders',
  'appstream:DescribeImages',
  'appstream:ListTagsForResource',
  'tag:GetResources',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeVpcEndpoints',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'application-autoscaling:DescribeScalableTargets',
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
];

/**
 * Actions that have resource types but are granted on '*' for a stated reason, each with the
 * condition that narrows it (deploy/resources/iam.yml says the same next to the grant).
 * - application-autoscaling:RegisterScalableTarget: a scalable target's ARN carries an ID Application
 *   Auto Scaling generates at registration, unknown to the template; narrowed to AppStream fleets'
 *   DesiredCapacity by application-autoscaling:service-namespace and :scalable-dimension.
 */
export const STAR_FOR_REASON: Readonly<Record<string, string[]>> = {
  'application-autoscaling:RegisterScalableTarget': [
    'application-autoscaling:service-namespace',
    'application-autoscaling:scalable-dimension',
  ],
};
