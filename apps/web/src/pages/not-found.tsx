// An address that is no page of Valise.
import { t } from '../i18n/i18n.js';

export function NotFoundPage() {
  return (
    <section class="narrow">
      <h1 tabIndex={-1}>{t('notfound.title')}</h1>
      <p>{t('notfound.text')}</p>
      <p><a href="/">{t('notfound.home')}</a></p>
    </section>
  );
}
