// Choosing files: a drop zone around a real file input (visually hidden, focusable; its label is the visible
// button), the chosen files listed with a remove button each, and the error tied to the group. Dropping files is a
// shortcut, never the only way.
import { useId, useState } from 'preact/hooks';
import { formatBytes, t } from '../i18n/i18n.js';

export interface FileDropProps {
  legend: string;
  hint: string;
  files: readonly File[];
  error?: string | undefined;
  disabled: boolean;
  onAdd: (files: File[]) => void;
  onRemove: (index: number) => void;
}

/** Adds files not already chosen (same name, size and date). */
export function addNewFiles(current: readonly File[], added: readonly File[]): File[] {
  return [...current, ...added.filter((f) => !current.some((c) => c.name === f.name && c.size === f.size && c.lastModified === f.lastModified))];
}

/** After a refused submit: focus goes to the first field marked invalid, once the errors are rendered. */
export function focusFirstInvalid(form: HTMLFormElement): void {
  setTimeout(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
}

export function FileDrop({ legend, hint, files, error, disabled, onAdd, onRemove }: FileDropProps) {
  const [over, setOver] = useState(false);
  const id = useId();
  const add = (list: FileList | null | undefined) => {
    if (list && list.length > 0) onAdd([...list]);
  };
  const described = [`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <fieldset class={`drop-zone${over ? ' over' : ''}`} aria-describedby={described}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
      onDrop={(e) => { e.preventDefault(); setOver(false); if (!disabled) add(e.dataTransfer?.files); }}>
      <legend>{legend}</legend>
      <p class="hint" id={`${id}-hint`}>{hint}</p>
      <input id={`${id}-input`} class="visually-hidden file-input" type="file" multiple disabled={disabled}
        aria-invalid={error ? true : undefined} aria-describedby={described} onChange={(e) => { add(e.currentTarget.files); e.currentTarget.value = ''; }} />
      <label class="button" for={`${id}-input`}>{t('files.pick')}</label>
      {files.length > 0 && (
        <ul class="file-list">
          {files.map((f, i) => (
            <li key={`${f.name}-${f.size}-${f.lastModified}`}>
              <span class="file-name">{f.name}</span> <span class="file-size">{formatBytes(f.size)}</span>{' '}
              <button type="button" class="link-button" disabled={disabled} onClick={() => onRemove(i)}
                aria-label={t('files.remove_named', { name: f.name })}>{t('files.remove')}</button>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="field-error" id={`${id}-error`}>{error}</p>}
    </fieldset>
  );
}
