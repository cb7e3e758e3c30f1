import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator';

const HELP = `Usage: autopilot emulator [--port 4566] [--host 127.0.0.1] [--speed 600] [--state-file f.json] [--seed 1]

Runs the AppStream 2.0 control-plane emulator. Point any AWS client at the printed endpoint:
  aws appstream describe-images --endpoint-url <endpoint> --region us-east-1
Control API under <endpoint>/_emulator/ (reset, clock, quotas, faults, image-assistant).`;

export async function emulatorCommand(argv: string[]): Promise<void> {
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
  const stop = async (signal: string) => {
    console.log(
      `\n${signal}: stopping emulator${values['state-file'] ? `, saving state to ${values['state-file']}` : ''}`,
    );
    await emu.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
