import {
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  type ImageBuilder,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_NAME, PipelineConfigSchema, renderImageName } from '../../../lib/config/pipeline';
import type { RunningExecution } from '../../../lib/pipeline/deps';
import { prepareRun } from '../../../lib/pipeline/housekeeping';
import { executionId } from '../../../lib/pipeline/resolve';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const T0 = Date.parse('2026-11-26T09:00:00Z');

function account(
  builders: { name: string; state: string; created: number; tags: Record<string, string> }[],
  running: RunningExecution[] = [],
) {
  const m = mockDeps(T0);
  const list: ImageBuilder[] = builders.map((b) => ({
    Name: b.name,
    Arn: `arn:aws:appstream:us-east-1:123456789012:image-builder/${b.name}`,
    State: b.state as ImageBuilder['State'],
    CreatedTime: new Date(b.created),
  }));
  m.appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: list });
  m.appstream.on(ListTagsForResourceCommand).callsFake((input: { ResourceArn: string }) => ({
    Tags: builders.find((b) => input.ResourceArn.endsWith(`/${b.name}`))?.tags ?? {},
  }));
  m.appstream.on(DeleteImageBuilderCommand).resolves({});
  m.deps.executions = { running: async () => running };
  const deleted = () =>
    m.appstream
      .commandCalls(DeleteImageBuilderCommand)
      .map((c) => (c.args[0].input as { Name: string }).Name);
  return { ...m, deleted };
}

const ours = (execution: string) => ({
  [TAG.managed]: 'true',
  [TAG.deployment]: 'local',
  [TAG.pipeline]: 'e2e',
  [TAG.execution]: executionId(execution),
});
const config = (extra: Record<string, unknown> = {}) =>
  PipelineConfigSchema.parse({ ...samplePipeline(), ...extra });
const input = (extra: Record<string, unknown> = {}) => ({
  config: config(extra),
  region: 'us-east-1',
  execution: 'run-9',
  builderName: 'e2e-current',
});

describe('prepareRun: pruning the pipeline’s builders', () => {
  it('keeps the newest stopped builder of the pipeline and deletes the older STOPPED/FAILED ones', async () => {
    const m = account([
      { name: 'e2e-1', state: 'STOPPED', created: T0 - 3e6, tags: ours('run-1') },
      { name: 'e2e-2', state: 'FAILED', created: T0 - 2e6, tags: ours('run-2') },
      { name: 'e2e-3', state: 'STOPPED', created: T0 - 1e6, tags: ours('run-3') },
    ]);
    const out = await prepareRun(input(), m.deps);
    expect(out).toEqual({ kept: 'e2e-3', deleted: ['e2e-2', 'e2e-1'] });
    expect(m.deleted()).toEqual(['e2e-2', 'e2e-1']);
  });

  it('never deletes builder.existing, an unmanaged or another pipeline’s builder, a running one, or one of a RUNNING execution', async () => {
    const m = account(
      [
        { name: 'golden', state: 'STOPPED', created: T0 - 9e6, tags: { ...ours('run-0') } },
        { name: 'hand-made', state: 'STOPPED', created: T0 - 8e6, tags: { [TAG.pipeline]: 'e2e' } },
        {
          name: 'other-1',
          state: 'STOPPED',
          created: T0 - 7e6,
          tags: { ...ours('o'), [TAG.pipeline]: 'other' },
        },
        { name: 'e2e-busy', state: 'RUNNING', created: T0 - 6e6, tags: ours('run-5') },
        { name: 'e2e-parallel', state: 'STOPPED', created: T0 - 5e6, tags: ours('run-6') },
        { name: 'e2e-newest', state: 'STOPPED', created: T0 - 1e6, tags: ours('run-7') },
      ],
      [{ name: 'run-6', startDate: T0 - 5e6, pipeline: 'e2e' }],
    );
    const out = await prepareRun(
      input({ builder: { existing: 'golden' }, concurrency: { allowParallel: true } }),
      m.deps,
    );
    expect(out).toEqual({ kept: 'e2e-newest', deleted: [] });
  });
});

