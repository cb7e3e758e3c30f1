// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation and osls placeholders, not JS templates
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CollectionTag, parse, type ScalarTag } from 'yaml';

// CloudFormation short forms as their long forms, so the template reads as CloudFormation sees it.
const fn = (tag: string, name: string): (ScalarTag | CollectionTag)[] => [
  { tag: `!${tag}`, resolve: (v: unknown) => ({ [name]: v }) } as ScalarTag,
  {
    tag: `!${tag}`,
    collection: 'seq',
    resolve: (v: { toJSON(): unknown }) => ({ [name]: v.toJSON() }),
  } as CollectionTag,
];
const customTags = [
  ...fn('Ref', 'Ref'),
  ...fn('Sub', 'Fn::Sub'),
  // `!GetAtt A.B` is `Fn::GetAtt: [A, B]`.
  {
    tag: '!GetAtt',
    resolve: (v: string) => ({ 'Fn::GetAtt': [v.slice(0, v.indexOf('.')), v.slice(v.indexOf('.') + 1)] }),
  } as ScalarTag,
  ...fn('Not', 'Fn::Not'),
  ...fn('Equals', 'Fn::Equals'),
  ...fn('Split', 'Fn::Split'),
  ...fn('If', 'Fn::If'),
];
const sls = parse(readFileSync('serverless.yml', 'utf8'), { customTags }) as {
  provider: { environment: Record<string, unknown> };
  params: { default: Record<string, string> };
  // `resources` is a list: the stack's own block first, then ${file(deploy/resources/*.yml)} lines.
  resources: [
    { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> },
    ...unknown[],
  ];
};
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
// Every function's role and policy (deploy/resources/iam.yml: one role per function).
const iam = parse(readFileSync('deploy/resources/iam.yml', 'utf8'), { customTags }) as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const statements: Statement[] = Object.values(iam.Resources).flatMap((r) =>
  r.Type === 'AWS::IAM::Policy'
    ? (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement
    : (r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (p) => p.PolicyDocument.Statement,
      ),
);
const allowing = (action: string) =>
  statements.filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action));

describe('serverless.yml: the agent channel is locked down', () => {
  it('only SubmitBuild’s role may write jobs/: a bucket policy denies PutObject on */jobs/* to every other principal', () => {
    const policy = sls.resources[0].Resources.AgentBucketPolicy;
    expect(policy.Type).toBe('AWS::S3::BucketPolicy');
    const [deny] = (policy.Properties.PolicyDocument as { Statement: Statement[] & { Principal: string }[] })
      .Statement;
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: { 'Fn::Sub': '${AgentBucket.Arn}/*/jobs/*' },
      Condition: {
        ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['SubmitBuildFunctionRole', 'Arn'] } },
      },
    });
  });

  it('the functions write only jobs/, read the agent prefix, and may list it (404, not 403, for a missing result)', () => {
    expect(allowing('s3:PutObject').map((s) => s.Resource)).toEqual([
      { 'Fn::Sub': '${AgentBucket.Arn}/autopilot-agent/*/jobs/*' },
    ]);
    expect(allowing('s3:GetObject').map((s) => s.Resource)).toEqual([
      { 'Fn::Sub': '${AgentBucket.Arn}/autopilot-agent/*' },
    ]);
    expect(allowing('s3:ListBucket')).toEqual([
      expect.objectContaining({
        Resource: { 'Fn::GetAtt': ['AgentBucket', 'Arn'] },
        Condition: { StringLikeIfExists: { 's3:prefix': 'autopilot-agent/*' } },
      }),
    ]);
  });

  it('jobs are signed with an asymmetric KMS key the functions may only kms:Sign with', () => {
    expect(sls.resources[0].Resources.JobSigningKey).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' },
    });
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')))).toEqual([
      { Effect: 'Allow', Action: 'kms:Sign', Resource: { 'Fn::GetAtt': ['JobSigningKey', 'Arn'] } },
    ]);
    expect(sls.provider.environment.JOB_SIGNING_KEY_ID).toEqual({ Ref: 'JobSigningKey' });
  });

  it('the key policy lets only SubmitBuild’s role kms:Sign (Deny for every other principal); the account keeps administering the key', () => {
    const key = sls.resources[0].Resources.JobSigningKey.Properties.KeyPolicy as { Statement: Statement[] };
    const admin = key.Statement.find((st) => st.Effect === 'Allow');
    expect(admin).toMatchObject({
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
      Action: 'kms:*',
    });
    const deny = key.Statement.filter((st) => st.Effect === 'Deny');
    expect(deny).toEqual([
      {
        Sid: 'OnlySubmitBuildSigns',
        Effect: 'Deny',
        Principal: '*',
        Action: 'kms:Sign',
        Resource: '*',
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': { 'Fn::GetAtt': ['SubmitBuildFunctionRole', 'Arn'] },
          },
        },
      },
    ]);
    // Administrators still read the public key to bake it beside the agent (not denied).
    expect(deny.flatMap((st) => [st.Action].flat())).not.toContain('kms:GetPublicKey');
  });

  it('the backstop has a dead-letter queue with an alarm, and an hourly sweep', () => {
    const fns = (sls as unknown as { functions: Record<string, Record<string, unknown>> }).functions;
    const onFailure = { type: 'sqs', arn: { 'Fn::GetAtt': ['BackstopDeadLetterQueue', 'Arn'] } };
    expect(fns.executionBackstop.destinations).toEqual({ onFailure });
    expect(fns.backstopSweep.destinations).toEqual({ onFailure });
    // Hourly, on EventBridge Scheduler (deploy/resources/schedules.yml), in an explicit time zone.
    const schedules = parse(readFileSync('deploy/resources/schedules.yml', 'utf8'), { customTags });
    expect(schedules.Resources.BackstopSweepSchedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      Target: { Arn: { 'Fn::GetAtt': ['BackstopSweepLambdaFunction', 'Arn'] } },
    });
    expect(sls.resources[0].Resources.BackstopDeadLetterAlarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(sls.provider.environment.AUTOPILOT_DEPLOYMENT).toBe('${self:service}-${sls:stage}');
  });

  it('iam:PassRole only for the builder roles the deployment declares, the same list Resolve enforces', () => {
    const [passRole] = allowing('iam:PassRole');
    expect(passRole.Resource).toMatchObject({
      'Fn::If': ['HasBuilderRoles', { 'Fn::Split': [',', '${param:builderRoleArns}'] }, expect.anything()],
    });
    expect(passRole.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'appstream.amazonaws.com' },
    });
    expect(sls.provider.environment.ALLOWED_BUILDER_ROLE_ARNS).toBe('${param:builderRoleArns}');
    expect(sls.params.default.builderRoleArns).toBe('');
  });
});
