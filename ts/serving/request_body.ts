// Reading a request body within the limits: its size (413) and, for JSON, how deeply it nests
// (400), checked on the bytes before JSON.parse builds anything.
import type { IncomingMessage } from 'node:http';
import { badRequest, HttpError } from './http_error.js';

const tooLarge = (limit: number) => new HttpError(413, `request body larger than ${limit} bytes`);

/** The whole body; refuses a declared or actual length over `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    length += (chunk as Buffer).length;
    if (length > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
}

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Throws a 400 when arrays and objects nest deeper than `maxDepth` (strings skipped). */
export function checkJsonDepth(body: Buffer, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > maxDepth) throw badRequest(`the JSON body nests deeper than ${maxDepth} levels`);
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
  }
}

/** The body as JSON, within the depth limit; a 400 naming the problem (not the body) otherwise. */
export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  checkJsonDepth(body, maxDepth);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    // V8's message quotes the offending text; keep only where it is.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw badRequest(`the body is not valid JSON${at === undefined ? '' : ` (error at byte ${at})`}`);
  }
}
