import { z } from 'zod';
import type { Control } from './control';
import { ServiceError } from './errors';
import { PRINCIPAL_ARN } from './events/cloudtrail';
import type { FailCallsSpec, FaultConfig } from './faults';
import { DEFAULT_DURATIONS, type DurationsMs } from './lifecycle';
import { isInstanceType } from './operations/common';
import { MAX_LOGON_MINUTES } from './presence';
import { isKnownRegion } from './regions';

/**
 * One control route: a zod schema for its JSON body and the handler that gets the parsed body.
 * Every route has a schema (GET routes too: they take no members), so a bad body is a 400
 * `{__type: 'ValidationException', message}` naming the field, never a 500 or a silent no-op.
 *
 * To add a route: `routes.set('POST /_emulator/<path>', route(z.strictObject({...}), (b) => control.x(b)))`
 * in controlRoutes below; `where` gives the `{accountId?, region?}` members every per-account
 * route takes.
 */
export interface ControlRoute {
  schema: z.ZodType;
  handler: (body: never) => unknown;
  /** Where the input comes from: the JSON body (default) or the query string (queryRoute). */
  source?: 'body' | 'query';
}

export const route = <S extends z.ZodType>(
  schema: S,
  handler: (body: z.infer<S>) => unknown,
): ControlRoute => ({
  schema,
  handler: handler as (body: never) => unknown,
});

/**
 * A GET route whose input is the query string, checked by `schema` like a body: each parameter
 * is a string (a repeated one an array of strings, which a string schema refuses, naming it).
 */
export const queryRoute = <S extends z.ZodType>(
  schema: S,
  handler: (query: z.infer<S>) => unknown,
): ControlRoute => ({ ...route(schema, handler), source: 'query' });

/** The query string of a request URL as an object of own properties (`__proto__` included). */
export function queryObject(url: string): Record<string, string | string[]> {
  const at = url.indexOf('?');
  const values = new Map<string, string | string[]>();
  if (at >= 0)
    for (const [key, value] of new URLSearchParams(url.slice(at + 1))) {
      const seen = values.get(key);
      values.set(key, seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]);
    }
  return Object.fromEntries(values);
}

/** A whole number sent as a query-string parameter, within [min, max]. */
const wholeParam = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

const ok = (action: () => void) => {
  action();
  return { ok: true };
};

const nonNegative = z.number().finite().nonnegative();
/** Counts and quotas: whole numbers, never strings (a string quota used to disable the limit). */
const count = z.number().int().nonnegative().max(1_000_000_000);
/** Virtual time spans: at most ~300 years, so the clock stays a finite, safe number. */
const spanMs = nonNegative.max(1e13);
const noBody = z.strictObject({});

/** `accountId?` (12 digits) and `region?` (one where the emulated services run). */
export function whereSchema(control: Control) {
  return {
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .refine((r) => isKnownRegion(r, control.world), 'must be a region where AppStream 2.0 runs')
      .optional(),
  };
}

/**
 * An instance quota: one number for every instance type, or `{<instance type>: N, ...}` with at
 * least one entry (one schema, not a union, so an error names the offending key). Keys are checked on the object's own keys (zod's record skips `__proto__`),
 * with the instance-type check of the AppStream operations (operations/common.ts); the value is a
 * fresh object holding only those keys.
 */
const instanceQuota = z.unknown().transform((value, ctx): number | Record<string, number> => {
  if (typeof value === 'number') {
    if (count.safeParse(value).success) return value;
    ctx.addIssue({ code: 'custom', message: 'must be a whole number from 0 to 1000000000' });
    return z.NEVER;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a number or an object of instance type: number' });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must name at least one instance type' });
    return z.NEVER;
  }
  const out: Record<string, number> = {};
  for (const key of keys) {
    const n = (value as Record<string, unknown>)[key];
    if (!isInstanceType(key))
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be an AppStream 2.0 instance type' });
    else if (!count.safeParse(n).success)
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be a whole number from 0 to 1000000000' });
    else Object.defineProperty(out, key, { value: n, enumerable: true, writable: true, configurable: true });
  }
  return out;
});

