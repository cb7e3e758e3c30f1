#!/usr/bin/env node
// Entry point for `npx autopilot`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

// Local runs print progress and a summary; the functions' structured logs are for CloudWatch.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

register();
const { silenceNodeVersionWarning } = await import('../lib/util/node-warnings.ts');
silenceNodeVersionWarning();
await import('./autopilot.ts');
