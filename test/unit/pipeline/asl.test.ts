import { readdirSync, readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { functions } from '../../../functions';
import { TRANSIENT_ERRORS } from '../../../lib/errors';
import { functionNameOf, prepareForLocal, waitSeconds } from '../../../local/asl';

const files = readdirSync('statemachines').filter((f) => f.endsWith('.asl.json'));

describe('State machine definitions', () => {
  it.each(files)('%s is valid ASL (asl-validator)', (file) => {
    const { isValid, errorsText } = aslValidator(JSON.parse(readFileSync(`statemachines/${file}`, 'utf8')));
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it.each(files)('%s calls only functions we have, each with transient retries and a timeout', (file) => {
    const def = JSON.parse(readFileSync(`statemachines/${file}`, 'utf8'));
    for (const [name, state] of Object.entries(def.States) as [string, Record<string, unknown>][]) {
      if (state.Type !== 'Task') continue;
      const fn = functionNameOf(state.Resource as string);
      expect(fn && fn in functions, `${name} → ${state.Resource}`).toBe(true);
      expect(state.TimeoutSeconds, name).toBeGreaterThan(240);
    }
  });

  it.each(files)('%s retries exactly the transient errors of lib/errors.ts on every Task', (file) => {
    const def = JSON.parse(readFileSync(`statemachines/${file}`, 'utf8'));
    const transient = [...TRANSIENT_ERRORS].sort();
    const tasks = Object.entries(def.States as Record<string, { Type: string; Retry?: unknown }>).filter(
      ([, state]) => state.Type === 'Task',
    );
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
    const def = JSON.parse(readFileSync(`statemachines/${file}`, 'utf8'));
    for (const [name, state] of Object.entries(def.States) as [string, Record<string, unknown>][]) {
      if (state.Type !== 'Task') continue;
      const fn = functions[functionNameOf(state.Resource as string) as keyof typeof functions];
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

  it('computes wait seconds from Seconds, SecondsPath and Timestamp', () => {
    expect(waitSeconds({ Type: 'Wait', Seconds: 5 }, {}, 0)).toBe(5);
    expect(waitSeconds({ Type: 'Wait', SecondsPath: '$.a.b' }, { a: { b: 42 } }, 0)).toBe(42);
    expect(waitSeconds({ Type: 'Wait', Timestamp: '1970-01-01T00:01:00Z' }, {}, 30_000)).toBe(30);
  });
});
