import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** `autopilot <args>` in a child process, as a person runs it: exit code, stdout, stderr. */
export const autopilot = (
  args: string[],
  { cwd, env = process.env }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) =>
  exec(process.execPath, [join(process.cwd(), 'bin/autopilot.mjs'), ...args], {
    cwd,
    env: { ...env },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
