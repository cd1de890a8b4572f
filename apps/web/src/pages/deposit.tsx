// The drop-box page (/d/<boxId>#<box key>), for someone without an account — an outside lab. The box is fetched and
// its signed key and name checked against the key in the link before anything is shown (docs/format.md §13); the
// depositor gives a name and an address, types the code e-mailed to it, chooses files, and the upload worker
// encrypts them to the box key. The receipt ends the page: the depositor keeps nothing that opens the deposit.
// The link's fragment is read here only: it is never part of a request.
import { IntegrityError, LinkError, type OpenedBox, type TransferProgress, isApiError, openBox, verifyDepositor } from '@valise/client';
import type { DepositReceipt } from '@valise/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../errors.js';
import { formatBytes, formatDateTime, formatNumber, t, tPlural } from '../i18n/i18n.js';
import { FileDrop, addNewFiles, focusFirstInvalid } from '../components/file-drop.js';
import { ErrorBox, Notice, TextField } from '../components/forms.js';
import { ProgressBar } from '../components/progress.js';
import { type UploadCommand, type UploadEvent, type WorkerFailure, rebuildFailure } from '../workers/messages.js';

/** Why the box takes nothing: the server's 410 codes, or no such box. */
export type BoxClosedCode = 'box_closed' | 'box_expired' | 'box_full' | 'not_found';

/** Why the link itself cannot be used: nothing was sent to anyone. */
type Refusal = 'no_key' | 'link_invalid' | 'key_mismatch';

type Page =
  | { name: 'checking' }
  | { name: 'refused'; why: Refusal }
  | { name: 'closed'; code: BoxClosedCode }
  | { name: 'unreachable'; message: string }
  | { name: 'open'; box: OpenedBox };

type Step =
  | { name: 'identify'; emailError?: string | undefined; nameError?: string | undefined; failure?: string | undefined; notice?: string | undefined }
  | { name: 'requesting' }
  | { name: 'code'; email: string; codeExpiresAt: number; attempt: number; answer: (code: string) => void }
  | { name: 'verifying' }
  | { name: 'files'; token: string; error?: string | undefined }
  | { name: 'uploading'; token: string; perFile: number[]; done: number }
  /** The upload stopped on the way (network): the worker keeps its state, and trying again resumes. */
  | { name: 'interrupted'; token: string; message: string }
  | { name: 'done'; receipt: DepositReceipt; files: Array<{ name: string; size: number }> };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

function closedCode(error: unknown): BoxClosedCode | undefined {
  if (!isApiError(error)) return undefined;
  return error.code === 'box_closed' || error.code === 'box_expired' || error.code === 'box_full' || error.code === 'not_found' ? error.code : undefined;
}

export function DepositPage({ boxId }: { boxId: string }) {
  const [page, setPage] = useState<Page>({ name: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const fragment = location.hash.slice(1);
    if (!fragment) return setPage({ name: 'refused', why: 'no_key' });
    setPage({ name: 'checking' });
    const controller = new AbortController();
    // The link is rebuilt from this page's own address: the key (after #) is checked here, never sent.
    openBox(`${location.origin}/d/${boxId}#${fragment}`, {}, controller.signal).then(
      (box) => setPage({ name: 'open', box }),
      (e: unknown) => {
        if (controller.signal.aborted) return;
        if (e instanceof LinkError) return setPage({ name: 'refused', why: e.code === 'link_incomplete' ? 'no_key' : 'link_invalid' });
        if (e instanceof IntegrityError) return setPage({ name: 'refused', why: 'key_mismatch' });
        const code = closedCode(e);
        setPage(code ? { name: 'closed', code } : { name: 'unreachable', message: errorText(e) });
      },
    );
    return () => controller.abort();
  }, [boxId, attempt]);

  return (
    <section class="narrow">
      <h1 tabIndex={-1}>{t('deposit.title')}</h1>
      {page.name === 'checking' && <p role="status">{t('deposit.checking')}</p>}
      {page.name === 'refused' && <RefusedView why={page.why} />}
      {page.name === 'closed' && <BoxClosedView code={page.code} />}
      {page.name === 'unreachable' && (
        <div class="stack">
          <ErrorBox>{page.message}</ErrorBox>
          <p><button type="button" class="primary" onClick={() => setAttempt((n) => n + 1)}>{t('deposit.try_again')}</button></p>
        </div>
      )}
      {page.name === 'open' && <DepositFlow box={page.box} onClosed={(code) => setPage({ name: 'closed', code })} />}
    </section>
  );
}

function RefusedView({ why }: { why: Refusal }) {
  return (
    <div class="closed" role="alert">
      <h2>{t(`deposit.refused_${why}_title` as 'deposit.refused_no_key_title')}</h2>
      <p>{t(`deposit.refused_${why}_text` as 'deposit.refused_no_key_text')}</p>
      <p>{t('deposit.refused_nothing_sent')}</p>
    </div>
  );
}

