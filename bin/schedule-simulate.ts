/** `autopilot schedule simulate`: a week (or N days) of the schedule with users, on the emulator. */
import { terminalChart } from '../lib/schedule/chart';
import { loadScheduleFile } from '../lib/schedule/config';
import { type Simulation, simulateSchedule } from '../local/simulate';
import { LOAD_RAMPS, LOG_OFF_BEFORE_END, PEAK_SHARE, RAMP_DOWN, RAMP_UP } from '../local/simulate-load';
import { localIso, parseInstant, utcIso } from './schedule-args';
import { simulateArgs } from './simulate-args';

export const SIMULATE_HELP = `Usage: autopilot schedule simulate <file> [--days 7] [--from <time>] [--cadence 5] --local [--json]

Runs the fleet-schedule workflow every 5 virtual minutes for N days on the embedded emulator
(the file's named fleets, plus one fleet per schedule for each tag selector, seeded ALWAYS_ON),
while users open and close sessions by an office-hours load model: on working days (Mon-Fri, not a
holiday of the schedule) they log in from the begin of the day's largest daytime period (all by
90 minutes later: capacity must be there at begin) and off until 15 minutes before its end
(08:00-09:30 and 16:30-17:45 on a working day without one), local time; at the peak ${PEAK_SHARE * 100}% of the schedule's largest period capacity. Prints each fleet's capacity
over time, the minutes where capacity was short of the sessions wanted (sessions refused), and the
sessions cut off (must be 0).
  --days <n>     days to simulate (1 to 31, default 7)
  --from <time>  start (default: the next Monday 00:00 in the first fleet's schedule's zone);
                 ISO-8601 with Z or an offset, or a local time in that zone
  --cadence <m>  minutes between runs (1 to 60, default 5: the deployed EventBridge schedule)
  --local        on the embedded emulator (the only mode: required, so it's never mistaken for AWS)
  --json         prints the simulation as JSON
  -h, --help     this help
Exits 0 when no session was cut off and no run failed, 1 otherwise.`;

export async function simulateCommand(argv: string[]): Promise<number> {
  const args = simulateArgs(argv, {
    command: 'schedule',
    file: { what: 'a schedule file', placeholder: '<file>' },
    span: { option: 'days', min: 1, max: 31, default: 7 },
    cadence: 5,
    help: SIMULATE_HELP,
  });
  if (!args) return 0;
  const { path, span: days, cadenceMinutes, json } = args;
  const file = loadScheduleFile(path);
  const first = file.fleets.find((f) => 'name' in f);
  const zone =
    first && 'name' in first
      ? file.schedules[first.schedule].timezone
      : Object.values(file.schedules)[0]?.timezone;
  const from = args.from ? parseInstant('from', args.from, zone ?? 'UTC') : undefined;
  if (!json)
    console.error(`Simulating ${days} day${days === 1 ? '' : 's'} of ${path} on the embedded emulator…`);
  const sim = await simulateSchedule({
    config: file,
    days,
    from,
    cadenceMinutes,
    onDay: json ? undefined : (done, of) => console.error(`  day ${done}/${of}`),
  });
  if (json) console.log(JSON.stringify(simulationJson(sim)));
  else printSimulation(sim);
  const cutOff = sim.fleets.reduce((n, f) => n + f.cutOff, 0);
  return cutOff > 0 || sim.failedExecutions > 0 || sim.fleets.some((f) => f.failedRuns > 0) ? 1 : 0;
}

function simulationJson(sim: Simulation) {
  return {
    from: utcIso(sim.from),
    to: utcIso(sim.to),
    cadenceMinutes: sim.cadenceMinutes,
    runs: sim.runs,
    failedExecutions: sim.failedExecutions,
    transitions: sim.transitions,
    fleets: sim.fleets.map((f) => ({
      ...f,
      capacity: f.capacity.map((p) => ({
        at: utcIso(p.at),
        local: localIso(p.at, f.timezone),
        capacity: p.capacity,
        reason: p.reason,
      })),
    })),
  };
}

function printSimulation(sim: Simulation) {
  const ramp = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  console.log(
    `${sim.runs} runs (every ${sim.cadenceMinutes} min) from ${utcIso(sim.from)} to ${utcIso(sim.to)}; ${sim.transitions} state transitions; ${(sim.wallMs / 1000).toFixed(1)} s wall`,
  );
  console.log(
    `load: Mon-Fri except holidays, logging in over ${RAMP_UP} min from the begin of the day's largest daytime period, off over ${RAMP_DOWN} min until ${LOG_OFF_BEFORE_END} min before its end (no such period: up ${ramp(LOAD_RAMPS.upFrom)}-${ramp(LOAD_RAMPS.upTo)}, down ${ramp(LOAD_RAMPS.downFrom)}-${ramp(LOAD_RAMPS.downTo)}) local`,
  );
  for (const f of sim.fleets) {
    console.log('');
    console.log(`${f.fleet} (${f.region}, schedule ${f.schedule}, ${f.timezone})`);
    console.log(
      `  peak users ${f.peakUsers}, peak sessions ${f.peakSessions}; short of capacity ${f.shortMinutes} min (${f.refusedAttempts} refused attempts); cut off ${f.cutOff}${f.failedRuns ? `; FAILED in ${f.failedRuns} runs` : ''}`,
    );
    for (const line of terminalChart(f.capacity, { from: sim.from, to: sim.to, zone: f.timezone }))
      console.log(`  ${line}`);
  }
  const cutOff = sim.fleets.reduce((n, f) => n + f.cutOff, 0);
  console.log('');
  console.log(cutOff ? `!!! ${cutOff} session(s) cut off !!!` : 'No session was cut off.');
  if (sim.failedExecutions) console.log(`${sim.failedExecutions} execution(s) failed`);
}
