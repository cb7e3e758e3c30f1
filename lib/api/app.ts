/**
 * The webhooks API (README "Webhooks API"; contract B of issue 10): one Middy router for API
 * Gateway HTTP API payload 2.0 events, deployed (functions/api.ts, functions/hooks.ts) and local
 * (local/up) alike.
 *
 * IAM routes (API Gateway checks SigV4 before the handler runs; the handler trusts it):
 *   POST /pipelines/{name}/runs   start a pipeline run   {"idempotencyKey"?, "overrides"?}
 *                                 (an IAM caller with execute-api:Invoke is an operator: overrides ok)
 *   GET  /runs/{id}               a run's status          id = `<workflow>:<execution name>`
 *   POST /fleets/{name}/override  temporary capacity      {"capacity", "until"} | {"clear": true}
 *   POST /cleanup/runs            on-demand sweep         {"dryRun"?, "idempotencyKey"?}
 * Signed routes (no API Gateway auth: an authorizer never sees the body; verified here):
 *   POST /hooks/pipelines/{name}/runs      X-Autopilot-Timestamp + X-Autopilot-Signature over
 *                                          timestamp, method, path and body (lib/api/sign.ts);
 *                                          {"idempotencyKey"?} only: no overrides (a webhook secret
 *                                          must not run build commands or share images)
 *   POST /hooks/github/pipelines/{name}    GitHub's X-Hub-Signature-256; a published (or promoted)
 *                                          release that is neither a draft nor a pre-release starts a run
 *
 * The idempotency key becomes the execution name (`<scope>_<key>`, executionNameFor), so a
 * retried call answers 200 with the execution the first one started (202), never a second run and
 * never 409. The key is only ever something the caller authenticated: on the IAM routes the
 * `Idempotency-Key` header or body `idempotencyKey`; on /hooks the body's `idempotencyKey` (signed;
 * the header is not, so it is refused), else the signature itself; on GitHub's route the signed
 * body's repository and release ids (`gh_<repository.id>_<release.id>`: a release is published
 * once; GitHub signs no timestamp and not X-GitHub-Delivery, which is logged only).
 * Errors are `{"error": "<StableName>", "message": "..."}`: 401 unsigned, 403 bad signature or
 * outside the 5-minute window, 413 body over 256 KiB (checked on the raw bytes before anything
 * else), 400 invalid JSON or schema (the message names the field), 404 unknown pipeline, run,
 * fleet or route, 503 AWS throttled us, 500 anything else (logged, never echoed).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import type { Clock } from '../clock';
import { describeIssues } from '../config/pipeline';
import { logger as defaultLogger } from '../lambda/logger';
import { MAX_CAPACITY } from '../schedule/config';
import { instant } from '../schedule/override';
import {
  ApiError,
  fleetNotFound,
  invalidJson,
  invalidRequest,
  invalidSignature,
  payloadTooLarge,
  requestExpired,
  routeNotFound,
  runNotFound,
  unauthorized,
  unknownPipeline,
} from './errors';
import type { Executions, Workflow } from './executions';
import type { Overrides } from './overrides';
import type { WebhookSecrets } from './secrets';
import {
  GITHUB_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type Verdict,
  verifyGithub,
  verifyHmac,
} from './sign';

export interface ApiDeps {
  executions: Executions;
  overrides: Overrides;
  secrets: WebhookSecrets;
  clock: Clock;
  /** The deployment's pipelines: a name not in it answers 404 (absent: every well-formed name). */
  pipelineNames?: () => Promise<string[]>;
  /** Powertools metrics (deployed); counts runs started, deduplicated and requests refused. */
  metrics?: Pick<Metrics, 'addMetric'>;
  /** Powertools logger (default: the functions' logger). */
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface ApiOptions {
  /**
   * Which routes this handler serves: `iam` (functions/api.ts), `hooks` (functions/hooks.ts) or
   * `all` (local). A request for another part's route is a 404, whatever API Gateway sends.
   */
  routes?: 'all' | 'iam' | 'hooks';
  /**
   * IAM routes answer 401 unless API Gateway's IAM authorizer identified the caller
   * (requestContext.authorizer.iam): a route deployed without `authorizer: aws_iam` by mistake
   * fails closed. Deployed: true; the local server checks SigV4 itself and leaves it false.
   */
  requireIamCaller?: boolean;
}

