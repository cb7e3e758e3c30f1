import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read field by field below
type Cfn = any;

describe('Deployment: the member-account role template (deploy/cleanup-member-role.yaml)', () => {
  const doc = parseDocument(readFileSync('deploy/cleanup-member-role.yaml', 'utf8'));
  const template = doc.toJS() as Cfn;

  it('parses as plain YAML: no short-form CloudFormation tags, no warnings', () => {
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(Object.keys(template.Resources)).toEqual(['CleanupMemberRole']);
    expect(template.Resources.CleanupMemberRole.Type).toBe('AWS::IAM::Role');
  });

  it('is trusted by the deployment’s CleanupFunctionsRole only, with an optional sts:ExternalId', () => {
    expect(template.Parameters.CleanupFunctionsRoleArn.Type).toBe('String');
    expect(
      new RegExp(template.Parameters.CleanupFunctionsRoleArn.AllowedPattern).test(
        'arn:aws:iam::111122223333:role/appstream-autopilot-prod-CleanupFunctionsRole-ABC',
      ),
    ).toBe(true);
    expect(template.Parameters.RoleName.Default).toBe('autopilot-cleanup');
    expect(template.Parameters.ExternalId.Default).toBe('');
    const role = template.Resources.CleanupMemberRole.Properties;
    expect(role.RoleName).toEqual({ Ref: 'RoleName' });
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'CleanupFunctionsRoleArn' } },
        Action: 'sts:AssumeRole',
        Condition: {
          'Fn::If': [
            'HasExternalId',
            { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
            { Ref: 'AWS::NoValue' },
          ],
        },
      },
    ]);
    expect(template.Conditions.HasExternalId).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }],
    });
  });

  it('grants the AppStream and tagging calls the cleanup makes in a member account, builders only', () => {
    const statements = template.Resources.CleanupMemberRole.Properties.Policies.flatMap(
      (p: Cfn) => p.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((st: Cfn) => [st.Action].flat()).sort();
    expect(actions).toEqual(
      [
        'appstream:DeleteImageBuilder',
        'appstream:DescribeImageBuilders',
        'appstream:ListTagsForResource',
        'appstream:StopImageBuilder',
        'appstream:TagResource',
        'appstream:UntagResource',
        'tag:GetResources',
      ].sort(),
    );
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      const acts = [st.Action].flat() as string[];
      // Only the calls without resource-level permissions get '*'.
      if (st.Resource === '*')
        expect(acts.sort()).toEqual(['appstream:DescribeImageBuilders', 'tag:GetResources']);
      else
        expect(st.Resource).toEqual({
          'Fn::Sub': `arn:\${AWS::Partition}:appstream:*:\${AWS::AccountId}:image-builder/*`,
        });
    }
  });

  it('outputs the role ARN to list in the policy and cleanupMemberRoles', () => {
    expect(template.Outputs.CleanupMemberRoleArn.Value).toEqual({
      'Fn::GetAtt': ['CleanupMemberRole', 'Arn'],
    });
  });
});
