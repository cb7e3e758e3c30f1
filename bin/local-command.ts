/** `autopilot local <up>`: every trigger of the deployed service on a laptop. */
import { runSubcommand, type Subcommand } from './subcommands';

const HELP = `Usage:
  autopilot local up [--port 4566] [--api-port 4567] [--speed N] [--endpoint-url <emulator>] [--json]

Starts the AppStream emulator, the local runtime of the three workflows, a webhook server with
the deployed API's routes and auth, a scheduler firing serverless.yml's schedules on the virtual
clock, and the delivery of emulator events to the connection recorder.
\`autopilot local up --help\` describes its options.`;

const subcommands = new Map<string, () => Promise<Subcommand>>([
  ['up', async () => (await import('./local-up')).upCommand],
]);

export async function localCommand(argv: string[]): Promise<void> {
  await runSubcommand('local', HELP, subcommands, argv);
}
