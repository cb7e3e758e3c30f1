import { describe, expect, it } from 'vitest';
import { type CleanupSignals, decide, type ExecutionStatus } from '../../../lib/cleanup/decide';
import { DAY, HOUR, MINUTE } from '../../../lib/cleanup/duration';
import { formatMark, parseMark } from '../../../lib/cleanup/marks';
import { TAG } from '../../../lib/tags';
import { builder, marked, POLICY, policyOf, SIGNALS, T0, WARNED } from './decide-fixtures';

const markAfter = (d: ReturnType<typeof decide>) => parseMark(d.tags?.set[TAG.cleanup]);

describe('Cleanup decide: what is never acted on (skip)', () => {
  it('skips builders out of the policy scope, writing nothing', () => {
    const policy = policyOf({ scope: { regions: ['eu-west-1'], exclude: { namePrefix: 'dev-' } } });
    const d = decide(builder(), {}, policy, T0 + DAY, SIGNALS);
    expect(d).toEqual({
      action: 'skip',
      reason: 'out of scope: name matching exclude.namePrefix dev-',
      notify: false,
    });
  });

  it.each(['STOPPING', 'DELETING'])('skips a %s builder (on its way out), writing nothing', (state) => {
    const d = decide(builder(state), WARNED, POLICY, T0 + DAY, SIGNALS);
    expect(d.action).toBe('skip');
    expect(d.reason).toBe(`${state}: acted on only when RUNNING or STOPPED (retried next run)`);
    expect(d.tags).toBeUndefined();
  });

  it.each([
    'PENDING',
    'UPDATING_AGENT',
    'REBOOTING',
    'SNAPSHOTTING',
    'FAILED',
    'UPDATING',
    'PENDING_QUALIFICATION',
    'PENDING_SYNCING_APPS',
    'SYNCING_APPS',
    'PENDING_IMAGE_IMPORT',
  ])(
    'skips a %s builder (retried next run), withdrawing an announced stop and restarting the idle clock',
    (state) => {
      const d = decide(builder(state), WARNED, POLICY, T0 + DAY, SIGNALS);
      expect(d.action).toBe('skip');
      expect(d.reason).toBe(
        `${state}: acted on only when RUNNING or STOPPED (retried next run); announced plan withdrawn, idle clock restarts`,
      );
      expect(d.tags).toEqual({
        set: { [TAG.cleanup]: formatMark({ started: T0 + DAY, seen: T0 }) },
        remove: [],
      });
    },
  );

  it.each<ExecutionStatus>(['RUNNING', 'PENDING_REDRIVE', 'UNKNOWN'])(
    'skips a builder whose pipeline run is %s',
    (status) => {
      const tags = { ...WARNED, [TAG.pipeline]: 'office', [TAG.execution]: 'office-run-7' };
      const d = decide(builder(), tags, POLICY, T0 + DAY, { ...SIGNALS, executionStatus: () => status });
      expect(d.action).toBe('skip');
      expect(d.reason).toBe(
        `owned by pipeline run office-run-7 (${status}): left to that run; announced plan withdrawn, idle clock restarts`,
      );
      expect(parseMark(d.tags?.set[TAG.cleanup])).toEqual({ seen: T0, started: T0 + DAY });
    },
  );

  it('skips a pipeline-owned builder when the run status cannot be looked up', () => {
    const tags = { [TAG.execution]: 'office-run-7' };
    expect(decide(builder(), tags, POLICY, T0 + DAY, SIGNALS).reason).toMatch(/\(UNKNOWN\)/);
  });

  it("skips a builder of another deployment's run: its status can't be looked up here", () => {
    const tags = { [TAG.execution]: 'office-run-7', [TAG.deployment]: 'autopilot-prod' };
    const signals = { ...SIGNALS, deployment: 'autopilot-dev', executionStatus: () => 'SUCCEEDED' as const };
    const d = decide(builder(), tags, POLICY, T0 + DAY, signals);
    expect(d.action).toBe('skip');
    expect(d.reason).toContain('deployment autopilot-prod: status unknown');
  });

  it.each<ExecutionStatus>(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'])(
    'treats a builder whose pipeline run is %s like any other',
    (status) => {
      const tags = { ...WARNED, [TAG.execution]: 'office-run-7', [TAG.deployment]: 'autopilot-dev' };
      const signals = { ...SIGNALS, deployment: 'autopilot-dev', executionStatus: () => status };
      expect(decide(builder(), tags, POLICY, T0 + 4 * HOUR, signals).action).toBe('stop');
    },
  );

  it('skips an opted-out builder (true) and withdraws a plan its mark announced', () => {
    const d = decide(builder(), { ...WARNED, [TAG.keep]: 'true' }, POLICY, T0 + DAY, SIGNALS);
    expect(d.action).toBe('skip');
    expect(d.reason).toBe('opted out (autopilot:keep): kept (true)');
    expect(d.tags).toEqual({ set: { [TAG.cleanup]: formatMark({ seen: T0 }) }, remove: [] });
  });

  it('skips a builder kept until a date, and acts from that minute on', () => {
    const tags = { ...WARNED, [TAG.keep]: '2026-11-27T12:00Z' };
    const until = Date.parse('2026-11-27T12:00Z');
    const before = decide(builder(), tags, POLICY, until - 1, SIGNALS);
    expect(before.action).toBe('skip');
    expect(before.reason).toBe('opted out (autopilot:keep): kept until 2026-11-27T12:00Z');
    // The warning given before the keep stands withdrawn only when the caller wrote the skip's tags;
    // here it was kept: the stop is due.
    expect(decide(builder(), tags, POLICY, until, SIGNALS).action).toBe('stop');
  });

  it("honours the policy's optOutTag instead of autopilot:keep", () => {
    const policy = policyOf({ optOutTag: 'cost:keep' });
    expect(decide(builder(), { ...WARNED, 'cost:keep': 'true' }, policy, T0 + DAY, SIGNALS).action).toBe(
      'skip',
    );
    expect(decide(builder(), { ...WARNED, [TAG.keep]: 'true' }, policy, T0 + DAY, SIGNALS).action).toBe(
      'stop',
    );
  });

  it('stop-only: a RUNNING builder is stopped, a STOPPED one never deleted', () => {
    const keep = { [TAG.keep]: 'stop-only' };
    expect(decide(builder(), { ...WARNED, ...keep }, POLICY, T0 + 4 * HOUR, SIGNALS).action).toBe('stop');
    const stopped = marked(
      { seen: T0, stopped: T0, warned: T0 + 29 * DAY, plan: { op: 'delete', at: T0 + 30 * DAY } },
      keep,
    );
    const d = decide(builder('STOPPED'), stopped, POLICY, T0 + 40 * DAY, SIGNALS);
    expect(d.action).toBe('skip');
    expect(d.reason).toBe('opted out (autopilot:keep): stop-only: never deleted');
    expect(markAfter(d)).toEqual({ seen: T0, stopped: T0 });
  });

  it('no-notify: acts but leaves the builder out of notifications', () => {
    const d = decide(builder(), { ...WARNED, [TAG.keep]: 'no-notify' }, POLICY, T0 + 4 * HOUR, SIGNALS);
    expect(d.action).toBe('stop');
    expect(d.notify).toBe(false);
    expect(decide(builder(), WARNED, POLICY, T0 + 4 * HOUR, SIGNALS).notify).toBe(true);
  });
});

