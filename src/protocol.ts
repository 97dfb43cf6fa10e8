// Wire protocol between a page (or app) and Headcount: message types, validation and close codes.
// docs/protocol.md describes the same for people; the client imports the types from here.
import type { Source } from './audience/source.js';

export type Visibility = 'visible' | 'hidden';
export type Kind = 'guest' | 'member' | 'bot';

export interface HelloMessage {
  t: 'hello';
  site: string;
  vid: string;
  psid: string;
  url: string;
  ref?: string;
  /** Member token signed by the site's backend. */
  member?: string;
  /** Resume ticket from an earlier welcome: keeps a member counted as one after the token expired. */
  ticket?: string;
  vis?: Visibility;
  sub?: boolean;
  /** The page reports an automated browser (navigator.webdriver). */
  bot?: boolean;
  /** The page's <link rel=canonical> href: the page's identity when it is on one of the site's origins. */
  canon?: string;
  title?: string;
  /** meta article:section. */
  section?: string;
  /** meta article:author or author. */
  author?: string;
}

export interface PageMessage {
  t: 'page';
  psid: string;
  url: string;
  ref?: string;
  canon?: string;
  title?: string;
  section?: string;
  author?: string;
}

/** The reader became engaged (visible page, input in the last 15 s) or idle. */
export interface EngagementMessage {
  t: 'eng';
  on: boolean;
}

/** Subscribes this socket to the site's live view (top `n` pages); allowed without a hello. */
export interface LiveSubscribeMessage {
  t: 'live';
  on: boolean;
  /** Pages in each push, 1-100; 10 when absent. */
  n: number;
  /** The site's readToken or ADMIN_TOKEN: needed when the site's live view is private. */
  token?: string;
}

/** Subscribes this socket to the readers count of its own page (follows `page` messages). */
export interface ReadersSubscribeMessage {
  t: 'readers';
  on: boolean;
}

export interface VisibilityMessage {
  t: 'vis';
  vis: Visibility;
}

export interface SubscribeMessage {
  t: 'sub';
  on: boolean;
}

export type ClientMessage =
  | HelloMessage
  | PageMessage
  | VisibilityMessage
  | SubscribeMessage
  | EngagementMessage
  | LiveSubscribeMessage
  | ReadersSubscribeMessage;

/** Pages a live view may ask for; the default when it does not say. */
export const LIVE_LIMIT_MAX = 100;
export const LIVE_LIMIT_DEFAULT = 10;

export interface LiveViewPage {
  url: string;
  title?: string;
  section?: string;
  author?: string;
  readers: number;
  engaged: number;
  sources: Record<Source, number>;
}

export interface LiveView {
  site: string;
  at: string;
  online: Counts['online'];
  engaged: number;
  sources: Record<Source, number>;
  referrers: { host: string; readers: number }[];
  pages: LiveViewPage[];
}

export interface Counts {
  site: string;
  /** total = guests + members; bots are counted apart and never in total. */
  online: { guests: number; members: number; total: number; bots: number };
  /** yesterday: the whole of the site's previous local calendar day. */
  visits: { total: number; today: number; month: number; yesterday: number };
  pageviews: { total: number; today: number; month: number; yesterday: number };
  peak: { online: number; at: string | null };
  at: string;
  /** Present (true) while the figures may be out of date: the store cannot be read or cannot save. */
  stale?: true;
}

export interface WelcomeMessage {
  t: 'welcome';
  psid: string;
  resumed: boolean;
  kind: Kind;
  /** Present for members: send it back as `ticket` when reconnecting this page session. */
  ticket?: string;
  /** Server ping interval in ms; a client that hears nothing for two intervals should reconnect. */
  hb: number;
}

export interface CountsMessage extends Counts {
  t: 'counts';
}

/** The live view (src/live-view.ts), exactly as GET /api/sites/SITE/live answers it, with the socket's `n` as limit. */
export interface LiveMessage extends LiveView {
  t: 'live';
}

export interface ReadersMessage {
  t: 'readers';
  /** The page as the server counts it (normalised; "(other)" for a page not on the site). */
  url: string;
  readers: number;
}

export type ServerMessage = WelcomeMessage | CountsMessage | LiveMessage | ReadersMessage;

/** WebSocket close codes Headcount uses; the close reason says which field or rule failed. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** A push subscriber that stopped reading (SLOW_READER_BYTES unsent for SLOW_READER_MS). */
  slowReader: 1008,
  tooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badMessage: 4400,
  badMemberToken: 4401,
  forbidden: 4403,
  wrongSite: 4404,
  helloTimeout: 4408,
  replaced: 4409,
  rateLimited: 4429,
} as const;

// Room for a hello from a real page: three 1 KB URLs, a Vietnamese title, a member token and a ticket.
export const MAX_MESSAGE_BYTES = 8192;
const ID = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_URL = 2048;
const MAX_TOKEN = 2048;
/** Raw lengths accepted; src/audience/page-meta.ts cleans and caps further. */
const MAX_TITLE = 1024;
const MAX_SECTION = 256;
const MAX_AUTHOR = 256;
const MAX_READ_TOKEN = 256;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

