/**
 * `autopilot cleanup simulate`: the builder-cleanup workflow every 15 virtual minutes for N hours
 * on the embedded emulator, against a scripted mix of image builders that people use now and then
 * (a console "Connect": the emulator's control.connectImageBuilder, which logs the CloudTrail event
 * the connection recorder reads; an interactive logon: control.logonImageBuilder, whose emulated
 * builder agent's presence heartbeats reach the same recorder), and what cleanup did to them when. Also the builder seeder of
 * bench/cleanup.ts (seedBuilders).
 */
import {
  AppStreamClient,
  CreateImageBuilderCommand,
  DescribeImageBuildersCommand,
  ListTagsForResourceCommand,
  StartImageBuilderCommand,
  StopImageBuilderCommand,
} from '@aws-sdk/client-appstream';
import { type RunningEmulator, startEmulator } from '../emulator';
import { HOUR, MINUTE } from '../lib/cleanup/duration';
import { validateCleanupPolicy } from '../lib/cleanup/policy';
import { builderArn } from '../lib/cleanup/recorder';
import { TAG } from '../lib/tags';
import type { CleanupDecisionRow } from './cleanup';
import { localClients } from './local-clients';
import { LOCAL_ACCOUNT } from './local-deps';

/** The public base image builders run (emulator/seed.ts). */
const IMAGE = 'AppStream-WinServer2022-10-14-2025';
/** A builder launches in 12 virtual minutes (the emulator's median): seeded this long before it's needed. */
const LAUNCH = 15 * MINUTE;

export interface SeedBuilder {
  account: string;
  region: string;
  name: string;
  tags?: Record<string, string>;
  /** Stop it once RUNNING (default: left RUNNING). */
  stopped?: boolean;
}

/**
 * Creates image builders through the real AppStream API of the in-process emulator (the access key
 * picks the account; quotas raised to fit), in parallel batches. They are RUNNING once the clock
 * passed the launch (12 min); `stopped` ones are stopped by `stopSeeded` after that.
 */
export async function seedBuilders(emu: RunningEmulator, builders: SeedBuilder[], batch = 50): Promise<void> {
  emu.control.setQuotas({ imageBuilders: 1_000_000, imageBuilderInstances: 1_000_000 });
  await perAccountRegion(emu, builders, batch, (client, b) =>
    client.send(
      new CreateImageBuilderCommand({
        Name: b.name,
        InstanceType: 'stream.standard.medium',
        ImageName: IMAGE,
        Tags: b.tags && Object.keys(b.tags).length ? b.tags : undefined,
      }),
    ),
  );
}

/** Stops the seeded builders marked `stopped` (call once they are RUNNING). */
export async function stopSeeded(emu: RunningEmulator, builders: SeedBuilder[], batch = 50): Promise<void> {
  await perAccountRegion(
    emu,
    builders.filter((b) => b.stopped),
    batch,
    (client, b) => client.send(new StopImageBuilderCommand({ Name: b.name })),
  );
}

async function perAccountRegion(
  emu: RunningEmulator,
  builders: SeedBuilder[],
  batch: number,
  call: (client: AppStreamClient, b: SeedBuilder) => Promise<unknown>,
) {
  const made: { destroy(): void }[] = [];
  const clients = new Map<string, AppStreamClient>();
  const client = (account: string, region: string) => {
    const key = `${account}/${region}`;
    let c = clients.get(key);
    if (!c) {
      const l = localClients(emu.endpoint, account, 10);
      c = l.make(AppStreamClient, region);
      made.push(...l.clients);
      clients.set(key, c);
    }
    return c;
  };
  try {
    for (let i = 0; i < builders.length; i += batch)
      await Promise.all(builders.slice(i, i + batch).map((b) => call(client(b.account, b.region), b)));
  } finally {
    for (const c of made) c.destroy();
  }
}

/** What a person does to a scripted builder at an hour of the simulation. */
type Act = 'connect' | 'start' | { logon: number };

interface Script {
  name: string;
  /** What the builder stands for, for the final table. */
  role: string;
  tags?: (policy: { optOutTag: string }) => Record<string, string>;
  /**
   * People's actions: hour → act (a connect or logon on a builder that isn't RUNNING is refused;
   * `{logon: h}`: someone logs on interactively and stays logged on for h hours).
   */
  acts?: (hours: number) => { hour: number; act: Act }[];
}

const every = (from: number, step: number, hours: number) =>
  Array.from({ length: Math.max(0, Math.ceil((hours - from) / step)) }, (_, i) => from + i * step);

