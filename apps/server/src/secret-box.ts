// Encrypts small server-side secrets at rest (TOTP secrets, server shares) under a keystore key: AES-256-GCM,
// random 96-bit nonce, and associated data naming what the secret is and whose, so a row cannot be swapped.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** `purpose` and `owner` are bound as associated data: e.g. ("totp", userId) or ("server-share", transferId). */
export function sealSecret(key: Uint8Array, purpose: string, owner: string, secret: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(purpose, owner));
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]));
}

export function openSecret(key: Uint8Array, purpose: string, owner: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new Error('sealed secret has an unknown format');
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(associatedData(purpose, owner));
  decipher.setAuthTag(tag);
  return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]));
}

function associatedData(purpose: string, owner: string): Buffer {
  return Buffer.from(`valise/v1/secret-box\0${purpose}\0${owner}`, 'utf8');
}
