import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { checkBuilder } from '../lib/pipeline/builder';
import { builderRun, phaseWait } from './schemas';

/** Polls the builder until RUNNING (within one window). */
export const { handler, withDeps, schema } = defineFunction(
  z.object({ builder: builderRun, wait: phaseWait }),
  checkBuilder,
);