describe('Cleanup decide: first sight only marks (first rollout)', () => {
  it('never stops a builder that existed before it was first seen within sessionGrace of that (+ warnAfter, + minNotice)', () => {
    // 3 days old, first seen now: a session begun before the recorder saw it may be going on.
    const seen = T0 + 3 * DAY;
    let tags: Record<string, string> = {};
    const first = decide(builder(), tags, POLICY, seen, SIGNALS);
    expect(first.action).toBe('none');
    tags = { ...tags, ...first.tags!.set };
    const grace = seen + POLICY.sessionGrace;
    // Every run until seen + sessionGrace + warnAfter: nothing (idle clock restarts at seen + grace).
    for (let t = seen + 5 * MINUTE; t < grace + POLICY.warnAfter; t += 15 * MINUTE) {
      const d = decide(builder(), tags, POLICY, t, SIGNALS);
      expect(d.action, new Date(t).toISOString()).toBe('none');
      expect(d.reason).toContain('first seen 2026-11-29T10:00Z + sessionGrace 8h');
    }
    const warn = decide(builder(), tags, POLICY, grace + POLICY.warnAfter, SIGNALS);
    expect(warn.action).toBe('warn');
    expect(warn.planned!.at).toBeGreaterThanOrEqual(grace + POLICY.stopAfter);
    tags = { ...tags, ...warn.tags!.set };
    expect(decide(builder(), tags, POLICY, grace + POLICY.stopAfter - MINUTE, SIGNALS).action).toBe('none');
    expect(decide(builder(), tags, POLICY, grace + POLICY.stopAfter, SIGNALS).action).toBe('stop');
  });

  it('marks a RUNNING builder seen, whatever its idle time, and says how long it has been idle', () => {
    const now = T0 + 3 * DAY + 30_000;
    const d = decide(builder(), {}, POLICY, now, SIGNALS);
    expect(d.action).toBe('none');
    expect(d.reason).toBe('first seen: marked only; idle 3d since created');
    expect(d.idleMinutes).toBe(3 * 1440);
    expect(d.tags).toEqual({ set: { [TAG.cleanup]: 'seen@2026-11-29T10:01Z' }, remove: [] });
  });

  it('marks a STOPPED builder seen and stopped now (its stop time is unknown)', () => {
    const now = T0 + 40 * DAY;
    const d = decide(builder('STOPPED'), {}, POLICY, now, SIGNALS);
    expect(d.action).toBe('none');
    expect(markAfter(d)).toEqual({ seen: now, stopped: now });
  });

  it('re-marks a builder whose mark a person garbled, as a first sight', () => {
    const d = decide(builder(), { [TAG.cleanup]: 'please do not stop' }, POLICY, T0 + DAY, SIGNALS);
    expect(d.action).toBe('none');
    expect(d.reason).toContain("first seen (mark 'please do not stop' not understood): marked only");
    expect(markAfter(d)).toEqual({ seen: T0 + DAY });
  });
});

