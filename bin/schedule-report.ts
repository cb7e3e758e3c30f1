/** Prints a schedule run's report: one line per fleet, what it was, what it is, and why. */
import type { ScheduleReport } from '../lib/schedule/report';

type Row = ScheduleReport['fleets'][number];

/** `before → after` in the fleet's unit, with Min/Max for a fleet with a scalable target. */
function change(f: Row): string {
  const t = f.scalableTarget;
  const minMax = t ? ` (min/max ${t.min}/${t.max} → ${t.wantedMin}/${t.wantedMax})` : '';
  return `${f.before} → ${f.after}${minMax}`;
}

/** What else a person should know about a fleet's line: cap, force, override, notes, error. */
function details(f: Row): string[] {
  const out: string[] = [];
  if (f.wanted !== f.after) out.push(`schedule wants ${f.wanted}`);
  if (f.cap) out.push(`capped at ${f.cap.capacity}: ${f.cap.reason}`);
  if (f.forced) out.push(`FORCED below ${f.inUse ?? 0} in use`);
  if (f.clearOverride) out.push('expired override removed');
  out.push(...f.notes);
  if (f.error) out.push(`error: ${f.error}`);
  return out;
}

export function reportLines(report: ScheduleReport): string[] {
  const rows = report.fleets.map((f) => [
    f.fleet,
    f.region,
    // An unchanged fleet's row carries no type, state or unit (the run's compact output leaves
    // them out, lib/schedule/wire.ts): those cells stay empty rather than showing a bare '-'.
    f.fleetType ? `${f.fleetType} ${f.state ?? ''}`.trimEnd() : '',
    f.unit ?? '',
    change(f),
    f.action,
    f.result,
    f.reason,
  ]);
  const head = ['fleet', 'region', 'type/state', 'unit', 'before → after', 'action', 'result', 'reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  const lines = [
    `Schedule run at ${report.at}${report.dryRun ? ' (dry run: nothing changed)' : ''}: ${report.fleets.length} fleet${report.fleets.length === 1 ? '' : 's'}`,
    line(head),
  ];
  report.fleets.forEach((f, i) => {
    lines.push(line(rows[i]));
    for (const d of details(f)) lines.push(`      ${d}`);
  });
  const counts = Object.entries(report.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  if (counts) lines.push(`  ${counts}`);
  if (report.failed.length) lines.push(`  FAILED: ${report.failed.join(', ')}`);
  return lines;
}
