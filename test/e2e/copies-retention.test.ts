import {
  CopyImageCommand,
  DescribeImagesCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { TAG } from '../../lib/tags';
import { createFleet } from '../helpers/builders';
import { MIN, useEmulator } from '../helpers/emulator';
import { runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });

const withCopies = (after: Record<string, unknown>) => samplePipeline({ after } as never);
const imageOf = (result: { output?: unknown }) =>
  (result.output as { plan: { imageName: string } }).plan.imageName;

/** This pipeline's images in a region (by its tag), newest first. */
async function pipelineImages(region: string, pipeline = 'e2e') {
  const client = f.client({ region });
  const images = (await client.send(new DescribeImagesCommand({ Type: 'PRIVATE' }))).Images ?? [];
  const mine: string[] = [];
  for (const i of images.sort((a, b) => b.CreatedTime!.getTime() - a.CreatedTime!.getTime())) {
    const tags = (await client.send(new ListTagsForResourceCommand({ ResourceArn: i.Arn! }))).Tags ?? {};
    if (tags[TAG.pipeline] === pipeline) mine.push(i.Name!);
  }
  return mine;
}

describe('copies (local runtime against the emulator): tagged, retired, within the concurrent-copy limit', () => {
  it('tags each copy in its region with the owner tags (CopyImage copies no tags)', async () => {
    const { result } = await runPipeline(f, withCopies({ copyTo: ['eu-west-1', 'ap-southeast-2'] }));
    expect(result.status).toBe('SUCCEEDED');
    for (const region of ['eu-west-1', 'ap-southeast-2']) {
      const client = f.client({ region });
      const copy = (await client.send(new DescribeImagesCommand({ Names: [imageOf(result)] }))).Images![0]!;
      expect(copy.State).toBe('AVAILABLE');
      const tags = (await client.send(new ListTagsForResourceCommand({ ResourceArn: copy.Arn! }))).Tags;
      expect(tags).toMatchObject({ release: 'r1', [TAG.managed]: 'true', [TAG.pipeline]: 'e2e' });
      expect(tags![TAG.execution]).toMatch(/^[0-9a-f]{10}$/);
    }
  });

  it('the emulator allows 2 copies in flight per destination region; a 3rd waits in the queue and completes', async () => {
    const first = await runPipeline(f, samplePipeline());
    const home = f.client();
    // Two long copies (100 min) into eu-west-1 still in flight when the run's copy starts (~1 h in).
    f.emu.control.setDurations({ imageCopy: 100 * MIN });
    for (const n of ['busy-1', 'busy-2'])
      await home.send(
        new CopyImageCommand({
          SourceImageName: imageOf(first.result),
          DestinationImageName: n,
          DestinationRegion: 'eu-west-1',
        }),
      );
    await expect(
      home.send(
        new CopyImageCommand({
          SourceImageName: imageOf(first.result),
          DestinationImageName: 'busy-3',
          DestinationRegion: 'eu-west-1',
        }),
      ),
    ).rejects.toMatchObject({ name: 'LimitExceededException' });

    f.emu.control.setDurations({ imageCopy: 20 * MIN });

    // The run's copy is the 3rd into eu-west-1: queued on LimitExceeded, started once a slot frees.
    let refused = 0;
    const stop = f.emu.onResponse((op, status, body) => {
      if (op === 'CopyImage' && status === 400 && body.includes('LimitExceededException')) refused++;
    });
    const { result } = await runPipeline(f, withCopies({ copyTo: ['eu-west-1'] }));
    stop();
    expect(result.status).toBe('SUCCEEDED');
    expect(refused).toBeGreaterThan(0);
    const copy = (
      await f.client({ region: 'eu-west-1' }).send(new DescribeImagesCommand({ Names: [imageOf(result)] }))
    ).Images![0]!;
    expect(copy.State).toBe('AVAILABLE');
  });

  it('keepLatest applies in the copy region over several runs, never to a copy a fleet there uses', async () => {
    const after = { copyTo: ['eu-west-1'], keepLatest: 2 };
    const names: string[] = [];
    for (let run = 1; run <= 4; run++) {
      const { result } = await runPipeline(f, withCopies(after));
      expect(result.status).toBe('SUCCEEDED');
      names.push(imageOf(result));
      if (run === 1)
        await createFleet(f.client({ region: 'eu-west-1' }), 'eu-office', { ImageName: names[0] });
    }
    const [r1, , r3, r4] = names;
    expect(await pipelineImages('us-east-1')).toEqual([r4, r3]);
    expect(await pipelineImages('eu-west-1')).toEqual([r4, r3, r1]);
  });
});