describe('Cleanup decide: warn, then stop, exact to the minute', () => {
  const seen = marked({ seen: T0 });

  it('does nothing while idle < warnAfter, and says when the warning comes', () => {
    const d = decide(builder(), seen, POLICY, T0 + 2 * HOUR - 1, SIGNALS);
    expect(d).toMatchObject({ action: 'none', idleSince: T0, idleMinutes: 119, notify: false });
    expect(d.reason).toBe('idle 1h59m since created; warn at 2026-11-26T12:00Z');
    expect(d.tags).toBeUndefined();
  });

  it('warns at idle = warnAfter exactly and marks the planned stop (idle start + stopAfter)', () => {
    const d = decide(builder(), seen, POLICY, T0 + 2 * HOUR, SIGNALS);
    expect(d).toMatchObject({
      action: 'warn',
      idleMinutes: 120,
      notify: true,
      planned: { op: 'stop', at: T0 + 4 * HOUR },
    });
    expect(d.reason).toBe('idle 2h since created ≥ warnAfter 2h: stop planned at 2026-11-26T14:00Z');
    expect(d.tags?.set[TAG.cleanup]).toBe(
      'stop@2026-11-26T14:00Z warned@2026-11-26T12:00Z seen@2026-11-26T10:00Z',
    );
  });

  it('does not stop a minute early, and stops at idle = stopAfter exactly', () => {
    const early = decide(builder(), WARNED, POLICY, T0 + 4 * HOUR - 1, SIGNALS);
    expect(early).toMatchObject({ action: 'none', planned: { op: 'stop', at: T0 + 4 * HOUR } });
    expect(early.reason).toBe(
      'idle 3h59m since created; warned 2026-11-26T12:00Z: stop due at 2026-11-26T14:00Z',
    );
    const d = decide(builder(), WARNED, POLICY, T0 + 4 * HOUR, SIGNALS);
    expect(d).toMatchObject({ action: 'stop', idleMinutes: 240, notify: true });
    expect(d.reason).toBe('idle 4h since created ≥ stopAfter 4h, warned 2026-11-26T12:00Z');
    expect(d.tags?.set).toEqual({
      [TAG.cleanup]: 'stopped@2026-11-26T14:00Z seen@2026-11-26T10:00Z',
      [TAG.lastAction]: '2026-11-26T14:00Z cleanup stop idle 4h',
    });
  });

  it('warns first when the thresholds pass in one jump, and stops minNotice after the warning', () => {
    const now = T0 + 3 * DAY;
    const warn = decide(builder(), seen, POLICY, now, SIGNALS);
    expect(warn).toMatchObject({ action: 'warn', planned: { op: 'stop', at: now + HOUR } });
    const tags = { [TAG.cleanup]: warn.tags!.set[TAG.cleanup] };
    expect(decide(builder(), tags, POLICY, now + 15 * MINUTE, SIGNALS).action).toBe('none');
    expect(decide(builder(), tags, POLICY, now + HOUR - 1, SIGNALS).action).toBe('none');
    expect(decide(builder(), tags, POLICY, now + HOUR, SIGNALS).action).toBe('stop');
  });

  it('never stops on the warning run itself, even with the shortest minNotice', () => {
    const policy = policyOf({ warnAfter: '1m', stopAfter: '2m', minNotice: '1m' });
    const now = T0 + DAY;
    const warn = decide(builder(), seen, policy, now, SIGNALS);
    expect(warn.action).toBe('warn');
    const tags = { [TAG.cleanup]: warn.tags!.set[TAG.cleanup] };
    expect(decide(builder(), tags, policy, now, SIGNALS).action).toBe('none');
    expect(decide(builder(), tags, policy, now + MINUTE, SIGNALS).action).toBe('stop');
  });

  it('rounds a plan up to the minute: never earlier than announced', () => {
    const created = T0 + 30_000; // 10:00:30
    const warn = decide(
      builder('RUNNING', { createdAt: created }),
      seen,
      POLICY,
      created + 2 * HOUR,
      SIGNALS,
    );
    expect(warn.tags?.set[TAG.cleanup]).toMatch(/^stop@2026-11-26T14:01Z warned@2026-11-26T12:01Z/);
    const tags = { [TAG.cleanup]: warn.tags!.set[TAG.cleanup] };
    expect(
      decide(builder('RUNNING', { createdAt: created }), tags, POLICY, created + 4 * HOUR, SIGNALS).action,
    ).toBe('none');
    expect(
      decide(builder('RUNNING', { createdAt: created }), tags, POLICY, T0 + 4 * HOUR + MINUTE, SIGNALS)
        .action,
    ).toBe('stop');
  });

  it('withdraws the warning when someone connects after it', () => {
    const connected = { ...WARNED, [TAG.lastConnection]: '2026-11-26T13:00Z' };
    const d = decide(builder(), connected, POLICY, T0 + 4 * HOUR, SIGNALS);
    expect(d).toMatchObject({ action: 'none', idleMinutes: 0, idleSince: T0 + 11 * HOUR });
    expect(d.reason).toBe(
      'idle 0m since connected 2026-11-26T13:00Z + sessionGrace 8h: active again, warning withdrawn; warn at 2026-11-26T23:00Z',
    );
    expect(markAfter(d)).toEqual({ seen: T0 });
  });

  it('warns again after a new idle period, with a new plan', () => {
    const connected = { ...WARNED, [TAG.lastConnection]: '2026-11-26T13:00Z' };
    const d = decide(builder(), connected, POLICY, T0 + 13 * HOUR, SIGNALS);
    expect(d).toMatchObject({ action: 'warn', planned: { op: 'stop', at: T0 + 15 * HOUR } });
  });
});

