import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CleanupOnAws, INTERRUPTED, runCleanupOnAws } from '../../bin/cleanup-aws';
import type { CleanupPlan } from '../../lib/cleanup/plan';
import type { CleanupRunOutput } from '../../lib/cleanup/summary';
import { backoffMs } from '../../lib/cli/aws-executions';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:appstream-autopilot-prod-builder-cleanup';
const EXEC =
  'arn:aws:states:eu-west-1:123456789012:execution:appstream-autopilot-prod-builder-cleanup:cleanup-x';
const POLICY = { warnAfter: '2h', stopAfter: '4h', scope: { regions: ['eu-west-1'] } };
const T0 = new Date('2026-12-01T09:00:00Z');

/** The execution's output as Summarize writes it. */
const output: CleanupRunOutput = {
  summary: {
    at: '2026-12-01T09:00:00.000Z',
    dryRun: false,
    counts: { none: 1, stop: 1, applied: 1 },
    perScope: [
      { account: '123456789012', region: 'eu-west-1', counts: { none: 1, stop: 1 }, connectionSignal: true },
    ],
    failedScopes: [],
    withoutConnectionSignal: [],
    calls: { reads: 2, writes: 2 },
  },
  decisions: [
    {
      account: '123456789012',
      region: 'eu-west-1',
      builder: 'b-idle',
      state: 'RUNNING',
      idleMinutes: 300,
      action: 'stop',
      reason: 'idle 5h ≥ stopAfter 4h',
      result: 'applied',
    },
    {
      account: '123456789012',
      region: 'eu-west-1',
      builder: 'b-busy',
      state: 'RUNNING',
      idleMinutes: 30,
      action: 'none',
      reason: 'connected 30m ago',
      result: 'applied',
    },
  ],
};

let sfn: ReturnType<typeof mockClient>;
let out: string[];
let err: string[];
let pauses: number[];

beforeEach(() => {
  sfn = mockClient(SFNClient);
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: T0 });
  out = [];
  err = [];
  pauses = [];
  vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
  vi.spyOn(console, 'error').mockImplementation((l: string) => void err.push(l));
});
afterEach(() => {
  sfn.restore();
  vi.restoreAllMocks();
});

const run = (o: Partial<CleanupOnAws> = {}) =>
  runCleanupOnAws({
    path: 'cleanup.yaml',
    policy: POLICY,
    stateMachineArn: SM,
    dryRun: false,
    json: false,
    wait: true,
    sfn: new SFNClient({ region: 'eu-west-1' }),
    sleep: async (ms) => void pauses.push(ms),
    ...o,
  });

const described = (status: string, extra: Record<string, unknown> = {}) => ({
  executionArn: EXEC,
  stateMachineArn: SM,
  status,
  startDate: T0,
  ...(status === 'RUNNING' ? {} : { stopDate: new Date(T0.getTime() + 42_000) }),
  ...extra,
});

