import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { awsStatus, runOnAws } from '../../bin/pipeline-command';
import {
  billingAlertOf,
  describePipelineExecution,
  executionName,
  startPipelineExecution,
} from '../../lib/cli/aws-executions';
import { PipelineConfigSchema } from '../../lib/config/pipeline';
import { samplePipeline } from '../helpers/pipeline';

const sfn = new SFNClient({ region: 'eu-west-1' });
const mock = mockClient(sfn);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:appstream-autopilot-prod-image-pipeline';

describe('CLI against AWS Step Functions', () => {
  it('starts an execution with the validated definition as {config} and a valid execution name', async () => {
    mock.reset();
    mock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    const config = PipelineConfigSchema.parse(samplePipeline());
    await startPipelineExecution(sfn, ARN, 'office-apps-20261126T100000Z-1a2b', config);
    const input = mock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.name).toBe('office-apps-20261126T100000Z-1a2b');
    expect(JSON.parse(input.input!)).toEqual({ config });
  });

  it('describes an execution with its error or its image', async () => {
    mock.reset();
    mock
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        name: 'run-1',
        status: 'FAILED',
        error: 'BuilderStartTimeout',
        cause: 'not RUNNING',
        startDate: new Date('2026-11-26T10:00:00Z'),
        stopDate: new Date('2026-11-26T11:00:00Z'),
        executionArn: 'a',
        stateMachineArn: ARN,
      })
      .resolves({
        name: 'run-2',
        status: 'SUCCEEDED',
        output: JSON.stringify({ plan: { imageName: 'img', builderName: 'b', region: 'eu-west-1' } }),
        startDate: new Date('2026-11-26T10:00:00Z'),
        executionArn: 'b',
        stateMachineArn: ARN,
      });
    expect(await describePipelineExecution(sfn, 'a')).toContain(
      'run-1: FAILED — BuilderStartTimeout: not RUNNING',
    );
    expect(await describePipelineExecution(sfn, 'b')).toContain('image img (eu-west-1), builder b');
  });
});

describe('Execution names', () => {
  const now = Date.parse('2026-11-26T10:00:00.123Z');
  it('default: the pipeline name plus a UTC timestamp and a random suffix, always ≤ 80', () => {
    expect(executionName('office-apps', now, undefined, '1a2b')).toBe('office-apps-20261126T100000Z-1a2b');
    const long = 'p'.repeat(100);
    const a = executionName(`${long}-a`, now, undefined, '0001');
    const b = executionName(`${long}-b`, now, undefined, '0002');
    expect(a).toHaveLength(80);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^p+-20261126T100000Z-0001$/);
    // Same pipeline, same second: the random part tells the runs apart.
    expect(executionName('office', now)).not.toBe(executionName('office', now));
  });

  it('an invalid --name is refused naming the rule, never rewritten', () => {
    for (const bad of ['has space', 'a:b', 'x'.repeat(81), '', 'run/1'])
      expect(() => executionName('office', now, bad)).toThrow(/1 to 80 letters, digits, - and _/);
    expect(executionName('office', now, 'my-run_1')).toBe('my-run_1');
  });

  it('startPipelineExecution refuses an invalid name instead of calling StartExecution', async () => {
    mock.reset();
    const config = PipelineConfigSchema.parse(samplePipeline());
    await expect(startPipelineExecution(sfn, ARN, 'a:b', config)).rejects.toThrow(/1 to 80 letters/);
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('pipeline status / run --aws --wait: the still-billing alert and exit codes', () => {
  const loud = 'builder office-x1 is still RUNNING and billing';
  const described = (status: string, extra: Record<string, unknown> = {}) => ({
    name: 'run-1',
    status,
    executionArn: `${ARN}:run-1`,
    stateMachineArn: ARN,
    startDate: new Date('2026-11-26T10:00:00Z'),
    ...extra,
  });

  it('status: exit 3 and the alert when the Cause says a builder is still billing; 1 for a failure; 0 for success', async () => {
    mock.reset();
    mock
      .on(DescribeExecutionCommand)
      .resolvesOnce(
        described('FAILED', {
          error: 'BuildCommandFailed',
          cause: `${loud} (cleanup failed). exit 3`,
        }) as never,
      )
      .resolvesOnce(described('FAILED', { error: 'BuildCommandFailed', cause: 'exit 3' }) as never)
      .resolvesOnce(described('TIMED_OUT') as never)
      .resolves(described('SUCCEEDED', { output: '{}' }) as never);
    const lines: string[] = [];
    expect(await awsStatus(sfn, 'a', (l) => lines.push(l))).toBe(3);
    expect(lines.join('\n')).toContain(`WARNING: ${loud}`);
    expect(await awsStatus(sfn, 'b', () => {})).toBe(1);
    expect(await awsStatus(sfn, 'c', () => {})).toBe(1);
    expect(await awsStatus(sfn, 'd', () => {})).toBe(0);
  });

  it('reads the alert from a succeeded execution’s output too', () => {
    expect(billingAlertOf({ output: JSON.stringify({ alert: loud }) })).toBe(loud);
    expect(billingAlertOf({ output: JSON.stringify({ cleanup: { stillBilling: loud } }) })).toBe(loud);
    expect(billingAlertOf({ cause: 'nothing to see' })).toBeUndefined();
  });

  it('run --aws --wait polls DescribeExecution until the execution ends and exits with its code', async () => {
    mock.reset();
    mock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:run-1`, startDate: new Date() });
    mock
      .on(DescribeExecutionCommand)
      .resolvesOnce(described('RUNNING') as never)
      .resolvesOnce(described('RUNNING') as never)
      .resolves(described('FAILED', { error: 'X', cause: `${loud}. boom` }) as never);
    const config = PipelineConfigSchema.parse(samplePipeline());
    const slept: number[] = [];
    const lines: string[] = [];
    const code = await runOnAws(
      sfn,
      ARN,
      'run-1',
      config,
      true,
      { intervalMs: 5, sleep: async (ms) => void slept.push(ms) },
      (l) => lines.push(l),
    );
    expect(code).toBe(3);
    expect(mock.commandCalls(DescribeExecutionCommand)).toHaveLength(3);
    expect(slept).toEqual([5, 5]);
    expect(lines.join('\n')).toContain(loud);
  });

  it('run --aws without --wait returns right after StartExecution', async () => {
    mock.reset();
    mock.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:run-1`, startDate: new Date() });
    const config = PipelineConfigSchema.parse(samplePipeline());
    expect(await runOnAws(sfn, ARN, 'run-1', config, false, {}, () => {})).toBe(0);
    expect(mock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });
});