describe('Cleanup decide: the idle clock', () => {
  const seen = marked({ seen: T0 });
  const at = (tags: Record<string, string>, now: number, b = builder()) =>
    decide(b, { ...seen, ...tags }, POLICY, now, SIGNALS);

  it('a connection keeps a builder without a presence signal alive for sessionGrace', () => {
    const tags = { [TAG.lastConnection]: '2026-11-26T12:00Z' };
    // Connected at T0 + 2h: idle from T0 + 10h; warned at T0 + 12h exactly.
    expect(at(tags, T0 + 10 * HOUR)).toMatchObject({
      action: 'none',
      idleSince: T0 + 10 * HOUR,
      idleMinutes: 0,
    });
    expect(at(tags, T0 + 12 * HOUR - 1).action).toBe('none');
    expect(at(tags, T0 + 12 * HOUR).action).toBe('warn');
  });

  it('honours a shorter sessionGrace', () => {
    const d = decide(
      builder(),
      { ...seen, [TAG.lastConnection]: '2026-11-26T12:00Z' },
      policyOf({ sessionGrace: '30m' }),
      T0 + 5 * HOUR,
      SIGNALS,
    );
    expect(d).toMatchObject({ action: 'warn', idleSince: T0 + 2 * HOUR + 30 * MINUTE });
  });

  it("a heartbeat never cancels a connection's sessionGrace: idle from the later of the two", () => {
    // Connected T0 + 2h (grace until T0 + 10h), heartbeat T0 + 3h: still idle from T0 + 10h.
    const tags = { [TAG.lastConnection]: '2026-11-26T12:00Z presence@2026-11-26T13:00Z' };
    expect(at(tags, T0 + 5 * HOUR)).toMatchObject({
      action: 'none',
      idleSince: T0 + 10 * HOUR,
      idleMinutes: 0,
    });
    expect(at(tags, T0 + 12 * HOUR - 1).action).toBe('none');
    expect(at(tags, T0 + 12 * HOUR)).toMatchObject({ action: 'warn', idleSince: T0 + 10 * HOUR });
  });

  it('a heartbeat after the grace extends the clock to the heartbeat', () => {
    // Connected T0 + 2h, heartbeat T0 + 11h: idle from T0 + 11h, warned at T0 + 13h exactly.
    const tags = { [TAG.lastConnection]: '2026-11-26T12:00Z presence@2026-11-26T21:00Z' };
    expect(at(tags, T0 + 13 * HOUR - 1)).toMatchObject({ action: 'none', idleSince: T0 + 11 * HOUR });
    const d = at(tags, T0 + 13 * HOUR);
    expect(d).toMatchObject({ action: 'warn', idleSince: T0 + 11 * HOUR, idleMinutes: 120 });
    expect(d.reason).toMatch(/since presence ≥ warnAfter/);
  });

  it('presence counts at most presenceLimit (default 12h) after the latest connection or start', () => {
    // Connected T0 + 2h, a session left open sends heartbeats until T0 + 20h: capped at T0 + 14h.
    const tags = { [TAG.lastConnection]: '2026-11-26T12:00Z presence@2026-11-27T06:00Z' };
    const d = at(tags, T0 + 20 * HOUR);
    expect(d).toMatchObject({ action: 'warn', idleSince: T0 + 14 * HOUR, idleMinutes: 360 });
    expect(d.reason).toContain(
      'since presence (capped: presenceLimit 12h after the last connection or start)',
    );
    // A shorter presenceLimit caps sooner: T0 + 2h + 9h = T0 + 11h, beyond the 8h grace.
    const short = decide(
      builder(),
      { ...seen, ...tags },
      policyOf({ presenceLimit: '9h' }),
      T0 + 20 * HOUR,
      SIGNALS,
    );
    expect(short).toMatchObject({ idleSince: T0 + 11 * HOUR });
    // A later start moves the cap: started T0 + 10h, heartbeat T0 + 20h is within 12h of it.
    const started = at(tags, T0 + 21 * HOUR, builder('RUNNING', { startedAt: T0 + 10 * HOUR }));
    expect(started).toMatchObject({ action: 'none', idleSince: T0 + 20 * HOUR, idleMinutes: 60 });
  });

  it('without a connection or start, presence is capped presenceLimit after first sight', () => {
    const d = decide(
      builder('RUNNING', { createdAt: undefined }),
      { ...seen, [TAG.lastConnection]: 'presence@2026-11-28T10:00Z' },
      POLICY,
      T0 + 3 * DAY,
      SIGNALS,
    );
    expect(d).toMatchObject({ action: 'warn', idleSince: T0 + 12 * HOUR });
  });

  it('a connection after the last heartbeat gets the grace (the agent has not confirmed it yet)', () => {
    const tags = { [TAG.lastConnection]: '2026-11-26T13:00Z presence@2026-11-26T12:00Z' };
    expect(at(tags, T0 + 5 * HOUR)).toMatchObject({ action: 'none', idleSince: T0 + 11 * HOUR });
  });

  it('a start event later than creation restarts the clock', () => {
    const d = at({}, T0 + 3 * DAY, builder('RUNNING', { startedAt: T0 + 3 * DAY - HOUR }));
    expect(d).toMatchObject({ action: 'none', idleSince: T0 + 3 * DAY - HOUR, idleMinutes: 60 });
    expect(d.reason).toMatch(/since started;/);
  });

  it('falls back to when cleanup first saw the builder when nothing else is known', () => {
    const d = decide(
      builder('RUNNING', { createdAt: undefined }),
      marked({ seen: T0 + DAY }),
      POLICY,
      T0 + DAY + 2 * HOUR,
      SIGNALS,
    );
    expect(d).toMatchObject({ action: 'warn', idleSince: T0 + DAY });
    expect(d.reason).toMatch(/since first seen/);
  });

  it('restarts the clock when a builder cleanup saw STOPPED runs again', () => {
    const now = T0 + 5 * DAY;
    const d = decide(builder(), marked({ seen: T0, stopped: T0 + 4 * HOUR }), POLICY, now, SIGNALS);
    expect(d).toMatchObject({ action: 'none', idleMinutes: 0 });
    expect(d.reason).toBe('running again (stopped 2026-11-26T14:00Z): idle clock restarts');
    expect(markAfter(d)).toEqual({ seen: T0, started: now });
    const later = decide(
      builder(),
      { [TAG.cleanup]: d.tags!.set[TAG.cleanup] },
      POLICY,
      now + 2 * HOUR,
      SIGNALS,
    );
    expect(later).toMatchObject({ action: 'warn', idleSince: now });
    expect(later.reason).toMatch(/since seen running again/);
  });
});

