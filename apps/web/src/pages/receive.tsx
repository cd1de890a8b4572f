// The link page (/t/<id>#<secret>). The secret is read from the fragment and removed from the address bar at once;
// it stays in this page's memory only. The recipient says who they are and types the code e-mailed to them; the
// files are then downloaded, verified and decrypted in a worker and offered for saving.
import { type AskCodeContext, type OpenedTransfer, type TransferProgress, ValiseApi, openTransfer, safeFileName } from '@valise/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ClosedReason, closedReason, errorText } from '../errors.js';
import { formatBytes, formatDateTime, t, tPlural } from '../i18n/i18n.js';
import { ErrorBox, Notice, TextField } from '../components/forms.js';
import { ProgressBar } from '../components/progress.js';
import { type DownloadEvent, type DownloadRequest, type ReceivedFile, rebuildFailure } from '../workers/messages.js';

type Stage =
  | { name: 'checking' }
  | { name: 'identify' }
  | { name: 'code'; ask: AskCodeContext; answer: (code: string) => void }
  | { name: 'opening' }
  | { name: 'ready'; opened: OpenedTransfer }
  | { name: 'downloading'; opened: OpenedTransfer; progress: TransferProgress | null }
  | { name: 'done'; opened: OpenedTransfer; files: Array<ReceivedFile & { url: string }> }
  | { name: 'saved'; opened: OpenedTransfer; files: Array<{ name: string; size: number }> }
  | { name: 'closed'; reason: ClosedReason }
  | { name: 'no_secret' }
  | { name: 'failed'; message: string };

/** Takes the secret out of the address bar; returns the full link for the client library. */
function takeLink(transferId: string): string | null {
  const secret = location.hash.slice(1);
  if (!secret) return null;
  history.replaceState(null, '', location.pathname);
  return `${location.origin}/t/${transferId}#${secret}`;
}

export function ReceivePage({ transferId }: { transferId: string }) {
  const [link] = useState(() => takeLink(transferId));
  const [stage, setStage] = useState<Stage>(link ? { name: 'checking' } : { name: 'no_secret' });

  useEffect(() => {
    if (!link) return;
    // A first challenge tells at once whether the link still opens (410 expired, exhausted, revoked…).
    new ValiseApi({ serverUrl: location.origin }).challenge(transferId).then(
      () => setStage({ name: 'identify' }),
      (e: unknown) => setStage(failureStage(e)),
    );
  }, [link, transferId]);

  const open = (email: string) => {
    setStage({ name: 'opening' });
    const askCode = (ask: AskCodeContext) => new Promise<string>((answer) => setStage({ name: 'code', ask, answer }));
    openTransfer(link!, { email, askCode }).then(
      (opened) => setStage({ name: 'ready', opened }),
      (e: unknown) => setStage(failureStage(e)),
    );
  };

  return (
    <section class="narrow">
      <h1 tabIndex={-1}>{t('receive.title')}</h1>
      <StageView stage={stage} setStage={setStage} onIdentify={open} />
    </section>
  );
}

function failureStage(error: unknown): Stage {
  const reason = closedReason(error);
  return reason ? { name: 'closed', reason } : { name: 'failed', message: errorText(error) };
}

function StageView({ stage, setStage, onIdentify }: { stage: Stage; setStage: (s: Stage) => void; onIdentify: (email: string) => void }) {
  switch (stage.name) {
    case 'checking':
    case 'opening':
      return <p role="status">{t('common.loading')}</p>;
    case 'no_secret':
      return <ErrorBox>{t('receive.no_secret')}</ErrorBox>;
    case 'closed':
      return <ClosedView reason={stage.reason} />;
    case 'failed':
      return <ErrorBox>{stage.message}</ErrorBox>;
    case 'identify':
      return <IdentifyForm onSubmit={onIdentify} />;
    case 'code':
      return <CodeForm ask={stage.ask} onSubmit={(code) => { setStage({ name: 'opening' }); stage.answer(code); }} />;
    case 'ready':
      return <ReadyView opened={stage.opened} onDownload={(folder) => download(stage.opened, setStage, folder)} />;
    case 'downloading':
      return <DownloadingView opened={stage.opened} progress={stage.progress} />;
    case 'done':
      return <DoneView opened={stage.opened} files={stage.files} />;
    case 'saved':
      return <SavedView files={stage.files} />;
  }
}

function ClosedView({ reason }: { reason: ClosedReason }) {
  return (
    <div class="closed" role="alert">
      <h2>{t(`closed.${reason}_title` as 'closed.transfer_expired_title')}</h2>
      <p>{t(`closed.${reason}_text` as 'closed.transfer_expired_text')}</p>
      <p>{t('closed.ask_sender')}</p>
    </div>
  );
}

function IdentifyForm({ onSubmit }: { onSubmit: (email: string) => void }) {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = (event: Event) => {
    event.preventDefault();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/u.test(email.trim())) return setError(t('receive.email_invalid'));
    onSubmit(email.trim());
  };
  return (
    <form onSubmit={submit} class="stack" noValidate>
      <p>{t('receive.identify_intro')}</p>
      <TextField label={t('receive.email')} hint={t('receive.email_hint')} type="email" autoComplete="email" required
        value={email} error={error} onInput={(e) => setEmail(e.currentTarget.value)} />
      <button type="submit" class="primary">{t('receive.send_code')}</button>
    </form>
  );
}

