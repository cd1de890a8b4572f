// The link page (/t/<id>#<secret>). The secret is read from the fragment and removed from the address bar at once;
// it stays in this page's memory only. The recipient says who they are and types the code e-mailed to them; the
// files are then downloaded, verified and decrypted in a worker and saved. The grant is kept in this browser until
// the download completes, so opening the link again after an interruption resumes without a new code.
import { type AskCodeContext, type OpenedTransfer, type TransferProgress, ValiseApi, isApiError, openTransfer, resumeTransfer, safeFileName } from '@valise/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type ClosedReason, closedReason, errorText } from '../errors.js';
import { formatBytes, formatDateTime, t, tPlural } from '../i18n/i18n.js';
import { ErrorBox, Notice, TextField } from '../components/forms.js';
import { ProgressBar } from '../components/progress.js';
import { forgetGrant, keepGrant, keptGrantFor } from '../kept-grants.js';
import { prepareStreamingSave, streamingSaver } from '../stream-save/saver.js';
import { type DownloadEvent, type DownloadRequest, type ReceivedFile, type StreamPortMessage, rebuildFailure } from '../workers/messages.js';

/** Also the download stages of an inbox transfer (pages/inbox.tsx), from 'ready' on. */
export type Stage =
  | { name: 'checking' }
  | { name: 'identify' }
  | { name: 'code'; ask: AskCodeContext; answer: (code: string) => void }
  | { name: 'opening' }
  | { name: 'ready'; opened: OpenedTransfer }
  | { name: 'downloading'; opened: OpenedTransfer; progress: TransferProgress | null }
  | { name: 'done'; opened: OpenedTransfer; files: Array<ReceivedFile & { url: string }> }
  | { name: 'saved'; where: 'folder' | 'downloads'; files: Array<{ name: string; size: number }> }
  | { name: 'closed'; reason: ClosedReason }
  | { name: 'no_secret' }
  /** `opened` is kept after a failed download: its grant lets the person try again without a new code. */
  | { name: 'failed'; message: string; opened?: OpenedTransfer };

