/**
 * An AWS-shaped service error: serialized as `{"__type": code, "message": ...}` with `status`.
 * Operations throw these; the protocol layer turns anything else into a 500 InternalFailure
 * without leaking the stack.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const notFound = (what: string, name: string) =>
  new ServiceError('ResourceNotFoundException', `The ${what} '${name}' can't be found.`);

export const alreadyExists = (what: string, name: string) =>
  new ServiceError('ResourceAlreadyExistsException', `The ${what} '${name}' already exists.`);

export const invalidCombination = (message: string) =>
  new ServiceError('InvalidParameterCombinationException', message);

export const notPermitted = (message: string) => new ServiceError('OperationNotPermittedException', message);

export const inUse = (message: string) => new ServiceError('ResourceInUseException', message);

export const limitExceeded = (message: string) => new ServiceError('LimitExceededException', message);
