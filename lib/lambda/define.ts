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

export interface FunctionDefinition<I, O, D = PipelineDeps> {
  /** The Lambda handler (dependencies from the environment). */
  handler: (event: unknown, context?: unknown) => Promise<O>;
  /** The same handler with other dependencies (local runtime, tests). */
  withDeps(deps: D): (event: unknown, context?: unknown) => Promise<O>;
  core: (input: I, deps: D) => Promise<O>;
  /** The event's shape (tests hold the state machines' Parameters to it). */
  schema: z.ZodType;
}

/**
 * The function definer of one workflow, whose deployed functions get their dependencies from
 * `fromEnvironment` (built once per container): each workflow has its own deps type.
 */
export function functionDefiner<D>(fromEnvironment: () => D) {
  return <S extends z.ZodType, O>(
    schema: S,
    core: (input: z.infer<S>, deps: D) => Promise<O>,
  ): FunctionDefinition<z.infer<S>, O, D> => define(schema, core, fromEnvironment);
}

/**
 * A thin Middy handler over a pure core: validate the event with `schema`, call the core with
 * injected dependencies, log with Powertools. Errors keep their names (Retry/Catch match them).
 */
function define<S extends z.ZodType, O, D>(
  schema: S,
  core: (input: z.infer<S>, deps: D) => Promise<O>,
  fromEnvironment: () => D,
): FunctionDefinition<z.infer<S>, O, D> {
  const build = (getDeps: () => D) =>
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
  return { handler: build(fromEnvironment), withDeps: (deps) => build(() => deps), core, schema };
}

/** The image pipeline's functions (PipelineDeps from the environment). */
export const defineFunction = functionDefiner(awsDeps);
