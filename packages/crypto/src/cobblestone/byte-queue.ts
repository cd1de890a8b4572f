// A FIFO of bytes for the stream transforms: append incoming pieces, take exact-size chunks without quadratic copying.
import { type Bytes } from '../encoding/encoding.js';

export class ByteQueue {
  #parts: Bytes[] = [];
  #head = 0; // bytes of #parts[0] already taken
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends a private copy: the writer may reuse its buffer once the write resolves. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#parts.push(new Uint8Array(bytes));
    this.#length += bytes.length;
  }

  /**
   * Removes and returns the next `n` bytes (n ≤ length). When they lie in one queued piece, the result
   * is a view of that private copy (no second copy); otherwise a new buffer.
   */
  take(n: number): Bytes {
    if (n > this.#length) throw new RangeError('ByteQueue.take beyond the queued length');
    const first = this.#parts[0];
    if (first !== undefined && first.length - this.#head >= n) {
      const view = first.subarray(this.#head, this.#head + n);
      this.#head += n;
      if (this.#head === first.length) {
        this.#parts.shift();
        this.#head = 0;
      }
      this.#length -= n;
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const part = this.#parts[0]!;
      const available = part.length - this.#head;
      const count = Math.min(available, n - filled);
      out.set(part.subarray(this.#head, this.#head + count), filled);
      filled += count;
      if (count === available) {
        this.#parts.shift();
        this.#head = 0;
      } else {
        this.#head += count;
      }
    }
    this.#length -= n;
    return out;
  }

  /** Drops and zeroes everything queued (used when a stream fails). */
  clear(): void {
    for (const part of this.#parts) part.fill(0);
    this.#parts = [];
    this.#head = 0;
    this.#length = 0;
  }
}
