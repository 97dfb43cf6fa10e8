// Many page sessions read the same article: its url, title, section, author and referring host are
// kept once, not once per session (each hello parses its own copies). Bounded: the table starts
// over when full, so junk texts cost at most a table, never a leak; sessions keep their strings.
const MAX_TEXTS = 40_000;

let texts = new Map<string, string>();

/** The one kept copy of `text` (`text` itself the first time). */
export function intern(text: string): string {
  const known = texts.get(text);
  if (known !== undefined) return known;
  if (texts.size >= MAX_TEXTS) texts = new Map();
  texts.set(text, text);
  return text;
}

export function internOptional(text: string | undefined): string | undefined {
  return text === undefined ? undefined : intern(text);
}
