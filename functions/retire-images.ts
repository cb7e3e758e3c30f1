import { defineFunction } from '../lib/lambda/define';
import { retireImages } from '../lib/pipeline/retire';
import { configAndPlan } from './schemas';

/** Deletes this pipeline's images beyond the newest N, never one in use. */
export const { handler, withDeps, schema } = defineFunction(configAndPlan, retireImages);
