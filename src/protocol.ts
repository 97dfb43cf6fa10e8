// Wire protocol between a page (or app) and Headcount: message types, validation and close codes.
// docs/protocol.md describes the same for people; the client imports the types from here.

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
}

export interface PageMessage {
  t: 'page';
  psid: string;
  url: string;
  ref?: string;
}

export interface VisibilityMessage {
  t: 'vis';
  vis: Visibility;
}

export interface SubscribeMessage {
  t: 'sub';
  on: boolean;
}

export type ClientMessage = HelloMessage | PageMessage | VisibilityMessage | SubscribeMessage;

export interface Counts {
  site: string;
  /** total = guests + members; bots are counted apart and never in total. */
  online: { guests: number; members: number; total: number; bots: number };
  visits: { total: number; today: number; month: number };
  pageviews: { total: number; today: number; month: number };
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

export type ServerMessage = WelcomeMessage | CountsMessage;

/** WebSocket close codes Headcount uses; the close reason says which field or rule failed. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badMessage: 4400,
  badMemberToken: 4401,
  wrongSite: 4404,
  helloTimeout: 4408,
  replaced: 4409,
  rateLimited: 4429,
} as const;

export const MAX_MESSAGE_BYTES = 4096;
const ID = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_URL = 2048;
const MAX_TOKEN = 2048;

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
      only(fields, ['t', 'site', 'vid', 'psid', 'url', 'ref', 'member', 'ticket', 'vis', 'sub', 'bot']);
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
      return hello;
    }
    case 'page': {
      only(fields, ['t', 'psid', 'url', 'ref']);
      const page: PageMessage = { t: 'page', psid: id(fields, 'psid'), url: str(fields, 'url', MAX_URL, true) };
      const ref = str(fields, 'ref', MAX_URL, false);
      if (ref !== undefined) page.ref = ref;
      return page;
    }
    case 'vis':
      only(fields, ['t', 'vis']);
      return { t: 'vis', vis: visibility(fields, 'vis', true)! };
    case 'sub': {
      only(fields, ['t', 'on']);
      const on = bool(fields, 'on');
      if (on === undefined) throw new ProtocolError('on: expected true or false');
      return { t: 'sub', on };
    }
    default:
      throw new ProtocolError(typeof fields.t === 'string' ? `unknown message type "${fields.t.slice(0, 32)}"` : 't: missing message type');
  }
}
