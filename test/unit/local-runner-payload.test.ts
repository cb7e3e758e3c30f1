import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../local/asl';
import { MAX_PAYLOAD_BYTES, payloadBytes, runLocally } from '../../local/runner';
import { virtualTime } from '../helpers/virtual-time';
import { workMap } from '../helpers/work-map';

/** Items → Map(Work, every failure caught) → Done (a Task that sees the Map's output as its input). */
const definition: AslDefinition = {
  StartAt: 'Each',
  States: {
    Each: workMap({
      maxConcurrency: 2,
      itemSelector: { 'n.$': '$$.Map.Item.Value' },
      failed: { 'error.$': '$.error.Error' },
      next: 'Done',
    }),
    Done: { Type: 'Task', Resource: `\${self:custom.lambda.done}`, End: true },
  },
};

const run = (items: number[], bytesPerItem: number) =>
  runLocally({
    definition,
    input: { items },
    executionName: 'payload',
    time: virtualTime(),
    handlers: {
      work: async (input) => ({ n: (input as { n: number }).n, pad: 'x'.repeat(bytesPerItem) }),
      done: async (input) => ({ count: (input as { results: unknown[] }).results.length }),
    },
  });

describe('Local runtime: the 256 KiB payload quota', () => {
  it('counts UTF-8 bytes of the JSON', () => {
    expect(MAX_PAYLOAD_BYTES).toBe(262_144);
    expect(payloadBytes({ a: 'é' })).toBe(10);
  });

  it('passes payloads under 256 KiB', async () => {
    const result = await run([1, 2, 3, 4], 50_000);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ count: 4 });
  });

  it('fails the execution with States.DataLimitExceeded when a Task returns more than 256 KiB, past its Catch', async () => {
    const result = await run([1], MAX_PAYLOAD_BYTES);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(
      /^The state\/task 'Work' returned a result with a size exceeding the maximum number of bytes service limit/,
    );
  });

  it('fails the execution when a Map state’s output (its input plus the items’ results) passes 256 KiB', async () => {
    // Each item's result is under the quota; together they are not.
    const result = await run([1, 2, 3, 4, 5, 6], 50_000);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/'(Each|Done)'.*size exceeding the maximum number of bytes service limit/);
  });
});
