/**
 * Idle builder cleanup benchmark: one scheduled run of the builder-cleanup workflow on the local
 * runtime against the in-process emulator, over ACCOUNTS accounts × 4 regions (800 account-regions
 * by default, every account but the home one reached through STS AssumeRole in the emulator) with
 * BUILDERS_PER_SCOPE image builders each (8,000), under 10% throttling of every API call
 * (emulator faults: AppStream, the tagging API, STS). The builders carry marks that make a known
 * number of warnings, stops and deletes due at the run's "now". Prints: seeding time, the run's
 * duration (the issue: one scheduled run finishes within 15 minutes, the cadence) measured and
 * modelled (below), due vs applied (stop and delete calls that succeeded, per builder: exactly
 * once), AWS calls per builder, the largest state payload, and the orchestration cost per month at
 * a 15-minute cadence (Standard, as deployed, and Express for comparison). Prints figures; asserts
 * nothing.
 *
 * The run's duration, two ways:
 * - measured: during the run the emulator's clock runs at real speed and every API call is
 *   answered BENCH_CALL_MS (30) ms late (the emulator's latencyMs fault, before any throttling), so
 *   the calls' waits overlap exactly as the workflow's concurrency lets them (Map MaxConcurrency
 *   10 batches, SCOPE_CONCURRENCY scopes per Sweep, a scope's calls one after another). The clock
 *   difference also counts this machine's CPU for the local runtime, the functions and the
 *   emulator (AWS spreads that over Lambdas and its services): an upper bound on that part, a
 *   lower one on retry pauses (the local clients pause 5 ms before a retry);
 * - modelled: the same schedule replayed from what the run measured (each scope's calls, as its
 *   Sweep result counts them; attempts per call and throttled answers, as the emulator saw them)
 *   with AWS-side figures: a call's latency, the SDK's pause before retrying a throttled call,
 *   Lambda start-up. No local CPU in it.
 *
 * BENCH_ACCOUNTS, BENCH_BUILDERS_PER_SCOPE, BENCH_THROTTLE and BENCH_CALL_MS scale it.
 */
import { startEmulator } from '../emulator';
import { HOUR, MINUTE } from '../lib/cleanup/duration';
import { isoMinute } from '../lib/cleanup/marks';
import { SCOPE_CONCURRENCY } from '../lib/cleanup/sweep';
import { TAG } from '../lib/tags';
import { silenceNodeVersionWarning } from '../lib/util/node-warnings';
import type { CleanupDecisionRow } from '../local/cleanup';
import { type SeedBuilder, seedBuilders, stopSeeded } from '../local/cleanup-simulate';
import { LAMBDA_BASE_SECONDS, LAMBDA_MEMORY_GB, orchestrationCost, PRICES, usd } from '../local/cost';
import { LOCAL_ACCOUNT } from '../local/local-deps';
import type { ProgressEvent } from '../local/runner';
import { EXPRESS_PRICES } from '../local/schedule-cost';

silenceNodeVersionWarning();
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-northeast-1'];
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const PER_SCOPE = Number(process.env.BENCH_BUILDERS_PER_SCOPE ?? 10);
const THROTTLE = Number(process.env.BENCH_THROTTLE ?? 0.1);
/** Runs a month at a 15-minute cadence: 4 an hour × 24 × 30. */
const RUNS_PER_MONTH = 2_880;
/** AWS's same-region API latency per request (as bench/schedule.ts): the emulator's per-call delay in the measured run. */
const CALL_MS = Number(process.env.BENCH_CALL_MS ?? 30);
const AWS_CALL_SECONDS = CALL_MS / 1000;
/**
 * The SDK's pause before retrying a throttled call on AWS: the standard strategy waits a random
 * time up to 500 ms × 2^(retry − 1) (@smithy/util-retry THROTTLING_RETRY_DELAY_BASE 500, full
 * jitter): 250 ms on average for a first retry, 500 ms for a second (1 throttled answer in 10 at
 * 10% throttling): ~275 ms per throttled answer.
 */
const THROTTLE_PAUSE_SECONDS = 0.275;
/** A Lambda invocation's start-up: warm ~0.1 s (LAMBDA_BASE_SECONDS); cold (the first of each concurrent lane) 1 s. */
const COLD_START_SECONDS = 1;

/** Accounts: the home account (own credentials) and ACCOUNTS − 1 others (through a role). */
const accounts = Array.from({ length: ACCOUNTS }, (_, i) =>
  i === 0 ? LOCAL_ACCOUNT : String(200000000000 + i).padStart(12, '0'),
);

