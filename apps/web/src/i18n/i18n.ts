// French and English. Every text shown lives in en.json / fr.json under the same keys (a test checks they match);
// server errors arrive as codes (error.<code>) and are worded here. The language follows the browser until the
// person picks one, which is then remembered on this device.
import { createStore, useStore } from '../store.js';
import en from './en.json';
import fr from './fr.json';

export type Locale = 'en' | 'fr';
export type MessageKey = keyof typeof en;
type Vars = Readonly<Record<string, string | number>>;

const catalogs: Record<Locale, Record<string, string>> = { en, fr };
export const LOCALES: readonly Locale[] = ['en', 'fr'];
const STORAGE_KEY = 'valise.locale';

function initialLocale(): Locale {
  const saved = safeStorage()?.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'fr') return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'en';
}

/** localStorage, or undefined where the browser refuses it (private modes, policies). */
function safeStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export const locale = createStore<Locale>(initialLocale());
document.documentElement.lang = locale.get();

export function setLocale(next: Locale): void {
  safeStorage()?.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  locale.set(next);
}

/** The text for `key` in the current language, with {name} placeholders filled. */
export function t(key: MessageKey, vars: Vars = {}): string {
  return translate(locale.get(), key, vars);
}

export function translate(lang: Locale, key: string, vars: Vars = {}): string {
  const text = catalogs[lang][key] ?? catalogs.en[key] ?? key;
  return text.replace(/\{(\w+)\}/gu, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** `key_one` or `key_other` by the language's plural rules, with {count} filled. */
export function tPlural(key: string, count: number, vars: Vars = {}): string {
  const lang = locale.get();
  const form = new Intl.PluralRules(lang).select(count) === 'one' ? 'one' : 'other';
  return translate(lang, `${key}_${form}`, { count: formatNumber(count), ...vars });
}

/** Re-renders the calling component when the language changes; returns the language. */
export function useLocale(): Locale {
  return useStore(locale);
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale.get()).format(n);
}

export function formatBytes(bytes: number): string {
  const units = locale.get() === 'fr' ? ['o', 'Ko', 'Mo', 'Go', 'To'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale.get(), { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

export function formatDateTime(ms: number): string {
  return new Intl.DateTimeFormat(locale.get(), { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
}

/** "in 3 days", "dans 2 heures": the largest whole unit. */
export function formatRelative(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale.get(), { numeric: 'auto' });
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [['day', 86_400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  return rtf.format(seconds, 'second');
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}` : `${m}:${String(rest).padStart(2, '0')}`;
}
