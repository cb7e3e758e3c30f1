// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS templates
/**
 * Least privilege (issue 10, Proof): the packaged CloudFormation template (`npx osls package`,
 * shared with the other deploy tests through test/deploy/packaged.ts) gives every function a role
 * of its own holding exactly the actions its code calls, derived from the code by
 * test/deploy/actions.ts (esbuild bundle + call graph), plus only the extras listed below; no
 * statement grants appstream:* or a destructive AppStream action without a tag condition (or a
 * reason listed here); iam:PassRole and sts:AssumeRole go to declared roles only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allFunctions } from '../../functions';
import { TAG } from '../../lib/tags';
import { CallGraph, type FunctionActions, functionActions, iamAction } from './actions';
import { type Cfn, packagedTemplate, type Template } from './packaged';
import { NO_RESOURCE_TYPES, STAR_FOR_REASON } from './resource-types';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Cfn;
  Condition?: Record<string, Record<string, unknown>>;
}

let template: Template;
let derived: Record<string, FunctionActions>;
/** The analysis of the miniature workflow in test/deploy/fixtures/actions (same call graph). */
let fixtures: Record<string, FunctionActions>;
/** serverless.yml function name → its Lambda resource. */
const lambdas: Record<string, { logicalId: string; role: string; handler: string }> = {};

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every Allow statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function statementsOf(role: string): Statement[] {
  const r = template.Resources[role];
  const inline = ((r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.Resources)
    .filter((p) => p.Type === 'AWS::IAM::Policy')
    .filter((p) => (p.Properties.Roles as Cfn[]).some((x) => x?.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached].filter((s) => s.Effect === 'Allow');
}

function allowedActions(role: string): string[] {
  return [...new Set(statementsOf(role).flatMap(actionsOf))].sort();
}

/** Every IAM statement of the template (roles and policies), with where it is. */
function everyStatement(): { where: string; s: Statement }[] {
  const out: { where: string; s: Statement }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::IAM::Role')
      for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
        for (const s of p.PolicyDocument.Statement) out.push({ where: id, s });
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      for (const s of r.Properties.PolicyDocument.Statement as Statement[]) out.push({ where: id, s });
  }
  return out;
}

/** Functions whose failed asynchronous invocations go to an SQS destination (AWS::Lambda::EventInvokeConfig). */
function sqsDestinations(logicalId: string): boolean {
  return Object.values(template.Resources).some(
    (r) =>
      r.Type === 'AWS::Lambda::EventInvokeConfig' &&
      r.Properties.FunctionName?.Ref === logicalId &&
      r.Properties.DestinationConfig?.OnFailure,
  );
}

/**
 * What a role holds beyond its code's SDK calls, and why. Nothing else is allowed.
 * - Its log group (logs:CreateLogStream, logs:PutLogEvents): the Lambda runtime writes the logs.
 * - X-Ray (provider.tracing.lambda): the runtime sends the traces.
 * - sqs:SendMessage: the Lambda destination (onFailure, SQS) of an asynchronous function.
 * - s3:ListBucket with s3:GetObject: a GetObject of a key not yet written answers 403 without it
 *   and 404 with it ("Amazon S3 GetObject", Permissions): CheckBuild reads results before they exist.
 * - iam:PassRole with CreateImageBuilder (the builder's IamRoleArn) and appstream:TagResource with
 *   CreateImageBuilder (its Tags): dependent actions (Service Authorization Reference, Amazon
 *   AppStream 2.0, CreateImageBuilder).
 */
function extrasFor(name: string, code: string[]): string[] {
  const extras = [
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
  ];
  if (sqsDestinations(lambdas[name].logicalId)) extras.push('sqs:SendMessage');
  if (code.includes('s3:GetObject')) extras.push('s3:ListBucket');
  if (code.includes('appstream:CreateImageBuilder')) extras.push('iam:PassRole', 'appstream:TagResource');
  return extras;
}

/** AppStream actions that stop, delete, change or re-tag what exists. */
const DESTRUCTIVE = /^appstream:(Delete|Stop|Update|Untag|Tag|Disassociate|BatchDisassociate|Expire)/;

/**
 * Destructive AppStream actions granted without a tag condition on a wildcard, each on one resource
 * type of this account only, and why (the same reasons are comments in deploy/resources/iam.yml).
 * (Grants on named resources, e.g. ScheduleApply's on the fleets its schedule file names, need none.)
 */
const UNTAGGED_BY_REASON: Record<string, string> = {};

/**
 * ScheduleApply's fleet actions are granted per fleet the bundled schedule file selects
 * (ScheduleApplyFleetsPolicy, deploy/schedule-fleet-grants.cjs): a file selecting none (the
 * default, config/schedules.yaml) grants them on nothing, so the role lacks them.
 */
const require = createRequire(import.meta.url);
const fleetGrants = require('../../deploy/schedule-fleet-grants.cjs') as {
  FLEET_ACTIONS: string[];
  scheduleFleetGrants(file: unknown): Statement[];
  scheduleFleetResources(file: unknown): { Resources?: Record<string, { Properties: Cfn }> };
};
/**
 * The cleanup's sts:AssumeRole likewise: granted on the configured member roles only
 * (CleanupMemberAssumePolicy, deploy/cleanup-member-grants.cjs), none by default.
 */
const memberGrants = require('../../deploy/cleanup-member-grants.cjs') as {
  policyRoles(policy: unknown): string[];
  cleanupMemberResources(roles: string[]): { Resources?: Record<string, { Properties: Cfn }> };
};
const FLEET_SCOPED = [...fleetGrants.FLEET_ACTIONS, 'appstream:TagResource', 'appstream:UntagResource'];
/**
 * RollOut's UpdateFleet likewise: on the fleets the bundled pipelines name in after.rollOut only
 * (RollOutFleetsPolicy, deploy/rollout-fleet-grants.cjs); none roll out by default.
 */
interface RollOutTarget {
  region?: string;
  fleet: string;
}
const rollOutGrants = require('../../deploy/rollout-fleet-grants.cjs') as {
  rollOutTargets(pipelines: unknown[]): RollOutTarget[];
  allowedFleetsEnv(targets: RollOutTarget[]): { 'Fn::Sub': string };
  rollOutFleetResources(
    targets: RollOutTarget[],
    deployment: string,
  ): { Resources?: Record<string, { Properties: Cfn }> };
};

const conditionKeys = (s: Statement) =>
  Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block as object));