export type ApiEvent = APIGatewayProxyEventV2 & {
  /** The exact bytes of the body (base64-decoded when API Gateway encoded it). */
  rawBody?: Buffer;
  requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: { iam?: { userArn?: string } } };
};
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** What the handler reads of an API Gateway HTTP API payload 2.0 event (the functions' `schema`). */
export const HttpApiEventSchema = z
  .object({
    version: z.literal('2.0'),
    rawPath: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
    isBase64Encoded: z.boolean().optional(),
    pathParameters: z.record(z.string(), z.string()).optional(),
    requestContext: z.object({ http: z.object({ method: z.string(), path: z.string() }) }).passthrough(),
  })
  .passthrough();

/** Largest body accepted (256 KiB, the issue's limit and Step Functions' input limit). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Idempotency keys: 1-128 printable ASCII characters without spaces (`release-1.2.3`, a commit
 * SHA, `${GITHUB_RUN_ID}-${GITHUB_RUN_ATTEMPT}`); executionNameFor turns one into a valid name.
 */
const KEY = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'an idempotency key is 1 to 128 printable ASCII characters without spaces')
  .refine((k) => !/^(gh|sig)_/.test(k), 'keys starting gh_ or sig_ are reserved for the webhooks’ own keys');
const PIPELINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,39}$/;

const PipelineRunBody = z
  .object({
    idempotencyKey: KEY.optional(),
    /**
     * Merged over the bundled pipeline by Resolve: the execution input is `{pipeline, overrides}`
     * (PipelineStartInput, lib/config/catalog.ts: the same input a console run takes).
     */
    overrides: z
      .record(z.string(), z.unknown())
      .refine((o) => !('pipeline' in o), { message: 'the pipeline is the path’s {name}', path: ['pipeline'] })
      .refine((o) => !('name' in o), {
        message: 'the pipeline is the path’s {name}: overrides may not change its name',
        path: ['name'],
      })
      .refine((o) => !('config' in o), {
        message:
          'the API starts a pipeline of the deployment by name; a full definition goes to the Step Functions console',
        path: ['config'],
      })
      .optional(),
  })
  .strict();

/**
 * The HMAC webhook's body: only the (signed) idempotency key. No overrides: they can change what
 * a build runs (build.commands run as SYSTEM on the builder), who gets the image (shareWith) and
 * which fleets take it (rollOut) — an operator's call, made on the IAM route.
 */
const HookRunBody = z
  .object({ idempotencyKey: KEY.optional(), overrides: z.unknown().optional() })
  .strict()
  .superRefine((b, ctx) => {
    if (b.overrides !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['overrides'],
        message:
          'not accepted on /hooks (a webhook starts the pipeline as configured); operators send overrides to the IAM route POST /pipelines/{name}/runs',
      });
  });

const OverrideBody = z
  .object({
    capacity: z.number().int().min(0).max(MAX_CAPACITY).optional(),
    until: z.string().optional(),
    clear: z.literal(true).optional(),
  })
  .strict();

const CleanupRunBody = z.object({ dryRun: z.boolean().optional(), idempotencyKey: KEY.optional() }).strict();

const GithubAction = z.object({ action: z.string() });
/**
 * The fields of GitHub's `release` event we read (webhook-release-published: `release` is the
 * release object with `id`, `tag_name`, `draft`, `prerelease`; `repository.id`).
 */
const GithubRelease = z.object({
  action: z.enum(['published', 'released']),
  release: z.object({
    id: z.number().int().nonnegative(),
    tag_name: z.string(),
    draft: z.boolean().optional(),
    prerelease: z.boolean().optional(),
  }),
  repository: z.object({ id: z.number().int().nonnegative() }),
});

