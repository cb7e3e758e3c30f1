import { defineFunction } from '../lib/lambda/define';
import { shareImage } from '../lib/pipeline/distribute';
import { configAndPlan } from './schemas';

/** Shares the new image with the configured accounts. */
export const { handler, withDeps, schema } = defineFunction(configAndPlan, shareImage);
