// The send form's rules, apart from its view: recipients parsed from free text, expiry choices within policy.
import type { DataClass, TransferPolicy } from '@valise/protocol';

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

/** Team names, one per line (a name may hold commas or spaces), trimmed, without repeats (names are case-insensitive). */
export function parseTeamNames(text: string): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/\r?\n/u)) {
    const name = raw.trim();
    if (!name) continue;
    if (name.length > 200) invalid.push(name);
    else if (!valid.some((v) => v.toLowerCase() === name.toLowerCase())) valid.push(name);
  }
  return { valid, invalid };
}

/** Expiry choices in seconds: the usual ones that the data class allows, its default and maximum always among them. */
export function expiryChoices(policy: TransferPolicy, dataClass: DataClass): number[] {
  const usual = [3600, 86_400, 2 * 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];
  const allowed = usual.filter((s) => s >= policy.minExpirySeconds && s <= dataClass.maxExpirySeconds);
  if (!allowed.includes(dataClass.defaultExpirySeconds)) allowed.push(dataClass.defaultExpirySeconds);
  if (!allowed.includes(dataClass.maxExpirySeconds)) allowed.push(dataClass.maxExpirySeconds);
  return allowed.sort((a, b) => a - b);
}

/** The class named, or the policy's default one (the server always lists its default). */
export function classNamed(policy: TransferPolicy, name: string | null): DataClass {
  return policy.dataClasses.find((c) => c.name === name) ?? policy.dataClasses.find((c) => c.name === policy.defaultDataClass) ?? policy.dataClasses[0]!;
}
