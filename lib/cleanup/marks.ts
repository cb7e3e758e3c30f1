/**
 * Cleanup's state on a builder lives in its tags (tag contract, ../shared/DESIGN.md): no database,
 * and a person sees the plan in the console. Every value stays within AWS's tag charset
 * (`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, ≤ 256) and every time is a UTC minute `YYYY-MM-DDTHH:MMZ`,
 * rounded UP when written (a clock never starts, and a plan never falls, earlier than the event).
 *
 * TAG.cleanup, the mark-for-op value: space-separated `<word>@<UTC minute>` tokens, the plan first:
 * - `stop@T` / `delete@T`: the announced plan: the builder is stopped (deleted) by the first run at
 *   or after T. Written only together with the warning that announced it.
 * - `warned@T`: when the warning for the plan was given (a warning counts only for the idle, or
 *   stopped, period it was given in).
 * - `stopped@T`: when cleanup stopped the builder, or first saw it STOPPED: the delete clock.
 * - `started@T`: when cleanup first saw a builder it had seen STOPPED running again (the idle
 *   clock restarts there when no start event is known).
 * - `seen@T`: when cleanup first saw the builder: the idle clock's fallback when nothing else is
 *   known, and the first-rollout grace (a builder without a mark is only marked).
 * e.g. `stop@2026-11-27T14:00Z warned@2026-11-27T12:00Z seen@2026-11-26T16:00Z`.
 *
 * TAG.lastConnection, written by the recorder (lib/cleanup/recorder.ts): `<UTC minute>` (the last
 * connection: CreateImageBuilderStreamingURL), `presence@<UTC minute>` (the last presence heartbeat
 * of the builder agent: someone logged on) and `started@<UTC minute>` (the last CreateImageBuilder
 * or StartImageBuilder: the idle clock's start), any of them, e.g.
 * `2026-11-27T09:12Z presence@2026-11-27T11:40Z started@2026-11-27T08:55Z`. Values written before
 * `started@` existed (connection and/or presence) read as before.
 *
 * TAG.keep (or the policy's optOutTag): see optOut.
 */
import { Temporal } from 'temporal-polyfill';
import { keepActive, tagValue } from '../tags';
import { MINUTE } from './duration';

/** `YYYY-MM-DDTHH:MMZ` of `ms`, rounded up to the minute (never earlier than `ms`). */
export function isoMinute(ms: number): string {
  const up = Math.ceil(ms / MINUTE) * MINUTE;
  return `${new Date(up).toISOString().slice(0, 16)}Z`;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO-8601 instant with `Z` or an offset (`2026-11-27T14:00Z`, seconds optional) as epoch ms;
 * undefined when it isn't one or names an impossible date (2026-02-30).
 */
export function parseInstant(text: string): number | undefined {
  if (!ISO_INSTANT.test(text)) return undefined;
  try {
    return Temporal.Instant.from(text.toUpperCase()).epochMilliseconds;
  } catch {
    return undefined;
  }
}

// ---- TAG.cleanup ---------------------------------------------------------------------------

export type PlanOp = 'stop' | 'delete';

export interface CleanupMark {
  /** The announced plan: stop (RUNNING) or delete (STOPPED) at or after `at`. */
  plan?: { op: PlanOp; at: number };
  warned?: number;
  stopped?: number;
  started?: number;
  seen?: number;
}

const FACTS = ['warned', 'stopped', 'started', 'seen'] as const;

/** The mark as a tag value: plan first, then warned, stopped, started, seen (absent ones left out). */
export function formatMark(mark: CleanupMark): string {
  const tokens: string[] = [];
  if (mark.plan) tokens.push(`${mark.plan.op}@${isoMinute(mark.plan.at)}`);
  for (const fact of FACTS) {
    const at = mark[fact];
    if (at !== undefined) tokens.push(`${fact}@${isoMinute(at)}`);
  }
  return tokens.join(' ');
}

/**
 * The mark in a tag value; undefined when absent or not ours (an unknown or repeated word, two
 * plans, a bad time: a person edited it), which the decision treats as a first sight.
 */
export function parseMark(value: string | undefined): CleanupMark | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const mark: CleanupMark = {};
  for (const token of value.trim().split(/\s+/)) {
    const m = /^([a-z]+)@(.+)$/.exec(token);
    if (!m) return undefined;
    const at = parseInstant(m[2]);
    if (at === undefined) return undefined;
    const word = m[1];
    if (word === 'stop' || word === 'delete') {
      if (mark.plan) return undefined;
      mark.plan = { op: word, at };
    } else if ((FACTS as readonly string[]).includes(word)) {
      const fact = word as (typeof FACTS)[number];
      if (mark[fact] !== undefined) return undefined;
      mark[fact] = at;
    } else return undefined;
  }
  return mark;
}

// ---- TAG.lastConnection --------------------------------------------------------------------

export interface LastConnection {
  /** The last connection (streaming URL created: a session starts). */
  connectedAt?: number;
  /** The last presence heartbeat (the builder agent saw an interactive logon). */
  presenceAt?: number;
  /** The last creation or start event (CreateImageBuilder, StartImageBuilder). */
  startedAt?: number;
}

/** What the recorder records: a connection, a presence heartbeat, a creation or start. */
export type ActivityKind = 'connect' | 'presence' | 'start';
const ACTIVITY_KEY = { connect: 'connectedAt', presence: 'presenceAt', start: 'startedAt' } as const;
/** The LastConnection field an activity moves. */
export const activityKey = (kind: ActivityKind) => ACTIVITY_KEY[kind];

/**
 * `<UTC minute>` for the connection, `presence@<UTC minute>` for the heartbeat, `started@<UTC
 * minute>` for the start, rounded up.
 */
