/**
 * The AWS SDK warns (once per process) on Node 20 that its 2027 releases need Node 22. The
 * project supports Node 20 and 22, so our CLIs, tests and benchmarks keep that one warning out
 * of the output; every other warning still shows.
 */
export function silenceNodeVersionWarning(): void {
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).startsWith('NodeVersionSupportWarning')) return;
    (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}
