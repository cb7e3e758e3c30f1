import { describe, expect, it } from 'vitest';
import { validateScheduleFile } from '../../../lib/schedule/config';
import type { FleetFacts, RegionInventory } from '../../../lib/schedule/inventory';
import { selectFleets } from '../../../lib/schedule/select';
import { TAG } from '../../../lib/tags';

const facts = (name: string, region: string, tags: Record<string, string> = {}): FleetFacts => ({
  name,
  arn: `arn:aws:appstream:${region}:123456789012:fleet/${name}`,
  region,
  fleetType: 'ON_DEMAND',
  unit: 'DesiredInstances',
  state: 'RUNNING',
  current: 1,
  inUse: 0,
  heldInterfaces: 1,
  subnetIds: [],
  tags,
});

const inventory = (region: string, fleets: FleetFacts[]): [string, RegionInventory] => [
  region,
  { region, fleets: new Map(fleets.map((f) => [f.name, f])), reads: 3 },
];

const schedule = { timezone: 'UTC', default: 1 };

describe('Fleet schedule: which fleets a file manages', () => {
  it('selects by name (its region or the home region) and by tag (the value names the schedule)', () => {
    const file = validateScheduleFile({
      schedules: { day: schedule, night: schedule },
      fleets: [
        { tag: TAG.schedule },
        { name: 'eu', schedule: 'day', region: 'eu-west-1' },
        { name: 'home', schedule: 'day' },
      ],
    });
    const { managed, problems } = selectFleets(
      file,
      new Map([
        inventory('us-east-1', [
          facts('home', 'us-east-1', { [TAG.schedule]: 'night' }),
          facts('t', 'us-east-1', { [TAG.schedule]: 'night' }),
        ]),
        inventory('eu-west-1', [facts('eu', 'eu-west-1')]),
      ]),
      'us-east-1',
    );
    expect(problems).toEqual([]);
    // A fleet named and tagged keeps its named schedule (the deliberate choice).
    expect(managed.map((m) => [m.facts.region, m.facts.name, m.schedule])).toEqual([
      ['eu-west-1', 'eu', 'day'],
      ['us-east-1', 'home', 'day'],
      ['us-east-1', 't', 'night'],
    ]);
  });

  it('reports a named fleet that does not exist and a tag naming an unknown schedule, without failing the rest', () => {
    const file = validateScheduleFile({
      schedules: { day: schedule },
      fleets: [{ name: 'ghost', schedule: 'day' }, { tag: 'team' }],
    });
    const { managed, problems } = selectFleets(
      file,
      new Map([
        inventory('us-east-1', [
          facts('a', 'us-east-1', { team: 'day' }),
          facts('b', 'us-east-1', { team: 'nope' }),
        ]),
      ]),
      'us-east-1',
    );
    expect(managed.map((m) => m.facts.name)).toEqual(['a']);
    expect(problems).toEqual([
      expect.objectContaining({ fleet: 'ghost', error: expect.stringMatching(/^FleetNotFound: /) }),
      expect.objectContaining({
        fleet: 'b',
        schedule: 'nope',
        error: expect.stringMatching(/^UnknownSchedule: /),
      }),
    ]);
  });
});
