import { defineFunction } from '../lib/lambda/define';
import { startCopies } from '../lib/pipeline/distribute';
import { configAndPlan } from './schemas';

/** Starts copies of the new image to the configured regions. */
export const { handler, withDeps, schema } = defineFunction(configAndPlan, startCopies);
