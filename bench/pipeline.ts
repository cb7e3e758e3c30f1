/**
 * Pipeline polling benchmark: the same simulated runs (same seeds, so the same builder start and
 * image creation times: medians 12 and 40 min, lognormal sigma 0.2) under three polling
 * strategies, on the local runtime against the emulator. Prints transitions, Lambda invocations,
 * detection lag and estimated orchestration cost per run.
 */

import { startEmulator } from '../emulator';
import { silenceNodeVersionWarning } from '../lib/util/node-warnings';
import { LAMBDA_ARCHITECTURE, LAMBDA_MEMORY_GB, PRICES, usd } from '../local/cost';
import { type LocalPipelineOptions, runPipelineLocally } from '../local/pipeline';

silenceNodeVersionWarning();

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
const RUNS = Number(process.env.BENCH_RUNS ?? 40);

const base = {
  name: 'bench',
  region: 'us-east-1',
  builder: { instanceType: 'stream.standard.medium', image: 'latest:WINDOWS_SERVER_2022' },
  build: { applications: [{ name: 'notepad', path: 'C:\\Windows\\notepad.exe' }] },
  image: { name: '{pipeline}-{execution}' },
};

const strategies: { label: string; polling: Record<string, unknown> }[] = [
  { label: 'ours (sized first wait + 15-s polls in 240-s checks)', polling: { strategy: 'adaptive' } },
  {
    label: 'fixed 30-s polling',
    polling: { strategy: 'fixed', builderIntervalSeconds: 30, imageIntervalSeconds: 30 },
  },
  {
    label: '3-min builder / 5-min image cadence',
    polling: { strategy: 'fixed', builderIntervalSeconds: 180, imageIntervalSeconds: 300 },
  },
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const emu = await startEmulator({ seed: 1 });
const actual = new Map<string, number>();
emu.world.transitionListeners.push((e) => {
  if (e.kind === 'imageBuilder' && e.to === 'RUNNING') actual.set('builder', e.at);
  if (e.kind === 'image' && e.to === 'AVAILABLE') actual.set('image', e.at);
});

const rows: string[][] = [];
try {
  for (const s of strategies) {
    const transitions: number[] = [];
    const invocations: number[] = [];
    const lags: number[] = [];
    const builderLags: number[] = [];
    const imageLags: number[] = [];
    const costs: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      emu.control.reset(run);
      actual.clear();
      const opts: LocalPipelineOptions = {
        config: { ...base, polling: s.polling },
        emulator: emu,
        executionName: `bench-${run}`,
      };
      const { result, summary } = await runPipelineLocally(opts);
      if (result.status !== 'SUCCEEDED')
        throw new Error(`run ${run} (${s.label}) ${result.error}: ${result.cause}`);
      const out = result.output as {
        builderCheck: { observedAt: number };
        imageCheck: { observedAt: number };
      };
      const bl = (out.builderCheck.observedAt - actual.get('builder')!) / 1000;
      const il = (out.imageCheck.observedAt - actual.get('image')!) / 1000;
      builderLags.push(bl);
      imageLags.push(il);
      lags.push(bl, il);
      transitions.push(result.transitions);
      invocations.push(result.lambdaInvocations);
      costs.push(summary.cost.total);
    }
    rows.push([
      s.label,
      `${mean(transitions).toFixed(1)} / ${pct(transitions, 0.95)} / ${Math.max(...transitions)}`,
      mean(invocations).toFixed(1),
      `${pct(lags, 0.5).toFixed(0)} s / ${pct(lags, 0.95).toFixed(0)} s`,
      `${pct(builderLags, 0.95).toFixed(0)} s / ${pct(imageLags, 0.95).toFixed(0)} s`,
      usd(mean(costs)),
    ]);
  }
} finally {
  await emu.stop();
}

const header = [
  'strategy',
  'transitions mean/p95/max',
  'Lambda calls',
  'lag p50 / p95',
  'p95 lag builder / image',
  'est. cost/run',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(
  `${RUNS} simulated runs per strategy (same seeds), builder start median 12 min, image 40 min, sigma 0.2`,
);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log('Targets: ours <= 40 transitions per run, p95 detection lag <= 30 s.');
console.log(
  `Cost (us-east-1): Step Functions Standard $${PRICES.sfnPerTransition * 1000}/1k transitions + Lambda ` +
    `${LAMBDA_ARCHITECTURE} ${LAMBDA_MEMORY_GB * 1024} MB ($${(PRICES.lambdaPerRequest * 1e6).toFixed(2)}/1M requests, ` +
    `$${PRICES.lambdaPerGbSecond}/GB-s).`,
);
