import { z } from 'zod';
import { functionDefiner } from '../lib/lambda/define';
import { scheduleAwsDeps } from '../lib/lambda/schedule-deps';
import { buildReport, type ReportInput } from '../lib/schedule/report';

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
  async (input) => buildReport(input as ReportInput),
);
