// Where a page session came from, from its referrer and the landing URL's UTM parameters.
// The rules and the host list are documented in docs/sources.md; keep the two in step.
import { hostOnOrigins } from '../sites.js';

export const SOURCES = ['direct', 'internal', 'search', 'social', 'ai', 'email', 'other'] as const;
export type Source = (typeof SOURCES)[number];

export interface SourceInput {
  /** document.referrer as the tracker sent it; empty or absent when the browser sent none. */
  readonly referrer?: unknown;
  readonly utmSource?: unknown;
  readonly utmMedium?: unknown;
  /** The site's origin patterns (src/sites.ts syntax): a referrer on one of their hosts is internal. */
  readonly siteOrigins: readonly string[];
}

export interface Classified {
  readonly source: Source;
  /** The referring host (lower case, without "www."), or the app package of an android-app:// referrer;
   * undefined for no referrer, an unusable one, or the site itself. */
  readonly host: string | undefined;
}

/** Longest host name DNS allows; anything longer is not a real referrer. */
const MAX_HOST_LENGTH = 253;
const MAX_UTM_LENGTH = 100;
const MAX_REFERRER_LENGTH = 8192;

export type Channel = Exclude<Source, 'direct' | 'internal' | 'other'>;

/** Hosts by channel. A host matches itself and its subdomains, on label boundaries; the longest match wins,
 * so gemini.google.com is ai while www.google.com is search. */
export const HOSTS: Readonly<Record<Channel, readonly string[]>> = {
  search: [
    'coccoc.com',
    'bing.com',
    'search.yahoo.com',
    'search.yahoo.co.jp',
    'duckduckgo.com',
    'ya.ru',
    'baidu.com',
    'ecosia.org',
    'naver.com',
    'search.brave.com',
    'startpage.com',
    'qwant.com',
    'search.aol.com',
    'seznam.cz',
    'sogou.com',
  ],
  social: [
    'facebook.com',
    'fb.com',
    'fb.me',
    'fb.watch',
    'messenger.com',
    'zalo.me',
    'zaloapp.com',
    'tiktok.com',
    'youtube.com',
    'youtu.be',
    'x.com',
    't.co',
    'twitter.com',
    'threads.net',
    'threads.com',
    'instagram.com',
    'linkedin.com',
    'lnkd.in',
    'reddit.com',
    'redd.it',
    'pinterest.com',
    'pin.it',
    't.me',
    'telegram.me',
    'telegram.org',
    'whatsapp.com',
    'wa.me',
  ],
  ai: [
    'chatgpt.com',
    'chat.openai.com',
    'perplexity.ai',
    'gemini.google.com',
    'bard.google.com',
    'copilot.microsoft.com',
    'claude.ai',
    'chat.deepseek.com',
    'grok.com',
    'chat.mistral.ai',
    'meta.ai',
    'poe.com',
  ],
  email: [
    'mail.google.com',
    'outlook.live.com',
    'outlook.office.com',
    'outlook.office365.com',
    'mail.yahoo.com',
    'mail.aol.com',
    'mail.proton.me',
    'mail.zoho.com',
  ],
};

/** Search engines that use many country domains: google.com.vn, google.de, yandex.ru, ... */
export const SEARCH_BRANDS: ReadonlySet<string> = new Set(['google', 'yandex']);
const COUNTRY_SUFFIX = /^(com|[a-z]{2}|cat)$|^(com|co|org|net|edu|gov|ac|ne|or)\.[a-z]{2}$/;

/** Android apps that send android-app://PACKAGE referrers. */
export const APPS: Readonly<Record<Channel, readonly string[]>> = {
  search: ['com.google.android.googlequicksearchbox', 'com.microsoft.bing'],
  social: [
    'com.zing.zalo',
    'com.facebook.katana',
    'com.facebook.lite',
    'com.facebook.orca',
    'com.instagram.android',
    'com.instagram.barcelona',
    'com.twitter.android',
    'com.zhiliaoapp.musically',
    'com.ss.android.ugc.trill',
    'com.google.android.youtube',
    'com.linkedin.android',
    'com.reddit.frontpage',
    'com.pinterest',
    'org.telegram.messenger',
    'com.whatsapp',
  ],
  ai: ['com.openai.chatgpt', 'ai.perplexity.app.android', 'com.google.android.apps.bard', 'com.anthropic.claude', 'com.microsoft.copilot'],
  email: ['com.google.android.gm', 'com.microsoft.office.outlook', 'com.yahoo.mobile.client.android.mail'],
};

/** utm_medium values, lower case. Paid search is search: an editor asks which door a reader came through, not who paid. */
export const EMAIL_MEDIA: ReadonlySet<string> = new Set(['email', 'e-mail', 'e_mail', 'e mail', 'newsletter']);
export const SOCIAL_MEDIA: ReadonlySet<string> = new Set([
  'social',
  'social-network',
  'social_network',
  'social-media',
  'social_media',
  'sm',
  'paid-social',
  'paid_social',
  'paidsocial',
  'organic-social',
  'organic_social',
]);
export const SEARCH_MEDIA: ReadonlySet<string> = new Set(['cpc', 'ppc', 'paid-search', 'paid_search', 'paidsearch', 'sem', 'organic']);

