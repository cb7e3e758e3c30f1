/**
 * The decision: one builder's facts + its tags + the policy + now → what to do and why (pure; no
 * AWS, no clock). The caller (lister → decide → act → record) applies `tags` only when the action
 * succeeded and the run is not a dry run; `decide` returns the same action either way.
 *
 * Rules, in order:
 * 1. Out of the policy's scope (include/exclude), an intermediate state (only RUNNING is stopped
 *    and only STOPPED deleted; the rest is retried next run), a pipeline run still using the
 *    builder (TAG.execution whose status is RUNNING, PENDING_REDRIVE or unknown — another
 *    deployment's run counts as unknown), or opted out (optOut of the policy's optOutTag: `true`,
 *    a date not yet passed; `stop-only` for a delete) → `skip`, with the reason. A skip writes no
 *    tag, except that an opt-out withdraws a plan the mark announced.
 * 2. First sight (no TAG.cleanup mark, or one a person garbled) → `none`: marked `seen@now`
 *    (and `stopped@now` when STOPPED), never more: the first rollout only marks.
 * 3. RUNNING. The idle clock runs from the latest of: creation (CreatedTime), the last creation or
 *    start event (CreateImageBuilder/StartImageBuilder: builder.startedAt, or the recorder's
 *    `started@` in TAG.lastConnection), `started@` of the mark (cleanup saw it running again after a
 *    stop, when no later start event is known), and the last connection + sessionGrace; with none
 *    of these known, from `seen@`, else now. When all of these predate `seen@` (the builder existed before
 *    cleanup first saw it), `seen@` + sessionGrace counts too: the first rollout never stops a
 *    session. The last presence heartbeat only extends that clock (it never cancels a connection's
 *    sessionGrace: any builder role can write any builder's heartbeat key), and counts at most
 *    presenceLimit after the latest connection or start (else `seen@`): a session left open
 *    keeps the builder alive that long at most. idle = now − that, exact to the millisecond, so
 *    `idle ≥ stopAfter` holds exactly from the minute the threshold is reached (durations are
 *    whole minutes).
 *    - idle < warnAfter → `none` (an earlier warning or plan is withdrawn: someone was active).
 *    - idle ≥ warnAfter and no warning announced a stop in this idle period → `warn`, marking
 *      `stop@P warned@now` with P = max(idle start + stopAfter, now + minNotice): warn before stop
 *      even when the thresholds pass in one jump (first rollout, a long outage): then the stop
 *      comes minNotice after the warning, never in the same run.
 *    - warned, and now ≥ max(idle start + stopAfter, warned + minNotice, the announced P) → `stop`,
 *      marking `stopped@now`; before that → `none` ("stop due at …").
 *    - No connection signal in the account/region (signals.connectionSignal false), whatever the
 *      heartbeats: `withoutConnectionSignal: warn-only` warns once per idle period and never
 *      stops; `age` applies the rules above to the clock it has.
 *    A RUNNING builder whose mark says `stopped@` (or plans a delete) was started again: `none`,
 *    marking `started@` the start event when one after the stop is known, else `started@now` (the
 *    idle clock restarts there).
 * 4. STOPPED. The delete clock runs from `stopped@` (written when cleanup stopped it, else when
 *    it first saw it stopped: its real stop time is unknown), or from a later start, connection or
 *    heartbeat (it ran since). With deleteStoppedAfter set: from deleteStoppedAfter −
 *    deleteWarnBefore on → `warn`, marking `delete@P warned@now`, P = max(stopped + deleteStoppedAfter,
 *    now + minNotice); `delete` at max(stopped + deleteStoppedAfter, warned + minNotice, P).
 * Marks are UTC minutes rounded up, so a planned time is a whole minute no earlier than computed.
 */
import { TAG } from '../tags';
import { formatDuration } from './duration';
import {
  type CleanupMark,
  formatCleanupAction,
  formatMark,
  isoMinute,
  type OptOut,
  optOut,
  parseLastConnection,
  parseMark,
} from './marks';
import { type CleanupPolicy, outOfScope } from './policy';

