/**
 * The emulator's event log: EventBridge envelopes of "AWS API Call via CloudTrail" events (and
 * of the S3 "Object Created" events of builder agents' presence heartbeats, presence.ts), kept
 * per account+region with bounded retention and one monotonically increasing cursor over all of
 * them (see emulator/README.md, "CloudTrail events"). A leaf module: it knows envelopes, not the
 * world that makes them.
 */

import { tell } from '../listeners';

/** An EventBridge envelope (detail: the CloudTrail record, or S3's object detail for a heartbeat). */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Default number of events kept per account+region. */
export const DEFAULT_EVENT_RETENTION = 10_000;
/** Default number of events kept over all accounts and regions together. */
export const DEFAULT_EVENT_TOTAL_RETENTION = 200_000;
/** Default virtual age after which events are dropped: CloudTrail Event history's 90 days. */
export const DEFAULT_EVENT_MAX_AGE_MS = 90 * 86_400_000;

export interface EventLogOptions {
  /** Events kept per account+region (the newest; default 10,000). */
  retention?: number;
  /** Events kept over all accounts and regions (the newest; default 200,000). */
  totalRetention?: number;
  /** Events older than this (virtual ms, by eventTime) are dropped (default 90 days). */
  maxAgeMs?: number;
}

/**
 * An event as kept, and as saved in the state file: the envelope as JSON text. A string is a
 * few times smaller than the object graph (which kept the emulator bench's 20,000 created
 * resources over its 200 MB memory goal), and saving writes it as it is.
 */
interface Entry {
  cursor: number;
  /** Virtual epoch ms of the event (eventTime), for age-based retention. */
  at: number;
  json: string;
}

/** An entry as older state files saved it (the envelope as an object). */
interface LegacySavedEntry {
  cursor: number;
  at: number;
  envelope: EventEnvelope;
}

/** The log as saved in the state file (EventLog.toJSON). */
export interface SavedEventLog {
  /** The log's first cursor (absent in older state files: 0). */
  base?: number;
  cursor?: number;
  /** The cursor at the last reset (absent: the base). */
  resetCursor?: number;
  scopes?: {
    account: string;
    region: string;
    dropped?: number;
    entries: (Entry | LegacySavedEntry)[];
  }[];
}

/** One account+region's events, oldest first; `head` skips dropped entries without shifting. */
interface Scope {
  account: string;
  region: string;
  entries: Entry[];
  head: number;
  /** Cursor of the newest event dropped by retention (0: none). */
  dropped: number;
}

export interface EventQuery {
  /** Return events after this cursor (exclusive); absent: from the oldest kept; 0: from the log's start. */
  since?: number;
  accountId?: string;
  region?: string;
  /** At most this many events (default 100). */
  limit?: number;
}

export interface EventPage {
  events: EventEnvelope[];
  /** Pass as `since` to continue; the newest cursor when nothing more is kept. */
  nextCursor: number;
  /**
   * True when events after `since` in the scope asked for may be missing: dropped by retention,
   * forgotten by a reset, or `since` is not a cursor of this log (another emulator run).
   */
  truncated: boolean;
  /**
   * True when `since` is not a cursor of this log: below its base (an earlier emulator run) or
   * above its newest (a later one); `truncated` is then true as well.
   */
  unknownCursor: boolean;
  /** Cursor just before the oldest event kept in the scope asked for (start here after a truncation). */
  oldestCursor: number;
}

export const DEFAULT_EVENT_PAGE = 100;

/**
 * Told about an event as it is logged. It may be async (a returned promise is awaited by
 * nobody: its rejection is reported, never left unhandled); its result is otherwise ignored,
 * hence `unknown` (so `(e) => seen.push(e)` fits).
 */
export type EventListener = (event: EventEnvelope) => unknown;

/** Base of the last log made in this process: each new one starts above it. */
let lastBase = 0;

/**
 * Where a new log's cursors start: the wall clock in microseconds (a safe integer until the
 * year 2255), so a cursor of an earlier emulator run (it started earlier and cannot have logged
 * a thousand events a millisecond) is below every cursor of this one and can be told apart.
 * Logs made within the same millisecond in one process start a million apart.
 */
function newBase(): number {
  lastBase = Math.max(Date.now() * 1000, lastBase + 1_000_000);
  return lastBase;
}

