import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../lib/config/pipeline';
import {
  EXECUTION_TIMEOUT_SECONDS,
  LAMBDA_TIMEOUT_SECONDS,
  MAX_POLL_WINDOW_SECONDS,
  TASK_TIMEOUT_SECONDS,
} from '../../lib/pipeline/limits';
import type { AslDefinition } from '../../local/asl';
import { loadDefinition } from '../../local/pipeline';
import { type ExecutionStatusChangeEvent, runLocally } from '../../local/runner';
import { samplePipeline } from '../helpers/pipeline';
import { virtualTime } from '../helpers/virtual-time';

const task = (fn: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: `\${self:custom.lambda.${fn}}`,
  ...extra,
});

/** Work(TimeoutSeconds 10, caught → Caught) → Done */
const withTaskTimeout: AslDefinition = {
  StartAt: 'Work',
  States: {
    Work: task('work', {
      TimeoutSeconds: 10,
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Caught' }],
      Next: 'Done',
    }),
    Caught: { Type: 'Pass', End: true },
    Done: { Type: 'Succeed' },
  },
};

/** Start → Wait 120 s → Finish, under an execution TimeoutSeconds of 60. */
const withExecutionTimeout: AslDefinition = {
  StartAt: 'Start',
  TimeoutSeconds: 60,
  States: {
    Start: task('noop', { Next: 'Pause' }),
    Pause: { Type: 'Wait', Seconds: 120, Next: 'Finish' },
    Finish: task('noop', { End: true }),
  },
};

describe('Local runtime: Task TimeoutSeconds on the virtual clock', () => {
  it('a handler that runs (virtually) past its Task’s TimeoutSeconds fails with States.Timeout, which Catch sees', async () => {
    const time = virtualTime();
    const result = await runLocally({
      definition: withTaskTimeout,
      input: {},
      executionName: 'slow',
      handlers: {
        work: async () => {
          time.advance(20_000);
          return { ok: true };
        },
      },
      time,
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ error: { Error: 'States.Timeout' } });
  });

  it('a handler within its TimeoutSeconds succeeds', async () => {
    const time = virtualTime();
    const result = await runLocally({
      definition: withTaskTimeout,
      input: {},
      executionName: 'quick',
      handlers: {
        work: async () => {
          time.advance(9_000);
          return { ok: true };
        },
      },
      time,
    });
    expect(result.output).toEqual({ ok: true });
  });
});

