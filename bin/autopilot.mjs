#!/usr/bin/env node
// Entry point for `npx autopilot`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start under Node 20 that future releases need Node 22; the CLI
// supports both, so keep that one warning out of the user's terminal.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'NodeVersionSupportWarning') return;
  emitWarning(warning, ...rest);
};

register();
await import('./autopilot.ts');
