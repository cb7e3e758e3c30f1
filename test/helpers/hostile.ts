import { expect } from 'vitest';
import type { RunningEmulator } from '../../emulator';

/**
 * The emulator's whole state as JSON, for "nothing changed" comparisons. Freeze the clock
 * (`realTime: () => 0`) so time alone doesn't change it; stores that are still empty are left out
 * (a request from a new account or region creates one, which changes nothing observable).
 */
export function stateDump(emu: RunningEmulator): string {
  // The CloudTrail event log is an audit trail, not resource state: it records refused calls too
  // (with their errorCode), as CloudTrail does, so it is left out of "nothing changed".
  const { events: _events, ...state } = emu.control.state() as {
    stores?: { [k: string]: unknown }[];
    events?: unknown;
  };
  const stores = (state.stores ?? []).filter((s) =>
    Object.entries(s).some(
      ([k, v]) => k !== 'account' && k !== 'region' && (Array.isArray(v) ? v.length > 0 : false),
    ),
  );
  return JSON.stringify({ ...state, stores });
}

export interface Probed<T> {
  result: T;
  /** Health probes answered while `action` ran (at least one is always sent). */
  probes: number;
  /** Slowest probe, ms. */
  slowestMs: number;
}

/** Probes `GET /_emulator/health` back to back until stopped; reports how many and the slowest. */
export function startProber(endpoint: string): { stop(): Promise<{ probes: number; slowestMs: number }> } {
  let done = false;
  let probes = 0;
  let slowestMs = 0;
  const loop = (async () => {
    do {
      const t = performance.now();
      const res = await fetch(`${endpoint}/_emulator/health`);
      expect(res.status).toBe(200);
      await res.json();
      slowestMs = Math.max(slowestMs, performance.now() - t);
      probes++;
    } while (!done);
  })();
  return {
    async stop() {
      done = true;
      await loop;
      return { probes, slowestMs };
    },
  };
}

/**
 * Runs `action` while probing health back to back, so a request that stalls the emulator
 * shows up as a slow (or unanswered) probe.
 */
export async function whileProbing<T>(endpoint: string, action: () => Promise<T>): Promise<Probed<T>> {
  const prober = startProber(endpoint);
  const result = await action().catch(async (err) => {
    await prober.stop();
    throw err;
  });
  return { result, ...(await prober.stop()) };
}

/** An AWS-shaped JSON error: `__type` and `message`, a 4xx status. */
export function expectAwsError(
  res: { status: number; json: Record<string, unknown> },
  type: string,
  status = 400,
): void {
  expect(res.status, JSON.stringify(res.json).slice(0, 500)).toBe(status);
  expect(res.json.__type).toBe(type);
  expect(typeof res.json.message).toBe('string');
}
