// The AWS SDK warns on Node 20 that its 2027 releases need Node 22; the project supports both.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).startsWith('NodeVersionSupportWarning')) return;
  (emitWarning as (...a: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// Function logs (Powertools) are for CloudWatch; tests read results, not logs.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
