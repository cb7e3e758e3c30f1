/**
 * The packaged CloudFormation template (`npx osls package`, shared with package.test.ts through
 * packaged.ts) read as the deployment it describes: state machines that call only the stack's
 * functions, schedules that say their time zone, API routes that all have auth, alarms that
 * reach someone, logs that expire, traces, and the pipelines bundled for {"pipeline": "<name>"}.
 * Written over the template generically: a function, route or schedule added later is checked too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFunctions } from '../../functions';
import { pipelineFiles } from '../../lib/config/catalog';
import { readPipelineFile, validatePipeline } from '../../lib/config/load';
import { timeZoneIssue } from '../../lib/config/pipeline';
import { type Cfn, packagedTemplate, type Template, unzipFunction } from './packaged';

let dir: string;
let t: Template;
let R: Template['Resources'];
const work = mkdtempSync(join(tmpdir(), 'template-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Packaging takes ~10 s on a quiet machine and minutes on a loaded one (or while another test file
// packages: this one then waits for it).
beforeAll(async () => {
  ({ dir, template: t } = await packagedTemplate());
  R = t.Resources;
}, 600_000);

const ofType = (type: string) => Object.entries(R).filter(([, r]) => r.Type === type);
/** The logical id a Ref / Fn::GetAtt points at (undefined for anything else). */
const target = (v: Cfn): string | undefined =>
  v?.Ref ?? (Array.isArray(v?.['Fn::GetAtt']) ? v['Fn::GetAtt'][0] : v?.['Fn::GetAtt']?.split('.')[0]);
const same = (a: Cfn, b: Cfn) => JSON.stringify(a) === JSON.stringify(b);

/** Every statement a role grants: inline, attached AWS::IAM::Policy / ManagedPolicy resources. */
function statementsOf(roleId: string): Cfn[] {
  const inline = (R[roleId]?.Properties.Policies ?? []).flatMap((p: Cfn) => p.PolicyDocument.Statement);
  const attached = Object.entries(R)
    .filter(
      ([id, r]) =>
        (r.Type === 'AWS::IAM::Policy' &&
          (r.Properties.Roles ?? []).some((x: Cfn) => target(x) === roleId)) ||
        (r.Type === 'AWS::IAM::ManagedPolicy' &&
          ((r.Properties.Roles ?? []).some((x: Cfn) => target(x) === roleId) ||
            (R[roleId]?.Properties.ManagedPolicyArns ?? []).some((x: Cfn) => target(x) === id))),
    )
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
  return [...inline, ...attached].map((s) => ({ ...s, Action: [s.Action].flat() }));
}
const allows = (roleId: string, action: string) =>
  statementsOf(roleId).some((s) => s.Effect === 'Allow' && s.Action.includes(action));

/** A state machine's definition and its Fn::Sub variables. */
function definitionOf(id: string): { definition: Cfn; text: string; vars: Record<string, Cfn> } {
  const d = R[id].Properties.DefinitionString;
  const [text, vars] = typeof d === 'string' ? [d, {}] : d['Fn::Sub'];
  return { definition: JSON.parse(text), text, vars };
}

/** Every state, nested ones too (Map ItemProcessor/Iterator, Parallel branches). */
function statesOf(machine: Cfn): [string, Cfn][] {
  return Object.entries(machine.States as Record<string, Cfn>).flatMap(([name, s]) => [
    [name, s] as [string, Cfn],
    ...[s.ItemProcessor, s.Iterator, ...(s.Branches ?? [])].filter(Boolean).flatMap(statesOf),
  ]);
}

/**
 * A JSONPath Parameters block evaluated the way Step Functions does for the first state: "k.$"
 * selects from the input ($, $.field) or the context ($$.Execution.*); a path that selects
 * nothing is a States.Runtime error (the execution fails before any function runs).
 */
