// The send form's rules, apart from its view: recipients parsed from free text, expiry choices within policy.
import type { TransferPolicy } from '@valise/protocol';

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/u;

/** Addresses separated by commas, semicolons, spaces or new lines; invalid ones are returned apart. */
export function parseRecipients(text: string): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/[\s,;]+/u)) {
    const address = raw.trim().replace(/^<(.*)>$/u, '$1').toLowerCase();
    if (!address) continue;
    if (!EMAIL.test(address)) invalid.push(raw.trim());
    else if (!valid.includes(address)) valid.push(address);
  }
  return { valid, invalid };
}

/** Expiry choices in seconds: the usual ones that the policy allows, the default always among them. */
export function expiryChoices(policy: TransferPolicy): number[] {
  const usual = [3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];
  const allowed = usual.filter((s) => s >= policy.minExpirySeconds && s <= policy.maxExpirySeconds);
  if (!allowed.includes(policy.defaultExpirySeconds)) allowed.push(policy.defaultExpirySeconds);
  if (!allowed.includes(policy.maxExpirySeconds)) allowed.push(policy.maxExpirySeconds);
  return allowed.sort((a, b) => a - b);
}
