// Visitor and page-session ids (docs/protocol.md §2: 8-64 characters of A-Z a-z 0-9 _ -).

/** 16 random bytes, each in base 36 (16-32 characters). crypto.randomUUID is missing on plain-http pages; getRandomValues works everywhere. */
export const newId = (): string => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(36)).join('');

const KEY = 'hc_vid';

/**
 * One id per browser, kept in localStorage so tabs count once. With Global Privacy Control, on a
 * cookieless site (the server tells visitors apart itself), or when storage is blocked (it throws),
 * the id lives only as long as this page: still counted, not remembered.
 */
export function visitorId(remember: boolean): string {
  try {
    if (!remember || (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl) throw 0;
    let vid = localStorage.getItem(KEY);
    if (!vid || !/^[\w-]{8,64}$/.test(vid)) localStorage.setItem(KEY, (vid = newId()));
    return vid;
  } catch {
    return newId();
  }
}
