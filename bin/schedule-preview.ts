/** `autopilot schedule validate` and `autopilot schedule preview`. */
import { writeFileSync } from 'node:fs';
import { svgChart, terminalChart } from '../lib/schedule/chart';
import { loadScheduleFile } from '../lib/schedule/config';
import { type Change, changePoints, type Override } from '../lib/schedule/engine';
import { parseOverride } from '../lib/schedule/override';
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
import { fleetTarget, nowAt, readFleet } from './schedule-fleet';

export const VALIDATE_HELP = `Usage: autopilot schedule validate <file> [--json]

Validates a schedule file (YAML or JSON) with the schema a run parses it with; an error names the
field (e.g. schedules.office-hours.periods[0].begin). Exits 0 when valid, 1 when not.
  --json      prints {"valid": true, "schedules": [...], "fleets": N} (errors still go to stderr)
  -h, --help  this help`;

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { json: { type: 'boolean' } });
  if (values.help) return help(VALIDATE_HELP);
  const path = positionals[0];
  if (!path) throw new UsageError('a schedule file is required (autopilot schedule validate <file>)');
  const file = loadScheduleFile(path);
  const schedules = Object.keys(file.schedules);
  if (values.json) console.log(JSON.stringify({ valid: true, schedules, fleets: file.fleets.length }));
  else
    console.log(
      `${path}: valid (${schedules.length} schedule${schedules.length === 1 ? '' : 's'}: ${schedules.join(', ')}; ${file.fleets.length} fleet selector${file.fleets.length === 1 ? '' : 's'})`,
    );
  return 0;
}

export const PREVIEW_HELP = `Usage: autopilot schedule preview <file> --fleet <name> [--from <time>] [--days 7] [--json] [--svg out.svg]

Lists the change points of a fleet's capacity (UTC and the schedule's local time, capacity,
reason) and draws a chart of it.
  --fleet <name>        the fleet: its schedule is the one its selector in the file names
  --schedule <name>     the schedule, for a fleet selected by tag (its tag names the schedule)
  --from <time>         start: ISO-8601 with Z or an offset, or a local time in the schedule's
                        zone (2026-12-24T06:00 or 2026-12-24); default now (the emulator's
                        virtual now with --endpoint-url)
  --days <n>            how many days to show (1 to 366, default 7)
  --override <N@until>  as if the fleet carried this override tag (e.g. 5@2026-12-01T17:00Z)
  --endpoint-url <url>  read the fleet's override tag (and, for a tag-selected fleet, its schedule
                        tag) from a running emulator
  --aws                 the same from AWS (default credential chain)
  --region <region>     the fleet's region (default: its selector's, else AWS_REGION or us-east-1)
  --json                prints {"fleet","timezone","changes":[{"at","local","capacity","reason"}]}
  --svg <file>          also writes an SVG chart (time on x, capacity on y, holidays shaded)
  -h, --help            this help`;

const DAY = 86_400_000;

export async function previewCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    fleet: { type: 'string' },
    schedule: { type: 'string' },
    from: { type: 'string' },
    days: { type: 'string' },
    override: { type: 'string' },
    'endpoint-url': { type: 'string' },
    aws: { type: 'boolean' },
    region: { type: 'string' },
    json: { type: 'boolean' },
    svg: { type: 'string' },
  });
  if (values.help) return help(PREVIEW_HELP);
  const path = positionals[0];
  if (!path)
    throw new UsageError('a schedule file is required (autopilot schedule preview <file> --fleet <name>)');
  if (!values.fleet) throw new UsageError('--fleet <name> is required');
  const fleet = values.fleet;
  const file = loadScheduleFile(path);
  const endpoint = values['endpoint-url'];
  const { selector: named, region } = fleetTarget(file, fleet, values.region);
  const live = endpoint || values.aws ? await readFleet(fleet, region, endpoint) : undefined;
  const scheduleName = values.schedule ?? (named ? undefined : live?.tags[TAG.schedule]);
  const { name, schedule, selector } = fleetSchedule(file, fleet, scheduleName);
  const zone = schedule.timezone;
  const days = intOption('days', values.days, 1, 366) ?? 7;
  // Now to the whole second: the first change's UTC and local times then read alike.
  const now = Math.floor((await nowAt(endpoint)) / 1000) * 1000;
  const from = values.from ? parseInstant('from', values.from, zone) : now;
  const to = from + days * DAY;
  const override = overrideOf(
    values.override ?? live?.tags[TAG.override],
    values.override ? '--override' : TAG.override,
  );
  const changes = changePoints(schedule, from, to, override);
  if (values.svg) {
    const title = `${fleet}: schedule ${name} (${zone})${override ? `, override ${values.override ?? live?.tags[TAG.override]}` : ''}`;
    writeFileSync(values.svg, svgChart(changes, { from, to, zone }, { title }));
  }
  if (values.json) {
    console.log(JSON.stringify(previewJson(fleet, zone, changes)));
    return 0;
  }
  const where = selector?.region ? ` in ${selector.region}` : '';
  console.log(
    `Fleet ${fleet}${where}: schedule ${name} (${zone}), ${days} day${days === 1 ? '' : 's'} from ${localIso(from, zone)}`,
  );
  if (override) console.log(`  override ${override.capacity} until ${localIso(override.until, zone)}`);
  console.log('');
  for (const line of changeTable(changes, zone)) console.log(line);
  console.log('');
  for (const line of terminalChart(changes, { from, to, zone })) console.log(line);
  if (values.svg) console.log(`\nwrote ${values.svg}`);
  return 0;
}

/** The `--json` document: exactly these members, instants as UTC and as local time with offset. */
function previewJson(fleet: string, timezone: string, changes: Change[]) {
  return {
    fleet,
    timezone,
    changes: changes.map((c) => ({
      at: utcIso(c.at),
      local: localIso(c.at, timezone),
      capacity: c.capacity,
      reason: c.reason,
    })),
  };
}

/** The change table: UTC, local time with the weekday, capacity, reason. */
function changeTable(changes: Change[], zone: string): string[] {
  const rows = changes.map((c) => {
    const local = localIso(c.at, zone);
    const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone: zone }).format(c.at);
    const minMax =
      c.minCapacity !== undefined || c.maxCapacity !== undefined
        ? ` (min ${c.minCapacity ?? '-'}, max ${c.maxCapacity ?? '-'})`
        : '';
    return [
      utcIso(c.at),
      `${weekday} ${local.slice(0, 16).replace('T', ' ')} ${local.slice(19)}`,
      String(c.capacity),
      `${c.reason}${minMax}`,
    ];
  });
  const head = ['UTC', `local (${zone})`, 'capacity', 'reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `  ${r.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}

function overrideOf(value: string | undefined, where: string): Override | undefined {
  if (value === undefined) return undefined;
  const o = parseOverride(value);
  if (!o) throw new UsageError(`${where} '${value}' is not capacity@until (e.g. 5@2026-12-01T17:00Z)`);
  return o;
}

function help(text: string): number {
  console.log(text);
  return 0;
}
