/**
 * `autopilot schedule override`: a temporary capacity for one fleet, stored as its
 * TAG.override tag (`capacity@until`) so a person sees it in the console and the next run
 * applies it; an expired one is ignored and removed by the run.
 */
import { TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-appstream';
import { ianaZone, loadScheduleFile, MAX_CAPACITY, ZONE_MESSAGE } from '../lib/schedule/config';
import { formatOverride } from '../lib/schedule/override';
import { TAG } from '../lib/tags';
import {
  fleetSchedule,
  intOption,
  localIso,
  parseInstant,
  parseOptions,
  UsageError,
  utcIso,
} from './schedule-args';
import { appstreamClient, fleetTags, fleetTarget, nowAt } from './schedule-fleet';

export const OVERRIDE_HELP = `Usage:
  autopilot schedule override --fleet <name> --capacity <n> --until <time> [--zone <zone>] [--file <schedules>]
  autopilot schedule override --fleet <name> --clear

Sets (or with --clear removes) the fleet's ${TAG.override} tag: the schedule's runs size the fleet
to <n> until then (still never below the sessions in use unless the schedule forces it).
  --fleet <name>        the fleet (DescribeFleets gives its ARN)
  --capacity <n>        capacity in the fleet's unit (instances, sessions, or max concurrent sessions)
  --until <time>        when the override ends: ISO-8601 with Z or an offset, or a local time
                        (2026-12-01T18:00) in --zone; must be in the future
  --zone <zone>         IANA zone of a local --until (default: the fleet's schedule's zone with
                        --file, else UTC)
  --file <schedules>    the schedule file (for the default --zone and the fleet's region)
  --region <region>     the fleet's region (default: its selector's in --file, else AWS_REGION or us-east-1)
  --endpoint-url <url>  a running emulator (its virtual clock decides what "future" means)
  --json                prints {"fleet","arn","tag":{"key","value"}} or {"fleet","arn","cleared":true}
  -h, --help            this help`;

export async function overrideCommand(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    fleet: { type: 'string' },
    capacity: { type: 'string' },
    until: { type: 'string' },
    zone: { type: 'string' },
    file: { type: 'string' },
    clear: { type: 'boolean' },
    region: { type: 'string' },
    'endpoint-url': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(OVERRIDE_HELP);
    return 0;
  }
  const fleet = values.fleet;
  if (!fleet) throw new UsageError('--fleet <name> is required');
  if (values.clear && (values.capacity !== undefined || values.until !== undefined))
    throw new UsageError('--clear takes no --capacity or --until');
  if (!values.clear && (values.capacity === undefined || values.until === undefined))
    throw new UsageError('--capacity <n> and --until <time> are required (or --clear)');
  // Everything the command line alone decides is checked before any client exists: a typo is a
  // usage error (exit 2) without a network call.
  const capacity = values.clear ? undefined : intOption('capacity', values.capacity, 0, MAX_CAPACITY);
  const givenZone = values.zone === undefined ? undefined : zoneOption(values.zone);
  const file = values.file ? loadScheduleFile(values.file) : undefined;
  const { selector, region } = fleetTarget(file, fleet, values.region);
  // The zone of a local --until: given, else the schedule its selector in the file names, else
  // (a fleet selected by tag) its schedule tag's, read below, else UTC.
  const knownZone =
    givenZone ?? (selector && file ? fleetSchedule(file, fleet).schedule.timezone : undefined);
  // Parsed now to refuse a malformed --until early (a local time's validity doesn't depend on
  // the zone); parsed again below when the zone comes from the fleet's tag.
  if (values.until !== undefined) parseInstant('until', values.until, knownZone ?? 'UTC');
  const endpoint = values['endpoint-url'];
  const client = appstreamClient(region, endpoint);
  try {
    const { arn, tags } = await fleetTags(client, fleet, region);
    if (values.clear) {
      await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: [TAG.override] }));
      if (values.json) console.log(JSON.stringify({ fleet, arn, cleared: true }));
      else
        console.log(
          `fleet ${fleet}: ${TAG.override} removed${tags[TAG.override] ? ` (was ${tags[TAG.override]})` : ' (there was none)'}`,
        );
      return 0;
    }
    const zone =
      knownZone ??
      (file && tags[TAG.schedule] ? fleetSchedule(file, fleet, tags[TAG.schedule]).schedule.timezone : 'UTC');
    const until = parseInstant('until', values.until as string, zone);
    // "The future" is the emulator's virtual now against an emulator, real time against AWS.
    const now = await nowAt(endpoint);
    if (until <= now)
      throw new UsageError(`--until ${localIso(until, zone)} is not in the future (now: ${utcIso(now)})`);
    const value = formatOverride({ capacity: capacity as number, until });
    await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: { [TAG.override]: value } }));
    if (values.json) console.log(JSON.stringify({ fleet, arn, tag: { key: TAG.override, value } }));
    else
      console.log(
        `fleet ${fleet}: ${TAG.override}=${value} (capacity ${capacity} until ${localIso(until, zone)} ${zone})`,
      );
    return 0;
  } finally {
    client.destroy();
  }
}

/** `--zone`: an IANA zone, checked as a schedule's `timezone` is (no `+02:00`). */
function zoneOption(text: string): string {
  const zone = ianaZone(text);
  if (zone === undefined) throw new UsageError(`--zone '${text}' ${ZONE_MESSAGE}`);
  return zone;
}
