/** `autopilot schedule run`: one evaluation of the schedules at the (virtual) now. */
import { loadScheduleFile } from '../lib/schedule/config';
import { runScheduleLocally } from '../local/schedule';
import { emulatorNow, intOption, parseOptions, UsageError } from './schedule-args';
import { runOnAws } from './schedule-aws';
import { reportLines } from './schedule-report';

export const RUN_HELP = `Usage:
  autopilot schedule run <file> [--local [--endpoint-url <url>]] [--dry-run] [--json]
  autopilot schedule run <file> --aws --state-machine-arn <arn> [--region <region>]

Runs the fleet-schedule workflow once, at the (virtual) now, and prints per fleet: before → after
(in the fleet's unit), action, reason, and any cap, forced cut or failure.
  --local               the local Step Functions runtime (the default) against the embedded
                        emulator, seeded with the file's named fleets
  --endpoint-url <url>  (with --local) against a running emulator (\`autopilot emulator\`) and its
                        fleets and virtual clock instead
  --dry-run             plan only: nothing is changed, no tag is written
  --cadence <m>         minutes between the deployment's runs (1 to 60, default 5): capacity due
                        before the next run could act a start lead ahead is acted on now
  --aws                 runs the deployed fleet-schedule state machine (Express) once with the file
                        as input (StartSyncExecution; needs states:StartSyncExecution) and prints
                        its report
  --state-machine-arn   the deployed state machine (with --aws)
  --json                prints the run's report as JSON
  -h, --help            this help
Exits 0 when every fleet was applied or needed nothing, 1 when a fleet failed or the run did.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    local: { type: 'boolean' },
    'endpoint-url': { type: 'string' },
    'dry-run': { type: 'boolean' },
    cadence: { type: 'string' },
    aws: { type: 'boolean' },
    'state-machine-arn': { type: 'string' },
    region: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(RUN_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path) throw new UsageError('a schedule file is required (autopilot schedule run <file>)');
  if (values.aws && (values.local || values['endpoint-url']))
    throw new UsageError('--aws runs the deployed state machine: it takes no --local or --endpoint-url');
  const config = loadScheduleFile(path);
  if (values.aws) {
    if (values['dry-run'])
      throw new UsageError('--dry-run is local only: the deployed state machine applies what it plans');
    return runOnAws(config, values['state-machine-arn'], values.region, Boolean(values.json));
  }
  const endpoint = values['endpoint-url'];
  // The run's "now" is the emulator's virtual clock: without one answering there's no run.
  if (endpoint && (await emulatorNow(endpoint)) === undefined)
    throw new UsageError(
      `no emulator answers at ${endpoint} (GET /_emulator/clock): start one with \`autopilot emulator\``,
    );
  const { result, report } = await runScheduleLocally({
    config,
    dryRun: Boolean(values['dry-run']),
    endpointUrl: endpoint,
    cadenceMinutes: intOption('cadence', values.cadence, 1, 60),
  });
  if (values.json) console.log(JSON.stringify(report));
  else {
    const where = endpoint ?? 'the embedded emulator';
    console.log(`Fleet schedules from ${path} against ${where} (local runtime, virtual clock)`);
    for (const line of reportLines(report)) console.log(line);
    console.log(
      `  execution ${result.status}, ${result.transitions} state transitions, ${result.lambdaInvocations} Lambda calls`,
    );
  }
  if (result.status !== 'SUCCEEDED') {
    console.error(
      `autopilot schedule run: execution ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`.trim(),
    );
    return 1;
  }
  return report.failed.length ? 1 : 0;
}