describe("Cleanup decide: the recorder's started@ (CreateImageBuilder/StartImageBuilder events)", () => {
  const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;

  it('a builder started (event) after its last stop has its idle clock from the start', () => {
    // Stopped by cleanup at T0 + 4h; someone started it at T0 + 2d (event recorded); cleanup's
    // next run is 3 hours later.
    const start = T0 + 2 * DAY;
    const tags = marked(
      { seen: T0, stopped: T0 + 4 * HOUR },
      { [TAG.lastConnection]: `started@${iso(start)}` },
    );
    const now = start + 3 * HOUR;
    const d = decide(builder(), tags, POLICY, now, SIGNALS);
    expect(d).toMatchObject({ action: 'none', idleSince: start, idleMinutes: 180 });
    expect(d.reason).toBe(
      `running again (stopped 2026-11-26T14:00Z): idle clock restarts at the start ${iso(start)}`,
    );
    expect(markAfter(d)).toEqual({ seen: T0, started: start });
    // The next run: idle since the start, not since cleanup noticed (warned at start + 2h already passed).
    const next = decide(
      builder(),
      { ...tags, [TAG.cleanup]: d.tags!.set[TAG.cleanup] },
      POLICY,
      now + 15 * MINUTE,
      SIGNALS,
    );
    expect(next).toMatchObject({ action: 'warn', idleSince: start });
    expect(next.reason).toMatch(/since created\/started/);
  });

  it('a start event before the stop does not restart the clock: it restarts when cleanup sees it running', () => {
    const tags = marked(
      { seen: T0, stopped: T0 + 4 * HOUR },
      { [TAG.lastConnection]: `started@${iso(T0 + HOUR)}` },
    );
    const now = T0 + 5 * DAY;
    const d = decide(builder(), tags, POLICY, now, SIGNALS);
    expect(d).toMatchObject({ action: 'none', idleSince: now, idleMinutes: 0 });
    expect(markAfter(d)).toEqual({ seen: T0, started: now });
  });

  it('a recorded start later than creation restarts the idle clock of a running builder', () => {
    const tags = marked({ seen: T0 }, { [TAG.lastConnection]: `started@${iso(T0 + DAY)}` });
    expect(decide(builder(), tags, POLICY, T0 + DAY + HOUR, SIGNALS)).toMatchObject({
      action: 'none',
      idleSince: T0 + DAY,
      idleMinutes: 60,
    });
    expect(decide(builder(), tags, POLICY, T0 + DAY + 2 * HOUR, SIGNALS)).toMatchObject({
      action: 'warn',
      idleSince: T0 + DAY,
    });
  });

  it('heartbeats after a connection keep the builder alive past the grace, up to presenceLimit', () => {
    // Started at T0 + 1h, connected at T0 + 2h (grace until T0 + 10h), heartbeats until T0 + 12h.
    const tags = marked(
      { seen: T0 },
      {
        [TAG.lastConnection]: `${iso(T0 + 2 * HOUR)} presence@${iso(T0 + 12 * HOUR)} started@${iso(T0 + HOUR)}`,
      },
    );
    const d = decide(builder(), tags, POLICY, T0 + 14 * HOUR, SIGNALS);
    expect(d).toMatchObject({ action: 'warn', idleSince: T0 + 12 * HOUR, idleMinutes: 120 });
    expect(d.reason).toMatch(/since presence ≥ warnAfter/);
    // While heartbeats keep coming, it stays active.
    const active = { ...tags, [TAG.lastConnection]: `${iso(T0 + 2 * HOUR)} presence@${iso(T0 + 13 * HOUR)}` };
    expect(decide(builder(), active, POLICY, T0 + 13 * HOUR, SIGNALS)).toMatchObject({
      action: 'none',
      idleMinutes: 0,
    });
  });

  it('a STOPPED builder started and stopped again since the stop mark counts as stopped from the start', () => {
    const tags = marked(
      { seen: T0, stopped: T0 + 4 * HOUR },
      { [TAG.lastConnection]: `started@${iso(T0 + 10 * DAY)}` },
    );
    const d = decide(builder('STOPPED'), tags, POLICY, T0 + 11 * DAY, SIGNALS);
    expect(d).toMatchObject({ stoppedSince: T0 + 10 * DAY });
  });
});

