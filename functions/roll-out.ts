import { defineFunction } from '../lib/lambda/define';
import { rollOut } from '../lib/pipeline/rollout';
import { configAndPlan } from './schemas';

/** Points the configured fleets at the new image. */
export const { handler, withDeps } = defineFunction(configAndPlan, rollOut);
