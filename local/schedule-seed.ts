import { DescribeFleetsCommand } from '@aws-sdk/client-appstream';
import type { ScheduleFile } from '../lib/schedule/config';
import type { ScheduleDeps } from '../lib/schedule/deps';
import { regionOf } from '../lib/schedule/select';
import type { FleetType } from '../lib/schedule/units';
import { createFleets, type SeedFleet } from './simulate-seed';

/** How a seeded fleet is made: the type its name suggests (…elastic…, …always…), else ON_DEMAND. */
export const seedTypeOf = (name: string): FleetType =>
  /elastic/i.test(name) ? 'ELASTIC' : /always/i.test(name) ? 'ALWAYS_ON' : 'ON_DEMAND';

/**
 * The fleets a schedule file names that don't exist yet (and, per tag selector, a fleet
 * `tagged-fleet-N` tagged with the first schedule unless it exists), as the one seeder
 * (local/simulate-seed.ts createFleets) makes them: capacity 1, each with a stack; fleets the
 * schedule doesn't stop and start are started. Returns the names created.
 */
export async function seedScheduleFleets(file: ScheduleFile, deps: ScheduleDeps): Promise<string[]> {
  const seeds: SeedFleet[] = [];
  let tagged = 0;
  const firstSchedule = Object.keys(file.schedules)[0];
  const existing = new Map<string, Set<string>>();
  for (const selector of file.fleets) {
    const region = regionOf(selector, deps.region);
    if (!existing.has(region)) {
      const out = await deps.appstream(region).send(new DescribeFleetsCommand({}));
      existing.set(region, new Set((out.Fleets ?? []).map((f) => f.Name!)));
    }
    const names = existing.get(region)!;
    let name: string;
    let tags: Record<string, string> | undefined;
    if ('name' in selector) name = selector.name;
    else {
      name = `tagged-fleet-${++tagged}`;
      if (!firstSchedule) continue;
      tags = { [selector.tag]: firstSchedule };
    }
    if (names.has(name)) continue;
    names.add(name);
    seeds.push({ name, region, type: seedTypeOf(name), capacity: 1, tags, start: !selector.stopWhenZero });
  }
  await createFleets(deps, seeds);
  return seeds.map((s) => s.name);
}
