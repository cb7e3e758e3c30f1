import { describe, expect, it } from 'vitest';
import {
  type ChartPoint,
  capacityAtPoint,
  columnMinutes,
  dayStarts,
  escapeXml,
  holidaySpans,
  niceMax,
  peakIn,
  svgChart,
  terminalChart,
} from '../../../lib/schedule/chart';

const H = 3_600_000;
const DAY = 24 * H;
/** Monday 2026-12-21 00:00 in Berlin (UTC+1). */
const MON = Date.parse('2026-12-21T00:00:00+01:00');
const week = { from: MON, to: MON + 7 * DAY, zone: 'Europe/Berlin' };

/** Office hours 07:30-18:00 at 20 on weekdays, 2 otherwise, Thursday 24th a holiday at 0. */
function officeWeek(): ChartPoint[] {
  const points: ChartPoint[] = [{ at: MON, capacity: 2, reason: 'default' }];
  for (let d = 0; d < 5; d++) {
    const day = MON + d * DAY;
    if (d === 3) {
      points.push({ at: day, capacity: 0, reason: 'holiday Christmas Eve' });
      points.push({ at: day + DAY, capacity: 2, reason: 'default' });
      continue;
    }
    points.push({ at: day + 7.5 * H, capacity: 20, reason: 'period workday' });
    points.push({ at: day + 18 * H, capacity: 2, reason: 'default' });
  }
  return points.sort((a, b) => a.at - b.at);
}

