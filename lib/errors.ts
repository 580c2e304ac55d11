/**
 * Named errors. Each carries its HTTP status and a message safe to show a client;
 * lib/http/middleware.ts is the one place that turns them into `{"detail": ...}`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'Could not validate credentials') {
    super(401, message, { 'WWW-Authenticate': 'Bearer' });
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'Not found') {
    super(404, message);
  }
}

/** The request conflicts with work in progress (a reply is being written in the thread). */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

/** The caller is past a rate limit: nothing was done; `Retry-After` says when the window ends. */
export class TooManyRequestsError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, `Request body is larger than ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor() {
    super(415, 'Request body must be JSON (Content-Type: application/json)');
  }
}

/** The database or another dependency is unreachable: the client may retry later. */
export class ServiceUnavailableError extends HttpError {
  constructor(message = 'Service temporarily unavailable, please retry', retryAfterSeconds = 5, options?: { cause?: unknown }) {
    super(503, message, { 'Retry-After': String(retryAfterSeconds) }, options);
  }
}

/** An upstream service (the model, a search API) answered with an error. */
export class UpstreamError extends HttpError {
  constructor(message = 'Upstream service error', status: 502 | 503 | 504 = 502, options?: { cause?: unknown }) {
    super(status, message, status === 503 ? { 'Retry-After': '5' } : {}, options);
  }
}
