import { defineFunction } from '../lib/lambda/define';
import { rollOut } from '../lib/pipeline/rollout';
import { configAndPlan } from './schemas';

/** Points the configured fleets at the new image. */
export const { handler, withDeps, schema } = defineFunction(configAndPlan, rollOut);
