import { z } from 'zod';
import { defineFunction } from '../lib/lambda/define';
import { submitBuild } from '../lib/pipeline/build';
import { builderRun, config, plan } from './schemas';

/** Hands the build job to the builder's agent: a signed envelope bound to the builder, with an expiry (agent protocol 2). */
export const { handler, withDeps, schema } = defineFunction(
  z.object({ config, plan, builder: builderRun }),
  submitBuild,
);