export class EventLog {
  retention: number;
  totalRetention: number;
  maxAgeMs: number;
  /** Told about every event appended, in order (RunningEmulator.onEvent); may be async. */
  readonly listeners: EventListener[] = [];
  private readonly scopes = new Map<string, Scope>();
  /** The cursor before this log's first event: cursors below it are another log's. */
  private base = newBase();
  /** Cursor of the newest event ever appended; never goes back (not even on reset). */
  private seq = this.base;
  /** The cursor when the log was last reset: events up to it were forgotten. */
  private resetCursor = this.base;
  /** Entries kept over all scopes. */
  private total = 0;
  /**
   * Every entry in cursor order (its scope, its cursor; from `orderHead`), so the oldest of all is
   * found without looking at every scope. Entries dropped by a scope's own retention stay here
   * until they reach the front or the queue is compacted.
   */
  private orderScopes: Scope[] = [];
  private orderCursors: number[] = [];
  private orderHead = 0;

  constructor(options: EventLogOptions = {}) {
    this.retention = options.retention ?? DEFAULT_EVENT_RETENTION;
    this.totalRetention = options.totalRetention ?? DEFAULT_EVENT_TOTAL_RETENTION;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_EVENT_MAX_AGE_MS;
  }

  /** The newest cursor issued. */
  get cursor(): number {
    return this.seq;
  }

  /** Appends an event (its account and region come from the envelope), tells the listeners. */
  append(envelope: EventEnvelope, at: number): number {
    const scope = this.scope(envelope.account, envelope.region);
    const cursor = ++this.seq;
    scope.entries.push({ cursor, at, json: JSON.stringify(envelope) });
    this.total++;
    this.orderScopes.push(scope);
    this.orderCursors.push(cursor);
    this.trim(scope, at);
    this.trimTotal();
    // A listener's failure (thrown or rejected) must never fail the API call that produced the event.
    tell(this.listeners, [envelope], (err) => console.error('[emulator] event listener failed:', err));
    return cursor;
  }

