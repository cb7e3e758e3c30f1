import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AppStreamClient,
  DescribeImageBuildersCommand,
  DescribeImagesCommand,
} from '@aws-sdk/client-appstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { autopilot } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'pipeline-remote-'));
let emu: RunningEmulator;
beforeAll(async () => {
  emu = await startEmulator({ seed: 5 });
});
afterAll(async () => {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('CLI: autopilot pipeline run --local --endpoint-url', () => {
  it('runs the pipeline against an emulator that is already up, where any AWS client sees what it made', async () => {
    const before = emu.world.now();
    const r = await autopilot(
      [
        'pipeline',
        'run',
        resolve('examples/office-apps.yaml'),
        '--local',
        '--endpoint-url',
        emu.endpoint,
        '--name',
        'watch-me',
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Running pipeline office-apps locally against the emulator at ${emu.endpoint}`,
    );
    expect(r.stdout).toContain('Pipeline SUCCEEDED');
    const image = /image ARN\s+(\S+)/.exec(r.stdout)?.[1];
    expect(image).toMatch(/^arn:aws:appstream:us-east-1:123456789012:image\/office-apps-/);
    expect(existsSync(join(dir, '.autopilot/executions/watch-me.json'))).toBe(true);

    const client = new AppStreamClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' },
    });
    const images = await client.send(new DescribeImagesCommand({ Arns: [image!] }));
    expect(images.Images?.[0]?.State).toBe('AVAILABLE');
    const builder = /builder\s+(\S+)\s+\((\w+)\)/.exec(r.stdout);
    const builders = await client.send(new DescribeImageBuildersCommand({ Names: [builder![1]] }));
    expect(builders.ImageBuilders?.[0]?.State).toBe(builder![2]);
    client.destroy();
    // The run's waits moved the emulator's own virtual clock (a builder launch and a snapshot: ~1 h).
    expect(emu.world.now() - before).toBeGreaterThan(30 * 60_000);
  }, 120_000);
});
