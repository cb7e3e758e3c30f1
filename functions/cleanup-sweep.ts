import { z } from 'zod';
import { capRows, rowRank, type ScopeResult, sweepBatch } from '../lib/cleanup/sweep';
import { cleanupAwsDeps } from '../lib/lambda/cleanup-deps';
import { functionDefiner } from '../lib/lambda/define';
import { logger } from '../lib/lambda/logger';

const target = z.object({
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  roleArn: z.string().optional(),
  externalId: z.string().optional(),
});

/** Sweeps one batch of account-regions (the Map's item): list → decide → act, one row per builder. */
export const { handler, withDeps, schema } = functionDefiner(cleanupAwsDeps)(
  z.object({
    at: z.string(),
    /** Plan's deadline (ISO): past it the sweep acts on nothing (lib/cleanup/plan.ts). */
    deadline: z.string().optional(),
    dryRun: z.boolean(),
    /** Plan's share of the 256 KiB payload quota for this batch's result (bytes of JSON). */
    resultBytes: z.number().int().positive().optional(),
    detail: z.boolean().optional(),
    policy: z.unknown().optional(),
    targets: z.array(target),
  }),
  async (input, deps) => {
    const out = await sweepBatch(input, deps);
    // The record of every builder acted on: the output keeps at most MAX_ROWS_PER_BATCH rows.
    for (const s of out.scopes)
      logger.info('swept', {
        account: s.account,
        region: s.region,
        counts: s.counts,
        error: s.error,
        rows: s.rows,
      });
    // `detail` lifts the row cap only: the payload budget always holds (a result past it fails
    // the run with States.DataLimitExceeded after the builders were acted on).
    const capped = input.detail ? out : capRows(out);
    return input.resultBytes ? fitBytes(capped, input.resultBytes) : capped;
  },
);

const bytesOf = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/**
 * Keeps a batch's result within `budget` bytes of JSON (Plan's share of the 256 KiB the state
 * after the Map may hold, lib/cleanup/plan.ts): rows are left out from the last scope backwards,
 * warnings and other rows before any stop or delete, each counted in its scope's `omitted` (the
 * Sweep log above has them all). Counts, errors and
 * the scopes themselves always stay: if they alone are past the budget, the result is returned
 * without rows (the run then fails on the quota: too many account-regions, see plan.ts).
 */
export function fitBytes<T extends { scopes: ScopeResult[] }>(out: T, budget: number): T {
  let size = bytesOf(out);
  if (size <= budget) return out;
  const scopes = out.scopes.map((s) => ({ ...s, rows: [...s.rows] }));
  for (const rank of [1, 0])
    for (let i = scopes.length - 1; i >= 0 && size > budget; i--) {
      const s = scopes[i];
      for (let j = s.rows.length - 1; j >= 0 && size > budget; j--) {
        if (rowRank(s.rows[j]) !== rank) continue;
        const [row] = s.rows.splice(j, 1);
        // The row and its comma; `omitted` adds at most ~14 bytes once.
        size -= bytesOf(row) + 1;
        s.omitted = (s.omitted ?? 0) + 1;
      }
    }
  return { ...out, scopes };
}
