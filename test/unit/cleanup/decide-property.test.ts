/**
 * Property tests of the cleanup decision: random policies and random histories of one builder —
 * people connecting, logging on, stopping and starting it, pipeline runs owning it, opt-out tags
 * coming and going, the connection signal missing, marks garbled, intermediate states — with a
 * run after every time step whose decision is applied the way the workflow applies it (tags
 * written, stop → STOPPED, delete → gone). After every run the invariants of issue 9 hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CleanupDecision, decide, type ExecutionStatus } from '../../../lib/cleanup/decide';
import { MINUTE } from '../../../lib/cleanup/duration';
import {
  formatLastConnection,
  formatMark,
  isoMinute,
  optOut,
  parseLastConnection,
  parseMark,
  recordConnection,
} from '../../../lib/cleanup/marks';
import { type CleanupPolicy, validateCleanupPolicy } from '../../../lib/cleanup/policy';
import { isTagValue, TAG } from '../../../lib/tags';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const INTERMEDIATE = [
  'PENDING',
  'STOPPING',
  'SNAPSHOTTING',
  'REBOOTING',
  'UPDATING',
  'UPDATING_AGENT',
  'FAILED',
  'DELETING',
];
/** Intermediate states on the builder's way out: nothing withdrawn there. */
const WAY_OUT = ['STOPPING', 'DELETING'];

type Event =
  | { kind: 'run'; minutes: number; seconds: number }
  | { kind: 'connect' }
  | { kind: 'presence' }
  | { kind: 'personStop' }
  /** recorded: the start event reached cleanup as the recorder's `started@` tag, else as a listed fact. */
  | { kind: 'personStart'; recorded: boolean }
  | { kind: 'transient'; state: string }
  | { kind: 'keep'; value: 'true' | 'stop-only' | 'no-notify' | 'future' | 'past' | undefined }
  | { kind: 'execution'; status: ExecutionStatus | undefined }
  | { kind: 'signal'; on: boolean }
  /** The image pipeline tags (or untags) the builder as its builder.existing. */
  | { kind: 'pipeline'; on: boolean }
  | { kind: 'garble' };

const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      minutes: fc.integer({ min: 1, max: 240 }),
      // Runs off the minute too: marks round up, thresholds compare exact times.
      seconds: fc.constantFrom(0, 0, 1, 30, 59),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'connect' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'presence' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'personStop' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('personStart' as const), recorded: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('transient' as const),
      state: fc.constantFrom(...INTERMEDIATE),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('keep' as const),
      value: fc.constantFrom(
        'true' as const,
        'stop-only' as const,
        'no-notify' as const,
        'future' as const,
        'past' as const,
        undefined,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('execution' as const),
      status: fc.constantFrom<ExecutionStatus | undefined>(
        'RUNNING',
        'SUCCEEDED',
        'FAILED',
        'UNKNOWN',
        'NOT_FOUND',
        undefined,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signal' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pipeline' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'garble' as const }) },
);

const policyArb = fc
  .record({
    warn: fc.integer({ min: 1, max: 240 }),
    gap: fc.integer({ min: 1, max: 240 }),
    del: fc.option(fc.integer({ min: 1, max: 1440 }), { nil: undefined }),
    grace: fc.integer({ min: 30, max: 600 }),
    limit: fc.integer({ min: 1, max: 1440 }),
    notice: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
    mode: fc.constantFrom('warn-only' as const, 'age' as const),
  })
  .map(({ warn, gap, del, grace, limit, notice, mode }) =>
    validateCleanupPolicy({
      warnAfter: `${warn}m`,
      stopAfter: `${warn + gap}m`,
      ...(del === undefined ? {} : { deleteStoppedAfter: `${del}m` }),
      ...(notice === undefined ? {} : { minNotice: `${notice}m` }),
      sessionGrace: `${grace}m`,
      presenceLimit: `${limit}m`,
      withoutConnectionSignal: mode,
      notify: 'none',
      scope: { regions: ['eu-west-1'] },
    }),
  );

interface World {
  t: number;
  state: 'RUNNING' | 'STOPPED' | 'GONE';
  transient?: string;
  tags: Record<string, string>;
  startedAt?: number;
  /**
   * Time of the last connection, heartbeat or start by a person; a heartbeat counts at most
   * presenceLimit after the last connection or start (lastAnchor).
   */
  lastActivity: number;
  /** Time of the last connection or start (creation: T0). */
  lastAnchor: number;
  /** Time of the last state change (created, stopped, started). */
  lastStateChange: number;
  signal: boolean;
  status?: ExecutionStatus;
  /** The last warning per operation, with its time. */
  warned: { stop?: number; delete?: number };
  runs: { at: number; decision: CleanupDecision; state: string }[];
}

