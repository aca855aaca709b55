// A request the server refuses: the HTTP status and a short reason. Reasons name what was wrong
// and where (input, instance, axis), never the request's own content.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);

/**
 * What a request value was, for a reason that does not repeat the request back: its kind, or a
 * number or a short word itself (bounded, and JSON-quoted so it cannot forge the reply).
 */
export function describeRequestValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return value.length <= 8 && /^[\w .+-]*$/.test(value) ? JSON.stringify(value) : 'a string';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'boolean' || typeof value === 'number' ? String(value) : typeof value;
}
