/**
 * `autopilot cleanup <validate|run|simulate>`: idle image-builder cleanup. Each subcommand lives
 * in its own bin/cleanup-*.ts and is loaded only when run.
 */
import { runSubcommand, type Subcommand } from './subcommands';

const HELP = `Usage:
  autopilot cleanup validate <policy> [--json]
  autopilot cleanup run <policy> --local [--endpoint-url <url>] [--dry-run] [--json]
  autopilot cleanup run <policy> --aws --state-machine-arn <arn> [--region <r>] [--dry-run] [--json] [--no-wait]
  autopilot cleanup simulate <policy> [--hours 48] --local [--json]

Idle image-builder cleanup: warn, stop and (optionally) delete builders nobody is using (see
examples/cleanup.yaml). \`autopilot cleanup <command> --help\` describes a command's options.
Exit codes: 0 done, 1 failed (an invalid policy, an execution, a builder or account/region that failed),
2 a command line that can't be understood.`;

const subcommands = new Map<string, () => Promise<Subcommand>>([
  ['validate', async () => (await import('./cleanup-validate')).validateCommand],
  ['run', async () => (await import('./cleanup-run')).runCommand],
  ['simulate', async () => (await import('./cleanup-simulate')).simulateCommand],
]);

export async function cleanupCommand(argv: string[]): Promise<void> {
  await runSubcommand('cleanup', HELP, subcommands, argv);
}