/** The scripted mix. */
const SCRIPTS: Script[] = [
  { name: 'idle-never-used', role: 'running, nobody ever connects' },
  {
    name: 'daily-user',
    role: 'connected every 6 h',
    acts: (h) => every(1, 6, h).map((hour) => ({ hour, act: 'connect' as const })),
  },
  {
    name: 'morning-session',
    role: 'connected once, at hour 1',
    acts: () => [{ hour: 1, act: 'connect' }],
  },
  {
    name: 'logged-on',
    role: 'connected at hour 1 and logged on for 10 h (presence heartbeats)',
    acts: () => [
      { hour: 1, act: 'connect' },
      { hour: 1, act: { logon: 10 } },
    ],
  },
  {
    name: 'comes-back',
    role: 'idle; started and connected again at hour 20',
    acts: () => [
      { hour: 20, act: 'start' },
      { hour: 20.5, act: 'connect' },
    ],
  },
  {
    name: 'opted-out',
    role: 'opted out (optOutTag: true)',
    tags: (p) => ({ [p.optOutTag]: 'true' }),
  },
  {
    name: 'pipeline-owned',
    role: 'a pipeline run still owns it (autopilot:execution)',
    // A run of another deployment: its status can't be looked up here, so it counts as running.
    tags: () => ({
      [TAG.execution]: 'image-pipeline-run-1',
      [TAG.deployment]: 'autopilot-prod',
      [TAG.pipeline]: 'office-apps',
    }),
  },
];

export interface TimelineEntry {
  at: number;
  builder: string;
  /** cleanup's action (warn, stop, delete, skip, none) or a person's (connect, start, logon). */
  action: string;
  by: 'cleanup' | 'person';
  reason: string;
}

export interface SimulatedBuilder {
  name: string;
  role: string;
  account: string;
  region: string;
  /** Final state (DELETED when it no longer exists). */
  state: string;
  /** Final TAG.cleanup and TAG.lastConnection. */
  mark?: string;
  lastConnection?: string;
  counts: Record<string, number>;
}

export interface CleanupSimulation {
  from: number;
  to: number;
  cadenceMinutes: number;
  runs: number;
  failedRuns: number;
  transitions: number;
  wallMs: number;
  account: string;
  region: string;
  timeline: TimelineEntry[];
  builders: SimulatedBuilder[];
}

export interface CleanupSimulateOptions {
  /** The policy as written (parsed YAML/JSON). */
  policy: unknown;
  hours: number;
  /** Start (epoch ms); default 2026-11-30T08:00Z. */
  from?: number;
  /** Minutes between runs (default 15, the deployed schedule). */
  cadenceMinutes?: number;
  /** After each run (progress). */
  onRun?: (done: number, of: number) => void;
}

export const DEFAULT_FROM = Date.parse('2026-11-30T08:00:00Z');

/**
 * Runs the simulation on its own in-process emulator (its clock moves only when advanced). The
 * builders live in the policy's first account (the caller's when it lists none) and first region.
 */
