import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppStreamClient,
  DescribeImageBuildersCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-appstream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decisionLines, decisionsJson } from '../../bin/cleanup-report';
import { type RunningEmulator, startEmulator } from '../../emulator';
import { isoMinute } from '../../lib/cleanup/marks';
import { builderArn } from '../../lib/cleanup/recorder';
import { TAG } from '../../lib/tags';
import type { CleanupRunSummary } from '../../local/cleanup';
import { createBuilder } from '../helpers/builders';
import { autopilot as run } from '../helpers/cli';
import { ACCOUNT, MIN } from '../helpers/emulator';

const autopilot = (args: string[]) =>
  run(['cleanup', ...args], { env: { ...process.env, AWS_REGION: 'us-east-1' } });

const dir = mkdtempSync(join(tmpdir(), 'cli-cleanup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = 'examples/cleanup.yaml';
const HOUR = 60 * MIN;

/** A one-line error: no stack trace, no multi-line dump. */
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0];
};

/** Each decision has exactly the keys, in its order. */
const expectDecisionKeys = (decisions: object[]) => {
  for (const d of decisions)
    expect(Object.keys(d)).toEqual([
      'account',
      'region',
      'builder',
      'state',
      'idleMinutes',
      'action',
      'reason',
    ]);
};

const policyFile = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** Warn after 2h, stop after 4h, the caller's account in us-east-1; warnings by tags only. */
const POLICY = policyFile(
  'policy.yaml',
  'warnAfter: 2h\nstopAfter: 4h\nminNotice: 1h\nnotify: none\nscope:\n  regions: [us-east-1]\n',
);

