// Visitor and page-session ids (docs/protocol.md §2: 8-64 characters of A-Z a-z 0-9 _ -).

/** Five random 32-bit numbers joined by "-" (160 bits, 9-54 characters). crypto.randomUUID is missing on plain-http pages; getRandomValues works everywhere. */
export const newId = (): string => crypto.getRandomValues(new Uint32Array(5)).join('-');

/**
 * One id per browser, kept in localStorage so tabs count once. With Global Privacy Control, on a
 * cookieless site (the server tells visitors apart itself), or when storage is blocked (it throws),
 * the id lives only as long as this page: still counted, not remembered.
 */
export function visitorId(remember: boolean): string {
  try {
    if (remember && !(navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl) {
      // Storage's named properties: the key hc_vid, as getItem/setItem would read and write it.
      let vid = localStorage.hc_vid;
      if (!vid || !/^[\w-]{8,64}$/.test(vid)) localStorage.hc_vid = vid = newId();
      return vid;
    }
  } catch {
    // Storage is blocked: an id for this page only, as below.
  }
  return newId();
}
