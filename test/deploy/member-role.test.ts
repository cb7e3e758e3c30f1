import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { TAG } from '../../lib/tags';
import { NO_RESOURCE_TYPES } from './resource-types';

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

  it('is trusted by the deployment’s cleanup sweep and recorder roles only, with an optional sts:ExternalId', () => {
    // Both call AppStream in member accounts (sts:AssumeRole in deploy/resources/iam.yml).
    expect(template.Parameters.TrustedRoleArns.Type).toBe('CommaDelimitedList');
    expect(
      new RegExp(template.Parameters.TrustedRoleArns.AllowedPattern).test(
        'arn:aws:iam::111122223333:role/appstream-autopilot-prod-CleanupSweepFunctionRole-ABC',
      ),
    ).toBe(true);
    expect(template.Parameters.RoleName.Default).toBe('autopilot-cleanup');
    expect(template.Parameters.ExternalId.Default).toBe('');
    const role = template.Resources.CleanupMemberRole.Properties;
    expect(role.RoleName).toEqual({ Ref: 'RoleName' });
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'TrustedRoleArns' } },
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
      // Only the calls without resource types get '*' (Service Authorization Reference: Amazon
      // AppStream 2.0 DescribeImageBuilders and ListTagsForResource; Resource Groups Tagging API
      // GetResources); an ARN would never match them.
      if (st.Resource === '*')
        expect(
          acts.every((a) => NO_RESOURCE_TYPES.includes(a)),
          acts.join(),
        ).toBe(true);
      else
        expect(st.Resource).toEqual({
          'Fn::Sub': `arn:\${AWS::Partition}:appstream:*:\${AWS::AccountId}:image-builder/*`,
        });
      // Stops, deletes and tag writes carry a condition (opt-outs excluded, own tag keys only).
      if (acts.some((a) => /^appstream:(Stop|Delete|Tag|Untag)/.test(a))) expect(st.Condition).toBeDefined();
    }
    const grant = (action: string) => statements.find((st: Cfn) => [st.Action].flat().includes(action));
    expect(grant('appstream:StopImageBuilder').Condition).toEqual({
      StringNotEqualsIgnoreCase: { [`aws:ResourceTag/${TAG.keep}`]: 'true' },
    });
    expect(grant('appstream:DeleteImageBuilder').Condition).toEqual({
      StringNotEqualsIgnoreCase: { [`aws:ResourceTag/${TAG.keep}`]: ['true', 'stop-only'] },
      Null: { [`aws:ResourceTag/${TAG.pipeline}`]: 'true' },
    });
    expect(grant('appstream:TagResource').Condition['ForAllValues:StringEquals']['aws:TagKeys']).toEqual([
      TAG.cleanup,
      TAG.lastAction,
      TAG.lastConnection,
      TAG.creator,
    ]);
  });

  it('outputs the role ARN to list in the policy and cleanupMemberRoles', () => {
    expect(template.Outputs.CleanupMemberRoleArn.Value).toEqual({
      'Fn::GetAtt': ['CleanupMemberRole', 'Arn'],
    });
  });
});
