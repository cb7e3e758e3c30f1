/**
 * `autopilot schedule compile`: a schedule as Application Auto Scaling scheduled actions (cron in
 * the schedule's zone, Min/Max only), for fleets where AWS's own scheduler is enough.
 */

import { Temporal } from 'temporal-polyfill';
import { type Bounds, compileScheduledActions, type ScheduledAction } from '../lib/schedule/compile';
import { loadScheduleFile, type ScheduleFile } from '../lib/schedule/config';
import {
  type FleetSchedule,
  fleetSchedule,
  namedFleets,
  parseInstant,
  parseOptions,
  UsageError,
} from './schedule-args';

export const COMPILE_HELP = `Usage: autopilot schedule compile <file> [--fleet <name> [--schedule <name>]] [--at <time>] [--json]

Prints the Application Auto Scaling scheduled actions equivalent to each named fleet's schedule as
\`aws application-autoscaling put-scheduled-action\` commands (they need a scalable target on the
fleet: the register-scalable-target line comes first and sets Min/Max to the schedule's value at
--at), or why a schedule can't be expressed that way (holidays, overlapping periods, nth/last
weekdays, L/W monthdays, times DST skips or repeats, stopWhenZero). The fleet's maxCapacity
guard clamps Min/Max as a run does; notes say where the actions still differ from a run
(enforced). Exits 0 when every fleet compiled, 1 when one couldn't (the output lists the others).
  --fleet <name>     only this fleet
  --schedule <name>  the schedule of a fleet selected by tag (with --fleet)
  --at <time>        when the commands will be run (ISO-8601, or local time in the schedule's
                     zone; default now): the register line's Min/Max are the value in force then
  --json             prints {"fleets":[{"fleet","schedule","region","register":{MinCapacity,MaxCapacity},
                     "actions":[<PutScheduledAction input>],"notes":[...]} | {"fleet","schedule","unsupported":[reasons]}]}
  -h, --help         this help`;

/** AppStream's scalable target for a fleet (Application Auto Scaling `appstream` namespace). */
const target = (fleet: string) => ({
  ServiceNamespace: 'appstream',
  ResourceId: `fleet/${fleet}`,
  ScalableDimension: 'appstream:fleet:DesiredCapacity',
});

/** A PutScheduledAction request for one compiled action. */
function putScheduledActionInput(fleet: string, a: ScheduledAction) {
  return {
    ...target(fleet),
    ScheduledActionName: a.name,
    Schedule: a.schedule,
    Timezone: a.timezone,
    ScalableTargetAction: {
      ...(a.min !== undefined ? { MinCapacity: a.min } : {}),
      ...(a.max !== undefined ? { MaxCapacity: a.max } : {}),
    },
  };
}

/** POSIX shell quoting: bare when safe, else single quotes. */
const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

type PutInput = ReturnType<typeof putScheduledActionInput>;

/**
 * The AWS CLI commands for one fleet: register the scalable target with the Min/Max in force
 * when they run (`register`), then one line per action.
 */
function cliCommands(fleet: string, actions: PutInput[], register: Bounds, region?: string): string[] {
  const t = target(fleet);
  const where = `--service-namespace ${t.ServiceNamespace} --resource-id ${shellQuote(t.ResourceId)} --scalable-dimension ${t.ScalableDimension}${region ? ` --region ${region}` : ''}`;
  const lines = [
    `aws application-autoscaling register-scalable-target ${where} --min-capacity ${register.min} --max-capacity ${register.max}`,
  ];
  for (const a of actions) {
    const b = a.ScalableTargetAction;
    const targetAction = [
      b.MinCapacity !== undefined ? `MinCapacity=${b.MinCapacity}` : '',
      b.MaxCapacity !== undefined ? `MaxCapacity=${b.MaxCapacity}` : '',
    ]
      .filter(Boolean)
      .join(',');
    lines.push(
      `aws application-autoscaling put-scheduled-action ${where} --scheduled-action-name ${shellQuote(a.ScheduledActionName)} --schedule ${shellQuote(a.Schedule)} --timezone ${shellQuote(a.Timezone)} --scalable-target-action ${targetAction}`,
    );
  }
  return lines;
}

export async function compileCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    fleet: { type: 'string' },
    schedule: { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(COMPILE_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path) throw new UsageError('a schedule file is required (autopilot schedule compile <file>)');
  if (values.schedule && !values.fleet) throw new UsageError('--schedule goes with --fleet');
  const file = loadScheduleFile(path);
  const fleets: (FleetSchedule & { fleet: string })[] = values.fleet
    ? [{ fleet: values.fleet, ...fleetSchedule(file, values.fleet, values.schedule) }]
    : namedFleets(file);
  const results = fleets.map((f) => {
    const at = values.at ? parseInstant('at', values.at, f.schedule.timezone) : Date.now();
    return compileFleet(f, Temporal.Instant.fromEpochMilliseconds(at));
  });
  if (values.json) console.log(JSON.stringify({ fleets: results }));
  else printCompiled(results, values.fleet ? [] : tagSelectors(file));
  return results.every((r) => 'actions' in r) ? 0 : 1;
}

type Compiled =
  | {
      fleet: string;
      schedule: string;
      region?: string;
      register: { MinCapacity: number; MaxCapacity: number };
      actions: PutInput[];
      notes: string[];
    }
  | { fleet: string; schedule: string; unsupported: string[] };

function compileFleet(f: FleetSchedule & { fleet: string }, at: Temporal.Instant): Compiled {
  const region = f.selector?.region;
  // A fleet's own settings that AWS's scheduled actions can't do, beside the schedule's.
  const own: string[] = [];
  if (f.selector?.stopWhenZero)
    own.push('stopWhenZero: scheduled actions only set Min/Max, they never stop or start a fleet');
  const guard = f.selector?.maxCapacity;
  const out = compileScheduledActions(
    f.schedule,
    f.fleet,
    at,
    guard === undefined ? {} : { maxCapacity: guard },
  );
  if ('unsupported' in out || own.length)
    return {
      fleet: f.fleet,
      schedule: f.name,
      unsupported: [...own, ...('unsupported' in out ? out.unsupported : [])],
    };
  return {
    fleet: f.fleet,
    schedule: f.name,
    ...(region ? { region } : {}),
    register: { MinCapacity: out.register.min, MaxCapacity: out.register.max },
    actions: out.actions.map((a) => putScheduledActionInput(f.fleet, a)),
    notes: out.notes,
  };
}

function printCompiled(results: Compiled[], byTag: string[]) {
  for (const r of results) {
    if ('unsupported' in r) {
      console.log(`# fleet ${r.fleet} (schedule ${r.schedule}): can't be compiled to scheduled actions:`);
      for (const why of r.unsupported) console.log(`#   - ${why}`);
      continue;
    }
    console.log(`# fleet ${r.fleet} (schedule ${r.schedule}): ${r.actions.length} scheduled action(s)`);
    for (const note of r.notes) console.log(`#   note: ${note}`);
    const register = { min: r.register.MinCapacity, max: r.register.MaxCapacity };
    for (const line of cliCommands(r.fleet, r.actions, register, r.region)) console.log(line);
  }
  for (const tag of byTag)
    console.log(
      `# fleets selected by tag ${tag}: autopilot schedule compile <file> --fleet <name> --schedule <its tag value>`,
    );
}

const tagSelectors = (file: ScheduleFile) => file.fleets.flatMap((f) => ('tag' in f ? [f.tag] : []));
