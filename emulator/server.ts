import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Control } from './control';
import { controlRoutes, parseControlBody, queryObject } from './control-routes';
import { ServiceError } from './errors';
import { type JsonProtocol, jsonDepthExceeds, MAX_JSON_DEPTH } from './protocol';
import type { QueryProtocol } from './query/protocol';

/**
 * Largest request body accepted (bytes), API and control API alike. Bigger bodies are read to
 * the end (up to MAX_DRAIN, so the client sees the answer instead of a connection reset) and
 * answered HTTP 413 RequestEntityTooLargeException, as AWS front ends refuse oversized payloads.
 */
export const MAX_BODY = 2 * 1024 * 1024;
/** Beyond this many bytes an oversized body is no longer drained: the connection is closed. */
const MAX_DRAIN = 64 * 1024 * 1024;

const tooLarge = (size: number) =>
  new ServiceError(
    'RequestEntityTooLargeException',
    `Request body of ${size} bytes exceeds the limit of ${MAX_BODY} bytes.`,
    413,
  );

/** The body as text, or a 413 ServiceError once it is known to be over MAX_BODY. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > MAX_BODY;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      if (!over) chunks.push(c);
      else if (size > MAX_DRAIN) {
        reject(tooLarge(size));
        req.destroy();
      }
    });
    req.on('end', () => (over ? reject(tooLarge(size)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, { 'content-type': 'application/json' }, JSON.stringify(value));
}

export interface Listening {
  endpoint: string;
  close(): Promise<void>;
}

/** One HTTP server: AWS API calls on `POST /`, the control API under `/_emulator/`. */
export async function listen(
  protocol: JsonProtocol,
  control: Control,
  host: string,
  port: number,
  /** EC2 and STS (Query protocol): form-encoded `Action=` requests on `POST /`. */
  query?: QueryProtocol,
): Promise<Listening> {
  const routes = controlRoutes(control);
  /**
   * Whether a request's errors are the Query protocol's XML: a form-encoded request outside the
   * control API, however far it got (an oversized body, an unknown route) before dispatch.
   */
  // A form-encoded request that also carries X-Amz-Target and is signed for a JSON service
  // (appstream, application-autoscaling) is that service's caller: it gets the JSON protocol's
  // answer (a body that isn't JSON is a SerializationException there), never STS's XML.
  const speaksQuery = (req: IncomingMessage): boolean =>
    query !== undefined &&
    !(req.url ?? '/').startsWith('/_emulator/') &&
    String(req.headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith('application/x-www-form-urlencoded') &&
    !(req.headers['x-amz-target'] !== undefined && !query.serves(req.headers.authorization));
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith('/_emulator/')) {
        const route = routes.get(`${req.method} ${path}`);
        if (!route)
          return sendJson(res, 404, {
            __type: 'NotFound',
            message: `No control route ${req.method} ${path.slice(0, 200)}`,
          });
        let parsed: unknown = {};
        // GET routes that read their input from the query string (e.g. GET /_emulator/events?since=);
        // other routes read a JSON body (their query string, if any, is ignored as before).
        if (route.source === 'query') parsed = queryObject(req.url ?? '');
        else if (body.trim()) {
          if (jsonDepthExceeds(body))
            return sendJson(res, 400, {
              __type: 'SerializationException',
              message: `Document nesting depth exceeds the maximum allowed (${MAX_JSON_DEPTH}).`,
            });
          try {
            parsed = JSON.parse(body);
          } catch {
            return sendJson(res, 400, {
              __type: 'SerializationException',
              message: 'Body is not valid JSON',
            });
          }
        }
        return sendJson(res, 200, (await route.handler(parseControlBody(route, parsed) as never)) ?? {});
      }
      if ((req.method !== 'POST' || path !== '/') && query && speaksQuery(req)) {
        const out = query.failure(
          new ServiceError('InvalidAction', `Unsupported ${req.method} ${path.slice(0, 200)}`, 404),
          req.headers.authorization,
        );
        return send(res, out.status, out.headers, out.body);
      }
      if (req.method !== 'POST' || path !== '/')
        return send(
          res,
          404,
          { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'UnknownOperationException' },
          JSON.stringify({
            __type: 'UnknownOperationException',
            message: `Unsupported ${req.method} ${path.slice(0, 200)}`,
          }),
        );
      // Query protocol (EC2, STS): form-encoded body with Action=; JSON 1.1 (X-Amz-Target) otherwise.
      if (query && speaksQuery(req)) {
        const out = await query.handle({ authorization: req.headers.authorization, body });
        return send(res, out.status, out.headers, out.body);
      }
      const out = await protocol.handle({
        target: req.headers['x-amz-target'] as string | undefined,
        authorization: req.headers.authorization,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: String(req.headers['user-agent'] ?? '').slice(0, 1024),
      });
      send(res, out.status, out.headers, out.body);
    } catch (err) {
      // A Query-protocol request (e.g. a body over the limit) gets its error as XML.
      if (!(err instanceof ServiceError)) console.error('[emulator] unexpected error', err);
      if (query && speaksQuery(req) && !res.headersSent) {
        const out = query.failure(err, req.headers.authorization);
        return send(res, out.status, out.headers, out.body);
      }
      if (err instanceof ServiceError)
        return send(
          res,
          err.status,
          {
            'content-type': req.url?.startsWith('/_emulator/')
              ? 'application/json'
              : 'application/x-amz-json-1.1',
            'x-amzn-errortype': err.code,
          },
          JSON.stringify({ __type: err.code, message: err.message }),
        );
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: 'Internal error' });
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
