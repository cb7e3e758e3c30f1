import { DescribeImageBuildersCommand, DescribeImagesCommand } from '@aws-sdk/client-appstream';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import * as resolve from '../../../functions/resolve';
import { SfnExecutions } from '../../../lib/lambda/sfn-executions';
import { backstop } from '../../../lib/pipeline/backstop';
import type { PipelineState } from '../../../lib/pipeline/types';
import { executionArn, executionStatusChange, PIPELINE_SM } from '../../helpers/execution-status';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

/** Resolve as the state machine calls it: the execution's input as `input` (image-pipeline.asl.json). */
function resolveDeps() {
  const m = mockDeps();
  m.appstream.on(DescribeImagesCommand).resolves({
    Images: [
      {
        Name: 'AppStream-WinServer2022-10-14-2025',
        Arn: 'arn:aws:appstream:us-east-1::image/AppStream-WinServer2022-10-14-2025',
        Platform: 'WINDOWS_SERVER_2022',
        State: 'AVAILABLE',
        PublicBaseImageReleasedDate: new Date('2025-10-14'),
      },
    ],
  });
  m.appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [] });
  return { ...m, call: (event: unknown) => resolve.withDeps(m.deps)(event) as Promise<PipelineState> };
}

describe('Image pipeline started by name: {"pipeline": "office-apps"}', () => {
  it('Resolve runs the bundled config/pipelines/office-apps.yaml and passes the full definition on', async () => {
    const { call } = resolveDeps();
    const state = await call({
      input: { pipeline: 'office-apps' },
      execution: 'run-1',
      executionArn: executionArn('run-1'),
    });
    expect(state.config.name).toBe('office-apps');
    expect(state.config.build.applications.map((a) => a.name)).toEqual([
      'notepadplusplus',
      '7zip',
      'calculator',
    ]);
    expect(state.plan).toMatchObject({ pipeline: 'office-apps', region: 'us-east-1' });
  });

  it('applies the overrides typed beside the name', async () => {
    const { call } = resolveDeps();
    const state = await call({
      input: { pipeline: 'office-apps', overrides: { builder: { instanceType: 'stream.standard.large' } } },
      execution: 'run-2',
    });
    expect(state.config.builder.instanceType).toBe('stream.standard.large');
    expect(state.config.builder.image).toBe('latest:WINDOWS_SERVER_2022');
  });

  it('still runs a full definition given as {"config": …}', async () => {
    const { call } = resolveDeps();
    const state = await call({ input: { config: samplePipeline() }, execution: 'run-3' });
    expect(state.config.name).toBe('e2e');
  });

  it('fails an unknown name with PipelineNotFound, naming the pipelines there are', async () => {
    const { call } = resolveDeps();
    await expect(call({ input: { pipeline: 'office' }, execution: 'run-4' })).rejects.toMatchObject({
      name: 'PipelineNotFound',
      message: "no pipeline named 'office' in config/pipelines (the deployment has office-apps)",
    });
  });

  it('refuses an input that is neither, with a ConfigError naming the field', async () => {
    const { call } = resolveDeps();
    await expect(call({ input: {}, execution: 'run-5' })).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('input: pipeline: give a pipeline of the deployment'),
    });
  });

  it("the concurrency guard knows a by-name run's pipeline (ListExecutions + DescribeExecution input)", async () => {
    const client = new SFNClient({ region: 'eu-west-1' });
    const sfn = mockClient(client);
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: executionArn('a'),
          stateMachineArn: PIPELINE_SM,
          name: 'a',
          status: 'RUNNING',
          startDate: new Date(1000),
        },
        {
          executionArn: executionArn('b'),
          stateMachineArn: PIPELINE_SM,
          name: 'b',
          status: 'RUNNING',
          startDate: new Date(2000),
        },
      ],
    });
    sfn
      .on(DescribeExecutionCommand, { executionArn: executionArn('a') })
      .resolves({ input: JSON.stringify({ pipeline: 'office-apps', overrides: {} }) })
      .on(DescribeExecutionCommand, { executionArn: executionArn('b') })
      .resolves({ input: JSON.stringify({ config: { name: 'e2e' } }) });
    const running = await new SfnExecutions(() => client).running(executionArn('self'));
    expect(running).toEqual([
      { name: 'a', startDate: 1000, pipeline: 'office-apps' },
      { name: 'b', startDate: 2000, pipeline: 'e2e' },
    ]);
  });

  it("the backstop looks for a by-name run's builder in its bundled definition's region", async () => {
    const { deps } = resolveDeps();
    const result = await backstop(
      executionStatusChange('ABORTED', { pipeline: 'office-apps' }, 'run-9'),
      deps,
    );
    // office-apps.yaml says region: us-east-1; the execution ran in eu-west-1.
    expect(result).toMatchObject({ region: 'us-east-1', builders: [] });
  });
});
