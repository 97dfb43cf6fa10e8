// How each article moved since the previous update of the live view: up, down, new, or not at all.
// Only the previous ranking is kept (one map, replaced on every update), so the board's memory stays flat.

export type Move = 'up' | 'down' | 'new' | 'same';

export class Ranking {
  private previous: Map<string, number> | undefined;

  /** The moves of these pages, in order, against the previous call; the first call marks nothing new. */
  update(urls: readonly string[]): Move[] {
    const before = this.previous;
    const now = new Map<string, number>();
    const moves = urls.map((url, rank): Move => {
      now.set(url, rank);
      if (!before) return 'same';
      const was = before.get(url);
      if (was === undefined) return 'new';
      return rank < was ? 'up' : rank > was ? 'down' : 'same';
    });
    this.previous = now;
    return moves;
  }
}
