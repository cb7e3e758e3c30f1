import { ServiceError } from './errors';
import { declaredErrors, type ServiceModel } from './model';
import type { Store } from './store';
import type { World } from './world';

/** What an operation handler gets besides its input. */
export interface Ctx {
  world: World;
  store: Store;
  model: ServiceModel;
  account: string;
  region: string;
  /** Virtual time of this request, epoch ms. */
  now: number;
  operation: string;
  requestId: string;
}

// biome-ignore lint/suspicious/noExplicitAny: inputs are validated against the model before they reach handlers
export type Handler = (input: any, ctx: Ctx) => unknown;

export interface ServiceDefinition {
  model: ServiceModel;
  handlers: Record<string, Handler>;
}

/** ARN of a resource of this account and region. */
export const arnOf = (ctx: Ctx, type: string, name: string) =>
  `arn:aws:appstream:${ctx.region}:${ctx.account}:${type}/${name}`;

/** Epoch seconds, as the AWS JSON protocol sends timestamps. */
export const sec = (ms: number) => Math.round(ms) / 1000;

/**
 * The error for "this resource is not in a state that allows this action": the first of the
 * candidates that the model declares for the operation, so clients see a typed exception.
 */
export function stateError(ctx: Ctx, message: string): ServiceError {
  const declared = declaredErrors(ctx.model, ctx.operation);
  const code =
    [
      'OperationNotPermittedException',
      'ResourceNotAvailableException',
      'ConcurrentModificationException',
    ].find((c) => declared.includes(c)) ?? 'InvalidParameterCombinationException';
  return new ServiceError(code, message);
}

/**
 * Opaque NextToken pagination over a stably ordered collection. Walks the iterable without
 * copying it, so the first pages of a large collection stay cheap.
 */
export function paginate<T>(
  items: Iterable<T>,
  nextToken: string | undefined,
  maxResults: number | undefined,
  defaultMax: number,
): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (nextToken !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { o?: unknown };
      if (typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0) throw new Error();
      offset = parsed.o;
    } catch {
      throw new ServiceError('ValidationException', `Invalid NextToken: '${nextToken}'`);
    }
  }
  const size = maxResults && maxResults > 0 ? maxResults : defaultMax;
  const page: T[] = [];
  let index = 0;
  let more = false;
  for (const item of items) {
    if (index++ < offset) continue;
    if (page.length === size) {
      more = true;
      break;
    }
    page.push(item);
  }
  return {
    page,
    nextToken: more ? Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url') : undefined,
  };
}

/**
 * A copy without the undefined members, so responses carry only what is set; `attrs` (a
 * resource's stored request attributes) fill in members the computed ones don't set.
 * Copies instead of `{...attrs, ...}` spreads or `delete`: both push V8 off its fast object
 * paths, which cost ~10 µs per resource on every Describe (see bench/emulator.ts).
 */
export function compact<T extends Record<string, unknown>>(obj: T, attrs?: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const k in obj) if (obj[k] !== undefined) out[k] = obj[k];
  if (attrs) for (const k in attrs) if (out[k] === undefined && attrs[k] !== undefined) out[k] = attrs[k];
  return out as T;
}
