// The dashboard's labels in Vietnamese and English. The shell's data-lang says which (the server
// chose it from ?lang= or Accept-Language); the viewer's own locale still formats the numbers.
import { langOf, type Lang } from '../labels.js';

export interface DashboardLabels {
  title: string;
  board: string;
  online: string;
  guests: string;
  members: string;
  bots: string;
  engaged: string;
  curve: string;
  lastWeek: string;
  today: string;
  peak: string;
  topNow: string;
  rank: string;
  article: string;
  readers: string;
  sourceMix: string;
  movedUp: string;
  movedDown: string;
  isNew: string;
  sources: string;
  referrers: string;
  noReferrers: string;
  versusYesterday: string;
  visits: string;
  pageviews: string;
  yesterdaySameTime: string;
  mostRead: string;
  nothingYet: string;
  live: string;
  connecting: string;
  disconnected: string;
  refused: string;
  figuresFrom: string;
  chartText: string;
  time: string;
  hourTable: string;
  source: Record<Source, string>;
}

export const SOURCES = ['direct', 'internal', 'search', 'social', 'ai', 'email', 'other'] as const;
export type Source = (typeof SOURCES)[number];

export const DASHBOARD_LABELS: Record<Lang, DashboardLabels> = {
  vi: {
    title: 'Bảng theo dõi trực tiếp',
    board: 'Bảng tin tòa soạn',
    online: 'Đang trực tuyến',
    guests: 'Khách',
    members: 'Thành viên',
    bots: 'Bot',
    engaged: 'Đang tương tác',
    curve: 'Hôm nay theo phút',
    lastWeek: 'Cùng ngày tuần trước',
    today: 'Hôm nay',
    peak: 'Đỉnh hôm nay',
    topNow: 'Bài được đọc nhiều nhất lúc này',
    rank: 'Hạng',
    article: 'Bài viết',
    readers: 'Người đọc',
    sourceMix: 'Nguồn',
    movedUp: 'lên hạng',
    movedDown: 'xuống hạng',
    isNew: 'mới',
    sources: 'Nguồn truy cập lúc này',
    referrers: 'Trang dẫn đến nhiều nhất',
    noReferrers: 'Chưa có trang dẫn đến',
    versusYesterday: 'Hôm nay so với hôm qua cùng giờ',
    visits: 'Lượt truy cập',
    pageviews: 'Lượt xem trang',
    yesterdaySameTime: 'hôm qua cùng giờ',
    mostRead: 'Đọc nhiều nhất hôm nay',
    nothingYet: 'Chưa có dữ liệu',
    live: 'Trực tiếp',
    connecting: 'Đang kết nối…',
    disconnected: 'Mất kết nối, đang kết nối lại.',
    refused: 'Không có quyền xem bảng này: liên kết không hợp lệ hoặc đã hết hạn.',
    figuresFrom: 'Số liệu lúc',
    time: 'Giờ',
    hourTable: 'Người trực tuyến nhiều nhất mỗi giờ, hôm nay và cùng ngày tuần trước',
    chartText: 'Người trực tuyến theo phút hôm nay: hiện tại {now}, đỉnh {peak} lúc {at}; cùng giờ tuần trước {week}.',
    source: { direct: 'Trực tiếp', internal: 'Nội bộ', search: 'Tìm kiếm', social: 'Mạng xã hội', ai: 'AI', email: 'Email', other: 'Khác' },
  },
  en: {
    title: 'Live dashboard',
    board: 'Newsroom board',
    online: 'Online now',
    guests: 'Guests',
    members: 'Members',
    bots: 'Bots',
    engaged: 'Engaged',
    curve: 'Today by minute',
    lastWeek: 'Same day last week',
    today: 'Today',
    peak: 'Peak today',
    topNow: 'Top articles now',
    rank: 'Rank',
    article: 'Article',
    readers: 'Readers',
    sourceMix: 'Sources',
    movedUp: 'moved up',
    movedDown: 'moved down',
    isNew: 'new',
    sources: 'Sources now',
    referrers: 'Top referrers',
    noReferrers: 'No referrers yet',
    versusYesterday: 'Today against yesterday at the same time',
    visits: 'Visits',
    pageviews: 'Pageviews',
    yesterdaySameTime: 'yesterday at this time',
    mostRead: 'Most read today',
    nothingYet: 'Nothing yet',
    live: 'Live',
    connecting: 'Connecting…',
    disconnected: 'Disconnected, reconnecting.',
    refused: 'This dashboard cannot be shown: the link is invalid or has expired.',
    figuresFrom: 'Figures from',
    time: 'Time',
    hourTable: 'Most readers online in each hour, today and on the same day last week',
    chartText: 'Readers online by minute today: {now} now, peak {peak} at {at}; {week} at this time last week.',
    source: { direct: 'Direct', internal: 'Internal', search: 'Search', social: 'Social', ai: 'AI', email: 'Email', other: 'Other' },
  },
};

/** The shell's data-lang when it names a language, else the browser's. */
export const dashboardLang = (attribute: string | undefined, browser: string | undefined): Lang =>
  attribute === 'vi' || attribute === 'en' ? attribute : langOf(browser);

/** Fills {name} placeholders. */
export const fill = (template: string, values: Record<string, string>): string => template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
