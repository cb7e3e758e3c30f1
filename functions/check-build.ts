import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { checkBuild } from '../lib/pipeline/build';
import { builderRun, phaseWait } from './schemas';

/** Waits for the build job's result; a failed step becomes its named error. */
export const { handler, withDeps } = defineFunction(
  z.object({
    builder: builderRun,
    jobId: z.string(),
    deadline: z.number(),
    wait: phaseWait,
    imageMinutes: z.number(),
  }),
  checkBuild,
);