function parametersFor(parameters: Cfn, input: Record<string, unknown>): Record<string, unknown> {
  const context = {
    Execution: {
      Id: 'arn:aws:states:eu-west-1:123456789012:execution:sm:run-1',
      Name: 'run-1',
      StartTime: '2026-11-26T10:00:00.000Z',
    },
  };
  const select = (path: string) => {
    const [root, ...keys] = path.split('.');
    let v: unknown = root === '$$' ? context : root === '$' ? input : undefined;
    for (const k of keys) v = (v as Record<string, unknown> | undefined)?.[k];
    if (v === undefined)
      throw new Error(`States.Runtime: ${path} selects nothing in ${JSON.stringify(input)}`);
    return v;
  };
  return Object.fromEntries(
    Object.entries(parameters).map(([k, v]) =>
      k.endsWith('.$') ? [k.slice(0, -2), select(v as string)] : [k, v],
    ),
  );
}

describe('Deployment template: state machines', () => {
  it('has the three state machines, each a valid ASL definition (asl-validator)', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id).sort()).toEqual([
      'BuilderCleanupStepFunctionsStateMachine',
      'FleetScheduleStepFunctionsStateMachine',
      'ImagePipelineStepFunctionsStateMachine',
    ]);
    for (const [id] of machines) {
      const { text, vars } = definitionOf(id);
      // As deployed: each ${Var} becomes the ARN of what it names.
      const deployed = text.replace(
        /\$\{(\w+)\}/g,
        (_, v) => `arn:aws:lambda:eu-west-1:123456789012:function:${target(vars[v]) ?? v}`,
      );
      const { isValid, errorsText } = aslValidator(JSON.parse(deployed));
      expect(isValid, `${id}: ${errorsText('\n')}`).toBe(true);
    }
  });

  it('calls from every Task state a Lambda function of the stack (after Fn::Sub and Fn::GetAtt)', () => {
    const called = new Set<string>();
    for (const [id] of ofType('AWS::StepFunctions::StateMachine')) {
      const { definition, vars } = definitionOf(id);
      const tasks = statesOf(definition).filter(([, s]) => s.Type === 'Task');
      expect(tasks.length, id).toBeGreaterThan(0);
      for (const [name, task] of tasks) {
        // The Lambda ARN itself, or the lambda:invoke integration with its FunctionName.
        const ref: string =
          task.Resource === 'arn:aws:states:::lambda:invoke' ? task.Parameters?.FunctionName : task.Resource;
        const variable = /^\$\{(\w+)\}$/.exec(ref ?? '')?.[1];
        expect(variable, `${id} ${name}: Resource ${ref}`).toBeDefined();
        const value = vars[variable!];
        expect(value?.['Fn::GetAtt']?.[1], `${id} ${name}`).toBe('Arn');
        const fn = target(value)!;
        expect(R[fn]?.Type, `${id} ${name} → ${fn}`).toBe('AWS::Lambda::Function');
        called.add(fn);
      }
    }
    // Every function of a workflow is called; only the event-driven ones are not.
    const uncalled = ofType('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => !called.has(id))
      .sort();
    expect(uncalled).toEqual([
      'ApiLambdaFunction',
      'BackstopSweepLambdaFunction',
      'CleanupRecordConnectionLambdaFunction',
      'ExecutionBackstopLambdaFunction',
      'HooksLambdaFunction',
    ]);
  });

  it.each([
    ['ImagePipelineStepFunctionsStateMachine', 'resolve', { pipeline: 'office-apps' }],
    [
      'ImagePipelineStepFunctionsStateMachine',
      'resolve',
      { pipeline: 'office-apps', overrides: { builder: { instanceType: 'stream.standard.large' } } },
    ],
    ['FleetScheduleStepFunctionsStateMachine', 'scheduleEvaluate', {}],
    ['FleetScheduleStepFunctionsStateMachine', 'scheduleEvaluate', { dryRun: true }],
    ['BuilderCleanupStepFunctionsStateMachine', 'cleanupPlan', {}],
    ['BuilderCleanupStepFunctionsStateMachine', 'cleanupPlan', { dryRun: true }],
  ])('%s starts from the console input %j: its first Task gets an event %s accepts', (id, fn, input) => {
    const { definition } = definitionOf(id);
    const first = definition.States[definition.StartAt];
    expect(first.Type).toBe('Task');
    // No Parameters: the function gets the input as is.
    const event = first.Parameters ? parametersFor(first.Parameters, input) : input;
    const schema = allFunctions[fn as keyof typeof allFunctions].schema;
    expect(schema.safeParse(event).success, JSON.stringify(event)).toBe(true);
  });

  it('runs under a role only this account’s state machines may assume (confused deputy)', () => {
    for (const [id, m] of ofType('AWS::StepFunctions::StateMachine')) {
      const role = target(m.Properties.RoleArn)!;
      const trust = R[role].Properties.AssumeRolePolicyDocument.Statement as Cfn[];
      expect(trust.length, `${id} ${role}`).toBeGreaterThan(0);
      for (const st of trust) {
        expect(st.Principal.Service, `${id} ${role}`).toEqual({
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
          'Fn::Sub': 'states.${AWS::Region}.amazonaws.com',
        });
        expect(st.Condition, `${id} ${role}`).toEqual({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
              'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:*',
            },
          },
        });
      }
    }
  });

  it('is traced (X-Ray) and its role may send traces', () => {
    for (const [id, m] of ofType('AWS::StepFunctions::StateMachine')) {
      expect(m.Properties.TracingConfiguration, id).toEqual({ Enabled: true });
      const role = target(m.Properties.RoleArn)!;
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
        expect(allows(role, action), `${id} ${role} ${action}`).toBe(true);
    }
  });
});

