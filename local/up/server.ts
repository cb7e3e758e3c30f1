/**
 * The local webhook server: API Gateway's part in front of the API function, on node:http. A
 * request becomes the HTTP API payload format 2.0 event the deployed function receives
 * (API Gateway Developer Guide, "Working with AWS Lambda proxy integrations for HTTP APIs"),
 * after what API Gateway does first:
 * - route matching over the routes serverless.yml's httpApi events declare (local/up/routes.ts;
 *   a path or method no route declares: 404 `{"message":"Not Found"}`, the function is not called);
 * - AWS_IAM authorization on the default routes (local/up/sigv4.ts: 403 without a valid SigV4
 *   signature; the caller goes to `requestContext.authorizer.iam`), none on `/hooks/…` (the
 *   function checks their HMAC signatures);
 * - the payload limit of HTTP APIs, 10 MB (413); the function's own limit (256 KB) is its business.
 * The function's answer (statusCode, headers, body, isBase64Encoded, cookies) goes back as is.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DeclaredRoute, routeKey as keyOf, matchRoute } from './routes';
import { type IamCaller, verifySigV4 } from './sigv4';

/** HTTP APIs: "Payload size: 10 MB" (API Gateway quotas for HTTP APIs). */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface ApiResult {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  multiValueHeaders?: Record<string, (string | number | boolean)[]>;
  body?: string;
  isBase64Encoded?: boolean;
  cookies?: string[];
}

export type ApiHandler = (event: unknown, context: unknown) => Promise<ApiResult | string | unknown>;

export interface LocalApiServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function startApiServer(opts: {
  handler: ApiHandler;
  /** The routes API Gateway would have (readServerless(...).routes). */
  routes: readonly DeclaredRoute[];
  /** The local account and the secret of its long-term keys (SigV4 on the AWS_IAM routes). */
  account: string;
  secretAccessKey: string;
  port?: number;
  host?: string;
  region?: string;
  /** Real time for signature dates (default Date.now). */
  now?: () => number;
}): Promise<LocalApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const region = opts.region ?? 'us-east-1';
  const now = opts.now ?? Date.now;
  const apiId = 'local';
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' }, randomUUID());
      else res.destroy();
    });
  });
  const send = (res: ServerResponse, status: number, body: unknown, requestId: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': requestId });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const requestId = randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQueryString = q < 0 ? '' : url.slice(q + 1);
    // Read the body (up to the HTTP API payload limit) before answering, so the client sees the answer.
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(c as Buffer);
    }
    if (size > MAX_PAYLOAD_BYTES) return send(res, 413, { message: 'Request Entity Too Large' }, requestId);
    const body = Buffer.concat(chunks);
    const method = (req.method ?? 'GET').toUpperCase();
    const match = matchRoute(opts.routes, method, rawPath);
    if (!match) return send(res, 404, { message: 'Not Found' }, requestId);
    let caller: IamCaller | undefined;
    if (match.route.auth === 'AWS_IAM') {
      const verdict = await verifySigV4(
        { method, path: rawPath, query: rawQueryString, headers: req.headers, body },
        {
          account: opts.account,
          secret: opts.secretAccessKey,
          region,
          nowMs: now(),
          apiArn: `arn:aws:execute-api:${region}:${opts.account}:${apiId}/$default/${method}${rawPath}`,
        },
      );
      if (!verdict.ok) return send(res, 403, { error: verdict.error, message: verdict.message }, requestId);
      caller = verdict.caller;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === 'cookie') continue;
      headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawQueryString))
      query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    let text: string | undefined;
    let isBase64Encoded = false;
    if (body.length) {
      try {
        text = utf8.decode(body);
      } catch {
        text = body.toString('base64');
        isBase64Encoded = true;
      }
    }
    const t = now();
    const routeKey = keyOf(match.route);
    const event = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString,
      cookies: req.headers.cookie ? req.headers.cookie.split(/;\s*/) : undefined,
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: Object.keys(match.params).length ? match.params : undefined,
      requestContext: {
        accountId: opts.account,
        apiId,
        domainName: headers.host ?? host,
        domainPrefix: (headers.host ?? host).split('.')[0],
        http: {
          method,
          path: rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey,
        stage: '$default',
        time: new Date(t).toUTCString(),
        timeEpoch: t,
        ...(caller
          ? {
              authorizer: {
                iam: {
                  accessKey: caller.accessKey,
                  accountId: caller.accountId,
                  callerId: caller.userId,
                  cognitoIdentity: null,
                  principalOrgId: null,
                  userArn: caller.userArn,
                  userId: caller.userId,
                },
              },
            }
          : {}),
      },
      body: text,
      isBase64Encoded,
    };
    const context = {
      awsRequestId: requestId,
      functionName: 'api',
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${opts.account}:function:api`,
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/api',
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 29_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let result: unknown;
    try {
      result = await opts.handler(event, context);
    } catch {
      // What API Gateway answers when the integration fails: no detail reaches the caller.
      return send(res, 500, { message: 'Internal Server Error' }, requestId);
    }
    // Payload 2.0: a result without statusCode is a 200 JSON body ("format 2.0 … can infer the response format").
    const r: ApiResult =
      result && typeof result === 'object' && 'statusCode' in result
        ? (result as ApiResult)
        : {
            statusCode: 200,
            headers: { 'content-type': 'application/json' },
            body: typeof result === 'string' ? result : JSON.stringify(result),
          };
    const out: Record<string, string | string[]> = { 'apigw-requestid': requestId };
    for (const [k, v] of Object.entries(r.headers ?? {})) out[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(r.multiValueHeaders ?? {})) out[k.toLowerCase()] = v.map(String);
    if (r.cookies?.length) out['set-cookie'] = r.cookies;
    res.writeHead(r.statusCode ?? 200, out);
    res.end(r.body === undefined ? undefined : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8'));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
