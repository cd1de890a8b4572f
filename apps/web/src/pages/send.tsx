// Sending: pick or drop files, name the recipients, choose expiry and downloads within policy, add a message.
// Encryption and upload run in a worker; the page shows one bar per file and one overall, and ends with the link
// and a plain statement of who can open it, until when, how many times.
import { type TransferProgress, isApiError } from '@valise/client';
import type { DataClass, TransferPolicy } from '@valise/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { formatBytes, formatDateTime, t, tPlural } from '../i18n/i18n.js';
import { askToSignInAgain, withSession } from '../session.js';
import { ErrorBox, Notice, TextArea, TextField } from '../components/forms.js';
import { ProgressBar } from '../components/progress.js';
import { type UploadCommand, type UploadEvent, rebuildFailure } from '../workers/messages.js';
import { classLabel } from './data-class.js';
import { classNamed, expiryChoices, parseRecipients } from './send-form.js';

type Sending =
  | { name: 'form' }
  | { name: 'sending'; perFile: number[]; done: number; notice: string | null }
  | { name: 'sent'; link: string; expiresAt: number; maxDownloads: number; dataClass: string; recipients: string[] };

export function SendPage() {
  const [policy, setPolicy] = useState<TransferPolicy | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [recipientText, setRecipientText] = useState('');
  const [className, setClassName] = useState<string | null>(null);
  const [expiry, setExpiry] = useState<number | null>(null);
  const [maxDownloads, setMaxDownloads] = useState('');
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState<Sending>({ name: 'form' });
  const worker = useRef<Worker | null>(null);

  useEffect(() => {
    withSession(() => api.transferPolicy()).then((p) => {
      setPolicy(p);
      const initial = classNamed(p, null);
      setClassName((c) => c ?? initial.name);
      setExpiry((e) => e ?? initial.defaultExpirySeconds);
    }, (e: unknown) => setFailure(errorText(e)));
    return () => worker.current?.terminate();
  }, []);

  const addFiles = (list: FileList | null) => {
    if (!list) return;
    // Files of a picked folder keep their path inside it as their name ("scans/day1.pdf").
    const added = [...list].map((f) => (f.webkitRelativePath ? new File([f], f.webkitRelativePath, { type: f.type, lastModified: f.lastModified }) : f));
    setFiles((current) => [...current, ...added.filter((f) => !current.some((c) => c.name === f.name && c.size === f.size && c.lastModified === f.lastModified))]);
  };

  const dataClass = policy ? classNamed(policy, className) : null;
  // Another class: its own default lifetime (the old choice may be beyond its maximum).
  const chooseClass = (name: string) => {
    if (!policy) return;
    setClassName(name);
    setExpiry(classNamed(policy, name).defaultExpirySeconds);
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (!policy || !dataClass) return;
    const found: Record<string, string> = {};
    const recipients = parseRecipients(recipientText);
    if (files.length === 0) found.files = t('send.error_no_files');
    else if (files.length > policy.maxFiles) found.files = t('send.error_too_many_files', { max: policy.maxFiles });
    if (recipients.invalid.length > 0) found.recipients = t('send.error_recipients_invalid', { list: recipients.invalid.join(', ') });
    else if (recipients.valid.length === 0) found.recipients = t('send.error_no_recipients');
    else if (recipients.valid.length > policy.maxRecipients) found.recipients = t('send.error_too_many_recipients', { max: policy.maxRecipients });
    const downloads = maxDownloads.trim() === '' ? undefined : Number(maxDownloads);
    if (downloads !== undefined && !(Number.isInteger(downloads) && downloads >= 1 && downloads <= dataClass.maxDownloads)) {
      found.maxDownloads = t('send.error_downloads', { max: dataClass.maxDownloads });
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    start({
      files, recipients: recipients.valid, dataClass: dataClass.name, expiresInSeconds: expiry ?? dataClass.defaultExpirySeconds,
      maxDownloads: downloads, message: message.trim() || undefined,
    });
  };

  const start = (request: Extract<UploadCommand, { kind: 'start' }>['request']) => {
    setFailure(null);
    setSending({ name: 'sending', perFile: request.files.map(() => 0), done: 0, notice: null });
    const w = new Worker(new URL('../workers/upload.worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    w.onmessage = ({ data }: MessageEvent<UploadEvent>) => {
      switch (data.kind) {
        case 'progress':
          return setSending((s) => (s.name === 'sending' ? advance(s, data.progress) : s));
        case 'resuming':
          return setSending((s) => (s.name === 'sending' ? { ...s, notice: t('send.resuming', { done: data.partsDone, total: data.partsTotal }) } : s));
        case 'restarting':
          return setSending((s) => (s.name === 'sending' ? { ...s, notice: t('send.restarting') } : s));
        case 'done':
          w.terminate();
          return setSending({ name: 'sent', link: data.link, expiresAt: data.expiresAt, maxDownloads: data.maxDownloads, dataClass: data.dataClass, recipients: request.recipients });
        case 'cancelled':
          w.terminate();
          return setSending({ name: 'form' });
        case 'failed': {
          w.terminate();
          const error = rebuildFailure(data.failure);
          setSending({ name: 'form' });
          if (!isApiError(error, 'unauthenticated')) return setFailure(errorText(error));
          // The session ended mid-send: once signed in again, the same files resume where they stopped.
          void askToSignInAgain().then((again) => (again ? start(request) : setFailure(errorText(error))));
          return;
        }
      }
    };
    w.postMessage({ kind: 'start', request } satisfies UploadCommand);
  };

  if (sending.name === 'sent') return <SentView sent={sending} onAnother={() => { setFiles([]); setMessage(''); setSending({ name: 'form' }); }} />;

  const total = files.reduce((n, f) => n + f.size, 0);
  const busy = sending.name === 'sending';
  return (
    <section>
      <h1 tabIndex={-1}>{t('send.title')}</h1>
      <p>{t('send.intro')}</p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <form onSubmit={submit} class="stack" noValidate>
        <FilePicker files={files} error={errors.files} disabled={busy} onAdd={addFiles}
          onRemove={(i) => setFiles((current) => current.filter((_, k) => k !== i))} />
        <TextArea label={t('send.recipients')} hint={t('send.recipients_hint')} rows={2} required value={recipientText}
          error={errors.recipients} disabled={busy} onInput={(e) => setRecipientText(e.currentTarget.value)} />
        <div class="field">
          <label for="data-class">{t('send.data_class')}</label>
          <select id="data-class" aria-describedby="data-class-hint" disabled={busy || !policy} value={dataClass?.name ?? ''}
            onChange={(e) => chooseClass(e.currentTarget.value)}>
            {policy?.dataClasses.map((c) => <option key={c.name} value={c.name}>{classLabel(c.name)}</option>)}
          </select>
          <p class="hint" id="data-class-hint">{dataClass ? classRules(dataClass) : ''}</p>
        </div>
        <div class="row">
          <div class="field">
            <label for="expiry">{t('send.expiry')}</label>
            <select id="expiry" disabled={busy || !policy} value={String(expiry ?? '')} onChange={(e) => setExpiry(Number(e.currentTarget.value))}>
              {policy && dataClass && expiryChoices(policy, dataClass).map((s) => <option key={s} value={String(s)}>{expiryLabel(s)}</option>)}
            </select>
          </div>
          <TextField label={t('send.max_downloads')} hint={dataClass ? t('send.max_downloads_hint', { max: dataClass.maxDownloads }) : undefined}
            type="number" min={1} max={dataClass?.maxDownloads} inputMode="numeric" value={maxDownloads} error={errors.maxDownloads}
            disabled={busy} onInput={(e) => setMaxDownloads(e.currentTarget.value)} />
        </div>
        <TextArea label={t('send.message')} hint={t('send.message_hint')} rows={3} value={message} disabled={busy}
          onInput={(e) => setMessage(e.currentTarget.value)} />
        {sending.name === 'form' && <button type="submit" class="primary" disabled={!policy}>{t('send.submit', { size: formatBytes(total) })}</button>}
      </form>
      {sending.name === 'sending' && (
        <div class="stack" aria-live="polite">
          {sending.notice && <Notice>{sending.notice}</Notice>}
          <ProgressBar label={t('send.progress_all')} done={sending.done} total={total} />
          {files.map((f, i) => <ProgressBar key={`${f.name}-${i}`} label={f.name} done={sending.perFile[i] ?? 0} total={f.size} />)}
          <button type="button" onClick={() => worker.current?.postMessage({ kind: 'cancel' } satisfies UploadCommand)}>{t('send.cancel')}</button>
        </div>
      )}
    </section>
  );
}

function advance(s: Extract<Sending, { name: 'sending' }>, p: TransferProgress): Sending {
  const perFile = [...s.perFile];
  perFile[p.fileIndex] = p.fileBytesDone;
  return { ...s, perFile, done: p.bytesDone };
}

/** What the class means for this transfer, in the sender's words. */
function classRules(c: DataClass): string {
  const rules = [t('send.class_max', { duration: expiryLabel(c.maxExpirySeconds) })];
  if (c.deleteWhenDownloaded) rules.push(t('send.class_deleted_when_downloaded'));
  if (!c.allowOutsideRecipients) rules.push(t('send.class_members_only'));
  return [c.description, ...rules].filter((x) => x !== '').join(' ');
}

function expiryLabel(seconds: number): string {
  if (seconds % 86_400 === 0) return tPlural('send.days', seconds / 86_400);
  if (seconds % 3600 === 0) return tPlural('send.hours', seconds / 3600);
  return tPlural('send.minutes', Math.round(seconds / 60));
}

function FilePicker({ files, error, disabled, onAdd, onRemove }: {
  files: File[]; error: string | undefined; disabled: boolean; onAdd: (list: FileList | null) => void; onRemove: (index: number) => void;
}) {
  const [over, setOver] = useState(false);
  return (
    <fieldset class={`drop-zone${over ? ' over' : ''}`} aria-describedby={error ? 'files-error' : undefined}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
      onDrop={(e) => { e.preventDefault(); setOver(false); if (!disabled) onAdd(e.dataTransfer?.files ?? null); }}>
      <legend>{t('send.files')}</legend>
      <p class="hint">{t('send.files_hint')}</p>
      {/* The real input, visually hidden but focusable; its label is the visible button and shows its focus. */}
      <input id="file-input" class="visually-hidden file-input" type="file" multiple disabled={disabled}
        onChange={(e) => { onAdd(e.currentTarget.files); e.currentTarget.value = ''; }} />
      <label class="button" for="file-input">{t('send.pick_files')}</label>{' '}
      <input id="folder-input" class="visually-hidden file-input" type="file" multiple disabled={disabled}
        {...{ webkitdirectory: true }} onChange={(e) => { onAdd(e.currentTarget.files); e.currentTarget.value = ''; }} />
      <label class="button" for="folder-input">{t('send.pick_folder')}</label>
      {files.length > 0 && (
        <ul class="file-list">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <span class="file-name">{f.name}</span> <span class="file-size">{formatBytes(f.size)}</span>{' '}
              <button type="button" class="link-button" disabled={disabled} onClick={() => onRemove(i)}
                aria-label={t('send.remove_file', { name: f.name })}>{t('send.remove')}</button>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="field-error" id="files-error">{error}</p>}
    </fieldset>
  );
}

function SentView({ sent, onAnother }: { sent: Extract<Sending, { name: 'sent' }>; onAnother: () => void }) {
  const [copied, setCopied] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(sent.link);
    } catch {
      input.current?.select(); // clipboard refused: the link is selected for Ctrl+C
    }
    setCopied(true);
  };
  return (
    <section class="stack">
      <h1 tabIndex={-1}>{t('sent.title')}</h1>
      <div class="field">
        <label for="link">{t('sent.link')}</label>
        <div class="row">
          <input id="link" ref={input} class="link-field" readOnly value={sent.link} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" class="primary" onClick={() => void copy()}>{t('sent.copy')}</button>
        </div>
        <p role="status" class="hint">{copied ? t('sent.copied') : ''}</p>
      </div>
      <p class="statement">
        {t('sent.statement', { recipients: sent.recipients.join(', '), until: formatDateTime(sent.expiresAt) })}{' '}
        {tPlural('sent.downloads', sent.maxDownloads)}{' '}
        {t('sent.data_class', { name: classLabel(sent.dataClass) })}
      </p>
      <p class="hint">{t('sent.link_hint')}</p>
      <p><button type="button" onClick={onAnother}>{t('sent.another')}</button></p>
    </section>
  );
}
