// Test helpers for member-to-member transfers: an organisation key, members with real keys (made, sealed and
// certified with @valise/crypto, set up over HTTP), and a sender's client that seals member slots to the certified
// keys it fetched and signs the manifest, as docs/format.md §12 says.
import { randomBytes } from 'node:crypto';
import {
  type CertifiedMemberKey, type ClientKey, type KemName, type LinkSecret, type SigName, type SigningKey, type SlotIdBytes,
  type TransferIdBytes, type UnlockedMemberKeys,
  certifyMemberKey, checkCertifiedMemberKey, fromUtf8, generateMemberKeys, generateSigKeyPair, idFromText, importSigningKey,
  newAccountKey, newRecoveryCode, newSecret, openKeyBundle, parseMemberKeyRecord, sealKeyBundle, sealMemberSlot,
  serializeMemberKeyRecord, signManifest, toBase64Url, wrapAccountKey,
} from '@valise/crypto';
import type { CreateTransferResponse, FinalizeRequest, ManifestSignature, MemberSlot } from '@valise/protocol';
import { newId } from '../accounts/tokens.js';
import { finalizeBody, type Harness, type Member, type Reply } from '../transfers/transfer-test-kit.js';

export interface OrgKey {
  readonly publicKey: string;
  readonly signingKey: SigningKey;
}

export async function newOrgKey(): Promise<OrgKey> {
  const pair = await generateSigKeyPair('Ed25519');
  return { publicKey: toBase64Url(pair.publicKey), signingKey: await importSigningKey('Ed25519', pair.privateKeyPkcs8) };
}

/** A member whose client holds its unlocked keys. */
export interface KeyedMember extends Member {
  readonly keys: UnlockedMemberKeys;
}

/** What the sender's client made for one transfer. */
export interface MemberSend {
  readonly transferId: string;
  readonly created: CreateTransferResponse;
  readonly clientKey: ClientKey;
  /** Ciphertext of each file, as uploaded. */
  readonly files: readonly Buffer[];
  /** The plaintext manifest bytes the signature covers (the stored manifest is opaque to the server). */
  readonly manifestPlaintext: Uint8Array;
  readonly body: FinalizeRequest;
  readonly linkSecret: LinkSecret | null;
  readonly linkSlotId: string | null;
}

export class MemberKit {
  readonly h: Harness;
  readonly org: OrgKey;

  constructor(h: Harness, org: OrgKey) {
    this.h = h;
    this.org = org;
  }

  /** A member with keys set up over HTTP (passkey + recovery wraps) and, unless told otherwise, certified. */
  async keyedMember(options: { certified?: boolean; kem?: KemName; sig?: SigName; email?: string } = {}): Promise<KeyedMember> {
    const m = await this.h.member(options.email);
    const algorithms = options.kem && options.sig ? { kem: options.kem, sig: options.sig } : {};
    const keys = await generateMemberKeys(m.id, m.email, algorithms);
    const uk = newAccountKey();
    const wraps = [
      await wrapAccountKey(uk, m.id, { kind: 'passkey', prfOutput: randomBytes(32), credentialId: randomBytes(32).toString('base64url') }),
      await wrapAccountKey(uk, m.id, { kind: 'recovery', code: newRecoveryCode() }),
    ];
    const bundle = await sealKeyBundle(uk, keys);
    const record = fromUtf8(serializeMemberKeyRecord(keys.record));
    const put = await this.h.request('PUT', '/me/keys', { token: m.token, body: { record, bundle: toBase64Url(bundle), wraps } });
    if (put.status !== 201) throw new Error(`keys: ${put.status} ${JSON.stringify(put.body)}`);
    if (options.certified ?? true) {
      const certificate = await certifyMemberKey(this.org.signingKey, keys.record);
      await this.h.db.updateTable('member_keys').set({ certificate, certified_at: this.h.clock.now() }).where('user_id', '=', m.id).execute();
    }
    // What the member's client does after unlocking UK: open the bundle against its own record.
    return { ...m, keys: await openKeyBundle(uk, keys.record, bundle) };
  }

