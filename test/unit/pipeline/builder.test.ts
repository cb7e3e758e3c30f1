import {
  CreateImageBuilderCommand,
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  StartImageBuilderCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../../lib/config/pipeline';
import { checkBuilder, cleanupBuilder, ensureBuilder, finishBuilder } from '../../../lib/pipeline/builder';
import { stoppedByRunTag } from '../../../lib/pipeline/housekeeping';
import type { PipelineState } from '../../../lib/pipeline/types';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';
import { samplePipeline } from '../../helpers/pipeline';

const notFound = () =>
  new ResourceNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } });
const wait = { firstSeconds: 0, loopWaitSeconds: 0, pollSeconds: 15, windowSeconds: 60 };

function state(overrides: Partial<PipelineState['plan']> = {}): PipelineState {
  return {
    config: PipelineConfigSchema.parse(samplePipeline()),
    plan: {
      pipeline: 'e2e',
      execution: 'abc',
      region: 'us-east-1',
      builderName: 'e2e-abc',
      reuseBuilder: false,
      deleteBuilder: false,
      baseImageArn: 'arn:aws:appstream:us-east-1::image/base',
      imageName: 'img',
      imageTags: {},
      waits: { builder: wait, build: wait, image: wait, finish: wait },
      ...overrides,
    },
  };
}

describe('ensureBuilder', () => {
  it('launches the builder when it does not exist, tagged with the pipeline', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).rejects(notFound());
    appstream.on(CreateImageBuilderCommand).resolves({});
    const run = await ensureBuilder(state(), deps);
    expect(run).toMatchObject({ name: 'e2e-abc', createdByRun: true, startedByRun: false });
    const input = appstream.commandCalls(CreateImageBuilderCommand)[0].args[0].input;
    expect(input).toMatchObject({
      Name: 'e2e-abc',
      ImageArn: 'arn:aws:appstream:us-east-1::image/base',
      Tags: { [TAG.managed]: 'true', [TAG.pipeline]: 'e2e', team: 'euc' },
    });
  });

  it('never launches a second builder on a retry: an existing one is reused', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolves({ ImageBuilders: [{ Name: 'e2e-abc', State: 'PENDING' }] });
    expect(await ensureBuilder(state(), deps)).toMatchObject({ createdByRun: true, startedByRun: false });
    expect(appstream.commandCalls(CreateImageBuilderCommand)).toHaveLength(0);
  });

  it('treats ResourceAlreadyExists from a racing attempt as its own builder', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).rejects(notFound());
    appstream
      .on(CreateImageBuilderCommand)
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
    expect(await ensureBuilder(state(), deps)).toMatchObject({ createdByRun: true });
  });

  it('starts a STOPPED existing builder and remembers it started it', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolves({ ImageBuilders: [{ Name: 'golden', State: 'STOPPED' }] });
    appstream.on(StartImageBuilderCommand).resolves({});
    const run = await ensureBuilder(state({ builderName: 'golden', reuseBuilder: true }), deps);
    expect(run).toMatchObject({ createdByRun: false, startedByRun: true });
  });

  it('turns throttling left after the SDK retries into AwsTransientError', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(ensureBuilder(state(), deps)).rejects.toMatchObject({ name: 'AwsTransientError' });
  });
});

