import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { describeIssues } from '../config/pipeline';
import { NamedError } from '../errors';
import type { PipelineDeps } from '../pipeline/deps';
import { awsDeps } from './aws-deps';
import { logger } from './logger';

/** The event did not match what the function expects (the message names the field). */
export class InvalidInput extends NamedError {
  constructor(message: string) {
    super('InvalidInput', message);
  }
}

export interface FunctionDefinition<I, O> {
  /** The Lambda handler (dependencies from the environment). */
  handler: (event: unknown, context?: unknown) => Promise<O>;
  /** The same handler with other dependencies (local runtime, tests). */
  withDeps(deps: PipelineDeps): (event: unknown, context?: unknown) => Promise<O>;
  core: (input: I, deps: PipelineDeps) => Promise<O>;
  /** The event's shape (tests hold the state machines' Parameters to it). */
  schema: z.ZodType;
}

/**
 * A thin Middy handler over a pure core: validate the event with `schema`, call the core with
 * injected dependencies, log with Powertools. Errors keep their names (Retry/Catch match them).
 */
export function defineFunction<S extends z.ZodType, O>(
  schema: S,
  core: (input: z.infer<S>, deps: PipelineDeps) => Promise<O>,
): FunctionDefinition<z.infer<S>, O> {
  const build = (getDeps: () => PipelineDeps) =>
    middy(async (event: unknown): Promise<O> => {
      const parsed = schema.safeParse(event);
      if (!parsed.success) throw new InvalidInput(describeIssues(parsed.error));
      return core(parsed.data, getDeps());
    })
      .use(injectLambdaContext(logger))
      .use({
        onError: async (request) => {
          const e = request.error as Error | undefined;
          logger.error('failed', { error: e?.name, message: e?.message });
        },
      }) as unknown as (event: unknown, context?: unknown) => Promise<O>;
  return { handler: build(awsDeps), withDeps: (deps) => build(() => deps), core, schema };
}
