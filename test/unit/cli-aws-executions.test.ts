import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { describePipelineExecution, startPipelineExecution } from '../../lib/cli/aws-executions';
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
    await startPipelineExecution(sfn, ARN, 'office-apps-2026-11-26T10:00:00.000Z', config);
    const input = mock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.name).toBe('office-apps-2026-11-26T10-00-00-000Z');
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
