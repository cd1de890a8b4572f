// Drop boxes on the client (docs/format.md §13): an owner creates one (keys made here, sealed to their own member
// key); a depositor checks the box key against the link, verifies their address and deposits; an owner opens
// deposits with the box keys.
import {
  type BoxKeyRecord, type BoxKeys, type ChunkAead, type TeamKeys, type UnlockedMemberKeys, type VerifiedBoxKey, createDropBox, decryptManifest,
  deriveTransferKey, fromBase64Url, idFromText, isCryptoError, openBoxKeys, openBoxSlot, parseBoxKeyRecord, sealBoxKeysForOwner,
  secretFromBase64Url, serializeBoxKeyRecord, toBase64Url, verifyBoxKey,
} from '@valise/crypto';
import type { BoxSummary, DepositReceipt, PublicBox } from '@valise/protocol';
import { ApiError, isApiError } from './api-error.js';
import { ValiseApi, type ValiseApiOptions } from './api-client.js';
import { type OpenedTransfer, checkManifestAgainstGrant } from './download.js';
import { IntegrityError } from './integrity-error.js';
import { type BoxLink, buildBoxLink, parseBoxLink } from './links.js';
import { openMyTeam } from './teams.js';
import { type FileSource, type UploadOptions, uploadTransfer } from './upload.js';

export interface NewBoxSettings {
  readonly name: string;
  readonly expiresInSeconds: number;
  readonly maxDeposits: number;
  readonly maxDepositBytes: number;
  readonly allowedDomains: readonly string[];
  readonly dataClass?: string | undefined;
  /** A box the team owns (§13.5): its keys sealed to the team's current key; every current member is an owner. */
  readonly ownerTeam?: TeamKeys | undefined;
}

const recordText = (record: BoxKeyRecord): string => new TextDecoder().decode(serializeBoxKeyRecord(record));

/**
 * Creates a box owned by the signed-in member (whose key must be certified), or by one of their teams. Returns the
 * box and its link.
 */
export async function createBox(api: ValiseApi, me: UnlockedMemberKeys, settings: NewBoxSettings): Promise<{ box: BoxSummary; link: string }> {
  const made = await createDropBox(settings.name);
  const owner = settings.ownerTeam ? settings.ownerTeam.current : { record: me.record, fingerprint: me.fingerprint };
  try {
    const sealed = await sealBoxKeysForOwner(owner, made.boxId, made.bundle);
    const box = await api.createBox({
      boxId: made.boxId,
      identity: { sig: made.identity.sig, publicKey: toBase64Url(made.identity.publicKey) },
      key: { record: recordText(made.record), signature: toBase64Url(made.signature) },
      ownerKeys: { fingerprint: toBase64Url(owner.fingerprint), sealed: toBase64Url(sealed) },
      ...(settings.ownerTeam ? { ownerTeamId: settings.ownerTeam.team.record.teamId } : {}),
      expiresInSeconds: settings.expiresInSeconds,
      maxDeposits: settings.maxDeposits,
      maxDepositBytes: settings.maxDepositBytes,
      allowedDomains: settings.allowedDomains.map((d) => d.trim().toLowerCase()),
      ...(settings.dataClass ? { dataClass: settings.dataClass } : {}),
    });
    return { box, link: buildBoxLink(box.linkBase, made.identity) };
  } finally {
    made.bundle.fill(0);
  }
}

/** What a depositor sees before depositing: the box's signed name and key, and its limits. */
export interface OpenedBox {
  readonly link: BoxLink;
  readonly api: ValiseApi;
  readonly key: VerifiedBoxKey;
  readonly policy: PublicBox;
}

/** Fetches the box and checks its key and name against the link: a server cannot substitute either. */
export async function openBox(link: string | BoxLink, apiOptions: Partial<ValiseApiOptions> = {}, signal?: AbortSignal): Promise<OpenedBox> {
  const parsed = typeof link === 'string' ? parseBoxLink(link) : link;
  const api = new ValiseApi({ ...apiOptions, serverUrl: parsed.serverUrl });
  const policy = await api.publicBox(parsed.boxId, { signal });
  let key: VerifiedBoxKey;
  try {
    key = await verifyBoxKey(parsed.identity, parsed.boxId, parseBoxKeyRecord(policy.key.record), fromBase64Url(policy.key.signature));
  } catch (e) {
    if (isCryptoError(e)) throw new IntegrityError('signature_invalid', 'the server\'s key for this drop box is not the one in the link: nothing was sent', { cause: e });
    throw e;
  }
  return { link: parsed, api, key, policy };
}

export interface DepositorIdentity {
  readonly email: string;
  /** The name the depositor gives (shown to the owners as claimed, not verified). */
  readonly name: string;
  /** Asked for the code e-mailed to `email`; called again after a wrong code while attempts remain. */
  readonly askCode: (c: { email: string; codeExpiresAt: number; attempt: number }) => Promise<string>;
}

