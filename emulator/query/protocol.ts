import { randomUUID } from 'node:crypto';
import { callerFrom } from '../auth';
import { ServiceError } from '../errors';
import type { ServiceModel } from '../model';
import type { ApiResponse } from '../protocol';
import { RequestValidator } from '../validate';
import type { World } from '../world';
import type { QueryCtx, QueryServiceDefinition } from './context';
import { hasOperation } from './model';
import { paramTree, QueryParser } from './parse';
import { escapeXml, XmlWriter } from './xml';

export interface QueryRequest {
  authorization: string | undefined;
  body: string;
}

interface Registered {
  service: QueryServiceDefinition;
  parser: QueryParser;
  writer: XmlWriter;
  validator: RequestValidator;
}

const SCOPE_SERVICE = /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/;

/** The SigV4 credential scope's service name ('ec2', 'sts', ...), if the header has one. */
export function scopeService(authorization: string | undefined): string | undefined {
  return authorization ? SCOPE_SERVICE.exec(authorization)?.[1] : undefined;
}

/**
 * Error codes of the JSON-protocol auth errors as Query services name them: a credential scoped to
 * an invalid region is `SignatureDoesNotMatch` (403) there (AWS common errors).
 */
const QUERY_CODES: Record<string, string> = {
  InvalidSignatureException: 'SignatureDoesNotMatch',
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  IncompleteSignatureException: 'IncompleteSignature',
  ThrottlingException: 'Throttling',
};

/**
 * The AWS Query protocol (STS) and its EC2 variant: form-encoded `POST /` with `Action=` and
 * `Version=`, XML responses in the model's namespace with a request id, XML errors (EC2:
 * `<Response><Errors><Error>`, Query: `<ErrorResponse><Error><Type>`). The service is the one the
 * request is signed for (the credential scope's service name).
 */
export class QueryProtocol {
  private readonly services = new Map<string, Registered>();

  constructor(
    private readonly world: World,
    services: QueryServiceDefinition[],
    /** Told about every response (operation, HTTP status, body), as JsonProtocol's listeners. */
    readonly listeners: ((operation: string, status: number, body: string) => void)[] = [],
  ) {
    for (const service of services)
      this.services.set(service.signingName, {
        service,
        parser: new QueryParser(service.model),
        writer: new XmlWriter(service.model),
        validator: new RequestValidator(service.model as unknown as ServiceModel),
      });
  }

  async handle(req: QueryRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const registered = this.services.get(scopeService(req.authorization) ?? '');
    const ec2 = registered?.service.model.metadata.protocol === 'ec2';
    let operation = '';
    try {
      const caller = callerFrom(req.authorization, this.world);
      if (!registered)
        throw new ServiceError(
          'InvalidAction',
          `The request is signed for service '${scopeService(req.authorization) ?? ''}', which this emulator does not serve over the Query protocol.`,
        );
      const { root, params } = paramTree(req.body);
      const action = params.get('Action');
      const model = registered.service.model;
      if (!action) throw new ServiceError('MissingAction', 'The request must contain the parameter Action');
      if (!hasOperation(model, action))
        throw new ServiceError(
          'InvalidAction',
          ec2
            ? `The action ${action} is not valid for this web service.`
            : `Could not find operation ${action} for version ${model.metadata.apiVersion}`,
        );
      operation = action;
      const input = registered.parser.parse(action, root);
      if (ec2) {
        const missing = registered.parser.missingRequired(action, input);
        if (missing)
          throw new ServiceError('MissingParameter', `The request must contain the parameter ${missing}`);
      }
      try {
        registered.validator.validate(action, input);
      } catch (err) {
        if (
          err instanceof ServiceError &&
          (err.code === 'ValidationException' || err.code === 'SerializationException')
        )
          throw new ServiceError(ec2 ? 'InvalidParameterValue' : 'ValidationError', err.message);
        throw err;
      }
      const latency = this.world.faults.config.latencyMs;
      if (latency) await new Promise((r) => setTimeout(r, latency));
      this.world.faults.beforeCall(action);
      const handler = registered.service.handlers[action];
      if (!handler || !Object.hasOwn(registered.service.handlers, action))
        throw new ServiceError(
          ec2 ? 'Unsupported' : 'NotImplemented',
          `Operation ${action} is not implemented by the appstream-autopilot emulator (see IMPLEMENTATION_COVERAGE.md)`,
        );
      // EC2: DryRun answers DryRunOperation (412) once the request is known to be valid.
      if (ec2 && input.DryRun === true)
        throw new ServiceError(
          'DryRunOperation',
          'Request would have succeeded, but DryRun flag is set.',
          412,
        );
      // AppStream lifecycles hold and release network interfaces: apply what is due first.
      this.world.settle(caller.region);
      const ctx: QueryCtx = {
        world: this.world,
        account: caller.account,
        region: caller.region,
        accessKeyId: caller.accessKeyId,
        now: this.world.now(),
        operation: action,
        requestId,
        network: () => this.world.network(caller.account, caller.region),
      };
      const output = ((await handler(input, ctx)) ?? {}) as Record<string, unknown>;
      this.world.faults.afterCall(action);
      return this.reply(action, 200, this.success(registered, action, output, requestId), requestId);
    } catch (err) {
      if (!(err instanceof ServiceError)) console.error(`[emulator] ${operation} failed:`, err);
      return this.failure(err, req.authorization, operation || 'Unknown', requestId);
    }
  }

