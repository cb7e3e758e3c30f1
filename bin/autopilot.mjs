#!/usr/bin/env node
// Entry point for `npx autopilot`.
// - Installed package (`npm pack` → `npm install`): runs the compiled JavaScript in dist/ (built
//   by `npm run build`, which `prepack` runs) with the production dependencies only.
// - Development checkout (bin/autopilot.ts is next to this file, tsx installed): runs the
//   TypeScript sources through tsx's loader, so `npm start` and the tests need no build and never
//   run a stale dist/ left by an earlier one. AUTOPILOT_DIST=1 runs dist/ in a checkout too.
import { existsSync } from 'node:fs';

// Local runs print progress and a summary; the functions' structured logs are for CloudWatch.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const DIST = new URL('../dist/bin/autopilot.js', import.meta.url);
const SOURCE = new URL('./autopilot.ts', import.meta.url);

/** tsx's loader, registered; undefined when it is not installed (`npm install --omit=dev`). */
async function registerTsx() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    return true;
  } catch {
    return false;
  }
}

const fromSource = existsSync(SOURCE) && process.env.AUTOPILOT_DIST !== '1' && (await registerTsx());
if (!fromSource && !existsSync(DIST)) {
  console.error(
    'autopilot: the compiled CLI (dist/) is missing: run `npm run build` (or `npm install` for tsx).',
  );
  process.exit(1);
}
const load = (source, compiled) => import(fromSource ? source : compiled);

const { silenceNodeVersionWarning } = await load(
  '../lib/util/node-warnings.ts',
  '../dist/lib/util/node-warnings.js',
);
silenceNodeVersionWarning();
// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions (the local runtime) calls.
await load('../local/polyfill.ts', '../dist/local/polyfill.js');
await load('./autopilot.ts', '../dist/bin/autopilot.js');
