// The drop-box form's rules, apart from its view: allowed domains parsed from free text, sizes in the page's units,
// a box's state as its owner reads it.
import type { BoxSummary } from '@valise/protocol';

/** The server's rule (packages/protocol EmailDomain): lower-case labels, a dot, a top-level domain. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/u;

/** Domains separated by commas, semicolons, spaces or new lines; "@lab.example" is read as "lab.example". */
export function parseDomains(text: string): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/[\s,;]+/u)) {
    const domain = raw.trim().replace(/^@/u, '').replace(/\.$/u, '').toLowerCase();
    if (!domain) continue;
    if (!DOMAIN.test(domain)) invalid.push(raw.trim());
    else if (!valid.includes(domain)) valid.push(domain);
  }
  return { valid, invalid };
}

export type SizeUnit = 'MB' | 'GB';

/** "1.5" GB → bytes (binary units, as formatBytes shows them); null for anything but a positive number. */
export function toBytes(text: string, unit: SizeUnit): number | null {
  const value = Number(text.trim().replace(',', '.'));
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) return null;
  return Math.floor(value * (unit === 'GB' ? 1024 ** 3 : 1024 ** 2));
}

export type BoxState = 'open' | 'closed' | 'expired' | 'full';

/** What the owner needs to know: closed by someone, past its expiry, all deposits used, or taking deposits. */
export function boxState(box: Pick<BoxSummary, 'state' | 'expiresAt' | 'depositsUsed' | 'maxDeposits'>, now: number): BoxState {
  if (box.state === 'closed') return 'closed';
  if (box.expiresAt <= now) return 'expired';
  if (box.depositsUsed >= box.maxDeposits) return 'full';
  return 'open';
}


