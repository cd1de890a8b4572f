// The one error a receiver gets when what arrived is not what the sender sent (tampered or corrupt data).
// Nothing decrypted from a failing part is ever handed to a sink.

export type IntegrityFailure =
  /** A part's SHA-256 differs from the manifest's. */
  | 'part_hash_mismatch'
  /** A part has the wrong length. */
  | 'part_size_mismatch'
  /** AEAD or key-commitment failure while decrypting a part, the manifest or the link slot. */
  | 'decryption_failed'
  /** The manifest is malformed or disagrees with what the server says about the files. */
  | 'manifest_invalid'
  /** The sender's signature over the manifest does not verify under their certified key (docs/format.md §12.2). */
  | 'signature_invalid';

export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  readonly failure: IntegrityFailure;

  constructor(failure: IntegrityFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.failure = failure;
  }
}
