import {
  DeleteImageBuilderCommand,
  DescribeImageBuildersCommand,
  type ImageBuilder,
  ListTagsForResourceCommand,
  StopImageBuilderCommand,
  TagResourceCommand,
} from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { formatLastConnection } from '../../../lib/cleanup/marks';
import type { ListedExecution } from '../../../lib/pipeline/deps';
import { startedByRunTag, stoppedByRunTag } from '../../../lib/pipeline/housekeeping';
import { executionId } from '../../../lib/pipeline/resolve';
import { sweepBuilders } from '../../../lib/pipeline/sweep';
import { TAG } from '../../../lib/tags';
import { mockDeps } from '../../helpers/mock-deps';

const T0 = Date.parse('2026-11-26T09:00:00Z');
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:appstream-autopilot-prod-image-pipeline';
const EXEC = SM.replace(':stateMachine:', ':execution:');
/** When the listed executions that are no longer RUNNING ended. */
const ENDED = T0 - 3_600_000;

/** A mocked account: builders follow Stop like AppStream (STOPPING → STOPPED on the next look). */
function account(
  builders: { name: string; state: string; created?: number; tags: Record<string, string> }[],
  executions: ListedExecution[],
  inputs: Record<string, string> = {},
) {
  const m = mockDeps(T0);
  const byName = new Map(
    builders.map((b) => [
      b.name,
      {
        b: {
          Name: b.name,
          Arn: `arn:aws:appstream:us-east-1:123456789012:image-builder/${b.name}`,
          State: b.state as ImageBuilder['State'],
          CreatedTime: new Date(b.created ?? T0 - 3_600_000),
        } as ImageBuilder,
        tags: b.tags,
      },
    ]),
  );
  m.appstream.on(DescribeImageBuildersCommand).callsFake((input: { Names?: string[] }) => {
    const list = [...byName.values()]
      .map((x) => x.b)
      .filter((b) => !input.Names || input.Names.includes(b.Name!));
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
  m.deps.executions = {
    running: async () => [],
    list: async () => executions,
    input: async (arn) => inputs[arn],
  };
  const stopped = () => m.appstream.commandCalls(StopImageBuilderCommand).map((c) => c.args[0].input.Name);
  const deleted = () => m.appstream.commandCalls(DeleteImageBuilderCommand).map((c) => c.args[0].input.Name);
  return { ...m, stopped, deleted };
}

const tags = (execution: string, extra: Record<string, string> = {}) => ({
  [TAG.managed]: 'true',
  [TAG.deployment]: 'local',
  [TAG.pipeline]: 'office',
  [TAG.execution]: executionId(execution),
  ...extra,
});
const exec = (name: string, status: string): ListedExecution => ({
  name,
  arn: `${EXEC}:${name}`,
  status,
  startDate: T0 - 7_200_000,
  ...(status === 'RUNNING' ? {} : { stopDate: ENDED }),
});

describe('Backstop sweep (hourly): builders whose execution is no longer RUNNING', () => {
  it('stops a billing builder whose execution ended (the status-change event was lost), leaves a RUNNING execution’s builder', async () => {
    const m = account(
      [
        { name: 'office-lost', state: 'RUNNING', tags: tags('run-lost') },
        { name: 'office-live', state: 'RUNNING', tags: tags('run-live') },
        { name: 'office-done', state: 'STOPPED', tags: tags('run-done') },
      ],
      [exec('run-lost', 'ABORTED'), exec('run-live', 'RUNNING'), exec('run-done', 'SUCCEEDED')],
    );
    const out = await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual(['office-lost']);
    expect(out.running).toEqual(['office-live']);
    expect(out.cleaned).toEqual([
      expect.objectContaining({
        execution: 'run-lost',
        builders: [{ name: 'office-lost', action: 'stopped', state: 'STOPPED' }],
      }),
    ]);
  });

  it('uses the execution’s input when Step Functions still has it (whenDone: delete); a kept builder is left alone', async () => {
    const m = account(
      [
        { name: 'office-a', state: 'RUNNING', tags: tags('run-a') },
        { name: 'office-k', state: 'RUNNING', tags: tags('run-k', { [TAG.keep]: 'true' }) },
      ],
      [exec('run-a', 'TIMED_OUT'), exec('run-k', 'FAILED')],
      {
        [`${EXEC}:run-a`]: JSON.stringify({ config: { name: 'office', builder: { whenDone: 'delete' } } }),
        [`${EXEC}:run-k`]: JSON.stringify({ config: { name: 'office', builder: { whenDone: 'delete' } } }),
      },
    );
    await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.deleted()).toEqual(['office-a']);
    expect(m.stopped()).toEqual(['office-a']);
  });

  it('an execution no longer listed (older than 90 days) counts as ended; a builder too young to judge is left for the next sweep', async () => {
    const m = account(
      [
        { name: 'office-old', state: 'RUNNING', tags: tags('run-gone') },
        { name: 'office-new', state: 'PENDING', created: T0 - 60_000, tags: tags('run-new') },
      ],
      [],
    );
    const out = await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual(['office-old']);
    expect(out.young).toEqual(['office-new']);
  });

  it('never touches another deployment’s builders or builders without an execution tag', async () => {
    const m = account(
      [
        {
          name: 'prod-1',
          state: 'RUNNING',
          tags: tags('run-x', { [TAG.deployment]: 'appstream-autopilot-prod' }),
        },
        { name: 'hand-made', state: 'RUNNING', tags: {} },
      ],
      [exec('run-x', 'ABORTED')],
    );
    await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual([]);
  });

  it('a builder that does not settle within the sweep’s window is reported, not thrown (next hour looks again)', async () => {
    const m = account(
      [{ name: 'office-p', state: 'PENDING', tags: tags('run-p') }],
      [exec('run-p', 'ABORTED')],
    );
    const out = await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(out.cleaned[0].skipped).toMatch(/not stopped within 60 s/);
  });

  it('no state machine to ask: does nothing, says why', async () => {
    const m = account([{ name: 'office-lost', state: 'RUNNING', tags: tags('run-lost') }], []);
    const out = await sweepBuilders({}, m.deps);
    expect(out.skipped).toMatch(/no state machine/);
    expect(m.stopped()).toEqual([]);
  });

  it('a builder started by a person after its run ended is never stopped by the sweep', async () => {
    const at = (ms: number, kind: 'startedAt' | 'connectedAt' | 'presenceAt') => ({
      [TAG.lastConnection]: formatLastConnection({ [kind]: ms }),
    });
    const existing = (extra: Record<string, string>) => ({
      [TAG.deployment]: 'local',
      [TAG.pipeline]: 'office',
      [TAG.execution]: executionId('run-e'),
      [TAG.lastAction]: startedByRunTag(executionId('run-e')),
      ...extra,
    });
    const m = account(
      [
        // builder.existing the run started (its last-action still says so), started again from the console later.
        { name: 'golden', state: 'RUNNING', tags: existing(at(ENDED + 2 * 86_400_000, 'startedAt')) },
        // A failed run's builder someone restarted (recorder: started@), or connected to, to debug it.
        { name: 'office-dbg', state: 'RUNNING', tags: tags('run-f', at(ENDED + 600_000, 'startedAt')) },
        { name: 'office-con', state: 'RUNNING', tags: tags('run-f', at(ENDED + 600_000, 'connectedAt')) },
        { name: 'office-pre', state: 'PENDING', tags: tags('run-f', at(ENDED + 600_000, 'presenceAt')) },
        // The run's own start (recorded before it ended) still lets the sweep stop it.
        { name: 'office-own', state: 'RUNNING', tags: tags('run-o', at(ENDED - 3_000_000, 'startedAt')) },
      ],
      [exec('run-e', 'SUCCEEDED'), exec('run-f', 'FAILED'), exec('run-o', 'ABORTED')],
    );
    const out = await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual(['office-own']);
    const left = out.cleaned.flatMap((c) => c.builders).filter((b) => b.action === 'left');
    expect(left.map((b) => b.name).sort()).toEqual(['golden', 'office-con', 'office-dbg', 'office-pre']);
    for (const b of left) expect(b.reason).toMatch(/after its run ended/);
  });

  it('an execution no longer listed ended 90 days ago at the latest: activity since then means a person uses it', async () => {
    const m = account(
      [
        {
          name: 'office-old',
          state: 'RUNNING',
          tags: tags('run-gone', {
            [TAG.lastConnection]: formatLastConnection({ startedAt: T0 - 86_400_000 }),
          }),
        },
      ],
      [],
    );
    await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual([]);
  });

  it('keep → skip: an active autopilot:keep (true, a date not yet passed) is never stopped; stop-only is stopped, not deleted', async () => {
    const input = JSON.stringify({ config: { name: 'office', builder: { whenDone: 'delete' } } });
    const m = account(
      [
        { name: 'office-t', state: 'RUNNING', tags: tags('run-k', { [TAG.keep]: 'true' }) },
        { name: 'office-d', state: 'RUNNING', tags: tags('run-k', { [TAG.keep]: '2026-12-31' }) },
        { name: 'office-s', state: 'RUNNING', tags: tags('run-k', { [TAG.keep]: 'stop-only' }) },
        { name: 'office-x', state: 'RUNNING', tags: tags('run-k', { [TAG.keep]: '2020-01-01' }) },
      ],
      [exec('run-k', 'FAILED')],
      { [`${EXEC}:run-k`]: input },
    );
    const out = await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped().sort()).toEqual(['office-s', 'office-x']);
    expect(m.deleted()).toEqual(['office-x']);
    const left = out.cleaned[0].builders.filter((b) => b.action === 'left');
    expect(left.map((b) => [b.name, b.reason])).toEqual([
      ['office-t', expect.stringMatching(/kept/)],
      ['office-d', expect.stringMatching(/kept/)],
    ]);
  });

  it('stopped by run X → not matched: a builder its run already stopped is not the run’s to stop again', async () => {
    const id = executionId('run-s');
    const m = account(
      [
        {
          name: 'golden',
          state: 'RUNNING',
          tags: {
            [TAG.deployment]: 'local',
            [TAG.pipeline]: 'office',
            [TAG.execution]: id,
            [TAG.lastAction]: stoppedByRunTag(id),
          },
        },
        {
          name: 'office-s',
          state: 'RUNNING',
          tags: tags('run-s', { [TAG.lastAction]: stoppedByRunTag(id) }),
        },
      ],
      [exec('run-s', 'SUCCEEDED')],
    );
    const out = await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual([]);
    expect(out.cleaned[0].builders.map((b) => b.action)).toEqual(['left', 'left']);
  });

  it('after stopping a builder.existing its run started, rewrites last-action to “stopped by run X”', async () => {
    const id = executionId('run-e');
    const m = account(
      [
        {
          name: 'golden',
          state: 'RUNNING',
          tags: {
            [TAG.deployment]: 'local',
            [TAG.pipeline]: 'office',
            [TAG.execution]: id,
            [TAG.lastAction]: startedByRunTag(id),
          },
        },
      ],
      [exec('run-e', 'ABORTED')],
    );
    await sweepBuilders({ stateMachineArn: SM }, m.deps);
    expect(m.stopped()).toEqual(['golden']);
    expect(m.appstream.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toEqual([
      {
        ResourceArn: 'arn:aws:appstream:us-east-1:123456789012:image-builder/golden',
        Tags: { [TAG.lastAction]: stoppedByRunTag(id) },
      },
    ]);
  });
});
