import type { z } from 'zod';
import type {
  BuilderRunSchema,
  CheckResultSchema,
  PhaseWaitSchema,
  PipelineStateSchema,
  PlanSchema,
} from './schemas';

// Types of the event shapes, inferred from the zod schemas in ./schemas (the one source of truth).

/** How one phase waits: a first Wait sized from the expected duration, then polls. */
export type PhaseWait = z.infer<typeof PhaseWaitSchema>;

/** What Resolve plans for the run. */
export type Plan = z.infer<typeof PlanSchema>;

/** What EnsureBuilder reports: whether this run launched or started the builder. */
export type BuilderRun = z.infer<typeof BuilderRunSchema>;

/** The document that flows through the state machine. */
export type PipelineState = z.infer<typeof PipelineStateSchema>;

/** What a check reports to the state machine's Choice. */
export type CheckResult = z.infer<typeof CheckResultSchema>;