/** Where the person chose to put the files: a folder (File System Access API) or the browser's downloads. */
type Destination = { kind: 'folder'; folder: FileSystemDirectoryHandle } | { kind: 'browser' };

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
    void prepareStreamingSave(); // ready by the time the person clicks
    void (async () => {
      // A download interrupted in this browser resumes with its kept grant: no code, no download spent.
      const kept = await keptGrantFor(transferId);
      if (kept) {
        try {
          return setStage({ name: 'ready', opened: await resumeTransfer(link, kept) });
        } catch (e) {
          if (!isApiError(e, 'grant_invalid')) return setStage(failureStage(e));
          await forgetGrant(transferId);
        }
      }
      // A first challenge tells at once whether the link still opens (410 expired, exhausted, revoked…).
      await new ValiseApi({ serverUrl: location.origin }).challenge(transferId).then(
        () => setStage({ name: 'identify' }),
        (e: unknown) => setStage(failureStage(e)),
      );
    })();
  }, [link, transferId]);

  const open = (email: string) => {
    setStage({ name: 'opening' });
    const askCode = (ask: AskCodeContext) => new Promise<string>((answer) => setStage({ name: 'code', ask, answer }));
    openTransfer(link!, { email, askCode }, { onGrant: keepGrant }).then(
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

export function StageView({ stage, setStage, onIdentify }: { stage: Stage; setStage: (s: Stage) => void; onIdentify: (email: string) => void }) {
  switch (stage.name) {
    case 'checking':
    case 'opening':
      return <p role="status">{t('common.loading')}</p>;
    case 'no_secret':
      return <ErrorBox>{t('receive.no_secret')}</ErrorBox>;
    case 'closed':
      return <ClosedView reason={stage.reason} />;
    case 'failed':
      return (
        <div class="stack">
          <ErrorBox>{stage.message}</ErrorBox>
          {stage.opened && <button type="button" class="primary" onClick={() => setStage({ name: 'ready', opened: stage.opened! })}>{t('receive.try_again')}</button>}
        </div>
      );
    case 'identify':
      return <IdentifyForm onSubmit={onIdentify} />;
    case 'code':
      return <CodeForm ask={stage.ask} onSubmit={(code) => { setStage({ name: 'opening' }); stage.answer(code); }} />;
    case 'ready':
      return <ReadyView opened={stage.opened} onDownload={(destination) => void download(stage.opened, setStage, destination)} />;
    case 'downloading':
      return <DownloadingView opened={stage.opened} progress={stage.progress} />;
    case 'done':
      return <DoneView opened={stage.opened} files={stage.files} />;
    case 'saved':
      return <SavedView where={stage.where} files={stage.files} />;
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

function ReadyView({ opened, onDownload }: { opened: OpenedTransfer; onDownload: (destination: Destination) => void }) {
  const [pickError, setPickError] = useState<string | null>(null);
  const files = opened.manifest.files;
  const total = files.reduce((n, f) => n + f.size, 0);
  const intoFolder = async () => {
    setPickError(null);
    try {
      onDownload({ kind: 'folder', folder: await folderPicker!.call(globalThis, { mode: 'readwrite' }) });
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
          <button type="button" onClick={() => onDownload({ kind: 'browser' })}>{t('receive.download_in_browser')}</button>
        </div>
      ) : (
        <button type="button" class="primary" onClick={() => onDownload({ kind: 'browser' })}>{t('receive.download')}</button>
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
      {files.length > 1 && <p class="hint">{t('receive.several_downloads_hint')}</p>}
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

function SavedView({ where, files }: { where: 'folder' | 'downloads'; files: Array<{ name: string; size: number }> }) {
  return (
    <div class="stack">
      <Notice>{t(where === 'folder' ? 'receive.saved' : 'receive.saved_downloads')}</Notice>
      <ul class="file-list">
        {files.map((f) => <li key={f.name}><span class="file-name">{f.name}</span> <span class="file-size">{formatBytes(f.size)}</span></li>)}
      </ul>
    </div>
  );
}

async function download(opened: OpenedTransfer, setStage: (s: Stage) => void, destination: Destination): Promise<void> {
  setStage({ name: 'downloading', opened, progress: null });
  // Into the browser's downloads: streamed through the save service worker where it runs, else kept as Blobs.
  const saver = destination.kind === 'browser' ? await streamingSaver() : null;
  const worker = new Worker(new URL('../workers/download.worker.ts', import.meta.url), { type: 'module' });
  const end = (next: Stage) => {
    worker.terminate();
    saver?.finish();
    setStage(next);
  };
  worker.onmessage = ({ data }: MessageEvent<DownloadEvent>) => {
    if (data.kind === 'progress') setStage({ name: 'downloading', opened, progress: data.progress });
    else if (data.kind === 'open-stream') void givePort(worker, saver, data);
    else {
      if (data.kind === 'failed') {
        // A stopped save or a network failure can be tried again with the same grant; a refusal or damage cannot.
        const retry = data.failure.kind === 'save_stopped' || data.failure.kind === 'other';
        return end({ ...failureStage(rebuildFailure(data.failure)), ...(retry ? { opened } : {}) } as Stage);
      }
      void forgetGrant(opened.transferId); // the download completed: the server has closed the grant
      if (data.kind === 'done') end({ name: 'done', opened, files: data.files.map((f) => ({ ...f, url: URL.createObjectURL(f.blob) })) });
      else end({ name: 'saved', where: data.where, files: data.files });
    }
  };
  worker.onerror = () => end({ name: 'failed', message: t('error.unknown'), opened });
  const { api: _api, ...transferable } = opened;
  const saveTo: DownloadRequest['saveTo'] = destination.kind === 'folder' ? destination : saver ? { kind: 'stream' } : { kind: 'blobs' };
  worker.postMessage({ ...transferable, saveTo } satisfies DownloadRequest);
}

/** Answers the worker's `open-stream`: starts the browser's download of that file and hands the worker its port. */
async function givePort(worker: Worker, saver: Awaited<ReturnType<typeof streamingSaver>>, file: { index: number; name: string; size: number }): Promise<void> {
  const port = await saver?.open(file).catch(() => null) ?? null;
  worker.postMessage({ kind: 'stream-port', index: file.index, port } satisfies StreamPortMessage, port ? [port] : []);
}
