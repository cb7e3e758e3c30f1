import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describePipelineExecution, startPipelineExecution } from '../lib/cli/aws-executions';
import { readPipelineFile, validatePipeline } from '../lib/config/load';
import { runPipelineLocally } from '../lib/local/pipeline';
import { VALIDATE_USAGE, validateCommand } from './pipeline-validate';
import { printSummary, progressPrinter } from './progress';

const RUN_HELP = `Usage:
  autopilot pipeline run <file> [--local] [--name <execution>]
  autopilot pipeline run <file> --aws --state-machine-arn <arn> [--name <execution>] [--region <region>]

Runs the pipeline defined in <file> (YAML).
  --local                    on the embedded AppStream emulator with the local Step Functions runtime,
                             virtual clock (the default); the run is kept under .autopilot/executions/
  --aws                      starts an execution of the deployed image pipeline state machine
  --state-machine-arn <arn>  the deployed state machine (with --aws)
  --region <region>          the state machine's region (default: from the ARN)
  --name <execution>         the Step Functions execution name, up to 80 letters, digits, - and _
                             (default: generated from the pipeline name, unique per run); the run's
                             builder name derives from it and \`pipeline status <execution>\` finds it
  -h, --help                 this help`;

const HELP = `Usage:
  autopilot pipeline run <file> [--local] [--name <execution>]    run on the embedded emulator (default)
  autopilot pipeline run <file> --aws --state-machine-arn <arn> [--name <execution>] [--region <region>]
  autopilot pipeline status <execution name | execution ARN>
  autopilot pipeline validate <file> [--preflight [--local | --endpoint-url <url> | --aws]]

\`autopilot pipeline <command> --help\` describes a command's options.`;

const STATUS_HELP = `Usage: autopilot pipeline status <execution name | execution ARN>

Prints the summary of a local run (by its execution name, kept under .autopilot/executions/) or
the status of an execution of the deployed state machine (by its ARN).`;

const VALIDATE_HELP = VALIDATE_USAGE;

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
      'state-machine-arn': { type: 'string' },
      name: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(RUN_HELP);
    return 0;
  }
  const file = positionals[0];
  if (!file) throw new Error(`a pipeline file is required\n${RUN_HELP}`);
  const config = validatePipeline(readPipelineFile(file), file);
  const executionName = values.name ?? `${config.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (values.aws) {
    const arn = values['state-machine-arn'];
    if (!arn) throw new Error('--aws needs --state-machine-arn (the deployed image pipeline state machine)');
    const sfn = new SFNClient({ region: values.region ?? arn.split(':')[3] });
    console.log(`Started ${await startPipelineExecution(sfn, arn, executionName, config)}`);
    return 0;
  }
  console.log(`Running pipeline ${config.name} locally (embedded AppStream emulator, virtual clock)`);
  const { result, summary } = await runPipelineLocally({
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

async function status(argv: string[]): Promise<number> {
  if (isHelp(argv)) {
    console.log(STATUS_HELP);
    return 0;
  }
  const id = argv[0];
  if (!id) throw new Error(`an execution name or ARN is required\n${STATUS_HELP}`);
  if (id.startsWith('arn:')) {
    console.log(await describePipelineExecution(new SFNClient({ region: id.split(':')[3] }), id));
    return 0;
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
  return 0;
}

export async function pipelineCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  let code: number;
  if (sub === 'run') code = await run(rest);
  else if (sub === 'status') code = await status(rest);
  else if (sub === 'validate' && isHelp(rest)) {
    console.log(VALIDATE_HELP);
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
