import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Clock, systemClock } from '../../lib/clock';
import type { Clock as PipelineClock, PipelineDeps } from '../../lib/pipeline/deps';
import type { ScheduleDeps } from '../../lib/schedule/deps';

describe('Clock: one shared type (lib/clock.ts)', () => {
  it('is the clock of both workflows’ deps (pipeline re-exports it)', () => {
    expectTypeOf<ScheduleDeps['clock']>().toEqualTypeOf<Clock>();
    expectTypeOf<PipelineDeps['clock']>().toEqualTypeOf<Clock>();
    expectTypeOf<PipelineClock>().toEqualTypeOf<Clock>();
  });

  it('systemClock reads the wall clock in epoch ms', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
