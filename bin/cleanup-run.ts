/** `autopilot cleanup run`: one cleanup sweep at the (virtual) now. */
import { loadPolicyFile } from './cleanup-args';
import { decisionLines, decisionsJson, failedExit, summaryLines } from './cleanup-report';
import { emulatorNow, parseOptions, UsageError } from './schedule-args';

export const RUN_HELP = `Usage: autopilot cleanup run <policy> --local [--endpoint-url <url>] [--dry-run] [--json]
       autopilot cleanup run <policy> --aws --state-machine-arn <arn> [--region <region>] [--dry-run] [--json] [--no-wait]

Runs the builder-cleanup workflow once at the (virtual) now and prints the decision table
(account, region, builder, state, idle for, action, reason) and the run's summary. Locally the
connection events the emulator logged since the last run are recorded first (the local stand-in
for EventBridge delivery).
  --local                the local Step Functions runtime against the embedded emulator (empty
                         unless the workflow seeds it)
  --endpoint-url <url>   (with --local) against a running emulator (\`autopilot emulator\`): its
                         builders, accounts and virtual clock
  --cursor-file <file>   (with --endpoint-url) where the event-log cursor is kept between runs
                         (default: none, every run reads the whole kept log again; recording is
                         idempotent)
  --aws                  starts the deployed builder-cleanup state machine (Standard) with the
                         policy file as its input and waits for it to end (DescribeExecution every
                         2, 4, 8, then 10 s; Ctrl-C stops the waiting, not the execution: exit 130)
  --state-machine-arn    (with --aws) the deployed state machine,
                         arn:aws:states:<region>:<account>:stateMachine:appstream-autopilot-<stage>-builder-cleanup
  --region <region>      (with --aws) default: the state machine ARN's
  --no-wait              (with --aws) prints the execution's ARN and exits 0 once it started
  --dry-run              decide and report only: nothing is stopped, deleted or tagged (also the
                         policy's dryRun: true)
  --json                 prints {"decisions": [{account, region, builder, state, idleMinutes,
                         action, reason}], "summary": {...}}
  -h, --help             this help
Exits 0 when every decision was applied (or needed nothing), 1 when the execution, a builder's
action or an account/region failed, 2 for a command line it can't use.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    local: { type: 'boolean' },
    'endpoint-url': { type: 'string' },
    'cursor-file': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    aws: { type: 'boolean' },
    'state-machine-arn': { type: 'string' },
    region: { type: 'string' },
    'no-wait': { type: 'boolean' },
  });
  if (values.help) {
    console.log(RUN_HELP);
    return 0;
  }
  const path = positionals[0];
  if (!path)
    throw new UsageError('a policy file is required (autopilot cleanup run <policy> --local | --aws)');
  if (values.aws) {
    const local = (['local', 'endpoint-url', 'cursor-file'] as const).find((k) => values[k] !== undefined);
    if (local) throw new UsageError(`--aws runs the deployed state machine: it takes no --${local}`);
    const { raw, policy } = loadPolicyFile(path);
    const { runCleanupOnAws } = await import('./cleanup-aws');
    return runCleanupOnAws({
      path,
      policy: raw,
      stateMachineArn: values['state-machine-arn'],
      region: values.region,
      dryRun: Boolean(values['dry-run']) || policy.dryRun,
      json: Boolean(values.json),
      wait: !values['no-wait'],
    });
  }
  const awsOnly = (['state-machine-arn', 'region', 'no-wait'] as const).find((k) => values[k] !== undefined);
  if (awsOnly) throw new UsageError(`--${awsOnly} goes with --aws`);
  if (!values.local)
    throw new UsageError(
      'where to run: --local (the local runtime against the emulator) or --aws --state-machine-arn <arn> (the deployed state machine)',
    );
  const endpoint = values['endpoint-url'];
  if (values['cursor-file'] && !endpoint)
    throw new UsageError('--cursor-file needs --endpoint-url: the embedded emulator starts afresh every run');
  const { raw, policy } = loadPolicyFile(path);
  // The run's "now" is the emulator's virtual clock: without one answering there's no run.
  const now = endpoint ? await emulatorNow(endpoint) : undefined;
  if (endpoint && now === undefined)
    throw new UsageError(
      `no emulator answers at ${endpoint} (GET /_emulator/clock): start one with \`autopilot emulator\``,
    );
  const dryRun = Boolean(values['dry-run']) || policy.dryRun;
  // Loaded only for a run: the local runtime and the emulator aren't needed to print a usage error.
  const { runCleanupLocally } = await import('../local/cleanup');
  const { result, decisions, summary } = await runCleanupLocally({
    policy: raw,
    endpointUrl: endpoint,
    dryRun,
    cursorFile: values['cursor-file'],
  });
  if (values.json) console.log(JSON.stringify(decisionsJson(decisions, summary)));
  else {
    const where = endpoint ?? 'the embedded emulator';
    console.log(
      `Idle builder cleanup from ${path} against ${where} (local runtime, virtual clock)${dryRun ? ': DRY RUN, nothing changed' : ''}`,
    );
    for (const line of decisionLines(decisions)) console.log(line);
    console.log('');
    for (const line of summaryLines(summary)) console.log(line);
    console.log(
      `  execution ${result.status}, ${result.transitions} state transitions, ${result.lambdaInvocations} Lambda calls`,
    );
  }
  if (result.status !== 'SUCCEEDED') {
    console.error(
      `autopilot cleanup run: execution ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`.trim(),
    );
    return 1;
  }
  return failedExit(decisions, summary);
}
