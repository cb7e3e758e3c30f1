/**
 * The emulator's event log: EventBridge envelopes of "AWS API Call via CloudTrail" events, kept
 * per account+region with bounded retention and one monotonically increasing cursor over all of
 * them (see emulator/README.md, "CloudTrail events"). A leaf module: it knows envelopes, not the
 * world that makes them.
 */

/** The EventBridge envelope of a CloudTrail-delivered event (detail: the CloudTrail record). */
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
/** Default virtual age after which events are dropped: CloudTrail Event history's 90 days. */
export const DEFAULT_EVENT_MAX_AGE_MS = 90 * 86_400_000;

export interface EventLogOptions {
  /** Events kept per account+region (the newest; default 10,000). */
  retention?: number;
  /** Events older than this (virtual ms, by eventTime) are dropped (default 90 days). */
  maxAgeMs?: number;
}

interface Entry {
  cursor: number;
  /** Virtual epoch ms of the event (eventTime), for age-based retention. */
  at: number;
  /**
   * The envelope as JSON text: a string is a few times smaller than the object graph, which kept
   * the emulator bench's 20,000 created resources over its 200 MB memory goal.
   */
  json: string;
}

/** An entry as saved in the state file. */
interface SavedEntry {
  cursor: number;
  at: number;
  envelope: EventEnvelope;
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
  /** Return events after this cursor (exclusive); absent: from the oldest kept. */
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
  /** True when events after `since` in the scope asked for were dropped by retention (or `since` was never issued). */
  truncated: boolean;
  /** Cursor just before the oldest event kept in the scope asked for (start here after a truncation). */
  oldestCursor: number;
}

export const DEFAULT_EVENT_PAGE = 100;

export class EventLog {
  retention: number;
  maxAgeMs: number;
  /** Told about every event appended, in order (RunningEmulator.onEvent). */
  readonly listeners: ((event: EventEnvelope) => void)[] = [];
  private readonly scopes = new Map<string, Scope>();
  /** Cursor of the newest event ever appended; never goes back (not even on reset). */
  private seq = 0;

  constructor(options: EventLogOptions = {}) {
    this.retention = options.retention ?? DEFAULT_EVENT_RETENTION;
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
    this.trim(scope, at);
    for (const listen of this.listeners) {
      try {
        listen(envelope);
      } catch (err) {
        // A listener's failure must never fail the API call that produced the event.
        console.error('[emulator] event listener failed:', err);
      }
    }
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
    const oldestCursor = Math.min(
      this.seq,
      ...scopes.filter((s) => s.head < s.entries.length).map((s) => s.entries[s.head].cursor - 1),
    );
    // A cursor ahead of the newest was issued by another log (a restarted emulator without its
    // state file): like one older than retention, read from the oldest kept and say so.
    const unknown = q.since !== undefined && q.since > this.seq;
    const since = q.since === undefined || unknown ? 0 : q.since;
    const truncated = unknown || (q.since !== undefined && scopes.some((s) => s.dropped > since));
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
      oldestCursor,
    };
  }

  /** Forgets every event; the cursor keeps counting up, so cursors handed out stay behind it. */
  reset(): void {
    this.scopes.clear();
  }

  toJSON(): unknown {
    return {
      cursor: this.seq,
      scopes: [...this.scopes.values()].map((s) => ({
        account: s.account,
        region: s.region,
        dropped: s.dropped,
        entries: s.entries
          .slice(s.head)
          .map((e): SavedEntry => ({ cursor: e.cursor, at: e.at, envelope: JSON.parse(e.json) })),
      })),
    };
  }

  load(data: {
    cursor?: number;
    scopes?: { account: string; region: string; dropped?: number; entries: SavedEntry[] }[];
  }): void {
    this.scopes.clear();
    this.seq = Math.max(this.seq, data.cursor ?? 0);
    for (const s of data.scopes ?? []) {
      const scope = this.scope(s.account, s.region);
      scope.dropped = s.dropped ?? 0;
      scope.entries = s.entries
        .filter((e) => Number.isSafeInteger(e.cursor) && e.envelope)
        .map((e) => ({ cursor: e.cursor, at: e.at, json: JSON.stringify(e.envelope) }));
      for (const e of scope.entries) this.seq = Math.max(this.seq, e.cursor);
    }
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

  /** Drops the oldest entries past the retention count or age; compacts now and then. */
  private trim(s: Scope, now: number): void {
    while (
      s.head < s.entries.length &&
      (s.entries.length - s.head > this.retention || s.entries[s.head].at < now - this.maxAgeMs)
    ) {
      s.dropped = s.entries[s.head].cursor;
      s.head++;
    }
    if (s.head > 1024 && s.head * 2 > s.entries.length) {
      s.entries = s.entries.slice(s.head);
      s.head = 0;
    }
  }
}