/** Applies one decision the way the workflow does: tags written after the action succeeded. */
function apply(w: World, d: CleanupDecision) {
  if (d.action === 'delete') {
    w.state = 'GONE';
    return;
  }
  if (d.action === 'stop') {
    w.state = 'STOPPED';
    w.lastStateChange = w.t;
  }
  if (d.action === 'warn' && d.planned) w.warned[d.planned.op] = w.t;
  for (const key of d.tags?.remove ?? []) delete w.tags[key];
  Object.assign(w.tags, d.tags?.set ?? {});
}

/** Runs `events` against `policy`, checking the invariants after every run. */
function simulate(policy: CleanupPolicy, events: Event[], createdKnown: boolean) {
  const w: World = {
    t: T0,
    state: 'RUNNING',
    tags: {},
    lastActivity: T0,
    lastAnchor: T0,
    lastStateChange: T0,
    signal: true,
    warned: {},
    runs: [],
  };
  for (const e of events) {
    if (w.state === 'GONE') break;
    if (e.kind === 'run') {
      w.t += e.minutes * MINUTE + e.seconds * 1000;
      run(w, policy, createdKnown);
      continue;
    }
    // Events happen a minute after the last run (and each other): distinct minutes.
    w.t += MINUTE;
    switch (e.kind) {
      case 'connect':
      case 'presence':
        if (w.state !== 'RUNNING') break;
        w.tags[TAG.lastConnection] = recordConnection(w.tags[TAG.lastConnection], {
          kind: e.kind === 'connect' ? 'connect' : 'presence',
          at: w.t,
        });
        if (e.kind === 'connect') {
          w.lastActivity = w.t;
          w.lastAnchor = w.t;
        } else w.lastActivity = Math.max(w.lastActivity, Math.min(w.t, w.lastAnchor + policy.presenceLimit));
        break;
      case 'personStop':
        if (w.state !== 'RUNNING') break;
        w.state = 'STOPPED';
        w.lastStateChange = w.t;
        break;
      case 'personStart':
        if (w.state !== 'STOPPED') break;
        w.state = 'RUNNING';
        // The start event is known (CloudTrail): through the recorder's tag, or as a fact.
        if (e.recorded)
          w.tags[TAG.lastConnection] = recordConnection(w.tags[TAG.lastConnection], {
            kind: 'start',
            at: w.t,
          });
        else w.startedAt = w.t;
        w.lastActivity = w.t;
        w.lastAnchor = w.t;
        w.lastStateChange = w.t;
        break;
      case 'transient':
        w.transient = e.state;
        break;
      case 'keep': {
        const v = e.value;
        if (v === undefined) delete w.tags[TAG.keep];
        else if (v === 'future') w.tags[TAG.keep] = isoMinute(w.t + 600 * MINUTE);
        else if (v === 'past') w.tags[TAG.keep] = isoMinute(w.t - 600 * MINUTE);
        else w.tags[TAG.keep] = v;
        break;
      }
      case 'execution':
        w.status = e.status;
        if (e.status === undefined) delete w.tags[TAG.execution];
        else w.tags[TAG.execution] = 'office-run-1';
        break;
      case 'signal':
        w.signal = e.on;
        break;
      case 'pipeline':
        if (e.on) w.tags[TAG.pipeline] = 'office';
        else delete w.tags[TAG.pipeline];
        break;
      case 'garble':
        w.tags[TAG.cleanup] = 'hands off';
        break;
    }
  }
  return w;
}

