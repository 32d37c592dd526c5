// A fixed-capacity FIFO of serialized events with their byte sizes: a ring over preallocated
// arrays, so push and shift are O(1) and never allocate, whatever the backlog.

export class LineQueue {
  readonly capacity: number;
  readonly #lines: (string | undefined)[];
  readonly #sizes: Float64Array;
  #head = 0;
  #size = 0;
  #bytes = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    this.#lines = new Array<string | undefined>(capacity).fill(undefined);
    this.#sizes = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Sum of the byte sizes of the lines held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends; false (and nothing changes) when full. */
  push(line: string, bytes: number): boolean {
    if (this.#size === this.capacity) return false;
    const at = (this.#head + this.#size) % this.capacity;
    this.#lines[at] = line;
    this.#sizes[at] = bytes;
    this.#size++;
    this.#bytes += bytes;
    return true;
  }

  /** Byte size of the oldest line; undefined when empty. */
  peekBytes(): number | undefined {
    return this.#size === 0 ? undefined : this.#sizes[this.#head];
  }

  /** Removes and returns the oldest line. */
  shift(): string | undefined {
    if (this.#size === 0) return undefined;
    const line = this.#lines[this.#head];
    this.#bytes -= this.#sizes[this.#head] ?? 0;
    this.#lines[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return line;
  }

  /** Empties the queue; returns how many lines it held. */
  clear(): number {
    const n = this.#size;
    while (this.#size > 0) this.shift();
    return n;
  }
}
