// The account key UK and its unlock methods (§11.5): each method's secret → KEK → a 104-byte wrap of UK.
import { decryptMessage, encryptMessage } from '../cobblestone/cobblestone.js';
import { CryptoError } from '../errors.js';
import { type Bytes, concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from '../encoding/encoding.js';
import { type MemberIdBytes, type WrapIdBytes, idFromText, newId } from '../encoding/ids.js';
import { hkdfSha256 } from '../primitives/hkdf.js';
import { encodeContext } from '../transfer/context.js';
import { LINK_SLOT_SIZE, SECRET_LENGTH } from '../transfer/transfer-keys.js';
import { ARGON2_MIN, ARGON2_SALT_SIZE, type Argon2Params, checkArgon2Params, passphraseInfo, passphraseSecret } from './argon2.js';
import { decodeRecoveryCode } from './recovery-code.js';

/** UK: 32 random bytes made once, when a member creates their keys. */
export type AccountKey = Bytes & { readonly __brand: 'AccountKey' };
/** A wrap is Cobblestone of 32 bytes: the same 104-byte shape as a link slot. */
export const ACCOUNT_KEY_WRAP_SIZE = LINK_SLOT_SIZE;

export type UnlockKind = 'passphrase' | 'recovery' | 'passkey';

/** One stored wrap of UK. Public data: the server keeps it and hands it back to its member. */
export interface UnlockWrap {
  readonly wrapId: string;
  readonly kind: UnlockKind;
  /** Passphrase wraps only: the Argon2id parameters and salt (base64url). */
  readonly argon2: (Argon2Params & { readonly salt: string }) | null;
  /** Passkey wraps only: the WebAuthn credential id (base64url). */
  readonly credentialId: string | null;
  /** base64url of the 104-byte wrap. */
  readonly wrapped: string;
}

/** What a method contributes: the secret S of §11.5 (kept by the caller only as long as needed). */
export type UnlockSecret =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'recovery'; readonly code: string }
  | { readonly kind: 'passkey'; readonly prfOutput: Uint8Array; readonly credentialId: string };

export function newAccountKey(): AccountKey {
  return randomBytes(SECRET_LENGTH) as AccountKey;
}

/** The WebAuthn PRF input for a passkey wrap: "valise/v1/passkey-prf" ‖ 0x00 ‖ wrapId. */
export function passkeyPrfInput(wrapId: string): Bytes {
  return concatBytes(utf8('valise/v1/passkey-prf'), Uint8Array.of(0), idFromText<'WrapId'>(wrapId));
}

async function methodSecret(secret: UnlockSecret, argon2: (Argon2Params & { salt: string }) | null): Promise<{ s: Bytes; info: Bytes }> {
  switch (secret.kind) {
    case 'passphrase': {
      if (!argon2) throw new CryptoError('record_invalid', 'a passphrase wrap carries its Argon2id parameters');
      const params = checkArgon2Params(argon2);
      return { s: await passphraseSecret(secret.passphrase, fromBase64Url(argon2.salt, ARGON2_SALT_SIZE), params), info: passphraseInfo(params) };
    }
    case 'recovery':
      return { s: decodeRecoveryCode(secret.code), info: utf8('valise/v1/unlock/recovery') };
    case 'passkey':
      if (secret.prfOutput.length !== 32) throw new CryptoError('invalid_length', 'a PRF output is 32 bytes');
      return { s: new Uint8Array(secret.prfOutput), info: utf8('valise/v1/unlock/passkey') };
  }
}

async function kek(memberId: MemberIdBytes, wrapId: WrapIdBytes, s: Bytes, info: Bytes): Promise<Bytes> {
  try {
    return await hkdfSha256(s, concatBytes(memberId, wrapId), info, SECRET_LENGTH);
  } finally {
    s.fill(0);
  }
}

/**
 * Wraps UK under one unlock method. A passphrase wrap gets a fresh salt and `params` (default: the floor);
 * `wrapId` is fresh unless given (a passkey's PRF input is bound to it, so the caller makes it first).
 * `cobblestoneSalt` fixes the wrap's 24-byte Cobblestone salt: for known-answer vectors only.
 */
export async function wrapAccountKey(
  uk: AccountKey,
  memberIdText: string,
  secret: UnlockSecret,
  options: { params?: Argon2Params; wrapId?: string; salt?: Uint8Array; cobblestoneSalt?: Uint8Array } = {},
): Promise<UnlockWrap> {
  if (uk.length !== SECRET_LENGTH) throw new CryptoError('invalid_key', 'an account key is 32 bytes');
  const memberId = idFromText<'MemberId'>(memberIdText);
  const wrapId = options.wrapId ?? toBase64Url(newId<'WrapId'>());
  const argon2 = secret.kind === 'passphrase'
    ? { ...checkArgon2Params(options.params ?? ARGON2_MIN), salt: toBase64Url(options.salt ?? randomBytes(ARGON2_SALT_SIZE)) }
    : null;
  const { s, info } = await methodSecret(secret, argon2);
  const key = await kek(memberId, idFromText<'WrapId'>(wrapId), s, info);
  try {
    const salt = options.cobblestoneSalt;
    const wrapped = await encryptMessage(key, encodeContext('valise/v1/account-key', memberId, idFromText(wrapId)), uk, salt ? { salt } : {});
    return {
      wrapId, kind: secret.kind, argon2,
      credentialId: secret.kind === 'passkey' ? secret.credentialId : null,
      wrapped: toBase64Url(wrapped),
    };
  } finally {
    key.fill(0);
  }
}

/**
 * Recovers UK from a wrap with the method's secret. A wrong passphrase, code or passkey — or a wrap whose
 * parameters, ids or bytes were altered — fails the commitment ('commitment_mismatch'); parameters outside
 * the bounds are refused before any work ('parameters_refused').
 */
export async function unwrapAccountKey(wrap: UnlockWrap, memberIdText: string, secret: UnlockSecret): Promise<AccountKey> {
  if (wrap.kind !== secret.kind) throw new CryptoError('invalid_argument', `this is a ${wrap.kind} wrap`);
  const memberId = idFromText<'MemberId'>(memberIdText);
  const wrapId = idFromText<'WrapId'>(wrap.wrapId);
  const bytes = fromBase64Url(wrap.wrapped);
  if (bytes.length !== ACCOUNT_KEY_WRAP_SIZE) throw new CryptoError('invalid_length', `a wrap is exactly ${ACCOUNT_KEY_WRAP_SIZE} bytes`);
  const { s, info } = await methodSecret(secret, wrap.argon2);
  const key = await kek(memberId, wrapId, s, info);
  try {
    return (await decryptMessage(key, encodeContext('valise/v1/account-key', memberId, wrapId), bytes)) as AccountKey;
  } finally {
    key.fill(0);
  }
}