const MAX_NAME = 80;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * The execution name of `key` for `scope` (a pipeline, or `cleanup`): `<scope>_<key>`. A scope
 * never contains `_` (PIPELINE_NAME; `cleanup`), so the first `_` ends it and two (scope, key)
 * pairs never share a name (`office` + `apps-ci-1` ≠ `office-apps` + `ci-1`); Step Functions
 * allows `_` in names (StartExecution `name`, Step Functions API reference: no whitespace,
 * brackets, wildcards or special characters; only 0-9, A-Z, a-z, - and _ for logging). A key
 * an execution name can't hold as it is (over 80 characters in all, or characters other than
 * letters, digits, - and _) becomes its readable part (others replaced by -, cut) and `_` and a
 * hash of the exact `<scope>_<key>`: one name per (scope, key), always.
 */
export function executionNameFor(scope: string, key: string): string {
  const name = `${scope}_${key}`;
  if (NAME.test(name)) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX_NAME - hash.length - 1)}_${hash}`;
}

/** A unique execution name when the caller gave no key: `<scope>_<yyyymmddThhmmssZ>-<random>`. */
function freshName(scope: string, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return executionNameFor(scope, `${stamp}-${randomBytes(4).toString('hex')}`);
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** `res` with `fields` added to its JSON body. */
const withFields = (res: ApiResult, fields: Record<string, unknown>): ApiResult => ({
  ...res,
  body: JSON.stringify({ ...JSON.parse(String(res.body)), ...fields }),
});

const runUrl = (id: string) => `/runs/${encodeURIComponent(id)}`;

/** The body's exact bytes (API Gateway base64-encodes bodies it doesn't take for text). */
function rawBodyOf(event: ApiEvent): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The body as JSON (an empty body is `{}`). */
function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidJson(`the body is not valid JSON (${(err as Error).message})`);
  }
}

function validate<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(`${where}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

const header = (event: ApiEvent, name: string): string | undefined => {
  const h = event.headers ?? {};
  return h[name] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
};

