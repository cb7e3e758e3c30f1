// serverless.yml `resources:` entry: ${file(deploy/cleanup-member-grants.cjs)} (osls requires .cjs
// variable files and awaits the exported function). Which member-account roles the cleanup may
// sts:AssumeRole: only the configured ones (issue 10 least privilege; review of issue 9, item 10),
// never a pattern over every account:
// - the bundled policy's scope.accounts (param cleanupPolicyFile): each account's roleArn, or
//   arn:aws:iam::<id>:role/<scope.roleName> (default autopilot-cleanup), as lib/cleanup/policy.ts
//   derives it;
// - param cleanupAccountRoles (the recorder's roles for forwarded events, CLEANUP_ACCOUNT_ROLES);
// - param cleanupMemberRoles (more roles, e.g. for manual runs with another {"policy": …}).
// Granted to the two functions that act in member accounts (CleanupSweep, CleanupRecordConnection,
// whose code calls sts:AssumeRole). None configured (the default): no policy, no AssumeRole at all.
'use strict';

const { policyResources, yamlParam } = require('./lib/variables.cjs');

const ROLES = ['CleanupSweepFunctionRole', 'CleanupRecordConnectionFunctionRole'];

const list = (value) =>
  String(value ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);

/** The role ARNs a parsed cleanup policy assumes (scope.accounts), as lib/cleanup/policy.ts derives them. */
function policyRoles(policy) {
  const scope = policy?.scope ?? {};
  const roleName = typeof scope.roleName === 'string' ? scope.roleName : 'autopilot-cleanup';
  const accounts = Array.isArray(scope.accounts) ? scope.accounts : [];
  return accounts
    .filter((a) => a && (typeof a.roleArn === 'string' || a.id !== undefined))
    .map((a) => (typeof a.roleArn === 'string' ? a.roleArn : `arn:aws:iam::${a.id}:role/${roleName}`));
}

/** The stack resources: one policy on the two roles with sts:AssumeRole on `roles`, or none. */
function cleanupMemberResources(roles) {
  const unique = [...new Set(roles)].sort();
  if (unique.length === 0) return {};
  return policyResources('CleanupMemberAssumePolicy', 'cleanup-member-accounts', ROLES, [
    { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: unique },
  ]);
}

module.exports = async ({ resolveVariable }) => {
  const policy = await yamlParam(resolveVariable, 'cleanupPolicyFile', 'config/cleanup.yaml');
  return cleanupMemberResources([
    ...policyRoles(policy),
    ...list(await resolveVariable('param:cleanupAccountRoles')),
    ...list(await resolveVariable('param:cleanupMemberRoles')),
  ]);
};
module.exports.policyRoles = policyRoles;
module.exports.cleanupMemberResources = cleanupMemberResources;
