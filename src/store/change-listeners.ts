// Change notices from a store to its listeners: after the current operation (a microtask), once per
// site per tick however many changes it made, and a failing listener is logged, never thrown into
// the store's caller. Shared by every store.
import type { StoreLogger } from './store.js';

export class ChangeListeners {
  private readonly listeners: ((site: string) => void)[] = [];
  private readonly pending = new Set<string>();

  constructor(private readonly logger: StoreLogger | undefined) {}

  add(listener: (site: string) => void): void {
    this.listeners.push(listener);
  }

  notify(site: string): void {
    if (this.pending.size === 0) queueMicrotask(() => this.emit());
    this.pending.add(site);
  }

  private emit(): void {
    const sites = [...this.pending];
    this.pending.clear();
    for (const site of sites) {
      for (const listener of this.listeners) {
        try {
          listener(site);
        } catch (err) {
          this.logger?.warn({ err, site }, 'store change listener failed');
        }
      }
    }
  }
}
