import { randomUUID } from 'node:crypto';
import { callerFrom } from '../auth';
import { ServiceError } from '../errors';
import { tell } from '../listeners';
import type { ServiceModel } from '../model';
import type { ApiResponse, ResponseListener } from '../protocol';
import { RequestValidator } from '../validate';
import type { World } from '../world';
import type { QueryCtx, QueryServiceDefinition } from './context';
import { hasOperation } from './model';
import { formParams, paramOf, QueryParser } from './parse';
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
  // STS: "The security token included in the request is invalid" / "... is expired" (403).
  UnrecognizedClientException: 'InvalidClientTokenId',
  ExpiredTokenException: 'ExpiredToken',
};

/**
 * EC2's names (EC2 API Reference, "Error codes", common client errors): an unknown access key is
 * `AuthFailure` "AWS was not able to validate the provided access credentials" (HTTP 401, as
 * reported in aws-sdk-java#2508); expired temporary credentials are `RequestExpired` "Request has
 * expired." (HTTP 400; what EC2 answers expired STS/SSO credentials, aws-sdk-go-v2#1674);
 * throttling is `RequestLimitExceeded` ("Request throttling").
 */
const EC2_ERRORS: Record<string, [code: string, status?: number, message?: string]> = {
  UnrecognizedClientException: [
    'AuthFailure',
    401,
    'AWS was not able to validate the provided access credentials',
  ],
  ExpiredTokenException: ['RequestExpired', 400, 'Request has expired.'],
  ThrottlingException: ['RequestLimitExceeded'],
};

const shorten = (s: string) => (s.length > 256 ? `${s.slice(0, 256)}...` : s);

/**
 * `Version` is required (EC2 API Reference, "Common query parameters": Action and Version are
 * required). Missing → `MissingParameter` "The request must contain the parameter Version" (the
 * wording EC2 uses for every missing parameter); a version the service doesn't have → EC2
 * `NoSuchVersion` "The requested version (X) of service AmazonEC2 does not exist" (the AWS Query
 * services' code for an unknown API version); STS answers an unknown version as it answers an
 * unknown action for a version: `InvalidAction` "Could not find operation X for version Y".
 */
function checkVersion(version: string | undefined, action: string, apiVersion: string, ec2: boolean): void {
  if (version === undefined || version === '')
    throw new ServiceError('MissingParameter', 'The request must contain the parameter Version');
  if (version === apiVersion) return;
  if (ec2)
    throw new ServiceError(
      'NoSuchVersion',
      `The requested version (${shorten(version)}) of service AmazonEC2 does not exist`,
    );
  throw new ServiceError(
    'InvalidAction',
    `Could not find operation ${action} for version ${shorten(version)}`,
  );
}

const VALIDATION =
  /^\d+ validation errors? detected: Value (.*?) at '([^']*)' failed to satisfy constraint: (.*?)(?:; Value |; \(\d+ more\)|$)/s;

/**
 * A model-constraint violation in EC2's wording (EC2 answers `InvalidParameterValue` "Value (-1)
 * for parameter maxResults is invalid. ..."): the first problem, its value in parentheses.
 */
function ec2Invalid(message: string): ServiceError {
  const m = VALIDATION.exec(message);
  if (!m) return new ServiceError('InvalidParameterValue', message);
  const [, shown, path, constraint] = m;
  const value = shown.startsWith("'") && shown.endsWith("'") ? shown.slice(1, -1) : shown;
  return new ServiceError(
    'InvalidParameterValue',
    `Value (${value}) for parameter ${path} is invalid. ${constraint.replace(/^Member must/, 'It must')}.`,
  );
}

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
    readonly listeners: ResponseListener[] = [],
  ) {
    for (const service of services)
      this.services.set(service.signingName, {
        service,
        parser: new QueryParser(service.model),
        writer: new XmlWriter(service.model),
        validator: new RequestValidator(service.model as unknown as ServiceModel),
      });
  }

  /** True when the request is signed for a service this protocol serves (its credential scope's service). */
  serves(authorization: string | undefined): boolean {
    return this.services.has(scopeService(authorization) ?? '');
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
      const model = registered.service.model;
      const params = formParams(req.body, ec2);
      const action = paramOf(params, 'Action');
      if (!action) throw new ServiceError('MissingAction', 'The request must contain the parameter Action');
      if (!hasOperation(model, action))
        throw new ServiceError(
          'InvalidAction',
          ec2
            ? `The action ${shorten(action)} is not valid for this web service.`
            : `Could not find operation ${shorten(action)} for version ${model.metadata.apiVersion}`,
        );
      operation = action;
      checkVersion(paramOf(params, 'Version'), action, model.metadata.apiVersion, ec2);
      const input = registered.parser.parse(action, registered.parser.tree(action, params));
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
          // STS words model violations like the JSON services: "1 validation error detected: Value
          // '43201' at 'durationSeconds' failed to satisfy constraint: ..." (as quoted from STS in
          // noobaa/noobaa-core#8254); EC2 has its own wording.
          throw ec2 ? ec2Invalid(err.message) : new ServiceError('ValidationError', err.message);
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
    let code = Object.hasOwn(QUERY_CODES, e.code) ? QUERY_CODES[e.code] : e.code;
    let status = e.status;
    let message = e.message;
    if (ec2 && Object.hasOwn(EC2_ERRORS, e.code)) {
      const [c, s, m] = EC2_ERRORS[e.code];
      code = c;
      status = s ?? status;
      message = m ?? message;
    }
    const body = ec2
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      : `<ErrorResponse xmlns="${registered?.service.model.metadata.xmlNamespace ?? 'https://sts.amazonaws.com/doc/2011-06-15/'}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return this.reply(operation, status, body, requestId);
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
    // A listener that fails (e.g. one that expects JSON bodies), thrown or rejected, must not
    // change the answer; it is not reported, as listeners written for JSON bodies fail on XML.
    tell(this.listeners, [operation, status, body], () => {});
    const headers: Record<string, string> = {
      'content-type': 'text/xml;charset=UTF-8',
      'content-length': String(Buffer.byteLength(body)),
    };
    if (requestId) headers['x-amzn-requestid'] = requestId;
    return { status, headers, body };
  }
}
