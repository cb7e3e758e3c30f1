import type { FleetSelector, ScheduleFile } from './config';
import type { FleetFacts, RegionInventory } from './inventory';

export interface ManagedFleet {
  facts: FleetFacts;
  selector: FleetSelector;
  schedule: string;
}

/** A selector that matched nothing it could act on: reported by fleet name, never a crash. */
export interface SelectionProblem {
  fleet: string;
  region: string;
  schedule?: string;
  error: string;
  /** The fleet, when it exists (a tag naming an unknown schedule). */
  facts?: FleetFacts;
}

export const regionOf = (s: FleetSelector, home: string) => s.region ?? home;

/**
 * The fleets the file manages: by name (`{name, schedule}`), or by tag (`{tag}`: every fleet
 * with that tag key; its value names the schedule). A fleet matched twice keeps its first match,
 * named selectors before tag selectors (a name is the more deliberate choice).
 */
export function selectFleets(
  file: ScheduleFile,
  inventories: Map<string, RegionInventory>,
  home: string,
): { managed: ManagedFleet[]; problems: SelectionProblem[] } {
  const managed: ManagedFleet[] = [];
  const problems: SelectionProblem[] = [];
  const taken = new Set<string>();
  const ordered = [...file.fleets.filter((s) => 'name' in s), ...file.fleets.filter((s) => !('name' in s))];
  for (const selector of ordered) {
    const region = regionOf(selector, home);
    const fleets = inventories.get(region)?.fleets ?? new Map<string, FleetFacts>();
    const candidates: { facts?: FleetFacts; name: string; schedule: string }[] =
      'name' in selector
        ? [{ facts: fleets.get(selector.name), name: selector.name, schedule: selector.schedule }]
        : [...fleets.values()]
            .filter((f) => f.tags[selector.tag] !== undefined)
            .map((f) => ({ facts: f, name: f.name, schedule: f.tags[selector.tag] }));
    for (const c of candidates) {
      const key = `${region}/${c.name}`;
      if (taken.has(key)) continue;
      taken.add(key);
      if (!c.facts)
        problems.push({
          fleet: c.name,
          region,
          schedule: c.schedule,
          error: `FleetNotFound: no fleet named ${c.name} in ${region}`,
        });
      else if (!Object.hasOwn(file.schedules, c.schedule))
        problems.push({
          fleet: c.name,
          region,
          schedule: c.schedule,
          facts: c.facts,
          error: `UnknownSchedule: tag ${'tag' in selector ? selector.tag : ''} names schedule '${c.schedule}', which the file does not define`,
        });
      else managed.push({ facts: c.facts, selector, schedule: c.schedule });
    }
  }
  return { managed, problems };
}