export function BoxClosedView({ code }: { code: BoxClosedCode }) {
  return (
    <div class="closed" role="alert">
      <h2>{t(`deposit.closed_${code}_title` as 'deposit.closed_box_closed_title')}</h2>
      <p>{t(`deposit.closed_${code}_text` as 'deposit.closed_box_closed_text')}</p>
      <p>{t('deposit.closed_ask_owner')}</p>
    </div>
  );
}

/** The box as the depositor must see it: its signed name (from the verified key), its limits, whom it accepts. */
function BoxFacts({ box }: { box: OpenedBox }) {
  const { policy } = box;
  return (
    <div class="box-card">
      <h2 class="box-name">{box.key.record.name}</h2>
      <p class="hint">{t('deposit.verified_name')}</p>
      <dl class="facts">
        <dt>{t('deposit.open_until')}</dt>
        <dd>{formatDateTime(policy.expiresAt)}</dd>
        <dt>{t('deposit.max_size')}</dt>
        <dd>{t('deposit.max_size_value', { size: formatBytes(policy.maxDepositBytes), files: formatNumber(policy.maxFiles) })}</dd>
        <dt>{t('deposit.accepted_from')}</dt>
        <dd>{policy.allowedDomains.length === 0 ? t('deposit.any_address') : policy.allowedDomains.join(', ')}</dd>
      </dl>
      <p>{t('deposit.one_way')}</p>
    </div>
  );
}

function DepositFlow({ box, onClosed }: { box: OpenedBox; onClosed: (code: BoxClosedCode) => void }) {
  const [step, setStep] = useState<Step>({ name: 'identify' });
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const worker = useRef<Worker | null>(null);

  useEffect(() => () => worker.current?.terminate(), []);

  const dropWorker = () => {
    worker.current?.terminate();
    worker.current = null;
  };

  const verify = (who: { name: string; email: string }) => {
    setStep({ name: 'requesting' });
    const askCode = (c: { email: string; codeExpiresAt: number; attempt: number }) =>
      new Promise<string>((answer) => setStep({ name: 'code', ...c, answer }));
    verifyDepositor(box, { ...who, askCode }).then(
      (token) => setStep({ name: 'files', token }),
      (e: unknown) => {
        const code = closedCode(e);
        if (code) return onClosed(code);
        if (isApiError(e, 'depositor_domain_not_allowed')) return setStep({ name: 'identify', emailError: errorText(e) });
        setStep({ name: 'identify', failure: errorText(e) });
      },
    );
  };

  const upload = (token: string) => {
    setStep({ name: 'uploading', token, perFile: files.map(() => 0), done: 0 });
    // The same worker after an interruption: its memory holds the deposit's resume state (and keys).
    const w = worker.current ?? new Worker(new URL('../workers/upload.worker.ts', import.meta.url), { type: 'module' });
    worker.current = w;
    const chosen = files.map((f) => ({ name: f.name, size: f.size }));
    w.onmessage = ({ data }: MessageEvent<UploadEvent>) => {
      switch (data.kind) {
        case 'progress':
          return setStep((s) => (s.name === 'uploading' ? advance(s, data.progress) : s));
        case 'deposited':
          dropWorker();
          return setStep({ name: 'done', receipt: data.receipt, files: chosen });
        case 'cancelled':
          dropWorker();
          // The permission started a deposit: another one needs the address verified again.
          return setStep({ name: 'identify', notice: t('deposit.cancelled') });
        case 'failed':
          return setStep(afterFailure(token, data.failure));
        default:
      }
    };
    w.postMessage({ kind: 'deposit', request: { files, box: withoutApi(box), depositToken: token } } satisfies UploadCommand);
  };

  const afterFailure = (token: string, failure: WorkerFailure): Step => {
    const error = rebuildFailure(failure);
    const retry = failure.kind === 'other' || (failure.kind === 'api' && (failure.status === 0 || failure.status >= 500));
    if (retry) return { name: 'interrupted', token, message: errorText(error) };
    dropWorker();
    const code = closedCode(error);
    if (code) {
      onClosed(code);
      return { name: 'identify' };
    }
    if (isApiError(error, 'deposit_token_invalid') || isApiError(error, 'conflict')) return { name: 'identify', failure: errorText(error) };
    return { name: 'files', token, error: errorText(error) };
  };

  if (step.name === 'done') {
    return (
      <ReceiptView receipt={step.receipt} files={step.files}
        onAnother={() => { setFiles([]); setStep({ name: 'identify' }); }} />
    );
  }

  return (
    <div class="stack">
      <BoxFacts box={box} />
      {(step.name === 'identify' || step.name === 'requesting') && (
        <IdentifyForm box={box} step={step} name={name} email={email} onName={setName} onEmail={setEmail}
          onSubmit={() => verify({ name: name.trim(), email: email.trim() })} />
      )}
      {step.name === 'code' && <CodeForm step={step} onSubmit={(code) => { setStep({ name: 'verifying' }); step.answer(code); }}
        onRestart={() => setStep({ name: 'identify' })} />}
      {step.name === 'verifying' && <p role="status">{t('deposit.verifying')}</p>}
      {(step.name === 'files' || step.name === 'uploading' || step.name === 'interrupted') && (
        <FilesStep box={box} step={step} files={files} setFiles={setFiles} email={email}
          onSubmit={upload} onCancel={() => worker.current?.postMessage({ kind: 'cancel' } satisfies UploadCommand)} />
      )}
    </div>
  );
}

