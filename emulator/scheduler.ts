/** A due lifecycle transition of one resource; `token` guards against stale entries. */
export interface Due {
  at: number;
  seq: number;
  kind: string;
  key: string;
  token: number;
}

/** Min-heap of due transitions ordered by time, then by the order they were scheduled. */
export class Scheduler {
  private heap: Due[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(entry: Omit<Due, 'seq'>): void {
    this.heap.push({ ...entry, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  /** Removes and returns the earliest entry due at or before `now`. */
  popDue(now: number): Due | undefined {
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.heap = [];
  }

  private less(a: Due, b: Due): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
