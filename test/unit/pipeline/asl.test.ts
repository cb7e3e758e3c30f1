import { readdirSync, readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allFunctions, cleanupFunctions, functions, scheduleFunctions } from '../../../functions';
import { TRANSIENT_ERRORS } from '../../../lib/errors';
import {
  type AslDefinition,
  allStates,
  functionNameOf,
  prepareForLocal,
  waitSeconds,
} from '../../../local/asl';

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
    expect(def.States.Plan.Parameters).toEqual({ 'input.$': '$', 'execution.$': '$$.Execution.Id' });
    expect(def.States.Overlapping).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.skip', IsPresent: true, Next: 'Skipped' }],
      Default: 'SweepBatches',
    });
    const map = def.States.SweepBatches;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.batches',
      ResultPath: '$.results',
      Next: 'Summarize',
    });
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(10);
    const inner = (map.ItemProcessor as AslDefinition).States;
    expect(inner.Sweep.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'BatchFailed' },
    ]);
    expect(inner.BatchFailed).toMatchObject({
      Type: 'Pass',
      Parameters: { 'error.$': '$.error' },
      End: true,
    });
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
