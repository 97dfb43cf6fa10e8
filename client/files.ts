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
