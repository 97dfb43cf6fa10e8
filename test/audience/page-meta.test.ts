import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cleanAuthor,
  cleanPageMeta,
  cleanSection,
  cleanText,
  cleanTitle,
  MAX_AUTHOR_LENGTH,
  MAX_SECTION_LENGTH,
  MAX_TITLE_LENGTH,
} from '../../src/audience/page-meta.js';

const codePoints = (text: string | undefined) => Array.from(text ?? '').length;

describe('page metadata cleaning', () => {
  it('keeps an ordinary Vietnamese title as it is', () => {
    assert.equal(cleanTitle('Đà Nẵng: Khánh thành cầu mới bắc qua sông Hàn'), 'Đà Nẵng: Khánh thành cầu mới bắc qua sông Hàn');
  });

  it('collapses whitespace and line breaks and trims', () => {
    assert.equal(cleanTitle('  Tin\tnóng \n\n  hôm\u00a0nay\r\n '), 'Tin nóng hôm nay');
    assert.equal(cleanTitle('a\u2028b\u2029c\u0085d\u3000e'), 'a b c d e');
  });

  it('strips C0, DEL and C1 control characters', () => {
    assert.equal(cleanTitle('Ti\u0000t\u0007le\u001b[31m\u007f\u0080\u009f'), 'Title[31m');
  });

  it('strips bidi embeddings, overrides, isolates and marks', () => {
    assert.equal(cleanTitle('\u202eevil\u202c \u202a\u202b\u202d\u2066\u2067\u2068\u2069ok\u200e\u200f\u061c'), 'evil ok');
  });

  it('strips zero-width characters and the byte-order mark', () => {
    assert.equal(cleanTitle('\ufeffze\u200bro\u200cwi\u200ddth\u2060\u180e'), 'zerowidth');
    assert.equal(cleanTitle('\u200b \u200b'), undefined);
  });

  it('drops lone surrogates but keeps pairs', () => {
    assert.equal(cleanTitle('a\ud800b\udc00c😀'), 'abc😀');
  });

  it('gives one spelling for decomposed and precomposed Vietnamese', () => {
    const decomposed = 'Vie\u0323\u0302t Nam';
    assert.equal(cleanTitle(decomposed), 'Việt Nam');
    assert.equal(cleanTitle(decomposed), cleanTitle('Việt Nam'));
  });

  it('caps lengths in code points without splitting a surrogate pair', () => {
    const title = cleanTitle('😀'.repeat(300));
    assert.equal(codePoints(title), MAX_TITLE_LENGTH);
    assert.equal(title, '😀'.repeat(MAX_TITLE_LENGTH));
    assert.equal(codePoints(cleanSection('x'.repeat(100))), MAX_SECTION_LENGTH);
    assert.equal(codePoints(cleanAuthor('ư'.repeat(100))), MAX_AUTHOR_LENGTH);
    assert.equal(cleanSection(`${'a'.repeat(MAX_SECTION_LENGTH - 1)} b`), 'a'.repeat(MAX_SECTION_LENGTH - 1), 'no trailing space after the cut');
    assert.equal(cleanText('abcdef', 3), 'abc');
  });

  it('bounds the work on huge input', () => {
    const title = cleanTitle(`${' '.repeat(1_000_000)}late`);
    assert.equal(title, undefined);
    assert.equal(codePoints(cleanTitle('b'.repeat(1_000_000))), MAX_TITLE_LENGTH);
  });

  it('turns empty, blank and non-string values into undefined', () => {
    for (const raw of [undefined, null, '', '   ', '\u0000\u0001', 42, {}, ['t'], true]) assert.equal(cleanTitle(raw), undefined);
  });

  it('cleans a whole page record and leaves out what is empty', () => {
    assert.deepEqual(cleanPageMeta({ title: ' Tiêu đề ', section: 'Thời sự\n', author: '' }), { title: 'Tiêu đề', section: 'Thời sự' });
    assert.deepEqual(cleanPageMeta({}), {});
    assert.deepEqual(cleanPageMeta({ title: 1, section: null, author: 'Nguyễn Văn A' }), { author: 'Nguyễn Văn A' });
  });
});
