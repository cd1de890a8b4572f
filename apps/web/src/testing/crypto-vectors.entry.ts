// Test-only page script (never part of the app's bundle): exposes @valise/crypto to a Chromium test, which feeds
// it the Wycheproof and Valise vectors and checks the answers. WebCrypto here is the browser's own.
import {
  COBBLESTONE_128, COBBLESTONE_256, type ClientKey, type LinkSecret, type ServerShare, type SlotIdBytes, type TransferIdBytes,
  decryptMessage, deriveLinkAuthKey, deriveTransferKey, isCryptoError, linkProof, unwrapLinkSlot, wrapLinkSlot,
} from '@valise/crypto';

const fromHex = (text: string) => new Uint8Array(text.match(/../gu)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

export interface CobblestoneCase { tcId: number; bits: 128 | 256; key: string; ctx: string; ct: string }
export interface CobblestoneAnswer { tcId: number; ok: boolean; length: number; sha512: string; code: string | null }

async function cobblestone(cases: CobblestoneCase[]): Promise<CobblestoneAnswer[]> {
  const answers: CobblestoneAnswer[] = [];
  for (const c of cases) {
    try {
      const msg = await decryptMessage(fromHex(c.key), fromHex(c.ctx), fromHex(c.ct), { suite: c.bits === 128 ? COBBLESTONE_128 : COBBLESTONE_256 });
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-512', msg));
      answers.push({ tcId: c.tcId, ok: true, length: msg.length, sha512: toHex(digest), code: null });
    } catch (error) {
      answers.push({ tcId: c.tcId, ok: false, length: 0, sha512: '', code: isCryptoError(error) ? error.code : String(error) });
    }
  }
  return answers;
}

interface KatInputs { ck: string; ss: string; ls: string; transferId: string; slotId: string; slotSalt: string; linkNonce: string }

/** Valise's own objects from the committed inputs: TK, the link slot (and back), A and the link proof. */
async function valise(i: KatInputs): Promise<Record<string, string>> {
  const transferId = fromHex(i.transferId) as TransferIdBytes;
  const slotId = fromHex(i.slotId) as SlotIdBytes;
  const ls = fromHex(i.ls) as LinkSecret;
  const tk = await deriveTransferKey(fromHex(i.ck) as ClientKey, fromHex(i.ss) as ServerShare, transferId);
  const slot = await wrapLinkSlot(ls, transferId, slotId, fromHex(i.ck) as ClientKey, { salt: fromHex(i.slotSalt) });
  const unwrapped = await unwrapLinkSlot(ls, transferId, slotId, slot);
  const a = await deriveLinkAuthKey(ls, transferId, slotId);
  const proof = await linkProof(a, transferId, fromHex(i.linkNonce));
  return { tk: toHex(tk), slot: toHex(slot), unwrapped: toHex(unwrapped), a: toHex(a), proof: toHex(proof) };
}

(globalThis as unknown as { valiseVectors: unknown }).valiseVectors = { cobblestone, valise };
document.title = 'vectors ready';