/** A path parameter, URL-decoded once when API Gateway left it encoded. */
function param(event: ApiEvent, name: string): string {
  const value = event.pathParameters?.[name] ?? '';
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function refuse(verdict: Exclude<Verdict, { ok: true }>, scheme: string): never {
  switch (verdict.reason) {
    case 'unsigned':
      throw unauthorized(`the request is not signed: ${scheme}`);
    case 'bad-timestamp':
      throw invalidSignature(`${TIMESTAMP_HEADER}: not a unix time in seconds`);
    case 'outside-window':
      throw requestExpired(
        `${TIMESTAMP_HEADER} is more than 5 minutes from the server's clock: a replayed or delayed request (sign it again)`,
      );
    default:
      throw invalidSignature('the signature does not match the body');
  }
}

/** What the routes share: the idempotent start, the pipeline check, the IAM caller check. */
function shared(deps: ApiDeps, options: ApiOptions) {
  const log = deps.logger ?? defaultLogger;
  const count = (name: string) => deps.metrics?.addMetric(name, MetricUnit.Count, 1);

  async function knownPipeline(name: string): Promise<void> {
    if (!PIPELINE_NAME.test(name)) throw unknownPipeline(name);
    if (deps.pipelineNames && !(await deps.pipelineNames()).includes(name)) throw unknownPipeline(name);
  }

  /** Starts (or finds) the execution `name` and answers 202 (started) or 200 (existing). */
  async function start(
    workflow: Workflow,
    name: string,
    input: unknown,
    extra: object = {},
  ): Promise<ApiResult> {
    const { executionId, started } = await deps.executions.start(workflow, name, input);
    count(started ? 'RunsStarted' : 'RunsDeduplicated');
    log.info(started ? 'run started' : 'run already exists', { workflow, executionId });
    const body: Record<string, unknown> = {
      runId: executionId,
      workflow,
      started,
      statusUrl: runUrl(executionId),
      ...extra,
    };
    if (!started) {
      const run = await deps.executions.describe(executionId);
      if (run) body.status = run.status;
    }
    return json(started ? 202 : 200, body, { Location: runUrl(executionId) });
  }

  function requireIam(event: ApiEvent) {
    if (!options.requireIamCaller) return;
    const caller = event.requestContext?.authorizer?.iam;
    if (!caller) throw unauthorized('this route needs an IAM-signed (SigV4) request');
    log.info('caller', { userArn: caller.userArn });
  }

  function keyOf(event: ApiEvent, bodyKey: string | undefined): string | undefined {
    const fromHeader = header(event, 'idempotency-key');
    if (fromHeader === undefined) return bodyKey;
    const key = validate(KEY, fromHeader.trim(), 'Idempotency-Key header');
    if (bodyKey !== undefined && bodyKey !== key)
      throw invalidRequest('idempotencyKey: differs from the Idempotency-Key header (give one)');
    return key;
  }

  /** Starts pipeline `name` under `key` (else a fresh name) with input `{pipeline, overrides?}`. */
  function pipelineRun(name: string, key: string | undefined, overrides?: Record<string, unknown>) {
    const executionName = key ? executionNameFor(name, key) : freshName(name, deps.clock.now());
    const input = { pipeline: name, ...(overrides ? { overrides } : {}) };
    return start('pipeline', executionName, input, { pipeline: name });
  }

  return { log, count, knownPipeline, start, requireIam, keyOf, pipelineRun };
}

type Shared = ReturnType<typeof shared>;

/** The IAM routes (functions/api.ts). */
function iamRoutes(deps: ApiDeps, s: Shared): Route<ApiEvent, ApiResult>[] {
  return [
    {
      method: 'POST',
      path: '/pipelines/{name}/runs',
      handler: async (event: ApiEvent) => {
        s.requireIam(event);
        const name = param(event, 'name');
        await s.knownPipeline(name);
        const body = validate(PipelineRunBody, parseJson(event.rawBody ?? Buffer.alloc(0)));
        return s.pipelineRun(name, s.keyOf(event, body.idempotencyKey), body.overrides);
      },
    },
    {
      method: 'GET',
      path: '/runs/{id}',
      handler: async (event: ApiEvent) => {
        s.requireIam(event);
        const id = param(event, 'id');
        const run = await deps.executions.describe(id);
        if (!run) throw runNotFound(id);
        return json(200, { runId: run.executionId, ...run });
      },
    },
    {
      method: 'POST',
      path: '/fleets/{name}/override',
      handler: async (event: ApiEvent) => {
        s.requireIam(event);
        const fleet = param(event, 'name');
        const body = validate(OverrideBody, parseJson(event.rawBody ?? Buffer.alloc(0)));
        if (body.clear) {
          if (body.capacity !== undefined || body.until !== undefined)
            throw invalidRequest('clear: takes no capacity or until');
          const done = await deps.overrides.clear(fleet);
          if (!done) throw fleetNotFound(fleet);
          return json(200, done);
        }
        if (body.capacity === undefined) throw invalidRequest('capacity: required (or "clear": true)');
        if (body.until === undefined) throw invalidRequest('until: required (or "clear": true)');
        const until = instant(body.until);
        if (until === undefined)
          throw invalidRequest(`until: '${body.until}' is not an ISO-8601 instant with Z or an offset`);
        const now = deps.clock.now();
        if (until <= now)
          throw invalidRequest(
            `until: ${body.until} is not in the future (now: ${new Date(now).toISOString()})`,
          );
        const done = await deps.overrides.set(fleet, { capacity: body.capacity, until });
        if (!done) throw fleetNotFound(fleet);
        return json(200, done);
      },
    },
    {
      method: 'POST',
      path: '/cleanup/runs',
      handler: async (event: ApiEvent) => {
        s.requireIam(event);
        const body = validate(CleanupRunBody, parseJson(event.rawBody ?? Buffer.alloc(0)));
        const key = s.keyOf(event, body.idempotencyKey);
        const name = key ? executionNameFor('cleanup', key) : freshName('cleanup', deps.clock.now());
        // No dryRun: the bundled policy decides (its default is a dry run).
        return s.start('cleanup', name, body.dryRun === undefined ? {} : { dryRun: body.dryRun });
      },
    },
  ];
}

/** The signed webhook routes (functions/hooks.ts). */
function hookRoutes(deps: ApiDeps, s: Shared): Route<ApiEvent, ApiResult>[] {
  return [
    {
      method: 'POST',
      path: '/hooks/pipelines/{name}/runs',
      handler: async (event: ApiEvent) => {
        const raw = event.rawBody ?? Buffer.alloc(0);
        const timestamp = header(event, TIMESTAMP_HEADER);
        const signature = header(event, SIGNATURE_HEADER);
        const how = 'send X-Autopilot-Timestamp and X-Autopilot-Signature (README, Webhooks API)';
        // Unsigned is a 401 whatever the state of Secrets Manager: the secret is read only to check
        // a signature that is there.
        if (!timestamp || !signature) refuse({ ok: false, reason: 'unsigned' }, how);
        const { method, path } = event.requestContext.http;
        const verdict = verifyHmac(
          await deps.secrets.hmacSecret(),
          { method, path, body: raw },
          { timestamp, signature },
          deps.clock.now(),
        );
        if (!verdict.ok) refuse(verdict, how);
        const name = param(event, 'name');
        await s.knownPipeline(name);
        // The key must be signed: the body's, never a header the signature doesn't cover.
        if (header(event, 'idempotency-key') !== undefined)
          throw invalidRequest(
            'Idempotency-Key header: not accepted on /hooks (the signature does not cover it); send "idempotencyKey" in the signed body',
          );
        const body = validate(HookRunBody, parseJson(raw));
        // No key given: the signature is one (an identical request replayed within the window
        // finds the run the first one started).
        const sig = /sha256=([0-9a-f]{64})/i.exec(signature)?.[1]?.toLowerCase();
        return s.pipelineRun(name, body.idempotencyKey ?? (sig ? `sig_${sig.slice(0, 32)}` : undefined));
      },
    },
    {
      method: 'POST',
      path: '/hooks/github/pipelines/{name}',
      handler: async (event: ApiEvent) => {
        const raw = event.rawBody ?? Buffer.alloc(0);
        const signature = header(event, GITHUB_SIGNATURE_HEADER);
        const how = 'configure the GitHub webhook with the secret (X-Hub-Signature-256)';
        if (!signature) refuse({ ok: false, reason: 'unsigned' }, how);
        const verdict = verifyGithub(await deps.secrets.githubSecret(), raw, signature);
        if (!verdict.ok) refuse(verdict, how);
        const name = param(event, 'name');
        await s.knownPipeline(name);
        const kind = header(event, 'x-github-event');
        if (kind === 'ping') return json(200, { ok: true, event: 'ping' });
        if (kind !== 'release')
          return json(200, { ignored: true, event: kind ?? null, reason: 'only release events start a run' });
        const payload = githubPayload(raw, header(event, 'content-type'));
        const { action } = validate(GithubAction, payload);
        // GitHub's release actions: `published` ("a release, pre-release, or draft of a release was
        // published") and `released` ("a release was published, or a pre-release was changed to a
        // release"). Both start a run: a full release sends both (one run: the name below comes from
        // the release id), a pre-release promoted later sends only `released`.
        if (action !== 'published' && action !== 'released')
          return json(200, {
            ignored: true,
            event: kind,
            action,
            reason: 'only published or released releases start a run',
          });
        const { release, repository } = validate(GithubRelease, payload);
        // `published` also fires for a pre-release (release.prerelease; a draft is skipped too,
        // should one arrive): an image for users comes from a full release only.
        const skip = release.prerelease ? 'pre-release' : release.draft ? 'draft' : undefined;
        if (skip)
          return json(200, {
            ignored: true,
            event: kind,
            action,
            release: release.tag_name,
            reason: `${skip}: only a full release starts a run`,
          });
        // GitHub signs no timestamp and not X-GitHub-Delivery (anyone replaying a captured
        // delivery can change it): the key comes from the signed body. A release is published
        // once, so (repository, release) names one run however often the delivery is replayed
        // (for the 90 days Step Functions keeps execution names).
        s.log.info('GitHub release', {
          delivery: header(event, 'x-github-delivery'),
          repository: repository.id,
          release: release.id,
          tag: release.tag_name,
        });
        return s
          .pipelineRun(name, `gh_${repository.id}_${release.id}`)
          .then((res) => withFields(res, { release: release.tag_name }));
      },
    },
  ];
}

/** The Middy handler over `routes`: router, raw body and size check, errors, security headers. */
function serve(routes: Route<ApiEvent, ApiResult>[], s: Shared) {
  const router = httpRouterHandler<ApiEvent, ApiResult>({
    routes,
    notFoundResponse: ({ method, path }) => {
      throw routeNotFound(method, path);
    },
  });
  return middy<ApiEvent, ApiResult>()
    .use(dropUndefinedHeaders())
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use(httpErrorHandler({ logger: false }))
    .use(rawBody())
    .use(toHttpError(s.log, s.count))
    .handler(router);
}

/** The IAM routes only (functions/api.ts): the IAM function's code never reaches the hooks'. */
export function createIamApi(deps: ApiDeps, options: Omit<ApiOptions, 'routes'> = {}) {
  const s = shared(deps, options);
  return serve(iamRoutes(deps, s), s);
}

/** The signed webhook routes only (functions/hooks.ts). */
export function createHooksApi(deps: ApiDeps) {
  const s = shared(deps, {});
  return serve(hookRoutes(deps, s), s);
}

/** Every route (`options.routes`: all, or one part), e.g. the local webhook server. */
export function createApi(deps: ApiDeps, options: ApiOptions = {}) {
  const part = options.routes ?? 'all';
  if (part === 'iam') return createIamApi(deps, options);
  if (part === 'hooks') return createHooksApi(deps);
  const s = shared(deps, options);
  return serve([...iamRoutes(deps, s), ...hookRoutes(deps, s)], s);
}

/**
 * Stores the raw body on the event and refuses one over MAX_BODY_BYTES (before any parsing). Our
 * own parser, not @middy/http-json-body-parser: signatures are checked on the exact bytes before
 * the body is parsed, and malformed JSON is a 400 here (that middleware answers 415).
 */
function rawBody(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: async (request) => {
      const raw = rawBodyOf(request.event);
      if (raw.length > MAX_BODY_BYTES)
        throw payloadTooLarge(`the body is ${raw.length} bytes; the limit is ${MAX_BODY_BYTES} (256 KiB)`);
      request.event.rawBody = raw;
    },
  };
}