describe('checkBuilder', () => {
  const run = {
    name: 'e2e-abc',
    region: 'us-east-1',
    createdByRun: true,
    startedByRun: false,
    deadline: Date.parse('2026-11-26T10:00:00Z'),
  };

  it('polls every pollSeconds within the window and returns as soon as RUNNING', async () => {
    const { deps, appstream, slept } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolvesOnce({ ImageBuilders: [{ Name: 'e2e-abc', State: 'PENDING' }] })
      .resolvesOnce({ ImageBuilders: [{ Name: 'e2e-abc', State: 'PENDING' }] })
      .resolves({ ImageBuilders: [{ Name: 'e2e-abc', State: 'RUNNING' }] });
    expect(await checkBuilder({ builder: run, wait }, deps)).toMatchObject({ ready: true, state: 'RUNNING' });
    expect(slept).toEqual([15_000, 15_000]);
  });

  it('returns not ready when the window is used up', async () => {
    const { deps, appstream, slept } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolves({ ImageBuilders: [{ Name: 'e2e-abc', State: 'PENDING' }] });
    expect(await checkBuilder({ builder: run, wait }, deps)).toMatchObject({
      ready: false,
      state: 'PENDING',
    });
    expect(slept.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  it('fails with BuilderFailed carrying the builder errors', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).resolves({
      ImageBuilders: [
        { Name: 'e2e-abc', State: 'FAILED', ImageBuilderErrors: [{ ErrorMessage: 'subnet full' }] },
      ],
    });
    await expect(checkBuilder({ builder: run, wait }, deps)).rejects.toMatchObject({
      name: 'BuilderFailed',
      message: expect.stringContaining('subnet full'),
    });
  });

  it('fails with BuilderStartTimeout past the deadline', async () => {
    const { deps, appstream, advance } = mockDeps();
    advance(2 * 3600_000);
    appstream
      .on(DescribeImageBuildersCommand)
      .resolves({ ImageBuilders: [{ Name: 'e2e-abc', State: 'PENDING' }] });
    await expect(checkBuilder({ builder: run, wait }, deps)).rejects.toMatchObject({
      name: 'BuilderStartTimeout',
    });
  });
});

describe('finishBuilder and cleanupBuilder', () => {
  it('stops a RUNNING builder and reports done once STOPPED', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolvesOnce({ ImageBuilders: [{ Name: 'b', State: 'RUNNING' }] })
      .resolvesOnce({ ImageBuilders: [{ Name: 'b', State: 'STOPPING' }] })
      .resolves({ ImageBuilders: [{ Name: 'b', State: 'STOPPED' }] });
    appstream.on(StopImageBuilderCommand).resolves({});
    const out = await finishBuilder(
      { builder: { name: 'b', region: 'us-east-1' }, delete: false, wait },
      deps,
    );
    expect(out).toMatchObject({ done: true, state: 'STOPPED' });
    expect(appstream.commandCalls(StopImageBuilderCommand)).toHaveLength(1);
  });

  it('fails with BuilderStopTimeout when the builder stays STOPPING past the deadline', async () => {
    const { deps, appstream } = mockDeps();
    appstream
      .on(DescribeImageBuildersCommand)
      .resolves({ ImageBuilders: [{ Name: 'b', State: 'STOPPING' }] });
    const deadline = deps.clock.now() + 30_000;
    await expect(
      finishBuilder({ builder: { name: 'b', region: 'us-east-1' }, delete: false, wait, deadline }, deps),
    ).rejects.toMatchObject({ name: 'BuilderStopTimeout' });
  });

  it('deletes a STOPPED builder when asked', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [{ Name: 'b', State: 'STOPPED' }] });
    appstream.on(DeleteImageBuilderCommand).resolves({});
    expect(
      await finishBuilder({ builder: { name: 'b', region: 'us-east-1' }, delete: true, wait }, deps),
    ).toMatchObject({
      done: true,
      action: 'deleted',
    });
  });

  it('waits out PENDING (which cannot be stopped) instead of giving up', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [{ Name: 'b', State: 'PENDING' }] });
    const out = await cleanupBuilder({ state: state(), wait }, deps);
    expect(out).toMatchObject({ done: false, state: 'PENDING' });
    expect(appstream.commandCalls(StopImageBuilderCommand)).toHaveLength(0);
  });

  it('leaves alone a reused builder the run neither launched nor started', async () => {
    const { deps, appstream } = mockDeps();
    const s = state({ reuseBuilder: true, builderName: 'golden' });
    s.builder = {
      name: 'golden',
      region: 'us-east-1',
      createdByRun: false,
      startedByRun: false,
      deadline: 0,
    };
    expect(await cleanupBuilder({ state: s, wait }, deps)).toMatchObject({ done: true, state: 'UNTOUCHED' });
    expect(appstream.calls()).toHaveLength(0);
  });

  it('gives up after cleanupMinutes so the failure is still reported', async () => {
    const { deps, appstream, advance } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).resolves({ ImageBuilders: [{ Name: 'b', State: 'PENDING' }] });
    const first = await cleanupBuilder({ state: state(), wait }, deps);
    advance(5 * 3600_000);
    const later = await cleanupBuilder(
      { state: { ...state(), cleanup: { deadline: first.deadline } } as never, wait },
      deps,
    );
    expect(later).toMatchObject({ done: true, gaveUp: true });
  });

  it('once its builder is STOPPED, FinishBuilder and CleanupBuilder rewrite last-action to “stopped by run X”', async () => {
    const arn = 'arn:aws:appstream:us-east-1:123456789012:image-builder/golden';
    const settle = () => {
      const m = mockDeps();
      m.appstream
        .on(DescribeImageBuildersCommand)
        .resolvesOnce({ ImageBuilders: [{ Name: 'golden', Arn: arn, State: 'RUNNING' }] })
        .resolves({ ImageBuilders: [{ Name: 'golden', Arn: arn, State: 'STOPPED' }] });
      m.appstream.on(StopImageBuilderCommand).resolves({});
      m.appstream.on(TagResourceCommand).resolves({});
      return m;
    };
    const tagged = (m: ReturnType<typeof mockDeps>) =>
      m.appstream.commandCalls(TagResourceCommand).map((c) => c.args[0].input);
    const run = { name: 'golden', region: 'us-east-1', createdByRun: false, startedByRun: true, deadline: 0 };

    const f = settle();
    await finishBuilder({ builder: { ...run, execution: 'abc' }, delete: false, wait }, f.deps);
    expect(tagged(f)).toEqual([{ ResourceArn: arn, Tags: { [TAG.lastAction]: stoppedByRunTag('abc') } }]);

    const c = settle();
    const s = state({ reuseBuilder: true, builderName: 'golden' });
    s.builder = run;
    expect(await cleanupBuilder({ state: s, wait }, c.deps)).toMatchObject({ done: true, state: 'STOPPED' });
    expect(tagged(c)).toEqual([{ ResourceArn: arn, Tags: { [TAG.lastAction]: stoppedByRunTag('abc') } }]);

    // A failed tag write (e.g. throttled) never fails the run: the stop is what matters.
    const t = settle();
    t.appstream
      .on(TagResourceCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    expect(
      await finishBuilder({ builder: { ...run, execution: 'abc' }, delete: false, wait }, t.deps),
    ).toMatchObject({ done: true, state: 'STOPPED' });
  });

  it('EnsureBuilder reports the run’s short id with the builder (FinishBuilder’s last-action)', async () => {
    const { deps, appstream } = mockDeps();
    appstream.on(DescribeImageBuildersCommand).rejects(notFound());
    appstream.on(CreateImageBuilderCommand).resolves({});
    expect(await ensureBuilder(state(), deps)).toMatchObject({ execution: 'abc' });
  });
});
