import { UsageError } from './schedule-args';

/** One subcommand: runs with its arguments and answers the exit code. */
export type Subcommand = (argv: string[]) => Promise<number>;

/**
 * Runs `autopilot <command> <sub> …`: help, an unknown subcommand (exit 2), and a command line it
 * can't use (UsageError: one line, exit 2); anything else goes to autopilot.ts (exit 1).
 * Subcommands are loaded only when run.
 */
export async function runSubcommand(
  command: string,
  help: string,
  subcommands: Map<string, () => Promise<Subcommand>>,
  argv: string[],
): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    console.log(help);
    process.exitCode = 0;
    return;
  }
  const load = subcommands.get(sub);
  if (!load) {
    console.error(`Unknown ${command} command '${sub}'.\n\n${help}`);
    process.exitCode = 2;
    return;
  }
  try {
    process.exitCode = await (await load())(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`autopilot ${command} ${sub}: ${err.message} (see --help)`);
    process.exitCode = 2;
  }
}
