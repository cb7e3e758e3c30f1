import { emulatorCommand } from './emulator-command';
import { pipelineCommand } from './pipeline-command';

const USAGE = `Usage: autopilot <command> [options]

Commands:
  emulator   run the AppStream 2.0 control-plane emulator
  pipeline   run, validate or inspect image pipelines (run --local uses the embedded emulator)
`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  emulator: emulatorCommand,
  pipeline: pipelineCommand,
};

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
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
