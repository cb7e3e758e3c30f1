// serverless.yml `resources:` entry: ${file(deploy/schedule-fleet-grants.cjs)} (osls requires .cjs
// variable files and awaits the exported function). What ScheduleApply may do to fleets, from the
// schedule file the deployment bundles (param scheduleFile): resize, start, stop and write its two
// tags on the fleets that file selects, and no others (issue 10, least privilege: "schedules by
// the configured fleets (ARNs) or their schedule tag"):
// - a fleet selected by name → its ARN (its region, else the deployment's);
// - fleets selected by tag → any fleet of the account carrying that tag key (aws:ResourceTag/<key>
//   with Null false: the tag is present; Service Authorization Reference, Amazon AppStream 2.0:
//   UpdateFleet, StartFleet, StopFleet, TagResource take aws:ResourceTag on the fleet resource).
// A manual execution's {"config": …} naming other fleets is refused by IAM for those fleets.
// A file that selects no fleet (the default config/schedules.yaml) grants nothing: no policy.
'use strict';

const { policyResources, yamlParam } = require('./lib/variables.cjs');

/** What Apply does to a fleet (lib/schedule/apply.ts). */
const FLEET_ACTIONS = ['appstream:UpdateFleet', 'appstream:StartFleet', 'appstream:StopFleet'];
const TAG_ACTIONS = ['appstream:TagResource', 'appstream:UntagResource'];
/** The only tags Apply writes or removes: TAG.lastAction, TAG.override (lib/tags.ts). */
const TAG_KEYS = ['autopilot:last-action', 'autopilot:override'];

const fleetArn = (region, name) => ({
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
  'Fn::Sub': `arn:\${AWS::Partition}:appstream:${region ?? '${AWS::Region}'}:\${AWS::AccountId}:fleet/${name}`,
});
const ownTagsOnly = {
  'ForAllValues:StringEquals': { 'aws:TagKeys': TAG_KEYS },
  Null: { 'aws:TagKeys': 'false' },
};

/** IAM statements for the `fleets` selectors of a parsed schedule file. */
function scheduleFleetGrants(file) {
  const fleets = Array.isArray(file?.fleets) ? file.fleets : [];
  const named = fleets.filter((f) => typeof f?.name === 'string').map((f) => fleetArn(f.region, f.name));
  const statements = [];
  if (named.length > 0) {
    statements.push({ Effect: 'Allow', Action: FLEET_ACTIONS, Resource: named });
    statements.push({ Effect: 'Allow', Action: TAG_ACTIONS, Resource: named, Condition: ownTagsOnly });
  }
  for (const f of fleets.filter((x) => typeof x?.tag === 'string')) {
    const resource = fleetArn(f.region ?? '*', '*');
    const tagged = { Null: { [`aws:ResourceTag/${f.tag}`]: 'false' } };
    statements.push({ Effect: 'Allow', Action: FLEET_ACTIONS, Resource: resource, Condition: tagged });
    statements.push({
      Effect: 'Allow',
      Action: TAG_ACTIONS,
      Resource: resource,
      Condition: { ...ownTagsOnly, Null: { ...ownTagsOnly.Null, ...tagged.Null } },
    });
  }
  return statements;
}

/** The stack resources for a parsed schedule file: a policy on ScheduleApplyFunctionRole, or none. */
function scheduleFleetResources(file) {
  const statements = scheduleFleetGrants(file);
  if (statements.length === 0) return {};
  return policyResources(
    'ScheduleApplyFleetsPolicy',
    'scheduleApply-fleets',
    ['ScheduleApplyFunctionRole'],
    statements,
  );
}

module.exports = async ({ resolveVariable }) => {
  return scheduleFleetResources(await yamlParam(resolveVariable, 'scheduleFile', 'config/schedules.yaml'));
};
module.exports.scheduleFleetGrants = scheduleFleetGrants;
module.exports.scheduleFleetResources = scheduleFleetResources;
module.exports.FLEET_ACTIONS = FLEET_ACTIONS;
