import {
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  type ImageBuilder,
  ListTagsForResourceCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { backstop, type ExecutionStatusChange } from '../../../lib/pipeline/backstop';
import { startedByRunTag } from '../../../lib/pipeline/housekeeping';
import { executionId } from '../../../lib/pipeline/resolve';
import { TAG } from '../../../lib/tags';
import { executionStatusChange } from '../../helpers/execution-status';
import { mockDeps } from '../../helpers/mock-deps';

/** The event Step Functions sends to EventBridge when an execution started with `config` ends. */
const statusChange = (
  status: ExecutionStatusChange['detail']['status'],
  config: Record<string, unknown> = { name: 'office', builder: { whenDone: 'stop' } },
  name = 'office-run-7',
) => executionStatusChange(status, { config }, name);

const builder = (name: string, state: string): ImageBuilder => ({
  Name: name,
  Arn: `arn:aws:appstream:eu-west-1:123456789012:image-builder/${name}`,
  State: state as ImageBuilder['State'],
});

/**
 * A mocked account with builders whose state follows Stop/Delete like AppStream: STOPPING → STOPPED
 * on the next look, and gone after DeleteImageBuilder.
 */
function account(builders: { b: ImageBuilder; tags: Record<string, string> }[]) {
  const m = mockDeps();
  const byName = new Map(builders.map((x) => [x.b.Name!, { ...x }]));
  m.appstream.on(DescribeImageBuildersCommand).callsFake((input: { Names?: string[] }) => {
    const list = [...byName.values()]
      .map((x) => x.b)
      .filter((b) => !input.Names || input.Names.includes(b.Name!));
    if (input.Names && !list.length)
      throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException', $metadata: {} });
    const out = { ImageBuilders: list.map((b) => ({ ...b })) };
    for (const b of list) if (b.State === 'STOPPING') b.State = 'STOPPED';
    return out;
  });
  m.appstream.on(ListTagsForResourceCommand).callsFake((input: { ResourceArn: string }) => ({
    Tags: [...byName.values()].find((x) => x.b.Arn === input.ResourceArn)?.tags ?? {},
  }));
  m.appstream.on(StopImageBuilderCommand).callsFake((input: { Name: string }) => {
    byName.get(input.Name)!.b.State = 'STOPPING';
    return {};
  });
  m.appstream.on(DeleteImageBuilderCommand).callsFake((input: { Name: string }) => {
    byName.delete(input.Name);
    return {};
  });
  const calls = (cmd: typeof StopImageBuilderCommand | typeof DeleteImageBuilderCommand) =>
    m.appstream.commandCalls(cmd).map((c) => (c.args[0].input as { Name: string }).Name);
  return { ...m, calls };
}

const owned = (execution: string, pipeline = 'office') => ({
  [TAG.managed]: 'true',
  [TAG.deployment]: 'local',
  [TAG.pipeline]: pipeline,
  [TAG.execution]: executionId(execution),
});

describe('Execution backstop', () => {
  it('ignores executions that SUCCEEDED (or are RUNNING): nothing to clean up', async () => {
    const m = account([{ b: builder('office-1', 'RUNNING'), tags: owned('office-run-7') }]);
    const out = await backstop(statusChange('SUCCEEDED'), m.deps);
    expect(out.skipped).toContain('SUCCEEDED');
    expect(m.calls(StopImageBuilderCommand)).toEqual([]);
  });

  it.each(['ABORTED', 'TIMED_OUT', 'FAILED'] as const)(
    '%s: stops the builder tagged with the execution, leaves the others',
    async (status) => {
      const m = account([
        { b: builder('office-1', 'RUNNING'), tags: owned('office-run-7') },
        { b: builder('office-2', 'RUNNING'), tags: owned('office-run-8') },
        { b: builder('hand-made', 'RUNNING'), tags: {} },
      ]);
      const out = await backstop(statusChange(status), m.deps);
      expect(out.builders).toEqual([{ name: 'office-1', action: 'stopped', state: 'STOPPED' }]);
      expect(m.calls(StopImageBuilderCommand)).toEqual(['office-1']);
    },
  );

  it('matches a TAG.execution holding the full execution name as well as its short id', async () => {
    const m = account([
      { b: builder('office-1', 'RUNNING'), tags: { ...owned('x'), [TAG.execution]: 'office-run-7' } },
    ]);
    const out = await backstop(statusChange('TIMED_OUT'), m.deps);
    expect(out.builders.map((b) => b.name)).toEqual(['office-1']);
  });

  it('whenDone: delete → stops, waits for STOPPED, deletes', async () => {
    const m = account([{ b: builder('office-1', 'RUNNING'), tags: owned('office-run-7') }]);
    const out = await backstop(
      statusChange('ABORTED', { name: 'office', builder: { whenDone: 'delete' } }),
      m.deps,
    );
    expect(out.builders).toEqual([{ name: 'office-1', action: 'deleted', state: 'DELETED' }]);
    expect(m.calls(DeleteImageBuilderCommand)).toEqual(['office-1']);
  });

  it('builder.existing this run did not start: left running, never stopped or deleted', async () => {
    const m = account([
      {
        b: builder('golden', 'RUNNING'),
        tags: {
          [TAG.deployment]: 'local',
          [TAG.pipeline]: 'office',
          [TAG.execution]: executionId('office-run-7'),
        },
      },
    ]);
    const out = await backstop(
      statusChange('ABORTED', { name: 'office', builder: { existing: 'golden', whenDone: 'delete' } }),
      m.deps,
    );
    expect(out.builders).toEqual([
      {
        name: 'golden',
        action: 'left',
        state: 'RUNNING',
        reason: 'an existing builder this run did not start',
      },
    ]);
    expect(m.calls(StopImageBuilderCommand)).toEqual([]);
  });

  it('builder.existing this run started (TAG.lastAction): stopped, never deleted even with whenDone: delete', async () => {
    const run = executionId('office-run-7');
    const m = account([
      {
        b: builder('golden', 'RUNNING'),
        tags: {
          [TAG.deployment]: 'local',
          [TAG.pipeline]: 'office',
          [TAG.execution]: run,
          [TAG.lastAction]: startedByRunTag(run),
        },
      },
    ]);
    const out = await backstop(
      statusChange('ABORTED', { name: 'office', builder: { existing: 'golden', whenDone: 'delete' } }),
      m.deps,
    );
    expect(out.builders).toEqual([{ name: 'golden', action: 'stopped', state: 'STOPPED' }]);
    expect(m.calls(DeleteImageBuilderCommand)).toEqual([]);
  });

  it('a builder a person tagged to keep (true, stop-only, a future date) is stopped, never deleted', async () => {
    const keepers = ['true', 'stop-only', '2026-12-31T00:00:00Z'];
    const m = account(
      keepers.map((keep, i) => ({
        b: builder(`office-${i}`, 'RUNNING'),
        tags: { ...owned('office-run-7'), [TAG.keep]: keep },
      })),
    );
    const out = await backstop(
      statusChange('ABORTED', { name: 'office', builder: { whenDone: 'delete' } }),
      m.deps,
    );
    expect(out.builders.map((b) => [b.name, b.action, b.state])).toEqual(
      keepers.map((_, i) => [`office-${i}`, 'stopped', 'STOPPED']),
    );
    expect(m.calls(DeleteImageBuilderCommand)).toEqual([]);
    expect(m.calls(StopImageBuilderCommand)).toHaveLength(3);
  });

  it('an expired keep date or no-notify does not keep: deleted with whenDone: delete', async () => {
    const m = account([
      { b: builder('office-1', 'RUNNING'), tags: { ...owned('office-run-7'), [TAG.keep]: '2020-01-01' } },
      { b: builder('office-2', 'RUNNING'), tags: { ...owned('office-run-7'), [TAG.keep]: 'no-notify' } },
    ]);
    await backstop(statusChange('ABORTED', { name: 'office', builder: { whenDone: 'delete' } }), m.deps);
    expect(m.calls(DeleteImageBuilderCommand).sort()).toEqual(['office-1', 'office-2']);
  });

  it('only this deployment’s builders: another stage’s builder with the same execution tag is left alone', async () => {
    const m = account([
      {
        b: builder('office-1', 'RUNNING'),
        tags: { ...owned('office-run-7'), [TAG.deployment]: 'autopilot-prod' },
      },
      {
        b: builder('office-2', 'RUNNING'),
        tags: { ...owned('office-run-7'), [TAG.deployment]: undefined as never },
      },
    ]);
    const out = await backstop(statusChange('ABORTED'), m.deps);
    expect(out.builders).toEqual([]);
    expect(m.calls(StopImageBuilderCommand)).toEqual([]);
  });

  it('looks in the pipeline’s region (config.region), else the execution’s region', async () => {
    const m = account([]);
    const regions: string[] = [];
    const appstream = m.deps.appstream;
    m.deps.appstream = (r) => {
      regions.push(r);
      return appstream(r);
    };
    await backstop(statusChange('ABORTED', { name: 'office', region: 'ap-southeast-2' }), m.deps);
    await backstop(statusChange('ABORTED', { name: 'office' }), m.deps);
    const noInput = statusChange('ABORTED');
    noInput.detail.input = null;
    await backstop(noInput, m.deps);
    expect(regions).toEqual(['ap-southeast-2', 'eu-west-1', 'eu-west-1']);
  });

  it('a builder still PENDING past the call’s window → BuilderStopTimeout, so Lambda retries the event', async () => {
    const m = account([{ b: builder('office-1', 'PENDING'), tags: owned('office-run-7') }]);
    await expect(backstop(statusChange('TIMED_OUT'), m.deps)).rejects.toMatchObject({
      name: 'BuilderStopTimeout',
    });
  });

  it('a builder SNAPSHOTTING stops by itself: enough when it is only to be stopped', async () => {
    const m = account([{ b: builder('office-1', 'SNAPSHOTTING'), tags: owned('office-run-7') }]);
    const out = await backstop(statusChange('ABORTED'), m.deps);
    expect(out.builders).toEqual([
      {
        name: 'office-1',
        action: 'stopped',
        state: 'SNAPSHOTTING',
        reason: 'stops by itself when its image is created',
      },
    ]);
  });
});
