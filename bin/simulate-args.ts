/** The command line `autopilot schedule simulate` and `autopilot cleanup simulate` share. */
import { intOption, parseOptions, UsageError } from './schedule-args';

export interface SimulateArgs {
  /** The file the simulation runs (schedule file, cleanup policy). */
  path: string;
  /** How long to simulate, in the command's unit (`--days`, `--hours`). */
  span: number;
  cadenceMinutes: number;
  /** `--from` as given: each command reads it in its own zone. */
  from?: string;
  json: boolean;
}

export interface SimulateCommandLine {
  /** `autopilot <command> simulate`. */
  command: string;
  /** What the positional is: `a schedule file <file>`. */
  file: { what: string; placeholder: string };
  /** `--days 1..31 (7)`, `--hours 1..2160 (48)`. */
  span: { option: string; min: number; max: number; default: number };
  /** Minutes between runs by default (the deployed schedule's). */
  cadence: number;
  help: string;
}

/**
 * Parses `<file> [--<span> n] [--from <time>] [--cadence m] --local [--json]`; prints the help and
 * answers undefined for `--help`. A missing file, a missing `--local` or a number out of range is a
 * UsageError naming it (exit 2).
 */
export function simulateArgs(argv: string[], c: SimulateCommandLine): SimulateArgs | undefined {
  const { values, positionals } = parseOptions(argv, {
    [c.span.option]: { type: 'string' },
    from: { type: 'string' },
    cadence: { type: 'string' },
    local: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    console.log(c.help);
    return undefined;
  }
  const path = positionals[0];
  if (!path)
    throw new UsageError(
      `${c.file.what} is required (autopilot ${c.command} simulate ${c.file.placeholder} --local)`,
    );
  if (!values.local) throw new UsageError('simulate runs on the embedded emulator only: add --local');
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    path,
    span: intOption(c.span.option, text(values[c.span.option]), c.span.min, c.span.max) ?? c.span.default,
    cadenceMinutes: intOption('cadence', text(values.cadence), 1, 60) ?? c.cadence,
    from: text(values.from),
    json: Boolean(values.json),
  };
}
