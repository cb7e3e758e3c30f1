/**
 * The API's errors: each a stable `name` (the JSON body's `error`) and an HTTP status. Callers get
 * `{"error": "<name>", "message": "..."}`, never a stack trace.
 */
import { NamedError } from '../errors';

export class ApiError extends NamedError {
  constructor(
    readonly status: number,
    name: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(name, message);
  }
}

/** 401: no signature (signed routes), or no IAM caller (IAM routes reached without API Gateway's auth). */
export const unauthorized = (message: string) =>
  new ApiError(401, 'Unauthorized', message, { 'WWW-Authenticate': 'HMAC-SHA256' });
/** 403: a signature that does not verify. */
export const invalidSignature = (message: string) => new ApiError(403, 'InvalidSignature', message);
/** 403: a correctly signed request outside the replay window. */
export const requestExpired = (message: string) => new ApiError(403, 'RequestExpired', message);
/** 413: a body over MAX_BODY_BYTES. */
export const payloadTooLarge = (message: string) => new ApiError(413, 'PayloadTooLarge', message);
/** 400: a body that is not JSON. */
export const invalidJson = (message: string) => new ApiError(400, 'InvalidJson', message);
/** 400: a body or header that breaks the schema; the message names the field. */
export const invalidRequest = (message: string) => new ApiError(400, 'InvalidRequest', message);
/** 404s. */
export const unknownPipeline = (name: string) =>
  new ApiError(404, 'UnknownPipeline', `no pipeline named '${name}' in this deployment`);
export const runNotFound = (id: string) => new ApiError(404, 'RunNotFound', `no run '${id}'`);
export const fleetNotFound = (name: string) =>
  new ApiError(404, 'FleetNotFound', `no fleet named '${name}' in this region`);
export const routeNotFound = (method: string, path: string) =>
  new ApiError(404, 'RouteNotFound', `no route ${method} ${path}`);
