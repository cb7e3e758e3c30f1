import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** `autopilot schedule <args>` in a child process, as a person runs it: exit code, stdout, stderr. */
export const autopilot = (args: string[]) =>
  exec(process.execPath, [join(process.cwd(), 'bin/autopilot.mjs'), 'schedule', ...args], {
    env: { ...process.env, AWS_REGION: 'us-east-1' },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