type Fields = Record<string, unknown>;

function id(m: Fields, name: string): string {
  const value = m[name];
  if (typeof value !== 'string' || !ID.test(value)) throw new ProtocolError(`${name}: expected 8-64 characters of A-Z a-z 0-9 _ -`);
  return value;
}

function str(m: Fields, name: string, max: number, required: true): string;
function str(m: Fields, name: string, max: number, required: false): string | undefined;
function str(m: Fields, name: string, max: number, required: boolean): string | undefined {
  const value = m[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length > max || (required && value.length === 0)) {
    throw new ProtocolError(`${name}: expected a string of ${required ? 1 : 0}-${max} characters`);
  }
  return value;
}

function bool(m: Fields, name: string): boolean | undefined {
  const value = m[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ProtocolError(`${name}: expected true or false`);
  return value;
}

function visibility(m: Fields, name: string, required: boolean): Visibility | undefined {
  const value = m[name];
  if (value === undefined && !required) return undefined;
  if (value !== 'visible' && value !== 'hidden') throw new ProtocolError(`${name}: expected "visible" or "hidden"`);
  return value;
}

function on(m: Fields): boolean {
  const value = bool(m, 'on');
  if (value === undefined) throw new ProtocolError('on: expected true or false');
  return value;
}

function count(m: Fields, name: string, min: number, max: number, fallback: number): number {
  const value = m[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ProtocolError(`${name}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

const PAGE_FIELDS = ['canon', 'title', 'section', 'author'] as const;

/** The optional page identity fields of hello and page, copied onto `into` when present. */
function pageFields(m: Fields, into: { canon?: string; title?: string; section?: string; author?: string }): void {
  const canon = str(m, 'canon', MAX_URL, false);
  const title = str(m, 'title', MAX_TITLE, false);
  const section = str(m, 'section', MAX_SECTION, false);
  const author = str(m, 'author', MAX_AUTHOR, false);
  if (canon !== undefined) into.canon = canon;
  if (title !== undefined) into.title = title;
  if (section !== undefined) into.section = section;
  if (author !== undefined) into.author = author;
}

function only(m: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(m)) {
    if (!allowed.includes(key)) throw new ProtocolError(`unknown field "${key}"`);
  }
}

/** Parses one text frame; throws ProtocolError with a reason short enough for a close frame (< 123 bytes). */
export function parseClientMessage(text: string): ClientMessage {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new ProtocolError('not JSON');
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ProtocolError('expected a JSON object');
  const fields = m as Fields;
  switch (fields.t) {
    case 'hello': {
      only(fields, ['t', 'site', 'vid', 'psid', 'url', 'ref', 'member', 'ticket', 'vis', 'sub', 'bot', ...PAGE_FIELDS]);
      const site = str(fields, 'site', 64, true);
      const hello: HelloMessage = { t: 'hello', site, vid: id(fields, 'vid'), psid: id(fields, 'psid'), url: str(fields, 'url', MAX_URL, true) };
      const ref = str(fields, 'ref', MAX_URL, false);
      const member = str(fields, 'member', MAX_TOKEN, false);
      const ticket = str(fields, 'ticket', MAX_TOKEN, false);
      const vis = visibility(fields, 'vis', false);
      const sub = bool(fields, 'sub');
      const bot = bool(fields, 'bot');
      if (ref !== undefined) hello.ref = ref;
      if (member !== undefined) hello.member = member;
      if (ticket !== undefined) hello.ticket = ticket;
      if (vis !== undefined) hello.vis = vis;
      if (sub !== undefined) hello.sub = sub;
      if (bot !== undefined) hello.bot = bot;
      pageFields(fields, hello);
      return hello;
    }
    case 'page': {
      only(fields, ['t', 'psid', 'url', 'ref', ...PAGE_FIELDS]);
      const page: PageMessage = { t: 'page', psid: id(fields, 'psid'), url: str(fields, 'url', MAX_URL, true) };
      const ref = str(fields, 'ref', MAX_URL, false);
      if (ref !== undefined) page.ref = ref;
      pageFields(fields, page);
      return page;
    }
    case 'vis':
      only(fields, ['t', 'vis']);
      return { t: 'vis', vis: visibility(fields, 'vis', true)! };
    case 'sub':
      only(fields, ['t', 'on']);
      return { t: 'sub', on: on(fields) };
    case 'eng':
      only(fields, ['t', 'on']);
      return { t: 'eng', on: on(fields) };
    case 'live': {
      only(fields, ['t', 'on', 'n', 'token']);
      const live: LiveSubscribeMessage = { t: 'live', on: on(fields), n: count(fields, 'n', 1, LIVE_LIMIT_MAX, LIVE_LIMIT_DEFAULT) };
      const token = str(fields, 'token', MAX_READ_TOKEN, false);
      if (token !== undefined) live.token = token;
      return live;
    }
    case 'readers':
      only(fields, ['t', 'on']);
      return { t: 'readers', on: on(fields) };
    default:
      throw new ProtocolError(typeof fields.t === 'string' ? `unknown message type "${fields.t.slice(0, 32)}"` : 't: missing message type');
  }
}
