import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppStreamClient, ListTagsForResourceCommand, TagResourceCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import type { BuilderChannel } from '../../lib/agent/channel';
import type { PipelineRun } from '../../lib/cleanup/deps';
import { formatMark, parseLastConnection } from '../../lib/cleanup/marks';
import { derivedBuilderName, executionId } from '../../lib/pipeline/resolve';
import { TAG } from '../../lib/tags';
import { runCleanupLocally } from '../../local/cleanup';
import { localChannel } from '../../local/local-deps';
import { createBuilder } from '../helpers/builders';
import { ACCOUNT, MIN, OTHER_ACCOUNT, useEmulator } from '../helpers/emulator';
import { runPipeline, samplePipeline } from '../helpers/pipeline';

const HOUR = 60 * MIN;
const REGION = 'us-east-1';
const POLICY = {
  warnAfter: '2h',
  stopAfter: '4h',
  deleteStoppedAfter: '2d',
  deleteWarnBefore: '1d',
  scope: { regions: [REGION] },
  notify: { topicArn: 'arn:aws:sns:us-east-1:123456789012:cleanup' },
};

describe('End to end: idle builder cleanup on the local runtime against the emulator', () => {
  const fx = useEmulator();
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${fx.emu.endpoint}/_emulator/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const state = (name: string, account = ACCOUNT) => {
    fx.emu.world.settle(REGION);
    return fx.emu.world.store(account, REGION).builders.get(name)?.state ?? 'DELETED';
  };
  const tagsOf = async (name: string, account = ACCOUNT) =>
    (
      await fx.client({ account }).send(
        new ListTagsForResourceCommand({
          ResourceArn: `arn:aws:appstream:${REGION}:${account}:image-builder/${name}`,
        }),
      )
    ).Tags ?? {};
  /** Advances the virtual clock to `t0 + ms`. */
  const at = (t0: number, ms: number) => fx.emu.control.advance(Math.max(0, t0 + ms - fx.emu.world.now()));
  /**
   * Backdates the first-seen marks to the builders' creation, as if cleanup had watched them since
   * (a builder created before it was first seen is otherwise presumed in use for sessionGrace from
   * then: see 'first rollout'); the timelines below then run from creation.
   */
  const seenAtCreation = async (t0: number, names: string[], account = ACCOUNT) => {
    for (const name of names)
      await fx.client({ account }).send(
        new TagResourceCommand({
          ResourceArn: `arn:aws:appstream:${REGION}:${account}:image-builder/${name}`,
          Tags: { [TAG.cleanup]: formatMark({ seen: t0 - MIN }) },
        }),
      );
  };
  const run = (extra: Record<string, unknown> = {}, opts: { dryRun?: boolean } = {}) =>
    runCleanupLocally({ policy: { ...POLICY, ...extra }, emulator: fx.emu, ...opts });
  const row = (r: Awaited<ReturnType<typeof run>>, builder: string) =>
    r.decisions.find((d) => d.builder === builder)!;

  it('marks first, warns at warnAfter, stops at stopAfter, deletes after deleteStoppedAfter; a connected builder keeps running', async () => {
    // Prepare: two builders created together (idle clock from CreatedTime), RUNNING after 12 min.
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'idle');
    await createBuilder(fx.client(), 'used');
    at(t0, 13 * MIN);

    // First run: only marks (grace), never more.
    const first = await run();
    expect(row(first, 'idle')).toMatchObject({ action: 'none', state: 'RUNNING' });
    expect(row(first, 'idle').reason).toMatch(/first seen/);
    expect((await tagsOf('idle'))[TAG.cleanup]).toMatch(/^seen@/);
    await seenAtCreation(t0, ['idle', 'used']);

    // Someone connects to `used` from the console at t0 + 1h: recorded at the next run's catch-up.
    at(t0, HOUR);
    await post('image-builders/connect', { name: 'used' });

    at(t0, 2 * HOUR - MIN);
    const before = await run();
    expect(row(before, 'idle').action).toBe('none');
    expect(before.summary.connectionEvents.recorded).toBe(1);
    expect((await tagsOf('used'))[TAG.lastConnection]).toBeDefined();

    at(t0, 2 * HOUR + MIN);
    const warned = await run();
    expect(row(warned, 'idle')).toMatchObject({ action: 'warn', result: 'applied' });
    expect(row(warned, 'used').action).toBe('none');
    expect((await tagsOf('idle'))[TAG.cleanup]).toMatch(/^stop@.* warned@/);
    // The warning went out, naming the builder and its creator.
    expect(warned.notifications).toHaveLength(1);
    const body = warned.notifications[0].message as { warned: { builder: string; creator?: string }[] };
    expect(body.warned.map((b) => b.builder)).toEqual(['idle']);
    expect(body.warned[0].creator).toBe(`arn:aws:iam::${ACCOUNT}:root`);

    at(t0, 4 * HOUR - 2 * MIN);
    expect(row(await run(), 'idle').action).toBe('none');
    expect(state('idle')).toBe('RUNNING');

    at(t0, 4 * HOUR + MIN);
    const stopped = await run();
    expect(row(stopped, 'idle')).toMatchObject({ action: 'stop', result: 'applied' });
    expect(row(stopped, 'used').action).toBe('none');
    expect(state('used')).toBe('RUNNING');
    at(t0, 4 * HOUR + 10 * MIN);
    expect(state('idle')).toBe('STOPPED');

    // Stopped 2d: warned 1d before, deleted at 2d.
    at(t0, 4 * HOUR + MIN + 24 * HOUR + MIN);
    expect(row(await run(), 'idle')).toMatchObject({ action: 'warn', result: 'applied' });
    at(t0, 4 * HOUR + MIN + 48 * HOUR - 5 * MIN);
    expect(row(await run(), 'idle').action).toBe('none');
    at(t0, 4 * HOUR + MIN + 48 * HOUR + MIN);
    const deleted = await run();
    expect(row(deleted, 'idle')).toMatchObject({ action: 'delete', result: 'applied' });
    at(t0, 4 * HOUR + 48 * HOUR + 10 * MIN);
    expect(state('idle')).toBe('DELETED');
    expect(deleted.summary.failedScopes).toEqual([]);
    expect(deleted.summary.perScope).toEqual([
      expect.objectContaining({ account: ACCOUNT, region: REGION, connectionSignal: true }),
    ]);
  });

  it("names the IAM user who created a builder (the recorder's TAG.creator) when it is stopped", async () => {
    // Prepare: Alice, an IAM user (the emulator reads `AKIA` + account + 4 characters as user-<those>),
    // creates the builder with her own keys.
    const t0 = fx.emu.world.now();
    const alice = new AppStreamClient({
      endpoint: fx.emu.endpoint,
      region: REGION,
      credentials: { accessKeyId: `AKIA${ACCOUNT}ALIC`, secretAccessKey: 'secret' },
    });
    await createBuilder(alice, 'alices');
    alice.destroy();
    const ALICE = `arn:aws:iam::${ACCOUNT}:user/user-ALIC`;
    at(t0, 13 * MIN);
    await run();
    expect((await tagsOf('alices'))[TAG.creator]).toBe(ALICE);
    await seenAtCreation(t0, ['alices']);
    // Act: warned at 2h, stopped at 4h (the idle clock from the creation event)
    at(t0, 2 * HOUR + MIN);
    const warned = await run();
    expect(row(warned, 'alices')).toMatchObject({ action: 'warn', creator: ALICE });
    at(t0, 4 * HOUR + MIN);
    const stopped = await run();
    // Assess
    expect(row(stopped, 'alices')).toMatchObject({ action: 'stop', result: 'applied', creator: ALICE });
    const body = stopped.notifications.at(-1)!.message as {
      stopped: { builder: string; creator?: string }[];
    };
    expect(body.stopped).toEqual([expect.objectContaining({ builder: 'alices', creator: ALICE })]);
    at(t0, 4 * HOUR + 10 * MIN);
    expect(state('alices')).toBe('STOPPED');
  });

  it('keeps a builder someone is logged on to running past stopAfter (presence heartbeats); warns and stops it after the logoff', async () => {
    // Prepare: created at t0, watched since; someone logs on at t0 + 1h for hours.
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'busy');
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, ['busy']);
    at(t0, HOUR);
    fx.emu.control.logonImageBuilder({ name: 'busy', minutes: 10 * 60 });
    // Act + Assess: logged on past warnAfter and stopAfter from the creation, never warned or stopped.
    for (const h of [2, 4, 6]) {
      at(t0, h * HOUR + MIN);
      const r = await run();
      expect(row(r, 'busy')).toMatchObject({ action: 'none', state: 'RUNNING' });
      expect(row(r, 'busy').idleMinutes).toBeLessThanOrEqual(5);
      expect(row(r, 'busy').reason).toMatch(/since presence/);
    }
    // The user logs off at t0 + 6h30m: the last heartbeat is the idle clock's start.
    at(t0, 6 * HOUR + 30 * MIN);
    fx.emu.control.logoffImageBuilder({ name: 'busy' });
    const caught = await run();
    expect(row(caught, 'busy').action).toBe('none');
    const last = parseLastConnection((await tagsOf('busy'))[TAG.lastConnection])!.presenceAt!;
    expect(last).toBeGreaterThan(t0 + 6 * HOUR + 20 * MIN);
    expect(last).toBeLessThanOrEqual(t0 + 6 * HOUR + 31 * MIN);
    at(last, 2 * HOUR - MIN);
    expect(row(await run(), 'busy').action).toBe('none');
    at(last, 2 * HOUR + MIN);
    expect(row(await run(), 'busy')).toMatchObject({ action: 'warn', result: 'applied' });
    at(last, 4 * HOUR - 2 * MIN);
    expect(row(await run(), 'busy').action).toBe('none');
    expect(state('busy')).toBe('RUNNING');
    at(last, 4 * HOUR + MIN);
    expect(row(await run(), 'busy')).toMatchObject({ action: 'stop', result: 'applied' });
    at(last, 4 * HOUR + 10 * MIN);
    expect(state('busy')).toBe('STOPPED');
  });

  it('a dry run changes nothing: no mark, no state change, no notification', async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'b1');
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, ['b1']);
    const marks = await tagsOf('b1');
    at(t0, 5 * HOUR);
    const dry = await run({}, { dryRun: true });
    expect(row(dry, 'b1')).toMatchObject({ action: 'warn', result: 'dry-run' });
    expect(dry.summary.dryRun).toBe(true);
    expect(await tagsOf('b1')).toEqual(marks);
    expect(state('b1')).toBe('RUNNING');
    expect(dry.notifications).toEqual([]);
    // dryRun in the policy works the same.
    expect(row(await run({ dryRun: true }), 'b1').result).toBe('dry-run');
    expect(await tagsOf('b1')).toEqual(marks);
  });

  it('a dry run still records connections (bookkeeping, as EventBridge on AWS) and decides by them; it writes no mark', async () => {
    // Prepare: created at t0, watched since; someone connects at t0 + 1h.
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'c1');
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, ['c1']);
    const mark = (await tagsOf('c1'))[TAG.cleanup];
    at(t0, HOUR);
    await post('image-builders/connect', { name: 'c1' });
    // Act: a dry run at t0 + 3h (idle 3h from the creation, were the connection not seen).
    at(t0, 3 * HOUR);
    const dry = await run({}, { dryRun: true });
    // Assess: the connection is recorded and the preview sees it (connection + sessionGrace).
    expect(dry.summary.connectionEvents.recorded).toBe(1);
    const connectedAt = parseLastConnection((await tagsOf('c1'))[TAG.lastConnection])?.connectedAt;
    // CloudTrail's eventTime is to the second; the tag holds it rounded up to the minute.
    expect(connectedAt).toBeGreaterThanOrEqual(t0 + HOUR - 1000);
    expect(connectedAt).toBeLessThanOrEqual(t0 + HOUR + MIN);
    expect(row(dry, 'c1')).toMatchObject({ action: 'none', idleMinutes: 0 });
    expect(row(dry, 'c1').reason).toMatch(/since connected .* \+ sessionGrace 8h/);
    // No mark changed, nothing stopped or notified.
    expect((await tagsOf('c1'))[TAG.cleanup]).toBe(mark);
    expect(state('c1')).toBe('RUNNING');
    expect(dry.notifications).toEqual([]);
    // The next real run finds the event already recorded (the cursor moved on).
    expect((await run()).summary.connectionEvents.recorded).toBe(0);
  });

  it('where connection events were lost this run, nothing is stopped (warn-only there)', async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'l1');
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, ['l1']);
    at(t0, 2 * HOUR + MIN);
    expect(row(await run(), 'l1').action).toBe('warn');
    // A cursor this emulator never gave out: the events in between are lost.
    const cursorFile = join(mkdtempSync(join(tmpdir(), 'cleanup-cursor-')), 'cursors.json');
    writeFileSync(cursorFile, JSON.stringify({ [`${ACCOUNT}/${REGION}`]: 1e12 }));
    at(t0, 4 * HOUR + MIN);
    const lost = await runCleanupLocally({ policy: POLICY, emulator: fx.emu, cursorFile });
    expect(lost.summary.connectionEvents.truncated).toBe(true);
    expect(row(lost, 'l1').action).toBe('none');
    expect(row(lost, 'l1').reason).toMatch(/no connection signal/);
    expect(lost.summary.perScope).toEqual([expect.objectContaining({ connectionSignal: false })]);
    expect(state('l1')).toBe('RUNNING');
  });

  it('leaves an opted-out builder untouched', async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'kept', { Tags: { [TAG.keep]: 'true' } });
    at(t0, 13 * MIN);
    await run();
    for (const h of [3, 5, 7]) {
      at(t0, h * HOUR);
      const r = await run();
      expect(row(r, 'kept').action).toBe('skip');
      expect(row(r, 'kept').reason).toMatch(/opted out/);
    }
    expect(state('kept')).toBe('RUNNING');
    expect((await tagsOf('kept'))[TAG.cleanup]).toBeUndefined();
  });

  it('a real pipeline run’s builder (tagged with the run’s short id) is left to the run while it is RUNNING, handled once it ended', async () => {
    // The local runtime's pipeline executions, as ListExecutions lists them on AWS.
    const runs: PipelineRun[] = [];
    const pipelineRuns = async () => runs.map((r) => ({ ...r }));
    const cleanup = () => runCleanupLocally({ policy: POLICY, emulator: fx.emu, pipelineRuns });
    const execution = 'office-run-1';
    const builder = derivedBuilderName('office', execution);
    // As the run submits its build (its builder RUNNING, the run RUNNING), cleanup runs.
    let during: Awaited<ReturnType<typeof cleanup>> | undefined;
    let tagsDuring: Record<string, string> = {};
    const inner = localChannel(fx.emu);
    const channel: BuilderChannel = {
      submit: async (region, job) => {
        if (!during) {
          tagsDuring = await tagsOf(builder);
          during = await cleanup();
        }
        await inner.submit(region, job);
      },
      claim: (region, name, jobId) => inner.claim(region, name, jobId),
      result: (region, name, jobId) => inner.result(region, name, jobId),
    };
    runs.push({ name: execution, status: 'RUNNING', startDate: fx.emu.world.now() });
    const { result } = await runPipeline(fx, samplePipeline({ name: 'office' }), {
      executionName: execution,
      channel,
    });
    runs[0].status = result.status;
    expect(result.status).toBe('SUCCEEDED');

    // The pipeline tagged its builder with the run's short id, not the execution's name.
    expect(tagsDuring[TAG.execution]).toBe(executionId(execution));
    expect(tagsDuring[TAG.execution]).not.toBe(execution);
    expect(row(during!, builder)).toMatchObject({ action: 'skip', state: 'RUNNING' });
    expect(row(during!, builder).reason).toMatch(
      `owned by pipeline run ${executionId(execution)} (RUNNING): left to that run`,
    );
    expect(during!.notifications).toEqual([]);

    // Ended (its builder stopped, whenDone: stop): cleanup handles it like any other builder of a
    // pipeline: marked, stopped only, never deleted.
    const after = await cleanup();
    expect(row(after, builder)).toMatchObject({ action: 'none', state: 'STOPPED' });
    expect(row(after, builder).reason).toMatch(/^first seen/);
    expect((await tagsOf(builder))[TAG.cleanup]).toMatch(/stopped@/);
    at(fx.emu.world.now(), 3 * 24 * HOUR);
    const later = await cleanup();
    expect(row(later, builder).action).toBe('none');
    expect(row(later, builder).reason).toMatch(/builder of pipeline office .*: stopped only, never deleted/);
    expect(state(builder)).toBe('STOPPED');
  });

  it('a builder whose run no listed execution matches (another stack’s, or older than 90 days) is left alone', async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'stray', {
      Tags: {
        [TAG.execution]: executionId('elsewhere'),
        [TAG.deployment]: 'local',
        [TAG.pipeline]: 'office',
      },
    });
    at(t0, 5 * HOUR);
    const r = await runCleanupLocally({ policy: POLICY, emulator: fx.emu, pipelineRuns: async () => [] });
    expect(row(r, 'stray').action).toBe('skip');
    expect(row(r, 'stray').reason).toMatch(/cannot see: left to that pipeline's own backstop/);
    expect(state('stray')).toBe('RUNNING');
  });

  it('sweeps another account through STS AssumeRole; an account whose role is missing is reported, the others done', async () => {
    const t0 = fx.emu.world.now();
    const THIRD = '333344445555';
    for (const account of [ACCOUNT, OTHER_ACCOUNT, THIRD]) await createBuilder(fx.client({ account }), 'b1');
    await post('sts/roles', { roleArn: `arn:aws:iam::${THIRD}:role/autopilot-cleanup`, assumable: false });
    at(t0, 13 * MIN);
    const policy = {
      scope: { regions: [REGION], accounts: [{ id: ACCOUNT }, { id: OTHER_ACCOUNT }, { id: THIRD }] },
    };
    await run(policy);
    for (const account of [ACCOUNT, OTHER_ACCOUNT]) await seenAtCreation(t0, ['b1'], account);
    at(t0, 2 * HOUR + MIN);
    const r = await run(policy);
    expect(
      r.decisions
        .filter((d) => d.action === 'warn')
        .map((d) => d.account)
        .sort(),
    ).toEqual([ACCOUNT, OTHER_ACCOUNT]);
    expect(r.summary.failedScopes).toEqual([
      { account: THIRD, region: REGION, error: expect.stringMatching(/AccessDenied/) },
    ]);
    // The other account's builder carries the marks, written with the assumed role's credentials.
    expect((await tagsOf('b1', OTHER_ACCOUNT))[TAG.cleanup]).toMatch(/^stop@/);
    const events = fx.emu.control.events({ accountId: OTHER_ACCOUNT, region: REGION, limit: 1000 }).events;
    const tagged = events.find((e) => (e.detail as { eventName: string }).eventName === 'TagResource')!;
    expect((tagged.detail as { userIdentity: { type: string } }).userIdentity.type).toBe('AssumedRole');
  });

  it('retries throttling: every due action applied once, nothing lost', async () => {
    const t0 = fx.emu.world.now();
    fx.emu.control.setQuotas({ imageBuilders: 20, imageBuilderInstances: 20 });
    const names = Array.from({ length: 8 }, (_, i) => `t${i}`);
    for (const n of names) await createBuilder(fx.client(), n);
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, names);
    at(t0, 2 * HOUR + MIN);
    await post('faults', { throttleRate: 0.3 });
    const since = fx.emu.control.events({ limit: 1000 }).nextCursor;
    const warned = await run();
    await post('faults', { throttleRate: 0 });
    // Calls were throttled (the log keeps failed calls too), and retried until they went through.
    const throttled = fx.emu.control
      .events({ since, limit: 1000 })
      .events.filter((e) => (e.detail as { errorCode?: string }).errorCode === 'ThrottlingException');
    expect(throttled.length).toBeGreaterThan(0);
    expect(warned.summary.failedScopes).toEqual([]);
    expect(names.map((n) => row(warned, n)?.action)).toEqual(names.map(() => 'warn'));
    for (const n of names) expect((await tagsOf(n))[TAG.cleanup]).toMatch(/^stop@/);
    at(t0, 4 * HOUR + MIN);
    await post('faults', { throttleRate: 0.3 });
    const stopped = await run();
    await post('faults', { throttleRate: 0 });
    expect(names.map((n) => row(stopped, n)?.result)).toEqual(names.map(() => 'applied'));
    at(t0, 4 * HOUR + 10 * MIN);
    for (const n of names) expect(state(n)).toBe('STOPPED');
    // Applied once: one successful StopImageBuilder per builder, however many were throttled.
    const stops = fx.emu.control
      .events({ limit: 1000 })
      .events.map(
        (e) => e.detail as { eventName: string; errorCode?: string; requestParameters?: { name?: string } },
      )
      .filter((d) => d.eventName === 'StopImageBuilder' && !d.errorCode)
      .map((d) => d.requestParameters?.name);
    expect(stops.sort()).toEqual([...names].sort());
  });

  it('a run started while another is still going skips (the overlap guard), changing nothing', async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'b1');
    at(t0, 13 * MIN);
    let second: ReturnType<typeof runCleanupLocally> | undefined;
    const first = await runCleanupLocally({
      policy: POLICY,
      emulator: fx.emu,
      executionName: 'cleanup-a',
      // While the first run sweeps, the next scheduled run starts.
      onProgress: (e) => {
        if (e.type === 'entered' && e.state === 'Sweep' && !second)
          second = runCleanupLocally({ policy: POLICY, emulator: fx.emu, executionName: 'cleanup-b' });
      },
    });
    const skipped = await second!;
    expect(skipped.summary.skipped).toMatch(/run cleanup-a .* is still going/);
    expect(skipped.decisions).toEqual([]);
    expect(row(first, 'b1').action).toBe('none');
    // Once the first run ended, the next one runs.
    expect((await runCleanupLocally({ policy: POLICY, emulator: fx.emu })).summary.skipped).toBeUndefined();
  });

  it('a warned builder that goes through UPDATING_AGENT is not stopped when it is back: warned afresh first', async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'agent');
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, ['agent']);
    at(t0, 2 * HOUR + MIN);
    expect(row(await run(), 'agent').action).toBe('warn');
    // The stop is due at 4h; at 5h the builder is updating its agent (the run skips it)...
    at(t0, 5 * HOUR);
    const store = fx.emu.world.store(ACCOUNT, REGION);
    store.enter('imageBuilder', store.builders.get('agent')!, 'UPDATING_AGENT', fx.emu.world.now());
    const during = await run();
    expect(row(during, 'agent')).toMatchObject({ action: 'skip', state: 'UPDATING_AGENT' });
    expect(row(during, 'agent').reason).toMatch(/announced plan withdrawn, idle clock restarts/);
    expect((await tagsOf('agent'))[TAG.cleanup]).toMatch(/^started@\S+ seen@/);
    // ...and back RUNNING at the next run: not stopped on the old warning.
    store.enter('imageBuilder', store.builders.get('agent')!, 'RUNNING', fx.emu.world.now());
    at(t0, 5 * HOUR + 15 * MIN);
    expect(row(await run(), 'agent').action).toBe('none');
    expect(state('agent')).toBe('RUNNING');
    // A fresh warning warnAfter later, then the stop.
    at(t0, 7 * HOUR + MIN);
    const warned = await run();
    expect(row(warned, 'agent')).toMatchObject({ action: 'warn', result: 'applied' });
    expect(warned.notifications).toHaveLength(1);
    at(t0, 9 * HOUR + MIN);
    expect(row(await run(), 'agent')).toMatchObject({ action: 'stop', result: 'applied' });
  });

  it("an image pipeline's builder (autopilot:pipeline) is stopped when idle but never deleted", async () => {
    const t0 = fx.emu.world.now();
    await createBuilder(fx.client(), 'existing', { Tags: { [TAG.pipeline]: 'office' } });
    at(t0, 13 * MIN);
    await run();
    await seenAtCreation(t0, ['existing']);
    at(t0, 2 * HOUR + MIN);
    expect(row(await run(), 'existing').action).toBe('warn');
    at(t0, 4 * HOUR + MIN);
    expect(row(await run(), 'existing')).toMatchObject({ action: 'stop', result: 'applied' });
    for (const days of [1, 2, 3]) {
      at(t0, 4 * HOUR + 10 * MIN + days * 24 * HOUR);
      const r = await run();
      expect(row(r, 'existing').action).toBe('none');
      expect(row(r, 'existing').reason).toMatch(/builder of pipeline office .*: stopped only, never deleted/);
    }
    expect(state('existing')).toBe('STOPPED');
  });
});