function withoutApi(box: OpenedBox): Omit<OpenedBox, 'api'> {
  const { api: _api, ...rest } = box;
  return rest;
}

function advance(s: Extract<Step, { name: 'uploading' }>, p: TransferProgress): Step {
  const perFile = [...s.perFile];
  perFile[p.fileIndex] = p.fileBytesDone;
  return { ...s, perFile, done: p.bytesDone };
}

/** Focuses the element once it is shown: the heading of a new step, so screen readers start there. */
function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

function IdentifyForm({ box, step, name, email, onName, onEmail, onSubmit }: {
  box: OpenedBox; step: Extract<Step, { name: 'identify' | 'requesting' }>; name: string; email: string;
  onName: (v: string) => void; onEmail: (v: string) => void; onSubmit: () => void;
}) {
  const [errors, setErrors] = useState<{ name?: string; email?: string }>({});
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const busy = step.name === 'requesting';
  const server: Partial<Extract<Step, { name: 'identify' }>> = step.name === 'identify' ? step : {};
  const submit = (event: Event) => {
    event.preventDefault();
    const found: { name?: string; email?: string } = {};
    if (name.trim() === '' || name.trim().length > 200) found.name = t('deposit.name_invalid');
    if (!EMAIL.test(email.trim())) found.email = t('deposit.email_invalid');
    setErrors(found);
    if (found.name || found.email) return focusFirstInvalid(event.currentTarget as HTMLFormElement);
    onSubmit();
  };
  const domains = box.policy.allowedDomains;
  return (
    <form onSubmit={submit} class="stack" noValidate>
      <h2 ref={heading} tabIndex={-1}>{t('deposit.identify_title')}</h2>
      {server.notice && <Notice>{server.notice}</Notice>}
      {server.failure && <ErrorBox>{server.failure}</ErrorBox>}
      <p>{t('deposit.identify_intro')}</p>
      <TextField label={t('deposit.name')} hint={t('deposit.name_hint')} autoComplete="name" required maxLength={200}
        value={name} error={errors.name} disabled={busy} onInput={(e) => onName(e.currentTarget.value)} />
      <TextField label={t('deposit.email')} type="email" autoComplete="email" required
        hint={domains.length === 0 ? t('deposit.email_hint') : t('deposit.email_hint_domains', { domains: domains.join(', ') })}
        value={email} error={errors.email ?? server.emailError} disabled={busy} onInput={(e) => onEmail(e.currentTarget.value)} />
      <button type="submit" class="primary" disabled={busy}>{busy ? t('deposit.sending_code') : t('deposit.send_code')}</button>
    </form>
  );
}

function CodeForm({ step, onSubmit, onRestart }: {
  step: Extract<Step, { name: 'code' }>; onSubmit: (code: string) => void; onRestart: () => void;
}) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const input = useRef<HTMLDivElement>(null);
  useEffect(() => input.current?.querySelector('input')?.focus(), [step.attempt]);
  const submit = (event: Event) => {
    event.preventDefault();
    const digits = code.replace(/[\s-]/gu, '');
    if (!/^[0-9]{8}$/u.test(digits)) return setError(t('deposit.code_format'));
    onSubmit(digits);
  };
  return (
    <form onSubmit={submit} class="stack" noValidate>
      <h2>{t('deposit.code_title')}</h2>
      {step.attempt === 1
        ? <Notice>{t('deposit.code_sent', { email: step.email, time: formatDateTime(step.codeExpiresAt) })}</Notice>
        : <ErrorBox>{t('deposit.code_wrong')}</ErrorBox>}
      <div ref={input}>
        <TextField label={t('deposit.code')} hint={t('deposit.code_hint')} inputMode="numeric" autoComplete="one-time-code"
          maxLength={10} required value={code} error={error} onInput={(e) => setCode(e.currentTarget.value)} />
      </div>
      <div class="row">
        <button type="submit" class="primary">{t('deposit.verify')}</button>
        <button type="button" onClick={onRestart}>{t('deposit.other_address')}</button>
      </div>
    </form>
  );
}

