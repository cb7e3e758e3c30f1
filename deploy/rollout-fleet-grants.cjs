// serverless.yml entries (osls requires .cjs variable files; an object's functions are called with
// the variable resolvers): ${file(deploy/rollout-fleet-grants.cjs):resources} in `resources:` and
// ${file(deploy/rollout-fleet-grants.cjs):env} as ALLOWED_ROLLOUT_FLEETS. What RollOut may point at
// a new image: exactly the fleets the bundled pipelines name in after.rollOut (param pipelinesDir,
// default config/pipelines), each by ARN in its region (the target's, else the pipeline's, else the
// deployment's, as lib/pipeline/rollout.ts resolves it), never fleet/* (review of issue 10, 5b).
// - UpdateFleet on those fleet ARNs (Service Authorization Reference, Amazon AppStream 2.0:
//   UpdateFleet takes the fleet resource type, and image, the image it sets);
// - UpdateFleet on images of this account tagged by this deployment (aws:ResourceTag/
//   autopilot:deployment; Resolve tags every image it builds with it): a statement per resource
//   type, each resource of the request is authorized on its own.
// The same list is Resolve's ALLOWED_ROLLOUT_FLEETS (a JSON array of "<region>/<fleet>"): a run
// whose rollOut (e.g. from {"overrides"}) names another fleet fails fast with RollOutFleetNotAllowed,
// before any builder is launched, not an hour later at RollOut with AccessDenied.
// No pipeline rolls out (the default): no policy, RollOut may update no fleet, and the list is [].
'use strict';

const { policyResources, servicePath, tsRequire } = require('./lib/variables.cjs');

/** TAG.deployment (lib/tags.ts): Resolve tags every image it builds with `<service>-<stage>`. */
const DEPLOYMENT_TAG = 'autopilot:deployment';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
const DEPLOYMENT_REGION = '${AWS::Region}';

/**
 * The roll-out targets of parsed pipelines ({ region?, after: { rollOut: [{ fleet, region? }] } }):
 * sorted, unique `{ region, fleet }`, region undefined for the deployment's.
 */
function rollOutTargets(pipelines) {
  const seen = new Map();
  for (const p of pipelines)
    for (const t of p?.after?.rollOut ?? []) {
      const region = t.region ?? p.region;
      seen.set(`${region ?? ''}/${t.fleet}`, { region, fleet: t.fleet });
    }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t);
}

/** "<region>/<fleet>" per target, in Fn::Sub form (the deployment's region is ${AWS::Region}). */
function allowedFleetsEnv(targets) {
  return { 'Fn::Sub': JSON.stringify(targets.map((t) => `${t.region ?? DEPLOYMENT_REGION}/${t.fleet}`)) };
}

const fleetArn = (t) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:appstream:${t.region ?? DEPLOYMENT_REGION}:\${AWS::AccountId}:fleet/${t.fleet}`,
});

/** The stack resources: a policy on RollOutFunctionRole for `targets`, or none. */
function rollOutFleetResources(targets, deployment) {
  if (targets.length === 0) return {};
  return policyResources(
    'RollOutFleetsPolicy',
    'rollOut-fleets',
    ['RollOutFunctionRole'],
    [
      { Effect: 'Allow', Action: 'appstream:UpdateFleet', Resource: targets.map(fleetArn) },
      {
        Effect: 'Allow',
        Action: 'appstream:UpdateFleet',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:appstream:*:${AWS::AccountId}:image/*' },
        Condition: { StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: deployment } },
      },
    ],
  );
}

/** The bundled pipelines, validated as Resolve reads them (lib/config, through tsx). */
async function bundledPipelines(resolveVariable) {
  const dir = (await resolveVariable('param:pipelinesDir')) || 'config/pipelines';
  const load = tsRequire(__filename);
  const { pipelineFiles } = load('../lib/config/catalog.ts');
  const { readPipelineFile, validatePipeline } = load('../lib/config/load.ts');
  return [...pipelineFiles(servicePath(dir))].map(([, file]) =>
    validatePipeline(readPipelineFile(file), file),
  );
}

module.exports = {
  resources: async ({ resolveVariable }) =>
    rollOutFleetResources(
      rollOutTargets(await bundledPipelines(resolveVariable)),
      `${await resolveVariable('self:service')}-${await resolveVariable('sls:stage')}`,
    ),
  env: async ({ resolveVariable }) =>
    allowedFleetsEnv(rollOutTargets(await bundledPipelines(resolveVariable))),
  rollOutTargets,
  allowedFleetsEnv,
  rollOutFleetResources,
};
