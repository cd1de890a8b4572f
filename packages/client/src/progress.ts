// Progress of a transfer as the engines report it, in plaintext bytes (what the person sees as file sizes).

export interface TransferProgress {
  /** Index of the file the last step concerned. */
  fileIndex: number;
  fileBytesDone: number;
  fileBytesTotal: number;
  /** Over every file of the transfer. */
  bytesDone: number;
  bytesTotal: number;
}

export type ProgressListener = (event: TransferProgress) => void;

/** Tracks per-file and total progress and reports each change. */
export class ProgressTracker {
  private readonly done: number[];
  private total = 0;
  private readonly bytesTotal: number;

  constructor(
    private readonly sizes: readonly number[],
    private readonly listener: ProgressListener | undefined,
  ) {
    this.done = sizes.map(() => 0);
    this.bytesTotal = sizes.reduce((a, b) => a + b, 0);
  }

  add(fileIndex: number, bytes: number): void {
    this.done[fileIndex] = (this.done[fileIndex] ?? 0) + bytes;
    this.total += bytes;
    this.listener?.({
      fileIndex,
      fileBytesDone: this.done[fileIndex]!,
      fileBytesTotal: this.sizes[fileIndex] ?? 0,
      bytesDone: this.total,
      bytesTotal: this.bytesTotal,
    });
  }
}
