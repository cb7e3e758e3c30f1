/** How often a long-running command checks that the process that started it is still there. */
const PARENT_POLL_MS = 200;

/**
 * Runs `stop` once, with the reason: on SIGINT (Ctrl+C), SIGTERM or SIGHUP, or as soon as the
 * process that started this one is gone. `npx autopilot …` runs this process under `npm exec` →
 * `sh -c autopilot ...`: a SIGTERM to npx ends npm and the shell but is not passed on to us (the
 * shell does not forward it), so the process used to live on as an orphan until something else
 * killed it; re-parented, its ppid changes. Never hangs on the way out: whatever `stop` waits for,
 * the process exits (code 1) within `deadlineMs`.
 */
export function stopOnSignals(deadlineMs: number, stop: (reason: string) => Promise<void>): void {
  let stopping = false;
  const once = (reason: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), deadlineMs).unref();
    void stop(reason);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => once(signal));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) once('parent process exited');
  }, PARENT_POLL_MS).unref();
}
