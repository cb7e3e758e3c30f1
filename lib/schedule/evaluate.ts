import { ConfigError } from '../errors';
import { type ScheduleFile, validateScheduleFile } from './config';
import { decisionsFor } from './decide';
import type { ScheduleDeps } from './deps';
import { type FleetFacts, freeAddresses, type RegionInventory, readRegion } from './inventory';
import { extraInterfaces, type FleetPlan, needsApply, planFleet } from './plan';
import type { ReportEntry } from './report';
import { type ManagedFleet, regionOf, type SelectionProblem, selectFleets } from './select';
import {
  type ArnPrefixes,
  arnPrefixOf,
  PlanEncoder,
  type PlanKind,
  toUnchanged,
  type UnchangedFleet,
  type WirePlan,
} from './wire';

/**
 * The Evaluate step's output: the Map applies `changes`; the rest goes straight to the report.
 * Compact (lib/schedule/wire.ts): it and the Map's output carry one entry per managed fleet, and
 * Step Functions passes at most 256 KiB between states.
 */
export interface Evaluation {
  at: string;
  dryRun: boolean;
  /** Plans that need a write (empty on a dry run). */
  changes: WirePlan[];
  /** Fleets that need none (already right, or retry-later): `[fleet, region, capacity, reason]`. */
  unchanged: UnchangedFleet[];
  /** Dry run: what `changes` would have been. */
  previewed: WirePlan[];
  /** What the plans of `changes` / `previewed` share (region, schedule, type, unit, state, reason), once. */
  kinds: PlanKind[];
  /** Selectors that matched no fleet, name an unknown schedule, or lie in a region that can't be read. */
  failed: ReportEntry[];
  /** Per region, the fleets' ARN without the name (Apply tags by ARN). */
  arnPrefix: ArnPrefixes;
  /** Read calls made (DescribeFleets, GetResources, DescribeScalableTargets, DescribeSubnets). */
  reads: number;
}

/**
 * Plans every managed fleet at the (virtual) now in one step: reads each region in bulk, asks
 * the schedule, plans, then looks up free addresses only for the fleets that need more network
 * interfaces (one DescribeSubnets per region) and plans those again under the IP cap.
 */
export async function evaluateSchedules(
  input: { config?: unknown; dryRun?: boolean },
  deps: ScheduleDeps,
): Promise<Evaluation> {
  const raw = input.config ?? deps.loadConfig?.();
  if (raw === undefined)
    throw new ConfigError('no schedule file: pass {"config": …} in the input (or set SCHEDULE_FILE)');
  const file = validateScheduleFile(raw);
  const now = deps.clock.now();
  const { inventories, unreadable } = await readRegions(deps, file);
  let reads = [...inventories.values()].reduce((n, inv) => n + inv.reads, 0);
  const readable = file.fleets.filter((s) => !unreadable.has(regionOf(s, deps.region)));
  const { managed, problems } = selectFleets({ ...file, fleets: readable }, inventories, deps.region);
  problems.push(...unreadableProblems(file, unreadable, deps.region));
  const planOf = (m: ManagedFleet, freeIps?: number) => {
    const schedule = file.schedules[m.schedule];
    const decisions = decisionsFor(
      schedule,
      m.facts.tags,
      now,
      m.selector.startLeadMinutes,
      deps.cadenceMinutes,
    );
    return planFleet({
      fleet: m.facts,
      schedule: m.schedule,
      decisions,
      enforced: schedule.enforced,
      force: m.selector.force ?? schedule.force,
      stopWhenZero: m.selector.stopWhenZero,
      startLeadMinutes: m.selector.startLeadMinutes,
      maxCapacity: m.selector.maxCapacity,
      freeIps,
    });
  };
  const plans = managed.map((m) => planOf(m));
  reads += await capByAddresses(deps, managed, plans, planOf);
  const dryRun = input.dryRun ?? false;
  const encoder = new PlanEncoder();
  const changes = plans.filter(needsApply).map((p) => encoder.encode(p));
  const arnPrefix: ArnPrefixes = {};
  for (const m of managed) {
    const prefix = m.facts.arn && arnPrefixOf(m.facts.arn, m.facts.name);
    if (prefix) arnPrefix[m.facts.region] ??= prefix;
  }
  return {
    at: new Date(now).toISOString(),
    dryRun,
    changes: dryRun ? [] : changes,
    previewed: dryRun ? changes : [],
    kinds: encoder.kinds,
    unchanged: plans.filter((p) => !needsApply(p)).map(toUnchanged),
    failed: problems.map(problemEntry),
    arnPrefix,
    reads,
  };
}

