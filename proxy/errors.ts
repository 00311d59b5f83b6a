// Toxiproxy's API errors: the same messages and status codes, so clients that branch on them
// (and people who grep logs for them) see what they know.

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequestBody = (detail: string): ApiError => new ApiError(`bad request body: ${detail}`, 400);
export const missingField = (detail: string): ApiError =>
  new ApiError(`missing required field: ${detail}`, 400);
export const proxyNotFound = (): ApiError => new ApiError('proxy not found', 404);
export const proxyAlreadyExists = (): ApiError => new ApiError('proxy already exists', 409);
export const invalidStream = (): ApiError =>
  new ApiError('stream was invalid, can be either upstream or downstream', 400);
export const invalidToxicType = (): ApiError => new ApiError('invalid toxic type', 400);
export const toxicAlreadyExists = (): ApiError => new ApiError('toxic already exists', 409);
export const toxicNotFound = (): ApiError => new ApiError('toxic not found', 404);
