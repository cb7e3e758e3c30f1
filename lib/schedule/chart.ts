/**
 * Charts of a fleet's capacity over time, from a schedule's change points (engine.ts
 * changePoints): a small terminal chart (block characters) and a standalone SVG. Pure: text in,
 * text out; the time zone only places day boundaries and labels.
 */
import { Temporal } from 'temporal-polyfill';

/** A change point: from `at` (epoch ms) on, `capacity` applies for `reason` (engine.ts Change). */
export interface ChartPoint {
  at: number;
  capacity: number;
  reason: string;
}

export interface ChartRange {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** IANA zone of the schedule: day boundaries and labels are local days. */
  zone: string;
}

const MINUTE = 60_000;
/** Column widths a chart may use: round numbers of minutes, so a column lines up with the hour. */
const STEPS_MIN = [5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440];
/** Eighth blocks: a column's height in eighths of a row. */
const BLOCKS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** The capacity in force at `t`: the last point at or before it (0 before the first). */
export function capacityAtPoint(points: ChartPoint[], t: number): ChartPoint | undefined {
  let found: ChartPoint | undefined;
  for (const p of points) {
    if (p.at > t) break;
    found = p;
  }
  return found;
}

/**
 * The largest capacity in [start, end): a column shows its peak, so a one-hour period in a
 * two-hour column is still visible.
 */
export function peakIn(points: ChartPoint[], start: number, end: number): number {
  let peak = capacityAtPoint(points, start)?.capacity ?? 0;
  for (const p of points) if (p.at > start && p.at < end) peak = Math.max(peak, p.capacity);
  return peak;
}

/** The smallest column width (minutes) that fits [from, to) in `maxColumns` columns. */
export function columnMinutes(from: number, to: number, maxColumns: number): number {
  const minutes = Math.max(1, (to - from) / MINUTE);
  return STEPS_MIN.find((s) => Math.ceil(minutes / s) <= maxColumns) ?? Math.ceil(minutes / maxColumns);
}

/** Local midnights strictly after `from` and before `to` (epoch ms), with their local date. */
export function dayStarts(range: ChartRange): { at: number; date: Temporal.PlainDate }[] {
  const out: { at: number; date: Temporal.PlainDate }[] = [];
  let day = Temporal.Instant.fromEpochMilliseconds(range.from).toZonedDateTimeISO(range.zone).toPlainDate();
  // startOfDay: a zone whose midnight doesn't exist on a DST day starts that day at 01:00.
  for (;;) {
    day = day.add({ days: 1 });
    const at = day.toZonedDateTime({ timeZone: range.zone }).epochMilliseconds;
    if (at >= range.to) return out;
    out.push({ at, date: day });
  }
}

/** Spans spent on a holiday: consecutive points whose reason is `holiday …`, to the next change. */
export function holidaySpans(
  points: ChartPoint[],
  range: Pick<ChartRange, 'from' | 'to'>,
): { start: number; end: number; reason: string }[] {
  const spans: { start: number; end: number; reason: string }[] = [];
  points.forEach((p, i) => {
    if (!p.reason.startsWith('holiday')) return;
    const start = Math.max(p.at, range.from);
    const end = Math.min(points[i + 1]?.at ?? range.to, range.to);
    if (end <= start) return;
    const last = spans.at(-1);
    if (last && last.end === start && last.reason === p.reason) last.end = end;
    else spans.push({ start, end, reason: p.reason });
  });
  return spans;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const dayLabel = (d: Temporal.PlainDate) => `${WEEKDAYS[d.dayOfWeek - 1]} ${String(d.day).padStart(2, '0')}`;

export interface TerminalChartOptions {
  /** At most this many columns of chart (default 84: a week at 2 h per column). */
  maxColumns?: number;
  /** Rows of bars (default 8; each row has 8 steps of block characters). */
  rows?: number;
}

/**
 * A terminal chart: one column per N minutes (the peak capacity in it), eighth-block bars, the
 * largest capacity on the y axis, `┴` and a day label at each local midnight, `═` under holiday
 * columns. Returns the lines (no trailing newline).
 */
export function terminalChart(
  points: ChartPoint[],
  range: ChartRange,
  opts: TerminalChartOptions = {},
): string[] {
  const rows = opts.rows ?? 8;
  const step = columnMinutes(range.from, range.to, opts.maxColumns ?? 84) * MINUTE;
  const columns = Math.max(1, Math.ceil((range.to - range.from) / step));
  const starts = Array.from({ length: columns }, (_, i) => range.from + i * step);
  const peaks = starts.map((s) => peakIn(points, s, Math.min(s + step, range.to)));
  const max = Math.max(1, ...peaks);
  const eighths = peaks.map((v) => (v > 0 ? Math.max(1, Math.round((v / max) * rows * 8)) : 0));
  const labelWidth = String(max).length;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const floor = (rows - 1 - r) * 8;
    const bar = eighths.map((e) => BLOCKS[Math.min(8, Math.max(0, e - floor))]).join('');
    lines.push(`${(r === 0 ? String(max) : '').padStart(labelWidth)} │${bar}`);
  }
  const columnOf = (t: number) => Math.floor((t - range.from) / step);
  const axis = Array.from({ length: columns }, () => '─');
  for (const h of holidaySpans(points, range))
    for (let c = columnOf(h.start); c < Math.min(columns, Math.ceil((h.end - range.from) / step)); c++)
      axis[c] = '═';
  const labels = Array.from({ length: columns + 8 }, () => ' ');
  const first = {
    at: range.from,
    date: Temporal.Instant.fromEpochMilliseconds(range.from).toZonedDateTimeISO(range.zone).toPlainDate(),
  };
  // Whole days first: the partial first day gets its label only where it fits before the next.
  for (const d of [...dayStarts(range), first]) {
    const c = columnOf(d.at);
    if (d !== first) axis[c] = '┴';
    const text = dayLabel(d.date);
    // A label is written only where it doesn't overlap the previous one (narrow charts).
    if (labels.slice(Math.max(0, c - 1), c + text.length + 1).every((ch) => ch === ' '))
      for (let i = 0; i < text.length; i++) labels[c + i] = text[i];
  }
  lines.push(`${'0'.padStart(labelWidth)} └${axis.join('')}`);
  lines.push(`${' '.repeat(labelWidth + 2)}${labels.join('').trimEnd()}`);
  const stepText = step % (60 * MINUTE) === 0 ? `${step / (60 * MINUTE)} h` : `${step / MINUTE} min`;
  lines.push(
    `${' '.repeat(labelWidth + 2)}one column = ${stepText} (peak), days in ${range.zone}${axis.includes('═') ? ', ═ holiday' : ''}`,
  );
  return lines;
}

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface SvgChartOptions {
  title?: string;
  width?: number;
  height?: number;
}