export function formatLastConnection(c: LastConnection): string {
  const tokens: string[] = [];
  if (c.connectedAt !== undefined) tokens.push(isoMinute(c.connectedAt));
  if (c.presenceAt !== undefined) tokens.push(`presence@${isoMinute(c.presenceAt)}`);
  if (c.startedAt !== undefined) tokens.push(`started@${isoMinute(c.startedAt)}`);
  return tokens.join(' ');
}

/**
 * The connection, presence and start times in a TAG.lastConnection value; a bare instant (or
 * `connect@…`) is a connection. Read token by token: a token that is not ours (a person garbled
 * or added one) is ignored and the valid ones kept — dropping them all would make the recorder
 * rewrite the tag without them and move the idle clock back; of a word given twice the later time
 * counts. Undefined when absent or without a valid token (then the builder counts as never
 * connected: the idle clock runs from its other facts).
 */
export function parseLastConnection(value: string | undefined): LastConnection | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const c: LastConnection = {};
  let valid = false;
  for (const token of value.trim().split(/\s+/)) {
    const m = /^(?:(connect|presence|started)@)?(.+)$/i.exec(token)!;
    const at = parseInstant(m[2]);
    if (at === undefined) continue;
    const word = m[1]?.toLowerCase();
    const key = word === 'presence' ? 'presenceAt' : word === 'started' ? 'startedAt' : 'connectedAt';
    c[key] = Math.max(c[key] ?? Number.NEGATIVE_INFINITY, at);
    valid = true;
  }
  return valid ? c : undefined;
}

/**
 * The recorder's update: the later of what the tag holds and a new connection, heartbeat or start
 * (events can arrive out of order; the tag never goes back in time; the other tokens are kept).
 */
export function recordConnection(
  value: string | undefined,
  event: { kind: ActivityKind; at: number },
): string {
  const c = parseLastConnection(value) ?? {};
  const key = activityKey(event.kind);
  c[key] = Math.max(c[key] ?? Number.NEGATIVE_INFINITY, event.at);
  return formatLastConnection(c);
}

// ---- TAG.keep (optOutTag) ------------------------------------------------------------------

export interface OptOut {
  /** Cleanup may stop the builder (and warn about a stop). */
  stop: boolean;
  /** Cleanup may delete the builder (and warn about a delete). */
  delete: boolean;
  /** Cleanup's notifications name the builder. */
  notify: boolean;
  /** Why something is held back, for the decision's reason. */
  reason?: string;
  /** The keep's end (an ISO date or instant not yet passed). */
  until?: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/i;

/**
 * A keep tag's end: a date `2026-12-31` keeps through that whole day (UTC: until 2027-01-01T00:00Z,
 * as keepActive reads it: a person writing a date means "until the end of it"), or an instant (UTC
 * without an offset).
 */
function keepUntil(text: string): number | undefined {
  if (DATE_ONLY.test(text) || LOCAL_DATE_TIME.test(text)) {
    try {
      const plain = Temporal.PlainDateTime.from(text.toUpperCase(), { overflow: 'reject' });
      const end = DATE_ONLY.test(text) ? plain.add({ days: 1 }) : plain;
      return end.toZonedDateTime('UTC').epochMilliseconds;
    } catch {
      return undefined;
    }
  }
  return parseInstant(text);
}

/**
 * What cleanup may do with a builder whose opt-out tag is `value`, at `now` (epoch ms):
 * - absent, empty or `false`: everything;
 * - `true`: nothing (never warned, stopped or deleted);
 * - `stop-only`: may be warned and stopped, never deleted;
 * - `no-notify`: acted on, but left out of notifications;
 * - an ISO date (`2026-12-31`: through the end of that day, UTC) or instant: nothing until then,
 *   everything after;
 * - `stop-only` and `no-notify` combine (`stop-only no-notify`, spaces or `+`);
 * - anything else: nothing (a person meant to keep it: as keepActive reads it).
 * Case-insensitive. Never allows a delete keepActive (lib/tags.ts, the image pipeline's reading)
 * forbids.
 */
export function optOut(value: string | undefined, now: number): OptOut {
  const all: OptOut = { stop: true, delete: true, notify: true };
  if (value === undefined) return all;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false') return all;
  const none = (reason: string, until?: number): OptOut => ({
    stop: false,
    delete: false,
    notify: true,
    reason,
    until,
  });
  if (v === 'true') return none(`kept (${value.trim()})`);
  const until = keepUntil(value.trim());
  if (until !== undefined)
    return until > now
      ? none(`kept until ${isoMinute(until)}`, until)
      : { ...all, reason: `keep expired ${isoMinute(until)}` };
  const words = v.split(/[\s+]+/);
  if (!words.every((w) => w === 'stop-only' || w === 'no-notify') || new Set(words).size !== words.length)
    return none(`kept ('${tagValue(value)}' is not true, stop-only, no-notify or a date: read as keep)`);
  const stopOnly = words.includes('stop-only');
  const result: OptOut = { stop: true, delete: !stopOnly, notify: !words.includes('no-notify') };
  if (stopOnly) result.reason = 'stop-only: never deleted';
  // The image pipeline's reading (keepActive) forbids deletes on anything it doesn't know: agree.
  if (result.delete && keepActive(value, now))
    return { ...result, delete: false, reason: 'kept from deletion' };
  return result;
}

// ---- TAG.lastAction ------------------------------------------------------------------------

/** TAG.lastAction after cleanup acted: `2026-11-27T14:00Z cleanup stop idle 4h since …`. */
export function formatCleanupAction(at: number, action: string, reason: string): string {
  return tagValue(`${isoMinute(at)} cleanup ${action} ${reason}`);
}
