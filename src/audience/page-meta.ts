// Titles, sections and authors as a tracker reports them, cleaned for a dashboard: no control or invisible
// characters (an editor's screen must show what is there), one space between words, bounded length.

export const MAX_TITLE_LENGTH = 200;
export const MAX_SECTION_LENGTH = 64;
export const MAX_AUTHOR_LENGTH = 64;
/** Input past this many UTF-16 units is cut before cleaning, so the work per message stays bounded. */
const MAX_RAW_LENGTH = 4096;

// Line breaks and tabs are word breaks: "Title\nSubtitle" reads as "Title Subtitle".
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// C0 and DEL, C1, bidi marks, embeddings, overrides and isolates, zero-width characters, BOM, lone surrogates.
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SPACES = /\s+/g;

/** Cleaned text of at most maxCodePoints code points (never half a surrogate pair), or undefined when nothing is left. */
export function cleanText(raw: unknown, maxCodePoints: number): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw
    .slice(0, MAX_RAW_LENGTH)
    .replace(BREAKS, ' ')
    .replace(INVISIBLE, '')
    // One spelling per title: Vietnamese typed on different systems arrives precomposed or decomposed.
    .normalize('NFC')
    .replace(SPACES, ' ')
    .trim();
  const points = Array.from(text);
  const capped = points.length > maxCodePoints ? points.slice(0, maxCodePoints).join('').trimEnd() : text;
  return capped === '' ? undefined : capped;
}

export const cleanTitle = (raw: unknown) => cleanText(raw, MAX_TITLE_LENGTH);
export const cleanSection = (raw: unknown) => cleanText(raw, MAX_SECTION_LENGTH);
export const cleanAuthor = (raw: unknown) => cleanText(raw, MAX_AUTHOR_LENGTH);

export interface PageMeta {
  readonly title?: string;
  readonly section?: string;
  readonly author?: string;
}

/** The cleaned metadata of a page, with absent or empty fields left out. */
export function cleanPageMeta(raw: { title?: unknown; section?: unknown; author?: unknown }): PageMeta {
  const meta: { title?: string; section?: string; author?: string } = {};
  const title = cleanTitle(raw.title);
  const section = cleanSection(raw.section);
  const author = cleanAuthor(raw.author);
  if (title !== undefined) meta.title = title;
  if (section !== undefined) meta.section = section;
  if (author !== undefined) meta.author = author;
  return meta;
}
