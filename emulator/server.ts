import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Control } from './control';
import { ServiceError } from './errors';
import type { JsonProtocol } from './protocol';

const MAX_BODY = 2 * 1024 * 1024;

type Route = (body: Record<string, unknown>) => unknown;

const done = (action: () => void) => {
  action();
  return { ok: true };
};

/** Control API routes: `METHOD /_emulator/<path>` → JSON in, JSON out. */
function controlRoutes(control: Control): Record<string, Route> {
  return {
    'POST /_emulator/reset': (b) =>
      done(() => control.reset(b.seed === undefined ? undefined : Number(b.seed))),
    'GET /_emulator/clock': () => control.clock(),
    'POST /_emulator/clock': (b) => {
      if (b.speed !== undefined) control.setSpeed(Number(b.speed));
      if (b.advanceMs !== undefined) control.advance(Number(b.advanceMs));
      if (b.advanceSeconds !== undefined) control.advance(Number(b.advanceSeconds) * 1000);
      return control.clock();
    },
    'POST /_emulator/quotas': (b) => control.setQuotas(b),
    'POST /_emulator/durations': (b) => {
      const { jitterSigma, ...durations } = b;
      return control.setDurations(durations, jitterSigma === undefined ? undefined : Number(jitterSigma));
    },
    'POST /_emulator/faults': (b) => done(() => control.setFaults(b)),
    'POST /_emulator/faults/fail-calls': (b) => done(() => control.failCalls(b as never)),
    'POST /_emulator/faults/fail-transition': (b) => done(() => control.failTransition(b as never)),
    'DELETE /_emulator/faults': () => done(() => control.clearFaults()),
    'POST /_emulator/image-assistant': (b) => control.imageAssistant(b as never),
    'POST /_emulator/streaming-sessions': (b) => control.openStreamingUrl(b as never),
    'GET /_emulator/state': () => control.state(),
    'GET /_emulator/health': () => ({ ok: true }),
    'GET /_emulator/stats': () => {
      // With --expose-gc (benchmarks), measure what is retained rather than garbage not yet collected.
      (globalThis as { gc?: () => void }).gc?.();
      return { memory: process.memoryUsage(), uptimeSeconds: process.uptime() };
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ServiceError('SerializationException', 'Request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
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
): Promise<Listening> {
  const routes = controlRoutes(control);
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith('/_emulator/')) {
        const route = routes[`${req.method} ${path}`];
        if (!route)
          return sendJson(res, 404, {
            __type: 'NotFound',
            message: `No control route ${req.method} ${path}`,
          });
        let parsed: Record<string, unknown> = {};
        if (body.trim()) {
          try {
            parsed = JSON.parse(body);
          } catch {
            return sendJson(res, 400, {
              __type: 'SerializationException',
              message: 'Body is not valid JSON',
            });
          }
        }
        return sendJson(res, 200, (await route(parsed)) ?? {});
      }
      if (req.method !== 'POST' || path !== '/')
        return sendJson(res, 404, {
          __type: 'UnknownOperationException',
          message: `Unsupported ${req.method} ${path}`,
        });
      const out = await protocol.handle({
        target: req.headers['x-amz-target'] as string | undefined,
        authorization: req.headers.authorization,
        body,
      });
      send(res, out.status, out.headers, out.body);
    } catch (err) {
      if (err instanceof ServiceError)
        return sendJson(res, err.status, { __type: err.code, message: err.message });
      console.error('[emulator] unexpected error', err);
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
