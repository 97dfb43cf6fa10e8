// The pages the load generator reads: articles of the demo site with the identity a news page's
// tracker sends (canonical url, title, section, author) and a referrer from a rotation, so every
// measured join carries a page and a source, as in production.
export const PAGE_ORIGIN = 'http://localhost:3000';

/** Articles the pages spread over unless a measurement says otherwise (issue 11: 1,000 articles). */
export const DEFAULT_ARTICLES = 1_000;

const SECTIONS = ['Thời sự', 'Kinh tế', 'Thể thao', 'Văn hóa', 'Pháp luật', 'Giáo dục', 'Sức khỏe', 'Du lịch'];
/** Direct, search, social, ai and internal arrivals, in turn. */
const REFERRERS = ['', 'https://www.google.com/', 'https://www.facebook.com/', 'https://zalo.me/', 'https://coccoc.com/search?query=tin', 'https://chatgpt.com/', `${PAGE_ORIGIN}/`];

export interface ArticleFields {
  url: string;
  canon: string;
  title: string;
  section: string;
  author: string;
  ref?: string;
}

/** The article of a worker's k-th page: worker i of W starts at i and steps by W, so the workers together read every article in turn. */
export function articleOf(spread: { articles: number; first: number; stride: number }, k: number): number {
  return (spread.first + k * spread.stride) % spread.articles;
}

export function articleUrl(n: number): string {
  return `${PAGE_ORIGIN}/tin/bai-${n}.html`;
}

/** The hello fields of a reader of article `n`; `arrival` picks the referrer. */
export function articleFields(n: number, arrival: number): ArticleFields {
  const url = articleUrl(n);
  const ref = REFERRERS[arrival % REFERRERS.length]!;
  return {
    url,
    canon: url,
    title: `Bài viết số ${n}: tin nóng trong ngày`,
    section: SECTIONS[n % SECTIONS.length]!,
    author: `Phóng viên ${n % 50}`,
    ...(ref ? { ref } : {}),
  };
}
