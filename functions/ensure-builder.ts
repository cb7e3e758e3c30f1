import { defineFunction } from '../lib/lambda/define';
import { ensureBuilder } from '../lib/pipeline/builder';
import { configAndPlan } from './schemas';

/** Launches or starts the run's image builder (idempotent). */
export const { handler, withDeps, schema } = defineFunction(configAndPlan, ensureBuilder);
