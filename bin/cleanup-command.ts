/**
 * `autopilot cleanup <validate|run|simulate>`: idle image-builder cleanup. Each subcommand lives
 * in its own bin/cleanup-*.ts and is loaded only when run.
 */
import { UsageError } from './schedule-args';

const HELP = `Usage:
  autopilot cleanup validate <policy> [--json]
  autopilot cleanup run <policy> --local [--endpoint-url <url>] [--dry-run] [--json]
  autopilot cleanup simulate <policy> [--hours 48] --local [--json]

Idle image-builder cleanup: warn, stop and (optionally) delete builders nobody is using (see
examples/cleanup.yaml). \`autopilot cleanup <command> --help\` describes a command's options.
Exit codes: 0 done, 1 failed (an invalid policy, a builder or account/region that failed),
2 a command line that can't be understood.`;

type Sub = (argv: string[]) => Promise<number>;

const subcommands = new Map<string, () => Promise<Sub>>([
  ['validate', async () => (await import('./cleanup-validate')).validateCommand],
  ['run', async () => (await import('./cleanup-run')).runCommand],
  ['simulate', async () => (await import('./cleanup-simulate')).simulateCommand],
]);

export async function cleanupCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    console.log(HELP);
    process.exitCode = 0;
    return;
  }
  const load = subcommands.get(sub);
  if (!load) {
    console.error(`Unknown cleanup command '${sub}'.\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  try {
    process.exitCode = await (await load())(rest);
  } catch (err) {
    // A command line we can't use: one line and exit 2; anything else goes to autopilot.ts (exit 1).
    if (!(err instanceof UsageError)) throw err;
    console.error(`autopilot cleanup ${sub}: ${err.message} (see --help)`);
    process.exitCode = 2;
  }
}