function run(w: World, policy: CleanupPolicy, createdKnown: boolean) {
  const state = w.transient ?? w.state;
  w.transient = undefined;
  const now = w.t;
  const tagsBefore = { ...w.tags };
  const d = decide(
    { name: 'dev-1', state, createdAt: createdKnown ? T0 : undefined, startedAt: w.startedAt },
    tagsBefore,
    policy,
    now,
    { connectionSignal: w.signal, executionStatus: () => w.status ?? 'NOT_FOUND' },
  );
  const keep = optOut(tagsBefore[TAG.keep], now);
  const mark = parseMark(tagsBefore[TAG.cleanup]);
  const acted = d.action === 'stop' || d.action === 'delete';

  // Tags written are valid AWS tag values.
  for (const value of Object.values(d.tags?.set ?? {})) expect(isTagValue(value)).toBe(true);
  // Never act in intermediate states; write nothing there but the withdrawal of an announced
  // plan (with the idle clock restarted), and not even that on the way out (STOPPING, DELETING).
  if (state !== 'RUNNING' && state !== 'STOPPED') {
    expect(d.action).toBe('skip');
    if (WAY_OUT.includes(state) || !(mark?.plan || mark?.warned !== undefined))
      expect(d.tags).toBeUndefined();
    else {
      const after = parseMark(d.tags?.set[TAG.cleanup]);
      expect(after?.plan).toBeUndefined();
      expect(after?.warned).toBeUndefined();
      // Marks are UTC minutes rounded up.
      expect(after?.started).toBe(Math.ceil(now / MINUTE) * MINUTE);
    }
  }
  // Never stop or delete in the run that first sees the builder back from an intermediate state
  // (not on its way out) or from a pipeline run owning it: an old warning must not count.
  const previous = w.runs.at(-1);
  if (
    previous &&
    previous.decision.action === 'skip' &&
    !WAY_OUT.includes(previous.state) &&
    !previous.decision.reason.startsWith('opted out')
  )
    expect(acted).toBe(false);
  // A pipeline's builder (TAG.pipeline) is never deleted, nor warned about a delete.
  if (tagsBefore[TAG.pipeline] !== undefined) {
    expect(d.action).not.toBe('delete');
    if (d.action === 'warn') expect(d.planned?.op).not.toBe('delete');
  }
  // Stop only RUNNING, delete only STOPPED.
  if (d.action === 'stop') expect(state).toBe('RUNNING');
  if (d.action === 'delete') expect(state).toBe('STOPPED');
  // Never warn, stop or delete an opted-out builder; stop-only is never deleted.
  if (!keep.stop) expect(d.action).toBe('skip');
  if (!keep.delete) expect(d.action).not.toBe('delete');
  if (!keep.notify) expect(d.notify).toBe(false);
  // Never under a pipeline run still using it, or one this deployment cannot see (NOT_FOUND).
  if (
    tagsBefore[TAG.execution] !== undefined &&
    (w.status === 'RUNNING' || w.status === 'UNKNOWN' || w.status === 'NOT_FOUND')
  )
    expect(d.action).toBe('skip');
  // Never stop (nor warn) a builder connected within sessionGrace, whatever the heartbeats.
  const c = parseLastConnection(tagsBefore[TAG.lastConnection]);
  if (state === 'RUNNING' && c?.connectedAt !== undefined && now < c.connectedAt + policy.sessionGrace)
    expect(['none', 'skip']).toContain(d.action);
  // First sight only marks.
  if (mark === undefined) expect(['none', 'skip']).toContain(d.action);
  // No connection signal, warn-only: never stopped, whatever the heartbeats.
  if (!w.signal && policy.withoutConnectionSignal === 'warn-only') expect(d.action).not.toBe('stop');
  // A stop or delete was announced by a warning in an earlier run, minNotice before at least,
  // with no connection, heartbeat or start (and no stop or start) since.
  if (acted) {
    const op = d.action as 'stop' | 'delete';
    const warnedAt = w.warned[op];
    expect(warnedAt, `${op} at ${isoMinute(now)} without a warning`).toBeDefined();
    expect(warnedAt!).toBeLessThan(now);
    expect(now - warnedAt!).toBeGreaterThanOrEqual(policy.minNotice);
    expect(warnedAt!).toBeGreaterThan(w.lastActivity);
    expect(warnedAt!).toBeGreaterThan(w.lastStateChange);
    expect(w.runs.some((r) => r.at === warnedAt && r.decision.action === 'warn')).toBe(true);
  }
  // A stop needs idle ≥ stopAfter since the last activity the builder showed.
  if (d.action === 'stop') expect(now - w.lastActivity).toBeGreaterThanOrEqual(policy.stopAfter);
  // A delete needs the builder stopped for deleteStoppedAfter at least.
  if (d.action === 'delete') {
    expect(policy.deleteStoppedAfter).toBeDefined();
    expect(now - w.lastStateChange).toBeGreaterThanOrEqual(policy.deleteStoppedAfter!);
  }
  w.runs.push({ at: now, decision: d, state });
  apply(w, d);
}