describe('prepareRun: keep tags and deployments', () => {
  it('never deletes a builder a person tagged to keep (true, stop-only, a date not passed); an expired date or no-notify does not keep', async () => {
    const m = account([
      { name: 'k-true', state: 'STOPPED', created: T0 - 9e6, tags: { ...ours('r1'), [TAG.keep]: 'true' } },
      {
        name: 'k-stop',
        state: 'STOPPED',
        created: T0 - 8e6,
        tags: { ...ours('r2'), [TAG.keep]: 'stop-only' },
      },
      {
        name: 'k-date',
        state: 'STOPPED',
        created: T0 - 7e6,
        tags: { ...ours('r3'), [TAG.keep]: '2026-12-01T00:00:00Z' },
      },
      {
        name: 'k-old',
        state: 'STOPPED',
        created: T0 - 6e6,
        tags: { ...ours('r4'), [TAG.keep]: '2026-11-01' },
      },
      { name: 'k-nn', state: 'FAILED', created: T0 - 5e6, tags: { ...ours('r5'), [TAG.keep]: 'no-notify' } },
      { name: 'newest', state: 'STOPPED', created: T0 - 1e6, tags: ours('r6') },
    ]);
    const out = await prepareRun(input(), m.deps);
    expect(out).toEqual({ kept: 'newest', deleted: ['k-nn', 'k-old'] });
  });

  it('never prunes another deployment’s builders of a same-named pipeline (or untagged ones)', async () => {
    const m = account([
      {
        name: 'prod-1',
        state: 'STOPPED',
        created: T0 - 9e6,
        tags: { ...ours('r1'), [TAG.deployment]: 'ap-prod' },
      },
      {
        name: 'prod-2',
        state: 'STOPPED',
        created: T0 - 8e6,
        tags: { ...ours('r2'), [TAG.deployment]: 'ap-prod' },
      },
      { name: 'legacy', state: 'STOPPED', created: T0 - 7e6, tags: { ...ours('r3'), [TAG.deployment]: '' } },
      { name: 'mine-1', state: 'STOPPED', created: T0 - 6e6, tags: ours('r4') },
      { name: 'mine-2', state: 'STOPPED', created: T0 - 5e6, tags: ours('r5') },
    ]);
    const out = await prepareRun(input(), m.deps);
    expect(out).toEqual({ kept: 'mine-2', deleted: ['mine-1'] });
  });
});

describe('prepareRun: concurrent runs', () => {
  it('refuses a run while an earlier execution of the same pipeline is RUNNING (PipelineAlreadyRunning, nothing deleted)', async () => {
    const m = account(
      [{ name: 'e2e-1', state: 'STOPPED', created: T0 - 3e6, tags: ours('run-1') }],
      [
        { name: 'run-8', startDate: T0 - 60_000, pipeline: 'e2e' },
        { name: 'run-9', startDate: T0, pipeline: 'e2e' },
      ],
    );
    await expect(prepareRun(input(), m.deps)).rejects.toMatchObject({
      name: 'PipelineAlreadyRunning',
      message: expect.stringContaining('run-8'),
    });
    expect(m.deleted()).toEqual([]);
  });

  it('lets the earlier of two runs go on (a later or another pipeline’s run does not block it); ties go to the smaller name', async () => {
    const running = [
      { name: 'run-9', startDate: T0, pipeline: 'e2e' },
      { name: 'run-z', startDate: T0, pipeline: 'e2e' },
      { name: 'run-10', startDate: T0 + 1, pipeline: 'e2e' },
      { name: 'x', startDate: T0 - 1, pipeline: 'other' },
    ];
    await expect(prepareRun(input(), account([], running).deps)).resolves.toBeDefined();
    await expect(
      prepareRun({ ...input(), execution: 'run-z' }, account([], running).deps),
    ).rejects.toMatchObject({ name: 'PipelineAlreadyRunning' });
  });

  it('refuses when a billing builder of the pipeline is tagged with another RUNNING execution (its input unreadable)', async () => {
    const m = account(
      [{ name: 'e2e-7', state: 'RUNNING', created: T0, tags: ours('run-7') }],
      [{ name: 'run-7', startDate: T0 + 5 }],
    );
    await expect(prepareRun(input(), m.deps)).rejects.toMatchObject({
      name: 'PipelineAlreadyRunning',
      message: expect.stringContaining('builder e2e-7 is RUNNING for execution run-7'),
    });
  });

  it('a builder left RUNNING by an execution that has ended does not block (the backstop handles it)', async () => {
    const m = account([{ name: 'e2e-7', state: 'RUNNING', created: T0, tags: ours('run-7') }], []);
    await expect(prepareRun(input(), m.deps)).resolves.toEqual({ deleted: [], kept: undefined });
  });

  it('concurrency.allowParallel: true lets parallel runs go', async () => {
    const m = account(
      [{ name: 'e2e-7', state: 'RUNNING', created: T0, tags: ours('run-7') }],
      [{ name: 'run-7', startDate: T0 - 5, pipeline: 'e2e' }],
    );
    await expect(prepareRun(input({ concurrency: { allowParallel: true } }), m.deps)).resolves.toBeDefined();
  });
});

describe('Default image name', () => {
  it('is unique per execution: two runs started in the same second get different names', () => {
    const vars = { pipeline: 'office', now: T0 };
    const a = renderImageName(DEFAULT_IMAGE_NAME, { ...vars, execution: executionId('run-a') });
    const b = renderImageName(DEFAULT_IMAGE_NAME, { ...vars, execution: executionId('run-b') });
    expect(a).toBe(`office-2026-11-26-090000-${executionId('run-a')}`);
    expect(a).not.toBe(b);
    expect(config({ image: undefined }).image.name).toBe(DEFAULT_IMAGE_NAME);
  });
});
