// The request target (the URL in the request line) as sent by anyone on the internet. `new URL()`
// throws on half of what arrives (`//[`, `http://a:99999/x`), so targets are split by hand here and
// every malformed one is an answer, never an exception.

export type RequestTarget =
  | {
      readonly ok: true;
      readonly path: string;
      readonly query: URLSearchParams;
      /** The target in origin form (`/path?query`), whatever form it came in. */
      readonly originForm: string;
    }
  | { readonly ok: false; readonly error: string };

/** scheme://authority of an absolute-form target (RFC 9112 3.2.2), which a proxy may send. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;
/** A host (name, IPv4 or bracketed IPv6) and an optional port; no user info. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::(\d{0,5}))?$/;
/** A `%` not followed by two hex digits. */
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const MAX_PORT = 65_535;

const malformed = (why: string): RequestTarget => ({ ok: false, error: `malformed request target: ${why}` });

export function parseRequestTarget(raw: string | undefined): RequestTarget {
  let rest = raw ?? '';
  const absolute = ABSOLUTE_FORM.exec(rest);
  if (absolute) {
    const port = AUTHORITY.exec(absolute[1]!)?.[1];
    if (!AUTHORITY.test(absolute[1]!) || (port !== undefined && port !== '' && Number(port) > MAX_PORT)) return malformed('invalid host or port');
    rest = rest.slice(absolute[0].length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  if (!rest.startsWith('/')) return malformed('expected a path starting with /');
  if (BAD_ESCAPE.test(rest)) return malformed('invalid percent-encoding');
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const question = rest.indexOf('?');
  const path = question === -1 ? rest : rest.slice(0, question);
  // URLSearchParams decodes leniently (invalid UTF-8 becomes U+FFFD) and never throws.
  const query = new URLSearchParams(question === -1 ? '' : rest.slice(question + 1));
  return { ok: true, path, query, originForm: rest };
}