describe('Deployment template: schedules', () => {
  it('runs every schedule on EventBridge Scheduler with a time zone (no EventBridge rule schedules, always UTC)', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules.length).toBeGreaterThanOrEqual(3);
    for (const [id, s] of schedules) {
      const zone = s.Properties.ScheduleExpressionTimezone;
      expect(zone, id).toEqual(expect.any(String));
      expect(timeZoneIssue(zone), `${id}: ${zone}`).toBeUndefined();
      expect(s.Properties.FlexibleTimeWindow, id).toEqual({ Mode: 'OFF' });
    }
    const ruleSchedules = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
    expect(ruleSchedules.map(([id]) => id)).toEqual([]);
  });

  it('starts each target with a role Scheduler may assume that allows just that call on just that target', () => {
    for (const [id, s] of ofType('AWS::Scheduler::Schedule')) {
      const { Arn, RoleArn } = s.Properties.Target;
      const targetType = R[target(Arn)!]?.Type;
      const action = {
        'AWS::StepFunctions::StateMachine': 'states:StartExecution',
        'AWS::Lambda::Function': 'lambda:InvokeFunction',
      }[targetType as string];
      expect(action, `${id} targets ${JSON.stringify(Arn)} (${targetType})`).toBeDefined();
      const role = target(RoleArn)!;
      const trust = R[role].Properties.AssumeRolePolicyDocument.Statement;
      expect(
        trust.map((st: Cfn) => st.Principal.Service),
        id,
      ).toEqual(['scheduler.amazonaws.com']);
      // Confused deputy: only this account's schedules may have Scheduler assume it, the roles
      // serverless-step-functions generates too (EventBridge Scheduler user guide, "Setting up the
      // execution role": aws:SourceAccount).
      for (const st of trust)
        expect(st.Condition, `${id} ${role}`).toEqual({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        });
      const statements = statementsOf(role);
      expect(
        statements.flatMap((st) => st.Action),
        `${id} ${role}`,
      ).toEqual([action]);
      for (const st of statements)
        expect(same([st.Resource].flat()[0], Arn), `${id}: ${JSON.stringify(st.Resource)}`).toBe(true);
    }
  });

  it('schedules the fleet schedule every 5 minutes and the cleanup every 15, both in UTC, both live', () => {
    const on = (machine: string) =>
      ofType('AWS::Scheduler::Schedule').find(([, s]) => target(s.Properties.Target.Arn) === machine)?.[1]
        .Properties;
    expect(on('FleetScheduleStepFunctionsStateMachine')).toMatchObject({
      ScheduleExpression: 'cron(0/5 * * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: { Input: '{"dryRun":false}' },
    });
    expect(on('BuilderCleanupStepFunctionsStateMachine')).toMatchObject({
      ScheduleExpression: 'cron(0/15 * * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
    });
  });

  it('gives exactly the pipelines of config/pipelines that declare a schedule one each, in their time zone, started by name', () => {
    const declared = [...pipelineFiles('config/pipelines')]
      .map(([name, file]) => ({ name, schedule: validatePipeline(readPipelineFile(file), file).schedule }))
      .filter((p) => p.schedule);
    expect(declared.length).toBeGreaterThan(0);
    const generated = ofType('AWS::Scheduler::Schedule').filter(
      ([, s]) => target(s.Properties.Target.Arn) === 'ImagePipelineStepFunctionsStateMachine',
    );
    expect(
      generated.map(([, s]) => ({
        input: JSON.parse(s.Properties.Target.Input),
        cron: s.Properties.ScheduleExpression,
        timezone: s.Properties.ScheduleExpressionTimezone,
        state: s.Properties.State,
      })),
    ).toEqual(
      declared.map(({ name, schedule }) => ({
        input: { pipeline: name },
        cron: schedule!.cron,
        timezone: schedule!.timezone,
        state: schedule!.enabled ? 'ENABLED' : 'DISABLED',
      })),
    );
  });
});

