import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  executionName as makeExecutionName,
  pipelineExecutionStatus,
  startPipelineExecution,
  waitForExecution,
} from '../lib/cli/aws-executions';
import { readPipelineFile, validatePipeline } from '../lib/config/load';
import { runPipelineLocally } from '../local/pipeline';
import { runPipelineRemote } from '../local/up/remote-pipeline';
import { VALIDATE_USAGE, validateCommand } from './pipeline-validate';
import { printSummary, progressPrinter } from './progress';

const RUN_HELP = `Usage:
  autopilot pipeline run <file> [--local] [--endpoint-url <emulator>] [--name <execution>]
  autopilot pipeline run <file> --aws --state-machine-arn <arn> [--wait] [--name <execution>] [--region <region>]

Runs the pipeline defined in <file> (YAML).
  --local                    on the embedded AppStream emulator with the local Step Functions runtime,
                             virtual clock (the default); the run is kept under .autopilot/executions/
  --endpoint-url <url>       (with --local) against an emulator that is already up (autopilot emulator,
                             autopilot local up) instead of an embedded one, so you can watch the run
                             with the AWS CLI (aws appstream describe-image-builders --endpoint-url <url>);
                             its virtual clock moves as the run waits
  --aws                      starts an execution of the deployed image pipeline state machine
  --state-machine-arn <arn>  the deployed state machine (with --aws)
  --wait                     (with --aws) waits for the execution to end, prints its status and exits
                             0 succeeded, 1 failed, 3 a builder is still billing
  --region <region>          the state machine's region (default: from the ARN)
  --name <execution>         the Step Functions execution name: 1 to 80 letters, digits, - and _ (an
                             invalid name is refused, not rewritten; default: the pipeline name, cut
                             to fit, plus a UTC timestamp and a random suffix, unique per run); the
                             run's builder name derives from it and \`pipeline status <execution>\` finds it
  -h, --help                 this help`;

const HELP = `Usage:
  autopilot pipeline run <file> [--local] [--name <execution>]    run on the embedded emulator (default)
  autopilot pipeline run <file> --local --endpoint-url <emulator>   run against an emulator that is already up
  autopilot pipeline run <file> --aws --state-machine-arn <arn> [--wait] [--name <execution>] [--region <region>]
  autopilot pipeline status <execution name | execution ARN>
  autopilot pipeline validate <file> [--preflight [--local | --endpoint-url <url> | --aws]]

\`autopilot pipeline <command> --help\` describes a command's options.`;

const STATUS_HELP = `Usage: autopilot pipeline status <execution name | execution ARN>

Prints the summary of a local run (by its execution name, kept under .autopilot/executions/) or
the status of an execution of the deployed state machine (by its ARN). Exits 0 when it succeeded
(or is still running), 1 when it failed, timed out or was aborted, 3 when it left a builder
billing ("builder X is still RUNNING and billing").`;

const isHelp = (argv: string[]) => argv.some((a) => a === '--help' || a === '-h');

const RUNS_DIR = '.autopilot/executions';

/**
 * Exit code of a local run: 0 succeeded, 1 failed, 3 the run left its builder billing (cleanup
 * could not stop it: "builder X is still RUNNING and billing"; a person must act).
 */
export function exitCodeOf(result: { status: string }, summary: { alert?: string }): number {
  if (summary.alert) return 3;
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      local: { type: 'boolean' },
      aws: { type: 'boolean' },
      'endpoint-url': { type: 'string' },
      'state-machine-arn': { type: 'string' },
      name: { type: 'string' },
      region: { type: 'string' },
      wait: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(RUN_HELP);
    return 0;
  }
  const file = positionals[0];
  if (!file) throw new Error(`a pipeline file is required\n${RUN_HELP}`);
  if (values.wait && !values.aws) throw new Error('--wait goes with --aws (a local run always waits)');
  const config = validatePipeline(readPipelineFile(file), file);
  const executionName = makeExecutionName(config.name, Date.now(), values.name);
  if (values['endpoint-url'] && values.aws)
    throw new Error('--endpoint-url goes with --local (an emulator), not --aws');
  if (values.aws) {
    const arn = values['state-machine-arn'];
    if (!arn) throw new Error('--aws needs --state-machine-arn (the deployed image pipeline state machine)');
    const sfn = new SFNClient({ region: values.region ?? arn.split(':')[3] });
    return runOnAws(sfn, arn, executionName, config, Boolean(values.wait));
  }
  const endpointUrl = values['endpoint-url'];
  console.log(
    endpointUrl
      ? `Running pipeline ${config.name} locally against the emulator at ${endpointUrl} (its virtual clock)`
      : `Running pipeline ${config.name} locally (embedded AppStream emulator, virtual clock)`,
  );
  const { result, summary } = endpointUrl
    ? await runPipelineRemote({ config, executionName, endpointUrl, onProgress: progressPrinter() })
    : await runPipelineLocally({
        config,
        executionName,
        onProgress: progressPrinter(),
      });
  printSummary(result, summary);
  mkdirSync(RUNS_DIR, { recursive: true });
  writeFileSync(
    join(RUNS_DIR, `${executionName}.json`),
    JSON.stringify({ executionName, file, result, summary }, null, 2),
  );
  return exitCodeOf(result, summary);
}

/** `pipeline run --aws [--wait]`: starts the execution; with --wait, its exit code as `status` gives it. */
export async function runOnAws(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  config: Parameters<typeof startPipelineExecution>[3],
  wait: boolean,
  opts: Parameters<typeof waitForExecution>[2] = {},
  out: (line: string) => void = console.log,
): Promise<number> {
  const executionArn = await startPipelineExecution(sfn, stateMachineArn, name, config);
  out(`Started ${executionArn}`);
  if (!wait) return 0;
  const done = await waitForExecution(sfn, executionArn, opts);
  out(done.text);
  return done.code;
}

/** `pipeline status <ARN>` against Step Functions: prints the status, returns its exit code. */
export async function awsStatus(
  sfn: SFNClient,
  executionArn: string,
  out: (line: string) => void = console.log,
) {
  const s = await pipelineExecutionStatus(sfn, executionArn);
  out(s.text);
  return s.code;
}

async function status(argv: string[]): Promise<number> {
  if (isHelp(argv)) {
    console.log(STATUS_HELP);
    return 0;
  }
  const id = argv[0];
  if (!id) throw new Error(`an execution name or ARN is required\n${STATUS_HELP}`);
  if (id.startsWith('arn:')) {
    return awsStatus(new SFNClient({ region: id.split(':')[3] }), id);
  }
  let names: string[] = [];
  try {
    names = readdirSync(RUNS_DIR);
  } catch {
    // No local runs yet.
  }
  const file = names.find((n) => n === `${id}.json`);
  if (!file) throw new Error(`no local execution named '${id}' (local runs are kept in ${RUNS_DIR})`);
  const rec = JSON.parse(readFileSync(join(RUNS_DIR, file), 'utf8'));
  printSummary(rec.result, rec.summary);
  return exitCodeOf(rec.result, rec.summary);
}

export async function pipelineCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  let code: number;
  if (sub === 'run') code = await run(rest);
  else if (sub === 'status') code = await status(rest);
  else if (sub === 'validate' && isHelp(rest)) {
    console.log(VALIDATE_USAGE);
    code = 0;
  } else if (sub === 'validate') {
    code = await validateCommand(rest);
  } else if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    console.log(HELP);
    code = 0;
  } else {
    console.error(`Unknown pipeline command '${sub}'.\n\n${HELP}`);
    code = 2;
  }
  process.exitCode = code;
}
