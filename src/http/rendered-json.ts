// The cached readers hand out one figures object per site for about a second: it is serialised and
// hashed once, not once per request.
import { createHash } from 'node:crypto';

export interface RenderedJson {
  readonly body: string;
  /** Strong validator: Express answers a matching If-None-Match with 304 and no body. */
  readonly etag: string;
}

const rendered = new WeakMap<object, RenderedJson>();

export function renderJson(figures: object): RenderedJson {
  let done = rendered.get(figures);
  if (!done) {
    const body = JSON.stringify(figures);
    done = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    rendered.set(figures, done);
  }
  return done;
}
