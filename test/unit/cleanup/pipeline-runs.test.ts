/**
 * A pipeline run's builder carries the run's short id (TAG.execution = executionId(name),
 * lib/pipeline/resolve.ts), not the execution's name: cleanup resolves it against the pipeline's
 * executions, listed once per sweep batch (ListExecutions), as the pipeline's own sweep does.
 */
import {
  DescribeImageBuildersCommand,
  ListTagsForResourceCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PipelineRun } from '../../../lib/cleanup/deps';
import { runStatusOf } from '../../../lib/cleanup/pipeline-runs';
import { sweepBatch } from '../../../lib/cleanup/sweep';
import { cleanupAwsDeps } from '../../../lib/lambda/cleanup-deps';
import { executionId } from '../../../lib/pipeline/resolve';
import { TAG } from '../../../lib/tags';
import { ACCOUNT, arn, as, NOW, sweepDeps, tg } from './sweep-fixtures';

const H = 3_600_000;
const PIPELINE_SM = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:appstream-autopilot-prod-image-pipeline`;
const run = (name: string, status: string, startDate = NOW - 5 * H): PipelineRun => ({
  name,
  status,
  startDate,
});

describe('runStatusOf: a builder’s TAG.execution → the status of its pipeline run', () => {
  it('matches the short id the pipeline tags builders with, and the execution name', () => {
    const status = runStatusOf([run('office-run-1', 'RUNNING'), run('office-run-0', 'SUCCEEDED')]);
    expect(status(executionId('office-run-1'))).toBe('RUNNING');
    expect(status(executionId('office-run-0'))).toBe('SUCCEEDED');
    expect(status('office-run-0')).toBe('SUCCEEDED');
  });

  it('NOT_FOUND only when no execution Step Functions still lists (90 days) matches', () => {
    const status = runStatusOf([run('office-run-1', 'FAILED')]);
    expect(status(executionId('office-run-9'))).toBe('NOT_FOUND');
    expect(runStatusOf([])(executionId('office-run-1'))).toBe('NOT_FOUND');
  });

  it('a name used again after 90 days maps to its latest execution; an unknown status is UNKNOWN', () => {
    const status = runStatusOf([
      run('nightly', 'RUNNING', NOW - H),
      run('nightly', 'SUCCEEDED', NOW - 100 * 24 * H),
      run('odd', 'SOMETHING_NEW'),
    ]);
    expect(status(executionId('nightly'))).toBe('RUNNING');
    expect(status(executionId('odd'))).toBe('UNKNOWN');
  });
});

describe('the sweep resolves pipeline runs by short id', () => {
  beforeEach(() => {
    as.reset();
    tg.reset();
  });

  const tagged = (name: string, execution: string) => ({
    ResourceARN: arn(name),
    Tags: [
      { Key: TAG.execution, Value: execution },
      { Key: TAG.deployment, Value: 'prod' },
      { Key: TAG.pipeline, Value: 'office' },
      { Key: TAG.cleanup, Value: 'stop@2026-11-27T11:00Z warned@2026-11-27T09:00Z seen@2026-11-27T02:00Z' },
    ],
  });

  it('leaves a RUNNING run its builder, handles a finished run’s, skips one no listed run matches; lists once per batch', async () => {
    const names = ['owned', 'done', 'unknown'];
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: names.map((n) => ({
        Name: n,
        Arn: arn(n),
        State: 'RUNNING',
        CreatedTime: new Date(NOW - 10 * H),
      })),
    });
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        tagged('owned', executionId('office-run-2')),
        tagged('done', executionId('office-run-1')),
        tagged('unknown', executionId('office-run-0')),
      ],
    });
    as.on(ListTagsForResourceCommand).callsFake(({ ResourceArn }: { ResourceArn: string }) => ({
      Tags: Object.fromEntries(
        tagged(ResourceArn.split('/').pop()!, executionId('office-run-1')).Tags.map((t) => [t.Key, t.Value]),
      ),
    }));
    as.on(StopImageBuilderCommand).resolves({});
    as.on(TagResourceCommand).resolves({});
    let listed = 0;
    const { scopes } = await sweepBatch(
      {
        at: new Date(NOW).toISOString(),
        dryRun: false,
        detail: true,
        policy: {
          warnAfter: '2h',
          stopAfter: '4h',
          notify: 'none',
          scope: { regions: ['us-east-1', 'eu-west-1'] },
        },
        targets: [
          { account: ACCOUNT, region: 'us-east-1' },
          { account: ACCOUNT, region: 'eu-west-1' },
        ],
      },
      sweepDeps({
        pipelineRuns: async () => {
          listed++;
          return [run('office-run-2', 'RUNNING'), run('office-run-1', 'SUCCEEDED')];
        },
      }),
    );
    expect(listed).toBe(1);
    const rows = scopes[0].rows;
    const byName = (n: string) => rows.find((r) => r.builder === n)!;
    expect(byName('owned')).toMatchObject({ action: 'skip' });
    expect(byName('owned').reason).toMatch(`owned by pipeline run ${executionId('office-run-2')} (RUNNING)`);
    expect(byName('done')).toMatchObject({ action: 'stop', result: 'applied' });
    expect(byName('unknown')).toMatchObject({ action: 'skip' });
    expect(byName('unknown').reason).toMatch(/cannot see/);
  });

  it('a failed listing leaves every pipeline builder alone (UNKNOWN), nothing stopped', async () => {
    as.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: [
        { Name: 'done', Arn: arn('done'), State: 'RUNNING', CreatedTime: new Date(NOW - 10 * H) },
      ],
    });
    tg.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [tagged('done', executionId('office-run-1'))],
    });
    const { scopes } = await sweepBatch(
      {
        at: new Date(NOW).toISOString(),
        dryRun: false,
        detail: true,
        policy: { warnAfter: '2h', stopAfter: '4h', notify: 'none', scope: { regions: ['us-east-1'] } },
        targets: [{ account: ACCOUNT, region: 'us-east-1' }],
      },
      sweepDeps({
        pipelineRuns: async () => {
          throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
        },
      }),
    );
    expect(scopes[0].rows[0]).toMatchObject({ builder: 'done', action: 'skip' });
    expect(scopes[0].rows[0].reason).toMatch(/\(UNKNOWN\)/);
    expect(as.commandCalls(StopImageBuilderCommand)).toEqual([]);
  });
});

describe('deployed: the pipeline runs come from ListExecutions on PIPELINE_STATE_MACHINE_ARN', () => {
  it('lists every execution of the pipeline state machine (all statuses), no DescribeExecution per run', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: 'office-run-1',
          executionArn: `${PIPELINE_SM.replace(':stateMachine:', ':execution:')}:office-run-1`,
          stateMachineArn: PIPELINE_SM,
          status: 'SUCCEEDED',
          startDate: new Date(NOW - 5 * H),
        },
      ],
    });
    const deps = cleanupAwsDeps({
      AWS_REGION: 'us-east-1',
      AUTOPILOT_ACCOUNT_ID: ACCOUNT,
      PIPELINE_STATE_MACHINE_ARN: PIPELINE_SM,
    });
    expect(await deps.pipelineRuns!()).toEqual([expect.objectContaining(run('office-run-1', 'SUCCEEDED'))]);
    const calls = sfn.commandCalls(ListExecutionsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({ stateMachineArn: PIPELINE_SM });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toEqual([]);
    sfn.restore();
  });
});