describe('Cleanup decide: where no connection signal is deployed', () => {
  const seen = marked({ seen: T0 });
  const NO_SIGNAL: CleanupSignals = { connectionSignal: false };

  it('warn-only (default): warns once per idle period, never stops', () => {
    const warn = decide(builder(), seen, POLICY, T0 + 2 * HOUR, NO_SIGNAL);
    expect(warn).toMatchObject({ action: 'warn', notify: true });
    expect(warn.planned).toBeUndefined();
    expect(warn.reason).toBe(
      'idle 2h since created ≥ warnAfter 2h; no connection signal in this account/region (withoutConnectionSignal: warn-only): never stopped',
    );
    const tags = { [TAG.cleanup]: warn.tags!.set[TAG.cleanup] };
    expect(tags[TAG.cleanup]).toBe('warned@2026-11-26T12:00Z seen@2026-11-26T10:00Z');
    const later = decide(builder(), tags, POLICY, T0 + 30 * DAY, NO_SIGNAL);
    expect(later).toMatchObject({ action: 'none' });
    expect(later.tags).toBeUndefined();
  });

  it('warn-only: a warning that announced no stop is followed by one that does once the signal is there', () => {
    const tags = marked({ seen: T0, warned: T0 + 2 * HOUR });
    expect(decide(builder(), tags, POLICY, T0 + 5 * HOUR, SIGNALS)).toMatchObject({
      action: 'warn',
      planned: { op: 'stop', at: T0 + 6 * HOUR },
    });
  });

  it('warn-only: a heartbeat is no signal of its own: warned, never stopped (any builder role can forge one)', () => {
    const tags = { ...WARNED, [TAG.lastConnection]: 'presence@2026-11-26T10:30Z' };
    const warn = decide(
      builder(),
      { ...seen, [TAG.lastConnection]: 'presence@2026-11-26T10:00Z' },
      POLICY,
      T0 + 2 * HOUR,
      NO_SIGNAL,
    );
    expect(warn.action).toBe('warn');
    expect(warn.planned).toBeUndefined();
    const later = decide(builder(), tags, POLICY, T0 + DAY, NO_SIGNAL);
    expect(later.action).toBe('none');
    expect(later.reason).toContain('(withoutConnectionSignal: warn-only): never stopped');
  });

  it('age: goes by the clock it has: warns, then stops', () => {
    const policy = policyOf({ withoutConnectionSignal: 'age' });
    expect(decide(builder(), seen, policy, T0 + 2 * HOUR, NO_SIGNAL).planned).toEqual({
      op: 'stop',
      at: T0 + 4 * HOUR,
    });
    expect(decide(builder(), WARNED, policy, T0 + 4 * HOUR, NO_SIGNAL).action).toBe('stop');
  });
});

