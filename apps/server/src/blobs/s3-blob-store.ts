// Blob storage in an S3 bucket (AWS S3, MinIO, Ceph RGW…) through AWS SDK v3; one object per key, streamed.
import {
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { Readable, pipeline } from 'node:stream';
import {
  BlobNotFoundError, BlobRangeError, KEY_PATTERN, assertBlobKey, assertBlobPrefix, assertRange, assertSize,
  type BlobStore, type ByteRange,
} from './blob-store.js';
import type { Logger } from '../logger.js';
import { sizeGuard } from './size-guard.js';

const FAILED_UPLOAD_SETTLE_MS = 250;

export interface S3BlobStoreOptions {
  readonly bucket: string;
  readonly endpoint: string | null;
  readonly region: string;
  readonly accessKeyId: string | null;
  readonly secretAccessKey: string | null;
  readonly forcePathStyle: boolean;
  /** Where the SDK's own warnings go (it writes them to the console otherwise). */
  readonly logger?: Pick<Logger, 'warn' | 'error'>;
}

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly #client: S3Client;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.#client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
      // The SDK's default adds CRC trailers with aws-chunked encoding to streamed uploads, which many
      // S3-compatible stores reject. Parts carry their own SHA-256, checked by the server when they arrive.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      logger: sdkLogger(options.logger),
    });
  }

  async put(key: string, stream: Readable, size: number): Promise<void> {
    assertBlobKey(key);
    assertSize(size);
    let streamError: Error | undefined;
    const abort = new AbortController();
    // pipeline(…, callback) returns the guard, which the SDK reads; any error destroys the whole chain, and the
    // request is aborted: otherwise a short body leaves it waiting forever for the bytes ContentLength announced.
    const body = pipeline(stream, sizeGuard(key, size), (error) => {
      if (!error) return;
      streamError = error;
      abort.abort(error);
    });
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size }),
        { abortSignal: abort.signal },
      );
      if (streamError) throw streamError;
    } catch (error) {
      await this.#removeFailedUpload(key);
      throw streamError ?? error;
    }
  }

  // S3 never stores an interrupted PUT, but not every compatible store is as careful (s3rver, for one, may still
  // record the object after the client gave up). Keys are single-use, so whatever the key holds is garbage: delete
  // it now, and once more after the store has had time to notice the aborted connection.
  async #removeFailedUpload(key: string): Promise<void> {
    await this.delete(key).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, FAILED_UPLOAD_SETTLE_MS));
    await this.delete(key).catch(() => undefined);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertBlobKey(key);
    assertRange(range);
    let response;
    try {
      response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (error) {
      if (isS3Error(error, 'NoSuchKey', 404)) throw new BlobNotFoundError(key);
      if (isS3Error(error, 'InvalidRange', 416)) throw new BlobRangeError(key);
      throw error;
    }
    const body = response.Body as Readable;
    if (!range) return body;
    // Never hand out more than was asked: some S3 imitations answer a range with more bytes than requested.
    const served = /^bytes (\d+)-(\d+)\/(?:\d+|\*)$/.exec(response.ContentRange ?? '');
    if (!served || Number(served[1]) !== range.start) {
      body.destroy();
      throw new Error(`blob ${key}: the storage did not honour the requested range`);
    }
    const servedEnd = Number(served[2]);
    return servedEnd > range.end ? Readable.from(take(body, range.end - range.start + 1)) : body;
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    // S3 answers 204 whether or not the object existed.
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async stat(key: string): Promise<{ size: number } | null> {
    assertBlobKey(key);
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isS3Error(error, 'NotFound', 404)) return null;
      throw error;
    }
  }

  async *list(prefix = ''): AsyncIterable<string> {
    assertBlobPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          ...(prefix ? { Prefix: prefix } : {}),
          ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        // Other things in the bucket are not ours to report.
        if (object.Key && KEY_PATTERN.test(object.Key)) yield object.Key;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async ping(): Promise<void> {
    await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

function isS3Error(error: unknown, name: string, status: number): boolean {
  if (!(error instanceof Error)) return false;
  // Some compatible stores answer with a bare status and no error code.
  return error.name === name || (error instanceof S3ServiceException && error.$metadata?.httpStatusCode === status && status === 416);
}

async function* take(source: Readable, bytes: number): AsyncGenerator<Buffer> {
  let left = bytes;
  try {
    for await (const chunk of source) {
      const buffer = chunk as Buffer;
      if (buffer.length >= left) {
        yield buffer.subarray(0, left);
        return;
      }
      left -= buffer.length;
      yield buffer;
    }
  } finally {
    source.destroy();
  }
}

function sdkLogger(logger: Pick<Logger, 'warn' | 'error'> | undefined) {
  const text = (content: unknown[]) => content.map(String).join(' ');
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...content: unknown[]) => logger?.warn({ component: 's3' }, text(content)),
    error: (...content: unknown[]) => logger?.error({ component: 's3' }, text(content)),
  };
}