describe('Local runtime: the execution’s TimeoutSeconds and aborts', () => {
  it('a Wait past the execution’s TimeoutSeconds ends it TIMED_OUT at its deadline (no Catch, no further state)', async () => {
    const time = virtualTime();
    const calls: string[] = [];
    const events: ExecutionStatusChangeEvent[] = [];
    const result = await runLocally({
      definition: withExecutionTimeout,
      input: { config: { name: 'x' } },
      executionName: 'late',
      handlers: {
        noop: async (i) => {
          calls.push('noop');
          return i;
        },
      },
      time,
      region: 'eu-west-1',
      account: '123456789012',
      onStatusChange: (e) => void events.push(e),
    });
    expect(result.status).toBe('TIMED_OUT');
    expect(result.error).toBe('States.Timeout');
    expect(result.virtualEnd - result.virtualStart).toBe(60_000);
    expect(calls).toEqual(['noop']);
    expect(events).toEqual([
      expect.objectContaining({
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        region: 'eu-west-1',
        account: '123456789012',
        detail: expect.objectContaining({
          executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:image-pipeline:late',
          stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:image-pipeline',
          name: 'late',
          status: 'TIMED_OUT',
          startDate: result.virtualStart,
          stopDate: result.virtualEnd,
          input: '{"config":{"name":"x"}}',
        }),
      }),
    ]);
  });

  it('executionTimeoutSeconds overrides the definition’s TimeoutSeconds', async () => {
    const time = virtualTime();
    const result = await runLocally({
      definition: withExecutionTimeout,
      input: {},
      executionName: 'override',
      handlers: { noop: async (i) => i },
      time,
      executionTimeoutSeconds: 600,
    });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('an AbortSignal stops the execution: ABORTED, reported to onStatusChange', async () => {
    const time = virtualTime();
    const abort = new AbortController();
    const statuses: string[] = [];
    const result = await runLocally({
      definition: { ...withExecutionTimeout, TimeoutSeconds: undefined },
      input: {},
      executionName: 'stopped',
      handlers: {
        noop: async (i) => {
          abort.abort();
          return i;
        },
      },
      time,
      signal: abort.signal,
      onStatusChange: (e) => void statuses.push(e.detail.status),
    });
    expect(result.status).toBe('ABORTED');
    expect(statuses).toEqual(['ABORTED']);
  });
});

describe('Limits: one source for the execution, Task and Lambda timeouts', () => {
  it('the state machine’s TimeoutSeconds and every Task’s TimeoutSeconds are the constants in lib/pipeline/limits.ts', () => {
    const asl = loadDefinition();
    expect(asl.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
    for (const [name, s] of Object.entries(asl.States))
      if (s.Type === 'Task') expect(s.TimeoutSeconds, name).toBe(TASK_TIMEOUT_SECONDS);
  });

  it('serverless.yml’s provider timeout is LAMBDA_TIMEOUT_SECONDS, under the Task timeout', () => {
    const yml = readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8');
    const provider = yml.slice(yml.indexOf('\nprovider:'), yml.indexOf('\ncustom:'));
    expect(Number(/\n {2}timeout: (\d+)/.exec(provider)?.[1])).toBe(LAMBDA_TIMEOUT_SECONDS);
    expect(LAMBDA_TIMEOUT_SECONDS).toBeLessThan(TASK_TIMEOUT_SECONDS);
  });

  it('rejects phase bounds that add up past the execution timeout, naming the biggest field', () => {
    const parsed = PipelineConfigSchema.safeParse({ ...samplePipeline(), timeouts: { buildMinutes: 2000 } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues).toEqual([
      expect.objectContaining({
        path: ['timeouts', 'buildMinutes'],
        message: expect.stringContaining('past the execution timeout of 1440 min'),
      }),
    ]);
  });

  it('counts copies (a second image bound) and roll-out retries against the execution timeout', () => {
    const bounds = { imageMinutes: 500, buildMinutes: 300, cleanupMinutes: 240 };
    const base = { ...samplePipeline(), timeouts: bounds };
    expect(PipelineConfigSchema.safeParse(base).success).toBe(true);
    expect(
      PipelineConfigSchema.safeParse({ ...base, after: { copyTo: ['eu-west-1'] } }).error?.issues[0].path,
    ).toEqual(['timeouts', 'imageMinutes']);
  });

  it('the defaults fit, with copies and roll-outs', () => {
    const parsed = PipelineConfigSchema.safeParse({
      ...samplePipeline(),
      after: { copyTo: ['eu-west-1'], rollOut: [{ fleet: 'f' }] },
    });
    expect(parsed.success).toBe(true);
  });

  it('rejects a poll window that does not fit in one Lambda call', () => {
    const parsed = PipelineConfigSchema.safeParse({ ...samplePipeline(), polling: { windowSeconds: 840 } });
    expect(parsed.error!.issues).toEqual([
      expect.objectContaining({
        path: ['polling', 'windowSeconds'],
        message: expect.stringContaining(`timeout ${LAMBDA_TIMEOUT_SECONDS} s`),
      }),
    ]);
    expect(
      PipelineConfigSchema.safeParse({
        ...samplePipeline(),
        polling: { windowSeconds: MAX_POLL_WINDOW_SECONDS },
      }).success,
    ).toBe(true);
    // The schema's own bound is the Lambda one (it once allowed up to 840 s).
    const max = PipelineConfigSchema.safeParse({
      ...samplePipeline(),
      polling: { windowSeconds: MAX_POLL_WINDOW_SECONDS + 1 },
    });
    expect(max.error!.issues).toEqual([
      expect.objectContaining({
        path: ['polling', 'windowSeconds'],
        code: 'too_big',
        maximum: MAX_POLL_WINDOW_SECONDS,
      }),
    ]);
  });
});