export type CleanupAction = 'none' | 'warn' | 'stop' | 'delete' | 'skip';

/** What the lister knows about a builder (DescribeImageBuilders + the event log). */
export interface BuilderFacts {
  name: string;
  /** ImageBuilderState: RUNNING, STOPPED, PENDING, STOPPING, SNAPSHOTTING, … */
  state: string;
  arn?: string;
  /** CreatedTime, epoch ms. */
  createdAt?: number;
  /** The last start event (StartImageBuilder, CloudTrail), epoch ms, when known. */
  startedAt?: number;
}

/** Step Functions execution statuses, plus NOT_FOUND (no such run) and UNKNOWN (couldn't tell). */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE'
  | 'NOT_FOUND'
  | 'UNKNOWN';

/**
 * Statuses under which a pipeline run may still be using its builder. NOT_FOUND too: a twin stack
 * (the same deployment name in another account or region) tags its builders with runs of its own
 * state machine, which this deployment's DescribeExecution cannot see; stopping such a builder
 * would stop that pipeline's build. Its own execution backstop handles it.
 */
const OWNING: readonly ExecutionStatus[] = ['RUNNING', 'PENDING_REDRIVE', 'UNKNOWN', 'NOT_FOUND'];

/**
 * Intermediate states after which a builder comes back RUNNING or STOPPED without cleanup's doing
 * (a person rebooted, updated the agent, snapshotted, started it): a plan announced before is
 * withdrawn (see decide). STOPPING and DELETING are on their way out: nothing to withdraw.
 */
const ON_THE_WAY_OUT = ['STOPPING', 'DELETING'];

/** What the run knows about the builder's account/region (looked up before deciding). */
export interface CleanupSignals {
  /** The connection recorder covers this account/region (trail + rule deployed). */
  connectionSignal: boolean;
  /** The status of a pipeline run (TAG.execution) of this deployment; absent: UNKNOWN. */
  executionStatus?: (execution: string) => ExecutionStatus;
  /** This deployment (TAG.deployment): a run of another deployment can't be looked up (UNKNOWN). */
  deployment?: string;
  /**
   * Why warnings reach nobody this run (the topic has no confirmed subscription): warn-only,
   * nothing is stopped or deleted, and no plan is announced (a warning nobody got never leads
   * to a stop later).
   */
  warnOnly?: string;
}

export interface TagChanges {
  set: Record<string, string>;
  remove: string[];
}

export interface CleanupDecision {
  action: CleanupAction;
  reason: string;
  /** RUNNING: when the idle clock started (epoch ms; may lie ahead during a session grace). */
  idleSince?: number;
  /** RUNNING: whole minutes idle (0 while a session grace lasts). */
  idleMinutes?: number;
  /** STOPPED: since when it counts as stopped. */
  stoppedSince?: number;
  stoppedMinutes?: number;
  /** The stop or delete the mark announces, when one does. */
  planned?: { op: 'stop' | 'delete'; at: number };
  /** warn/stop/delete: list the builder in the notification (false for opt-out `no-notify`). */
  notify: boolean;
  /** Tags to write once the action succeeded (never in a dry run); absent: nothing changes. */
  tags?: TagChanges;
}

const ACTIONABLE = ['RUNNING', 'STOPPED'];

/**
 * The value of tag `key` in `tags`, the key matched trimmed and case-insensitively (a person
 * typing `Autopilot:Keep` or `autopilot:keep ` means the opt-out; tag keys are case-sensitive on
 * AWS, so an exact match comes first).
 */
export function tagOf(tags: Record<string, string>, key: string): string | undefined {
  if (Object.hasOwn(tags, key)) return tags[key];
  const want = key.trim().toLowerCase();
  const found = Object.keys(tags).find((k) => k.trim().toLowerCase() === want);
  return found === undefined ? undefined : tags[found];
}

