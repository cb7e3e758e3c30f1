/**
 * Public holidays of a country/state/region from date-holidays (a maintained holiday library;
 * we don't write holiday rules ourselves). `calendar: DE-BE` = country DE, state BE;
 * `GB-ENG`, `US`, `DE-BY-A` (country-state-region).
 */
import Holidays from 'date-holidays';

/** Holiday types date-holidays knows; `public` (days off by law) is the default. */
export const HOLIDAY_TYPES = ['public', 'bank', 'school', 'optional', 'observance'] as const;

function parts(calendar: string): [string, string?, string?] {
  const [country, state, region] = calendar.split('-');
  return [country.toUpperCase(), state?.toUpperCase(), region?.toUpperCase()];
}

/** Why `calendar` is not a calendar date-holidays knows, or undefined when it is. */
export function calendarProblem(calendar: string): string | undefined {
  if (!/^[A-Za-z]{2}(-[A-Za-z0-9]+){0,2}$/.test(calendar))
    return `'${calendar}' is not COUNTRY[-STATE[-REGION]] (e.g. DE-BE, US, GB-ENG)`;
  const [country, state, region] = parts(calendar);
  const hd = new Holidays();
  if (!hd.getCountries()?.[country]) return `unknown country '${country}' in calendar '${calendar}'`;
  if (state && !hd.getStates(country)?.[state])
    return `unknown state '${state}' of ${country} in calendar '${calendar}'`;
  if (region && state && !hd.getRegions(country, state)?.[region])
    return `unknown region '${region}' of ${country}-${state} in calendar '${calendar}'`;
  return undefined;
}

/** A holiday on a local date (YYYY-MM-DD) with its English name where the library has one. */
export interface CalendarHoliday {
  date: string;
  name: string;
  type: string;
}

const cache = new Map<string, CalendarHoliday[]>();

/**
 * The holidays of `calendar` on local dates of `year`, of the given types (default public only),
 * cached per calendar, types and year (the engine asks for the same few years on every
 * evaluation). A holiday the library gives several days (AE Eid al-Fitr 2026-03-20..22, AM New
 * Year 2026-01-01..02) counts on every local date it covers: date-holidays reports it once, with
 * `date` its first day and `start`/`end` its span, and a span may begin in the year before
 * (31 Dec..2 Jan), so year − 1 is read too. A holiday the library starts in the afternoon
 * (Christmas Eve 14:00 in DE) still counts for its whole local date: the schedule's holiday rule
 * is date-based (00:00 to 24:00).
 */
export function calendarHolidays(
  calendar: string,
  year: number,
  types: readonly string[] = ['public'],
): CalendarHoliday[] {
  const key = `${calendar}|${[...types].sort().join(',')}|${year}`;
  let list = cache.get(key);
  if (!list) {
    const [country, state, region] = parts(calendar);
    const hd = new Holidays(country, state ?? '', region ?? '', { languages: ['en'] });
    const seen = new Set<string>();
    list = [];
    for (const h of [...(hd.getHolidays(year - 1) || []), ...(hd.getHolidays(year) || [])]) {
      if (!types.includes(h.type)) continue;
      for (const date of localDates(h.date, h.start, h.end))
        if (date.startsWith(`${year}-`) && !seen.has(`${date}|${h.name}`)) {
          seen.add(`${date}|${h.name}`);
          list.push({ date, name: h.name, type: h.type });
        }
    }
    cache.set(key, list);
  }
  return list;
}

const DAY_MS = 86_400_000;

/**
 * The local dates (YYYY-MM-DD) a library holiday covers: its first `date`, then one more per
 * whole day its [start, end) span lasts beyond the first (the library's start/end are instants
 * in the calendar's own zone; their difference in days is the span's length, whatever the zone).
 */
export function localDates(date: string, start: Date, end: Date): string[] {
  const first = date.slice(0, 10);
  const days = Math.max(1, Math.round((end.getTime() - start.getTime()) / DAY_MS));
  const out: string[] = [];
  const [y, m, d] = first.split('-').map(Number);
  for (let i = 0; i < days; i++) out.push(new Date(Date.UTC(y, m - 1, d + i)).toISOString().slice(0, 10));
  return out;
}
