import { readdirSync, readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allFunctions, cleanupFunctions, functions, scheduleFunctions } from '../../../functions';
import { batchesOf } from '../../../functions/cleanup-summarize';
import { fitBytes } from '../../../functions/cleanup-sweep';
import { RESULTS_BYTES, SWEEP_LAMBDA_TIMEOUT_SECONDS, SWEEP_WINDOW_SECONDS } from '../../../lib/cleanup/plan';
import { type CleanupDecisionRow, capRows } from '../../../lib/cleanup/sweep';
import { TRANSIENT_ERRORS } from '../../../lib/errors';
import {
  type AslDefinition,
  allStates,
  functionNameOf,
  prepareForLocal,
  waitSeconds,
} from '../../../local/asl';
import { MAX_PAYLOAD_BYTES, payloadBytes, runLocally } from '../../../local/runner';
import { virtualTime } from '../../helpers/virtual-time';

const files = readdirSync('statemachines').filter((f) => f.endsWith('.asl.json'));
const load = (file: string): AslDefinition => JSON.parse(readFileSync(`statemachines/${file}`, 'utf8'));
/** Every Task state, those inside Map and Parallel states included. */
const tasksOf = (file: string) =>
  allStates(load(file)).filter(([, state]) => state.Type === 'Task') as [string, Record<string, unknown>][];
/** The functions each workflow's state machine may call (each map gets its own deps type). */
const FUNCTIONS_OF: Record<string, Record<string, unknown>> = {
  'image-pipeline.asl.json': functions,
  'fleet-schedule.asl.json': scheduleFunctions,
  'builder-cleanup.asl.json': cleanupFunctions,
};

describe('State machine definitions', () => {
  it.each(files)('%s is valid ASL (asl-validator)', (file) => {
    const { isValid, errorsText } = aslValidator(JSON.parse(readFileSync(`statemachines/${file}`, 'utf8')));
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('knows every state machine file (which functions each may call)', () => {
    expect(files.sort()).toEqual(Object.keys(FUNCTIONS_OF).sort());
  });

  it.each(files)("%s calls only its workflow's functions, each with a timeout", (file) => {
    for (const [name, state] of tasksOf(file)) {
      const fn = functionNameOf(state.Resource as string);
      expect(fn && fn in FUNCTIONS_OF[file], `${name} → ${state.Resource}`).toBe(true);
      expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
      // The pipeline's checks poll for up to 240 s inside one call.
      if (file === 'image-pipeline.asl.json') expect(state.TimeoutSeconds, name).toBeGreaterThan(240);
    }
  });

  it.each(files)('%s retries exactly the transient errors of lib/errors.ts on every Task', (file) => {
    const transient = [...TRANSIENT_ERRORS].sort();
    const tasks = tasksOf(file);
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, state] of tasks) {
      const retriers = (state.Retry ?? []) as { ErrorEquals: string[] }[];
      // One retrier is the transient list, exactly (no name missing, none hand-added) ...
      const transientRetriers = retriers.filter((r) =>
        r.ErrorEquals.some((e) => TRANSIENT_ERRORS.includes(e)),
      );
      expect(transientRetriers, name).toHaveLength(1);
      expect([...transientRetriers[0].ErrorEquals].sort(), name).toEqual(transient);
    }
  });

  it.each(files)('%s passes each function exactly the fields its event schema declares', (file) => {
    for (const [name, state] of tasksOf(file)) {
      const fn = allFunctions[functionNameOf(state.Resource as string) as keyof typeof allFunctions];
      const schema = fn.schema;
      expect(schema, name).toBeInstanceOf(z.ZodObject);
      const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>;
      const passed = Object.keys((state.Parameters ?? {}) as object).map((k) => k.replace(/\.\$$/, ''));
      const required = Object.keys(shape).filter((k) => !shape[k].safeParse(undefined).success);
      // Every field the state passes is declared, every required field is passed.
      expect(
        passed.filter((k) => !(k in shape)),
        `${name}: fields its schema doesn't declare`,
      ).toEqual([]);
      expect(
        required.filter((k) => !passed.includes(k)),
        `${name}: required fields not passed`,
      ).toEqual([]);
    }
  });

  it('fleet schedule: applies only the changes, at most 10 at a time, and one fleet failing never fails the run', () => {
    const def = load('fleet-schedule.asl.json');
    const map = def.States.ApplyChanges;
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.changes', ResultPath: '$.results' });
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(10);
    const inner = (map.ItemProcessor as AslDefinition).States;
    expect(inner.ApplyFleet.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'FleetFailed' },
    ]);
    // The Map's output is in the order of its items: Report names a failed fleet by its plan's
    // position, so the failed outcome carries only the result and the error (compact payloads).
    expect(inner.FleetFailed).toEqual({
      Type: 'Pass',
      Comment: expect.any(String),
      Parameters: { result: 'failed', 'error.$': '$.error' },
      End: true,
    });
    // Each item is the plan tuple, the run's plan kinds and the regions' ARN prefixes (Apply tags by ARN).
    expect(map.ItemSelector).toEqual({
      'plan.$': '$$.Map.Item.Value',
      'kinds.$': '$.kinds',
      'arnPrefix.$': '$.arnPrefix',
    });
    // Express workflows run at most 5 minutes.
    expect(def.TimeoutSeconds).toBeLessThanOrEqual(300);
  });

  it('builder cleanup: skips while a run goes on, sweeps batches at most 10 at a time, one batch failing never fails the run', () => {
    const def = load('builder-cleanup.asl.json');
    expect(def.States.Plan.Parameters).toEqual({
      'input.$': '$',
      'execution.$': '$$.Execution.Id',
      'startedAt.$': '$$.Execution.StartTime',
    });
    expect(def.States.Overlapping).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.skip', IsPresent: true, Next: 'Skipped' }],
      Default: 'SweepBatches',
    });
    const map = def.States.SweepBatches;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.batches',
      // The results replace the batches: the state after the Map doesn't hold both (256 KiB).
      ResultPath: '$.batches',
      Next: 'Summarize',
    });
    expect(def.States.Summarize.Parameters).not.toHaveProperty('batches.$');
    expect(def.States.Summarize.Parameters).toMatchObject({ 'results.$': '$.batches' });
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(10);
    const inner = (map.ItemProcessor as AslDefinition).States;
    expect(inner.Sweep.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'BatchFailed' },
    ]);
    expect(inner.BatchFailed).toMatchObject({
      Type: 'Pass',
      Parameters: { 'error.$': '$.error', 'targets.$': '$.targets' },
      End: true,
    });
    // Every Sweep gets Plan's deadline and its share of the payload quota.
    for (const params of [map.ItemSelector, inner.Sweep.Parameters] as Record<string, string>[])
      expect(params).toMatchObject({ 'deadline.$': '$.deadline', 'resultBytes.$': '$.resultBytes' });
    // A run ends before the next one (every 15 minutes) is due.
    expect(def.TimeoutSeconds).toBeLessThan(15 * 60);
    // The recorder is not in the state machine (EventBridge calls it).
    expect(
      tasksOf('builder-cleanup.asl.json').map(([, s]) => functionNameOf(s.Resource as string)),
    ).not.toContain('cleanupRecordConnection');
  });

  it('lists the Lambda service errors AWS recommends retrying', () => {
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
    expect(TRANSIENT_ERRORS).toEqual(
      expect.arrayContaining([
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ]),
    );
    expect(new Set(TRANSIENT_ERRORS).size).toBe(TRANSIENT_ERRORS.length);
  });

  it('routes every failure after planning through the builder cleanup', () => {
    const def = JSON.parse(readFileSync('statemachines/image-pipeline.asl.json', 'utf8'));
    const skip = ['Resolve', 'CleanupBuilder', 'NotifySuccess', 'NotifyFailure'];
    for (const [name, state] of Object.entries(def.States) as [
      string,
      { Type: string; Catch?: { Next: string }[] },
    ][]) {
      if (state.Type !== 'Task' || skip.includes(name)) continue;
      expect(state.Catch?.[0]?.Next, name).toBe('CleanupBuilder');
    }
  });
});

