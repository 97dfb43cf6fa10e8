// Entry of t.js: <script async src="https://STATS-HOST/t.js" data-site="SITE" data-member-token="..."></script>
import { track, type Api } from './tracker.js';
import { doc } from './doc.js';

declare global {
  interface Window {
    headcount?: Api;
  }
}

// Read now: currentScript is only set while this script runs.
const script = doc.currentScript as HTMLScriptElement | null;
const data = script && script.dataset;

if (data && data.site) {
  // The socket URL is derived from the script's own address, so a path prefix (/headcount/t.js) carries over.
  const url = new URL(`ws?site=${encodeURIComponent(data.site)}`, script!.src).href.replace(/^http/, 'ws');
  // Starts at once, even while the page is still parsed: widgets further down are filled as they arrive.
  window.headcount = track({ url, site: data.site, token: data.memberToken, cookieless: 'cookieless' in data });
}
