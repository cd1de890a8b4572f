// Cobblestone as web-streams TransformStreams: sequential encryption, and decryption that finds the end of the message itself.
import { ByteQueue } from './byte-queue.js';
import { type CobblestoneOptions, type Decryptor, type EncryptOptions, type Encryptor, checkInputKey, createEncryptor, openDecryptor } from './cobblestone.js';
import { CHUNK_CONCURRENCY } from './concurrency.js';
import { CryptoError } from '../errors.js';
import { type Bytes } from '../encoding/encoding.js';
import { CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, TAG_SIZE, chunkCount, ciphertextSize } from './layout.js';
import { COBBLESTONE_256 } from './suite.js';

export interface DecryptStreamOptions extends CobblestoneOptions {
  /**
   * The authenticated plaintext size, when known (the manifest's `size`). Then extra bytes fail at once
   * with 'trailing_data' and a short stream with 'truncated'. Without it, the end of the stream marks
   * the end of the message, as C2SP intends.
   */
  readonly plaintextSize?: number;
}

/**
 * Encrypts a byte stream: emits the 56-byte header, then each full 16 KiB chunk as soon as it is
 * buffered (a full chunk is never final), and at the end the short final chunk, possibly empty
 * (C2SP "Implementation notes").
 */
export function createEncryptStream(inputKey: Uint8Array, context: Uint8Array, opts: EncryptOptions = {}): TransformStream<Uint8Array, Bytes> {
  checkInputKey(opts.suite ?? COBBLESTONE_256, inputKey);
  const key = new Uint8Array(inputKey);
  const ctx = new Uint8Array(context);
  const queue = new ByteQueue();
  let encryptor: Encryptor | undefined;
  let index = 0;
  return new TransformStream<Uint8Array, Bytes>({
    async start(controller) {
      encryptor = await createEncryptor(key, ctx, opts);
      key.fill(0);
      controller.enqueue(encryptor.header);
    },
    async transform(piece, controller) {
      queue.push(piece);
      // Windows of CHUNK_CONCURRENCY chunks: parallel inside a window, emitted in order.
      while (queue.length >= CHUNK_SIZE) {
        const batch: Promise<Bytes>[] = [];
        while (queue.length >= CHUNK_SIZE && batch.length < CHUNK_CONCURRENCY) batch.push(encryptor!.encryptChunk(index++, queue.take(CHUNK_SIZE), false));
        for (const chunk of await Promise.all(batch)) controller.enqueue(chunk);
      }
    },
    async flush(controller) {
      controller.enqueue(await encryptor!.encryptChunk(index, queue.take(queue.length), true));
    },
  });
}

/**
 * Decrypts a Cobblestone byte stream. The commitment is checked as soon as the 56 header bytes are in;
 * a chunk's plaintext is emitted only after its tag verified. A 16400-byte chunk is never final, so
 * full chunks are decrypted as they arrive; whatever remains at the end must be a short final chunk
 * (16..16399 bytes), otherwise the stream errors with 'truncated' (it ended mid-header, on a full chunk,
 * or inside a tag). Modified, reordered or trailing bytes fail authentication ('authentication_failed'),
 * or 'trailing_data' when `plaintextSize` is given. Once errored, the stream stays errored.
 */
export function createDecryptStream(inputKey: Uint8Array, context: Uint8Array, opts: DecryptStreamOptions = {}): TransformStream<Uint8Array, Bytes> {
  checkInputKey(opts.suite ?? COBBLESTONE_256, inputKey);
  const expectedSize = opts.plaintextSize === undefined ? undefined : ciphertextSize(opts.plaintextSize);
  // With a known size, the last index is known; otherwise any full chunk may be followed by more.
  const lastIndex = opts.plaintextSize === undefined ? Infinity : chunkCount(opts.plaintextSize) - 1;
  const key = new Uint8Array(inputKey);
  const ctx = new Uint8Array(context);
  const queue = new ByteQueue();
  let decryptor: Decryptor | undefined;
  let index = 0;
  let received = 0;

  const fail = (error: unknown): never => {
    queue.clear();
    key.fill(0);
    throw error;
  };

  // Decrypts a batch concurrently and emits the verified prefix in order; the first failure ends the stream.
  const emitInOrder = async (controller: TransformStreamDefaultController<Bytes>, batch: Promise<Bytes>[]) => {
    const results = await Promise.allSettled(batch);
    for (const result of results) {
      if (result.status === 'rejected') fail(result.reason);
      else controller.enqueue(result.value);
    }
  };

  return new TransformStream<Uint8Array, Bytes>({
    async transform(piece, controller) {
      received += piece.length;
      if (expectedSize !== undefined && received > expectedSize) {
        fail(new CryptoError('trailing_data', 'the ciphertext continues after its final chunk'));
      }
      queue.push(piece);
      if (decryptor === undefined) {
        if (queue.length < HEADER_SIZE) return;
        decryptor = await openDecryptor(key, ctx, queue.take(HEADER_SIZE), opts).catch(fail);
        key.fill(0);
      }
      while (queue.length >= ENCRYPTED_CHUNK_SIZE && index < lastIndex) {
        const batch: Promise<Bytes>[] = [];
        while (queue.length >= ENCRYPTED_CHUNK_SIZE && index < lastIndex && batch.length < CHUNK_CONCURRENCY) {
          batch.push(decryptor.decryptChunk(index++, queue.take(ENCRYPTED_CHUNK_SIZE), false));
        }
        await emitInOrder(controller, batch);
      }
    },
    async flush(controller) {
      if (decryptor === undefined) fail(new CryptoError('truncated', 'the stream ended inside the 56-byte header'));
      if (expectedSize !== undefined && received < expectedSize) fail(new CryptoError('truncated', 'the stream ended before its final chunk'));
      if (queue.length < TAG_SIZE) {
        fail(new CryptoError('truncated', queue.length === 0 ? 'the stream ended without its short final chunk' : 'the stream ended inside an authentication tag'));
      }
      await emitInOrder(controller, [decryptor!.decryptChunk(index, queue.take(queue.length), true)]);
    },
  });
}
