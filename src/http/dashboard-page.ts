// The dashboard's HTML: the shell the client bundle fills (configuration in data- attributes, since the
// Content-Security-Policy allows no inline script or style) and the error pages, in Vietnamese or English.

export type DashboardLang = 'vi' | 'en';

export interface ShellOptions {
  site: string;
  timeZone: string;
  lang: DashboardLang;
  board: boolean;
  /** ws:// or wss:// address of the socket, on the host the page was asked from. */
  wsUrl: string;
  /** Share token or read token the client passes to the API and the `live` subscription; '' when open. */
  access: string;
  /** Content hashes appended to the asset URLs, so a new build is fetched at once; undefined when not built. */
  scriptHash: string | undefined;
  styleHash: string | undefined;
}

export type ErrorKind = 'unavailable' | 'invalid' | 'expired' | 'bad-request';

/** For text and double-quoted attribute values. */
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const TITLES = {
  vi: { dashboard: 'Bảng số liệu trực tiếp', board: 'Bảng tin toà soạn', noscript: 'Bảng số liệu cần JavaScript để cập nhật trực tiếp.' },
  en: { dashboard: 'Live dashboard', board: 'Newsroom board', noscript: 'The dashboard needs JavaScript to update live.' },
} as const;

const versioned = (path: string, hash: string | undefined) => (hash === undefined ? path : `${path}?v=${encodeURIComponent(hash)}`);

export function renderShell(options: ShellOptions): string {
  const titles = TITLES[options.lang];
  const title = `${options.board ? titles.board : titles.dashboard} · ${options.site}`;
  const data = {
    site: options.site,
    board: options.board ? '1' : '0',
    lang: options.lang,
    tz: options.timeZone,
    ws: options.wsUrl,
    access: options.access,
  };
  const attributes = Object.entries(data)
    .map(([name, value]) => ` data-${name}="${escape(value)}"`)
    .join('');
  return `<!doctype html>
<html lang="${options.lang}"${attributes}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escape(versioned('/dashboard/dashboard.css', options.styleHash))}">
<script src="${escape(versioned('/dashboard/dashboard.js', options.scriptHash))}" defer></script>
</head>
<body>
<noscript><p>${escape(titles.noscript)}</p></noscript>
</body>
</html>
`;
}

const ERRORS: Record<DashboardLang, Record<ErrorKind, { title: string; text: string }>> = {
  vi: {
    unavailable: {
      title: 'Không xem được bảng số liệu này',
      text: 'Không có bảng số liệu ở địa chỉ này, hoặc bảng số liệu của trang là riêng tư. Hãy xin người quản lý trang một đường dẫn chia sẻ.',
    },
    invalid: {
      title: 'Đường dẫn không hợp lệ',
      text: 'Đường dẫn bị thiếu một phần hoặc đã bị thu hồi (mã đọc của trang đã được đổi). Hãy xin người quản lý trang một đường dẫn chia sẻ mới.',
    },
    expired: { title: 'Đường dẫn đã hết hạn', text: 'Đường dẫn chỉ có hiệu lực đến {until}. Hãy xin người quản lý trang một đường dẫn chia sẻ mới.' },
    'bad-request': { title: 'Địa chỉ không đúng', text: '{detail}' },
  },
  en: {
    unavailable: {
      title: 'This dashboard is not available',
      text: "There is no dashboard at this address, or the site's dashboard is private. Ask the site's owner for a share link.",
    },
    invalid: {
      title: 'This link is not valid',
      text: "The link is incomplete or has been revoked (the site's read token was changed). Ask the site's owner for a new share link.",
    },
    expired: { title: 'This link has expired', text: "It was valid until {until}. Ask the site's owner for a new share link." },
    'bad-request': { title: 'This address is not right', text: '{detail}' },
  },
};

/** A complete page that says what went wrong and what to do; `until` for expired links, `detail` for bad requests. */
export function renderError(kind: ErrorKind, lang: DashboardLang, facts: { until?: string; detail?: string } = {}): string {
  const { title, text } = ERRORS[lang][kind];
  const body = text.replace('{until}', facts.until ?? '').replace('{detail}', facts.detail ?? '');
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
<p>${escape(body)}</p>
</main>
</body>
</html>
`;
}
