// The organisation key (§11.6): an Ed25519 key pair kept offline in a passphrase-sealed file on an admin's machine.
import { decryptMessage, encryptMessage } from '../cobblestone/cobblestone.js';
import { CryptoError } from '../errors.js';
import { type Bytes, fromBase64Url, fromUtf8, randomBytes, toBase64Url } from '../encoding/encoding.js';
import { type OrgKeyIdBytes, idFromText, idToText } from '../encoding/ids.js';
import { sha256 } from '../primitives/digest.js';
import { hkdfSha256 } from '../primitives/hkdf.js';
import { encodeContext } from '../transfer/context.js';
import { ARGON2_MIN, ARGON2_SALT_SIZE, type Argon2Params, checkArgon2Params, passphraseInfo, passphraseSecret } from './argon2.js';
import { ORG_PUBLIC_KEY_SIZE } from './certificate.js';
import { type SigningKey, generateSigKeyPair, importSigningKey } from './signing.js';
import { bytesField, canonicalBytes, field, invalid, parseCanonicalObject, versionOne } from './strict-json.js';

const ORG_KEY_TYPE = 'valise/org-key';

export interface OrgKeyFile {
  readonly v: 1;
  readonly type: typeof ORG_KEY_TYPE;
  readonly orgKeyId: string;
  readonly publicKey: string;
  readonly argon2: Argon2Params & { readonly salt: string };
  readonly sealed: string;
}

/** orgKeyId = the first 16 bytes of SHA-256(publicKey). */
export async function orgKeyIdOf(publicKey: Uint8Array): Promise<OrgKeyIdBytes> {
  return (await sha256(publicKey)).slice(0, 16) as OrgKeyIdBytes;
}

async function orgKek(passphrase: string, orgKeyId: OrgKeyIdBytes, argon2: Argon2Params & { salt: string }): Promise<Bytes> {
  const params = checkArgon2Params(argon2);
  const s = await passphraseSecret(passphrase, fromBase64Url(argon2.salt, ARGON2_SALT_SIZE), params);
  try {
    return await hkdfSha256(s, orgKeyId, passphraseInfo(params), 32);
  } finally {
    s.fill(0);
  }
}

/** Makes the organisation key pair and seals its private half under the passphrase. Returns the file's bytes. */
export async function createOrgKeyFile(passphrase: string, params: Argon2Params = ARGON2_MIN): Promise<{ file: OrgKeyFile; bytes: Bytes }> {
  const pair = await generateSigKeyPair('Ed25519');
  const orgKeyId = await orgKeyIdOf(pair.publicKey);
  const argon2 = { ...checkArgon2Params(params), salt: toBase64Url(randomBytes(ARGON2_SALT_SIZE)) };
  const kek = await orgKek(passphrase, orgKeyId, argon2);
  try {
    const sealed = await encryptMessage(kek, encodeContext('valise/v1/org-key', orgKeyId), pair.privateKeyPkcs8);
    const file: OrgKeyFile = { v: 1, type: ORG_KEY_TYPE, orgKeyId: idToText(orgKeyId), publicKey: toBase64Url(pair.publicKey), argon2, sealed: toBase64Url(sealed) };
    return { file, bytes: canonicalBytes(file) };
  } finally {
    kek.fill(0);
    pair.privateKeyPkcs8.fill(0);
  }
}

/** Strict parse of an organisation key file; the id must be the public key's. */
export async function parseOrgKeyFile(bytes: Uint8Array): Promise<OrgKeyFile> {
  const what = 'organisation key file';
  const o = parseCanonicalObject(fromUtf8(bytes).trimEnd(), what, ['argon2', 'orgKeyId', 'publicKey', 'sealed', 'type', 'v']);
  versionOne(o, ORG_KEY_TYPE, what);
  const publicKey = bytesField(o, 'publicKey', what, ORG_PUBLIC_KEY_SIZE);
  const orgKeyId = field(o, 'orgKeyId', what);
  if (idToText(await orgKeyIdOf(publicKey)) !== orgKeyId) invalid(`${what}.orgKeyId`, 'does not match the public key');
  const a = o['argon2'];
  if (typeof a !== 'object' || a === null) invalid(`${what}.argon2`, 'must be an object');
  const argon2 = a as Record<string, unknown>;
  bytesField(argon2, 'salt', `${what}.argon2`, ARGON2_SALT_SIZE);
  bytesField(o, 'sealed', what);
  return o as unknown as OrgKeyFile;
}

/** Unseals the organisation signing key; a wrong passphrase fails the commitment ('commitment_mismatch'). */
export async function unlockOrgKey(file: OrgKeyFile, passphrase: string): Promise<SigningKey> {
  const orgKeyId = idFromText<'OrgKeyId'>(file.orgKeyId);
  const kek = await orgKek(passphrase, orgKeyId, file.argon2);
  try {
    const pkcs8 = await decryptMessage(kek, encodeContext('valise/v1/org-key', orgKeyId), fromBase64Url(file.sealed));
    try {
      return await importSigningKey('Ed25519', pkcs8);
    } finally {
      pkcs8.fill(0);
    }
  } finally {
    kek.fill(0);
  }
}

