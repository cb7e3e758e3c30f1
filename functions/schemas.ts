// The event shapes live in lib/pipeline/schemas.ts (one source of truth, types via z.infer in
// lib/pipeline/types.ts); these are the short names the functions import.
export {
  BuilderRunSchema as builderRun,
  ConfigAndPlanSchema as configAndPlan,
  ConfigSchema as config,
  PhaseWaitSchema as phaseWait,
  PlanSchema as plan,
} from '../lib/pipeline/schemas';
