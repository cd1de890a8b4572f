// Transfer and enrollment links. Secrets live only in the URL fragment (`#…`), which browsers never send to a
// server; this module is the one place that splits a link into the server part and the secret part.
import { type BoxIdentity, boxLinkFragment, fromBase64Url, parseBoxLinkFragment, toBase64Url } from '@valise/crypto';

/** Why a link could not be read; the message is safe to show (it never contains the secret). */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  readonly code: 'link_incomplete' | 'link_invalid';

  constructor(code: 'link_incomplete' | 'link_invalid', message: string) {
    super(message);
    this.code = code;
  }
}

export const LINK_SECRET_LENGTH = 32;
const ID = /^[A-Za-z0-9_-]{22}$/u;
const SECRET_TEXT = /^[A-Za-z0-9_-]{43}$/u;

export interface TransferLink {
  /** Public URL of the server (API at `<serverUrl>/api/v1`). */
  serverUrl: string;
  transferId: string;
  /** LS: 32 bytes, from the fragment. */
  linkSecret: Uint8Array;
}

export interface EnrollmentLink {
  serverUrl: string;
  token: string;
}

/** `${linkBase}#${base64url(LS)}`, where linkBase = `<public url>/t/<transferId>` comes from finalize. */
export function buildTransferLink(linkBase: string, linkSecret: Uint8Array): string {
  if (linkSecret.length !== LINK_SECRET_LENGTH) throw new TypeError(`a link secret is ${LINK_SECRET_LENGTH} bytes`);
  if (linkBase.includes('#')) throw new TypeError('the link base must not contain a fragment');
  return `${linkBase}#${toBase64Url(linkSecret)}`;
}

/**
 * Splits a transfer link `<public url>/t/<transferId>#<secret>` strictly. Tolerates what mail and chat do to
 * links: surrounding spaces and angle brackets, and an Outlook "Safe Links" wrapper. A query string is
 * ignored (never used by Valise). Throws LinkError with a message a person can act on.
 */
export function parseTransferLink(link: string): TransferLink {
  const url = parseUrl(link);
  const match = /^(.*)\/t\/([^/]*)\/?$/u.exec(url.pathname);
  if (!match || !ID.test(match[2]!)) {
    throw new LinkError('link_invalid', 'this is not a Valise transfer link (expected …/t/<transfer id>#<secret>)');
  }
  const secretText = fragmentOf(url);
  if (!SECRET_TEXT.test(secretText)) throw new LinkError('link_invalid', 'the link is damaged: the part after # is not valid');
  let linkSecret: Uint8Array;
  try {
    linkSecret = fromBase64Url(secretText, LINK_SECRET_LENGTH);
  } catch {
    throw new LinkError('link_invalid', 'the link is damaged: the part after # is not valid');
  }
  return { serverUrl: `${url.origin}${match[1]}`, transferId: match[2]!, linkSecret };
}

/** A drop-box link: `<public url>/d/<boxId>#<box signing public key>` (docs/format.md §13.1). */
export interface BoxLink {
  serverUrl: string;
  boxId: string;
  identity: BoxIdentity;
}

export function parseBoxLink(link: string): BoxLink {
  const url = parseUrl(link);
  const match = /^(.*)\/d\/([^/]*)\/?$/u.exec(url.pathname);
  if (!match || !ID.test(match[2]!)) throw new LinkError('link_invalid', 'this is not a Valise drop-box link (expected …/d/<box id>#<key>)');
  let identity: BoxIdentity;
  try {
    identity = parseBoxLinkFragment(fragmentOf(url));
  } catch {
    throw new LinkError('link_invalid', 'the link is damaged: the part after # is not valid');
  }
  return { serverUrl: `${url.origin}${match[1]}`, boxId: match[2]!, identity };
}

export function buildBoxLink(linkBase: string, identity: BoxIdentity): string {
  return `${linkBase}#${boxLinkFragment(identity)}`;
}

/** Splits an enrollment link `<public url>/enroll#<token>`. */
export function parseEnrollmentLink(link: string): EnrollmentLink {
  const url = parseUrl(link);
  const match = /^(.*)\/enroll\/?$/u.exec(url.pathname);
  if (!match) throw new LinkError('link_invalid', 'this is not a Valise enrollment link (expected …/enroll#<token>)');
  const token = fragmentOf(url);
  if (!SECRET_TEXT.test(token)) throw new LinkError('link_invalid', 'the link is damaged: the part after # is not valid');
  return { serverUrl: `${url.origin}${match[1]}`, token };
}

function parseUrl(link: string): URL {
  let text = String(link).trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LinkError('link_invalid', 'this is not a link (it should start with https://)');
  }
  url = unwrapSafeLinks(url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new LinkError('link_invalid', 'a Valise link starts with https://');
  if (url.username || url.password) throw new LinkError('link_invalid', 'a Valise link never contains a user name or password');
  return url;
}

/** Outlook "Safe Links" (`*.safelinks.protection.outlook.com/?url=<encoded link>`) keep the fragment encoded. */
function unwrapSafeLinks(url: URL): URL {
  if (!url.hostname.endsWith('.safelinks.protection.outlook.com')) return url;
  const inner = url.searchParams.get('url');
  if (!inner) return url;
  try {
    return new URL(inner);
  } catch {
    throw new LinkError('link_invalid', 'this is not a link (it should start with https://)');
  }
}

function fragmentOf(url: URL): string {
  const fragment = url.hash.startsWith('#') ? url.hash.slice(1) : url.hash;
  if (fragment === '') throw new LinkError('link_incomplete', 'the link is incomplete: the part after # is missing');
  return fragment;
}
