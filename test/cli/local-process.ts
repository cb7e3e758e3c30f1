import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** `autopilot local up <args>` as a child process, its stdout read line by line. */
export function spawnLocalUp(args: string[]) {
  const child = spawn(process.execPath, ['bin/autopilot.mjs', 'local', 'up', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters])
      if (w.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** The first line (seen or still to come) that passes `test`. */
  const line = (test: (line: string) => boolean): Promise<string> => {
    const seen = lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ test, resolve });
      void exited.then((code) => reject(new Error(`local up exited (${code}) first; stderr: ${stderr}`)));
    });
  };
  return { child: child as ChildProcess, lines, line, exited, stderr: () => stderr };
}
