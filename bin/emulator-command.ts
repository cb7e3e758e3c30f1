import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator';
import { stopOnSignals } from './stop-signals';
import { runSubcommand } from './subcommands';

const HELP = `Usage: autopilot emulator [--port 4566] [--host 127.0.0.1] [--speed 600] [--state-file f.json] [--seed 1]

Runs the AppStream 2.0 control-plane emulator. Point any AWS client at the printed endpoint:
  aws appstream describe-images --endpoint-url <endpoint> --region us-east-1
Control API under <endpoint>/_emulator/ (reset, clock, quotas, faults, image-assistant).

  autopilot emulator fault <set|fail|fail-transition|list|clear> [--endpoint-url <url>] [--json]
      injects faults into a running emulator (autopilot emulator fault --help)`;

export async function emulatorCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'fault') {
    // `autopilot emulator fault …`: the fault-injection control API of a running emulator.
    await runSubcommand(
      'emulator',
      HELP,
      new Map([['fault', async () => (await import('./emulator-fault')).faultCommand]]),
      argv,
    );
    return;
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      speed: { type: 'string', default: '1' },
      'state-file': { type: 'string' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const number = (name: string, v: string, ok: (n: number) => boolean, what: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw new Error(`--${name} must be ${what}, got '${v}'`);
    return n;
  };
  const emu = await startEmulator({
    port: number(
      'port',
      values.port,
      (n) => Number.isInteger(n) && n >= 0 && n < 65536,
      'a port number (0 picks a free one)',
    ),
    host: values.host,
    speed: number('speed', values.speed, (n) => n > 0, 'a positive number'),
    seed: number('seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    stateFile: values['state-file'],
  });
  console.log(`AppStream 2.0 emulator listening on ${emu.endpoint} (speed ×${emu.world.clock.speed})`);
  stopOnSignals(STOP_DEADLINE_MS, async (reason) => {
    console.log(
      `\n${reason}: stopping emulator${values['state-file'] ? `, saving state to ${values['state-file']}` : ''}`,
    );
    await emu.stop();
    process.exit(0);
  });
}

/** The longest a stop (close listeners and connections, save the state file) may take. */
const STOP_DEADLINE_MS = 5000;