const hasTagCondition = (s: Statement) =>
  conditionKeys(s).some((k) => /^aws:(ResourceTag|RequestTag)\//.test(k) || k === 'aws:TagKeys');
const resourceText = (s: Statement) => JSON.stringify(s.Resource);

beforeAll(async () => {
  ({ template } = await packagedTemplate());
  const handlers: Record<string, string> = {};
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const name = Object.keys(allFunctions).find(
      (n) => logicalId === `${n[0].toUpperCase()}${n.slice(1)}LambdaFunction`,
    );
    if (!name) continue;
    const role = r.Properties.Role?.['Fn::GetAtt']?.[0] as string;
    lambdas[name] = { logicalId, role, handler: r.Properties.Handler };
    handlers[name] = r.Properties.Handler;
  }
  const graph = new CallGraph();
  derived = await functionActions(handlers, graph);
  fixtures = await functionActions(
    {
      read: 'test/deploy/fixtures/actions/read.handler',
      report: 'test/deploy/fixtures/actions/report.handler',
    },
    graph,
  );
}, 900_000);

describe('Least privilege: a role per function, with the actions its code calls', () => {
  it('gives every deployed function a role of its own (no shared or provider-wide role)', () => {
    expect(Object.keys(lambdas).sort()).toEqual(Object.keys(allFunctions).sort());
    const roles = Object.values(lambdas).map((l) => l.role);
    for (const role of roles) expect(template.Resources[role]?.Type, role).toBe('AWS::IAM::Role');
    expect(new Set(roles).size).toBe(roles.length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each(Object.keys(allFunctions))(
    "%s's role holds exactly its code's actions (plus the listed extras)",
    (name) => {
      let code = derived[name].actions;
      if (name === 'scheduleApply' && !template.Resources.ScheduleApplyFleetsPolicy)
        code = code.filter((a) => !FLEET_SCOPED.includes(a));
      if (!template.Resources.CleanupMemberAssumePolicy) code = code.filter((a) => a !== 'sts:AssumeRole');
      if (name === 'rollOut' && !template.Resources.RollOutFleetsPolicy)
        code = code.filter((a) => a !== 'appstream:UpdateFleet');
      const expected = [...new Set([...code, ...extrasFor(name, code)])].sort();
      expect(allowedActions(lambdas[name].role), `${name} (${derived[name].handler})`).toEqual(expected);
    },
  );

  it('derives the actions from the code each function reaches, not from everything its bundle holds', () => {
    for (const d of Object.values(derived)) for (const a of d.actions) expect(d.bundleActions).toContain(a);
    // CheckBuilder's bundle holds the agent channel, the signer and the notifier (the pipeline's
    // deps factory builds them), but its code only polls the builder.
    expect(derived.checkBuilder.bundleActions).toEqual(expect.arrayContaining(['kms:Sign', 's3:PutObject']));
    expect(derived.checkBuilder.actions).toEqual(['appstream:DescribeImageBuilders']);
    // Only SubmitBuild signs jobs and writes them: the key policy and bucket policy name its role.
    const signers = Object.entries(derived).filter(([, d]) => d.actions.includes('kms:Sign'));
    expect(signers.map(([n]) => n)).toEqual(['submitBuild']);
    expect(derived.submitBuild.callers['kms:Sign']).toEqual(['lib/agent/signer.ts']);
  });

  it('follows each handler through the ports it uses (interfaces, structural classes, deps functions, paginators)', () => {
    // Both bundles hold every port the composition root builds…
    const all = ['s3:GetObject', 's3:ListBucket', 'sns:Publish', 'states:ListExecutions'];
    expect(fixtures.read.bundleActions).toEqual(all);
    expect(fixtures.report.bundleActions).toEqual(all);
    // …but each handler reaches only its own calls: read → Store.read (S3Store implements Store);
    // report → Store.list (ListObjectsV2 → s3:ListBucket), the notifier (a class without
    // `implements`, found where FixtureDeps expects a Notifier) and countExecutions (a function
    // in the deps object, called from a callback; paginateListExecutions → states:ListExecutions).
    expect(fixtures.read.actions).toEqual(['s3:GetObject']);
    expect(fixtures.report.actions).toEqual(['s3:ListBucket', 'sns:Publish', 'states:ListExecutions']);
    expect(fixtures.report.callers['s3:ListBucket']).toEqual(['test/deploy/fixtures/actions/deps.ts']);
  });

  it('maps SDK operations to the IAM actions the Service Authorization Reference names', () => {
    expect(iamAction('@aws-sdk/client-s3', 'ListObjectsV2')).toBe('s3:ListBucket');
    expect(iamAction('@aws-sdk/client-s3', 'HeadObject')).toBe('s3:GetObject');
    expect(iamAction('@aws-sdk/client-sfn', 'ListExecutions')).toBe('states:ListExecutions');
    expect(iamAction('@aws-sdk/client-resource-groups-tagging-api', 'GetResources')).toBe('tag:GetResources');
    expect(iamAction('@aws-sdk/client-application-auto-scaling', 'RegisterScalableTarget')).toBe(
      'application-autoscaling:RegisterScalableTarget',
    );
    expect(() => iamAction('@aws-sdk/client-unknown', 'X')).toThrow(/no IAM service prefix/);
  });
});

describe('Least privilege: no broad grants', () => {
  it('grants no service wildcard (appstream:*, *:*)', () => {
    for (const { where, s } of everyStatement())
      for (const a of actionsOf(s)) expect(a, where).not.toMatch(/(^\*$|:\*$|^appstream:\*)/);
  });

  it("grants the actions without resource types (Service Authorization Reference) on '*' only, every other action on ARNs", () => {
    for (const { where, s } of everyStatement()) {
      if (s.Effect !== 'Allow') continue;
      for (const a of actionsOf(s)) {
        if (NO_RESOURCE_TYPES.includes(a)) {
          // An ARN never matches an action without resource types: the call would be denied.
          expect(s.Resource, `${where} ${a}`).toBe('*');
        } else if (s.Resource === '*') {
          // Only for a stated reason, narrowed by the stated condition keys.
          expect(STAR_FOR_REASON[a], `${where} ${a} on '*'`).toBeDefined();
          expect(conditionKeys(s).sort(), `${where} ${a}`).toEqual([...STAR_FOR_REASON[a]].sort());
        } else {
          expect([s.Resource].flat().length, `${where} ${a}`).toBeGreaterThan(0);
          for (const r of [s.Resource].flat()) expect(r, `${where} ${a}`).not.toBe('*');
        }
      }
    }
    // appstream:ListTagsForResource in particular (review of issue 10, item 1).
    const listTags = everyStatement().filter(({ s }) =>
      actionsOf(s).includes('appstream:ListTagsForResource'),
    );
    expect(listTags.length).toBeGreaterThan(0);
    for (const { s } of listTags) expect(s.Resource).toBe('*');
  });

  it('grants no destructive AppStream action without a tag condition, except on fleets of this account for a stated reason', () => {
    const untagged: string[] = [];
    for (const { where, s } of everyStatement()) {
      if (s.Effect !== 'Allow') continue;
      for (const a of actionsOf(s).filter((x) => DESTRUCTIVE.test(x))) {
        expect(resourceText(s), `${where} ${a} on *`).not.toBe('"*"');
        if (hasTagCondition(s)) continue;
        const named = [s.Resource]
          .flat()
          .every((r: Cfn) => /:fleet\/[^*]+$/.test(typeof r === 'string' ? r : r['Fn::Sub']));
        if (named) continue;
        untagged.push(`${where} ${a}`);
        expect(resourceText(s), `${where} ${a}`).toContain(
          `:\${AWS::AccountId}:${UNTAGGED_BY_REASON[`${where} ${a}`]}`,
        );
      }
    }
    expect(untagged.sort()).toEqual(Object.keys(UNTAGGED_BY_REASON).sort());
  });

  it("conditions the pipeline's stops and deletes on its own tags, and its creations and tagging on the request's", () => {
    const ours = `${'appstream-autopilot'}-ci`;
    const grant = (role: string, action: string) =>
      statementsOf(role).find((s) => actionsOf(s).includes(action))!;
    for (const role of [
      'FinishBuilderFunctionRole',
      'CleanupBuilderFunctionRole',
      'ExecutionBackstopFunctionRole',
    ]) {
      expect(grant(role, 'appstream:StopImageBuilder').Condition).toEqual({
        StringEquals: { [`aws:ResourceTag/${TAG.deployment}`]: ours },
      });
      // Deletes: only what this deployment created (managed), never an adopted builder.existing.
      expect(grant(role, 'appstream:DeleteImageBuilder').Condition).toEqual({
        StringEquals: {
          [`aws:ResourceTag/${TAG.deployment}`]: ours,
          [`aws:ResourceTag/${TAG.managed}`]: 'true',
        },
      });
    }
    // `stopped by run <id>` on a builder the run (or its backstop) left stopped: that one tag only.
    for (const role of [
      'FinishBuilderFunctionRole',
      'CleanupBuilderFunctionRole',
      'ExecutionBackstopFunctionRole',
      'BackstopSweepFunctionRole',
    ])
      expect(grant(role, 'appstream:TagResource').Condition, role).toEqual({
        StringEquals: { [`aws:ResourceTag/${TAG.deployment}`]: ours },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.lastAction] },
        Null: { 'aws:TagKeys': 'false' },
      });
    expect(grant('RetireImagesFunctionRole', 'appstream:DeleteImage').Condition?.StringEquals).toEqual({
      [`aws:ResourceTag/${TAG.deployment}`]: ours,
      [`aws:ResourceTag/${TAG.managed}`]: 'true',
    });
    expect(grant('EnsureBuilderFunctionRole', 'appstream:CreateImageBuilder').Condition).toEqual({
      StringEquals: { [`aws:RequestTag/${TAG.managed}`]: 'true', [`aws:RequestTag/${TAG.deployment}`]: ours },
    });
    // A builder.existing is claimed (tagged) before it is started; never one another deployment owns.
    expect(grant('EnsureBuilderFunctionRole', 'appstream:TagResource').Condition).toEqual({
      StringEquals: { [`aws:RequestTag/${TAG.deployment}`]: ours },
      StringEqualsIfExists: { [`aws:ResourceTag/${TAG.deployment}`]: ours },
    });
    // Starting it must not wait for that tag to be visible (IfExists); a start destroys nothing.
    expect(grant('EnsureBuilderFunctionRole', 'appstream:StartImageBuilder').Condition).toEqual({
      StringEqualsIfExists: { [`aws:ResourceTag/${TAG.deployment}`]: ours },
    });
  });

  it('lets cleanup reach every builder (console ones too) but not opted-out ones, and write only its own tags', () => {
    const sweep = statementsOf('CleanupSweepFunctionRole');
    const grant = (action: string) => sweep.find((s) => actionsOf(s).includes(action))!;
    for (const action of ['appstream:StopImageBuilder', 'appstream:DeleteImageBuilder'])
      expect(resourceText(grant(action))).toContain(':image-builder/*');
    expect(grant('appstream:StopImageBuilder').Condition).toEqual({
      StringNotEqualsIgnoreCase: { [`aws:ResourceTag/${TAG.keep}`]: 'true' },
    });
    expect(grant('appstream:DeleteImageBuilder').Condition).toEqual({
      StringNotEqualsIgnoreCase: { [`aws:ResourceTag/${TAG.keep}`]: ['true', 'stop-only'] },
      Null: { [`aws:ResourceTag/${TAG.pipeline}`]: 'true' },
    });
    const tagKeys = (role: string) =>
      statementsOf(role)
        .filter((s) => actionsOf(s).some((a) => /^appstream:(Tag|Untag)Resource$/.test(a)))
        .map((s) => s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys']);
    expect(tagKeys('CleanupSweepFunctionRole')).toEqual([[TAG.cleanup, TAG.lastAction]]);
    expect(tagKeys('CleanupRecordConnectionFunctionRole')).toEqual([[TAG.lastConnection, TAG.creator]]);
  });

  it('passes only the declared builder roles, to AppStream only; assumes only the declared member roles', () => {
    const passRole = everyStatement().filter(({ s }) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole.map((p) => p.where)).toEqual(['EnsureBuilderFunctionRole']);
    const [{ s }] = passRole;
    expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'appstream.amazonaws.com' } });
    expect(resourceText(s)).not.toBe('"*"');
    expect(s.Resource['Fn::If'][0]).toBe('HasBuilderRoles');

    // sts:AssumeRole: only the configured member roles (CleanupMemberAssumePolicy); the default
    // deploy configures none, so nothing may assume any role.
    const assume = everyStatement().filter(
      ({ s }) => actionsOf(s).includes('sts:AssumeRole') && s.Effect === 'Allow',
    );
    expect(assume).toEqual([]);
    expect(template.Resources.CleanupMemberAssumePolicy).toBeUndefined();
  });

  it('gives each state machine a role that invokes its own functions only', () => {
    const machines = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    expect(machines).toHaveLength(3);
    for (const [id, m] of machines) {
      const role = m.Properties.RoleArn['Fn::GetAtt'][0] as string;
      const definition = JSON.stringify(m.Properties.DefinitionString);
      const statements = statementsOf(role);
      const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
      expect(invoke, id).toHaveLength(1);
      for (const r of invoke[0].Resource as Cfn[]) {
        const fn = r['Fn::GetAtt']?.[0] ?? r['Fn::Sub'][1].functionArn['Fn::GetAtt'][0];
        expect(definition, `${id} invokes ${fn}`).toContain(fn);
      }
      // The rest: X-Ray and (the Express machine's) log delivery, which support no resource types.
      for (const s of statements.filter((x) => x !== invoke[0]))
        for (const a of actionsOf(s)) expect(a, id).toMatch(/^(xray|logs):/);
    }
  });
});

