// Cookieless sites: guests are told apart by a daily-salted hash of address and user agent, not by the
// id the page sends, so a reader who stores nothing is still counted once across tabs.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { PageClient } from '../support/page-client.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

describe('cookieless mode', () => {
  let hc: InProcess;
  const pages: PageClient[] = [];
  const reader = async (address: string, userAgent: string) => {
    const page = await PageClient.open(hc.wsUrl, 'quiet', 'https://quiet.example', { 'x-forwarded-for': address, 'user-agent': userAgent });
    pages.push(page);
    await page.hello({ site: 'quiet' });
  };

  before(async () => {
    const sitesFile = join(mkdtempSync(join(tmpdir(), 'sites-')), 'sites.json');
    writeFileSync(sitesFile, JSON.stringify({ sites: [{ id: 'quiet', origins: ['https://quiet.example'], memberSecret: 'q'.repeat(32), cookieless: true }] }));
    hc = await startInProcess({ SITES_FILE: sitesFile, TRUST_PROXY: 'loopback' });
  });
  after(async () => {
    await Promise.all(pages.map((p) => p.close()));
    await hc.stop();
  });

  it('counts one address and browser once whatever ids the pages send, and others apart', async () => {
    await reader('198.51.100.10', CHROME);
    await reader('198.51.100.10', CHROME);
    assert.equal((await hc.stats('quiet')).body.online.guests, 1, 'two tabs, fresh ids each');
    await reader('198.51.100.10', FIREFOX);
    await reader('198.51.100.11', CHROME);
    const { body } = await hc.stats('quiet');
    assert.equal(body.online.guests, 3);
    assert.equal(body.visits.total, 3);
    assert.equal(body.pageviews.total, 4);
  });

  it('changes every visitor hash with the day', async () => {
    const before = (await hc.stats('quiet')).body.visits.total;
    hc.advance(24 * 3_600_000);
    await reader('198.51.100.10', CHROME);
    assert.equal((await hc.stats('quiet')).body.visits.total, before + 1, 'a new day, a new hash: a new visitor');
  });
});