function CodeForm({ ask, onSubmit }: { ask: AskCodeContext; onSubmit: (code: string) => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = (event: Event) => {
    event.preventDefault();
    const digits = code.replace(/[\s-]/gu, '');
    if (!/^[0-9]{8}$/u.test(digits)) return setError(t('receive.code_format'));
    onSubmit(digits);
  };
  return (
    <form onSubmit={submit} class="stack" noValidate>
      {ask.attempt === 1
        ? <Notice>{t('receive.code_sent', { email: ask.email, time: formatDateTime(ask.codeExpiresAt) })}</Notice>
        : <ErrorBox>{ask.attemptsLeft === undefined ? t('receive.code_wrong') : tPlural('receive.code_wrong_left', ask.attemptsLeft)}</ErrorBox>}
      <TextField label={t('receive.code')} hint={t('receive.code_hint')} inputMode="numeric" autoComplete="one-time-code"
        maxLength={10} required value={code} error={error} onInput={(e) => setCode(e.currentTarget.value)} />
      <button type="submit" class="primary">{t('receive.open')}</button>
    </form>
  );
}

/** The File System Access API, where the browser offers it (Chromium-based browsers, not blocked by policy). */
type FolderPicker = (options: { mode: 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
const folderPicker = (globalThis as unknown as { showDirectoryPicker?: FolderPicker }).showDirectoryPicker;

function ReadyView({ opened, onDownload }: { opened: OpenedTransfer; onDownload: (folder?: FileSystemDirectoryHandle) => void }) {
  const [pickError, setPickError] = useState<string | null>(null);
  const files = opened.manifest.files;
  const total = files.reduce((n, f) => n + f.size, 0);
  const intoFolder = async () => {
    setPickError(null);
    try {
      onDownload(await folderPicker!.call(globalThis, { mode: 'readwrite' }));
    } catch (e) {
      // Cancelled, or refused by policy: the browser's own downloads still work.
      if (!(e instanceof DOMException && e.name === 'AbortError')) setPickError(t('receive.folder_refused'));
    }
  };
  return (
    <div class="stack">
      {opened.manifest.message !== null && (
        <div class="message">
          <h2>{t('receive.message')}</h2>
          <p class="message-text">{opened.manifest.message}</p>
        </div>
      )}
      <h2>{tPlural('receive.files', files.length)} — {formatBytes(total)}</h2>
      <ul class="file-list">
        {files.map((f) => <li key={f.fileId}><span class="file-name">{f.name}</span> <span class="file-size">{formatBytes(f.size)}</span></li>)}
      </ul>
      <p class="hint">{t('receive.available_until', { time: formatDateTime(opened.transferExpiresAt) })}</p>
      {pickError && <ErrorBox>{pickError}</ErrorBox>}
      {folderPicker ? (
        <div class="row">
          <button type="button" class="primary" onClick={() => void intoFolder()}>{t('receive.save_to_folder')}</button>
          <button type="button" onClick={() => onDownload()}>{t('receive.download_in_browser')}</button>
        </div>
      ) : (
        <button type="button" class="primary" onClick={() => onDownload()}>{t('receive.download')}</button>
      )}
      {folderPicker && <p class="hint">{t('receive.folder_hint')}</p>}
    </div>
  );
}

function DownloadingView({ opened, progress }: { opened: OpenedTransfer; progress: TransferProgress | null }) {
  const files = opened.manifest.files;
  const total = files.reduce((n, f) => n + f.size, 0);
  const current = progress ? files[progress.fileIndex] : undefined;
  return (
    <div class="stack" aria-live="polite">
      <ProgressBar label={t('receive.progress_all')} done={progress?.bytesDone ?? 0} total={total} />
      {current && progress && <ProgressBar label={current.name} done={progress.fileBytesDone} total={progress.fileBytesTotal} />}
    </div>
  );
}

function DoneView({ opened, files }: { opened: OpenedTransfer; files: Array<ReceivedFile & { url: string }> }) {
  const first = useRef<HTMLAnchorElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div class="stack">
      <Notice>{t('receive.done')}</Notice>
      {opened.manifest.message !== null && <p class="message-text">{opened.manifest.message}</p>}
      <ul class="file-list">
        {files.map((f, i) => (
          <li key={f.url}>
            <a ref={i === 0 ? first : undefined} class="button" href={f.url} download={safeFileName(f.name)}>
              {t('receive.save', { name: safeFileName(f.name) })}
            </a>{' '}
            <span class="file-size">{formatBytes(f.size)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function SavedView({ files }: { files: Array<{ name: string; size: number }> }) {
  return (
    <div class="stack">
      <Notice>{t('receive.saved')}</Notice>
      <ul class="file-list">
        {files.map((f) => <li key={f.name}><span class="file-name">{f.name}</span> <span class="file-size">{formatBytes(f.size)}</span></li>)}
      </ul>
    </div>
  );
}

function download(opened: OpenedTransfer, setStage: (s: Stage) => void, folder?: FileSystemDirectoryHandle) {
  setStage({ name: 'downloading', opened, progress: null });
  const worker = new Worker(new URL('../workers/download.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }: MessageEvent<DownloadEvent>) => {
    if (data.kind === 'progress') setStage({ name: 'downloading', opened, progress: data.progress });
    else {
      worker.terminate();
      if (data.kind === 'done') setStage({ name: 'done', opened, files: data.files.map((f) => ({ ...f, url: URL.createObjectURL(f.blob) })) });
      else if (data.kind === 'saved') setStage({ name: 'saved', opened, files: data.files });
      else setStage(failureStage(rebuildFailure(data.failure)));
    }
  };
  worker.onerror = () => {
    worker.terminate();
    setStage({ name: 'failed', message: t('error.unknown') });
  };
  const { api: _api, ...transferable } = opened;
  worker.postMessage({ ...transferable, folder } satisfies DownloadRequest);
}

