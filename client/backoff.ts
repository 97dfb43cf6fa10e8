// Reconnect delay from docs/protocol.md §3: capped exponential backoff with jitter, so a server
// restart does not bring every page back in the same second.
export const backoff = (attempt: number, random = Math.random()): number => Math.min(30e3, 500 * 2 ** attempt) * (0.5 + random / 2);
