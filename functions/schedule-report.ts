import { z } from 'zod';
import { functionDefiner } from '../lib/lambda/define';
import { logger } from '../lib/lambda/logger';
import { scheduleAwsDeps } from '../lib/lambda/schedule-deps';
import { buildReport, type ReportInput, runMetrics, runSummary } from '../lib/schedule/report';

const list = z.array(z.any());

/** Joins the plans and the Map's results into the run's report (the execution's output). */
export const { handler, withDeps, schema } = functionDefiner(scheduleAwsDeps)(
  z.object({
    at: z.string(),
    dryRun: z.boolean(),
    changes: list,
    unchanged: list,
    previewed: list,
    kinds: list,
    failed: list,
    results: list,
  }),
  // Its output is the execution's: compact (RunOutput; expandReport gives the per-fleet report).
  // Express executions keep no history: the summary and the metrics go to the function's log.
  async (input, deps) => {
    const out = buildReport(input as ReportInput);
    const summary = runSummary(out);
    if (summary.failed.length) logger.warn('fleet schedule run', { summary });
    else logger.info('fleet schedule run', { summary });
    // Dry runs change nothing: their counts would only blur the metrics.
    if (!out.dryRun) logger.info('fleet schedule metrics', runMetrics(out, deps.clock.now()));
    return out;
  },
);
