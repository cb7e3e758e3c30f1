import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { checkImage } from '../lib/pipeline/image';
import { phaseWait } from './schemas';

/** Polls the new image until AVAILABLE (within one window). */
export const { handler, withDeps, schema } = defineFunction(
  z.object({
    region: z.string(),
    imageName: z.string(),
    deadline: z.number(),
    wait: phaseWait,
    finishMinutes: z.number(),
  }),
  checkImage,
);