const policy = {
  warnAfter: '2h',
  stopAfter: '4h',
  deleteStoppedAfter: '30d',
  minNotice: '1h',
  // Warnings as tags only: the bench measures the sweep, not SNS.
  notify: 'none',
  scope: {
    regions: REGIONS,
    accounts: accounts.map((id) =>
      id === LOCAL_ACCOUNT ? { id } : { id, roleArn: `arn:aws:iam::${id}:role/autopilot-cleanup` },
    ),
  },
};

/** Seeded at S; the run at R = S + 6 h (builders idle 6 h since creation). */
const S = Date.parse('2026-11-30T06:00:00Z');
const R = S + 6 * HOUR;

type Kind = 'first-seen' | 'warn' | 'stop' | 'connected' | 'kept' | 'delete' | 'stopped' | 'owned';
/** One scope's ten builders (repeated when BUILDERS_PER_SCOPE is larger). */
const MIX: Kind[] = [
  'first-seen',
  'warn',
  'warn',
  'stop',
  'stop',
  'connected',
  'kept',
  'delete',
  'stopped',
  'owned',
];

function builder(account: string, region: string, i: number): SeedBuilder & { kind: Kind } {
  const kind = MIX[i % MIX.length];
  const name = `b-${String(i).padStart(3, '0')}-${kind}`;
  const m = isoMinute;
  const tags: Record<string, string> = {
    'first-seen': {},
    warn: { [TAG.cleanup]: `seen@${m(S)}` },
    stop: { [TAG.cleanup]: `stop@${m(S + 4 * HOUR)} warned@${m(S + 2 * HOUR)} seen@${m(S)}` },
    connected: { [TAG.cleanup]: `seen@${m(S)}`, [TAG.lastConnection]: m(R - HOUR) },
    kept: { [TAG.cleanup]: `seen@${m(S)}`, [TAG.keep]: 'true' },
    delete: {
      [TAG.cleanup]: `delete@${m(S + HOUR)} warned@${m(S)} stopped@${m(S - 31 * 24 * HOUR)} seen@${m(S - 31 * 24 * HOUR)}`,
    },
    stopped: { [TAG.cleanup]: `stopped@${m(R - 24 * HOUR)} seen@${m(R - 24 * HOUR)}` },
    owned: {
      [TAG.cleanup]: `seen@${m(S)}`,
      [TAG.execution]: 'image-pipeline-run-1',
      [TAG.deployment]: 'autopilot-prod',
    },
  }[kind];
  return { account, region, name, tags, stopped: kind === 'delete' || kind === 'stopped', kind };
}

const builders = accounts.flatMap((a) =>
  REGIONS.flatMap((r) => Array.from({ length: PER_SCOPE }, (_, i) => builder(a, r, i))),
);
const due = {
  warn: builders.filter((b) => b.kind === 'warn').length,
  stop: builders.filter((b) => b.kind === 'stop').length,
  delete: builders.filter((b) => b.kind === 'delete').length,
};
const scopes = ACCOUNTS * REGIONS.length;

/**
 * Builders whose marks say they were stopped a month ago are created then (32 days before S): their
 * CreateImageBuilder event, which the recorder turns into `started@`, must not be younger than
 * their history. The others are created at S.
 */
