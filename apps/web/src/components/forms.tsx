// Form pieces with their accessibility wired in: every field has a visible label, its hint and error are tied to
// it with aria-describedby, and errors are announced (role="alert").
import type { ComponentChildren, JSX } from 'preact';
import { useId } from 'preact/hooks';

interface FrameProps {
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

/** What a control needs to be tied to its label, hint and error. */
interface ControlWiring {
  id: string;
  'aria-describedby': string | undefined;
  'aria-invalid': true | undefined;
}

/** Label, hint and error around one control; `control` receives the attributes that tie it to them. */
function FieldFrame({ label, hint, error, control }: FrameProps & { control: (wiring: ControlWiring) => JSX.Element }) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && <p class="hint" id={`${id}-hint`}>{hint}</p>}
      {control({ id, 'aria-describedby': described, 'aria-invalid': error ? true : undefined })}
      {error && <p class="field-error" id={`${id}-error`}>{error}</p>}
    </div>
  );
}

type InputProps = FrameProps & Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'id' | 'label'>;
type AreaProps = FrameProps & Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'label'>;

export function TextField({ label, hint, error, ...input }: InputProps) {
  return <FieldFrame label={label} hint={hint} error={error} control={(wiring) => <input {...wiring} {...input} />} />;
}

export function TextArea({ label, hint, error, ...area }: AreaProps) {
  return <FieldFrame label={label} hint={hint} error={error} control={(wiring) => <textarea {...wiring} {...area} />} />;
}

export function ErrorBox({ children }: { children: ComponentChildren }) {
  return <div class="error-box" role="alert">{children}</div>;
}

export function Notice({ children }: { children: ComponentChildren }) {
  return <div class="notice" role="status">{children}</div>;
}
