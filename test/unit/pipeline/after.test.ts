import {
  CopyImageCommand,
  DeleteImageCommand,
  DescribeFleetsCommand,
  DescribeImagesCommand,
  ListTagsForResourceCommand,
  ResourceAlreadyExistsException,
  ResourceInUseException,
  UpdateFleetCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../../lib/config/pipeline';
import { startCopies } from '../../../lib/pipeline/distribute';
import { retireImages } from '../../../lib/pipeline/retire';
import { rollOut } from '../../../lib/pipeline/rollout';
import type { Plan } from '../../../lib/pipeline/types';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const plan = {
  pipeline: 'e2e',
  execution: 'abc',
  region: 'us-east-1',
  imageName: 'new',
  imageTags: {},
} as unknown as Plan;
const config = (after: Record<string, unknown>) =>
  PipelineConfigSchema.parse(samplePipeline({ after } as never));

describe('rollOut', () => {
  it('updates RUNNING and STOPPED fleets, skips fleets already on the image, and reports busy ones as FleetBusy', async () => {
    const { deps, appstream } = mockDeps();
    const fleets: Record<string, { State: string; ImageName: string }> = {
      a: { State: 'RUNNING', ImageName: 'old' },
      b: { State: 'STOPPED', ImageName: 'old' },
      c: { State: 'RUNNING', ImageName: 'new' },
      d: { State: 'STARTING', ImageName: 'old' },
    };
    appstream
      .on(DescribeFleetsCommand)
      .callsFake((i) => ({ Fleets: [{ Name: i.Names[0], ...fleets[i.Names[0]] }] }));
    appstream.on(UpdateFleetCommand).resolves({});
    const c = config({ rollOut: [{ fleet: 'a' }, { fleet: 'b' }, { fleet: 'c' }, { fleet: 'd' }] });
    await expect(rollOut({ config: c, plan }, deps)).rejects.toMatchObject({
      name: 'FleetBusy',
      message: expect.stringContaining('d (us-east-1) is STARTING'),
    });
    expect(appstream.commandCalls(UpdateFleetCommand).map((x) => x.args[0].input)).toEqual([
      { Name: 'a', ImageName: 'new' },
      { Name: 'b', ImageName: 'new' },
    ]);
  });
});

describe('retireImages', () => {
  it('keeps the newest N of the pipeline, skips images in use, and never deletes other pipelines’ images', async () => {
    const { deps, appstream } = mockDeps();
    const image = (name: string, day: number) => ({
      Name: name,
      Arn: `arn:aws:appstream:us-east-1:123456789012:image/${name}`,
      State: 'AVAILABLE' as const,
      CreatedTime: new Date(Date.UTC(2026, 10, day)),
    });
    appstream.on(DescribeImagesCommand).resolves({
      Images: [
        image('new', 26),
        image('mid', 20),
        image('used', 10),
        image('oldest', 1),
        image('other-team', 2),
      ],
    });
    appstream.on(ListTagsForResourceCommand).callsFake((i) => ({
      Tags: {
        [TAG.managed]: 'true',
        [TAG.deployment]: 'local',
        [TAG.pipeline]: i.ResourceArn.endsWith('other-team') ? 'other' : 'e2e',
      },
    }));
    appstream.on(DescribeFleetsCommand).resolves({
      Fleets: [
        {
          Name: 'f',
          ImageName: 'used',
          InstanceType: 'x',
          Arn: 'a',
          ComputeCapacityStatus: { Desired: 1 },
          State: 'RUNNING',
        },
      ],
    });
    appstream.on(DeleteImageCommand).resolves({});
    const [r] = await retireImages({ config: config({ keepLatest: 2 }), plan }, deps);
    expect(r).toEqual({
      region: 'us-east-1',
      kept: ['new', 'mid'],
      deleted: ['oldest'],
      skipped: [{ image: 'used', reason: 'in use by a fleet' }],
    });
  });

  it('treats ResourceInUseException at delete time as in use', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImagesCommand).resolves({
      Images: [
        { Name: 'new', Arn: 'arn:1', State: 'AVAILABLE', CreatedTime: new Date(2) },
        { Name: 'old', Arn: 'arn:2', State: 'AVAILABLE', CreatedTime: new Date(1) },
      ],
    });
    appstream
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: { [TAG.managed]: 'true', [TAG.deployment]: 'local', [TAG.pipeline]: 'e2e' } });
    appstream.on(DescribeFleetsCommand).resolves({ Fleets: [] });
    appstream
      .on(DeleteImageCommand)
      .rejects(new ResourceInUseException({ message: 'in use', $metadata: {} }));
    const [r] = await retireImages({ config: config({ keepLatest: 1 }), plan }, deps);
    expect(r.skipped).toEqual([{ image: 'old', reason: 'in use' }]);
  });
});

describe('startCopies', () => {
  it('starts one copy per other region and tolerates a copy an earlier attempt started', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(CopyImageCommand)
      .resolvesOnce({})
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
    appstream.on(DescribeImagesCommand).resolves({ Images: [] });
    const out = await startCopies(
      { config: config({ copyTo: ['eu-west-1', 'us-east-1', 'ap-southeast-2'] }), plan },
      deps,
    );
    expect(out.regions).toEqual(['eu-west-1', 'ap-southeast-2']);
    expect(appstream.commandCalls(CopyImageCommand).map((c) => c.args[0].input.DestinationRegion)).toEqual([
      'eu-west-1',
      'ap-southeast-2',
    ]);
  });

  it('never retires another deployment’s (or an unmanaged) image of a same-named pipeline', async () => {
    const { deps, appstream } = mockDeps();
    const img = (Name: string, t: number) => ({
      Name,
      Arn: `arn:aws:appstream:us-east-1:123456789012:image/${Name}`,
      State: 'AVAILABLE' as const,
      CreatedTime: new Date(t),
    });
    appstream.on(DescribeImagesCommand).resolves({
      Images: [img('mine-new', 9), img('mine-old', 8), img('prod-old', 1), img('hand-old', 2)],
    });
    const tagsOf: Record<string, Record<string, string>> = {
      'mine-new': { [TAG.managed]: 'true', [TAG.deployment]: 'local', [TAG.pipeline]: 'e2e' },
      'mine-old': { [TAG.managed]: 'true', [TAG.deployment]: 'local', [TAG.pipeline]: 'e2e' },
      'prod-old': {
        [TAG.managed]: 'true',
        [TAG.deployment]: 'appstream-autopilot-prod',
        [TAG.pipeline]: 'e2e',
      },
      'hand-old': { [TAG.deployment]: 'local', [TAG.pipeline]: 'e2e' },
    };
    appstream.on(ListTagsForResourceCommand).callsFake((i: { ResourceArn: string }) => ({
      Tags: tagsOf[i.ResourceArn.split('/').pop()!],
    }));
    appstream.on(DescribeFleetsCommand).resolves({ Fleets: [] });
    appstream.on(DeleteImageCommand).resolves({});
    const [r] = await retireImages({ config: config({ keepLatest: 1 }), plan }, deps);
    expect(r.deleted).toEqual(['mine-old']);
  });
});
