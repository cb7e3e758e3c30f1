import { DescribeImageBuildersCommand, ListTagsForResourceCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { executionId } from '../../lib/pipeline/resolve';
import { TAG } from '../../lib/tags';
import { useEmulator } from '../helpers/emulator';
import { builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });

describe('Image pipeline summary (local runtime against the emulator)', () => {
  it('reports a run refused in Resolve as "not launched", with no builder in the account', async () => {
    const { result, summary } = await runPipeline(
      f,
      samplePipeline({ builder: { instanceType: 'stream.standard.medium', image: 'no-such-base-image' } }),
    );
    expect(result.error).toBe('BaseImageNotFound');
    expect(summary.builder.state).toBe('NOT_LAUNCHED');
    expect(await builders(f)).toEqual([]);
  });

  it('tags the builder and the image per the tag contract: managed, owning pipeline and run', async () => {
    const { result, summary, executionName } = await runPipeline(f, samplePipeline());
    expect(result.status).toBe('SUCCEEDED');
    const owned = {
      [TAG.managed]: 'true',
      [TAG.pipeline]: 'e2e',
      // The execution's short id: the suffix of the run's builder name.
      [TAG.execution]: executionId(executionName),
    };
    expect(summary.image?.tags).toMatchObject(owned);
    const client = f.client();
    const { ImageBuilders } = await client.send(
      new DescribeImageBuildersCommand({ Names: [summary.builder.name!] }),
    );
    const { Tags } = await client.send(
      new ListTagsForResourceCommand({ ResourceArn: ImageBuilders![0].Arn! }),
    );
    expect(Tags).toMatchObject({ ...owned, team: 'euc' });
  });
});
