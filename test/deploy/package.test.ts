import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allFunctions, cleanupFunctions, functions, scheduleFunctions } from '../../functions';
import { CONNECTION_EVENT_PATTERN, presenceEventPattern } from '../../lib/cleanup/events';
import { validateCleanupPolicy } from '../../lib/cleanup/policy';
import { validateScheduleFile } from '../../lib/schedule/config';
import { packagedTemplate, unzipFunction } from './packaged';
import { danglingReferences } from './references';

// The package is shared with the other test/deploy files (packaged.ts); unzipped here.
const work = mkdtempSync(join(tmpdir(), 'package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Deployment: serverless.yml packages offline with osls', () => {
  // osls + esbuild take ~10 s on a quiet machine and minutes on a loaded one: give them room.
  it('bundles every function and compiles the image pipeline, fleet schedule and builder cleanup state machines', {
    timeout: 600_000,
  }, async () => {
    const { dir: out, template } = await packagedTemplate();
    const resources = Object.values(template.Resources) as {
      Type: string;
      Properties: Record<string, unknown>;
    }[];
    const lambdas = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(lambdas).toHaveLength(Object.keys(allFunctions).length);
    for (const l of lambdas) expect(l.Properties.Runtime).toBe('nodejs22.x');
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(Object.keys(allFunctions).length);

    const machines = resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(3);
    const definitionOf = (m: (typeof machines)[number]) => {
      const [text, subs] = (
        m.Properties.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] }
      )['Fn::Sub'];
      return { definition: JSON.parse(text), substitutions: subs };
    };
    const machine = machines.find((m) => definitionOf(m).definition.StartAt === 'Resolve')!;
    const { definition, substitutions } = definitionOf(machine);
    expect(definition.StartAt).toBe('Resolve');
    // Every ${self:custom.lambda.<name>} became a reference to that function's ARN (all functions
    // but the execution backstop and its sweep, which EventBridge calls).
    expect(Object.values(substitutions)).toHaveLength(Object.keys(functions).length - 2);
    // The backstop's rule: the pipeline state machine's executions that ended without cleanup.
    const rules = resources.filter(
      (r) => r.Type === 'AWS::Events::Rule' && (r.Properties as { EventPattern?: unknown }).EventPattern,
    );
    const patternOf = (r: (typeof rules)[number]) => r.Properties.EventPattern as { source: string[] };
    const rule = rules.find((r) => patternOf(r).source[0] === 'aws.states')!;
    expect(rule.Properties.EventPattern).toMatchObject({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
    });
    expect(Object.values(substitutions)).toContainEqual({
      'Fn::GetAtt': ['CheckImageLambdaFunction', 'Arn'],
    });

    // The backstop's safety nets: a dead-letter queue for its failed invocations and undeliverable
    // events, an alarm on it, and an hourly sweep.
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read field by field below
    type Cfn = any;
    const R = template.Resources as Record<string, { Type: string; Properties: Cfn }>;
    const dlq = { 'Fn::GetAtt': ['BackstopDeadLetterQueue', 'Arn'] };
    expect(R.BackstopDeadLetterQueue.Type).toBe('AWS::SQS::Queue');
    expect(R.BackstopDeadLetterAlarm).toMatchObject({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'AWS/SQS',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': ['BackstopDeadLetterQueue', 'QueueName'] } },
        ],
      },
    });
    const invokeConfigs = resources.filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    const recorderDlq = { 'Fn::GetAtt': ['CleanupRecorderDeadLetterQueue', 'Arn'] };
    expect(invokeConfigs.map((c) => (c.Properties as Cfn).DestinationConfig?.OnFailure?.Destination)).toEqual(
      expect.arrayContaining([dlq, dlq, recorderDlq]),
    );
    expect(invokeConfigs).toHaveLength(3);
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ DeadLetterConfig: { Arn: dlq } })]);
    // The hourly sweep: an EventBridge Scheduler schedule invoking the sweep (asynchronously: its
    // onFailure destination above applies).
    expect(R.BackstopSweepSchedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      Target: {
        Arn: { 'Fn::GetAtt': ['BackstopSweepLambdaFunction', 'Arn'] },
        Input: JSON.stringify({ regions: [] }),
      },
    });
    // Roles, their actions and the signing key's policy: test/deploy/iam*.test.ts.

    // The fleet schedule: an Express state machine calling its three functions (inside its Map
    // too), started every 5 minutes by an EventBridge Scheduler schedule, logging its errors.
    const schedule = machines.find((m) => definitionOf(m).definition.StartAt === 'Evaluate')!;
    expect(schedule.Properties.StateMachineType).toBe('EXPRESS');
    expect(schedule.Properties.LoggingConfiguration).toMatchObject({ Level: 'ERROR' });
    const scheduleSubs = Object.values(definitionOf(schedule).substitutions);
    expect(scheduleSubs).toHaveLength(Object.keys(scheduleFunctions).length);
    expect(scheduleSubs).toContainEqual({ 'Fn::GetAtt': ['ScheduleApplyLambdaFunction', 'Arn'] });
    const schedulers = resources.filter((r) => r.Type === 'AWS::Scheduler::Schedule');
    const scheduler = schedulers.find(
      (r) => (r.Properties.ScheduleExpression as string) === 'cron(0/5 * * * ? *)',
    )!;
    // On the cadence (:00, :05, …), not counted from the deploy as rate(5 minutes) would be.
    expect(scheduler.Properties).toMatchObject({
      ScheduleExpression: 'cron(0/5 * * * ? *)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    // Alarms: a run that failed a fleet (Report's metric) and executions failed or timed out.
    expect(R.FleetScheduleFailedAlarm.Properties).toMatchObject({
      Namespace: 'appstream-autopilot',
      MetricName: 'FleetsFailed',
    });
    expect(
      R.FleetScheduleExecutionsAlarm.Properties.Metrics.map((m: Cfn) => m.MetricStat?.Metric.MetricName),
    ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut', undefined]);
    // The scheduled runs read the schedule file bundled beside ScheduleEvaluate (SCHEDULE_FILE):
    // by default one that manages no fleet (a bare deploy touches nothing).
    const evaluate = R.ScheduleEvaluateLambdaFunction.Properties;
    expect(evaluate.Environment.Variables.SCHEDULE_FILE).toBe('config/schedules.yaml');
    expect(evaluate.Environment.Variables.SCHEDULE_CADENCE_MINUTES).toBe('5');
    const evaluateDir = await unzipFunction(out, 'scheduleEvaluate', work);
    const bundled = readFileSync(join(evaluateDir, 'config', 'schedules.yaml'), 'utf8');
    expect(validateScheduleFile(parse(bundled))).toEqual({ schedules: {}, fleets: [] });

    // Idle builder cleanup: a Standard state machine (the overlap guard lists its executions)
    // calling its three functions, every 15 minutes; the connection recorder's rule is exactly
    // CONNECTION_EVENT_PATTERN; all four functions under their own role.
    const cleanup = machines.find((m) => definitionOf(m).definition.StartAt === 'Plan')!;
    expect(cleanup.Properties.StateMachineType ?? 'STANDARD').toBe('STANDARD');
    expect(Object.values(definitionOf(cleanup).substitutions)).toHaveLength(
      Object.keys(cleanupFunctions).length - 1,
    );
    const recorderRule = rules.find((r) => patternOf(r).source[0] === 'aws.appstream')!;
    expect(recorderRule.Properties.EventPattern).toEqual(CONNECTION_EVENT_PATTERN);
    // Presence heartbeats: the agent bucket sends its events to EventBridge, and the second rule
    // is presenceEventPattern on that bucket (its name is only known at deploy time).
    const presenceRule = rules.find((r) => patternOf(r).source[0] === 'aws.s3')!;
    expect(presenceRule.Properties.EventPattern).toEqual(
      JSON.parse(
        JSON.stringify(presenceEventPattern('BUCKET')).replace(
          '"BUCKET"',
          JSON.stringify({ Ref: 'AgentBucket' }),
        ),
      ),
    );
    expect(presenceRule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': ['CleanupRecordConnectionLambdaFunction', 'Arn'] },
        DeadLetterConfig: { Arn: recorderDlq },
      }),
    ]);
    expect(R.AgentBucket.Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    // The recorder knows the bucket (and prefix) whose heartbeats it records.
    expect(R.CleanupRecordConnectionLambdaFunction.Properties.Environment.Variables).toMatchObject({
      AGENT_BUCKET: { Ref: 'AgentBucket' },
      AGENT_PREFIX: 'autopilot-agent',
    });
    expect(recorderRule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': ['CleanupRecordConnectionLambdaFunction', 'Arn'] },
        DeadLetterConfig: { Arn: recorderDlq },
      }),
    ]);
    // Recorder failures are not silent: its failed invocations (onFailure) and undeliverable
    // events land in its queue, which EventBridge may write to and an alarm watches.
    const recorderConfig = invokeConfigs.find(
      (c) =>
        (c.Properties as Cfn).DestinationConfig?.OnFailure?.Destination?.['Fn::GetAtt']?.[0] ===
        'CleanupRecorderDeadLetterQueue',
    )!;
    expect((recorderConfig.Properties as Cfn).FunctionName).toEqual({
      Ref: 'CleanupRecordConnectionLambdaFunction',
    });
    expect((recorderConfig.Properties as Cfn).MaximumRetryAttempts).toBe(2);
    expect(R.CleanupRecorderDeadLetterQueue.Type).toBe('AWS::SQS::Queue');
    expect(R.CleanupRecorderDeadLetterQueuePolicy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: recorderDlq,
      }),
    ]);
    expect(R.CleanupRecorderDeadLetterAlarm).toMatchObject({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': ['CleanupRecorderDeadLetterQueue', 'QueueName'] } },
        ],
      },
    });
    const cleanupScheduler = schedulers.find(
      (r) => (r.Properties.ScheduleExpression as string) === 'cron(0/15 * * * ? *)',
    )!;
    expect(cleanupScheduler.Properties).toMatchObject({
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    // No Sweep outlives its execution (lib/cleanup/plan.ts): the Lambda runs at most 300 s.
    expect(R.CleanupSweepLambdaFunction.Properties.Timeout).toBe(300);
    // Plan checks the policy's notify.topicArn against the topic the role may publish to.
    expect(R.CleanupPlanLambdaFunction.Properties.Environment.Variables).toHaveProperty('CLEANUP_TOPIC_ARN');
    expect(
      R.BuilderCleanupExecutionsAlarm.Properties.Metrics.map((m: Cfn) => m.MetricStat?.Metric.MetricName),
    ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut', undefined]);
    // The bundled default policy is a dry run: a bare deploy changes nothing.
    const plan = R.CleanupPlanLambdaFunction.Properties;
    expect(plan.Environment.Variables.CLEANUP_POLICY_FILE).toBe('config/cleanup.yaml');
    const planDir = await unzipFunction(out, 'cleanupPlan', work);
    const policy = validateCleanupPolicy(
      parse(readFileSync(join(planDir, 'config', 'cleanup.yaml'), 'utf8')),
    );
    expect(policy.dryRun).toBe(true);

    // Every reference in the template names something CloudFormation knows: a !Ref to a logical id
    // that doesn't exist fails the deploy, not the package.
    expect(danglingReferences(template)).toEqual([]);

    // The bundle runs as Lambda would load it: bad input is refused with a named error.
    const unpacked = await unzipFunction(out, 'resolve', work);
    const bundle = await import(join(unpacked, 'functions', 'resolve.mjs'));
    await expect(bundle.handler({ config: {}, execution: '' }, {})).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('execution'),
    });
  });
});