describe('Cleanup decide: properties over random histories', () => {
  it('never acts where it must not, and always warns in an earlier run before a stop or delete', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(event, { minLength: 1, maxLength: 80 }),
        fc.boolean(),
        (policy, events, createdKnown) => {
          simulate(policy, events, createdKnown);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an idle builder left alone is warned, then stopped, then (when enabled) deleted', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 60 }), (policy, cadence) => {
        const events: Event[] = Array.from({ length: 4000 }, () => ({
          kind: 'run',
          minutes: cadence,
          seconds: 0,
        }));
        const w = simulate(policy, events, true);
        const actions = w.runs.map((r) => r.decision.action).filter((a) => a !== 'none');
        const expected =
          policy.deleteStoppedAfter === undefined ? ['warn', 'stop'] : ['warn', 'stop', 'warn', 'delete'];
        expect(actions).toEqual(expected);
        // Each action comes at the first run at or after its due time (exact to the minute).
        const stop = w.runs.find((r) => r.decision.action === 'stop')!;
        const warn = w.runs.find((r) => r.decision.action === 'warn')!;
        // Created before it was first seen: presumed possibly in use for sessionGrace from then.
        const clock = Math.max(T0, w.runs[0].at + policy.sessionGrace);
        const due = Math.max(clock + policy.stopAfter, warn.at + policy.minNotice);
        expect(stop.at).toBeGreaterThanOrEqual(due);
        expect(stop.at - due).toBeLessThan(cadence * MINUTE);
      }),
      { numRuns: 100 },
    );
  });

  it('a dry run (tags never written) never gets past the first sight', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 30 }),
        (policy, steps) => {
          let t = T0;
          for (const step of steps) {
            t += step * MINUTE;
            const d = decide({ name: 'dev-1', state: 'RUNNING', createdAt: T0 }, {}, policy, t, {
              connectionSignal: true,
            });
            expect(d.action).toBe('none');
          }
        },
      ),
    );
  });
});