const OLD = S - 32 * 24 * HOUR;
const isOld = (b: { kind: Kind }) => b.kind === 'delete' || b.kind === 'stopped';
const emu = await startEmulator({ seed: 1, jitterSigma: 0, speed: 1e-9, start: OLD });
try {
  const t0 = performance.now();
  await seedBuilders(emu, builders.filter(isOld));
  emu.control.advance(15 * MINUTE);
  await stopSeeded(emu, builders);
  emu.control.advance(S - emu.world.now());
  await seedBuilders(
    emu,
    builders.filter((b) => !isOld(b)),
  );
  const seedMs = performance.now() - t0;
  emu.control.advance(R - emu.world.now());

  const { runCleanupLocally } = await import('../local/cleanup');
  // Successful stop/delete calls per builder (a throttled call answers 400 and changes nothing).
  const applied = { stop: new Map<string, number>(), delete: new Map<string, number>() };
  const byOperation = new Map<string, { ok: number; throttled: number; other: number }>();
  /**
   * Until the execution's first state, runCleanupLocally catches up the connection recorder from the
   * emulator's event log (the local stand-in for EventBridge, which on AWS delivers each event when
   * it happens: here the seeding's CreateImageBuilder events): counted apart, not part of the run.
   */
  let executionStart: number | undefined;
  let executionEnd = 0;
  const catchUp = { calls: 0, wallMs: 0 };
  const off = emu.onResponse((op, status, body) => {
    if (executionStart === undefined) {
      catchUp.calls++;
      return;
    }
    const o = byOperation.get(op) ?? { ok: 0, throttled: 0, other: 0 };
    if (status < 300) o.ok++;
    else if (/Throttl|Rate exceeded/.test(body)) o.throttled++;
    else o.other++;
    byOperation.set(op, o);
  });
  // Which builder a stop/delete was for: the emulator's CloudTrail-shaped events name it.
  const offEvents = emu.onEvent((e) => {
    const d = e.detail as { eventName?: string; errorCode?: string; requestParameters?: { name?: string } };
    const key = `${e.account}/${e.region}/${d.requestParameters?.name}`;
    const map =
      d.eventName === 'StopImageBuilder'
        ? applied.stop
        : d.eventName === 'DeleteImageBuilder'
          ? applied.delete
          : undefined;
    if (map && !d.errorCode) map.set(key, (map.get(key) ?? 0) + 1);
  });
  let maxPayloadBytes = 0;
  let maxPayloadState = '-';
  /** The largest output per state (the Map's is every batch's together). */
  const payloads = new Map<string, number>();
  /** The Map's results in the order of its batches: each scope's calls (the model's input). */
  let batchResults: { scopes?: { reads: number; writes: number }[] }[] = [];
  const onProgress = (e: ProgressEvent) => {
    if (executionStart === undefined) {
      // The execution begins: from here the clock runs at real speed and calls are late (header).
      emu.control.setFaults({ throttleRate: THROTTLE, latencyMs: CALL_MS });
      emu.control.setSpeed(1);
      executionStart = emu.world.now();
      catchUp.wallMs = performance.now() - w0;
    }
    executionEnd = Math.max(executionEnd, emu.world.now());
    if (e.type !== 'exited' || e.output === undefined) return;
    if (e.state === 'SweepBatches')
      batchResults = (e.output as { batches: typeof batchResults }).batches ?? [];
    const bytes = Buffer.byteLength(JSON.stringify(e.output));
    const state = e.state ?? '-';
    payloads.set(state, Math.max(payloads.get(state) ?? 0, bytes));
    if (bytes > maxPayloadBytes) [maxPayloadBytes, maxPayloadState] = [bytes, state];
  };
  // The recorder's catch-up runs without faults (it stands in for EventBridge, which on AWS
  // delivered each event long before); the execution gets throttling and latency (onProgress).
  const w0 = performance.now();
  const { result, decisions, summary } = await runCleanupLocally({
    policy,
    emulator: emu,
    onProgress,
    // The deployed path: rows trimmed to each batch's byte budget (8,000 rows exceed 256 KiB).
    detail: false,
  });
  const wallMs = performance.now() - w0;
  // The execution alone: from its first state to its last (the catch-up before it is local only).
  const virtualMs = executionEnd - (executionStart ?? executionEnd);
  emu.control.setSpeed(1e-9);
  emu.control.setFaults({});
  off();
  offEvents();

  const count = (a: string) => decisions.filter((d: CleanupDecisionRow) => d.action === a).length;
  const failedRows = decisions.filter((d: CleanupDecisionRow) => d.result === 'failed');
  const once = (m: Map<string, number>) => [...m.values()].every((n) => n === 1);
  let ok = 0;
  let throttled = 0;
  let other = 0;
  for (const o of byOperation.values()) {
    ok += o.ok;
    throttled += o.throttled;
    other += o.other;
  }
  const calls = ok + throttled + other;
  const n = builders.length;

  console.log(
    `Idle builder cleanup, ${scopes} account-regions (${ACCOUNTS} accounts × ${REGIONS.length} regions, ${ACCOUNTS - 1} through AssumeRole), ${n.toLocaleString('en-US')} builders, ${THROTTLE * 100}% of API calls throttled`,
  );
  console.log(
    `  seeded in ${(seedMs / 1000).toFixed(1)} s (${((seedMs / n) * 1000).toFixed(0)} µs a builder, real API calls)`,
  );
  console.log(
    `  execution        ${result.status}${result.error ? ` ${result.error}: ${result.cause}` : ''}; ${result.transitions} state transitions, ${result.lambdaInvocations} Lambda calls`,
  );
  console.log(
    `  run duration     ${(virtualMs / 1000).toFixed(1)} s measured on the emulator's clock (real speed during the run, every API call ${CALL_MS} ms late; counts local CPU, retries pause 5 ms): ${virtualMs <= 15 * MINUTE ? 'within' : 'EXCEEDED'} the 15-min cadence`,
  );
  console.log(
    `  wall time        ${(wallMs / 1000).toFixed(1)} s (local runtime + in-process emulator), ${(catchUp.wallMs / 1000).toFixed(1)} s of it the recorder's catch-up before the execution (${catchUp.calls} calls without faults: the seeding's events, EventBridge's job on AWS; not in the figures below)`,
  );
  console.log(
    `  decided          ${['warn', 'stop', 'delete', 'skip', 'none'].map((a) => `${a} ${summary.counts[a] ?? 0}`).join(', ')} (summary counts)`,
  );
  console.log(
    `  decisions        ${decisions.length} rows (the notable ones, trimmed to the payload budget): warn ${count('warn')}, stop ${count('stop')}, delete ${count('delete')}, skip ${count('skip')}, none ${count('none')}; failed ${failedRows.length}; failed scopes ${summary.failedScopes.length}; scopes without connection signal ${summary.withoutConnectionSignal?.length ?? 0} (warn-only there)`,
  );
  console.log(
    `  due vs applied   warn ${due.warn} due; stop ${due.stop} due, ${applied.stop.size} builders stopped (${once(applied.stop) ? 'each once' : 'SOME MORE THAN ONCE'}); delete ${due.delete} due, ${applied.delete.size} deleted (${once(applied.delete) ? 'each once' : 'SOME MORE THAN ONCE'})`,
  );
  console.log(
    `  API calls        ${calls} (${(calls / n).toFixed(2)} per builder): ${ok} answered, ${throttled} throttled, ${other} other errors`,
  );
  console.log(
    `  by operation     ${[...byOperation.entries()]
      .sort((x, y) => y[1].ok + y[1].throttled - (x[1].ok + x[1].throttled))
      .map(
        ([op, o]) =>
          `${op} ${o.ok + o.throttled + o.other}${o.throttled ? ` (${o.throttled} throttled)` : ''}`,
      )
      .join(', ')}`,
  );
  // Local runs return every builder's row (detail: true, for the CLI's table); deployed runs only
  // the notable ones (warned, stopped, deleted, failed): their size by the rows' average size.
  const rowBytes = Buffer.byteLength(JSON.stringify(decisions)) / Math.max(1, decisions.length);
  const notable = decisions.filter(
    (d: CleanupDecisionRow) =>
      d.action === 'warn' || d.action === 'stop' || d.action === 'delete' || d.result === 'failed',
  ).length;
  console.log(
    `  largest state    ${(maxPayloadBytes / 1024).toFixed(1)} KiB, ${maxPayloadState}'s output, the deployed path (rows trimmed to each batch's byte budget); per state: ${[
      ...payloads.entries(),
    ]
      .sort((x, y) => y[1] - x[1])
      .map(([st, b]) => `${st} ${(b / 1024).toFixed(1)} KiB`)
      .join(', ')} (Step Functions' limit: 256 KiB)`,
  );
  console.log(
    `  deployed payload ~${((notable * rowBytes) / 1024).toFixed(0)} KiB of notable rows in the Map's output (${notable} rows × ${rowBytes.toFixed(0)} bytes; detail off)${notable * rowBytes > 256 * 1024 ? ': OVER the 256 KiB limit at this scale' : ''}`,
  );

  // Cost: Lambda time as bench/schedule.ts estimates it (per call + per AWS request).
  const lambdaSeconds = result.lambdaInvocations * LAMBDA_BASE_SECONDS + calls * AWS_CALL_SECONDS;
  const standard = orchestrationCost({
    transitions: result.transitions,
    lambdaInvocations: result.lambdaInvocations,
    lambdaPollSeconds: lambdaSeconds - result.lambdaInvocations * LAMBDA_BASE_SECONDS,
  });
  // Modelled on AWS: the run's own schedule replayed (see the header). A Sweep's worker pool takes
  // the next scope when one ends (lib/cleanup/sweep.ts), the Map the next batch (MaxConcurrency).
  const definition = (await import('../local/cleanup')).loadCleanupDefinition() as {
    States: Record<string, { MaxConcurrency?: number }>;
  };
  const mapConcurrency =
    Object.values(definition.States).find((st) => st.MaxConcurrency)?.MaxConcurrency ?? 1;
  const logicalCalls = batchResults
    .flatMap((b) => b.scopes ?? [])
    .reduce((t, sc) => t + sc.reads + sc.writes, 0);
  // HTTP requests per logical call (SDK retries, AssumeRole) and throttled answers per call.
  const attempts = calls / Math.max(1, logicalCalls);
  const throttledPerCall = throttled / Math.max(1, logicalCalls);
  const scopeSeconds = (sc: { reads: number; writes: number }) =>
    (sc.reads + sc.writes) * (attempts * AWS_CALL_SECONDS + throttledPerCall * THROTTLE_PAUSE_SECONDS);
  /** When the last of `jobs` ends, `lanes` at a time, each lane taking the next job when free. */
  const makespan = (jobs: number[], lanes: number) => {
    const free = Array.from({ length: Math.min(lanes, jobs.length) }, () => 0);
    for (const j of jobs) {
      const i = free.indexOf(Math.min(...free));
      free[i] += j;
    }
    return Math.max(0, ...free);
  };
  const batchSeconds = batchResults.map(
    (b, i) =>
      (i < mapConcurrency ? COLD_START_SECONDS : LAMBDA_BASE_SECONDS) +
      makespan((b.scopes ?? []).map(scopeSeconds), SCOPE_CONCURRENCY),
  );
  const slowestScope = Math.max(0, ...batchResults.flatMap((b) => (b.scopes ?? []).map(scopeSeconds)));
  const awsSeconds = 2 * COLD_START_SECONDS + makespan(batchSeconds, mapConcurrency);
  console.log(
    `  AWS duration     ${awsSeconds.toFixed(0)} s modelled: this run's ${batchResults.length} batches replayed ${mapConcurrency} at a time (Map), their scopes ${SCOPE_CONCURRENCY} at a time (Sweep), a scope's ${(logicalCalls / Math.max(1, scopes)).toFixed(1)} calls one after another (measured per scope; slowest scope ${slowestScope.toFixed(1)} s), ${attempts.toFixed(2)} requests per call × ${CALL_MS} ms + ${throttledPerCall.toFixed(3)} throttled per call × ${THROTTLE_PAUSE_SECONDS * 1000} ms SDK pause, Lambda start-up ${COLD_START_SECONDS} s cold / ${LAMBDA_BASE_SECONDS} s warm: ${awsSeconds <= 900 ? 'within' : 'EXCEEDED'} the 15-min cadence${awsSeconds > 480 ? ' (past 480 s the Sweeps defer their actions to the next run)' : ''}`,
  );
  // Express for comparison: one execution, billed for its duration in 64-MB chunks (50 MB +
  // definition + data), and Express executions end at 5 minutes.
  const billedMb = Math.ceil((50 + (maxPayloadBytes * 2) / 1_000_000) / 64) * 64;
  const express =
    EXPRESS_PRICES.perRequest +
    (Math.ceil(awsSeconds * 10) / 10) * (billedMb / 1024) * EXPRESS_PRICES.perGbSecond;
  console.log('');
  console.log(`Monthly orchestration at a 15-minute cadence (${RUNS_PER_MONTH} runs like this one)`);
  console.log(
    `  Standard (deployed) ${usd(standard.total * RUNS_PER_MONTH)}/month: transitions ${usd(standard.sfn * RUNS_PER_MONTH)} ($${PRICES.sfnPerTransition * 1000}/1,000) + Lambda ${usd(standard.lambda * RUNS_PER_MONTH)}`,
  );
  console.log(
    `  Express (compare)   ${usd((express + standard.lambda) * RUNS_PER_MONTH)}/month incl. Lambda (${billedMb} MB × ~${awsSeconds.toFixed(0)} s a run: ${awsSeconds <= 300 ? 'within' : 'over'} Express's 5-minute limit)`,
  );
  console.log(
    `  Lambda estimate     ${lambdaSeconds.toFixed(0)} s billed a run (arm64, ${LAMBDA_MEMORY_GB * 1024} MB; ${LAMBDA_BASE_SECONDS} s a call + ${AWS_CALL_SECONDS * 1000} ms per AWS request)`,
  );
  console.log('  (us-east-1 on-demand prices, free tiers left out: local/cost.ts, local/schedule-cost.ts)');
} finally {
  await emu.stop();
}