/** Verifies the depositor's address with an e-mailed code: returns a token for one deposit. */
export async function verifyDepositor(box: OpenedBox, who: DepositorIdentity, signal?: AbortSignal): Promise<string> {
  const { openingToken, codeExpiresAt } = await box.api.depositCode(box.link.boxId, { email: who.email, name: who.name }, { signal });
  for (let attempt = 1; attempt <= 10; attempt++) {
    const code = (await who.askCode({ email: who.email, codeExpiresAt, attempt })).replace(/[\s-]/gu, '');
    if (!/^[0-9]{8}$/u.test(code)) continue; // a typo: ask again without spending a server attempt
    try {
      return (await box.api.depositVerify(box.link.boxId, { openingToken, code }, { signal })).depositToken;
    } catch (e) {
      if (isApiError(e, 'code_invalid') && (e.attemptsLeft === undefined || e.attemptsLeft > 0)) continue;
      throw e;
    }
  }
  throw new ApiError({ status: 400, code: 'code_invalid', title: 'The code is wrong.' });
}

export type DepositOptions = Omit<UploadOptions, 'api' | 'recipients' | 'members' | 'deposit' | 'expiresInSeconds' | 'maxDownloads' | 'dataClass'> & {
  readonly files: readonly FileSource[];
};

/** Encrypts the files to the box key and uploads them; the depositor keeps nothing that opens them. */
export async function depositFiles(box: OpenedBox, depositToken: string, opts: DepositOptions): Promise<DepositReceipt> {
  let transferId: string | undefined;
  let result;
  try {
    result = await uploadTransfer({
      ...opts,
      api: box.api,
      recipients: [],
      deposit: { boxId: box.link.boxId, depositToken, box: box.key },
      onNotice: (n) => {
        if (n.kind === 'created' || n.kind === 'resuming') transferId = n.transferId;
        opts.onNotice?.(n);
      },
    });
  } catch (e) {
    // A deposit the depositor stops is given up at once, so its place in the box comes back (a network failure is
    // not a stop: it may be resumed with the same token).
    if (opts.signal?.aborted && transferId !== undefined) await box.api.cancelDeposit(transferId, depositToken).catch(() => undefined);
    throw e;
  }
  if (!result.receipt) throw new Error('the server gave no receipt');
  return result.receipt;
}

/**
 * The box keys an owner holds, opened with their member keys — or, for a team's box, with the team key they were
 * sealed to — and checked against the box's signed records. `orgPublicKey` checks a team's certificate.
 */
export async function openOwnedBox(api: ValiseApi, me: UnlockedMemberKeys, boxId: string, orgPublicKey: Uint8Array | null = null): Promise<BoxKeys> {
  const served = await api.boxKeys(boxId);
  const identity = { sig: served.identity.sig, publicKey: fromBase64Url(served.identity.publicKey) };
  const records = new Map(served.keys.map((k) => {
    const record = parseBoxKeyRecord(k.record);
    return [record.epoch, { record, signature: fromBase64Url(k.signature) }] as const;
  }));
  if (!served.ownerTeam) return openBoxKeys(me, boxId, fromBase64Url(served.ownerKeys.sealed), identity, records);
  const { keys } = await openMyTeam(api, me, orgPublicKey, served.ownerTeam.teamId);
  try {
    const holder = keys.epochs.get(served.ownerTeam.epoch)?.holder;
    if (!holder) throw new IntegrityError('decryption_failed', `your team's keys hold no key of epoch ${served.ownerTeam.epoch}`);
    return await openBoxKeys(holder, boxId, fromBase64Url(served.ownerTeam.sealed), identity, records);
  } finally {
    keys.bundle.fill(0);
  }
}

export interface OpenedDeposit extends OpenedTransfer {
  readonly boxId: string;
  /** Unverified sender: the address the server verified with a code, and the name they typed. */
  readonly depositor: { readonly email: string; readonly name: string };
}

/** An owner opens a deposit (the first open consumes one download) and decrypts its manifest. */
export async function openDepositTransfer(
  api: ValiseApi, serverUrl: string, me: UnlockedMemberKeys, transferId: string,
  opts: { aead?: ChunkAead; signal?: AbortSignal; orgPublicKey?: Uint8Array | null } = {},
): Promise<OpenedDeposit> {
  const released = await api.openDeposit(transferId, { signal: opts.signal });
  const keys = await openOwnedBox(api, me, released.boxId, opts.orgPublicKey ?? null);
  const tid = idFromText<'TransferId'>(transferId);
  let manifest;
  try {
    const ck = await openBoxSlot(keys, released.boxSlot.epoch, tid, idFromText<'SlotId'>(released.boxSlot.slotId), fromBase64Url(released.boxSlot.wrapped));
    const tk = await deriveTransferKey(ck, secretFromBase64Url<'ServerShare'>(released.serverShare), tid);
    ck.fill(0);
    try {
      manifest = await decryptManifest(tk, tid, fromBase64Url(released.manifest), opts.aead ? { aead: opts.aead } : {});
    } finally {
      tk.fill(0);
    }
  } catch (e) {
    if (isCryptoError(e, 'manifest_invalid')) throw new IntegrityError('manifest_invalid', 'the list of files of this deposit is not valid', { cause: e });
    if (isCryptoError(e)) throw new IntegrityError('decryption_failed', 'the deposit could not be decrypted with this box\'s keys', { cause: e });
    throw e;
  }
  checkManifestAgainstGrant(manifest, released);
  return {
    serverUrl, transferId, grantToken: released.grantToken, grantExpiresAt: released.grantExpiresAt, transferExpiresAt: released.transferExpiresAt,
    manifest, api, boxId: released.boxId, depositor: { email: released.depositor.email, name: released.depositor.name },
  };
}