/** Quotas per COMMON.md: per account+region when `accountId`/`region` are given (helper S wires those). */
export function quotasSchema(control: Control) {
  return z.strictObject({
    ...whereSchema(control),
    imageBuilders: count.optional(),
    images: count.optional(),
    fleets: count.optional(),
    stacks: count.optional(),
    users: count.optional(),
    tagsPerResource: count.optional(),
    streamingInstances: instanceQuota.optional(),
    imageBuilderInstances: instanceQuota.optional(),
  });
}

/** Sessions per COMMON.md: open and/or close user sessions on a fleet. */
export function sessionsSchema(control: Control) {
  return z.strictObject({
    ...whereSchema(control),
    fleet: z.string().min(1).max(100),
    open: count.max(100_000).optional(),
    close: count.max(100_000).optional(),
    userId: z.string().min(1).max(128).optional(),
    disconnect: z.array(z.string().min(1).max(128)).max(100_000).optional(),
    reconnect: z.array(z.string().min(1).max(128)).max(100_000).optional(),
    idle: z.array(z.string().min(1).max(128)).max(100_000).optional(),
    active: z.array(z.string().min(1).max(128)).max(100_000).optional(),
  });
}

const durationKeys = Object.keys(DEFAULT_DURATIONS) as (keyof DurationsMs)[];

