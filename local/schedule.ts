import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '../emulator';
import { scheduleFunctions } from '../functions';
import { validateScheduleFile } from '../lib/schedule/config';
import type { ScheduleDeps } from '../lib/schedule/deps';
import { expandReport, type RunOutput, type ScheduleReport } from '../lib/schedule/report';
import type { AslDefinition } from './asl';
import { LOCAL_ACCOUNT } from './local-deps';
import { type LocalHandler, type LocalRunResult, type ProgressEvent, runLocally } from './runner';
import { scheduleLocalDeps } from './schedule-deps';
import { seedScheduleFleets } from './schedule-seed';

const SCHEDULE_ASL = fileURLToPath(new URL('../statemachines/fleet-schedule.asl.json', import.meta.url));

export const loadScheduleDefinition = (): AslDefinition =>
  JSON.parse(readFileSync(SCHEDULE_ASL, 'utf8')) as AslDefinition;

/** The fleet schedule's functions as local handlers with these dependencies. */
function scheduleHandlers(deps: ScheduleDeps): Record<string, LocalHandler> {
  return Object.fromEntries(
    Object.entries(scheduleFunctions).map(([name, f]) => [name, f.withDeps(deps) as LocalHandler]),
  );
}

export interface LocalScheduleOptions {
  /** The schedule file, parsed (YAML/JSON object). */
  config: unknown;
  /** An in-process emulator (tests, simulate); default: one is started, seeded, and stopped after. */
  emulator?: RunningEmulator;
  /** A running emulator's URL instead (`autopilot emulator`); "now" is its virtual clock. */
  endpointUrl?: string;
  dryRun?: boolean;
  onProgress?: (e: ProgressEvent) => void;
  /** Create the fleets the file names that don't exist yet (default: only in an emulator started here). */
  seedFleets?: boolean;
  executionName?: string;
  region?: string;
  /** SDK attempts per call (default 3, the SDK's standard mode). */
  maxAttempts?: number;
  /** Minutes until the next run (default 5, like the deployed trigger): see ScheduleDeps.cadenceMinutes. */
  cadenceMinutes?: number;
}

/**
 * Runs the fleet-schedule state machine once, locally, at the emulator's virtual "now":
 * Evaluate → Map(Apply) → Report with aws-local-stepfunctions, our functions in-process, real SDK
 * calls over HTTP to the emulator.
 */
export async function runScheduleLocally(
  opts: LocalScheduleOptions,
): Promise<{ result: LocalRunResult; report: ScheduleReport; emulator?: RunningEmulator }> {
  const own = !opts.emulator && !opts.endpointUrl;
  const emu = opts.emulator ?? (own ? await startEmulator({ seed: 1 }) : undefined);
  const endpoint = emu?.endpoint ?? opts.endpointUrl!;
  const remoteNow = emu ? undefined : await remoteClock(endpoint);
  const now = () => emu?.world.now() ?? remoteNow!;
  const deps = scheduleLocalDeps(endpoint, now, {
    region: opts.region,
    maxAttempts: opts.maxAttempts,
    cadenceMinutes: opts.cadenceMinutes,
  });
  try {
    // A demo's fleets are bigger than the default quotas (5 instances per type, like AWS's).
    if (own) emu?.control.setQuotas({ streamingInstances: 1000, fleets: 100, stacks: 100 });
    if (opts.seedFleets ?? own) {
      const created = await seedScheduleFleets(validateScheduleFile(opts.config), deps);
      // Seeded fleets take minutes to start: let them (the in-process clock only).
      if (created.length && emu) await untilStarted(emu, deps.region);
    }
    const result = await runLocally({
      definition: loadScheduleDefinition(),
      input: { config: opts.config, dryRun: opts.dryRun ?? false },
      executionName: opts.executionName ?? `schedule-${Date.now().toString(36)}`,
      stateMachineName: 'fleet-schedule',
      handlers: scheduleHandlers(deps),
      // A schedule run never waits: the virtual clock only moves for retry pauses.
      time: {
        now,
        advance: (ms) => {
          emu?.control.advance(ms);
        },
      },
      onProgress: opts.onProgress,
      region: deps.region,
      account: LOCAL_ACCOUNT,
    });
    if (result.status !== 'SUCCEEDED')
      throw Object.assign(
        new Error(`fleet schedule run ${result.status}: ${result.error}: ${result.cause}`),
        {
          name: result.error ?? 'ScheduleRunFailed',
        },
      );
    return { result, report: expandReport(result.output as RunOutput), emulator: own ? undefined : emu };
  } finally {
    for (const c of deps.clients) c.destroy();
    if (own) await emu?.stop();
  }
}

/** Advances the virtual clock minute by minute until no fleet is STARTING (at most an hour). */
async function untilStarted(emu: RunningEmulator, region: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    emu.world.settle(region);
    const starting = [...emu.world.store(LOCAL_ACCOUNT, region).fleets.values()].some(
      (f) => f.state === 'STARTING',
    );
    if (!starting) return;
    emu.control.advance(60_000);
  }
}

/** A running emulator's virtual now (GET /_emulator/clock). */
async function remoteClock(endpoint: string): Promise<number> {
  const res = await fetch(`${endpoint.replace(/\/$/, '')}/_emulator/clock`);
  if (!res.ok) throw new Error(`${endpoint}: GET /_emulator/clock answered ${res.status}`);
  return ((await res.json()) as { now: number }).now;
}
