import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The Windows agent turns each step's argv into one command line (ProcessStartInfo.Arguments)
 * with ConvertTo-WindowsArgument; the program's C runtime / CommandLineToArgvW splits it again.
 * PowerShell cannot run here (no PowerShell on Debian's or npm's registries), so the quoting
 * cases live as data (agent/testdata/quoting-cases.json), shared with the Pester test
 * agent/windows/tests/Quoting.Tests.ps1 and the bash agent's test. This test checks the data
 * against an independent implementation of the documented parsing rules.
 */
interface QuotingCase {
  name: string;
  argv: string[];
  commandLine: string;
}
const { cases } = JSON.parse(
  readFileSync(new URL('../../agent/testdata/quoting-cases.json', import.meta.url), 'utf8'),
) as { cases: QuotingCase[] };

/**
 * CommandLineToArgvW / MSVC runtime rules for the arguments after the program name
 * ("Parsing C++ command-line arguments", Microsoft Learn):
 * - arguments are delimited by white space (space or tab) outside double quotes;
 * - a string surrounded by double quotes is one argument, white space included;
 * - 2n backslashes followed by a double quote: n backslashes, and the quote is a delimiter;
 * - 2n+1 backslashes followed by a double quote: n backslashes and a literal quote;
 * - backslashes not followed by a double quote are literal.
 */
function commandLineToArgv(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    let arg = '';
    let quoted = false;
    while (i < n && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      if (line[i] === '\\') {
        let bs = 0;
        while (i < n && line[i] === '\\') {
          bs++;
          i++;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(bs / 2));
          if (bs % 2 === 1) {
            arg += '"';
            i++;
          }
        } else arg += '\\'.repeat(bs);
      } else if (line[i] === '"') {
        quoted = !quoted;
        i++;
      } else {
        arg += line[i];
        i++;
      }
    }
    args.push(arg);
  }
  return args;
}

/** ConvertTo-WindowsArgument of agent/windows/autopilot-agent.ps1, line for line. */
function convertToWindowsArgument(arg: string): string {
  if (arg.length > 0 && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const c of arg) {
    if (c === '\\') {
      backslashes++;
      continue;
    }
    if (c === '"') out += `${'\\'.repeat(backslashes * 2 + 1)}"`;
    else out += '\\'.repeat(backslashes) + c;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

describe('Windows argument quoting (shared data cases)', () => {
  it('has cases for the rules that break naive quoting', () => {
    const all = cases.flatMap((c) => c.argv);
    expect(all).toContain('');
    expect(all.some((a) => /\\+$/.test(a) && /\s/.test(a))).toBe(true); // trailing backslash, quoted
    expect(all.some((a) => /\\"/.test(a))).toBe(true); // backslash before a quote
    expect(all.some((a) => a.includes('\t'))).toBe(true);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: the command line parses back to the argv', (_, c) => {
    expect(commandLineToArgv(c.commandLine)).toEqual(c.argv);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s: ConvertTo-WindowsArgument produces the command line',
    (_, c) => {
      expect(c.argv.map(convertToWindowsArgument).join(' ')).toBe(c.commandLine);
    },
  );

  it('the PowerShell agent carries the quoting function this test transliterates', () => {
    const ps1 = readFileSync(new URL('../../agent/windows/autopilot-agent.ps1', import.meta.url), 'utf8');
    expect(ps1).toContain('function ConvertTo-WindowsArgument');
    expect(ps1).toContain("[void]$sb.Append('\\' * ($backslashes * 2 + 1))");
    expect(ps1).toContain("[void]$sb.Append('\\' * ($backslashes * 2))");
  });
});
