// The two retention choices the send form and the drop-box form share: the data class, then an expiry within it.
import type { DataClass, TransferPolicy } from '@valise/protocol';
import { tPlural } from '../i18n/i18n.js';
import { classLabel } from './data-class.js';
import { expiryChoices } from './send-form.js';

/** A duration in the largest whole unit: "3 days", "12 hours", "30 minutes". */
export function durationLabel(seconds: number): string {
  if (seconds % 86_400 === 0) return tPlural('send.days', seconds / 86_400);
  if (seconds % 3600 === 0) return tPlural('send.hours', seconds / 3600);
  return tPlural('send.minutes', Math.round(seconds / 60));
}

export function DataClassSelect({ id, label, hint, policy, dataClass, disabled, onChoose }: {
  id: string; label: string; hint: string; policy: TransferPolicy | null; dataClass: DataClass | null | undefined; disabled: boolean;
  onChoose: (name: string) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} aria-describedby={`${id}-hint`} disabled={disabled || !policy} value={dataClass?.name ?? ''}
        onChange={(e) => onChoose(e.currentTarget.value)}>
        {policy?.dataClasses.map((c) => <option key={c.name} value={c.name}>{classLabel(c.name)}</option>)}
      </select>
      <p class="hint" id={`${id}-hint`}>{hint}</p>
    </div>
  );
}

/** The expiries the class allows (never past its maximum), in words. */
export function ExpirySelect({ id, label, policy, dataClass, value, disabled, onChoose }: {
  id: string; label: string; policy: TransferPolicy | null; dataClass: DataClass | null | undefined; value: number | null | undefined; disabled: boolean;
  onChoose: (seconds: number) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} disabled={disabled || !policy} value={String(value ?? '')} onChange={(e) => onChoose(Number(e.currentTarget.value))}>
        {policy && dataClass && expiryChoices(policy, dataClass).map((s) => <option key={s} value={String(s)}>{durationLabel(s)}</option>)}
      </select>
    </div>
  );
}
