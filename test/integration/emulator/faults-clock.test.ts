import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImageBuildersCommand, DescribeImagesCommand } from '@aws-sdk/client-appstream';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../emulator';
import { builderState, createBuilder, imageState, runningBuilder } from '../../helpers/builders';
import { MIN, rawCall, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

describe('Emulator: fault injection', () => {
  it('fails the next N calls of one operation with the given error, then recovers', async () => {
    f.emu.control.failCalls({
      count: 2,
      code: 'ServiceUnavailable',
      status: 503,
      operation: 'DescribeImages',
    });
    const a = await rawCall(f.emu.endpoint, 'DescribeImages', {});
    const other = await rawCall(f.emu.endpoint, 'DescribeImageBuilders', {});
    const b = await rawCall(f.emu.endpoint, 'DescribeImages', {});
    const c = await rawCall(f.emu.endpoint, 'DescribeImages', {});
    expect([a.status, other.status, b.status, c.status]).toEqual([503, 200, 503, 200]);
    expect(a.json.__type).toBe('ServiceUnavailable');
  });

  it('can answer an error after the operation ran (a lost response): the change stays', async () => {
    f.emu.control.failCalls({
      count: 1,
      code: 'InternalFailure',
      status: 500,
      operation: 'CreateImageBuilder',
      after: true,
    });
    const res = await rawCall(f.emu.endpoint, 'CreateImageBuilder', {
      Name: 'b1',
      InstanceType: 'stream.standard.medium',
      ImageName: 'AppStream-WinServer2022-10-14-2025',
    });
    expect(res.status).toBe(500);
    expect(await builderState(f.client())).toBe('PENDING');
  });

  it('throttles a fraction of calls; the SDK retries ThrottlingException and succeeds', async () => {
    f.emu.control.setFaults({ throttleRate: 0.5 });
    let throttled = 0;
    for (let i = 0; i < 40; i++)
      if ((await rawCall(f.emu.endpoint, 'DescribeImages', {})).status === 400) throttled++;
    expect(throttled).toBeGreaterThan(8);
    expect(throttled).toBeLessThan(32);
    f.emu.control.setFaults({ throttleRate: 1, throttleOperations: ['DescribeImages'] });
    expect((await rawCall(f.emu.endpoint, 'DescribeImages', {})).json.__type).toBe('ThrottlingException');
    expect((await rawCall(f.emu.endpoint, 'DescribeImageBuilders', {})).status).toBe(200);
    f.emu.control.setFaults({});
    f.emu.control.failCalls({ count: 2, code: 'ThrottlingException' });
    const out = await f.client({ maxAttempts: 3 }).send(new DescribeImagesCommand({ MaxResults: 1 }));
    expect(out.$metadata.attempts).toBe(3);
  });

  it('sends a builder to FAILED at its next transition', async () => {
    const client = f.client();
    f.emu.control.failTransition({ kind: 'imageBuilder', name: 'b1', message: 'capacity' });
    await createBuilder(client);
    f.emu.control.advance(13 * MIN);
    const [b] = (await client.send(new DescribeImageBuildersCommand({ Names: ['b1'] }))).ImageBuilders!;
    expect(b.State).toBe('FAILED');
    expect(b.ImageBuilderErrors![0]).toMatchObject({ ErrorMessage: 'capacity' });
  });

  it('fails an image at the end of its snapshot; the builder still stops', async () => {
    const client = f.client();
    await runningBuilder(f.emu, client);
    f.emu.control.imageAssistant({
      builderName: 'b1',
      argv: ['add-application', '--name', 'a', '--absolute-app-path', 'C:\\a.exe'],
    });
    f.emu.control.imageAssistant({ builderName: 'b1', argv: ['create-image', '--name', 'img1'] });
    f.emu.control.failTransition({ kind: 'image' });
    f.emu.control.advance(41 * MIN);
    expect(await imageState(client, 'img1')).toBe('FAILED');
    expect(await builderState(client)).toBe('STOPPED');
  });

  it('adds latency to every call', async () => {
    f.emu.control.setFaults({ latencyMs: 120 });
    const t = Date.now();
    await rawCall(f.emu.endpoint, 'DescribeImages', {});
    expect(Date.now() - t).toBeGreaterThanOrEqual(110);
  });

  it('is controllable over HTTP under /_emulator/', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${f.emu.endpoint}/_emulator/${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) =>
        r.json(),
      );
    const before = (await fetch(`${f.emu.endpoint}/_emulator/clock`).then((r) => r.json())) as {
      now: number;
    };
    const after = (await post('clock', { advanceSeconds: 3600 })) as { now: number };
    expect(after.now - before.now).toBeGreaterThanOrEqual(3_600_000);
    await post('faults/fail-calls', { code: 'InternalFailure', status: 500 });
    expect((await rawCall(f.emu.endpoint, 'DescribeImages', {})).status).toBe(500);
    const res = await fetch(`${f.emu.endpoint}/_emulator/nope`, { method: 'POST' });
    expect(res.status).toBe(404);
  });
});

describe('Emulator: virtual clock', () => {
  it('runs at speed × real time', async () => {
    const emu = await startEmulator({ speed: 600, jitterSigma: 0 });
    try {
      const t0 = emu.world.now();
      await new Promise((r) => setTimeout(r, 200));
      const elapsed = emu.world.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(600 * 190);
      expect(elapsed).toBeLessThan(600 * 5000); // generous: a loaded CI machine may pause us
    } finally {
      await emu.stop();
    }
  });

  it('jitters durations reproducibly from the seed', async () => {
    const sample = async (seed: number) => {
      const emu = await startEmulator({ seed, jitterSigma: 0.2 });
      try {
        return [emu.world.sample('builderLaunch'), emu.world.sample('builderLaunch')];
      } finally {
        await emu.stop();
      }
    };
    const a = await sample(7);
    expect(await sample(7)).toEqual(a);
    expect(await sample(8)).not.toEqual(a);
    expect(a[0]).not.toBe(12 * MIN);
  });
});

describe('Emulator: state file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emu-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves state at stop and restores it, pending transitions included', async () => {
    const file = join(dir, 'state.json');
    const first = await startEmulator({ stateFile: file, jitterSigma: 0 });
    const { AppStreamClient } = await import('@aws-sdk/client-appstream');
    const mk = (endpoint: string) =>
      new AppStreamClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: '123456789012', secretAccessKey: 's' },
      });
    const c1 = mk(first.endpoint);
    await createBuilder(c1);
    await first.stop();
    c1.destroy();
    expect(existsSync(file)).toBe(true);

    const second = await startEmulator({ stateFile: file, jitterSigma: 0 });
    const c2 = mk(second.endpoint);
    try {
      expect(await builderState(c2)).toBe('PENDING');
      second.control.advance(13 * MIN);
      expect(await builderState(c2)).toBe('RUNNING');
    } finally {
      c2.destroy();
      await second.stop();
    }
  });
});
