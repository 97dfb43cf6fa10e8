import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  APPS,
  channelOfHost,
  classifySource,
  EMAIL_MEDIA,
  HOSTS,
  SEARCH_BRANDS,
  SEARCH_MEDIA,
  SOCIAL_MEDIA,
  SOURCE_NAMES,
  SOURCES,
  utmOf,
  type Source,
  type SourceInput,
} from '../../src/audience/source.js';

const siteOrigins = ['https://baodanang.vn', 'https://*.baodanang.vn'];
const classify = (fields: Omit<SourceInput, 'siteOrigins'>) => classifySource({ siteOrigins, ...fields });
const from = (referrer: string) => classify({ referrer });

const byHost: Record<Exclude<Source, 'direct' | 'internal' | 'other'>, string[]> = {
  search: [
    'www.google.com', 'google.com', 'www.google.com.vn', 'google.com.vn', 'www.google.co.uk', 'www.google.de', 'www.google.co.jp',
    'news.google.com', 'coccoc.com', 'www.coccoc.com', 'www.bing.com', 'cn.bing.com', 'search.yahoo.com', 'vn.search.yahoo.com',
    'duckduckgo.com', 'yandex.ru', 'yandex.com', 'yandex.com.tr', 'ya.ru', 'www.baidu.com', 'm.baidu.com', 'www.ecosia.org',
    'search.naver.com', 'm.search.naver.com', 'search.brave.com', 'www.startpage.com', 'www.qwant.com',
  ],
  social: [
    'facebook.com', 'www.facebook.com', 'm.facebook.com', 'l.facebook.com', 'lm.facebook.com', 'web.facebook.com', 'fb.com', 'fb.me',
    'messenger.com', 'zalo.me', 'chat.zalo.me', 'zaloapp.com', 'www.tiktok.com', 'vt.tiktok.com', 'www.youtube.com', 'youtube.com',
    'm.youtube.com', 'youtu.be', 'x.com', 't.co', 'twitter.com', 'mobile.twitter.com', 'www.threads.net', 'www.threads.com',
    'www.instagram.com', 'l.instagram.com', 'www.linkedin.com', 'lnkd.in', 'www.reddit.com', 'old.reddit.com', 'out.reddit.com',
    'www.pinterest.com', 'pin.it', 't.me', 'telegram.me', 'web.whatsapp.com', 'wa.me',
  ],
  ai: [
    'chatgpt.com', 'chat.openai.com', 'www.perplexity.ai', 'perplexity.ai', 'gemini.google.com', 'bard.google.com', 'copilot.microsoft.com',
    'claude.ai', 'chat.deepseek.com', 'grok.com', 'chat.mistral.ai', 'www.meta.ai', 'poe.com',
  ],
  email: ['mail.google.com', 'outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.yahoo.com', 'vn.mail.yahoo.com', 'mail.aol.com', 'mail.proton.me'],
};

describe('classifySource by referrer host', () => {
  for (const [source, hosts] of Object.entries(byHost)) {
    for (const host of hosts) {
      it(`${host} is ${source}`, () => {
        assert.deepEqual(from(`https://${host}/some/path?q=đà+nẵng`), { source, host: host.replace(/^www\./, '') });
      });
    }
  }

  it('matches subdomains on label boundaries only', () => {
    for (const host of ['notgoogle.com', 'google.com.evil.com', 'google.evil.com', 'googlex.com', 'xfacebook.com', 'facebook.com.vn.evil.io',
      'fakezalo.me', 'notbing.com', 'yahoo.com', 'search.yahoo.com.evil.net', 'xt.co', 'openai.com', 'mail.google.com.evil.com', 'google', 'x.co']) {
      assert.equal(channelOfHost(host), undefined, host);
      assert.equal(from(`https://${host}/`).source, 'other', host);
    }
  });

  it('lets the longest match win: Gemini and Gmail are on google.com', () => {
    assert.equal(channelOfHost('gemini.google.com'), 'ai');
    assert.equal(channelOfHost('mail.google.com'), 'email');
    assert.equal(channelOfHost('www.google.com'), 'search');
    assert.equal(channelOfHost('GEMINI.Google.COM.'), 'ai');
  });

  it('reports the host lower case, without "www.", and bounded', () => {
    assert.deepEqual(from('https://WWW.Facebook.COM/'), { source: 'social', host: 'facebook.com' });
    assert.deepEqual(from('https://www.vnexpress.net/tin'), { source: 'other', host: 'vnexpress.net' });
    assert.deepEqual(from('https://www.google.com.vn./'), { source: 'search', host: 'google.com.vn' });
    assert.deepEqual(from('https://đà-nẵng.vn/'), { source: 'other', host: new URL('https://đà-nẵng.vn/').hostname });
    assert.match(from('https://đà-nẵng.vn/').host!, /^xn--[a-z0-9-]+\.vn$/);
    assert.deepEqual(from(`https://${'a'.repeat(300)}.com/`), { source: 'other', host: undefined });
  });
});

