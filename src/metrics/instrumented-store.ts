// A Store decorator that times every command and counts the failed ones, whatever the store
// (Redis or embedded), so latency and errors are measured in one place, on the caller's side.
import type { Store } from '../store/store.js';
import type { Metrics, StoreCommand } from './metrics.js';

export type StoreMetrics = Pick<Metrics, 'storeCommandDuration' | 'storeErrors'>;

export function instrumentStore(store: Store, metrics: StoreMetrics): Store {
  const timed =
    <A extends unknown[], R>(command: StoreCommand, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const done = metrics.storeCommandDuration.startTimer({ command });
      try {
        return await call(...args);
      } catch (error) {
        metrics.storeErrors.inc({ command });
        throw error;
      } finally {
        done();
      }
    };
  return {
    join: timed('join', (input) => store.join(input)),
    leave: timed('leave', (site, psid, now, report) => store.leave(site, psid, now, report)),
    engage: timed('engage', (site, psid, now, report) => store.engage(site, psid, now, report)),
    read: timed('read', (site, periods) => store.read(site, periods)),
    live: timed('live', (site, limit) => store.live(site, limit)),
    readers: timed('readers', (site, urls) => store.readers(site, urls)),
    dayPages: timed('day_pages', (site, day, limit) => store.dayPages(site, day, limit)),
    history: timed('history', (site, period, keys) => store.history(site, period, keys)),
    importHistory: timed('import_history', (site, period, rows) => store.importHistory(site, period, rows)),
    setTotals: timed('set_totals', (site, totals) => store.setTotals(site, totals)),
    dailySalt: timed('daily_salt', (site, day, now) => store.dailySalt(site, day, now)),
    ping: timed('ping', () => store.ping()),
    onChange: (listener) => store.onChange(listener),
    onReplaced: (listener) => store.onReplaced(listener),
    heldBy: (sessions) => store.heldBy(sessions),
    close: () => store.close(),
  };
}
