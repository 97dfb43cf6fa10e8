// Imported first by main.ts, for its side effect. A calendar's first use (wall-clock.ts) loads ICU's
// time-zone and date-pattern data: about 30 ms of CPU, once per process, since Node's threads share
// ICU's caches. A short-lived worker does it on another core while the main thread loads the server's
// modules, so the Redis store's heartbeat before listening, or the first join, finds it done.
import { Worker } from 'node:worker_threads';

const warmUp = new Worker(
  "new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(0);",
  { eval: true },
);
// Never holds the process open or ends it: at worst the main thread loads the data itself.
warmUp.unref();
warmUp.on('error', () => {});
