/**
 * Fleet-schedule benchmark: one run over 500 fleets (mixed types, selected by tag) on the local
 * runtime against the in-process emulator, (a) at a change point (every fleet resized) and (b) five
 * minutes later (nothing to change). Prints AWS calls per fleet (reads/writes), wall time, state
 * transitions, the largest state payload, and the monthly orchestration cost at a 5-minute cadence
 * (8,640 runs) as Step Functions Standard and Express. Prints figures; asserts nothing.
 */

import { startEmulator } from '../emulator';
import { validateScheduleFile } from '../lib/schedule/config';
import { TAG } from '../lib/tags';
import { silenceNodeVersionWarning } from '../lib/util/node-warnings';
import { LAMBDA_BASE_SECONDS, LAMBDA_MEMORY_GB, orchestrationCost, PRICES, usd } from '../local/cost';
import type { ProgressEvent } from '../local/runner';
import { runScheduleLocally } from '../local/schedule';
import { EXPRESS_PRICES, RUNS_PER_MONTH_5MIN } from '../local/schedule-cost';
import { type SeedType, seedFleets } from '../local/simulate-seed';

silenceNodeVersionWarning();
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const FLEETS = Number(process.env.BENCH_FLEETS ?? 500);
const RUNS_PER_MONTH = RUNS_PER_MONTH_5MIN;
const MINUTE = 60_000;

/**
 * What a run's Lambda time would be on AWS: the emulator answers in well under a millisecond, AWS
 * in tens: LAMBDA_BASE_SECONDS-like overhead per call (cost.ts) plus 30 ms per AWS request
 * (same-region API latency), the calls of one function made one after another (an upper bound:
 * the evaluate step reads regions in parallel).
 */
const AWS_CALL_SECONDS = 0.03;

const schedules = {
  schedules: {
    'office-hours': {
      timezone: 'Europe/Berlin',
      // Multiples of the multi-session fleets' 4 sessions per instance, so every type changes.
      default: 4,
      periods: [{ name: 'workday', weekdays: 'mon-fri', begin: '07:30', end: '18:00', capacity: 8 }],
    },
  },
  fleets: [{ tag: TAG.schedule }],
};
// Fail fast on a typo in the bench's own file, before 500 fleets are seeded.
validateScheduleFile(schedules);

/** Monday 2026-11-30 07:30 in Berlin: the workday period begins. */
const CHANGE_AT = Date.parse('2026-11-30T07:30:00+01:00');
const TYPES: SeedType[] = ['ALWAYS_ON', 'ON_DEMAND', 'ELASTIC', 'MULTI_SESSION'];

const emu = await startEmulator({ seed: 1, jitterSigma: 0, speed: 1e-9, start: CHANGE_AT - 30 * MINUTE });
/** Millionths of a dollar: a run costs less than a cent. */
const micro = (v: number) => `${(v * 1e6).toFixed(1)} µ$`;
const isRead = (op: string) => /^(Describe|List|Get)/.test(op);

interface RunFigures {
  label: string;
  reads: number;
  writes: number;
  byOperation: Map<string, number>;
  wallMs: number;
  transitions: number;
  lambdaInvocations: number;
  maxPayloadBytes: number;
  /** The state whose output that was. */
  maxPayloadState: string;
  report: { counts: Record<string, number>; failed: string[] };
}

async function measure(label: string): Promise<RunFigures> {
  const byOperation = new Map<string, number>();
  const off = emu.onResponse((op) => byOperation.set(op, (byOperation.get(op) ?? 0) + 1));
  let maxPayloadBytes = 0;
  let maxPayloadState = '-';
  const onProgress = (e: ProgressEvent) => {
    if (e.type !== 'exited' || e.output === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(e.output));
    if (bytes > maxPayloadBytes) [maxPayloadBytes, maxPayloadState] = [bytes, e.state ?? '-'];
  };
  const t0 = performance.now();
  const { result, report } = await runScheduleLocally({ config: schedules, emulator: emu, onProgress });
  const wallMs = performance.now() - t0;
  off();
  let reads = 0;
  let writes = 0;
  for (const [op, n] of byOperation)
    if (isRead(op)) reads += n;
    else writes += n;
  return {
    label,
    reads,
    writes,
    byOperation,
    wallMs,
    transitions: result.transitions,
    lambdaInvocations: result.lambdaInvocations,
    maxPayloadBytes,
    maxPayloadState,
    report,
  };
}

/** Express bills memory in 64-MB chunks (local/schedule-cost.ts): "50 MB + definition + data × Map steps". */
const CHUNK_MB = EXPRESS_PRICES.chunkGb * 1024;

/**
 * Orchestration cost of one run as Standard and as Express (Lambda is the same in both). Express
 * memory by the pricing page's estimate: 50 MB + the definition + the largest state + one plan
 * (the average plan: largest state / fleets) per Map iteration; its duration is taken as the
 * Lambda time, one call after another (an upper bound: the Map applies 10 at a time).
 */
