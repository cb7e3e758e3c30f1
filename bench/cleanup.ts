/**
 * Idle builder cleanup benchmark: one scheduled run of the builder-cleanup workflow on the local
 * runtime against the in-process emulator, over ACCOUNTS accounts × 4 regions (800 account-regions
 * by default, every account but the home one reached through STS AssumeRole in the emulator) with
 * BUILDERS_PER_SCOPE image builders each (8,000), under 10% throttling of every API call
 * (emulator faults: AppStream, the tagging API, STS). The builders carry marks that make a known
 * number of warnings, stops and deletes due at the run's "now". Prints: seeding time, the run's
 * virtual duration (must stay within 15 minutes: the cadence) and wall time, due vs applied (stop
 * and delete calls that succeeded, per builder: exactly once), AWS calls per builder, the largest
 * state payload, and the orchestration cost per month at a 15-minute cadence (Standard, as
 * deployed, and Express for comparison). Prints figures; asserts nothing.
 *
 * BENCH_ACCOUNTS, BENCH_BUILDERS_PER_SCOPE and BENCH_THROTTLE scale it.
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
/** AWS's same-region API latency per request, for the Lambda time estimate (as bench/schedule.ts). */
const AWS_CALL_SECONDS = 0.03;
/** The SDK's standard retry pause after a throttled call (base 100 ms, full jitter: ~50 ms on average; taken as 100). */
const THROTTLE_PAUSE_SECONDS = 0.1;

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

const emu = await startEmulator({ seed: 1, jitterSigma: 0, speed: 1e-9, start: S });
try {
  const t0 = performance.now();
  await seedBuilders(emu, builders);
  emu.control.advance(15 * MINUTE);
  await stopSeeded(emu, builders);
  const seedMs = performance.now() - t0;
  emu.control.advance(R - emu.world.now());

  const { runCleanupLocally } = await import('../local/cleanup');
  // Successful stop/delete calls per builder (a throttled call answers 400 and changes nothing).
  const applied = { stop: new Map<string, number>(), delete: new Map<string, number>() };
  const byOperation = new Map<string, { ok: number; throttled: number; other: number }>();
  const off = emu.onResponse((op, status, body) => {
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
  const onProgress = (e: ProgressEvent) => {
    if (e.type !== 'exited' || e.output === undefined) return;
    const bytes = Buffer.byteLength(JSON.stringify(e.output));
    const state = e.state ?? '-';
    payloads.set(state, Math.max(payloads.get(state) ?? 0, bytes));
    if (bytes > maxPayloadBytes) [maxPayloadBytes, maxPayloadState] = [bytes, state];
  };
  emu.control.setFaults({ throttleRate: THROTTLE });
  const v0 = emu.world.now();
  const w0 = performance.now();
  const { result, decisions, summary } = await runCleanupLocally({
    policy,
    emulator: emu,
    onProgress,
    // The deployed path: rows trimmed to each batch's byte budget (8,000 rows exceed 256 KiB).
    detail: false,
  });
  const wallMs = performance.now() - w0;
  const virtualMs = emu.world.now() - v0;
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
    `  virtual duration ${(virtualMs / 60_000).toFixed(1)} min on the emulator's clock (${virtualMs <= 15 * MINUTE ? 'within' : 'EXCEEDED'} the 15-min cadence; locally nothing waits on it: SDK retries pause 5 ms of real time, so compare the AWS estimate below)`,
  );
  console.log(`  wall time        ${(wallMs / 1000).toFixed(1)} s (local runtime + in-process emulator)`);
  console.log(
    `  decisions        ${decisions.length} rows: warn ${count('warn')}, stop ${count('stop')}, delete ${count('delete')}, skip ${count('skip')}, none ${count('none')}; failed ${failedRows.length}; failed scopes ${summary.failedScopes.length}`,
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
  // On AWS (an estimate, not measured): the Map sweeps MaxConcurrency batches at once, each
  // SCOPE_CONCURRENCY account-regions at once, a scope's calls one after another.
  const definition = (await import('../local/cleanup')).loadCleanupDefinition() as {
    States: Record<string, { MaxConcurrency?: number }>;
  };
  const mapConcurrency =
    Object.values(definition.States).find((st) => st.MaxConcurrency)?.MaxConcurrency ?? 1;
  const parallel = mapConcurrency * SCOPE_CONCURRENCY;
  const awsSeconds =
    (calls * AWS_CALL_SECONDS + throttled * THROTTLE_PAUSE_SECONDS) / parallel +
    3 * LAMBDA_BASE_SECONDS * Math.ceil(result.lambdaInvocations / mapConcurrency);
  console.log(
    `  AWS duration     ~${awsSeconds.toFixed(0)} s estimated (not measured): (${calls} calls × ${AWS_CALL_SECONDS * 1000} ms + ${throttled} throttled × ${THROTTLE_PAUSE_SECONDS * 1000} ms) / (Map ${mapConcurrency} × ${SCOPE_CONCURRENCY} scopes at once) + Lambda overheads; limit 15 min: ${awsSeconds <= 900 ? 'within' : 'EXCEEDED'}`,
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