export async function simulateCleanup(opts: CleanupSimulateOptions): Promise<CleanupSimulation> {
  const policy = validateCleanupPolicy(opts.policy);
  const account = policy.scope.accounts?.[0]?.id ?? LOCAL_ACCOUNT;
  const region = policy.scope.regions[0];
  const from = opts.from ?? DEFAULT_FROM;
  const to = from + opts.hours * HOUR;
  const cadence = (opts.cadenceMinutes ?? 15) * MINUTE;
  const emu = await startEmulator({ seed: 1, jitterSigma: 0, speed: 1e-9, start: from - LAUNCH });
  const { runCleanupLocally } = await import('./cleanup');
  const t0 = Date.now();
  const { clients, make } = localClients(emu.endpoint, account, 3);
  const client = make(AppStreamClient, region);
  try {
    await seedBuilders(
      emu,
      SCRIPTS.map((s) => ({ account, region, name: s.name, tags: s.tags?.(policy) })),
    );
    advanceTo(emu, from);
    const timeline: TimelineEntry[] = [];
    const counts = new Map<string, Record<string, number>>(SCRIPTS.map((s) => [s.name, {}]));
    const last = new Map<string, string>();
    const acts = SCRIPTS.flatMap((s) =>
      (s.acts?.(opts.hours) ?? []).map((a) => ({ ...a, at: from + a.hour * HOUR, builder: s.name })),
    ).sort((a, b) => a.at - b.at);
    const totals = { runs: 0, failedRuns: 0, transitions: 0 };
    const runsTotal = Math.ceil((to - from) / cadence);
    for (let t = from; t < to; t += cadence) {
      // People first: what they did since the last run.
      while (acts.length && acts[0].at <= t) {
        const a = acts.shift()!;
        advanceTo(emu, a.at);
        timeline.push({
          at: a.at,
          builder: a.builder,
          by: 'person',
          action: typeof a.act === 'string' ? a.act : 'logon',
          ...(await act(emu, client, a, account, region)),
        });
      }
      advanceTo(emu, t);
      let decisions: CleanupDecisionRow[] = [];
      try {
        const out = await runCleanupLocally({ policy: opts.policy, emulator: emu });
        decisions = out.decisions;
        totals.transitions += out.result.transitions;
        if (out.result.status !== 'SUCCEEDED') throw new Error(`${out.result.error}: ${out.result.cause}`);
      } catch (err) {
        totals.failedRuns++;
        timeline.push({
          at: t,
          builder: '*',
          by: 'cleanup',
          action: 'FAILED',
          reason: (err as Error).message,
        });
      }
      totals.runs++;
      for (const d of decisions) {
        const c = counts.get(d.builder);
        if (!c) continue;
        c[d.action] = (c[d.action] ?? 0) + 1;
        const failed = d.result === 'failed';
        // Every warn/stop/delete; a skip or none only when it changes what the builder last got.
        const key = `${d.action}${failed ? ' failed' : ''}${d.action === 'skip' ? d.reason : ''}`;
        if (
          d.action === 'warn' ||
          d.action === 'stop' ||
          d.action === 'delete' ||
          failed ||
          last.get(d.builder) !== key
        )
          timeline.push({
            at: t,
            builder: d.builder,
            by: 'cleanup',
            action: failed ? `${d.action} FAILED` : d.action,
            reason: failed && d.error ? `${d.reason}: ${d.error}` : d.reason,
          });
        last.set(d.builder, key);
      }
      opts.onRun?.(totals.runs, runsTotal);
    }
    advanceTo(emu, to);
    const builders: SimulatedBuilder[] = [];
    for (const s of SCRIPTS) {
      const out = await client
        .send(new DescribeImageBuildersCommand({ Names: [s.name] }))
        .catch(() => undefined);
      const state = out?.ImageBuilders?.[0]?.State ?? 'DELETED';
      const tags =
        state === 'DELETED'
          ? {}
          : ((
              await client.send(
                new ListTagsForResourceCommand({ ResourceArn: builderArn(account, region, s.name) }),
              )
            ).Tags ?? {});
      builders.push({
        name: s.name,
        role: s.role,
        account,
        region,
        state,
        mark: tags[TAG.cleanup],
        lastConnection: tags[TAG.lastConnection],
        counts: counts.get(s.name) ?? {},
      });
    }
    return {
      from,
      to,
      cadenceMinutes: cadence / MINUTE,
      ...totals,
      wallMs: Date.now() - t0,
      account,
      region,
      timeline,
      builders,
    };
  } finally {
    for (const c of clients) c.destroy();
    await emu.stop();
  }
}

/** A person's action on a builder; the reason says how it went. */
async function act(
  emu: RunningEmulator,
  client: AppStreamClient,
  a: { act: Act; builder: string },
  account: string,
  region: string,
): Promise<{ reason: string }> {
  try {
    if (typeof a.act === 'object') {
      emu.control.logonImageBuilder({
        name: a.builder,
        accountId: account,
        region,
        minutes: a.act.logon * 60,
      });
      return { reason: `interactive logon for ${a.act.logon} h (builder agent presence heartbeats)` };
    }
    if (a.act === 'connect') {
      emu.control.connectImageBuilder({
        name: a.builder,
        accountId: account,
        region,
        userArn: `arn:aws:sts::${account}:assumed-role/Admin/jane`,
      });
      return { reason: 'console Connect (CreateImageBuilderStreamingURL)' };
    }
    await client.send(new StartImageBuilderCommand({ Name: a.builder }));
    return { reason: 'StartImageBuilder' };
  } catch (err) {
    const e = err as Error;
    return { reason: `refused: ${e.name}: ${e.message}` };
  }
}

/** Moves the virtual clock forward to `t` (a run's retry pauses may already have taken it past). */
function advanceTo(emu: RunningEmulator, t: number) {
  const now = emu.world.now();
  if (t > now) emu.control.advance(t - now);
}
