import { randomUUID } from 'node:crypto';
import { type Caller, callerFrom } from './auth';
import type { Ctx, Handler, ServiceDefinition } from './context';
import { ServiceError } from './errors';
import { apiCallEnvelope, emitsEvent, identityOf } from './events/cloudtrail';
import { tell } from './listeners';
import { type ServiceModel, throttlingError } from './model';
import { RequestValidator } from './validate';
import type { World } from './world';

export interface ApiRequest {
  target: string | undefined;
  authorization: string | undefined;
  body: string;
  /** The caller's IP address and User-Agent header (CloudTrail's sourceIPAddress, userAgent). */
  sourceIp?: string;
  userAgent?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Told about an API response as sent (operation, HTTP status, raw body). It may be async (a
 * rejection is reported, never left unhandled); its result is otherwise ignored.
 */
export type ResponseListener = (operation: string, status: number, body: string) => unknown;

/** One operation a target names: looked up in a Map built from the model's own operations. */
interface Target {
  operation: string;
  model: ServiceModel;
  validator: RequestValidator;
  handler: Handler | undefined;
  /** What injected throttling answers for this operation (model.ts throttlingError). */
  throttleCode: string;
}

/**
 * Deepest JSON nesting a request may have. AWS's JSON front ends parse with Jackson, whose
 * default StreamReadConstraints allow a nesting depth of 1000; deeper documents are refused as
 * malformed (SerializationException), never half-processed.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * AWS JSON 1.1: `POST /` with `X-Amz-Target: <Prefix>.<Operation>`, JSON body in and out,
 * errors as `{"__type","message"}`. One place turns every outcome into a wire response.
 *
 * A request applies completely or not at all: the body is parsed, checked and reduced to the
 * model's members before any handler runs, handlers check everything before they change state,
 * and the response is serialized from data that is always serializable (sanitized input,
 * records the emulator built).
 */
export class JsonProtocol {
  private readonly targets = new Map<string, Target>();
  /**
   * Called after every API call with what went on the wire (request logs, counters, contract
   * tests); may be async. A listener that throws or rejects is reported, never changes the answer.
   */
  readonly listeners: ResponseListener[] = [];

  constructor(
    private readonly world: World,
    services: ServiceDefinition[],
  ) {
    for (const service of services) {
      const validator = new RequestValidator(service.model);
      for (const operation of Object.keys(service.model.operations))
        this.targets.set(`${service.model.metadata.targetPrefix}.${operation}`, {
          operation,
          model: service.model,
          validator,
          handler: Object.hasOwn(service.handlers, operation) ? service.handlers[operation] : undefined,
          throttleCode: throttlingError(service.model, operation),
        });
    }
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    let operation = shorten(req.target ?? '');
    // What the CloudTrail-shaped event of this call needs, as far as the call got.
    let caller: Caller | undefined;
    let target: Target | undefined;
    let input: Record<string, unknown> | undefined;
    let now = this.world.now();
    // Set once the call's event is logged: a fault after the change must not log it again as failed.
    let logged = false;
    try {
      caller = callerFrom(req.authorization, this.world);
      // Only the exact `<Prefix>.<Operation>` of a model operation: no prototype names, no suffixes.
      target = req.target === undefined ? undefined : this.targets.get(req.target);
      if (!target)
        throw new ServiceError(
          'UnknownOperationException',
          `Unknown operation ${req.target === undefined ? '(no X-Amz-Target)' : shorten(req.target)}`,
        );
      const op = target.operation;
      operation = op;
      const parsed = parseBody(req.body);
      const latency = this.world.faults.config.latencyMs;
      if (latency) await new Promise((r) => setTimeout(r, latency));
      this.world.faults.beforeCall(op, target.throttleCode);
      input = target.validator.validate(op, parsed) as Record<string, unknown>;
      if (!target.handler)
        throw new ServiceError(
          'NotImplementedException',
          `Operation ${op} is not implemented by the appstream-autopilot emulator (see IMPLEMENTATION_COVERAGE.md)`,
        );
      this.world.settle(caller.region);
      now = this.world.now();
      const ctx: Ctx = {
        world: this.world,
        store: this.world.store(caller.account, caller.region),
        model: target.model,
        account: caller.account,
        region: caller.region,
        now,
        operation: op,
        requestId,
      };
      const output = (await target.handler(input, ctx)) ?? {};
      const body = JSON.stringify(output);
      // The change happened: its event is the successful call's, whatever the caller hears next
      // (CloudTrail logs what the service did, also when the response is lost on the way back).
      logged = true;
      this.event(req, caller, target, requestId, now, input, output as Record<string, unknown>);
      this.world.faults.afterCall(op);
      return this.reply(operation, 200, requestId, body);
    } catch (err) {
      const e =
        err instanceof ServiceError
          ? err
          : new ServiceError(
              'InternalFailure',
              'The request processing has failed because of an unknown error.',
              500,
            );
      if (!(err instanceof ServiceError)) console.error(`[emulator] ${shorten(operation)} failed:`, err);
      if (caller && target && !logged)
        this.event(req, caller, target, requestId, now, input, undefined, {
          code: e.code,
          message: e.message,
        });
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

  /**
   * Logs the CloudTrail-shaped event of a write call (events/): every call to an event source
   * whose caller and operation are known, failed ones with errorCode/errorMessage. A request
   * refused before its input was validated is logged without its parameters.
   */
  private event(
    req: ApiRequest,
    caller: Caller,
    target: Target,
    requestId: string,
    now: number,
    input: Record<string, unknown> | undefined,
    output?: Record<string, unknown>,
    error?: { code: string; message: string },
  ): void {
    const service = target.model.metadata.signingName ?? target.model.metadata.endpointPrefix;
    if (!emitsEvent(service, target.operation)) return;
    // The call's answer stands whatever happens here: a logging bug never fails or undoes it.
    try {
      const envelope = apiCallEnvelope({
        service: service as string,
        model: target.model,
        operation: target.operation,
        account: caller.account,
        region: caller.region,
        now,
        identity: identityOf(
          caller.accessKeyId,
          caller.account,
          this.world.issuedKeys.get(caller.accessKeyId),
        ),
        requestId,
        sourceIp: req.sourceIp ?? '127.0.0.1',
        userAgent: req.userAgent ?? '',
        input,
        output,
        error,
      });
      this.world.events.append(envelope, now);
    } catch (err) {
      console.error(`[emulator] logging the event of ${target.operation} failed:`, err);
    }
  }

  private reply(
    operation: string,
    status: number,
    requestId: string,
    body: string,
    extra: Record<string, string> = {},
  ): ApiResponse {
    tell(this.listeners, [operation, status, body], (err) =>
      console.error(`[emulator] response listener failed (${shorten(operation)}):`, err),
    );
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

/** A caller-supplied name as shown in a message: bounded, whatever was sent. */
const shorten = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}...` : s);

/** True as soon as a JSON text nests deeper than `max` (linear scan, strings skipped). */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // Jump to the next quote (a native search: string-heavy bodies are scanned fast), then
      // look back over the backslashes before it: an odd number escapes it.
      const quote = text.indexOf('"', i);
      if (quote < 0) return false;
      let slashes = 0;
      while (text.charCodeAt(quote - 1 - slashes) === 92 /* \ */) slashes++;
      i = quote;
      if (slashes % 2 === 0) inString = false;
    } else if (c === 34 /* " */) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

function parseBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  if (jsonDepthExceeds(body))
    throw new ServiceError(
      'SerializationException',
      `Document nesting depth exceeds the maximum allowed (${MAX_JSON_DEPTH}).`,
    );
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
