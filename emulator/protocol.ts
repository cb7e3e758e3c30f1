import { randomUUID } from 'node:crypto';
import { callerFrom } from './auth';
import type { Ctx, ServiceDefinition } from './context';
import { ServiceError } from './errors';
import { RequestValidator } from './validate';
import type { World } from './world';

export interface ApiRequest {
  target: string | undefined;
  authorization: string | undefined;
  body: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Registered {
  service: ServiceDefinition;
  validator: RequestValidator;
}

/**
 * AWS JSON 1.1: `POST /` with `X-Amz-Target: <Prefix>.<Operation>`, JSON body in and out,
 * errors as `{"__type","message"}`. One place turns every outcome into a wire response.
 */
export class JsonProtocol {
  private readonly services = new Map<string, Registered>();
  /** Called after every API call with what went on the wire (request logs, counters, contract tests). */
  readonly listeners: ((operation: string, status: number, body: string) => void)[] = [];

  constructor(
    private readonly world: World,
    services: ServiceDefinition[],
  ) {
    for (const service of services)
      this.services.set(service.model.metadata.targetPrefix, {
        service,
        validator: new RequestValidator(service.model),
      });
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    let operation = req.target ?? '';
    try {
      const caller = callerFrom(req.authorization);
      const [prefix, op] = (req.target ?? '').split('.');
      operation = op ?? operation;
      const registered = this.services.get(prefix);
      if (!registered || !op || !registered.service.model.operations[op])
        throw new ServiceError(
          'UnknownOperationException',
          `Unknown operation ${req.target ?? '(no X-Amz-Target)'}`,
        );
      const input = parseBody(req.body);
      const latency = this.world.faults.config.latencyMs;
      if (latency) await new Promise((r) => setTimeout(r, latency));
      this.world.faults.beforeCall(op);
      registered.validator.validate(op, input);
      const handler = registered.service.handlers[op];
      if (!handler)
        throw new ServiceError(
          'NotImplementedException',
          `Operation ${op} is not implemented by the appstream-autopilot emulator (see IMPLEMENTATION_COVERAGE.md)`,
        );
      this.world.settle(caller.region);
      const ctx: Ctx = {
        world: this.world,
        store: this.world.store(caller.account, caller.region),
        model: registered.service.model,
        account: caller.account,
        region: caller.region,
        now: this.world.now(),
        operation: op,
        requestId,
      };
      const output = (await handler(input, ctx)) ?? {};
      this.world.faults.afterCall(op);
      return this.reply(operation, 200, requestId, JSON.stringify(output));
    } catch (err) {
      const e =
        err instanceof ServiceError
          ? err
          : new ServiceError(
              'InternalFailure',
              'The request processing has failed because of an unknown error.',
              500,
            );
      if (!(err instanceof ServiceError)) console.error(`[emulator] ${operation} failed:`, err);
      return this.reply(
        operation,
        e.status,
        requestId,
        JSON.stringify({ __type: e.code, message: e.message }),
        {
          'x-amzn-errortype': e.code,
        },
      );
    }
  }

  private reply(
    operation: string,
    status: number,
    requestId: string,
    body: string,
    extra: Record<string, string> = {},
  ): ApiResponse {
    for (const listen of this.listeners) listen(operation, status, body);
    return {
      status,
      body,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': requestId,
        'content-length': String(Buffer.byteLength(body)),
        ...extra,
      },
    };
  }
}

function parseBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ServiceError('SerializationException', 'Start of structure or map found where not expected.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}