describe('Local runtime ASL preparation', () => {
  it('turns Wait states into same-named Task states and resolves function names', () => {
    const {
      definition,
      waits,
      functions: fns,
    } = prepareForLocal({
      StartAt: 'W',
      States: {
        W: { Type: 'Wait', SecondsPath: '$.s', Next: 'T' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Serverless variable, not a JS template
        T: { Type: 'Task', Resource: '${self:custom.lambda.checkImage}', End: true },
      },
    });
    expect(definition.States.W).toMatchObject({ Type: 'Task', Next: 'T' });
    expect(definition.States.W.SecondsPath).toBeUndefined();
    expect(waits.W.SecondsPath).toBe('$.s');
    expect(fns).toEqual({ T: 'checkImage' });
  });

  it("prepares the Task and Wait states inside a Map state's ItemProcessor too", () => {
    const {
      definition,
      waits,
      functions: fns,
    } = prepareForLocal({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            StartAt: 'Pause',
            States: {
              Pause: { Type: 'Wait', Seconds: 5, Next: 'Inner' },
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a Serverless variable, not a JS template
              Inner: { Type: 'Task', Resource: '${self:custom.lambda.scheduleApply}', End: true },
            },
          },
          End: true,
        },
      },
    });
    const inner = (definition.States.M.ItemProcessor as AslDefinition).States;
    expect(inner.Inner.Resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:scheduleApply');
    expect(inner.Pause).toMatchObject({ Type: 'Task', Next: 'Inner' });
    expect(waits.Pause.Seconds).toBe(5);
    expect(fns).toEqual({ Inner: 'scheduleApply' });
  });

  it('refuses a state name used twice (local handlers are keyed by state name machine-wide)', () => {
    expect(() =>
      prepareForLocal({
        StartAt: 'A',
        States: {
          A: {
            Type: 'Map',
            ItemProcessor: { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      }),
    ).toThrow(/A appears twice/);
  });

  it('computes wait seconds from Seconds, SecondsPath and Timestamp', () => {
    expect(waitSeconds({ Type: 'Wait', Seconds: 5 }, {}, 0)).toBe(5);
    expect(waitSeconds({ Type: 'Wait', SecondsPath: '$.a.b' }, { a: { b: 42 } }, 0)).toBe(42);
    expect(waitSeconds({ Type: 'Wait', Timestamp: '1970-01-01T00:01:00Z' }, {}, 30_000)).toBe(30);
  });
});

describe('builder cleanup: limits', () => {
  const def = load('builder-cleanup.asl.json');
  const sls = readFileSync('serverless.yml', 'utf8');
  const sweepTimeout = Number(/\n {2}cleanupSweep:\n(?: {4}.*\n)*? {4}timeout: (\d+)/.exec(sls)?.[1]);

  it('no Sweep outlives its execution: deadline window + Lambda timeout ≤ the execution’s TimeoutSeconds', () => {
    expect(sweepTimeout).toBe(SWEEP_LAMBDA_TIMEOUT_SECONDS);
    expect(SWEEP_WINDOW_SECONDS + SWEEP_LAMBDA_TIMEOUT_SECONDS).toBeLessThanOrEqual(
      def.TimeoutSeconds as number,
    );
    const sweep = (def.States.SweepBatches.ItemProcessor as AslDefinition).States.Sweep;
    // The Task waits a little longer than the Lambda runs (its timeout error, not States.Timeout).
    expect(sweep.TimeoutSeconds).toBeGreaterThan(sweepTimeout);
    expect(sweep.TimeoutSeconds).toBeLessThan(SWEEP_LAMBDA_TIMEOUT_SECONDS + 60);
  });

  it('800 account-regions, every batch with its rows capped: no state input/output past 256 KiB', async () => {
    const regions = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-northeast-1'];
    const targets = Array.from({ length: 200 }, (_, i) => String(200000000000 + i)).flatMap((account) =>
      regions.map((region) => ({
        account,
        region,
        roleArn: `arn:aws:iam::${account}:role/autopilot-cleanup`,
      })),
    );
    const batches: (typeof targets)[] = [];
    for (let i = 0; i < targets.length; i += 25) batches.push(targets.slice(i, i + 25));
    const row = (t: { account: string; region: string }, i: number): CleanupDecisionRow => ({
      account: t.account,
      region: t.region,
      builder: `b-00${i}-warn`,
      state: 'RUNNING',
      idleMinutes: 360,
      action: 'warn',
      reason: 'idle 6h since created ≥ warnAfter 2h: stop planned at 2026-11-30T13:00Z',
      result: 'applied',
      notify: true,
    });
    let summarized: { results: unknown[] } | undefined;
    let trimmed = 0;
    const result = await runLocally({
      definition: def,
      input: {},
      executionName: 'big',
      stateMachineName: 'builder-cleanup',
      time: virtualTime(),
      handlers: {
        cleanupPlan: async () => ({
          at: '2026-11-30T12:00:00.000Z',
          deadline: '2026-11-30T12:08:00.000Z',
          dryRun: false,
          detail: false,
          policy: null,
          batches,
          scopes: targets.length,
          resultBytes: Math.floor(RESULTS_BYTES / batches.length),
        }),
        cleanupSweep: async (input) => {
          const { targets: ts, resultBytes } = input as { targets: typeof targets; resultBytes: number };
          const out = {
            scopes: ts.map((t) => ({
              account: t.account,
              region: t.region,
              connectionSignal: true,
              counts: { none: 3, warn: 5, stop: 0, delete: 0, skip: 2, applied: 5 },
              rows: [0, 1, 2, 3, 4].map((i) => row(t, i)),
              reads: 3,
              writes: 7,
            })),
          };
          const capped = capRows(out);
          const fitted = fitBytes(capped, resultBytes);
          if (fitted !== capped) trimmed++;
          return fitted;
        },
        cleanupSummarize: async (input) => {
          summarized = input as { results: unknown[] };
          return { summary: { scopes: batchesOf(summarized.results as never).flat().length } };
        },
      },
    });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(result.output).toEqual({ summary: { scopes: 800 } });
    expect(payloadBytes(summarized)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    // capRows alone (20 rows a batch) would not fit: the per-batch budget left rows out.
    expect(trimmed).toBe(batches.length);
  });

  it('a failed batch keeps its targets: Summarize reports its scopes', () => {
    const t = { account: '111122223333', region: 'eu-west-1' };
    expect(
      batchesOf([
        { scopes: [{ ...t, connectionSignal: true, counts: {}, rows: [], reads: 1, writes: 0 }] },
        { error: { Error: 'Boom' }, targets: [{ ...t, region: 'us-east-1' }] },
      ]),
    ).toEqual([[t], [{ ...t, region: 'us-east-1' }]]);
  });
});