function runCost(r: RunFigures, definitionBytes: number) {
  const lambdaSeconds = r.lambdaInvocations * LAMBDA_BASE_SECONDS + (r.reads + r.writes) * AWS_CALL_SECONDS;
  const standard = orchestrationCost({
    transitions: r.transitions,
    lambdaInvocations: r.lambdaInvocations,
    lambdaPollSeconds: lambdaSeconds - r.lambdaInvocations * LAMBDA_BASE_SECONDS,
  });
  const mapIterations = r.lambdaInvocations - 2;
  const memoryMb = 50 + (definitionBytes + r.maxPayloadBytes * (1 + mapIterations / FLEETS)) / 1_000_000;
  const billedMb = Math.ceil(memoryMb / CHUNK_MB) * CHUNK_MB;
  const billedSeconds = Math.ceil(lambdaSeconds * 10) / 10;
  const express = EXPRESS_PRICES.perRequest + billedSeconds * (billedMb / 1024) * EXPRESS_PRICES.perGbSecond;
  return {
    lambda: standard.lambda,
    standard: standard.total,
    express: express + standard.lambda,
    billedMb,
    lambdaSeconds,
  };
}

try {
  const t0 = performance.now();
  await seedFleets(
    emu,
    Array.from({ length: FLEETS }, (_, i) => ({
      name: `bench-${String(i).padStart(3, '0')}-${TYPES[i % TYPES.length].toLowerCase().replace('_', '-')}`,
      region: 'us-east-1',
      type: TYPES[i % TYPES.length],
      capacity: 4,
      tags: { [TAG.schedule]: 'office-hours', team: `team-${i % 7}` },
    })),
  );
  const seedMs = performance.now() - t0;
  // Warm-up outside the figures, 5 minutes before the change: modules loaded, the ASL validated.
  emu.control.advance(CHANGE_AT - 5 * MINUTE - emu.world.now());
  await runScheduleLocally({ config: schedules, emulator: emu, dryRun: true });
  emu.control.advance(CHANGE_AT - emu.world.now());
  const a = await measure('(a) change point: every fleet 4 → 8');
  emu.control.advance(5 * MINUTE);
  const b = await measure('(b) 5 min later: nothing to change');
  const definitionBytes = JSON.stringify((await import('../local/schedule')).loadScheduleDefinition()).length;

  console.log(
    `Fleet schedule, ${FLEETS} fleets (${TYPES.join(', ')}; selected by tag), seeded in ${(seedMs / 1000).toFixed(1)} s`,
  );
  for (const r of [a, b]) {
    const perFleet = (n: number) => (n / FLEETS).toFixed(3);
    console.log('');
    console.log(r.label);
    console.log(
      `  results          ${JSON.stringify(r.report.counts)}${r.report.failed.length ? ` failed: ${r.report.failed.length}` : ''}`,
    );
    console.log(
      `  AWS calls        ${r.reads} reads (${perFleet(r.reads)}/fleet, ${((r.reads / FLEETS) * 50).toFixed(2)} per 50 fleets), ${r.writes} writes (${perFleet(r.writes)}/fleet)`,
    );
    console.log(
      `  by operation     ${[...r.byOperation.entries()]
        .sort((x, y) => y[1] - x[1])
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')}`,
    );
    console.log(`  wall time        ${(r.wallMs / 1000).toFixed(2)} s (local runtime + in-process emulator)`);
    console.log(`  transitions      ${r.transitions} (Lambda calls ${r.lambdaInvocations})`);
    // The payloads grow with the fleets (lib/schedule/wire.ts): where a run like this one would
    // reach the limit, by the bytes per fleet (a linear estimate).
    const perFleetBytes = r.maxPayloadBytes / FLEETS;
    console.log(
      `  largest state    ${(r.maxPayloadBytes / 1024).toFixed(1)} KiB, ${r.maxPayloadState}'s output (Step Functions' limit: 256 KiB); ${perFleetBytes.toFixed(0)} bytes a fleet: the limit at ~${Math.floor((256 * 1024) / perFleetBytes).toLocaleString('en-US')} fleets`,
    );
  }
  // A month at a 5-minute cadence: runs like (a) at each change point (2 per workday, 22
  // workdays), like (b) otherwise.
  const changeRuns = 2 * 22;
  const ca = runCost(a, definitionBytes);
  const cb = runCost(b, definitionBytes);
  const month = (k: 'standard' | 'express' | 'lambda') =>
    changeRuns * ca[k] + (RUNS_PER_MONTH - changeRuns) * cb[k];
  console.log('');
  console.log(
    `Monthly orchestration, ${RUNS_PER_MONTH} runs (5-min cadence): ${changeRuns} like (a) (2 change points × 22 workdays), ${RUNS_PER_MONTH - changeRuns} like (b)`,
  );
  console.log(
    `  per run          (b) Standard ${micro(cb.standard)}, Express ${micro(cb.express)} (${cb.billedMb} MB, ~${cb.lambdaSeconds.toFixed(1)} s); (a) Standard ${micro(ca.standard)}, Express ${micro(ca.express)} (Lambda included)`,
  );
  console.log(
    `  Standard         ${usd(month('standard'))}/month (transitions $${PRICES.sfnPerTransition * 1000}/1,000 + Lambda)`,
  );
  console.log(
    `  Express          ${usd(month('express'))}/month ($1.00/M executions + $0.00001667/GB-s + Lambda)`,
  );
  console.log(
    `  of which Lambda  ${usd(month('lambda'))}/month (arm64, ${LAMBDA_MEMORY_GB * 1024} MB; ${LAMBDA_BASE_SECONDS} s a call + ${AWS_CALL_SECONDS * 1000} ms per AWS request)`,
  );
  console.log('  (us-east-1 on-demand prices, free tiers left out: local/cost.ts, local/schedule-cost.ts)');
} finally {
  await emu.stop();
}
