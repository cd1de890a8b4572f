// Test helpers for drop boxes: an owner's client that makes a box with @valise/crypto (createDropBox, keys sealed to
// the owner's certified key) and opens deposits with the box keys it fetched back; a depositor's client that verifies
// the box key against the link, proves an address by the mailed code, uploads and seals the box slot (§13).
import { randomBytes } from 'node:crypto';
import {
  type BoxIdentity, type BoxKeys, type ClientKey, type KemName, type NewDropBox, type SigName, type SlotIdBytes, type TransferIdBytes,
  type VerifiedBoxKey,
  ciphertextSize, createDropBox, fromUtf8, idFromText, newSecret, openBoxKeys, openBoxSlot, parseBoxKeyRecord, parseBoxLinkFragment, partCount,
  sealBoxKeysForOwner, sealBoxSlot, serializeBoxKeyRecord, toBase64Url, verifyBoxKey,
} from '@valise/crypto';
import { PART_HASH_HEADER, type CreateBoxRequest, type CreateDepositResponse, type FinalizeDepositRequest } from '@valise/protocol';
import { newId } from '../accounts/tokens.js';
import type { KeyedMember, MemberKit } from '../inbox/member-test-kit.js';
import { type Harness, type Reply, partBytes, plaintextSizeFor, sha256Of } from '../transfers/transfer-test-kit.js';

export const tid = (id: string) => idFromText<'TransferId'>(id) as TransferIdBytes;
export const sid = (id: string) => idFromText<'SlotId'>(id) as SlotIdBytes;

/** A box as its creator's client made it, and the request it sent. */
export interface MadeBox {
  readonly box: NewDropBox;
  readonly body: CreateBoxRequest;
  /** The fragment of the box link: what a depositor's client trusts. */
  readonly fragment: string;
}

/** What a depositor's client keeps of one deposit. */
export interface Deposit {
  readonly transferId: string;
  readonly created: CreateDepositResponse;
  readonly token: string;
  readonly clientKey: ClientKey;
  readonly files: readonly Buffer[];
  readonly body: FinalizeDepositRequest;
}

export class BoxKit {
  readonly h: Harness;
  readonly members: MemberKit;

  constructor(members: MemberKit) {
    this.h = members.h;
    this.members = members;
  }

  /** The creator's client: keys made locally, the bundle sealed to the owner's certified key as served and checked. */
  async make(owner: KeyedMember, options: {
    name?: string; kem?: KemName; sig?: SigName; expiresInSeconds?: number; maxDeposits?: number; maxDepositBytes?: number;
    allowedDomains?: string[]; dataClass?: string;
  } = {}): Promise<MadeBox> {
    const box = await createDropBox(options.name ?? 'Lab results', {
      ...(options.kem ? { kem: options.kem } : {}), ...(options.sig ? { sig: options.sig } : {}), now: new Date(this.h.clock.now()),
    });
    const key = await this.members.certifiedKey(owner, owner.email);
    const sealed = await sealBoxKeysForOwner(key, box.boxId, box.bundle);
    const body: CreateBoxRequest = {
      boxId: box.boxId,
      identity: { sig: box.identity.sig, publicKey: toBase64Url(box.identity.publicKey) },
      key: { record: fromUtf8(serializeBoxKeyRecord(box.record)), signature: toBase64Url(box.signature) },
      ownerKeys: { fingerprint: toBase64Url(key.fingerprint), sealed: toBase64Url(sealed) },
      expiresInSeconds: options.expiresInSeconds ?? 3 * 86_400,
      maxDeposits: options.maxDeposits ?? 10,
      maxDepositBytes: options.maxDepositBytes ?? 10_000_000,
      allowedDomains: options.allowedDomains ?? [],
      ...(options.dataClass ? { dataClass: options.dataClass } : {}),
    };
    return { box, body, fragment: toBase64Url(box.identity.publicKey) };
  }

  createRequest(owner: KeyedMember, body: unknown): Promise<Reply> {
    return this.h.request('POST', '/boxes', { token: owner.token, body });
  }

  /** make → POST /boxes, expecting 201. */
  async create(owner: KeyedMember, options: Parameters<BoxKit['make']>[1] = {}): Promise<MadeBox> {
    const made = await this.make(owner, options);
    const reply = await this.createRequest(owner, made.body);
    if (reply.status !== 201) throw new Error(`create box: ${reply.status} ${JSON.stringify(reply.body)}`);
    return made;
  }

  // The depositor's client.

  async askCode(boxId: string, email: string, name = 'Ana Lab'): Promise<Reply> {
    return this.h.request('POST', `/boxes/${boxId}/code`, { body: { email, name } });
  }

  /** The newest code mailed to `email`. */
  async lastCode(email: string): Promise<string> {
    const code = (await this.h.codesFor(email)).at(-1);
    if (code === undefined) throw new Error(`no code mailed to ${email}`);
    return code;
  }

  verify(boxId: string, openingToken: string, code: string): Promise<Reply> {
    return this.h.request('POST', `/boxes/${boxId}/verify`, { body: { openingToken, code } });
  }

  /** Code → verify: a deposit token for `email`. */
  async token(boxId: string, email: string, name = 'Ana Lab'): Promise<string> {
    const asked = await this.askCode(boxId, email, name);
    if (asked.status !== 200) throw new Error(`code: ${asked.status} ${JSON.stringify(asked.body)}`);
    const verified = await this.verify(boxId, asked.body.openingToken, await this.lastCode(email));
    if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
    return verified.body.depositToken;
  }