  /** Events after `since` (filtered by account and/or region), oldest first, at most `limit`. */
  query(q: EventQuery, now: number): EventPage {
    const limit = q.limit ?? DEFAULT_EVENT_PAGE;
    const scopes = [...this.scopes.values()].filter(
      (s) =>
        (q.accountId === undefined || s.account === q.accountId) &&
        (q.region === undefined || s.region === q.region),
    );
    for (const s of scopes) this.trim(s, now);
    let oldestCursor = this.seq;
    for (const s of scopes)
      if (s.head < s.entries.length) oldestCursor = Math.min(oldestCursor, s.entries[s.head].cursor - 1);
    // A cursor ahead of the newest was issued by another log (a restarted emulator without its
    // state file): like one older than retention, read from the oldest kept and say so.
    const unknown = q.since !== undefined && q.since > this.seq;
    const foreign = unknown || (q.since !== undefined && q.since !== 0 && q.since < this.base);
    const since = q.since === undefined || unknown ? 0 : q.since;
    // Below the reset cursor: events the reader had not read were forgotten by a reset; below the
    // base, the cursor is another (earlier) log's. 0 reads from the log's start.
    const forgotten =
      q.since !== undefined && (q.since === 0 ? this.resetCursor > this.base : since < this.resetCursor);
    const truncated =
      unknown || forgotten || (q.since !== undefined && scopes.some((s) => s.dropped > since));
    const picked: Entry[] = [];
    for (const s of scopes) {
      // Entries are in cursor order: binary search for the first one after `since`.
      let lo = s.head;
      let hi = s.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s.entries[mid].cursor <= since) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < s.entries.length && i < lo + limit + 1; i++) picked.push(s.entries[i]);
    }
    picked.sort((a, b) => a.cursor - b.cursor);
    const page = picked.slice(0, limit);
    const more = picked.length > limit;
    return {
      events: page.map((e) => JSON.parse(e.json) as EventEnvelope),
      nextCursor: more ? page[page.length - 1].cursor : Math.max(this.seq, since),
      truncated,
      unknownCursor: foreign,
      oldestCursor,
    };
  }

  /**
   * Forgets every event; the cursor keeps counting up, so cursors handed out stay behind it, and
   * a cursor older than the reset reads as truncated (the events after it were forgotten).
   */
  reset(): void {
    this.scopes.clear();
    this.total = 0;
    this.clearOrder();
    this.resetCursor = this.seq;
  }

  /** The log for the state file: entries as kept (their JSON text), not rebuilt as objects. */
  toJSON(): SavedEventLog {
    return {
      base: this.base,
      cursor: this.seq,
      resetCursor: this.resetCursor,
      scopes: [...this.scopes.values()].map((s) => ({
        account: s.account,
        region: s.region,
        dropped: s.dropped,
        entries: s.entries.slice(s.head),
      })),
    };
  }

  /** Replaces the log with a saved one, its base and cursors included (older files: base 0). */
  load(data: SavedEventLog): void {
    const whole = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
    this.scopes.clear();
    this.total = 0;
    this.base = whole(data.base) ? data.base : 0;
    this.seq = Math.max(this.base, whole(data.cursor) ? data.cursor : 0);
    this.resetCursor = whole(data.resetCursor)
      ? Math.min(Math.max(data.resetCursor, this.base), this.seq)
      : this.base;
    for (const s of data.scopes ?? []) {
      const scope = this.scope(s.account, s.region);
      scope.dropped = whole(s.dropped) ? s.dropped : 0;
      scope.entries = [];
      for (const e of s.entries) {
        if (!whole(e.cursor)) continue;
        const json =
          'json' in e ? e.json : 'envelope' in e && e.envelope ? JSON.stringify(e.envelope) : undefined;
        if (typeof json !== 'string') continue;
        scope.entries.push({ cursor: e.cursor, at: e.at, json });
        this.seq = Math.max(this.seq, e.cursor);
      }
      this.total += scope.entries.length;
    }
    this.clearOrder();
    const all: [Scope, number][] = [];
    for (const scope of this.scopes.values()) for (const e of scope.entries) all.push([scope, e.cursor]);
    all.sort((a, b) => a[1] - b[1]);
    for (const [scope, cursor] of all) {
      this.orderScopes.push(scope);
      this.orderCursors.push(cursor);
    }
    this.trimTotal();
  }

  private scope(account: string, region: string): Scope {
    const key = `${account}/${region}`;
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = { account, region, entries: [], head: 0, dropped: 0 };
      this.scopes.set(key, scope);
    }
    return scope;
  }

  /** Drops a scope's oldest entry. */
  private drop(s: Scope): void {
    s.dropped = s.entries[s.head].cursor;
    s.head++;
    this.total--;
  }

  /** Drops the oldest entries past the retention count or age; compacts now and then. */
  private trim(s: Scope, now: number): void {
    while (
      s.head < s.entries.length &&
      (s.entries.length - s.head > this.retention || s.entries[s.head].at < now - this.maxAgeMs)
    )
      this.drop(s);
    compact(s);
  }

  /** Drops the oldest entries over all scopes while more than totalRetention are kept. */
  private trimTotal(): void {
    while (this.total > this.totalRetention && this.orderHead < this.orderScopes.length) {
      const s = this.orderScopes[this.orderHead];
      const cursor = this.orderCursors[this.orderHead];
      this.orderHead++;
      // The oldest entry of all, unless its scope's retention dropped it already.
      if (s.head < s.entries.length && s.entries[s.head].cursor === cursor) {
        this.drop(s);
        compact(s);
      }
    }
    let length = this.orderScopes.length - this.orderHead;
    if (length - this.total > Math.max(this.total, 1024)) {
      // Mostly entries their scopes dropped: keep the live ones (a scope's live entries are
      // those from its head on).
      let kept = 0;
      for (let i = this.orderHead; i < this.orderScopes.length; i++) {
        const s = this.orderScopes[i];
        const cursor = this.orderCursors[i];
        if (s.head < s.entries.length && cursor >= s.entries[s.head].cursor) {
          this.orderScopes[kept] = s;
          this.orderCursors[kept] = cursor;
          kept++;
        }
      }
      this.orderScopes.length = kept;
      this.orderCursors.length = kept;
      this.orderHead = 0;
      length = kept;
    }
    if (this.orderHead > 1024 && this.orderHead > length) {
      this.orderScopes = this.orderScopes.slice(this.orderHead);
      this.orderCursors = this.orderCursors.slice(this.orderHead);
      this.orderHead = 0;
    }
  }

  private clearOrder(): void {
    this.orderScopes = [];
    this.orderCursors = [];
    this.orderHead = 0;
  }
}

/** Shifts dropped entries out once they are more than half of a scope's array. */
function compact(s: Scope): void {
  if (s.head > 1024 && s.head * 2 > s.entries.length) {
    s.entries = s.entries.slice(s.head);
    s.head = 0;
  }
}