describe('CLI: autopilot cleanup validate', () => {
  it('accepts the example policy and prints what it means', async () => {
    const out = await autopilot(['validate', EXAMPLE, '--json']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      valid: true,
      scopes: 4,
      policy: { warnAfter: '2h', stopAfter: '4h', deleteStoppedAfter: '30d', sessionGrace: '8h' },
    });
    const text = await autopilot(['validate', EXAMPLE]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('warn after 2h, stop after 4h');
  });

  it('refuses an invalid policy with one line naming the field, exit 1', async () => {
    const order = policyFile(
      'order.yaml',
      'warnAfter: 4h\nstopAfter: 2h\nnotify: none\nscope: { regions: [eu-west-1] }\n',
    );
    const out = await autopilot(['validate', order]);
    expect(out.code).toBe(1);
    expect(oneLine(out.stderr)).toBe(
      `autopilot cleanup: ConfigError: ${order}: stopAfter: must be longer than warnAfter (4h): a stop is always warned first`,
    );
    const unit = policyFile('unit.yaml', 'warnAfter: 2x\nstopAfter: 4h\nscope: { regions: [eu-west-1] }\n');
    const bad = await autopilot(['validate', unit]);
    expect(bad.code).toBe(1);
    expect(oneLine(bad.stderr)).toContain(`${unit}: warnAfter: '2x' is not a duration`);
    const region = policyFile('region.yaml', 'warnAfter: 2h\nstopAfter: 4h\nscope: { regions: [mars-1] }\n');
    expect(oneLine((await autopilot(['validate', region])).stderr)).toContain('scope.regions');
  });

  it('answers a command line it cannot use with exit 2 and one line', async () => {
    const unknown = await autopilot(['validate', EXAMPLE, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toMatch(/^autopilot cleanup validate: Unknown option '--bogus'/);
    const sub = await autopilot(['frobnicate']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("Unknown cleanup command 'frobnicate'");
    const where = await autopilot(['run', POLICY]);
    expect(where.code).toBe(2);
    expect(oneLine(where.stderr)).toMatch(
      /^autopilot cleanup run: where to run: --local .* or --aws --state-machine-arn <arn>/,
    );
    // --aws: each option it can't use is named, before anything reaches AWS.
    for (const [args, says] of [
      [['--aws'], '--aws needs --state-machine-arn'],
      [
        ['--aws', '--state-machine-arn', 'arn:aws:states:eu-west-1:1:execution:x'],
        "--state-machine-arn: 'arn:aws:states:eu-west-1:1:execution:x' is not a state machine ARN",
      ],
      [['--aws', '--local'], '--aws runs the deployed state machine: it takes no --local'],
      [['--local', '--no-wait'], '--no-wait goes with --aws'],
      [['--local', '--state-machine-arn', 'x'], '--state-machine-arn goes with --aws'],
    ] as const) {
      const out = await autopilot(['run', POLICY, ...args]);
      expect(out.code).toBe(2);
      expect(oneLine(out.stderr)).toContain(says);
    }
    const help = await autopilot(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--endpoint-url');
  });
});

describe('CLI: autopilot cleanup run --local against a running emulator', () => {
  const START = Date.parse('2026-11-30T08:00:00Z');
  let emu: RunningEmulator;
  let client: AppStreamClient;
  beforeAll(async () => {
    emu = await startEmulator({ jitterSigma: 0, speed: 1e-9, start: START });
    client = new AppStreamClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await emu?.stop();
  });
  beforeEach(async () => {
    emu.control.reset();
    // Created now; the run is 5 h later: idle 5 h since creation.
    const t = emu.world.now();
    await createBuilder(client, 'due', {
      Tags: {
        [TAG.cleanup]: `stop@${isoMinute(t + 4 * HOUR)} warned@${isoMinute(t + 2 * HOUR)} seen@${isoMinute(t)}`,
      },
    });
    await createBuilder(client, 'to-warn', { Tags: { [TAG.cleanup]: `seen@${isoMinute(t)}` } });
    await createBuilder(client, 'kept', { Tags: { [TAG.keep]: 'true' } });
    await createBuilder(client, 'new');
    emu.control.advance(5 * HOUR);
  });

  const tagsOf = async (name: string) =>
    (
      await client.send(
        new ListTagsForResourceCommand({ ResourceArn: builderArn(ACCOUNT, 'us-east-1', name) }),
      )
    ).Tags ?? {};
  const stateOf = async (name: string) =>
    (await client.send(new DescribeImageBuildersCommand({ Names: [name] }))).ImageBuilders?.[0]?.State;

  it('--json prints exactly {decisions: [{account, region, builder, state, idleMinutes, action, reason}], summary}', async () => {
    const out = await autopilot(['run', POLICY, '--local', '--endpoint-url', emu.endpoint, '--json']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(Object.keys(json).sort()).toEqual(['decisions', 'summary']);
    expectDecisionKeys(json.decisions);
    const byName = Object.fromEntries(
      json.decisions.map((d: { builder: string }) => [d.builder, d]),
    ) as Record<string, Record<string, unknown>>;
    expect(byName.due).toMatchObject({
      account: ACCOUNT,
      region: 'us-east-1',
      state: 'RUNNING',
      idleMinutes: 300,
      action: 'stop',
    });
    expect(byName['to-warn']).toMatchObject({ action: 'warn', idleMinutes: 300 });
    expect(byName.kept).toMatchObject({ action: 'skip', idleMinutes: null });
    expect(byName.kept.reason).toContain('opted out');
    expect(byName.new).toMatchObject({ action: 'none' });
    expect(byName.new.reason).toContain('first seen');
    // Applied: the reasons say nothing more.
    expect(byName.due.reason).not.toMatch(/FAILED|dry run/);
    expect(json.summary).toMatchObject({
      dryRun: false,
      counts: expect.objectContaining({ stop: 1, warn: 1, skip: 1, none: 1 }),
      failedScopes: [],
      failedActions: [],
      perScope: [expect.objectContaining({ account: ACCOUNT, region: 'us-east-1', connectionSignal: true })],
      // The four CreateImageBuilder calls of beforeEach: each builder's creator and started@.
      connectionEvents: { recorded: 4, truncated: false, notes: [] },
    });
    // Applied: stopped, and the warning's plan is on the builder.
    expect(await stateOf('due')).toMatch(/STOPPING|STOPPED/);
    expect((await tagsOf('to-warn'))[TAG.cleanup]).toMatch(/^stop@\S+ warned@/);
  });

  it('--dry-run decides the same and changes nothing', async () => {
    const before = {
      due: await tagsOf('due'),
      warn: await tagsOf('to-warn'),
      fresh: await tagsOf('new'),
    };
    const out = await autopilot(['run', POLICY, '--local', '--endpoint-url', emu.endpoint, '--dry-run']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('DRY RUN');
    expect(out.stdout).toMatch(/ACCOUNT\s+REGION\s+BUILDER\s+STATE\s+IDLE FOR\s+ACTION\s+REASON/);
    expect(out.stdout).toMatch(/due\s+RUNNING\s+5h\s+stop \(dry run\)/);
    expect(out.stdout).toContain('(dry run: nothing changed)');
    expect(await stateOf('due')).toBe('RUNNING');
    // No mark changes (autopilot:cleanup); the recorder's bookkeeping still catches up the events
    // (the creations of beforeEach: creator and started@), as EventBridge would on AWS.
    const after = { due: await tagsOf('due'), warn: await tagsOf('to-warn'), fresh: await tagsOf('new') };
    expect(after.due[TAG.cleanup]).toBe(before.due[TAG.cleanup]);
    expect(after.warn[TAG.cleanup]).toBe(before.warn[TAG.cleanup]);
    expect(after.fresh[TAG.cleanup]).toBeUndefined();
    expect(out.stdout).toContain('connection events recorded: 4');
    expect(after.due[TAG.creator]).toBeDefined();
    expect(after.due[TAG.lastConnection]).toMatch(/^started@/);
  });

  it('--dry-run --json: the same shape, the reason says the action was not done', async () => {
    const out = await autopilot([
      'run',
      POLICY,
      '--local',
      '--endpoint-url',
      emu.endpoint,
      '--dry-run',
      '--json',
    ]);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    const due = json.decisions.find((d: { builder: string }) => d.builder === 'due');
    expect(Object.keys(due)).toEqual([
      'account',
      'region',
      'builder',
      'state',
      'idleMinutes',
      'action',
      'reason',
    ]);
    expect(due.action).toBe('stop');
    expect(due.reason).toMatch(/ — dry run$/);
    expect(json.decisions.find((d: { builder: string }) => d.builder === 'kept').reason).not.toContain(
      'dry run',
    );
    expect(json.summary.failedActions).toEqual([]);
    expect(await stateOf('due')).toBe('RUNNING');
  });

  it('records a console Connect before deciding: the builder is kept alive', async () => {
    const connect = await fetch(`${emu.endpoint}/_emulator/image-builders/connect`, {
      method: 'POST',
      body: JSON.stringify({ name: 'to-warn', userArn: `arn:aws:iam::${ACCOUNT}:user/jane` }),
    });
    expect(connect.status).toBe(200);
    const out = await autopilot(['run', POLICY, '--local', '--endpoint-url', emu.endpoint, '--json']);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    const row = json.decisions.find((d: { builder: string }) => d.builder === 'to-warn');
    expect(row).toMatchObject({ action: 'none', idleMinutes: 0 });
    expect(row.reason).toContain('sessionGrace 8h');
    // The four creations of beforeEach and the Connect.
    expect(json.summary.connectionEvents.recorded).toBe(5);
  });

  it('refuses an endpoint where no emulator answers', async () => {
    const out = await autopilot(['run', POLICY, '--local', '--endpoint-url', 'http://127.0.0.1:9']);
    expect(out.code).toBe(2);
    expect(oneLine(out.stderr)).toContain('no emulator answers at http://127.0.0.1:9');
  });
});

describe('CLI: autopilot cleanup simulate', () => {
  it('--hours 16: the idle builder is warned 2h, stopped 4h after first seen + sessionGrace; a logged-on one outlives its grace; the others are kept', async () => {
    const out = await autopilot(['simulate', EXAMPLE, '--hours', '16', '--local', '--json']);
    expect(out.code).toBe(0);
    const sim = JSON.parse(out.stdout);
    expect(sim).toMatchObject({ runs: 64, failedRuns: 0, cadenceMinutes: 15, from: '2026-11-30T08:00:00Z' });
    const acted = (builder: string) =>
      sim.timeline
        .filter(
          (e: { builder: string; by: string; action: string }) =>
            e.builder === builder && e.by === 'cleanup' && e.action !== 'none',
        )
        .map((e: { at: string; action: string }) => [e.at, e.action]);
    const idle = sim.timeline.filter(
      (e: { builder: string; action: string }) => e.builder === 'idle-never-used' && e.action !== 'none',
    );
    // Created before cleanup first saw it (08:00): presumed possibly in use for sessionGrace 8h
    // (the first rollout never stops a session), so idle from 16:00: warned at 18:00, stopped at 20:00.
    expect(idle.map((e: { at: string; action: string }) => [e.at, e.action])).toEqual([
      ['2026-11-30T18:00:00Z', 'warn'],
      ['2026-11-30T20:00:00Z', 'stop'],
    ]);
    // Both connected at 09:00. Without presence the connection keeps morning-session alive for
    // sessionGrace (8h: idle from 17:00, warned 19:00, stopped 21:00). Logged on 09:00–19:00,
    // logged-on stays RUNNING past that; idle from its last heartbeat (≈19:00): warned 21:00, stopped 23:00.
    expect(acted('morning-session')).toEqual([
      ['2026-11-30T19:00:00Z', 'warn'],
      ['2026-11-30T21:00:00Z', 'stop'],
    ]);
    expect(acted('logged-on')).toEqual([
      ['2026-11-30T21:00:00Z', 'warn'],
      ['2026-11-30T23:00:00Z', 'stop'],
    ]);
    // Its idle clock ran from the last heartbeat (18:55, the last before the logoff at 19:00).
    const loggedOn = sim.builders.find((b: { name: string }) => b.name === 'logged-on');
    expect(loggedOn.lastConnection).toContain('presence@2026-11-30T18:55Z');
    const warned = sim.timeline.find(
      (e: { builder: string; action: string }) => e.builder === 'logged-on' && e.action === 'warn',
    );
    expect(warned.reason).toMatch(/^idle 2h5m since presence ≥ warnAfter 2h/);
    expect(
      sim.timeline.some(
        (e: { builder: string; by: string; action: string }) =>
          e.builder === 'logged-on' && e.by === 'person' && e.action === 'logon',
      ),
    ).toBe(true);
    const final = Object.fromEntries(
      sim.builders.map((b: { name: string; state: string }) => [b.name, b.state]),
    );
    expect(final).toMatchObject({
      'idle-never-used': 'STOPPED',
      'daily-user': 'RUNNING',
      'morning-session': 'STOPPED',
      'logged-on': 'STOPPED',
      'opted-out': 'RUNNING',
      'pipeline-owned': 'RUNNING',
    });
    expect(
      sim.timeline.some(
        (e: { builder: string; by: string; action: string }) =>
          e.builder === 'daily-user' && e.by === 'person' && e.action === 'connect',
      ),
    ).toBe(true);
    const text = await autopilot(['simulate', EXAMPLE, '--hours', '2', '--local']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/TIME\s+AFTER\s+BUILDER\s+BY\s+ACTION\s+REASON/);
    expect(text.stdout).toContain('Final states');
    const local = await autopilot(['simulate', EXAMPLE]);
    expect(local.code).toBe(2);
    expect(oneLine(local.stderr)).toContain('add --local');
  });
});

describe('CLI: cleanup --json shows what came of each action', () => {
  const row = {
    account: '123456789012',
    region: 'us-east-1',
    state: 'RUNNING',
    idleMinutes: 300,
    reason: 'idle 5h ≥ stopAfter 4h',
  };
  const summary = {
    at: '2026-11-27T12:00:00.000Z',
    dryRun: false,
    failedScopes: [],
  } as unknown as CleanupRunSummary;

  it('keeps the issue’s shape; a failed action says FAILED in its reason and in summary.failedActions', () => {
    const json = decisionsJson(
      [
        { ...row, builder: 'ok', action: 'stop', result: 'applied' },
        {
          ...row,
          builder: 'bad',
          action: 'stop',
          result: 'failed',
          error: 'ConcurrentModificationException: busy',
        },
        { ...row, builder: 'later', action: 'delete', result: 'skipped', error: 'past the run deadline' },
        { ...row, builder: 'idle', action: 'none', result: 'dry-run', idleMinutes: undefined },
        {
          ...row,
          builder: 'late',
          action: 'stop',
          result: 'deferred',
          error: 'past the run deadline 2026-11-27T12:08Z',
        },
      ],
      summary,
    );
    expectDecisionKeys(json.decisions);
    const [ok, bad, later, idle, late] = json.decisions;
    // A deferred action keeps the decided action; its reason says it was deferred and why.
    expect(late).toMatchObject({
      action: 'stop',
      reason: `${row.reason} — deferred: past the run deadline 2026-11-27T12:08Z`,
    });
    expect(ok.reason).toBe(row.reason);
    expect(bad).toMatchObject({
      action: 'stop',
      reason: `${row.reason} — FAILED: ConcurrentModificationException: busy`,
    });
    expect(later.reason).toBe(`${row.reason} — not done (skipped): past the run deadline`);
    expect(idle).toMatchObject({ action: 'none', idleMinutes: null, reason: row.reason });
    expect(json.summary.failedActions).toEqual([
      {
        account: '123456789012',
        region: 'us-east-1',
        builder: 'bad',
        action: 'stop',
        error: 'ConcurrentModificationException: busy',
      },
    ]);
  });

  it('the table shows a deferred or skipped action as not done, with why in the reason (B4)', () => {
    const lines = decisionLines([
      { ...row, builder: 'late', action: 'stop', result: 'deferred', error: 'past the run deadline' },
      { ...row, builder: 'later', action: 'delete', result: 'skipped', error: 'busy' },
      { ...row, builder: 'ok', action: 'stop', result: 'applied' },
    ]);
    const late = lines.find((l) => l.includes(' late '))!;
    expect(late).toMatch(/ stop \(deferred\) +idle 5h ≥ stopAfter 4h — deferred: past the run deadline$/);
    const later = lines.find((l) => l.includes(' later '))!;
    expect(later).toMatch(/ delete \(not done\) +idle 5h ≥ stopAfter 4h — not done \(skipped\): busy$/);
    const ok = lines.find((l) => l.includes(' ok '))!;
    expect(ok).toMatch(/ stop +idle 5h ≥ stopAfter 4h$/);
  });
});
