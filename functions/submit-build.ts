import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { submitBuild } from '../lib/pipeline/build';
import { builderRun, config, plan } from './schemas';

/** Hands the build job to the builder's agent. */
export const { handler, withDeps, schema } = defineFunction(
  z.object({ config, plan, builder: builderRun }),
  submitBuild,
);