/** A round upper bound for the y axis: 1, 2, 5, 10, 20, 50, ... at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max) ?? 10 * p;
}

const fmt = (v: number) => String(Math.round(v * 10) / 10);

/**
 * A standalone SVG chart: capacity (y) over time (x) as a step line, holidays shaded
 * (`<rect class="holiday">` with a tooltip naming it), a gridline and label at each local
 * midnight, y ticks at 0, half and the top, axis labels. All text is escaped.
 */
export function svgChart(points: ChartPoint[], range: ChartRange, opts: SvgChartOptions = {}): string {
  const width = opts.width ?? 960;
  const height = opts.height ?? 320;
  const m = { left: 56, right: 16, top: opts.title ? 32 : 16, bottom: 48 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const inRange = points.filter((p) => p.at < range.to);
  const top = niceMax(Math.max(0, ...inRange.map((p) => p.capacity)));
  const x = (t: number) =>
    m.left + ((Math.min(Math.max(t, range.from), range.to) - range.from) / (range.to - range.from)) * plotW;
  const y = (c: number) => m.top + plotH - (c / top) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (opts.title)
    out.push(`<text x="${m.left}" y="20" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`);
  for (const h of holidaySpans(inRange, range))
    out.push(
      `<rect class="holiday" x="${fmt(x(h.start))}" y="${m.top}" width="${fmt(x(h.end) - x(h.start))}" height="${plotH}" fill="#f6d5d5"><title>${escapeXml(h.reason)}</title></rect>`,
    );
  for (const tick of [0, top / 2, top]) {
    out.push(
      `<line class="tick" x1="${m.left}" y1="${fmt(y(tick))}" x2="${m.left + plotW}" y2="${fmt(y(tick))}" stroke="#e0e0e0"/>`,
      `<text x="${m.left - 6}" y="${fmt(y(tick) + 4)}" text-anchor="end">${fmt(tick)}</text>`,
    );
  }
  for (const d of dayStarts(range)) {
    const dx = fmt(x(d.at));
    out.push(
      `<line class="day" x1="${dx}" y1="${m.top}" x2="${dx}" y2="${m.top + plotH}" stroke="#b0b0b0" stroke-dasharray="3 3"/>`,
      `<text x="${dx}" y="${m.top + plotH + 14}" text-anchor="middle">${escapeXml(dayLabel(d.date))}</text>`,
    );
  }
  const path: string[] = [];
  inRange.forEach((p, i) => {
    const start = Math.max(p.at, range.from);
    const end = Math.min(inRange[i + 1]?.at ?? range.to, range.to);
    if (end <= start) return;
    path.push(
      `${path.length ? 'L' : 'M'}${fmt(x(start))} ${fmt(y(p.capacity))}`,
      `L${fmt(x(end))} ${fmt(y(p.capacity))}`,
    );
  });
  if (path.length)
    out.push(`<path class="capacity" d="${path.join(' ')}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`);
  out.push(
    `<line x1="${m.left}" y1="${m.top + plotH}" x2="${m.left + plotW}" y2="${m.top + plotH}" stroke="#000000"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + plotH}" stroke="#000000"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(`time (${range.zone})`)}</text>`,
    `<text x="14" y="${m.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.top + plotH / 2})">capacity</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
