import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../local/asl';
import { type ProgressEvent, runLocally } from '../../local/runner';
import { virtualTime } from '../helpers/virtual-time';
import { workMap } from '../helpers/work-map';

/** Items → Map(Work: TimeoutSeconds 10, retried on Flaky, failures caught per item) → Done. */
const mapDefinition: AslDefinition = {
  StartAt: 'Each',
  States: {
    Each: workMap({
      // One at a time: items share the virtual clock, so a concurrent item would see the slow
      // item's 11 s as its own (local/runner.ts).
      maxConcurrency: 1,
      itemSelector: { 'item.$': '$$.Map.Item.Value' },
      work: {
        TimeoutSeconds: 10,
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 }],
      },
      failed: { 'item.$': '$.item', 'error.$': '$.error.Error' },
    }),
  },
};

describe('Local runtime: Map states', () => {
  it('runs the Task states inside a Map’s ItemProcessor with our handlers, TimeoutSeconds and retries on the virtual clock', async () => {
    const time = virtualTime();
    const calls: string[] = [];
    let flakyOnce = true;
    const events: ProgressEvent[] = [];
    const result = await runLocally({
      definition: mapDefinition,
      input: { items: ['ok', 'slow', 'flaky', 'broken'] },
      executionName: 'map',
      time,
      onProgress: (e) => events.push(e),
      handlers: {
        work: async (input) => {
          const { item } = input as { item: string };
          calls.push(item);
          if (item === 'slow') time.advance(11_000);
          if (item === 'flaky' && flakyOnce) {
            flakyOnce = false;
            throw Object.assign(new Error('try again'), { name: 'Flaky' });
          }
          if (item === 'broken') throw Object.assign(new Error('no'), { name: 'Broken' });
          return { item, done: true };
        },
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect((result.output as { results: unknown[] }).results).toEqual([
      { item: 'ok', done: true },
      // Past its TimeoutSeconds on the virtual clock: States.Timeout, caught for this item only.
      { item: 'slow', error: 'States.Timeout' },
      { item: 'flaky', done: true },
      { item: 'broken', error: 'Broken' },
    ]);
    expect(calls.filter((c) => c === 'flaky')).toHaveLength(2);
    // The retry pause (30 s) and the slow call (11 s) passed on the virtual clock.
    expect(result.virtualEnd - result.virtualStart).toBeGreaterThanOrEqual(41_000);
    expect(events.some((e) => e.type === 'retried' && e.state === 'Work')).toBe(true);
    // Map + 4 × Work + 1 retry + 2 × Failed.
    expect(result.transitions).toBe(8);
    expect(result.lambdaInvocations).toBe(5);
  });
});