describe('Schedule chart: sampling', () => {
  it('takes the capacity in force at an instant, and the peak over a column', () => {
    const p = officeWeek();
    expect(capacityAtPoint(p, MON + 7.5 * H - 1)?.capacity).toBe(2);
    expect(capacityAtPoint(p, MON + 7.5 * H)?.reason).toBe('period workday');
    expect(capacityAtPoint(p, MON - 1)).toBeUndefined();
    // 06:00-08:00 holds 07:30: the column shows the period's 20, not the 2 at its start.
    expect(peakIn(p, MON + 6 * H, MON + 8 * H)).toBe(20);
    expect(peakIn(p, MON + 18 * H, MON + 20 * H)).toBe(2);
  });

  it('picks the narrowest round column width that fits', () => {
    expect(columnMinutes(MON, MON + 7 * DAY, 84)).toBe(120);
    expect(columnMinutes(MON, MON + DAY, 96)).toBe(15);
    expect(columnMinutes(MON, MON + 366 * DAY, 84)).toBeGreaterThanOrEqual(1440 * 4);
  });

  it('places day boundaries at local midnight, through a DST change', () => {
    // Berlin falls back on Sunday 2026-10-25: that day has 25 hours.
    const from = Date.parse('2026-10-24T00:00:00+02:00');
    const days = dayStarts({ from, to: from + 3 * DAY, zone: 'Europe/Berlin' });
    expect(days.map((d) => new Date(d.at).toISOString())).toEqual([
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
    expect(days.map((d) => d.date.toString())).toEqual(['2026-10-25', '2026-10-26']);
  });

  it('merges consecutive points of one holiday into one span, cut to the range', () => {
    const p: ChartPoint[] = [
      { at: MON, capacity: 0, reason: 'holiday Christmas Eve' },
      { at: MON + 2 * H, capacity: 0, reason: 'holiday Christmas Eve' },
      { at: MON + DAY, capacity: 0, reason: 'holiday Christmas Day' },
      { at: MON + 2 * DAY, capacity: 2, reason: 'default' },
    ];
    expect(holidaySpans(p, { from: MON + H, to: MON + 1.5 * DAY })).toEqual([
      { start: MON + H, end: MON + DAY, reason: 'holiday Christmas Eve' },
      { start: MON + DAY, end: MON + 1.5 * DAY, reason: 'holiday Christmas Day' },
    ]);
  });
});

describe('Schedule chart: terminal', () => {
  const lines = terminalChart(officeWeek(), week);

  it('draws one column per 2 hours of the week, the top labelled with the peak', () => {
    const bars = lines.slice(0, 8);
    expect(bars[0].startsWith('20 │')).toBe(true);
    for (const l of bars) expect(l.length).toBe('20 │'.length + 84);
    // Monday 08:00-10:00 (column 4) is full height; Monday 02:00 (column 1) is 2/20 of 8 rows.
    expect(bars.every((l) => l[4 + 4] === '█')).toBe(true);
    expect(bars.slice(0, 7).every((l) => l[4 + 1] === ' ')).toBe(true);
    expect(bars[7][4 + 1]).toBe('▆');
  });

  it('leaves the holiday empty and marks it on the axis', () => {
    const axis = lines[8];
    const thursday = 3 * 12;
    expect(axis.slice(4 + thursday, 4 + thursday + 12)).toMatch(/^┴═{11}$/);
    expect(lines.slice(0, 8).every((l) => l.slice(4 + thursday, 4 + thursday + 12).trim() === '')).toBe(true);
    expect(lines[10]).toContain('═ holiday');
  });

  it('labels each local day under its midnight', () => {
    expect(lines[9].trim().split(/\s{2,}/)).toEqual([
      'Mon 21',
      'Tue 22',
      'Wed 23',
      'Thu 24',
      'Fri 25',
      'Sat 26',
      'Sun 27',
    ]);
    expect(lines[9].indexOf('Tue 22')).toBe(4 + 12);
  });

  it('draws an all-zero range without dividing by zero', () => {
    const flat = terminalChart([{ at: MON, capacity: 0, reason: 'default' }], { ...week, to: MON + DAY });
    expect(flat.slice(0, 8).every((l) => l.slice(l.indexOf('│') + 1).trim() === '')).toBe(true);
  });
});

describe('Schedule chart: SVG', () => {
  const svg = svgChart(officeWeek(), week, { title: 'finance <office-hours> & "more"' });

  it('is one standalone <svg> element with the SVG namespace', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
  });

  it('shades the holiday with a rect spanning its day, titled with its name', () => {
    const rects = [
      ...svg.matchAll(
        /<rect class="holiday" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g,
      ),
    ];
    expect(rects).toHaveLength(1);
    const plotW = 960 - 56 - 16;
    expect(Number(rects[0][1])).toBeCloseTo(56 + (3 / 7) * plotW, 0);
    expect(Number(rects[0][2])).toBeCloseTo(plotW / 7, 0);
    expect(rects[0][3]).toBe('holiday Christmas Eve');
  });

  it('draws a gridline and label per local midnight, axis labels and the capacity line', () => {
    expect(svg.match(/<line class="day"/g)).toHaveLength(6);
    expect(svg).toContain('>Tue 22</text>');
    expect(svg).toContain('time (Europe/Berlin)');
    expect(svg).toContain('>capacity</text>');
    expect(svg).toMatch(/<path class="capacity" d="M56 /);
    expect(svg).toContain('>20</text>');
  });

  it('escapes text', () => {
    expect(svg).toContain('finance &#60;office-hours&#62; &#38; &#34;more&#34;');
    expect(escapeXml(`New Year's <Day>`)).toBe('New Year&#39;s &#60;Day&#62;');
  });

  it('rounds the y axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 20, 21, 700].map(niceMax)).toEqual([1, 1, 5, 20, 50, 1000]);
  });
});

describe('Schedule chart: labels of a partial first day', () => {
  it('labels the first day only where it fits before the next midnight', () => {
    const from = MON - 5 * H; // Sunday 19:00: Monday's label would be hidden by Sunday's
    const lines = terminalChart([{ at: from, capacity: 1, reason: 'default' }], { ...week, from });
    expect(lines[9].trim().split(/\s+/).slice(0, 2)).toEqual(['Mon', '21']);
    const roomy = terminalChart([{ at: MON - 23 * H, capacity: 1, reason: 'default' }], {
      ...week,
      from: MON - 23 * H,
    });
    expect(roomy[9].trim().startsWith('Sun 20')).toBe(true);
  });
});