  /** The public view, checked as a depositor's client does: signed by the link's key, for the link's box. */
  async boxKey(boxId: string, fragment: string) {
    const reply = await this.h.request('GET', `/boxes/${boxId}/public`);
    if (reply.status !== 200) throw new Error(`public: ${reply.status} ${JSON.stringify(reply.body)}`);
    const identity: BoxIdentity = parseBoxLinkFragment(fragment);
    return verifyBoxKey(identity, boxId, parseBoxKeyRecord(reply.body.key.record), Buffer.from(reply.body.key.signature, 'base64url'));
  }

  createDeposit(token: string, boxId: string, plaintextSizes: readonly number[]): Promise<Reply> {
    return this.h.request('POST', `/boxes/${boxId}/deposits`, {
      token, body: { files: plaintextSizes.map((n) => ({ ciphertextSize: ciphertextSize(n) })) },
    });
  }

  putPart(token: string, transferId: string, fileId: string, index: number, bytes: Buffer, sha256 = sha256Of(bytes)): Promise<Reply> {
    return this.h.request('PUT', `/deposits/${transferId}/files/${fileId}/parts/${index}`, {
      token, body: new Uint8Array(bytes), headers: { [PART_HASH_HEADER]: sha256 },
    });
  }

  /** Creates the deposit and uploads every part (random ciphertext of the right sizes), not finalized. */
  async upload(token: string, made: MadeBox, plaintextSizes: readonly number[] = [1000]): Promise<Omit<Deposit, 'body'>> {
    const created = await this.createDeposit(token, made.box.boxId, plaintextSizes);
    if (created.status !== 201) throw new Error(`deposit: ${created.status} ${JSON.stringify(created.body)}`);
    const response = created.body as CreateDepositResponse;
    const files = response.files.map((f) => randomBytes(f.ciphertextSize));
    for (const [i, file] of response.files.entries()) {
      const plaintext = plaintextSizeFor(file.ciphertextSize);
      for (let k = 0; k < partCount(plaintext); k++) {
        const r = await this.putPart(token, response.transferId, file.fileId, k, partBytes(files[i]!, plaintext, k));
        if (r.status !== 200) throw new Error(`part ${k}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    return { transferId: response.transferId, created: response, token, clientKey: newSecret<'ClientKey'>(), files };
  }

  /**
   * The finalize body: CK sealed to the box key the client verified against the link (fetched now, or the one it kept
   * from before its deposit was counted: a full box shows no more public view).
   */
  async finalizeBody(made: MadeBox, transferId: string, clientKey: ClientKey, options: { slotId?: string; key?: VerifiedBoxKey } = {}): Promise<FinalizeDepositRequest> {
    const key = options.key ?? await this.boxKey(made.box.boxId, made.fragment);
    const slotId = options.slotId ?? newId();
    const wrapped = await sealBoxSlot(key, tid(transferId), sid(slotId), clientKey);
    return { boxSlot: { slotId, epoch: key.record.epoch, wrapped: toBase64Url(wrapped) }, manifest: randomBytes(300).toString('base64url') };
  }

  finalize(token: string, transferId: string, body: unknown): Promise<Reply> {
    return this.h.request('POST', `/deposits/${transferId}/finalize`, { token, body });
  }

  /** A whole deposit by `email`: token, upload, finalize (expecting success). */
  async deposit(made: MadeBox, email: string, plaintextSizes: readonly number[] = [1000], name = 'Ana Lab'): Promise<Deposit & { receipt: any }> {
    const token = await this.token(made.box.boxId, email, name);
    const uploaded = await this.upload(token, made, plaintextSizes);
    const body = await this.finalizeBody(made, uploaded.transferId, uploaded.clientKey);
    const reply = await this.finalize(token, uploaded.transferId, body);
    if (reply.status !== 200) throw new Error(`finalize: ${reply.status} ${JSON.stringify(reply.body)}`);
    return { ...uploaded, body, receipt: reply.body };
  }

  // The owner's client.

  openDeposit(owner: { token: string }, transferId: string): Promise<Reply> {
    return this.h.request('POST', `/inbox/${transferId}/open-deposit`, { token: owner.token, body: {} });
  }

  /** The box keys as the owner's client opens them: GET keys, open the sealed bundle, check every signed epoch. */
  async ownerKeys(owner: KeyedMember, boxId: string): Promise<BoxKeys> {
    const reply = await this.h.request('GET', `/boxes/${boxId}/keys`, { token: owner.token });
    if (reply.status !== 200) throw new Error(`keys: ${reply.status} ${JSON.stringify(reply.body)}`);
    const identity: BoxIdentity = { sig: reply.body.identity.sig, publicKey: Buffer.from(reply.body.identity.publicKey, 'base64url') };
    const records = new Map((reply.body.keys as { record: string; signature: string }[]).map((k) => {
      const record = parseBoxKeyRecord(k.record);
      return [record.epoch, { record, signature: Buffer.from(k.signature, 'base64url') }] as const;
    }));
    return openBoxKeys(owner.keys, boxId, Buffer.from(reply.body.ownerKeys.sealed, 'base64url'), identity, records);
  }

  /** Opens the released box slot with the owner's box keys: CK. */
  async openedKey(owner: KeyedMember, transferId: string, opened: Reply): Promise<Buffer> {
    const keys = await this.ownerKeys(owner, opened.body.boxId);
    const slot = opened.body.boxSlot;
    return Buffer.from(await openBoxSlot(keys, slot.epoch, tid(transferId), sid(slot.slotId), Buffer.from(slot.wrapped, 'base64url')));
  }
}
