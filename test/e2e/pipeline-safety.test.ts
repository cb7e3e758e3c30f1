import { ListTagsForResourceCommand, StartImageBuilderCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../bin/pipeline-command';
import { printSummary } from '../../bin/progress';
import type { BackstopResult } from '../../lib/pipeline/backstop';
import { stoppedByRunTag } from '../../lib/pipeline/housekeeping';
import { executionId } from '../../lib/pipeline/resolve';
import { sweepBuilders } from '../../lib/pipeline/sweep';
import { TAG } from '../../lib/tags';
import { localDeps } from '../../local/local-deps';
import { MIN, useEmulator } from '../helpers/emulator';
import { BILLING_STATES, builders, runPipeline, samplePipeline } from '../helpers/pipeline';

const f = useEmulator({ jitterSigma: 0 });

/** An hour later (past any stop in progress), no builder is in a state that bills. */
async function expectNoBuilderBilling() {
  f.emu.control.advance(60 * MIN);
  for (const b of await builders(f)) expect(BILLING_STATES, `${b.name} is ${b.state}`).not.toContain(b.state);
}

/** Counts the emulator's answers to one operation, by HTTP status. */
function countResponses(operation: string) {
  const seen = { ok: 0, failed: 0 };
  const off = f.emu.onResponse((op, status) => {
    if (op === operation) seen[status < 300 ? 'ok' : 'failed']++;
  });
  return { seen, off };
}

describe('Pipeline safety: builders never pile up to the quota', () => {
  it('10 consecutive weekly runs with whenDone: stop all succeed under the default quota of 5 builders; one stopped builder is kept besides the last run’s', async () => {
    // Images are retired too (keepLatest), or the image quota (5) would end the series instead.
    const config = samplePipeline({
      after: { keepLatest: 2, notify: { topicArn: 'arn:aws:sns:us-east-1:123456789012:pipeline-events' } },
    });
    const runs = [];
    for (let week = 0; week < 10; week++) {
      const run = await runPipeline(f, config, { executionName: `weekly-${week}` });
      expect(run.result.status, `run ${week}: ${run.result.error}: ${run.result.cause}`).toBe('SUCCEEDED');
      runs.push(run);
      f.emu.control.advance(7 * 24 * 60 * MIN);
    }
    const left = await builders(f);
    const last = runs[9].summary.builder.name!;
    const previous = runs[8].summary.builder.name!;
    expect(left.map((b) => b.name).sort()).toEqual([last, previous].sort());
    expect(left.every((b) => b.state === 'STOPPED')).toBe(true);
  });

  it('prunes only its own pipeline’s builders: another pipeline’s stopped builders are left alone', async () => {
    const other = samplePipeline({ name: 'other' });
    const a = await runPipeline(f, other, { executionName: 'other-1' });
    const b = await runPipeline(f, other, { executionName: 'other-2' });
    const mine = samplePipeline();
    await runPipeline(f, mine, { executionName: 'mine-1' });
    await runPipeline(f, mine, { executionName: 'mine-2' });
    const c = await runPipeline(f, mine, { executionName: 'mine-3' });
    expect(c.result.status).toBe('SUCCEEDED');
    const names = (await builders(f)).map((x) => x.name);
    // Pipeline e2e: mine-1's builder was pruned (older than the kept mine-2); other's are untouched.
    expect(names).toEqual(
      expect.arrayContaining([a.summary.builder.name, b.summary.builder.name, c.summary.builder.name]),
    );
    expect(names).toHaveLength(4);
  });
});

describe('Pipeline safety: cleanup keeps trying until its bound', () => {
  it('StopImageBuilder throttled for 3 virtual minutes during cleanup: the builder ends STOPPED by cleanup itself', async () => {
    f.emu.control.setFaults({ throttleRate: 1, throttleOperations: ['StopImageBuilder'] });
    // The outage starts with the first throttled StopImageBuilder and lasts 3 virtual minutes.
    let outageStart: number | undefined;
    let outageEnd: number | undefined;
    const off = f.emu.onResponse((op, status) => {
      if (op !== 'StopImageBuilder' || status < 400) return;
      outageStart ??= f.emu.world.now();
      if (f.emu.world.now() - outageStart >= 3 * MIN && outageEnd === undefined) {
        outageEnd = f.emu.world.now();
        f.emu.control.clearFaults();
      }
    });
    const { result, summary, notifier } = await runPipeline(f, samplePipeline(), {
      runCommand: () => ({ exitCode: 3, stdout: '', stderr: 'MSI error 1603' }),
    });
    off();
    expect(result.error).toBe('BuildCommandFailed');
    expect(outageEnd! - outageStart!).toBeGreaterThanOrEqual(3 * MIN);
    // Cleanup (not the backstop) stopped it: the failure notification carries its result.
    const message = notifier.sent[0].message as { cleanup: { done: boolean; state: string }; alert?: string };
    expect(message.cleanup).toMatchObject({ done: true, state: 'STOPPED' });
    expect(message.alert).toBeUndefined();
    expect(summary.builder.state).toBe('STOPPED');
    expect(summary.alert).toBeUndefined();
  });

  it('StopImageBuilder refused for good (AccessDenied): the summary, the notification and the CLI exit code say the builder is still RUNNING and billing', async () => {
    const { result, summary, notifier } = await runPipeline(f, samplePipeline(), {
      runCommand: () => ({ exitCode: 3, stdout: '', stderr: 'MSI error 1603' }),
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === 'SubmitBuild')
          f.emu.control.failCalls({
            count: 100_000,
            code: 'AccessDeniedException',
            status: 400,
            operation: 'StopImageBuilder',
            message: 'not authorized to perform appstream:StopImageBuilder',
          });
      },
    });
    f.emu.control.clearFaults();
    const loud = `builder ${summary.builder.name} is still RUNNING and billing`;
    expect(result.error).toBe('BuildCommandFailed');
    expect(summary.alert).toBe(loud);
    // The execution's Cause carries it too (what DescribeExecution shows `pipeline status`).
    expect(result.cause).toMatch(new RegExp(`^${loud} \\(cleanup failed\\)\\. `));
    expect(notifier.sent[0].subject).toMatch(/FAILED - BUILDER STILL BILLING$/);
    expect(notifier.sent[0].message).toMatchObject({ alert: loud, outcome: 'FAILED' });
    const lines: string[] = [];
    printSummary(result, summary, (l) => lines.push(l));
    expect(lines.join('\n')).toContain(`WARNING: ${loud}`);
    expect(exitCodeOf(result, summary)).toBe(3);
  });

  it('StopImageBuilder throttled past timeouts.cleanupMinutes: cleanup gives up at its bound, loudly', async () => {
    const countStops = countResponses('StopImageBuilder');
    f.emu.control.setFaults({ throttleRate: 1, throttleOperations: ['StopImageBuilder'] });
    const { result, summary, notifier } = await runPipeline(
      f,
      samplePipeline({ timeouts: { cleanupMinutes: 30 } } as never),
      { runCommand: () => ({ exitCode: 3, stdout: '', stderr: 'failed' }) },
    );
    f.emu.control.clearFaults();
    countStops.off();
    expect(result.error).toBe('BuildCommandFailed');
    const message = notifier.sent[0].message as {
      cleanup: { gaveUp: boolean; attempts: number };
      alert: string;
    };
    expect(message.cleanup.gaveUp).toBe(true);
    // Backed off: far fewer calls than one every 15 s for 30 min would make, but more than a few.
    expect(message.cleanup.attempts).toBeGreaterThan(3);
    expect(message.alert).toBe(`builder ${summary.builder.name} is still RUNNING and billing`);
    expect(result.cause).toMatch(/^builder \S+ is still RUNNING and billing\. /);
    expect(countStops.seen.ok).toBe(0);
  });
});

