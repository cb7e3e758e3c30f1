import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppStreamClient, CreateImageBuilderCommand } from '@aws-sdk/client-appstream';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator';
import type { CatchUpSummary } from '../../local/cleanup-events';
import { LOCAL_ACCOUNT } from '../../local/local-deps';
import { type Delivery, startDelivery } from '../../local/up/delivery';

let emu: RunningEmulator | undefined;
let delivery: Delivery | undefined;
let dir: string | undefined;
afterEach(async () => {
  await delivery?.stop();
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  emu = delivery = dir = undefined;
});

describe('local up: delivery of emulator events to the connection recorder', () => {
  it('reports a delivery that fails as a whole (once per failure), and delivers again once it can', async () => {
    emu = await startEmulator({ seed: 3 });
    dir = mkdtempSync(join(tmpdir(), 'local-delivery-'));
    // The cursor file's folder is missing: every catch-up records, then can't save where it got to.
    const cursorFile = join(dir, 'gone', 'cursors.json');
    const errors: Error[] = [];
    const delivered: CatchUpSummary[] = [];
    delivery = startDelivery({
      source: emu,
      cursorFile,
      scopes: [{ account: LOCAL_ACCOUNT, region: 'us-east-1' }],
      now: () => emu!.world.now(),
      onDelivered: (s) => delivered.push(s),
      onError: (e) => errors.push(e),
    });
    const appstream = new AppStreamClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: LOCAL_ACCOUNT, secretAccessKey: 'local' },
    });
    const create = (name: string) =>
      appstream.send(
        new CreateImageBuilderCommand({
          Name: name,
          InstanceType: 'stream.standard.medium',
          ImageName: 'AppStream-WinServer2022-10-14-2025',
        }),
      );
    try {
      await create('b1');
      await delivery.deliver();
      expect(errors.map((e) => [e.name, (e as NodeJS.ErrnoException).code])).toEqual([['Error', 'ENOENT']]);
      expect(errors[0].message).toContain(cursorFile);
      expect(delivered).toEqual([]);

      // The same failure at the next event is not said again.
      await create('b2');
      await delivery.deliver();
      expect(errors).toHaveLength(1);

      // The folder is back: the events not yet acknowledged are delivered (at least once).
      mkdirSync(join(dir, 'gone'));
      await delivery.deliver();
      expect(delivered).toHaveLength(1);
      expect(delivered[0].delivered).toBeGreaterThanOrEqual(2);
      expect(delivered[0].notes).toEqual([]);

      // Failing again after a success is a new failure: reported.
      rmSync(join(dir, 'gone'), { recursive: true });
      await create('b3');
      await delivery.deliver();
      expect(errors).toHaveLength(2);
      expect((errors[1] as NodeJS.ErrnoException).code).toBe('ENOENT');
    } finally {
      appstream.destroy();
    }
  });
});