describe('Least privilege: the fleet schedule acts on the fleets its file selects only', () => {
  const example = parse(readFileSync('examples/schedules.yaml', 'utf8'));
  const sub = (region: string, fleet: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:appstream:${region}:\${AWS::AccountId}:fleet/${fleet}`,
  });
  const ownTags = {
    'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.lastAction, TAG.override] },
    Null: { 'aws:TagKeys': 'false' },
  };
  const tagActions = ['appstream:TagResource', 'appstream:UntagResource'];

  it('grants fleets named in the file by ARN, and fleets selected by tag by that tag (aws:ResourceTag)', () => {
    // examples/schedules.yaml: finance, support by name; { tag: autopilot:schedule }.
    const named = [sub('${AWS::Region}', 'finance'), sub('${AWS::Region}', 'support')];
    const tagged = { [`aws:ResourceTag/${TAG.schedule}`]: 'false' };
    expect(fleetGrants.scheduleFleetGrants(example)).toEqual([
      { Effect: 'Allow', Action: fleetGrants.FLEET_ACTIONS, Resource: named },
      { Effect: 'Allow', Action: tagActions, Resource: named, Condition: ownTags },
      {
        Effect: 'Allow',
        Action: fleetGrants.FLEET_ACTIONS,
        Resource: sub('*', '*'),
        Condition: { Null: tagged },
      },
      {
        Effect: 'Allow',
        Action: tagActions,
        Resource: sub('*', '*'),
        Condition: { ...ownTags, Null: { 'aws:TagKeys': 'false', ...tagged } },
      },
    ]);
    // With the role's own statements, ScheduleApply then holds exactly its code's fleet actions.
    const actions = fleetGrants.scheduleFleetGrants(example).flatMap((st) => [st.Action].flat());
    expect([...new Set(actions)].sort()).toEqual(
      derived.scheduleApply.actions.filter((a) => FLEET_SCOPED.includes(a)).sort(),
    );
  });

  it("puts a fleet's own region in its ARN, and grants nothing (no policy) when the file selects no fleet", () => {
    expect(
      fleetGrants.scheduleFleetGrants({ fleets: [{ name: 'f1', region: 'eu-west-1', schedule: 's' }] })[0]
        .Resource,
    ).toEqual([sub('eu-west-1', 'f1')]);
    expect(fleetGrants.scheduleFleetResources({ schedules: {}, fleets: [] })).toEqual({});
    // The default deploy (config/schedules.yaml selects no fleet) packages no fleet policy.
    expect(template.Resources.ScheduleApplyFleetsPolicy).toBeUndefined();
    expect(allowedActions('ScheduleApplyFunctionRole').filter((a) => FLEET_SCOPED.includes(a))).toEqual([]);
  });
});

describe('Least privilege: RollOut updates the fleets the bundled pipelines name only', () => {
  const sub = (region: string, fleet: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:appstream:${region}:\${AWS::AccountId}:fleet/${fleet}`,
  });
  const pipelines = [
    {
      name: 'a',
      region: 'eu-west-1',
      after: { rollOut: [{ fleet: 'sales' }, { fleet: 'hr', region: 'us-east-1' }] },
    },
    { name: 'b', after: { rollOut: [{ fleet: 'lab' }, { fleet: 'sales', region: 'eu-west-1' }] } },
    { name: 'c', after: { rollOut: [] } },
  ];

  it("grants UpdateFleet on each named fleet's ARN in its region, and on images this deployment tagged, never fleet/*", () => {
    const targets = rollOutGrants.rollOutTargets(pipelines);
    // The target's region, else the pipeline's, else the deployment's (undefined); duplicates once.
    expect(targets).toEqual([
      { region: undefined, fleet: 'lab' },
      { region: 'eu-west-1', fleet: 'sales' },
      { region: 'us-east-1', fleet: 'hr' },
    ]);
    const { Resources } = rollOutGrants.rollOutFleetResources(targets, 'appstream-autopilot-ci');
    const policy = Resources!.RollOutFleetsPolicy.Properties;
    expect(policy.Roles).toEqual([{ Ref: 'RollOutFunctionRole' }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'appstream:UpdateFleet',
        Resource: [sub('${AWS::Region}', 'lab'), sub('eu-west-1', 'sales'), sub('us-east-1', 'hr')],
      },
      {
        Effect: 'Allow',
        Action: 'appstream:UpdateFleet',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:appstream:*:${AWS::AccountId}:image/*' },
        Condition: { StringEquals: { [`aws:ResourceTag/${TAG.deployment}`]: 'appstream-autopilot-ci' } },
      },
    ]);
    for (const st of policy.PolicyDocument.Statement)
      expect(JSON.stringify(st.Resource)).not.toContain('fleet/*');
    // Resolve's list is the same fleets (lib/pipeline/resolve.ts checkRollOutFleets).
    expect(rollOutGrants.allowedFleetsEnv(targets)).toEqual({
      'Fn::Sub': JSON.stringify(['${AWS::Region}/lab', 'eu-west-1/sales', 'us-east-1/hr']),
    });
  });

  it('grants nothing when no pipeline rolls out (the default config/pipelines), and tells Resolve so ([])', () => {
    expect(rollOutGrants.rollOutFleetResources([], 'x')).toEqual({});
    expect(rollOutGrants.allowedFleetsEnv([])).toEqual({ 'Fn::Sub': '[]' });
    expect(template.Resources.RollOutFleetsPolicy).toBeUndefined();
    expect(allowedActions('RollOutFunctionRole')).not.toContain('appstream:UpdateFleet');
    const resolve = template.Resources[lambdas.resolve.logicalId].Properties.Environment.Variables;
    expect(resolve.ALLOWED_ROLLOUT_FLEETS).toEqual({ 'Fn::Sub': '[]' });
  });
});

describe('Least privilege: the cleanup assumes the configured member-account roles only', () => {
  it("grants sts:AssumeRole on the bundled policy's scope.accounts roles (and the params'), to the two functions that call it", () => {
    const example = parse(readFileSync('examples/cleanup.yaml', 'utf8'));
    // examples/cleanup.yaml: one account with a roleArn, one with the default role name.
    const roles = memberGrants.policyRoles(example);
    expect(roles).toEqual([
      'arn:aws:iam::111122223333:role/autopilot-cleanup',
      'arn:aws:iam::444455556666:role/autopilot-cleanup',
    ]);
    const forwarded = 'arn:aws:iam::777788889999:role/recorder';
    const { Resources } = memberGrants.cleanupMemberResources([...roles, forwarded, roles[0]]);
    const policy = Resources!.CleanupMemberAssumePolicy.Properties;
    expect(policy.Roles).toEqual([
      { Ref: 'CleanupSweepFunctionRole' },
      { Ref: 'CleanupRecordConnectionFunctionRole' },
    ]);
    expect(policy.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [...roles, forwarded].sort() },
    ]);
    // The functions given it are exactly those whose code assumes roles.
    const callers = Object.entries(derived)
      .filter(([, d]) => d.actions.includes('sts:AssumeRole'))
      .map(([n]) => `${n[0].toUpperCase()}${n.slice(1)}FunctionRole`);
    expect(policy.Roles.map((r: { Ref: string }) => r.Ref).sort()).toEqual(callers.sort());
  });

  it('grants nothing when no role is configured (a policy without scope.accounts, empty params)', () => {
    expect(memberGrants.policyRoles(parse(readFileSync('config/cleanup.yaml', 'utf8')))).toEqual([]);
    expect(memberGrants.cleanupMemberResources([])).toEqual({});
    expect(
      memberGrants.policyRoles({ scope: { roleName: 'ops', accounts: [{ id: '123456789012' }] } }),
    ).toEqual(['arn:aws:iam::123456789012:role/ops']);
  });
});
