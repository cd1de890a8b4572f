// The accessibility statement: what is supported, how it is tested, and whom to tell when something is not.
import { t } from '../i18n/i18n.js';

export function AccessibilityPage() {
  return (
    <section class="narrow prose">
      <h1 tabIndex={-1}>{t('a11y.title')}</h1>
      <p>{t('a11y.commitment')}</p>
      <h2>{t('a11y.status_title')}</h2>
      <p>{t('a11y.status')}</p>
      <h2>{t('a11y.how_title')}</h2>
      <ul>
        <li>{t('a11y.how_keyboard')}</li>
        <li>{t('a11y.how_axe')}</li>
        <li>{t('a11y.how_contrast')}</li>
        <li>{t('a11y.how_languages')}</li>
      </ul>
      <h2>{t('a11y.limits_title')}</h2>
      <p>{t('a11y.limits')}</p>
      <h2>{t('a11y.contact_title')}</h2>
      <p>{t('a11y.contact')}</p>
    </section>
  );
}
