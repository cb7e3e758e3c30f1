import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { describePipelineExecution, startPipelineExecution } from '../lib/cli/aws-executions';
import { readPipelineFile, validatePipeline } from '../lib/config/load';
import { runPipelineLocally } from '../lib/local/pipeline';
import { printSummary, progressPrinter } from './progress';

const HELP = `Usage:
  autopilot pipeline run <file> [--local]                 run on the embedded emulator (default)
  autopilot pipeline run <file> --aws --state-machine-arn <arn> [--name <execution>]
  autopilot pipeline status <execution name | execution ARN>
  autopilot pipeline validate <file>`;

const RUNS_DIR = '.autopilot/executions';

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
    },
  });
  const file = positionals[0];
  if (!file) throw new Error(`a pipeline file is required\n${HELP}`);
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
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

async function status(argv: string[]): Promise<number> {
  const id = argv[0];
  if (!id) throw new Error(`an execution name or ARN is required\n${HELP}`);
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
  else if (sub === 'validate') {
    const config = validatePipeline(readPipelineFile(rest[0] ?? ''), rest[0]);
    console.log(`${rest[0]}: valid pipeline '${config.name}'`);
    code = 0;
  } else {
    console.log(HELP);
    code = sub ? 2 : 0;
  }
  process.exitCode = code;
}
