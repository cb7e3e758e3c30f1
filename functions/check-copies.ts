import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { checkCopies } from '../lib/pipeline/distribute';
import { phaseWait } from './schemas';

/** Waits until every copy is AVAILABLE. */
export const { handler, withDeps } = defineFunction(
  z.object({ imageName: z.string(), regions: z.array(z.string()), wait: phaseWait, deadline: z.number() }),
  checkCopies,
);
