/**
 * The local stand-in for EventBridge delivery of connection events: the emulator logs the
 * CloudTrail-shaped event of every AppStream write call (emulator/README.md "CloudTrail events");
 * catchUpConnections reads that log since the last cursor, keeps what the recorder's EventBridge
 * rule would deliver (CONNECTION_EVENT_PATTERN, the same data serverless.yml deploys) and hands
 * each event to the deployed function's own handler (functions/cleanup-record-connection.ts), so
 * one recorder serves AWS and local runs. Run it at the start of every local cleanup run.
 *
 * Delivery is at least once, like EventBridge: a cursor is saved after a whole page was handled,
 * so a run that stops part-way handles the page again next time (the recorder ignores duplicates).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { EMULATOR_AGENT_BUCKET, type EventEnvelope, type EventPage, type RunningEmulator } from '../emulator';
import { withDeps as recorderWithDeps } from '../functions/cleanup-record-connection';
import type { CleanupDeps } from '../lib/cleanup/deps';
import { DEFAULT_AGENT_PREFIX, isRecorderEvent } from '../lib/cleanup/events';
import type { AgentLocation, RecorderResult } from '../lib/cleanup/recorder';
import { localAccountClients } from './local-clients';
import { LOCAL_ACCOUNT } from './local-deps';

/** Where the last cursor of each scope is kept between runs. */
export interface CursorStore {
  get(scope: string): Promise<number | undefined> | number | undefined;
  set(scope: string, cursor: number): Promise<void> | void;
}

/** Cursors in memory (tests, one process running many cleanup runs). */
export function memoryCursorStore(initial: Record<string, number> = {}): CursorStore & {
  cursors: Record<string, number>;
} {
  const cursors = { ...initial };
  return {
    cursors,
    get: (s) => cursors[s],
    set: (s, c) => {
      cursors[s] = c;
    },
  };
}

/** Cursors in a JSON file `{"<scope>": <cursor>}` (the CLI beside the emulator's state file). */
export function fileCursorStore(path: string): CursorStore {
  const read = (): Record<string, number> => {
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      return typeof data === 'object' && data !== null ? (data as Record<string, number>) : {};
    } catch {
      return {};
    }
  };
  return {
    get: (s) => {
      const c = read()[s];
      return Number.isSafeInteger(c) ? c : undefined;
    },
    set: (s, c) => writeFileSync(path, JSON.stringify({ ...read(), [s]: c })),
  };
}

/** An account and/or region to read events of (absent: all). */
export interface EventScope {
  account?: string;
  region?: string;
}

/** Every account × region of a policy's scope. */
export const scopesOf = (accounts: readonly string[], regions: readonly string[]): EventScope[] =>
  accounts.flatMap((account) => regions.map((region) => ({ account, region })));

const scopeKey = (s: EventScope) => `${s.account ?? '*'}/${s.region ?? '*'}`;

/** An emulator in this process, or the endpoint of one started separately (HTTP only). */
export type EventSource = RunningEmulator | string;