describe('autopilot cleanup run --aws', () => {
  it('starts the Standard state machine with the policy, polls until it ends and prints the decision table', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(described('RUNNING') as never)
      .resolvesOnce(described('RUNNING') as never)
      .resolves(described('SUCCEEDED', { output: JSON.stringify(output) }) as never);
    expect(await run()).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.stateMachineArn).toBe(SM);
    expect(start.name).toMatch(/^cleanup-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    // Plan's input: the policy as written, every builder's row; no dryRun unless asked.
    expect(JSON.parse(start.input!)).toEqual({ policy: POLICY, detail: true });
    // Three looks at the execution, with the backoff's first two pauses between them.
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      EXEC,
      EXEC,
      EXEC,
    ]);
    expect(pauses).toEqual([2_000, 4_000]);
    const text = out.join('\n');
    expect(text).toContain(`Idle builder cleanup from cleanup.yaml on AWS (${EXEC})`);
    expect(text).toMatch(/ACCOUNT +REGION +BUILDER +STATE +IDLE FOR +ACTION +REASON/);
    expect(text).toMatch(/123456789012 +eu-west-1 +b-idle +RUNNING +5h +stop +idle 5h ≥ stopAfter 4h/);
    expect(text).toMatch(/b-busy +RUNNING +30m +none/);
    expect(text).toContain('Summary at 2026-12-01T09:00:00.000Z: none 1, stop 1, applied 1');
    expect(text).toContain('execution SUCCEEDED in 42 s');
    // On AWS nothing is caught up: EventBridge delivered the connections.
    expect(text).not.toContain('connection events recorded');
    expect(err).toEqual([
      expect.stringMatching(
        /^Started .*cleanup-x; waiting for it to end \(Ctrl-C stops the waiting, not the execution\)/,
      ),
    ]);
  });

  it("--json prints {decisions, summary} in the local run's shape; --dry-run goes into the input", async () => {
    sfn.on(DescribeExecutionCommand).resolves(
      described('SUCCEEDED', {
        output: JSON.stringify({ ...output, summary: { ...output.summary, dryRun: true } }),
      }) as never,
    );
    expect(await run({ json: true, dryRun: true })).toBe(0);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({
      policy: POLICY,
      dryRun: true,
      detail: true,
    });
    expect(out).toHaveLength(1);
    const json = JSON.parse(out[0]);
    expect(Object.keys(json)).toEqual(['decisions', 'summary']);
    // Exactly the fields: the row as the execution gave it, without what came of it (applied).
    const { result: _applied, ...row } = output.decisions[0];
    expect(json.decisions[0]).toEqual(row);
    expect(Object.keys(row).sort()).toEqual(
      ['account', 'action', 'builder', 'idleMinutes', 'reason', 'region', 'state'].sort(),
    );
    expect(json.summary).toMatchObject({ dryRun: true, counts: { stop: 1 }, failedActions: [] });
  });

  it('says so when rows were left out to fit the 256 KiB state payload', async () => {
    const trimmed = { ...output, summary: { ...output.summary, omitted: 1234 } };
    sfn
      .on(DescribeExecutionCommand)
      .resolves(described('SUCCEEDED', { output: JSON.stringify(trimmed) }) as never);
    expect(await run()).toBe(0);
    expect(out.join('\n')).toContain(
      "1234 row(s) left out of the decisions to keep the state payload within Step Functions' 256 KiB (the counts include them): the CleanupSweep function's log has them",
    );
  });

  it('exits 1 with one line when the execution fails', async () => {
    sfn.on(DescribeExecutionCommand).resolves(
      described('FAILED', {
        error: 'ConfigError',
        cause: 'notify.topicArn x is not\nthis deployment’s topic',
      }) as never,
    );
    expect(await run()).toBe(1);
    expect(err.at(-1)).toBe(
      `${EXEC}: FAILED — ConfigError: notify.topicArn x is not this deployment’s topic`,
    );
    expect(out).toEqual([]);
  });

  it('exits 1 when a builder’s action or an account/region failed, like the local run', async () => {
    const failed: CleanupRunOutput = {
      ...output,
      summary: {
        ...output.summary,
        failedScopes: [{ account: '210987654321', region: 'eu-west-1', error: 'AccessDenied: AssumeRole' }],
      },
    };
    sfn
      .on(DescribeExecutionCommand)
      .resolves(described('SUCCEEDED', { output: JSON.stringify(failed) }) as never);
    expect(await run()).toBe(1);
    expect(out.join('\n')).toContain('failed 210987654321/eu-west-1: AccessDenied: AssumeRole');
  });

  it('reports a run that skipped because an earlier one was still going', async () => {
    const plan: Partial<CleanupPlan> = {
      at: '2026-12-01T09:15:00.000Z',
      dryRun: false,
      batches: [],
      scopes: 0,
      skip: 'run cleanup-a (started 2026-12-01T09:00:00.000Z) is still going: this run skips',
    };
    sfn
      .on(DescribeExecutionCommand)
      .resolves(described('SUCCEEDED', { output: JSON.stringify(plan) }) as never);
    expect(await run()).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('(no image builders in scope)');
    expect(text).toContain('skipped: run cleanup-a (started 2026-12-01T09:00:00.000Z) is still going');
  });

  it('--no-wait prints the execution ARN and does not look at it again', async () => {
    expect(await run({ wait: false })).toBe(0);
    expect(out).toEqual([EXEC]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('Ctrl-C stops the waiting, leaves the execution running and says so (exit 130)', async () => {
    sfn.on(DescribeExecutionCommand).resolves(described('RUNNING') as never);
    const ctrlC = new AbortController();
    const code = await run({
      signal: ctrlC.signal,
      sleep: async (ms, signal) => {
        pauses.push(ms);
        if (pauses.length === 3) ctrlC.abort();
        signal?.throwIfAborted();
      },
    });
    expect(code).toBe(INTERRUPTED);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(err.at(-1)).toBe(
      `Stopped waiting: ${EXEC} is still running on AWS (its result: aws stepfunctions describe-execution --execution-arn ${EXEC})`,
    );
  });

  it('refuses a missing or malformed --state-machine-arn, naming the option, before calling AWS', async () => {
    await expect(run({ stateMachineArn: undefined })).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining('--aws needs --state-machine-arn'),
    });
    await expect(run({ stateMachineArn: EXEC })).rejects.toMatchObject({
      name: 'UsageError',
      message: expect.stringContaining(`--state-machine-arn: '${EXEC}' is not a state machine ARN`),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('leaves an AWS error (named) to the command line’s one-line report', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(
        Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }),
      );
    await expect(run()).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });
});

describe('polling backoff', () => {
  it('looks after 2, 4, 8 s, then every 10 s', () => {
    expect([0, 1, 2, 3, 4, 10].map(backoffMs)).toEqual([2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });
});
