import {
  AppStreamClient,
  CreateImageBuilderCommand,
  CreateStackCommand,
  DescribeFleetsCommand,
  DescribeImageBuildersCommand,
} from '@aws-sdk/client-appstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { autopilot } from '../helpers/cli';

let emu: RunningEmulator;
let client: AppStreamClient;
beforeAll(async () => {
  emu = await startEmulator({ seed: 4 });
  // One attempt: an injected error reaches the test as the SDK sees it, not retried away.
  client = new AppStreamClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await emu.stop();
});

const fault = (...args: string[]) =>
  autopilot(['emulator', 'fault', ...args, '--endpoint-url', emu.endpoint]);
const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'none',
    (e: Error) => e.name,
  );

/** Each CLI call starts node + tsx (seconds on a busy machine): room for several per test. */
const CLI_TIMEOUT_MS = 120_000;

describe('CLI: autopilot emulator fault', () => {
  it(
    'set throttles the named operations with their throttling error, keeps what it is not given, and list shows it',
    async () => {
      const set = await fault('set', '--rate', '1', '--operation', 'DescribeFleets');
      expect(set.code).toBe(0);
      expect(set.stdout).toContain('throttle  100% of DescribeFleets');
      expect(await errorName(client.send(new DescribeFleetsCommand({})))).toBe('ThrottlingException');
      expect(await errorName(client.send(new DescribeImageBuildersCommand({})))).toBe('none');
      // Latency added later keeps the throttling in force.
      expect((await fault('set', '--latency-ms', '1')).code).toBe(0);
      const list = await fault('list', '--json');
      expect(JSON.parse(list.stdout)).toMatchObject({
        throttleRate: 1,
        throttleOperations: ['DescribeFleets'],
        latencyMs: 1,
      });
      expect((await fault('clear')).stdout).toContain('faults cleared');
      expect(await errorName(client.send(new DescribeFleetsCommand({})))).toBe('none');
      expect((await fault('list')).stdout.trim()).toBe('no faults');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'fail makes the next calls of an operation fail with the given error, then they work again',
    async () => {
      const r = await fault(
        'fail',
        '--error',
        'InternalServerError',
        '--operation',
        'CreateStack',
        '--count',
        '1',
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('fail      next 1 call(s) of CreateStack: InternalServerError (HTTP 500)');
      expect(await errorName(client.send(new CreateStackCommand({ Name: 's1' })))).toBe(
        'InternalServerError',
      );
      expect(await errorName(client.send(new CreateStackCommand({ Name: 's1' })))).toBe('none');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'fail-transition makes the named builder fail to launch',
    async () => {
      expect((await fault('fail-transition', '--kind', 'imageBuilder', '--name', 'doomed')).code).toBe(0);
      await client.send(
        new CreateImageBuilderCommand({
          Name: 'doomed',
          InstanceType: 'stream.standard.medium',
          ImageName: 'AppStream-WinServer2022-10-14-2025',
        }),
      );
      emu.control.advance(30 * 60_000);
      const out = await client.send(new DescribeImageBuildersCommand({ Names: ['doomed'] }));
      expect(out.ImageBuilders?.[0]?.State).toBe('FAILED');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'refuses what the control API cannot do with exit code 2, and names an emulator that is not there',
    async () => {
      const rate = await fault('set', '--rate', '0.1', '--error', 'InvalidParameterCombinationException');
      expect(rate.code).toBe(2);
      expect(rate.stderr).toContain("fails with the service's throttling error only");
      expect(rate.stderr).toContain(
        'autopilot emulator fault fail --error InvalidParameterCombinationException',
      );
      const kind = await fault('fail-transition', '--kind', 'stack');
      expect(kind.code).toBe(2);
      expect((await fault('set', '--rate', '2')).code).toBe(2);
      const gone = await autopilot(['emulator', 'fault', 'list', '--endpoint-url', 'http://127.0.0.1:9']);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('EmulatorUnreachable: no emulator answers at http://127.0.0.1:9');
    },
    CLI_TIMEOUT_MS,
  );
});