function FilesStep({ box, step, files, setFiles, email, onSubmit, onCancel }: {
  box: OpenedBox; step: Extract<Step, { name: 'files' | 'uploading' | 'interrupted' }>; files: File[];
  setFiles: (update: (current: File[]) => File[]) => void; email: string; onSubmit: (token: string) => void; onCancel: () => void;
}) {
  const [error, setError] = useState<string | undefined>();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const total = files.reduce((n, f) => n + f.size, 0);
  const busy = step.name !== 'files';
  const submit = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const problem = files.length === 0 ? t('deposit.error_no_files')
      : files.length > box.policy.maxFiles ? t('deposit.error_too_many_files', { max: formatNumber(box.policy.maxFiles) })
      : total > box.policy.maxDepositBytes ? t('deposit.error_too_large', { size: formatBytes(total), max: formatBytes(box.policy.maxDepositBytes) })
      : undefined;
    setError(problem);
    if (problem) return focusFirstInvalid(form);
    onSubmit(step.token);
  };
  return (
    <form onSubmit={submit} class="stack" noValidate>
      <h2 ref={heading} tabIndex={-1}>{t('deposit.files_title')}</h2>
      <Notice>{t('deposit.verified_as', { email })}</Notice>
      {step.name === 'files' && step.error && <ErrorBox>{step.error}</ErrorBox>}
      <FileDrop legend={t('deposit.files')} hint={t('deposit.files_hint', { max: formatBytes(box.policy.maxDepositBytes) })}
        files={files} error={error} disabled={busy}
        onAdd={(added) => { setError(undefined); setFiles((current) => addNewFiles(current, added)); }}
        onRemove={(i) => setFiles((current) => current.filter((_, k) => k !== i))} />
      {step.name === 'files' && (
        <button type="submit" class="primary">{t('deposit.submit', { size: formatBytes(total) })}</button>
      )}
      {step.name === 'uploading' && (
        <div class="stack" aria-live="polite">
          <ProgressBar label={t('deposit.progress_all')} done={step.done} total={total} />
          {files.length > 1 && files.map((f, i) => <ProgressBar key={`${f.name}-${i}`} label={f.name} done={step.perFile[i] ?? 0} total={f.size} />)}
          <p><button type="button" onClick={onCancel}>{t('deposit.cancel')}</button></p>
        </div>
      )}
      {step.name === 'interrupted' && (
        <div class="stack">
          <ErrorBox>{step.message} {t('deposit.interrupted')}</ErrorBox>
          <p><button type="button" class="primary" onClick={() => onSubmit(step.token)}>{t('deposit.resume')}</button></p>
        </div>
      )}
    </form>
  );
}

function ReceiptView({ receipt, files, onAnother }: {
  receipt: DepositReceipt; files: Array<{ name: string; size: number }>; onAnother: () => void;
}) {
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const stored = receipt.files.reduce((n, f) => n + f.ciphertextSize, 0);
  const total = files.reduce((n, f) => n + f.size, 0);
  return (
    <div class="stack receipt">
      <h2 ref={heading} tabIndex={-1}>{t('deposit.done_title')}</h2>
      <Notice>{t('deposit.done', { box: receipt.boxName })}</Notice>
      <p class="statement">{t('deposit.cannot_read_back')}</p>
      <h3>{t('deposit.receipt')}</h3>
      <dl class="facts">
        <dt>{t('deposit.receipt_id')}</dt>
        <dd><code>{receipt.transferId}</code></dd>
        <dt>{t('deposit.receipt_box')}</dt>
        <dd>{receipt.boxName}</dd>
        <dt>{t('deposit.receipt_from')}</dt>
        <dd>{receipt.depositorEmail}</dd>
        <dt>{t('deposit.receipt_at')}</dt>
        <dd>{formatDateTime(receipt.depositedAt)}</dd>
        <dt>{t('deposit.receipt_files')}</dt>
        <dd>{tPlural('deposit.file_count', receipt.files.length)}, {formatBytes(total)}</dd>
        <dt>{t('deposit.receipt_stored')}</dt>
        <dd>{formatBytes(stored)}</dd>
        <dt>{t('deposit.receipt_kept')}</dt>
        <dd>{formatDateTime(receipt.expiresAt)}</dd>
        <dt>{t('deposit.receipt_fingerprint')}</dt>
        <dd><code>{receipt.manifestSha256}</code></dd>
      </dl>
      <ul class="file-list">
        {files.map((f, i) => <li key={`${f.name}-${i}`}><span class="file-name">{f.name}</span> <span class="file-size">{formatBytes(f.size)}</span></li>)}
      </ul>
      <p class="hint">{t('deposit.receipt_mailed', { email: receipt.depositorEmail })}</p>
      <p><button type="button" onClick={onAnother}>{t('deposit.another')}</button></p>
    </div>
  );
}