describe('classifySource: internal, direct and unusable referrers', () => {
  it('is internal for a referrer on the site, whatever the scheme, port or UTM', () => {
    for (const referrer of ['https://baodanang.vn/', 'http://baodanang.vn/a', 'https://m.baodanang.vn/', 'https://baodanang.vn:8443/x']) {
      assert.deepEqual(from(referrer), { source: 'internal', host: undefined }, referrer);
    }
    assert.equal(classify({ referrer: 'https://baodanang.vn/', utmMedium: 'email' }).source, 'internal');
    assert.equal(from('https://notbaodanang.vn/').source, 'other');
  });

  it('is direct with no referrer and no UTM (dark social stays direct)', () => {
    assert.deepEqual(classify({}), { source: 'direct', host: undefined });
    assert.deepEqual(from(''), { source: 'direct', host: undefined });
    assert.deepEqual(from('   '), { source: 'direct', host: undefined });
    assert.deepEqual(classify({ referrer: undefined, utmSource: '', utmMedium: '' }), { source: 'direct', host: undefined });
  });

  it('is other for a referrer that is not a usable URL', () => {
    for (const referrer of ['not a url', 'javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'about:blank', 'https://', 'android-app://', 'android-app://-bad']) {
      assert.deepEqual(from(referrer), { source: 'other', host: undefined }, referrer);
    }
    assert.equal(classify({ referrer: 42, utmSource: null }).source, 'direct', 'non-string values count as absent');
    assert.deepEqual(from(`https://www.google.com/${'a'.repeat(10_000)}`), { source: 'other', host: undefined }, 'overlong referrer');
  });
});

describe('classifySource: android-app referrers', () => {
  for (const [pkg, source] of [
    ['com.google.android.gm', 'email'],
    ['com.microsoft.office.outlook', 'email'],
    ['com.yahoo.mobile.client.android.mail', 'email'],
    ['com.zing.zalo', 'social'],
    ['com.facebook.katana', 'social'],
    ['com.facebook.lite', 'social'],
    ['com.facebook.orca', 'social'],
    ['com.instagram.android', 'social'],
    ['com.instagram.barcelona', 'social'],
    ['com.twitter.android', 'social'],
    ['com.zhiliaoapp.musically', 'social'],
    ['com.ss.android.ugc.trill', 'social'],
    ['com.google.android.youtube', 'social'],
    ['com.linkedin.android', 'social'],
    ['com.reddit.frontpage', 'social'],
    ['com.pinterest', 'social'],
    ['org.telegram.messenger', 'social'],
    ['com.whatsapp', 'social'],
    ['com.google.android.googlequicksearchbox', 'search'],
    ['com.microsoft.bing', 'search'],
    ['com.openai.chatgpt', 'ai'],
    ['ai.perplexity.app.android', 'ai'],
    ['com.google.android.apps.bard', 'ai'],
    ['com.anthropic.claude', 'ai'],
    ['com.microsoft.copilot', 'ai'],
  ] as const) {
    it(`android-app://${pkg} is ${source}`, () => {
      assert.deepEqual(from(`android-app://${pkg}`), { source, host: pkg });
      assert.deepEqual(from(`android-app://${pkg}/`), { source, host: pkg });
    });
  }

  it('reports an unknown app as other, with its package', () => {
    assert.deepEqual(from('android-app://com.example.Reader/'), { source: 'other', host: 'com.example.reader' });
    assert.deepEqual(from('android-app://com.google.android.gm.evil'), { source: 'other', host: 'com.google.android.gm.evil' });
  });
});

describe('classifySource: UTM parameters', () => {
  it('is email for utm_medium email, e-mail or newsletter, with or without a referrer', () => {
    for (const utmMedium of ['email', 'EMAIL', ' e-mail ', 'e_mail', 'newsletter']) {
      assert.deepEqual(classify({ utmMedium }), { source: 'email', host: undefined }, utmMedium);
    }
    assert.deepEqual(classify({ utmMedium: 'email', referrer: 'https://l.facebook.com/' }), { source: 'email', host: 'l.facebook.com' }, 'UTM wins over the referrer');
    assert.equal(classify({ utmSource: 'newsletter' }).source, 'email');
  });

  it('is social for social media values or a social utm_source', () => {
    for (const utmMedium of ['social', 'social-network', 'social_network', 'social-media', 'sm', 'paid-social', 'paidsocial', 'organic_social']) {
      assert.equal(classify({ utmMedium }).source, 'social', utmMedium);
    }
    for (const utmSource of ['facebook', 'Facebook', 'fb', 'zalo', 'tiktok', 'youtube', 'x', 'twitter', 'threads', 'instagram', 'ig', 'linkedin',
      'reddit', 'pinterest', 'telegram', 'facebook.com', 'm.facebook.com', 'zalo.me']) {
      assert.equal(classify({ utmSource }).source, 'social', utmSource);
    }
    assert.equal(classify({ utmSource: 'facebook', utmMedium: 'cpc' }).source, 'social', 'paid social is social');
  });

  it('is search for paid search and a search engine utm_source without a medium', () => {
    for (const utmMedium of ['cpc', 'ppc', 'paid-search', 'paid_search', 'paidsearch', 'sem', 'organic']) {
      assert.equal(classify({ utmMedium }).source, 'search', utmMedium);
    }
    assert.equal(classify({ utmSource: 'google', utmMedium: 'cpc' }).source, 'search');
    assert.equal(classify({ utmSource: 'coccoc' }).source, 'search');
    assert.equal(classify({ utmSource: 'google', utmMedium: 'display' }).source, 'other', 'display ads are not search');
  });

  it('is ai for an assistant utm_source (ChatGPT tags its links utm_source=chatgpt.com)', () => {
    for (const utmSource of ['chatgpt.com', 'chatgpt', 'perplexity', 'perplexity.ai', 'gemini', 'copilot', 'claude', 'claude.ai']) {
      assert.equal(classify({ utmSource }).source, 'ai', utmSource);
    }
    assert.deepEqual(classify({ utmSource: 'chatgpt.com', referrer: 'https://chatgpt.com/' }), { source: 'ai', host: 'chatgpt.com' });
  });

  it('falls back to the referrer when UTM says nothing known, and to other without one', () => {
    assert.deepEqual(classify({ utmSource: 'partner', utmMedium: 'banner', referrer: 'https://www.google.com/' }), { source: 'search', host: 'google.com' });
    assert.deepEqual(classify({ utmSource: 'partner', utmMedium: 'banner' }), { source: 'other', host: undefined });
    assert.deepEqual(classify({ utmCampaign: 'x' } as never), { source: 'direct', host: undefined });
    assert.equal(classify({ utmSource: 'x'.repeat(500) }).source, 'direct', 'an overlong value is ignored');
  });
});

describe('utmOf', () => {
  it('reads utm_source and utm_medium from a landing URL', () => {
    assert.deepEqual(utmOf('https://baodanang.vn/a?utm_source=Zalo&utm_medium=social&id=1'), { utmSource: 'Zalo', utmMedium: 'social' });
    assert.deepEqual(utmOf('https://baodanang.vn/a?utm_medium=email'), { utmMedium: 'email' });
    assert.deepEqual(utmOf('https://baodanang.vn/a'), {});
    for (const raw of ['not a url', undefined, 42, '']) assert.deepEqual(utmOf(raw), {});
  });

  it('feeds classifySource', () => {
    assert.equal(classify({ ...utmOf('https://baodanang.vn/a?utm_medium=email'), referrer: '' }).source, 'email');
  });
});

describe('classifySource on hostile input', () => {
  it('never throws and always answers a known source', () => {
    const pieces = ['https://', 'android-app://', 'www.', 'google', '.com', '.vn', 'facebook', 'zalo.me', 'baodanang.vn', '/', ':', '@', '%', '\u0000', 'đ', ' '];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      let referrer = '';
      for (let j = random(8); j >= 0; j--) referrer += random(5) === 0 ? String.fromCharCode(random(0x2000)) : pieces[random(pieces.length)];
      const result = classify({ referrer, utmSource: pieces[random(pieces.length)], utmMedium: referrer });
      assert.ok(SOURCES.includes(result.source));
      assert.ok(result.host === undefined || result.host.length <= 253);
    }
  });
});

describe('docs/sources.md', () => {
  it('lists every host, app, brand and UTM value the code knows, under the right source', () => {
    const docs = readFileSync(new URL('../../docs/sources.md', import.meta.url), 'utf8');
    const section = (source: string) => docs.split(`**${source}**:`)[1]?.split('\n\n')[0] ?? '';
    for (const [source, hosts] of Object.entries(HOSTS)) {
      for (const host of hosts) assert.ok(section(source).includes(`\`${host}\``), `${host} under ${source}`);
    }
    for (const brand of SEARCH_BRANDS) assert.ok(section('search').includes(`\`${brand}.*\``), brand);
    for (const [source, packages] of Object.entries(APPS)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| ${source} |`)) ?? '';
      for (const pkg of packages) assert.ok(row.includes(`\`${pkg}\``), `${pkg} under ${source}`);
    }
    for (const value of [...EMAIL_MEDIA, ...SOCIAL_MEDIA, ...SEARCH_MEDIA, ...Object.values(SOURCE_NAMES).flat()]) {
      assert.ok(docs.includes(`\`${value}\``), value);
    }
  });
});