/** utm_source names besides host names (utm_source=facebook.com is looked up as a host). */
export const SOURCE_NAMES: Readonly<Record<Channel, readonly string[]>> = {
  search: ['google', 'bing', 'coccoc', 'cốc cốc', 'yahoo', 'duckduckgo', 'yandex', 'baidu', 'ecosia', 'naver'],
  social: [
    'facebook',
    'fb',
    'messenger',
    'zalo',
    'tiktok',
    'youtube',
    'x',
    'twitter',
    'threads',
    'instagram',
    'ig',
    'linkedin',
    'reddit',
    'pinterest',
    'telegram',
    'whatsapp',
  ],
  ai: ['chatgpt', 'openai', 'perplexity', 'gemini', 'copilot', 'claude'],
  email: ['email', 'e-mail', 'newsletter'],
};

function index(table: Readonly<Record<Channel, readonly string[]>>): ReadonlyMap<string, Channel> {
  const map = new Map<string, Channel>();
  for (const [channel, names] of Object.entries(table) as [Channel, readonly string[]][]) {
    for (const name of names) map.set(name, channel);
  }
  return map;
}

const HOST_CHANNELS = index(HOSTS);
const APP_CHANNELS = index(APPS);
const NAME_CHANNELS = index(SOURCE_NAMES);
const ANDROID_APP = /^android-app:\/\/([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)(?:[/?#]|$)/i;

/** The channel of a host name by the built-in list, or undefined for a host not on it. */
export function channelOfHost(hostname: string): Channel | undefined {
  const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  for (let i = 0; i < labels.length; i++) {
    const channel = HOST_CHANNELS.get(labels.slice(i).join('.'));
    if (channel) return channel;
    if (SEARCH_BRANDS.has(labels[i]!) && COUNTRY_SUFFIX.test(labels.slice(i + 1).join('.'))) return 'search';
  }
  return undefined;
}

function utmValue(raw: unknown): string {
  return typeof raw === 'string' && raw.length <= MAX_UTM_LENGTH ? raw.trim().toLowerCase() : '';
}

function channelOfUtmSource(source: string): Channel | undefined {
  if (source === '') return undefined;
  return NAME_CHANNELS.get(source) ?? (source.includes('.') ? channelOfHost(source) : undefined);
}

/** The source a landing URL's UTM parameters say, or undefined when they say nothing this list knows. */
function sourceOfUtm(utmSource: string, utmMedium: string): Channel | undefined {
  const named = channelOfUtmSource(utmSource);
  if (EMAIL_MEDIA.has(utmMedium) || named === 'email') return 'email';
  if (named === 'ai') return 'ai';
  if (named === 'social' || SOCIAL_MEDIA.has(utmMedium)) return 'social';
  if (SEARCH_MEDIA.has(utmMedium) || (named === 'search' && utmMedium === '')) return 'search';
  return undefined;
}

interface Referrer {
  readonly host: string;
  readonly channel: Channel | undefined;
  readonly internal: boolean;
}

/** The referrer's host and what the lists make of it; undefined when it is not a usable http(s) or app referrer. */
function parseReferrer(raw: string, siteOrigins: readonly string[]): Referrer | undefined {
  const app = ANDROID_APP.exec(raw);
  if (app) {
    const pkg = app[1]!.toLowerCase();
    return pkg.length <= MAX_HOST_LENGTH ? { host: pkg, channel: APP_CHANNELS.get(pkg), internal: false } : undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const hostname = url.hostname.replace(/\.$/, '');
  if (hostname === '' || hostname.length > MAX_HOST_LENGTH) return undefined;
  return {
    host: hostname.startsWith('www.') ? hostname.slice(4) : hostname,
    channel: channelOfHost(hostname),
    internal: hostOnOrigins(siteOrigins, hostname),
  };
}

/**
 * Order: a referrer on the site itself is internal; then UTM parameters the lists know; then the referrer's
 * host; a referrer on no list is other. With no referrer: direct, unless UTM parameters were present but
 * unknown (a tagged campaign link is not a typed address), which is other.
 */
export function classifySource(input: SourceInput): Classified {
  const raw = typeof input.referrer === 'string' ? input.referrer.trim() : '';
  // Browsers cap referrers at 4 kB: a longer one was sent, but is nothing to parse.
  const referrer = raw === '' || raw.length > MAX_REFERRER_LENGTH ? undefined : parseReferrer(raw, input.siteOrigins);
  if (referrer?.internal) return { source: 'internal', host: undefined };
  const host = referrer?.host;
  const utmSource = utmValue(input.utmSource);
  const utmMedium = utmValue(input.utmMedium);
  const tagged = sourceOfUtm(utmSource, utmMedium);
  if (tagged) return { source: tagged, host };
  if (referrer?.channel) return { source: referrer.channel, host };
  if (raw !== '' || utmSource !== '' || utmMedium !== '') return { source: 'other', host };
  return { source: 'direct', host: undefined };
}

/** The UTM parameters of a landing URL, read before the URL is normalised (which drops them). */
export function utmOf(landingUrl: unknown): { utmSource?: string; utmMedium?: string } {
  if (typeof landingUrl !== 'string' || landingUrl.length > MAX_REFERRER_LENGTH) return {};
  let url: URL;
  try {
    url = new URL(landingUrl);
  } catch {
    return {};
  }
  const utmSource = url.searchParams.get('utm_source') ?? undefined;
  const utmMedium = url.searchParams.get('utm_medium') ?? undefined;
  return { ...(utmSource !== undefined && { utmSource }), ...(utmMedium !== undefined && { utmMedium }) };
}
