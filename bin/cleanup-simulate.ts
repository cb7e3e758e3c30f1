/** `autopilot cleanup simulate`: N hours of the cleanup schedule against scripted builders, on the emulator. */
import { type CleanupSimulation, simulateCleanup } from '../local/cleanup-simulate';
import { loadPolicyFile, table } from './cleanup-args';
import { parseInstant, utcIso } from './schedule-args';
import { simulateArgs } from './simulate-args';

export const SIMULATE_HELP = `Usage: autopilot cleanup simulate <policy> [--hours 48] [--from <time>] [--cadence 15] --local [--json]

Runs the builder-cleanup workflow every 15 virtual minutes for N hours on the embedded emulator
with the policy's thresholds, against a scripted mix of image builders in the policy's first
account and region: one nobody uses, one connected every 6 hours, one connected once, one
started and connected again at hour 20, one opted out, one a pipeline run owns. People connect
through the console's "Connect" (CreateImageBuilderStreamingURL, logged as a CloudTrail event that
the connection recorder reads at the start of each run). Prints what happened when (time, builder,
action, reason) and each builder's final state and marks.
  --hours <n>     hours to simulate (1 to 2160, default 48)
  --from <time>   start, ISO-8601 with Z or an offset (default 2026-11-30T08:00Z)
  --cadence <m>   minutes between runs (1 to 60, default 15: the deployed schedule)
  --local         on the embedded emulator (the only mode: required, so it's never mistaken for AWS)
  --json          prints the simulation as JSON
  -h, --help      this help
Exits 0 when every run succeeded, 1 otherwise.`;

export async function simulateCommand(argv: string[]): Promise<number> {
  const args = simulateArgs(argv, {
    command: 'cleanup',
    file: { what: 'a policy file', placeholder: '<policy>' },
    span: { option: 'hours', min: 1, max: 2160, default: 48 },
    cadence: 15,
    help: SIMULATE_HELP,
  });
  if (!args) return 0;
  const { path, span: hours, cadenceMinutes, json } = args;
  const from = args.from ? parseInstant('from', args.from, 'UTC') : undefined;
  const { raw } = loadPolicyFile(path);
  if (!json) console.error(`Simulating ${hours} h of ${path} on the embedded emulator…`);
  let reported = 0;
  const sim = await simulateCleanup({
    policy: raw,
    hours,
    from,
    cadenceMinutes,
    onRun: json
      ? undefined
      : (done, of) => {
          // Progress every ~10% (stderr).
          if (done === of || done - reported >= Math.max(1, Math.ceil(of / 10))) {
            reported = done;
            console.error(`  run ${done}/${of}`);
          }
        },
  });
  if (json) console.log(JSON.stringify(simulationJson(sim)));
  else printSimulation(sim);
  return sim.failedRuns > 0 ? 1 : 0;
}

function simulationJson(sim: CleanupSimulation) {
  return {
    ...sim,
    from: utcIso(sim.from),
    to: utcIso(sim.to),
    timeline: sim.timeline.map((e) => ({ ...e, at: utcIso(e.at) })),
  };
}

/** `+5h15m` from the start, beside the UTC time. */
function offset(ms: number) {
  const m = Math.round(ms / 60_000);
  return `+${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}`;
}

function printSimulation(sim: CleanupSimulation) {
  console.log(
    `${sim.runs} runs (every ${sim.cadenceMinutes} min) from ${utcIso(sim.from)} to ${utcIso(sim.to)} in ${sim.account}/${sim.region}; ${sim.transitions} state transitions; ${(sim.wallMs / 1000).toFixed(1)} s wall${sim.failedRuns ? `; ${sim.failedRuns} run(s) FAILED` : ''}`,
  );
  console.log('');
  console.log(
    'Timeline (cleanup: every warn/stop/delete, and a none or skip when it changes; person: connects, starts)',
  );
  for (const line of table(
    ['TIME', 'AFTER', 'BUILDER', 'BY', 'ACTION', 'REASON'],
    sim.timeline.map((e) => [utcIso(e.at), offset(e.at - sim.from), e.builder, e.by, e.action, e.reason]),
  ))
    console.log(`  ${line}`);
  console.log('');
  console.log('Final states');
  for (const line of table(
    ['BUILDER', 'SCRIPT', 'STATE', 'DECISIONS', 'MARK (autopilot:cleanup)', 'LAST CONNECTION'],
    sim.builders.map((b) => [
      b.name,
      b.role,
      b.state,
      Object.entries(b.counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || '-',
      b.mark ?? '-',
      b.lastConnection ?? '-',
    ]),
  ))
    console.log(`  ${line}`);
}
