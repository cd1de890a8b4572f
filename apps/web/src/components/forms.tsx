// Form pieces with their accessibility wired in: every field has a visible label, its hint and error are tied to
// it with aria-describedby, and errors are announced (role="alert").
import type { ComponentChildren, JSX } from 'preact';
import { useId } from 'preact/hooks';

interface FieldProps extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'id' | 'label'> {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

export function TextField({ label, hint, error, ...input }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      <input id={id} aria-describedby={described} aria-invalid={error ? true : undefined} {...input} />
      {error && <p class="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

interface AreaProps extends Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'label'> {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

export function TextArea({ label, hint, error, ...area }: AreaProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      <textarea id={id} aria-describedby={described} aria-invalid={error ? true : undefined} {...area} />
      {error && <p class="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

export function ErrorBox({ children }: { children: ComponentChildren }) {
  return <div class="error-box" role="alert">{children}</div>;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return <div class="notice" role="status">{children}</div>;
}
