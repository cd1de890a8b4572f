// Receives one ciphertext part: checks it against the file layout, streams it to the blob store while hashing, and
// records it. Never holds a whole part in memory; a refused part leaves no blob behind.
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PartReceipt } from '@valise/protocol';
import { BlobSizeMismatchError, newBlobKey, type BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { partSize } from './part-layout.js';
import { PartRepository } from './part.repository.js';
import { TransferRepository, type TransferRow } from './transfer.repository.js';
import type { Sender } from './transfer.service.js';

/**
 * Who may upload to which transfer, for callers other than a member sender (whose scope is their own transfers): a
 * depositor's token names one deposit (boxes/deposits.service.ts). Answers undefined (a 404) or throws the refusal.
 */
export interface UploadScope {
  transfer(transferId: string): Promise<TransferRow | undefined>;
}

/** A member sender, or another scope. */
export type Uploader = Sender | UploadScope;

export interface PartServiceDeps {
  readonly handle: DatabaseHandle;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface PartTarget {
  readonly transferId: string;
  readonly fileId: string;
  readonly index: number;
}

export interface PartUpload {
  /** The Content-Length header, or undefined when the request had none (chunked). */
  readonly contentLength: number | undefined;
  /** base64url SHA-256 the sender announced. */
  readonly sha256: string;
  readonly body: Readable;
}

export class PartService {
  readonly #deps: PartServiceDeps;
  readonly #transfers: TransferRepository;
  readonly #parts: PartRepository;

  constructor(deps: PartServiceDeps) {
    this.#deps = deps;
    this.#transfers = new TransferRepository(deps.handle);
    this.#parts = new PartRepository(deps.handle);
  }

  /**
   * Everything that can be decided from the headers, before one byte of the body is read: a part that would be
   * refused anyway must not cost its upload. Returns the exact size the part must have.
   */
  async check(uploader: Uploader, target: PartTarget, contentLength: number | undefined): Promise<number> {
    const transfer = 'transfer' in uploader
      ? await uploader.transfer(target.transferId)
      : await this.#transfers.findOwned(target.transferId, uploader.id);
    if (!transfer) throw new AppError('not_found');
    if (transfer.state !== 'uploading') throw new AppError('transfer_not_uploading');
    const file = await this.#parts.findFile(target.transferId, target.fileId);
    if (!file) throw new AppError('not_found');
    const expected = partSize(file.ciphertext_size, target.index);
    if (expected === null) {
      throw new AppError('part_out_of_range', { detail: `File ${target.fileId} has ${file.part_count} parts, numbered from 0.` });
    }
    if (contentLength === undefined) throw new AppError('part_size_mismatch', { detail: 'A Content-Length header is required.' });
    if (contentLength > expected) {
      throw new AppError('payload_too_large', { detail: `Part ${target.index} of this file is ${expected} bytes; ${contentLength} were announced.` });
    }
    if (contentLength !== expected) {
      throw new AppError('part_size_mismatch', { detail: `Part ${target.index} of this file is ${expected} bytes; ${contentLength} were announced.` });
    }
    return expected;
  }

  async put(uploader: Uploader, target: PartTarget, upload: PartUpload): Promise<PartReceipt> {
    const { blobs, clock, handle, logger } = this.#deps;
    const size = await this.check(uploader, target, upload.contentLength);
    const announced = Buffer.from(upload.sha256, 'base64url');

    // A fresh key per upload: a retry never overwrites bytes that a committed row may still point at.
    const key = newBlobKey();
    const hashing = new HashingStream();
    const feeding = pipeline(upload.body, hashing);
    // A client that goes away mid-part rejects this while blobs.put is still running; it is awaited (or its
    // failure superseded by put's) below, so mark it handled now rather than leave an unhandled rejection.
    feeding.catch(() => undefined);
    try {
      await blobs.put(key, hashing, size);
      await feeding;
    } catch (error) {
      await blobs.delete(key).catch(() => undefined);
      if (error instanceof BlobSizeMismatchError) {
        throw new AppError('part_size_mismatch', { detail: `Part ${target.index} must be ${size} bytes; ${hashing.bytes} arrived.` });
      }
      throw error;
    }
    const digest = hashing.digest();
    if (announced.length !== digest.length || !timingSafeEqual(announced, digest)) {
      await blobs.delete(key);
      throw new AppError('part_hash_mismatch', { detail: `The SHA-256 of part ${target.index} is not the one announced.` });
    }

    // A first receipt may be committed lazily (see WriteTransactionOptions.durability): if a power cut loses it,
    // the client sees the part missing and sends it again. Replacing a part deletes the old blob, which is only
    // safe once the new row is surely on disk, so a replacement commits in full.
    const durability = (await this.#parts.find(target.fileId, target.index)) ? 'full' : 'deferred';
    let replaced: string | null;
    try {
      replaced = await withWriteTransaction(handle, async (trx) => {
        // The row lock serializes uploads of this transfer's parts, and refuses them once finalized or revoked.
        if (!(await this.#transfers.lockIfUploading(trx, target.transferId))) throw new AppError('transfer_not_uploading');
        return this.#parts.upsert(trx, {
          fileId: target.fileId, index: target.index, transferId: target.transferId,
          blobKey: key, size, sha256: digest, uploadedAt: clock.now(),
        });
      }, { durability });
    } catch (error) {
      await blobs.delete(key).catch(() => undefined);
      throw error;
    }
    if (replaced !== null && durability === 'deferred') {
      // Two first uploads of one part raced past the check above. A full commit of the same row flushes the
      // deferred one with it (both logs are append-only), so the new row is on disk before the old blob goes.
      await withWriteTransaction(handle, (trx) => this.#parts.rewrite(trx, target.fileId, target.index));
    }
    // Only after the commit: until then the old row (and its blob) was the part.
    if (replaced !== null) {
      await blobs.delete(replaced).catch((error: unknown) =>
        logger.error({ err: error, transferId: target.transferId }, 'could not delete the blob of a replaced part'),
      );
    }
    return { index: target.index, size, sha256: digest.toString('base64url') };
  }
}

/** Passes bytes through while hashing and counting them. */
class HashingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): Buffer {
    return this.#hash.digest();
  }
}