/** One RUNNING builder's facts and tags, minute-aligned (offsets in minutes from T0). */
const snapshotArb = fc.record({
  policy: policyArb,
  createdKnown: fc.boolean(),
  startedAt: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
  connected: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
  started: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
  presence: fc.integer({ min: 0, max: 4000 }),
  mark: fc.option(
    fc.record({
      seen: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
      started: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
      warned: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }),
      plan: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  now: fc.integer({ min: 0, max: 6000 }),
  connectionSignal: fc.boolean(),
  warnOnly: fc.option(fc.constant('topic has no confirmed subscription'), { nil: undefined }),
});
type Snapshot = typeof snapshotArb extends fc.Arbitrary<infer S> ? S : never;
const at = (minutes: number) => T0 + minutes * MINUTE;

/** decide() on the snapshot, with the heartbeat at `presence` (minutes; undefined: none). */
function decideSnapshot(s: Snapshot, presence: number | undefined) {
  const lastConnection = formatLastConnection({
    connectedAt: s.connected === undefined ? undefined : at(s.connected),
    startedAt: s.started === undefined ? undefined : at(s.started),
    presenceAt: presence === undefined ? undefined : at(presence),
  });
  const tags: Record<string, string> = {};
  if (lastConnection !== '') tags[TAG.lastConnection] = lastConnection;
  if (s.mark) {
    const m = s.mark;
    tags[TAG.cleanup] = formatMark({
      seen: m.seen === undefined ? undefined : at(m.seen),
      started: m.started === undefined ? undefined : at(m.started),
      warned: m.warned === undefined ? undefined : at(m.warned),
      plan: m.plan === undefined ? undefined : { op: 'stop', at: at(m.plan) },
    });
  }
  return decide(
    {
      name: 'dev-1',
      state: 'RUNNING',
      createdAt: s.createdKnown ? T0 : undefined,
      startedAt: s.startedAt === undefined ? undefined : at(s.startedAt),
    },
    tags,
    s.policy,
    at(s.now),
    { connectionSignal: s.connectionSignal, ...(s.warnOnly ? { warnOnly: s.warnOnly } : {}) },
  );
}

/** The latest connection or start decide() knows of (else first sight), in minutes. */
function anchorOf(s: Snapshot): number | undefined {
  const known = [s.createdKnown ? 0 : undefined, s.startedAt, s.connected, s.started, s.mark?.started].filter(
    (t): t is number => t !== undefined,
  );
  if (known.length > 0) return Math.max(...known);
  return s.mark?.seen;
}

/** A heartbeat never makes a builder idle sooner than it is without one, nor lets it be stopped. */
function presenceOnlyExtends(s: Snapshot) {
  const without = decideSnapshot(s, undefined);
  const withPresence = decideSnapshot(s, s.presence);
  if (without.idleSince !== undefined) {
    expect(withPresence.idleSince).toBeDefined();
    expect(withPresence.idleSince!).toBeGreaterThanOrEqual(without.idleSince);
    expect(withPresence.idleMinutes!).toBeLessThanOrEqual(without.idleMinutes!);
  }
  if (withPresence.action === 'stop') expect(without.action).toBe('stop');
  // A connection within sessionGrace keeps the builder alive whatever the heartbeats.
  if (s.connected !== undefined && at(s.now) < at(s.connected) + s.policy.sessionGrace)
    expect(['none', 'skip']).toContain(withPresence.action);
}

/**
 * Found by seed -15337093: nothing known about the builder (no creation time, start, connection
 * or `seen@`; a mark with a plan only) and a heartbeat in the past. Without the heartbeat the idle
 * clock starts now; the heartbeat must not move it back (it once counted, its cap infinite).
 */
const NOTHING_KNOWN: Snapshot = {
  policy: validateCleanupPolicy({
    warnAfter: '1m',
    stopAfter: '2m',
    sessionGrace: '30m',
    presenceLimit: '1m',
    withoutConnectionSignal: 'warn-only',
    notify: 'none',
    scope: { regions: ['eu-west-1'] },
  }),
  createdKnown: false,
  startedAt: undefined,
  connected: undefined,
  started: undefined,
  presence: 0,
  mark: { seen: undefined, started: undefined, warned: undefined, plan: 0 },
  now: 1,
  connectionSignal: false,
  warnOnly: undefined,
};

describe('Cleanup decide: presence only ever extends the idle clock (B1)', () => {
  it('a heartbeat never makes a builder idle sooner than the connection alone would, nor lets it be stopped', () => {
    fc.assert(fc.property(snapshotArb, presenceOnlyExtends), {
      numRuns: 2000,
      examples: [[NOTHING_KNOWN]],
    });
  });

  it('with nothing known about a builder, its idle clock starts now, heartbeat or not (seed -15337093)', () => {
    presenceOnlyExtends(NOTHING_KNOWN);
    const withPresence = decideSnapshot(NOTHING_KNOWN, NOTHING_KNOWN.presence);
    expect(withPresence.idleSince).toBe(at(NOTHING_KNOWN.now));
    expect(withPresence.idleMinutes).toBe(0);
    expect(withPresence.action).toBe('none');
  });

  it('never a stop in a warn-only scope, whatever the heartbeats', () => {
    fc.assert(
      fc.property(snapshotArb, fc.option(fc.integer({ min: 0, max: 6000 }), { nil: undefined }), (s, p) => {
        const warnOnlyScope =
          s.warnOnly !== undefined ||
          (!s.connectionSignal && s.policy.withoutConnectionSignal === 'warn-only');
        fc.pre(warnOnlyScope);
        const d = decideSnapshot(s, p);
        expect(d.action).not.toBe('stop');
        expect(d.planned).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('presence later than presenceLimit after the last connection or start keeps the builder alive no longer', () => {
    fc.assert(
      fc.property(snapshotArb, fc.integer({ min: 1, max: 3000 }), (s, beyond) => {
        const anchor = anchorOf(s);
        fc.pre(anchor !== undefined);
        const limit = s.policy.presenceLimit / MINUTE;
        const capped = decideSnapshot(s, anchor! + limit);
        const late = decideSnapshot(s, anchor! + limit + beyond);
        // A heartbeat at any time after the cap decides exactly as one at the cap.
        expect(late.action).toBe(capped.action);
        expect(late.idleSince).toBe(capped.idleSince);
        expect(late.planned).toEqual(capped.planned);
        expect(late.tags).toEqual(capped.tags);
        // The idle clock starts no later than the cap or what it had without presence.
        const without = decideSnapshot(s, undefined);
        expect(late.idleSince!).toBeLessThanOrEqual(
          Math.max(without.idleSince ?? -Infinity, at(anchor! + limit)),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