describe('Deployment template: webhooks API', () => {
  it('puts AWS_IAM on every route but the /hooks/ ones, which the hooks function verifies itself', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    const hooks = routes.filter(([, r]) => r.Properties.RouteKey.split(' ')[1]?.startsWith('/hooks/'));
    const others = routes.filter(([id]) => !hooks.some(([h]) => h === id));
    expect(hooks.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    for (const [id, r] of others)
      expect(r.Properties.AuthorizationType, `${id} ${r.Properties.RouteKey}`).toBe('AWS_IAM');
    for (const [id, r] of hooks) {
      // No API Gateway auth (an authorizer never sees the body the signature covers)...
      expect(r.Properties.AuthorizationType ?? 'NONE', id).toBe('NONE');
      // ...so only the function that checks signatures may serve them.
      const integration = r.Properties.Target['Fn::Join'][1][1];
      expect(
        target(R[target(integration)!].Properties.IntegrationUri),
        `${id} ${r.Properties.RouteKey}`,
      ).toBe('HooksLambdaFunction');
    }
  });
  it('throttles the HTTP API stage (API Gateway rate limit, from params apiRateLimit/apiBurstLimit)', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages.length).toBe(1);
    const settings = stages[0]![1].Properties.DefaultRouteSettings;
    expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings.ThrottlingBurstLimit).toBeGreaterThan(0);
  });
});

