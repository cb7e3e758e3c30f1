/** What the `autopilot cleanup` subcommands share: the policy file, durations, the table. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { formatDuration } from '../lib/cleanup/duration';
import { type CleanupPolicy, validateCleanupPolicy } from '../lib/cleanup/policy';
import { ConfigError } from '../lib/errors';

/**
 * The policy file as written (what the workflow takes as input: durations as text) and as
 * validated (errors name the file and the field: `cleanup.yaml: stopAfter: must be longer …`).
 */
export function loadPolicyFile(path: string): { raw: unknown; policy: CleanupPolicy } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
  return { raw, policy: validateCleanupPolicy(raw, path) };
}

/** `4h`, `1d2h30m`, `-` when unknown: the table's "idle for". */
export const idleFor = (minutes: number | undefined | null) =>
  minutes === undefined || minutes === null ? '-' : formatDuration(minutes * 60_000);

/** Rows as aligned columns (the last column is not padded). */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
