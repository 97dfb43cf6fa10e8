// What a join, engage or leave must carry, checked before any Redis call so bad input never reaches a script.
import { MAX_PAGE_URL_LENGTH } from '../../audience/page-url.js';
import { SOURCES } from '../../audience/source.js';
import type { EngagementReport, JoinInput, Kind } from '../store.js';
import type { JoinPage } from './scripts.js';

const KIND_CODE: Record<Kind, string> = { guest: 'g', member: 'm', bot: 'b' };
/** Longest referring host DNS allows. */
const MAX_HOST_LENGTH = 253;
const NO_SPACE = /^\S+$/;

export function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(message);
}

/** The join's identity tag "<k>:<identity>" (lua/includes/sessions.lua) and the page it reads. */
export function checkedJoin(input: JoinInput): { tag: string; page: JoinPage | undefined } {
  check(typeof input.psid === 'string' && input.psid !== '', 'psid: expected a non-empty string');
  check(typeof input.identity === 'string' && NO_SPACE.test(input.identity), 'identity: expected a non-empty string without spaces');
  check(typeof input.visitor === 'string' && NO_SPACE.test(input.visitor), 'visitor: expected a non-empty string without spaces');
  check(Object.hasOwn(KIND_CODE, input.kind), 'kind: expected guest, member or bot');
  check(Number.isFinite(input.now), 'now: expected a time in ms');
  return { tag: `${KIND_CODE[input.kind]}:${input.identity}`, page: joinPage(input) };
}

function optionalText(value: unknown, what: string): string | undefined {
  check(value === undefined || typeof value === 'string', `${what}: expected a string`);
  return value === '' ? undefined : (value as string | undefined);
}

/** The page a join reads, checked before any Redis call; undefined for bots, who read none. */
function joinPage(input: JoinInput): JoinPage | undefined {
  const { page, source, referrerHost, engaged } = input;
  check(typeof page === 'object' && page !== null, 'page: expected a page');
  check(typeof page.url === 'string' && NO_SPACE.test(page.url) && page.url.length <= MAX_PAGE_URL_LENGTH, 'page.url: expected a normalised page url');
  check((SOURCES as readonly unknown[]).includes(source), `source: expected one of ${SOURCES.join(', ')}`);
  check(
    referrerHost === undefined || (typeof referrerHost === 'string' && NO_SPACE.test(referrerHost) && referrerHost !== '-' && referrerHost.length <= MAX_HOST_LENGTH),
    'referrerHost: expected a host name',
  );
  check(typeof engaged === 'boolean', 'engaged: expected true or false');
  const meta = { title: optionalText(page.title, 'page.title'), section: optionalText(page.section, 'page.section'), author: optionalText(page.author, 'page.author') };
  if (input.kind === 'bot') return undefined;
  return { url: page.url, ...meta, source, host: referrerHost ?? '-', engaged };
}

export function checkReport(report: EngagementReport): void {
  check(typeof report === 'object' && report !== null && typeof report.engaged === 'boolean', 'report.engaged: expected true or false');
  check(Number.isSafeInteger(report.engagedMs) && report.engagedMs >= 0, 'report.engagedMs: expected a whole number of ms >= 0');
  check(typeof report.periods === 'object' && report.periods !== null, 'report.periods: expected the periods of the report');
}

