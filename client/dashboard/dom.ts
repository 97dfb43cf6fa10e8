// Small DOM helpers. The page builds its nodes once; updates only change their text, attributes and
// widths, and a list keeps a fixed pool of rows (hidden when unused), so nothing grows over days.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, parent?: Element, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  parent?.appendChild(node);
  return node;
}

/** Sets text only when it changed: no needless layout, no mutation for assistive technology to announce. */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** A list of at most `size` rows, made once; `show(n)` shows the first n and hides the rest. */
export class RowPool<Row extends { item: HTMLElement }> {
  readonly rows: Row[] = [];

  constructor(parent: HTMLElement, size: number, make: (item: HTMLElement) => Row, itemTag: 'li' | 'tr' = 'li') {
    for (let i = 0; i < size; i++) this.rows.push(make(el(itemTag, '', parent)));
  }

  show(count: number): void {
    this.rows.forEach((row, i) => {
      const hidden = i >= count;
      if (row.item.hidden !== hidden) row.item.hidden = hidden;
    });
  }
}