/** GitHub sends JSON, or `payload=<JSON>` when the webhook's content type is form-encoded. */
function githubPayload(raw: Buffer, contentType: string | undefined): unknown {
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
    if (payload === null) throw invalidRequest('payload: missing from the form-encoded body');
    return parseJson(Buffer.from(payload, 'utf8'));
  }
  return parseJson(raw);
}

/**
 * Every error as the JSON body @middy/http-error-handler answers with: ApiError keeps its status
 * and name; AWS throttling after the SDK's retries is a 503; anything else a 500 whose details go
 * to the log only.
 */
function toHttpError(
  log: NonNullable<ApiDeps['logger']>,
  count: (name: string) => void,
): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const err = request.error as Error & { statusCode?: number };
      let status: number;
      let name: string;
      let message: string;
      let headers: Record<string, string> = {};
      if (err instanceof ApiError) {
        ({ status, name, message, headers } = err);
        count('RequestsRejected');
        log.warn('request refused', { status, error: name, message });
      } else if (err?.name === 'AwsTransientError') {
        status = 503;
        name = 'ServiceUnavailable';
        message = 'AWS is throttling or unavailable; retry later';
        headers = { 'Retry-After': '5' };
        log.error('AWS unavailable', { error: err.name, message: err.message });
      } else {
        status = 500;
        name = 'InternalError';
        message = 'the request failed; the API log has the details';
        log.error('request failed', { error: err?.name, message: err?.message, stack: err?.stack });
      }
      request.error = Object.assign(new Error(JSON.stringify({ error: name, message })), {
        statusCode: status,
        expose: true,
        headers,
      });
    },
  };
}

/** Headers @middy/http-security-headers removes (undefined) or leaves empty (Reporting-Endpoints): drop them. */
function dropUndefinedHeaders(): MiddlewareObj<ApiEvent, ApiResult> {
  const clean = async (request: { response?: ApiResult | null }) => {
    const headers = request.response?.headers;
    if (!headers) return;
    for (const [k, v] of Object.entries(headers)) if (v === undefined || v === '') delete headers[k];
    headers['Cache-Control'] ??= 'no-store';
  };
  return { after: clean, onError: clean };
}