/** Tag changes turning TAG.cleanup `current` into `next` (and more `extra` tags); undefined if none. */
function markChanges(current: string | undefined, next: CleanupMark, extra: Record<string, string> = {}) {
  const value = formatMark(next);
  const set: Record<string, string> = { ...extra };
  const remove: string[] = [];
  if (value === '') {
    if (current !== undefined) remove.push(TAG.cleanup);
  } else if (value !== current) set[TAG.cleanup] = value;
  return Object.keys(set).length + remove.length > 0 ? { set, remove } : undefined;
}

/** The mark without its plan and warning (withdrawn). */
const withdrawn = (m: CleanupMark): CleanupMark => ({ ...m, plan: undefined, warned: undefined });

const minutes = (ms: number) => Math.floor(Math.max(0, ms) / 60_000);
const latest = (xs: { at: number; what: string }[]) =>
  xs.reduce<{ at: number; what: string } | undefined>(
    (a, b) => (a === undefined || b.at > a.at ? b : a),
    undefined,
  );

/**
 * The idle clock of a RUNNING builder: its start and what started it. Presence only ever extends
 * the clock a builder has without it (never cancels a connection's sessionGrace: the builder role
 * can write any builder's heartbeat key, so a forged or stale heartbeat must not make a builder
 * idle sooner), and counts at most presenceLimit after the latest connection or start (a session
 * left open — a tab closed without signing out — keeps a builder alive that long at most).
 */
function idleClock(
  builder: BuilderFacts,
  mark: CleanupMark | undefined,
  tags: Record<string, string>,
  policy: CleanupPolicy,
  now: number,
): { at: number; what: string } | undefined {
  const c = parseLastConnection(tags[TAG.lastConnection]);
  const facts: { at: number; what: string }[] = [];
  const starts: number[] = [];
  if (builder.createdAt !== undefined) facts.push({ at: builder.createdAt, what: 'created' });
  if (builder.startedAt !== undefined) facts.push({ at: builder.startedAt, what: 'started' });
  if (c?.startedAt !== undefined)
    facts.push({ at: c.startedAt, what: `created/started ${isoMinute(c.startedAt)}` });
  if (mark?.started !== undefined) facts.push({ at: mark.started, what: 'seen running again' });
  starts.push(...facts.map((f) => f.at));
  if (c?.connectedAt !== undefined) {
    starts.push(c.connectedAt);
    facts.push({
      at: c.connectedAt + policy.sessionGrace,
      what: `connected ${isoMinute(c.connectedAt)} + sessionGrace ${formatDuration(policy.sessionGrace)}`,
    });
  }
  // Nothing known since first seen about a builder that existed before (the first rollout, a
  // recorder deployed late: a session begun before could not be recorded): it is presumed possibly
  // in use for sessionGrace after it was first seen.
  const before = latest(facts);
  if (mark?.seen !== undefined && before !== undefined && before.at < mark.seen)
    facts.push({
      at: mark.seen + policy.sessionGrace,
      what: `first seen ${isoMinute(mark.seen)} + sessionGrace ${formatDuration(policy.sessionGrace)}`,
    });
  const base =
    latest(facts) ?? (mark?.seen !== undefined ? { at: mark.seen, what: 'first seen' } : undefined);
  if (c?.presenceAt === undefined) return base;
  // The cap counts from the latest connection or start (else from first sight); with nothing
  // known the clock starts now, and a heartbeat (in the past) can't move it back.
  if (starts.length === 0 && mark?.seen !== undefined) starts.push(mark.seen);
  const cap = starts.length > 0 ? Math.max(...starts) + policy.presenceLimit : now;
  const presence =
    c.presenceAt <= cap
      ? { at: c.presenceAt, what: 'presence' }
      : {
          at: cap,
          what: `presence (capped: presenceLimit ${formatDuration(policy.presenceLimit)} after the last connection or start)`,
        };
  return latest([base ?? { at: now, what: NOTHING_KNOWN }, presence]);
}

const NOTHING_KNOWN = 'now (nothing known)';

