const USAGE = `Usage: autopilot <command> [options]

Commands:
  emulator   run the AppStream 2.0 control-plane emulator
  pipeline   run, validate or inspect image pipelines (run --local uses the embedded emulator)
  schedule   fleet scaling schedules: validate, preview, run, override, compile, simulate
  cleanup    idle image-builder cleanup: validate, run, simulate
  local      every trigger locally: local up (emulator, runtime, webhook API, schedules)

\`autopilot <command> --help\` describes a command.
`;

export {};

// Each command is loaded only when run: the emulator process doesn't carry the pipeline's SDK
// clients and runtime (memory: see bench/emulator.ts).
const commands = new Map<string, (argv: string[]) => Promise<void>>([
  ['emulator', async (argv) => (await import('./emulator-command')).emulatorCommand(argv)],
  ['pipeline', async (argv) => (await import('./pipeline-command')).pipelineCommand(argv)],
  ['schedule', async (argv) => (await import('./schedule-command')).scheduleCommand(argv)],
  ['cleanup', async (argv) => (await import('./cleanup-command')).cleanupCommand(argv)],
  ['local', async (argv) => (await import('./local-command')).localCommand(argv)],
]);

const [name, ...rest] = process.argv.slice(2);
if (name === '--help' || name === '-h' || name === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const command = name ? commands.get(name) : undefined;
if (!command) {
  console.error(name ? `Unknown command '${name}'.\n\n${USAGE}` : USAGE);
  process.exit(2);
}
try {
  await command(rest);
} catch (err) {
  // Errors reach the user as one line naming the problem, never a stack trace.
  const e = err as Error;
  console.error(
    `autopilot ${name}: ${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`,
  );
  process.exit(1);
}
