#!/usr/bin/env node
// Entry point for `npx autopilot`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 that its 2027 releases need Node 22; the CLI
// supports both, so keep that one warning out of the user's terminal.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

// Local runs print progress and a summary; the functions' structured logs are for CloudWatch.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

register();
await import('./autopilot.ts');