async function readPage(
  source: EventSource,
  q: { since?: number; accountId?: string; region?: string; limit: number },
): Promise<EventPage> {
  if (typeof source !== 'string') return source.control.events(q);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const res = await fetch(`${source.replace(/\/$/, '')}/_emulator/events?${params}`);
  if (!res.ok) throw new Error(`GET /_emulator/events: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as EventPage;
}

export interface CatchUpFailure {
  eventId: string;
  error: string;
  message: string;
}

export interface ScopeCatchUp {
  scope: string;
  /** Cursor read from the store (undefined: first run, the whole kept log). */
  since?: number;
  /** Cursor stored after this run. */
  cursor?: number;
  /** Events the rule matched. */
  delivered: number;
  recorded: number;
  unchanged: number;
  skipped: number;
  /** Events the recorder refused for good (like a Lambda's dead-letter queue): not retried. */
  failed: CatchUpFailure[];
  /** Connection events that were lost before they could be delivered: the summary says so. */
  lost?: string;
  /** The scope stopped at a transient error (or the log was unreadable): its page is read again next run. */
  retryLater?: string;
}

export interface CatchUpSummary {
  scopes: ScopeCatchUp[];
  delivered: number;
  recorded: number;
  unchanged: number;
  skipped: number;
  failed: number;
  /** Some scope lost events (retention, or a cursor of another emulator run). */
  truncated: boolean;
  /** Every recorder result, in order. */
  results: (RecorderResult & { eventId: string })[];
  /** One line per problem: lost events, failures, scopes to retry. */
  notes: string[];
}

export interface CatchUpOptions {
  /** Accounts/regions to read (default: one scope, every account and region). */
  scopes?: readonly EventScope[];
  /** Events per page (1-1000; default 1000). */
  pageSize?: number;
  /**
   * The agent bucket whose presence heartbeats are delivered (the recorder's AGENT_BUCKET and
   * AGENT_PREFIX); default: the emulator's EMULATOR_AGENT_BUCKET under `autopilot-agent`.
   */
  agent?: AgentLocation;
}

/**
 * Delivers the events the deployed rules would deliver, logged since the stored cursor of each
 * scope, to the recorder (the function's handler with `deps` and the agent bucket): connections,
 * creations and starts (BUILDER_EVENT_PATTERN) and presence heartbeats in the agent bucket
 * (presenceEventPattern); advances and stores the cursors, and says what happened:
 * per scope the events delivered and recorded, what failed, and whether events were lost
 * (`truncated`: dropped by the log's retention, or the stored cursor came from another emulator
 * run; connections in that gap are missing).
 */
export async function catchUpConnections(
  source: EventSource,
  cursors: CursorStore,
  deps: CleanupDeps,
  options: CatchUpOptions = {},
): Promise<CatchUpSummary> {
  const agent = options.agent ?? { bucket: EMULATOR_AGENT_BUCKET, prefix: DEFAULT_AGENT_PREFIX };
  const handle = recorderWithDeps({ ...deps, agent });
  const limit = options.pageSize ?? 1000;
  const summary: CatchUpSummary = {
    scopes: [],
    delivered: 0,
    recorded: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
    truncated: false,
    results: [],
    notes: [],
  };
  for (const scope of options.scopes ?? [{}]) {
    const key = scopeKey(scope);
    const since = await cursors.get(key);
    const s: ScopeCatchUp = {
      scope: key,
      since,
      delivered: 0,
      recorded: 0,
      unchanged: 0,
      skipped: 0,
      failed: [],
    };
    summary.scopes.push(s);
    let cursor = since;
    let first = true;
    for (;;) {
      let page: EventPage;
      try {
        page = await readPage(source, {
          since: cursor,
          accountId: scope.account,
          region: scope.region,
          limit,
        });
      } catch (err) {
        s.retryLater = `event log unreadable: ${(err as Error).message}`;
        break;
      }
      if (first && page.truncated) {
        s.lost = page.unknownCursor
          ? `cursor ${cursor} is unknown to this emulator (another run, or restarted without its state file): read from the oldest kept event; connections logged in between are missing`
          : `events after cursor ${cursor} were dropped by the log's retention (oldest kept after ${page.oldestCursor}): connections in that gap are missing`;
      }
      first = false;
      let stopped = false;
      for (const event of page.events) {
        if (!isRecorderEvent(event, agent)) continue;
        s.delivered++;
        try {
          const result = await handle(event);
          s[result.action]++;
          summary.results.push({ ...result, eventId: event.id });
        } catch (err) {
          const e = err as Error;
          if (e?.name === 'AwsTransientError') {
            s.retryLater = `${e.name}: ${e.message}`;
            s.delivered--;
            stopped = true;
            break;
          }
          s.failed.push({
            eventId: (event as EventEnvelope).id,
            error: e?.name ?? 'Error',
            message: e?.message ?? '',
          });
        }
      }
      if (stopped) break;
      cursor = page.nextCursor;
      await cursors.set(key, cursor);
      if (page.events.length < limit) break;
    }
    s.cursor = cursor;
    summary.delivered += s.delivered;
    summary.recorded += s.recorded;
    summary.unchanged += s.unchanged;
    summary.skipped += s.skipped;
    summary.failed += s.failed.length;
    if (s.lost) {
      summary.truncated = true;
      summary.notes.push(`${key}: events lost: ${s.lost}`);
    }
    for (const f of s.failed)
      summary.notes.push(`${key}: event ${f.eventId} not recorded: ${f.error}: ${f.message}`);
    if (s.retryLater) summary.notes.push(`${key}: stopped, read again next run: ${s.retryLater}`);
  }
  return summary;
}

/**
 * The recorder's dependencies against an emulator at `endpoint`: real SDK clients, the home
 * `account` (its access key is its id) and, for the accounts in `roles`, credentials from the
 * emulator's STS AssumeRole, kept by `now` (the emulator's virtual clock; build the deps again per
 * run when it is not known, e.g. an emulator reached over HTTP only).
 */
export function recorderLocalDeps(
  endpoint: string,
  opts: {
    account?: string;
    region?: string;
    roles?: Record<string, string>;
    now?: () => number;
    maxAttempts?: number;
  } = {},
): CleanupDeps & { clients: { destroy(): void }[] } {
  const account = opts.account ?? LOCAL_ACCOUNT;
  const region = opts.region ?? 'us-east-1';
  const now = opts.now ?? Date.now;
  const { clients, appstream } = localAccountClients(endpoint, {
    account,
    region,
    roles: opts.roles,
    now,
    maxAttempts: opts.maxAttempts,
  });
  return {
    deployment: 'local',
    region,
    appstream,
    clock: { now },
    clients,
  };
}