describe('Deployment template: alarms, logs, traces', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm');
  /** Every metric an alarm watches (a single metric or the MetricStats of a math expression). */
  const metricsOf = (a: Cfn): Cfn[] =>
    a.Properties.MetricName
      ? [
          {
            Namespace: a.Properties.Namespace,
            MetricName: a.Properties.MetricName,
            Dimensions: a.Properties.Dimensions,
          },
        ]
      : (a.Properties.Metrics ?? []).filter((m: Cfn) => m.MetricStat).map((m: Cfn) => m.MetricStat.Metric);

  it('has one SNS alarm topic, its ARN an output, an e-mail subscription only when alarmEmail is set', () => {
    expect(ofType('AWS::SNS::Topic').map(([id]) => id)).toContain('AlarmTopic');
    expect(t.Outputs?.AlarmTopicArn.Value).toEqual({ Ref: 'AlarmTopic' });
    const [[, subscription]] = ofType('AWS::SNS::Subscription');
    expect(subscription).toMatchObject({
      Condition: 'HasAlarmEmail',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email' },
    });
    // Packaged without the param: the condition is false (no subscription is created).
    expect(t.Conditions?.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('alarms on failed and timed-out executions of every state machine', () => {
    for (const [id] of ofType('AWS::StepFunctions::StateMachine')) {
      const watched = alarms()
        .flatMap(([, a]) => metricsOf(a))
        .filter(
          (m) =>
            m.Namespace === 'AWS/States' &&
            same(m.Dimensions, [{ Name: 'StateMachineArn', Value: { Ref: id } }]),
        )
        .map((m) => m.MetricName);
      expect(watched, id).toEqual(expect.arrayContaining(['ExecutionsFailed', 'ExecutionsTimedOut']));
    }
  });

  it("alarms on every function's errors", () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(allFunctions).length);
    for (const [id] of functions) {
      const watched = alarms().filter(([, a]) =>
        metricsOf(a).some(
          (m) =>
            m.Namespace === 'AWS/Lambda' &&
            m.MetricName === 'Errors' &&
            same(m.Dimensions, [{ Name: 'FunctionName', Value: { Ref: id } }]),
        ),
      );
      expect(watched.length, id).toBe(1);
    }
  });

  it('sends every alarm of the stack to the alarm topic', () => {
    expect(alarms().length).toBeGreaterThan(ofType('AWS::Lambda::Function').length);
    for (const [id, a] of alarms())
      expect(a.Properties.AlarmActions, id).toContainEqual({ Ref: 'AlarmTopic' });
  });

  it("keeps every log group for a limited time: each function's, the state machines'", () => {
    const groups = ofType('AWS::Logs::LogGroup');
    for (const [id, g] of groups) expect(g.Properties.RetentionInDays, id).toBeGreaterThan(0);
    const names = new Set(groups.map(([, g]) => g.Properties.LogGroupName));
    for (const [id, f] of ofType('AWS::Lambda::Function'))
      expect(names.has(`/aws/lambda/${f.Properties.FunctionName}`), id).toBe(true);
    for (const [id, m] of ofType('AWS::StepFunctions::StateMachine'))
      for (const d of m.Properties.LoggingConfiguration?.Destinations ?? [])
        expect(R[target(d.CloudWatchLogsLogGroup.LogGroupArn)!]?.Type, id).toBe('AWS::Logs::LogGroup');
  });

  it('traces every function (X-Ray active) with a role that may send the traces', () => {
    for (const [id, f] of ofType('AWS::Lambda::Function')) {
      expect(f.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const role = target(f.Properties.Role)!;
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
        expect(allows(role, action), `${id} (${role}): ${action}`).toBe(true);
    }
  });
});

describe('Deployment template: the pipelines bundled for {"pipeline": "<name>"}', () => {
  it('tells every function where they are and packs them in every package', async () => {
    for (const [id, f] of ofType('AWS::Lambda::Function'))
      expect(f.Properties.Environment.Variables.PIPELINES_DIR, id).toBe('config/pipelines');
    for (const fn of ['resolve', 'api', 'hooks', 'executionBackstop', 'backstopSweep']) {
      const root = await unzipFunction(dir, fn, work);
      expect(readFileSync(join(root, 'config/pipelines/office-apps.yaml'), 'utf8'), fn).toBe(
        readFileSync('config/pipelines/office-apps.yaml', 'utf8'),
      );
    }
  });

  it('the packaged Resolve finds them from its package root and names them for an unknown pipeline', async () => {
    const root = await unzipFunction(dir, 'resolve', work);
    const bundle = await import(join(root, 'functions', 'resolve.mjs'));
    const saved = {
      LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT,
      PIPELINES_DIR: process.env.PIPELINES_DIR,
    };
    Object.assign(process.env, { LAMBDA_TASK_ROOT: root, PIPELINES_DIR: 'config/pipelines' });
    try {
      await expect(
        bundle.handler({ input: { pipeline: 'nightly' }, execution: 'run-1' }, {}),
      ).rejects.toMatchObject({
        name: 'PipelineNotFound',
        message: `no pipeline named 'nightly' in ${join(root, 'config/pipelines')} (the deployment has office-apps)`,
      });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