  /**
   * The XML error answer for a request signed for `authorization`'s service: EC2's
   * `<Response><Errors>` or the Query protocol's `<ErrorResponse>`. Anything but a ServiceError is
   * a 500 InternalError without details.
   */
  failure(
    err: unknown,
    authorization: string | undefined,
    operation = 'Unknown',
    requestId: string = randomUUID(),
  ): ApiResponse {
    const registered = this.services.get(scopeService(authorization) ?? '');
    const ec2 = registered?.service.model.metadata.protocol === 'ec2';
    const e =
      err instanceof ServiceError
        ? err
        : new ServiceError('InternalError', 'An internal error has occurred', 500);
    // EC2 names throttling RequestLimitExceeded (EC2 API reference, "Request throttling").
    const code =
      ec2 && e.code === 'ThrottlingException'
        ? 'RequestLimitExceeded'
        : Object.hasOwn(QUERY_CODES, e.code)
          ? QUERY_CODES[e.code]
          : e.code;
    const body = ec2
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      : `<ErrorResponse xmlns="${registered?.service.model.metadata.xmlNamespace ?? 'https://sts.amazonaws.com/doc/2011-06-15/'}"><Error><Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return this.reply(operation, e.status, body, requestId);
  }

  private success(
    registered: Registered,
    action: string,
    output: Record<string, unknown>,
    requestId: string,
  ): string {
    const model = registered.service.model;
    const op = model.operations[action];
    const ns = model.metadata.xmlNamespace;
    const out: string[] = [`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${ns}">`];
    if (model.metadata.protocol === 'ec2') {
      out.push(`<requestId>${requestId}</requestId>`);
      if (op.output) registered.writer.members(op.output.shape, output, out);
      // EC2 answers `<return>true</return>` for actions without output members.
      else out.push('<return>true</return>');
    } else {
      const wrapper = op.output?.resultWrapper ?? `${action}Result`;
      out.push(`<${wrapper}>`);
      if (op.output) registered.writer.members(op.output.shape, output, out);
      out.push(`</${wrapper}>`, `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`);
    }
    out.push(`</${action}Response>`);
    return out.join('');
  }

  private reply(operation: string, status: number, body: string, requestId?: string): ApiResponse {
    // A listener that fails (e.g. one that expects JSON bodies) must not change the answer.
    for (const listen of this.listeners)
      try {
        listen(operation, status, body);
      } catch {}
    const headers: Record<string, string> = {
      'content-type': 'text/xml;charset=UTF-8',
      'content-length': String(Buffer.byteLength(body)),
    };
    if (requestId) headers['x-amzn-requestid'] = requestId;
    return { status, headers, body };
  }
}
