// Imported first by main.ts, for its side effect. A calendar's first use (wall-clock.ts) loads ICU's
// time-zone and date-pattern data: about 30 ms of CPU, once per process, since Node's threads share
// ICU's caches. A short-lived worker does it on another core while the main thread loads the server's
// modules, so the Redis store's heartbeat before listening, or the first join, finds it done.
import { Worker } from 'node:worker_threads';
import { WALL_CLOCK_FORMAT, WALL_CLOCK_LOCALE } from './wall-clock.js';

// The very formatter wall-clock.ts makes, in UTC: the zone's own data is small, the pattern data is not.
const options = JSON.stringify({ timeZone: 'UTC', ...WALL_CLOCK_FORMAT });
const warmUp = new Worker(`new Intl.DateTimeFormat(${JSON.stringify(WALL_CLOCK_LOCALE)}, ${options}).formatToParts(0);`, { eval: true });
// Never holds the process open or ends it: at worst the main thread loads the data itself.
warmUp.unref();
warmUp.on('error', () => {});
