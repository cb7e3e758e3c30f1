import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadModel } from '../../../emulator/model';
import { appstreamService } from '../../../emulator/operations';
import { hostileRequestArbitrary, requestArbitrary } from '../../helpers/arbitrary';
import { createFleet, createStack, privateImage } from '../../helpers/builders';
import { rawCall, useEmulator } from '../../helpers/emulator';
import { startProber, stateDump } from '../../helpers/hostile';

// The clock stands still (real time is a constant), so state dumps before and after a call compare exactly.
const f = useEmulator({ realTime: () => 0 });
const model = loadModel('appstream');
const operations = Object.keys(model.operations);

// Resources with the names the arbitraries like to use, so calls get past "not found".
beforeEach(async () => {
  const client = f.client();
  f.emu.control.setQuotas({ imageBuilders: 50, images: 50, fleets: 50, stacks: 50 });
  await privateImage(f.emu, client, 'img1', 'b1');
  await createFleet(client, 'f1', { ImageName: 'img1' });
  await createStack(client, 's1');
});

async function expectClean(op: string, body: unknown): Promise<void> {
  const res = await rawCall(f.emu.endpoint, op, body);
  // Never a 5xx, always JSON; an error always carries its type and a message.
  expect(res.status, `${op} ${JSON.stringify(body)} → ${JSON.stringify(res.json)}`).toBeLessThan(500);
  if (res.status !== 200) {
    expect(typeof res.json.__type).toBe('string');
    expect(typeof res.json.message).toBe('string');
  }
}

describe('Emulator: fuzzing every operation', () => {
  it('answers model-shaped random input to all 89 operations without a 5xx or a crash', async () => {
    const outcomes = new Map<string, number>();
    f.emu.onResponse((_op, status, body) => {
      const key = status === 200 ? 'OK' : String(JSON.parse(body).__type);
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    });
    for (const op of operations) {
      const input = model.operations[op].input?.shape;
      const arb = input ? requestArbitrary(model, input) : fc.constant({});
      await fc.assert(
        fc.asyncProperty(arb, (body) => expectClean(op, body)),
        { numRuns: 40, seed: 42 },
      );
    }
    // The inputs must reach the handlers, not just bounce off validation.
    expect(outcomes.get('OK') ?? 0).toBeGreaterThan(100);
    expect(outcomes.get('ResourceNotFoundException') ?? 0).toBeGreaterThan(50);
  });

  it('answers arbitrary JSON and garbage bodies cleanly', async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.object().map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), body, (op, raw) => expectClean(op, raw)),
      { numRuns: 500, seed: 7 },
    );
  });

  it('is still healthy afterwards', async () => {
    const res = await rawCall(f.emu.endpoint, 'DescribeImages', { Type: 'PUBLIC' });
    expect(res.status).toBe(200);
  });
});

describe('Emulator: fuzzing with hostile JSON', () => {
  it('answers hostile JSON to every implemented operation with 4xx (or 200), changes nothing on error and keeps answering health probes', async () => {
    const implemented = Object.keys(appstreamService().handlers);
    const prober = startProber(f.emu.endpoint);
    const seen = new Map<string, number>();
    try {
      for (const op of implemented) {
        const input = model.operations[op].input?.shape;
        const arb = input ? hostileRequestArbitrary(model, input) : fc.constant('{}');
        await fc.assert(
          fc.asyncProperty(arb, async (raw) => {
            const before = stateDump(f.emu);
            const res = await rawCall(f.emu.endpoint, op, raw);
            const shown = `${op} ${raw.slice(0, 300)} → ${JSON.stringify(res.json).slice(0, 300)}`;
            expect(res.status, shown).toBeLessThan(500);
            const key = res.status === 200 ? 'OK' : String(res.json.__type);
            seen.set(key, (seen.get(key) ?? 0) + 1);
            if (res.status === 200) return;
            expect(res.status, shown).toBeGreaterThanOrEqual(400);
            expect(typeof res.json.__type, shown).toBe('string');
            expect(typeof res.json.message, shown).toBe('string');
            expect(stateDump(f.emu), shown).toBe(before);
          }),
          { numRuns: 12, seed: 6 },
        );
      }
    } finally {
      const { probes, slowestMs } = await prober.stop();
      expect(probes).toBeGreaterThan(10);
      expect(slowestMs).toBeLessThan(100);
    }
    // The hostile values are refused for what they are, not all for one reason.
    for (const type of ['SerializationException', 'ValidationException'])
      expect(seen.get(type) ?? 0).toBeGreaterThan(20);
  });
});
