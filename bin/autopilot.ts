import { demoCommand } from './demo-command';
import { emulatorCommand } from './emulator-command';

const USAGE = `Usage: autopilot <command> [options]

Commands:
  emulator   run the AppStream 2.0 control-plane emulator
  demo       start the emulator in-process and run a short flow against it
`;

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  emulator: emulatorCommand,
  demo: demoCommand,
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
  console.error(`autopilot ${name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