/**
 * Reads every region the file names, in parallel. A region that can't be read for good (access
 * denied by an SCP, a region not enabled: any error but AwsTransientError) fails only its own
 * fleets; throttling and 5xx still fail the step, which the state machine retries.
 */
async function readRegions(deps: ScheduleDeps, file: ScheduleFile) {
  const regions = [...new Set(file.fleets.map((s) => regionOf(s, deps.region)))];
  const inventories = new Map<string, RegionInventory>();
  const unreadable = new Map<string, string>();
  await Promise.all(
    regions.map(async (region) => {
      try {
        inventories.set(region, await readRegion(deps, region));
      } catch (err) {
        const e = err as Error;
        if (e?.name === 'AwsTransientError') throw err;
        unreadable.set(region, `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`);
      }
    }),
  );
  return { inventories, unreadable };
}

/** The selectors of unreadable regions, each reported failed with the region's error. */
function unreadableProblems(
  file: ScheduleFile,
  unreadable: Map<string, string>,
  home: string,
): SelectionProblem[] {
  return file.fleets.flatMap((s): SelectionProblem[] => {
    const region = regionOf(s, home);
    const error = unreadable.get(region);
    if (error === undefined) return [];
    return [
      'name' in s
        ? { fleet: s.name, region, schedule: s.schedule, error: `RegionUnreadable: ${error}` }
        : { fleet: `tag:${s.tag}`, region, error: `RegionUnreadable: ${error}` },
    ];
  });
}

/**
 * Re-plans, under the IP cap, the fleets that need more interfaces than they hold. Fleets
 * sharing a subnet share its free addresses: each takes what it needs, in order, from what the
 * ones before it left. Returns the DescribeSubnets calls made.
 */
async function capByAddresses(
  deps: ScheduleDeps,
  managed: ManagedFleet[],
  plans: FleetPlan[],
  planOf: (m: ManagedFleet, freeIps?: number) => FleetPlan,
): Promise<number> {
  const growing = managed.map((_, i) => i).filter((i) => extraInterfaces(plans[i], managed[i].facts) > 0);
  const byRegion = new Map<string, number[]>();
  for (const i of growing) {
    const r = managed[i].facts.region;
    byRegion.set(r, [...(byRegion.get(r) ?? []), i]);
  }
  for (const [region, indexes] of byRegion) {
    const free = await freeAddresses(
      deps,
      region,
      indexes.flatMap((i) => managed[i].facts.subnetIds),
    );
    for (const i of indexes) {
      const facts = managed[i].facts;
      if (!facts.subnetIds.every((s) => free.has(s))) {
        plans[i].notes.push('subnets unreadable (DescribeSubnets): IP cap not applied');
        continue;
      }
      const available = facts.subnetIds.reduce((n, s) => n + (free.get(s) ?? 0), 0);
      plans[i] = planOf(managed[i], available);
      take(free, facts, extraInterfaces(plans[i], facts));
    }
  }
  return byRegion.size;
}

/** Takes `n` addresses from the fleet's subnets (first subnets first). */
function take(free: Map<string, number>, facts: FleetFacts, n: number): void {
  let left = n;
  for (const s of facts.subnetIds) {
    const used = Math.min(left, free.get(s) ?? 0);
    free.set(s, (free.get(s) ?? 0) - used);
    left -= used;
  }
}

function problemEntry(p: SelectionProblem): ReportEntry {
  const f = p.facts;
  return {
    fleet: p.fleet,
    region: p.region,
    schedule: p.schedule ?? '',
    // A fleet that doesn't exist has no type: reported as the API's default (ON_DEMAND).
    fleetType: f?.fleetType ?? 'ON_DEMAND',
    unit: f?.unit ?? 'DesiredInstances',
    state: f?.state ?? 'NOT_FOUND',
    before: f?.current ?? 0,
    after: f?.current ?? 0,
    wanted: 0,
    inUse: f?.inUse ?? 0,
    action: 'none',
    reason: p.error,
    notes: [],
    result: 'failed',
    error: p.error,
  };
}