describe('Pipeline safety: executions that end without cleanup (backstop)', () => {
  it('an execution that times out (TimeoutSeconds on the virtual clock) ends TIMED_OUT and the backstop stops its builder', async () => {
    const { result, summary } = await runPipeline(f, samplePipeline(), { executionTimeoutSeconds: 10 * 60 });
    expect(result.status).toBe('TIMED_OUT');
    expect(result.error).toBe('States.Timeout');
    expect((result.virtualEnd - result.virtualStart) / 1000).toBeGreaterThanOrEqual(600);
    expect((summary.backstop as BackstopResult).builders).toEqual([
      { name: summary.builder.name, action: 'stopped', state: 'STOPPED' },
    ]);
    expect(summary.alert).toBeUndefined();
    await expectNoBuilderBilling();
  });

  it('an aborted execution ("Stop execution") ends ABORTED and the backstop deletes its builder (whenDone: delete)', async () => {
    const abort = new AbortController();
    const config = samplePipeline();
    config.builder = { ...config.builder, whenDone: 'delete' };
    const { result, summary } = await runPipeline(f, config, {
      signal: abort.signal,
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === 'WaitForBuilder') abort.abort();
      },
    });
    expect(result.status, JSON.stringify(summary.backstop)).toBe('ABORTED');
    expect(summary.backstop, JSON.stringify(summary.backstop)).toHaveProperty('builders');
    expect((summary.backstop as BackstopResult).builders).toMatchObject([
      { name: summary.builder.name, action: 'deleted' },
    ]);
    f.emu.control.advance(5 * MIN);
    expect(await builders(f)).toEqual([]);
  });

  it('an aborted run on builder.existing that it started: the backstop stops that builder and never deletes it', async () => {
    const seed = await runPipeline(f, samplePipeline(), { executionName: 'make-golden' });
    const golden = seed.summary.builder.name!;
    const abort = new AbortController();
    const { result, summary } = await runPipeline(
      f,
      samplePipeline({ builder: { existing: golden, whenDone: 'delete' } }),
      {
        executionName: 'on-golden',
        signal: abort.signal,
        onProgress: (e) => {
          if (e.type === 'entered' && e.state === 'WaitForBuilder') abort.abort();
        },
      },
    );
    expect(result.status, JSON.stringify(summary.backstop)).toBe('ABORTED');
    expect(summary.backstop, JSON.stringify(summary.backstop)).toHaveProperty('builders');
    expect((summary.backstop as BackstopResult).builders).toEqual([
      { name: golden, action: 'stopped', state: 'STOPPED' },
    ]);
    expect(await builders(f)).toEqual([{ name: golden, state: 'STOPPED' }]);
  });

  it('a builder.existing a person starts from the console days after its run is never stopped by the hourly sweep', async () => {
    const seed = await runPipeline(f, samplePipeline(), { executionName: 'make-golden' });
    const golden = seed.summary.builder.name!;
    const config = samplePipeline({ builder: { existing: golden } });
    const startDate = f.emu.world.now();
    const run = await runPipeline(f, config, { executionName: 'on-golden' });
    expect(run.result.status, `${run.result.error}: ${run.result.cause}`).toBe('SUCCEEDED');
    const stopDate = f.emu.world.now();
    // FinishBuilder stopped it and said so: the run's "started by run <id>" no longer matches.
    const client = f.client();
    const arn = `arn:aws:appstream:us-east-1:123456789012:image-builder/${golden}`;
    const tags = async () =>
      (await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags ?? {};
    expect((await tags())[TAG.lastAction]).toBe(stoppedByRunTag(executionId('on-golden')));

    f.emu.control.advance(2 * 24 * 60 * MIN);
    await client.send(new StartImageBuilderCommand({ Name: golden }));
    f.emu.control.advance(30 * MIN);
    expect(await builders(f)).toEqual([{ name: golden, state: 'RUNNING' }]);

    const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:appstream-autopilot-local-image-pipeline';
    const deps = localDeps(f.emu);
    deps.executions = {
      running: async () => [],
      list: async () => [
        { name: 'on-golden', arn: `${SM}:on-golden`, status: 'SUCCEEDED', startDate, stopDate },
      ],
      input: async () => JSON.stringify({ config }),
    };
    try {
      const out = await sweepBuilders({ stateMachineArn: SM }, deps);
      expect(out.cleaned.flatMap((c) => c.builders)).toEqual([
        expect.objectContaining({ name: golden, action: 'left', state: 'RUNNING' }),
      ]);
    } finally {
      for (const c of deps.clients) c.destroy();
    }
    expect(await builders(f)).toEqual([{ name: golden, state: 'RUNNING' }]);
  });
});

describe('Pipeline safety: concurrent runs', () => {
  it('two runs of one pipeline started together: the second is refused with PipelineAlreadyRunning before launching anything', async () => {
    const creates = countResponses('CreateImageBuilder');
    const [first, second] = await Promise.all([
      runPipeline(f, samplePipeline(), { executionName: 'run-a' }),
      runPipeline(f, samplePipeline(), { executionName: 'run-b' }),
    ]);
    creates.off();
    expect(first.result.status, `${first.result.error}: ${first.result.cause}`).toBe('SUCCEEDED');
    expect(second.result.error).toBe('PipelineAlreadyRunning');
    expect(second.result.cause).toContain('run-a');
    expect(second.summary.builder.state).toBe('NOT_LAUNCHED');
    expect(creates.seen.ok).toBe(1);
    expect((await builders(f)).map((b) => b.name)).toEqual([first.summary.builder.name]);
  });
});
