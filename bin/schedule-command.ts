/**
 * `autopilot schedule <validate|preview|run|override|compile|simulate>`: fleet scaling schedules.
 * Each subcommand lives in its own bin/schedule-*.ts and is loaded only when run.
 */
import { runSubcommand, type Subcommand } from './subcommands';

const HELP = `Usage:
  autopilot schedule validate <file> [--json]
  autopilot schedule preview <file> --fleet <name> [--from <time>] [--days 7] [--json] [--svg out.svg]
                             [--schedule <name>] [--endpoint-url <url> | --aws]
  autopilot schedule run <file> [--local [--endpoint-url <url>]] [--dry-run] [--json]
  autopilot schedule run <file> --aws --state-machine-arn <arn>
  autopilot schedule override --fleet <name> --capacity <n> --until <time> [--zone <zone>] [--file <f>]
  autopilot schedule override --fleet <name> --clear
  autopilot schedule compile <file> [--fleet <name>] [--json]
  autopilot schedule simulate <file> [--days 7] [--from <time>] [--cadence 5] --local [--json]

Fleet scaling schedules (see examples/schedules.yaml). \`autopilot schedule <command> --help\`
describes a command's options. Exit codes: 0 done, 1 failed (or: invalid file, a fleet failed,
a schedule that can't be compiled), 2 a command line that can't be understood.`;

const subcommands = new Map<string, () => Promise<Subcommand>>([
  ['validate', async () => (await import('./schedule-preview')).validateCommand],
  ['preview', async () => (await import('./schedule-preview')).previewCommand],
  ['run', async () => (await import('./schedule-run')).runCommand],
  ['override', async () => (await import('./schedule-override')).overrideCommand],
  ['compile', async () => (await import('./schedule-compile')).compileCommand],
  ['simulate', async () => (await import('./schedule-simulate')).simulateCommand],
]);

export async function scheduleCommand(argv: string[]): Promise<void> {
  await runSubcommand('schedule', HELP, subcommands, argv);
}