export function decide(
  builder: BuilderFacts,
  tags: Record<string, string>,
  policy: CleanupPolicy,
  now: number,
  signals: CleanupSignals,
): CleanupDecision {
  const skip = (reason: string, changes?: TagChanges): CleanupDecision => ({
    action: 'skip',
    reason,
    notify: false,
    ...(changes ? { tags: changes } : {}),
  });
  const raw = tags[TAG.cleanup];
  const mark = parseMark(raw);
  // A skip that is not the builder's way out (an exclusion, a pipeline run, a reboot, an agent
  // update, a snapshot, a start under way) withdraws an announced plan and its warning and
  // restarts the idle clock: when the builder is back, an old warning must not let the first run
  // that sees it stop it without a fresh one (the plan's time long past).
  const restart = (reason: string) =>
    skip(
      `${reason}${mark && (mark.plan || mark.warned !== undefined) ? '; announced plan withdrawn, idle clock restarts' : ''}`,
      mark && (mark.plan || mark.warned !== undefined)
        ? markChanges(raw, { ...withdrawn(mark), started: Math.max(now, mark.started ?? now) })
        : undefined,
    );
  const scopeProblem = outOfScope(builder.name, tags, policy.scope);
  if (scopeProblem) return restart(`out of scope: ${scopeProblem}`);
  if (!ACTIONABLE.includes(builder.state)) {
    const why = `${builder.state}: acted on only when RUNNING or STOPPED (retried next run)`;
    return ON_THE_WAY_OUT.includes(builder.state) ? skip(why) : restart(why);
  }

  const execution = tags[TAG.execution];
  if (execution !== undefined) {
    const ours = tags[TAG.deployment];
    const foreign = signals.deployment !== undefined && ours !== undefined && ours !== signals.deployment;
    const status: ExecutionStatus = foreign ? 'UNKNOWN' : (signals.executionStatus?.(execution) ?? 'UNKNOWN');
    if (status === 'NOT_FOUND')
      return restart(
        `owned by pipeline run ${execution}, which this deployment cannot see: left to that pipeline's own backstop`,
      );
    if (OWNING.includes(status))
      return restart(
        `owned by pipeline run ${execution} (${foreign ? `deployment ${ours}: status unknown` : status}): left to that run`,
      );
  }

  const running = builder.state === 'RUNNING';
  const keep = optOut(tagOf(tags, policy.optOutTag), now);
  if (running ? !keep.stop : !keep.delete) {
    const why = `opted out (${policy.optOutTag}): ${keep.reason ?? 'kept'}`;
    return skip(
      why,
      mark && (mark.plan || mark.warned !== undefined) ? markChanges(raw, withdrawn(mark)) : undefined,
    );
  }

  if (!mark) {
    const first: CleanupMark = running ? { seen: now } : { stopped: now, seen: now };
    const clock = running ? idleClock(builder, undefined, tags, policy, now) : undefined;
    const idle = clock ? `; idle ${formatDuration(now - clock.at)} since ${clock.what}` : '';
    const garbled = raw !== undefined && raw.trim() !== '' ? ` (mark '${raw}' not understood)` : '';
    return {
      action: 'none',
      reason: `first seen${garbled}: marked only${idle}`,
      notify: false,
      ...(clock ? { idleSince: clock.at, idleMinutes: minutes(now - clock.at) } : {}),
      tags: markChanges(raw, first),
    };
  }
  return running
    ? decideRunning(builder, tags, policy, now, signals, raw, mark, keep)
    : decideStopped(builder, tags, policy, now, signals, raw, mark, keep);
}