  /** A contact's key as a client gets it: served by the server, checked against the organisation key. */
  async certifiedKey(viewer: Member, email: string): Promise<CertifiedMemberKey> {
    const reply = await this.h.request('GET', `/members/key?email=${encodeURIComponent(email)}`, { token: viewer.token });
    if (reply.status !== 200) throw new Error(`key of ${email}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return checkCertifiedMemberKey(
      Buffer.from(this.org.publicKey, 'base64url'), parseMemberKeyRecord(reply.body.record), Buffer.from(reply.body.certificate, 'base64url'),
      { memberId: reply.body.memberId, email },
    );
  }

  /** Seals CK to a checked key. */
  async slot(key: CertifiedMemberKey, transferId: string, ck: ClientKey, slotId = newId()): Promise<MemberSlot> {
    const wrapped = await sealMemberSlot(key, idFromText<'TransferId'>(transferId) as TransferIdBytes, idFromText<'SlotId'>(slotId) as SlotIdBytes, ck);
    return { slotId, email: key.record.email, fingerprint: toBase64Url(key.fingerprint), wrapped: toBase64Url(wrapped) };
  }

  async signature(sender: KeyedMember, transferId: string, manifestPlaintext: Uint8Array): Promise<ManifestSignature> {
    const signature = await signManifest(sender.keys, idFromText<'TransferId'>(transferId) as TransferIdBytes, manifestPlaintext);
    return { signerFingerprint: toBase64Url(sender.keys.fingerprint), signature: toBase64Url(signature) };
  }

  /** Create and upload (not finalized), for `recipients` (addresses). */
  async upload(sender: Member, recipients: readonly string[], options: { sizes?: number[]; maxDownloads?: number; expiresInSeconds?: number } = {}) {
    const created = await this.h.create(sender, options.sizes ?? [1000], {
      recipients,
      ...(options.maxDownloads ? { maxDownloads: options.maxDownloads } : {}),
      ...(options.expiresInSeconds ? { expiresInSeconds: options.expiresInSeconds } : {}),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    const response = created.body as CreateTransferResponse;
    const files = response.files.map((f) => randomBytes(f.ciphertextSize));
    for (let i = 0; i < files.length; i++) await this.h.uploadFile(sender, response, i, files[i]!);
    return { created: response, files };
  }

  /**
   * Uploads, then builds the finalize body a member sender's client sends: a slot for each of `members` (fetched and
   * checked keys), a self slot unless told otherwise, the manifest signature, and a link if asked.
   */
  async prepare(
    sender: KeyedMember,
    recipients: readonly string[],
    members: readonly Member[],
    options: { self?: boolean; link?: boolean; sizes?: number[]; maxDownloads?: number; expiresInSeconds?: number } = {},
  ): Promise<MemberSend> {
    const { created, files } = await this.upload(sender, recipients, options);
    const transferId = created.transferId;
    const clientKey = newSecret<'ClientKey'>();
    const slots: MemberSlot[] = [];
    for (const m of members) slots.push(await this.slot(await this.certifiedKey(sender, m.email), transferId, clientKey));
    if (options.self ?? true) slots.push(await this.slot(await this.certifiedKey(sender, sender.email), transferId, clientKey));
    const manifestPlaintext = new TextEncoder().encode(JSON.stringify({ files: [{ name: 'scan-of-patient-file.pdf' }], message: 'hello' }));
    const manifest = randomBytes(300).toString('base64url');
    let body: FinalizeRequest = { memberSlots: slots, manifestSignature: await this.signature(sender, transferId, manifestPlaintext), manifest };
    let linkSecret: LinkSecret | null = null;
    let linkSlotId: string | null = null;
    if (options.link) {
      linkSecret = newSecret<'LinkSecret'>();
      linkSlotId = newId();
      const link = await finalizeBody(transferId, linkSlotId, linkSecret, clientKey);
      body = { ...body, linkSlot: link.linkSlot!, linkAuthKey: link.linkAuthKey! };
    }
    return { transferId, created, clientKey, files, manifestPlaintext, body, linkSecret, linkSlotId };
  }

  finalize(sender: Member, transferId: string, body: unknown): Promise<Reply> {
    return this.h.request('POST', `/transfers/${transferId}/finalize`, { token: sender.token, body });
  }

  /** prepare → finalize, expecting success. */
  async send(sender: KeyedMember, recipients: readonly string[], members: readonly Member[], options: Parameters<MemberKit['prepare']>[3] = {}): Promise<MemberSend> {
    const prepared = await this.prepare(sender, recipients, members, options);
    const reply = await this.finalize(sender, prepared.transferId, prepared.body);
    if (reply.status !== 200) throw new Error(`finalize: ${reply.status} ${JSON.stringify(reply.body)}`);
    return prepared;
  }

  open(member: Member, transferId: string): Promise<Reply> {
    return this.h.request('POST', `/inbox/${transferId}/open`, { token: member.token, body: {} });
  }

  async inbox(member: Member): Promise<{ transferId: string; [key: string]: unknown }[]> {
    const reply = await this.h.request('GET', '/inbox', { token: member.token });
    if (reply.status !== 200) throw new Error(`inbox: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.transfers;
  }
}
