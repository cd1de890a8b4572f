// A pass-through that fails the stream unless exactly the announced number of bytes goes through it.
import { Transform } from 'node:stream';
import { BlobSizeMismatchError } from './blob-store.js';

export function sizeGuard(key: string, size: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      // Fail as soon as the stream runs long, rather than storing the excess first.
      if (seen > size) callback(new BlobSizeMismatchError(key, size, `more`));
      else callback(null, chunk);
    },
    flush(callback) {
      callback(seen === size ? null : new BlobSizeMismatchError(key, size, `${seen}`));
    },
  });
}
