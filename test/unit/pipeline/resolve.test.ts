import { DescribeImagesCommand, type Image, ResourceNotFoundException } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { newestPublic, resolvePipeline } from '../../../lib/pipeline/resolve';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const img = (Name: string, Platform: string, released: string, extra: Partial<Image> = {}): Image => ({
  Name,
  Arn: `arn:aws:appstream:us-east-1::image/${Name}`,
  Platform: Platform as never,
  State: 'AVAILABLE',
  PublicBaseImageReleasedDate: new Date(released),
  ...extra,
});

describe('newestPublic', () => {
  const images = [
    img('old', 'WINDOWS_SERVER_2022', '2025-01-01'),
    img('newest-but-deprecated', 'WINDOWS_SERVER_2022', '2026-01-01', { ImageBuilderSupported: false }),
    img('newest-pending', 'WINDOWS_SERVER_2022', '2026-02-01', { State: 'PENDING' }),
    img('new', 'WINDOWS_SERVER_2022', '2025-10-01'),
    img('linux', 'AMAZON_LINUX2', '2026-03-01'),
  ];

  it('picks the newest AVAILABLE image of the platform that supports builders', () => {
    expect(newestPublic(images, 'WINDOWS_SERVER_2022')?.Name).toBe('new');
    expect(newestPublic(images, 'AMAZON_LINUX2')?.Name).toBe('linux');
    expect(newestPublic(images, 'RHEL8')).toBeUndefined();
  });
});

describe('resolvePipeline', () => {
  it('plans names and adaptive waits from the expected durations', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImagesCommand)
      .resolves({ Images: [img('AppStream-WinServer2022-10-14-2025', 'WINDOWS_SERVER_2022', '2025-10-14')] });
    const state = await resolvePipeline({ config: samplePipeline(), execution: 'exec-1' }, deps);
    expect(state.plan).toMatchObject({
      region: 'us-east-1',
      builderName: expect.stringMatching(/^e2e-[0-9a-f]{10}$/),
      imageName: expect.stringMatching(/^e2e-2026-11-26-[0-9a-f]{10}$/),
      baseImageArn: 'arn:aws:appstream:us-east-1::image/AppStream-WinServer2022-10-14-2025',
      imageTags: {
        release: 'r1',
        [TAG.managed]: 'true',
        [TAG.pipeline]: 'e2e',
        [TAG.execution]: expect.any(String),
      },
    });
    // 5th percentile of lognormal(median 12 min, sigma 0.2) ≈ 8.6 min; of 40 min ≈ 28.8 min.
    expect(state.plan.waits.builder).toEqual({
      firstSeconds: 518,
      loopWaitSeconds: 0,
      pollSeconds: 15,
      windowSeconds: 240,
    });
    expect(state.plan.waits.image.firstSeconds).toBe(1727);
  });

  it('derives the same builder name for the same execution, another for another', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImagesCommand).resolves({ Images: [img('x', 'WINDOWS_SERVER_2022', '2025-10-14')] });
    const a = await resolvePipeline({ config: samplePipeline(), execution: 'run-a' }, deps);
    const a2 = await resolvePipeline({ config: samplePipeline(), execution: 'run-a' }, deps);
    const b = await resolvePipeline({ config: samplePipeline(), execution: 'run-b' }, deps);
    expect(a.plan.builderName).toBe(a2.plan.builderName);
    expect(a.plan.builderName).not.toBe(b.plan.builderName);
  });

  it('plans fixed polling when asked', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImagesCommand).resolves({ Images: [img('x', 'WINDOWS_SERVER_2022', '2025-10-14')] });
    const config = samplePipeline({
      polling: { strategy: 'fixed', builderIntervalSeconds: 180, imageIntervalSeconds: 300 },
    } as never);
    const { plan } = await resolvePipeline({ config, execution: 'e' }, deps);
    expect(plan.waits.builder).toEqual({
      firstSeconds: 180,
      loopWaitSeconds: 180,
      pollSeconds: 180,
      windowSeconds: 0,
    });
    expect(plan.waits.image.loopWaitSeconds).toBe(300);
  });

  it('rejects an invalid definition with ConfigError naming every bad field', async () => {
    const { deps } = mockDeps();
    const config = { ...samplePipeline(), name: 'has space', after: { shareWith: [{ account: '12' }] } };
    await expect(resolvePipeline({ config, execution: 'e' }, deps)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(
        /name: .*after\.shareWith\.0\.account: must be a 12-digit AWS account id/s,
      ),
    });
  });

  it('rejects image name templates that break AppStream rules', async () => {
    const { deps } = mockDeps();
    for (const name of ['AppStream-{date}', '{pipeline} {date}', '{pipeline}-{nope}'])
      await expect(
        resolvePipeline({ config: samplePipeline({ image: { name } }), execution: 'e' }, deps),
      ).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining('image.name'),
      });
  });

  it('reports a missing base image as BaseImageNotFound', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImagesCommand)
      .rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    const config = samplePipeline();
    config.builder = { ...config.builder, image: 'my-golden-image' };
    await expect(resolvePipeline({ config, execution: 'e' }, deps)).rejects.toMatchObject({
      name: 'BaseImageNotFound',
    });
  });
});
