// How a data class is named on a page: the shipped classes have words in every language; a class an administrator
// made shows its own name.
import { locale, translate } from '../i18n/i18n.js';

export function classLabel(name: string): string {
  const key = `class.${name}`;
  const label = translate(locale.get(), key);
  return label === key ? name : label;
}
