// What a client build is made of, shared by the bundler (build.ts) and the server side that reads it (bundle.ts).
export interface ClientBundle {
  code: string;
  gzip: Buffer;
  /** Size of the minified script in bytes. */
  raw: number;
  /** Strong validator of the script's content. */
  hash: string;
}

/** File names inside the client directory of dist/. */
export const CLIENT_FILES = { script: 't.js', gzip: 't.js.gz', hash: 't.js.sha256', demo: 'demo.html' } as const;

/** The dashboard page's assets: served as /dashboard/dashboard.js and /dashboard/dashboard.css. */
export interface DashboardBundle {
  script: ClientBundle;
  style: ClientBundle;
}

/** File names of the dashboard's assets inside the client directory of dist/: each with its gzip and hash. */
export const DASHBOARD_FILES = {
  script: { file: 'dashboard.js', gzip: 'dashboard.js.gz', hash: 'dashboard.js.sha256' },
  style: { file: 'dashboard.css', gzip: 'dashboard.css.gz', hash: 'dashboard.css.sha256' },
} as const;