describe('Cleanup decide: deleting STOPPED builders', () => {
  const S = T0 + 4 * HOUR; // stopped by cleanup
  const stopped = marked({ seen: T0, stopped: S });

  it('never deletes when deleteStoppedAfter is absent', () => {
    const d = decide(
      builder('STOPPED'),
      stopped,
      policyOf({ deleteStoppedAfter: undefined }),
      S + 400 * DAY,
      SIGNALS,
    );
    expect(d.action).toBe('none');
    expect(d.reason).toBe('stopped 400d (since 2026-11-26T14:00Z); deletion off (no deleteStoppedAfter)');
  });

  it('warns deleteWarnBefore ahead, exact to the minute', () => {
    const early = decide(builder('STOPPED'), stopped, POLICY, S + 29 * DAY - 1, SIGNALS);
    expect(early).toMatchObject({ action: 'none', stoppedSince: S, stoppedMinutes: 29 * 1440 - 1 });
    expect(early.reason).toBe(
      'stopped 28d23h59m (since 2026-11-26T14:00Z); delete warning at 2026-12-25T14:00Z, delete at 2026-12-26T14:00Z',
    );
    const warn = decide(builder('STOPPED'), stopped, POLICY, S + 29 * DAY, SIGNALS);
    expect(warn).toMatchObject({ action: 'warn', notify: true, planned: { op: 'delete', at: S + 30 * DAY } });
    expect(warn.tags?.set[TAG.cleanup]).toBe(
      'delete@2026-12-26T14:00Z warned@2026-12-25T14:00Z stopped@2026-11-26T14:00Z seen@2026-11-26T10:00Z',
    );
  });

  it('deletes at stopped + deleteStoppedAfter exactly, after the warning', () => {
    const tags = marked({
      seen: T0,
      stopped: S,
      warned: S + 29 * DAY,
      plan: { op: 'delete', at: S + 30 * DAY },
    });
    expect(decide(builder('STOPPED'), tags, POLICY, S + 30 * DAY - 1, SIGNALS).action).toBe('none');
    const d = decide(builder('STOPPED'), tags, POLICY, S + 30 * DAY, SIGNALS);
    expect(d).toMatchObject({ action: 'delete', notify: true, stoppedMinutes: 30 * 1440 });
    expect(d.tags).toBeUndefined();
  });

  it('warns first when the delete is overdue, and deletes minNotice later', () => {
    const now = S + 90 * DAY;
    const warn = decide(builder('STOPPED'), stopped, POLICY, now, SIGNALS);
    expect(warn).toMatchObject({ action: 'warn', planned: { op: 'delete', at: now + HOUR } });
    const tags = { [TAG.cleanup]: warn.tags!.set[TAG.cleanup] };
    expect(decide(builder('STOPPED'), tags, POLICY, now + HOUR - 1, SIGNALS).action).toBe('none');
    expect(decide(builder('STOPPED'), tags, POLICY, now + HOUR, SIGNALS).action).toBe('delete');
  });

  it('counts from the later start or connection when the builder ran between two runs', () => {
    const ran = { ...stopped, [TAG.lastConnection]: '2026-12-20T09:00Z' };
    const d = decide(builder('STOPPED'), ran, POLICY, S + 40 * DAY, SIGNALS);
    expect(d).toMatchObject({ action: 'none', stoppedSince: Date.parse('2026-12-20T09:00Z') });
    expect(markAfter(d)?.stopped).toBe(Date.parse('2026-12-20T09:00Z'));
  });

  it('a delete warning from before the builder last ran does not count', () => {
    const tags = marked(
      { seen: T0, stopped: S, warned: S + 29 * DAY, plan: { op: 'delete', at: S + 30 * DAY } },
      { [TAG.lastConnection]: '2026-12-26T09:00Z' },
    );
    const d = decide(builder('STOPPED'), tags, POLICY, Date.parse('2027-01-25T09:00Z'), SIGNALS);
    expect(d.action).toBe('warn');
  });
});

describe('Cleanup decide: dry runs', () => {
  it('returns the same decision whatever dryRun says: the caller leaves the tags alone', () => {
    const dry = policyOf({ dryRun: true });
    for (const now of [T0 + HOUR, T0 + 2 * HOUR, T0 + 4 * HOUR])
      expect(decide(builder(), WARNED, dry, now, SIGNALS)).toEqual(
        decide(builder(), WARNED, POLICY, now, SIGNALS),
      );
  });
});