function decideRunning(
  builder: BuilderFacts,
  tags: Record<string, string>,
  policy: CleanupPolicy,
  now: number,
  signals: CleanupSignals,
  raw: string | undefined,
  mark: CleanupMark,
  keep: OptOut,
): CleanupDecision {
  if (mark.stopped !== undefined || mark.plan?.op === 'delete') {
    // The start event (recorded, or known to the lister) after the stop is when it ran again.
    const c = parseLastConnection(tags[TAG.lastConnection]);
    const event = Math.max(
      builder.startedAt ?? Number.NEGATIVE_INFINITY,
      c?.startedAt ?? Number.NEGATIVE_INFINITY,
    );
    const since = mark.stopped !== undefined && event > mark.stopped && event <= now ? event : now;
    return {
      action: 'none',
      reason: `running again${mark.stopped !== undefined ? ` (stopped ${isoMinute(mark.stopped)})` : ''}: idle clock restarts${since < now ? ` at the start ${isoMinute(since)}` : ''}`,
      idleSince: since,
      idleMinutes: minutes(now - since),
      notify: false,
      tags: markChanges(raw, { seen: mark.seen, started: since }),
    };
  }
  const clock = idleClock(builder, mark, tags, policy, now) ?? { at: now, what: NOTHING_KNOWN };
  const idle = Math.max(0, now - clock.at);
  const idleText = `idle ${formatDuration(idle)} since ${clock.what}`;
  const base: CleanupMark = { seen: mark.seen ?? now, started: mark.started };
  const out = (d: Omit<CleanupDecision, 'idleSince' | 'idleMinutes' | 'notify'> & { notify?: boolean }) => ({
    idleSince: clock.at,
    idleMinutes: minutes(idle),
    notify: false,
    ...d,
  });

  if (idle < policy.warnAfter) {
    const wasWarned = mark.plan !== undefined || mark.warned !== undefined;
    return out({
      action: 'none',
      reason: `${idleText}${wasWarned ? ': active again, warning withdrawn' : ''}; warn at ${isoMinute(clock.at + policy.warnAfter)}`,
      tags: markChanges(raw, base),
    });
  }
  const warnedNow = mark.warned !== undefined && mark.warned >= clock.at;
  // Only the connection signal (or withoutConnectionSignal: age) lets a scope stop: a heartbeat
  // never does — any builder role can write any builder's heartbeat key.
  const canStop = !signals.warnOnly && (signals.connectionSignal || policy.withoutConnectionSignal === 'age');
  if (!canStop) {
    const why = signals.warnOnly
      ? `warn-only run: ${signals.warnOnly}`
      : 'no connection signal in this account/region (withoutConnectionSignal: warn-only): never stopped';
    if (warnedNow)
      return out({
        action: 'none',
        reason: `${idleText}; warned ${isoMinute(mark.warned!)}; ${why}`,
        tags: markChanges(raw, { ...base, warned: mark.warned }),
      });
    return out({
      action: 'warn',
      reason: `${idleText} ≥ warnAfter ${formatDuration(policy.warnAfter)}; ${why}`,
      notify: keep.notify,
      tags: markChanges(raw, { ...base, warned: now }),
    });
  }
  const announced = warnedNow && mark.plan?.op === 'stop';
  if (!announced) {
    const at = Math.max(clock.at + policy.stopAfter, now + policy.minNotice);
    const planned = { op: 'stop' as const, at };
    return out({
      action: 'warn',
      reason: `${idleText} ≥ warnAfter ${formatDuration(policy.warnAfter)}: stop planned at ${isoMinute(at)}`,
      planned,
      notify: keep.notify,
      tags: markChanges(raw, { ...base, plan: planned, warned: now }),
    });
  }
  const due = Math.max(clock.at + policy.stopAfter, mark.warned! + policy.minNotice, mark.plan!.at);
  if (now >= due)
    return out({
      action: 'stop',
      reason: `${idleText} ≥ stopAfter ${formatDuration(policy.stopAfter)}, warned ${isoMinute(mark.warned!)}`,
      notify: keep.notify,
      tags: markChanges(
        raw,
        { seen: base.seen, stopped: now },
        {
          [TAG.lastAction]: formatCleanupAction(now, 'stop', `idle ${formatDuration(idle)}`),
        },
      ),
    });
  return out({
    action: 'none',
    reason: `${idleText}; warned ${isoMinute(mark.warned!)}: stop due at ${isoMinute(due)}`,
    planned: { op: 'stop', at: due },
  });
}