/** Control API routes: `METHOD /_emulator/<path>` → JSON in, JSON out. A Map: no prototype lookups. */
export function controlRoutes(control: Control): Map<string, ControlRoute> {
  const where = whereSchema(control);
  const routes = new Map<string, ControlRoute>();
  routes.set(
    'POST /_emulator/reset',
    route(z.strictObject({ seed: z.number().int().optional() }), (b) => ok(() => control.reset(b.seed))),
  );
  routes.set(
    'GET /_emulator/clock',
    route(noBody, () => control.clock()),
  );
  routes.set(
    'POST /_emulator/clock',
    route(
      z.strictObject({
        speed: z.number().finite().positive().max(1e9).optional(),
        advanceMs: spanMs.optional(),
        advanceSeconds: spanMs.max(1e10).optional(),
      }),
      (b) => {
        if (b.speed !== undefined) control.setSpeed(b.speed);
        if (b.advanceMs !== undefined) control.advance(b.advanceMs);
        if (b.advanceSeconds !== undefined) control.advance(b.advanceSeconds * 1000);
        return control.clock();
      },
    ),
  );
  routes.set(
    'POST /_emulator/quotas',
    route(quotasSchema(control), (b) => control.setQuotas(b)),
  );
  routes.set(
    'POST /_emulator/sessions',
    route(sessionsSchema(control), (b) => control.sessions(b)),
  );
  routes.set(
    'POST /_emulator/durations',
    route(
      z.strictObject({
        ...Object.fromEntries(durationKeys.map((k) => [k, spanMs.optional()])),
        jitterSigma: nonNegative.max(10).optional(),
      }),
      (b) => {
        const { jitterSigma, ...durations } = b as Partial<DurationsMs> & { jitterSigma?: number };
        return control.setDurations(durations, jitterSigma);
      },
    ),
  );
  routes.set(
    'POST /_emulator/faults',
    route(
      z.strictObject({
        throttleRate: z.number().min(0).max(1).optional(),
        throttleOperations: z.array(z.string().min(1).max(128)).max(1000).optional(),
        latencyMs: nonNegative.max(60_000).optional(),
      }),
      (b) => ok(() => control.setFaults(b as FaultConfig)),
    ),
  );
  routes.set(
    'POST /_emulator/faults/fail-calls',
    route(
      z.strictObject({
        count: z.number().int().min(1).max(1_000_000).optional(),
        code: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9.]{0,127}$/, 'must be an error code like ThrottlingException'),
        message: z.string().max(10_000).optional(),
        status: z.number().int().min(400).max(599).optional(),
        operation: z.string().min(1).max(128).optional(),
        after: z.boolean().optional(),
      }),
      (b) => ok(() => control.failCalls(b as FailCallsSpec)),
    ),
  );
  routes.set(
    'POST /_emulator/faults/fail-transition',
    route(
      z.strictObject({
        kind: z.enum(['imageBuilder', 'image', 'fleet']),
        name: z.string().min(1).max(256).optional(),
        message: z.string().max(10_000).optional(),
      }),
      (b) => ok(() => control.failTransition(b)),
    ),
  );
  routes.set(
    'DELETE /_emulator/faults',
    route(noBody, () => ok(() => control.clearFaults())),
  );
  routes.set(
    'POST /_emulator/image-assistant',
    route(
      z.strictObject({
        ...where,
        builderName: z.string().min(1).max(256),
        argv: z.array(z.string().max(100_000)).max(10_000),
      }),
      (b) => control.imageAssistant(b),
    ),
  );
  routes.set(
    'POST /_emulator/streaming-sessions',
    route(
      z.strictObject({
        ...where,
        url: z.url({ protocol: /^https?$/ }).max(10_000),
      }),
      (b) => control.openStreamingUrl(b),
    ),
  );
  routes.set(
    'GET /_emulator/state',
    route(noBody, () => control.state()),
  );
  routes.set(
    'GET /_emulator/health',
    route(noBody, () => ({ ok: true })),
  );
  routes.set(
    'GET /_emulator/stats',
    route(noBody, () => {
      // With --expose-gc (benchmarks), measure what is retained rather than garbage not yet collected.
      (globalThis as { gc?: () => void }).gc?.();
      return { memory: process.memoryUsage(), uptimeSeconds: process.uptime() };
    }),
  );
  // CloudTrail-shaped events (events/): read the log, act as the console's "Connect".
  routes.set(
    'GET /_emulator/events',
    queryRoute(
      z.strictObject({
        ...where,
        // Cursors start at a log's base, the wall clock in µs: 16 digits, safe integers.
        since: wholeParam(0, Number.MAX_SAFE_INTEGER).optional(),
        limit: wholeParam(1, 1000).optional(),
      }),
      (q) => control.events(q),
    ),
  );
  routes.set(
    'POST /_emulator/image-builders/connect',
    route(
      z.strictObject({
        ...where,
        name: z.string().min(1).max(100),
        userArn: z
          .string()
          .max(2048)
          .regex(
            PRINCIPAL_ARN,
            'must be arn:aws:iam::<12 digits>:user/<name>, arn:aws:sts::<12 digits>:assumed-role/<role>/<session> or arn:aws:iam::<12 digits>:root',
          )
          .optional(),
        validity: z.number().int().min(1).max(604_800).optional(),
        userAgent: z.string().min(1).max(1024).optional(),
      }),
      (b) => control.connectImageBuilder(b),
    ),
  );
  // Interactive logons on a builder: its agent's presence heartbeats (presence.ts).
  const logonUser = z
    .string()
    .regex(
      /^[\w.@-]{1,64}(?:\\[\w.@-]{1,104})?$/,
      'must be a user name (letters, digits, _ . @ -), optionally DOMAIN\\user',
    );
  routes.set(
    'POST /_emulator/image-builders/logon',
    route(
      z.strictObject({
        ...where,
        name: z.string().min(1).max(100),
        minutes: z.number().int().min(1).max(MAX_LOGON_MINUTES).optional(),
        user: logonUser.optional(),
      }),
      (b) => control.logonImageBuilder(b),
    ),
  );
  routes.set(
    'POST /_emulator/image-builders/logoff',
    route(z.strictObject({ ...where, name: z.string().min(1).max(100), user: logonUser.optional() }), (b) =>
      control.logoffImageBuilder(b),
    ),
  );
  // STS (helper N): mark a role (not) assumable, optionally with its maximum session duration.
  routes.set(
    'POST /_emulator/sts/roles',
    route(
      z.strictObject({
        roleArn: z
          .string()
          .max(2048)
          .regex(
            /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
            'must be arn:aws:iam::<12 digits>:role/<name>',
          ),
        assumable: z.boolean(),
        maxSessionDuration: z.number().int().min(3600).max(43200).optional(),
      }),
      (b) => {
        control.world.roles.set(b.roleArn, {
          assumable: b.assumable,
          maxSessionDuration: b.maxSessionDuration,
        });
        return {
          roleArn: b.roleArn,
          assumable: b.assumable,
          maxSessionDuration: b.maxSessionDuration ?? 3600,
        };
      },
    ),
  );
  return routes;
}

/** Parses a control body with its route's schema: a 400 ValidationException naming the field. */
export function parseControlBody(r: ControlRoute, body: unknown): unknown {
  const result = r.schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 10).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path ? `'${path}'` : r.source === 'query' ? 'query' : 'body'}: ${issue.message}`;
  });
  throw new ServiceError('ValidationException', `Invalid control request: ${problems.join('; ')}`);
}