function decideStopped(
  builder: BuilderFacts,
  tags: Record<string, string>,
  policy: CleanupPolicy,
  now: number,
  signals: CleanupSignals,
  raw: string | undefined,
  mark: CleanupMark,
  keep: OptOut,
): CleanupDecision {
  if (mark.stopped === undefined)
    return {
      action: 'none',
      reason: 'first seen STOPPED: counted as stopped from now (its stop time is unknown)',
      stoppedSince: now,
      stoppedMinutes: 0,
      notify: false,
      tags: markChanges(raw, { seen: mark.seen, stopped: now }),
    };
  // A start, connection or heartbeat after the stop mark: it ran since (between two runs).
  const c = parseLastConnection(tags[TAG.lastConnection]);
  const since = Math.max(
    ...[mark.stopped, builder.startedAt, mark.started, c?.connectedAt, c?.presenceAt, c?.startedAt].filter(
      (t): t is number => t !== undefined,
    ),
  );
  const stoppedFor = Math.max(0, now - since);
  const stoppedText = `stopped ${formatDuration(stoppedFor)} (since ${isoMinute(since)})`;
  const base: CleanupMark = { seen: mark.seen, stopped: since };
  const out = (
    d: Omit<CleanupDecision, 'stoppedSince' | 'stoppedMinutes' | 'notify'> & { notify?: boolean },
  ) => ({
    stoppedSince: since,
    stoppedMinutes: minutes(stoppedFor),
    notify: false,
    ...d,
  });
  if (policy.deleteStoppedAfter === undefined)
    return out({
      action: 'none',
      reason: `${stoppedText}; deletion off (no deleteStoppedAfter)`,
      tags: markChanges(raw, base),
    });
  // An image pipeline's builder (builder.existing, tagged by the pipeline): the pipeline builds on
  // it, cleanup only stops it (README "Idle builder cleanup").
  const pipeline = tags[TAG.pipeline];
  if (pipeline !== undefined)
    return out({
      action: 'none',
      reason: `${stoppedText}; builder of pipeline ${pipeline} (${TAG.pipeline}): stopped only, never deleted`,
      tags: markChanges(raw, base),
    });

  const deleteAt = since + policy.deleteStoppedAfter;
  const warnAt = deleteAt - (policy.deleteWarnBefore ?? 0);
  if (signals.warnOnly && now >= warnAt)
    return out({
      action: 'none',
      reason: `${stoppedText}; no delete planned, warn-only run: ${signals.warnOnly}`,
      tags: markChanges(raw, base),
    });
  if (now < warnAt)
    return out({
      action: 'none',
      reason: `${stoppedText}; delete warning at ${isoMinute(warnAt)}, delete at ${isoMinute(deleteAt)}`,
      tags: markChanges(raw, base),
    });
  const announced = mark.plan?.op === 'delete' && mark.warned !== undefined && mark.warned >= since;
  if (!announced) {
    const planned = { op: 'delete' as const, at: Math.max(deleteAt, now + policy.minNotice) };
    return out({
      action: 'warn',
      reason: `${stoppedText}: delete planned at ${isoMinute(planned.at)} (deleteStoppedAfter ${formatDuration(policy.deleteStoppedAfter)})`,
      planned,
      notify: keep.notify,
      tags: markChanges(raw, { ...base, plan: planned, warned: now }),
    });
  }
  const due = Math.max(deleteAt, mark.warned! + policy.minNotice, mark.plan!.at);
  if (now >= due)
    return out({
      action: 'delete',
      reason: `${stoppedText} ≥ deleteStoppedAfter ${formatDuration(policy.deleteStoppedAfter)}, warned ${isoMinute(mark.warned!)}`,
      notify: keep.notify,
    });
  return out({
    action: 'none',
    reason: `${stoppedText}; warned ${isoMinute(mark.warned!)}: delete due at ${isoMinute(due)}`,
    planned: { op: 'delete', at: due },
  });
}
