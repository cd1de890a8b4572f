// Sending: pick or drop files, name the recipients, choose expiry and downloads within policy, add a message.
// Encryption and upload run in a worker; the page shows one bar per file and one overall, and ends with the link
// and a plain statement of who can open it, until when, how many times.
import { MemberKeyError, type TransferProgress, type UnlockedAccount, isApiError } from '@valise/client';
import type { CertifiedMemberKey } from '@valise/crypto';
import type { DataClass, TeamSummary, TransferPolicy } from '@valise/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { formatBytes, formatDateTime, t, tPlural } from '../i18n/i18n.js';
import { askToSignInAgain, withSession } from '../session.js';
import { ErrorBox, Notice, TextArea, TextField } from '../components/forms.js';
import { ProgressBar } from '../components/progress.js';
import { KeyChangedWarning } from '../components/key-changed-warning.js';
import { UnlockKeys, useUnlockedKeys } from '../components/unlock-keys.js';
import { ContactKeyRefused, type DeliveryPlan, TeamRefused, planDelivery } from '../keys/delivery.js';
import { keyErrorText } from '../keys/key-errors.js';
import { type MemberDeliveryRequest, type UploadCommand, type UploadEvent, type UploadRequest, rebuildFailure } from '../workers/messages.js';
import { classLabel } from './data-class.js';
import { classNamed, parseRecipients, parseTeamNames } from './send-form.js';
import { DataClassSelect, ExpirySelect, durationLabel } from './retention-fields.js';

type Sending =
  | { name: 'form' }
  /** Checking which recipients are members with certified keys (their inbox, no link). */
  | { name: 'planning' }
  /** A recipient's key changed since this browser first trusted it: nothing is sent until the person accepts it. */
  | { name: 'key_changed'; email: string; pinned: string; served: string; request: UploadRequest; teamNames: string[] }
  /** Some recipients get inbox delivery: the sender's keys must be unlocked to sign. */
  | { name: 'unlock'; request: UploadRequest; members: CertifiedMemberKey[]; teams: DeliveryPlan['teams'] }
  | { name: 'sending'; perFile: number[]; done: number; notice: string | null }
  | {
    name: 'sent'; link: string | null; expiresAt: number; maxDownloads: number; dataClass: string; recipients: string[]; inbox: string[];
    /** The teams (their certified names) whose members receive it in their inbox. */
    teams: string[]; why: DeliveryPlan['why'];
  };

export function SendPage() {
  const [policy, setPolicy] = useState<TransferPolicy | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [recipientText, setRecipientText] = useState('');
  /** Teams by name, one per line (resolved and checked when sending), and the sender's own teams ticked. */
  const [teamText, setTeamText] = useState('');
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [myTeams, setMyTeams] = useState<TeamSummary[]>([]);
  const [className, setClassName] = useState<string | null>(null);
  const [expiry, setExpiry] = useState<number | null>(null);
  const [maxDownloads, setMaxDownloads] = useState('');
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [sending, setSending] = useState<Sending>({ name: 'form' });
  const worker = useRef<Worker | null>(null);
  /** Recipients whose changed key the sender accepted (after checking with them). */
  const accepted = useRef(new Set<string>());
  const why = useRef<DeliveryPlan['why']>(null);
  const account = useUnlockedKeys();

  useEffect(() => {
    withSession(() => api.transferPolicy()).then((p) => {
      setPolicy(p);
      const initial = classNamed(p, null);
      setClassName((c) => c ?? initial.name);
      setExpiry((e) => e ?? initial.defaultExpirySeconds);
    }, (e: unknown) => setFailure(errorText(e)));
    // The sender's own teams that can receive (signed by the organisation), as quick picks.
    withSession(() => api.listTeams()).then((l) => setMyTeams(l.teams.filter((x) => x.certificate !== null)), () => setMyTeams([]));
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
    const teams = parseTeamNames([...myTeams.filter((x) => picked.has(x.teamId)).map((x) => x.name), teamText].join('\n'));
    if (files.length === 0) found.files = t('send.error_no_files');
    else if (files.length > policy.maxFiles) found.files = t('send.error_too_many_files', { max: policy.maxFiles });
    if (recipients.invalid.length > 0) found.recipients = t('send.error_recipients_invalid', { list: recipients.invalid.join(', ') });
    else if (recipients.valid.length === 0 && teams.valid.length === 0) found.recipients = t('send.error_no_recipients');
    else if (recipients.valid.length > policy.maxRecipients) found.recipients = t('send.error_too_many_recipients', { max: policy.maxRecipients });
    const downloads = maxDownloads.trim() === '' ? undefined : Number(maxDownloads);
    if (downloads !== undefined && !(Number.isInteger(downloads) && downloads >= 1 && downloads <= dataClass.maxDownloads)) {
      found.maxDownloads = t('send.error_downloads', { max: dataClass.maxDownloads });
    }
    if (teams.invalid.length > 0) found.teams = t('send.error_team_names');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    void plan(teams.valid, {
      files, recipients: recipients.valid, dataClass: dataClass.name, expiresInSeconds: expiry ?? dataClass.defaultExpirySeconds,
      maxDownloads: downloads, message: message.trim() || undefined,
    });
  };

  /** Members with certified keys get a member slot (their inbox); a changed or unsigned key stops everything. */
  const plan = async (teamNames: string[], request: UploadRequest) => {
    setFailure(null);
    setSending({ name: 'planning' });
    try {
      const planned = await withSession(() => planDelivery(request.recipients, accepted.current, teamNames));
      why.current = planned.why;
      if (planned.members.length === 0 && planned.teams.length === 0) return start(request);
      setSending({ name: 'unlock', request, members: planned.members, teams: planned.teams });
    } catch (e) {
      if (e instanceof MemberKeyError && e.code === 'key_changed' && e.detail) {
        return setSending({ name: 'key_changed', email: e.detail.email, pinned: e.detail.pinned, served: e.detail.served, request, teamNames });
      }
      setSending({ name: 'form' });
      setFailure(e instanceof ContactKeyRefused ? t('send.error_contact_key', { email: e.email }) : e instanceof TeamRefused ? teamRefusedText(e) : keyErrorText(e));
    }
  };

  // Once the sender's keys are unlocked, the send goes on with their signature and the members' slots.
  useEffect(() => {
    if (sending.name === 'unlock' && account) start(sending.request, memberDelivery(account, sending.members, sending.teams, sending.request.recipients), sending.teams.map((x) => x.name));
  }, [sending, account]);

  const start = (request: UploadRequest, members?: MemberDeliveryRequest, teamNames: string[] = []) => {
    setFailure(null);
    const inbox = members ? members.recipients.map((m) => m.record.email) : [];
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
          return setSending({
            name: 'sent', link: data.link, expiresAt: data.expiresAt, maxDownloads: data.maxDownloads, dataClass: data.dataClass,
            recipients: request.recipients, inbox, teams: teamNames, why: why.current,
          });
        case 'cancelled':
          w.terminate();
          return setSending({ name: 'form' });
        case 'failed': {
          w.terminate();
          const error = rebuildFailure(data.failure);
          setSending({ name: 'form' });
          if (!isApiError(error, 'unauthenticated')) return setFailure(errorText(error));
          // The session ended mid-send: once signed in again, the same files resume where they stopped.
          void askToSignInAgain().then((again) => (again ? start(request, members, teamNames) : setFailure(errorText(error))));
          return;
        }
      }
    };
    w.postMessage({ kind: 'start', request: { ...request, members } } satisfies UploadCommand);
  };

  if (sending.name === 'sent') return <SentView sent={sending} onAnother={() => { setFiles([]); setMessage(''); setTeamText(''); setPicked(new Set()); setSending({ name: 'form' }); }} />;

  const total = files.reduce((n, f) => n + f.size, 0);
  const busy = sending.name !== 'form';
  return (
    <section>
      <h1 tabIndex={-1}>{t('send.title')}</h1>
      <p>{t('send.intro')}</p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <form onSubmit={submit} class="stack" noValidate>
        <FilePicker files={files} error={errors.files} disabled={busy} onAdd={addFiles}
          onRemove={(i) => setFiles((current) => current.filter((_, k) => k !== i))} />
        <TextArea label={t('send.recipients')} hint={t('send.recipients_hint')} rows={2} required={picked.size === 0 && teamText.trim() === ''} value={recipientText}
          error={errors.recipients} disabled={busy} onInput={(e) => setRecipientText(e.currentTarget.value)} />
        <TeamPicker myTeams={myTeams} picked={picked} text={teamText} error={errors.teams} disabled={busy}
          onPick={(teamId, on) => setPicked((p) => { const next = new Set(p); if (on) next.add(teamId); else next.delete(teamId); return next; })}
          onText={setTeamText} />
        <DataClassSelect id="data-class" label={t('send.data_class')} hint={dataClass ? classRules(dataClass) : ''} policy={policy}
          dataClass={dataClass} disabled={busy} onChoose={chooseClass} />
        <div class="row">
          <ExpirySelect id="expiry" label={t('send.expiry')} policy={policy} dataClass={dataClass} value={expiry} disabled={busy} onChoose={setExpiry} />
          <TextField label={t('send.max_downloads')} hint={dataClass ? t('send.max_downloads_hint', { max: dataClass.maxDownloads }) : undefined}
            type="number" min={1} max={dataClass?.maxDownloads} inputMode="numeric" value={maxDownloads} error={errors.maxDownloads}
            disabled={busy} onInput={(e) => setMaxDownloads(e.currentTarget.value)} />
        </div>
        <TextArea label={t('send.message')} hint={t('send.message_hint')} rows={3} value={message} disabled={busy}
          onInput={(e) => setMessage(e.currentTarget.value)} />
        {sending.name === 'form' && <button type="submit" class="primary" disabled={!policy}>{t('send.submit', { size: formatBytes(total) })}</button>}
      </form>
      {sending.name === 'planning' && <p role="status">{t('send.checking_recipients')}</p>}
      {sending.name === 'key_changed' && (
        <div class="stack">
          <KeyChangedWarning level={2} email={sending.email} pinned={sending.pinned} served={sending.served} accept={t('keys.key_changed_accept_send')}
            onAccept={() => { accepted.current.add(sending.email).add(sending.email.trim().toLowerCase()); void plan(sending.teamNames, sending.request); }} />
          <p><button type="button" onClick={() => setSending({ name: 'form' })}>{t('send.back_to_form')}</button></p>
        </div>
      )}
      {sending.name === 'unlock' && (
        <div class="stack">
          <UnlockKeys intro={t('send.unlock_intro', { list: [...sending.members.map((m) => m.record.email), ...sending.teams.map((x) => t('send.team_named', { name: x.name }))].join(', ') })} />
          <p><button type="button" onClick={() => setSending({ name: 'form' })}>{t('send.back_to_form')}</button></p>
        </div>
      )}
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

/**
 * What crosses to the upload worker: the sender's signing key (not the one that opens slots), the members' keys and
 * the teams' keys. A transfer only to members and teams has no link.
 */
function memberDelivery(account: UnlockedAccount, members: CertifiedMemberKey[], teams: DeliveryPlan['teams'], recipients: string[]): MemberDeliveryRequest {
  const { record, fingerprint, signingKey } = account.keys;
  const slotted = new Set(members.map((m) => m.record.email));
  return {
    sender: { record, fingerprint, signingKey }, recipients: members, teams: teams.map((x) => x.key), link: recipients.some((r) => !slotted.has(r)),
  };
}

function teamRefusedText(e: TeamRefused): string {
  if (e.why === 'unavailable') return t('send.error_team_unavailable', { name: e.team });
  if (e.why === 'key_refused') return t('send.error_team_key', { name: e.team });
  return t('send.error_team_sender_keys');
}

/** Teams as recipients: the sender's own (signed) teams to tick, and any team's name typed, one per line. */
function TeamPicker({ myTeams, picked, text, error, disabled, onPick, onText }: {
  myTeams: TeamSummary[]; picked: ReadonlySet<string>; text: string; error: string | undefined; disabled: boolean;
  onPick: (teamId: string, on: boolean) => void; onText: (text: string) => void;
}) {
  return (
    <fieldset class="team-picker">
      <legend>{t('send.teams')}</legend>
      <p class="hint">{t('send.teams_hint')}</p>
      {myTeams.length > 0 && (
        <ul class="checks">
          {myTeams.map((x) => (
            <li key={x.teamId}>
              <label>
                <input type="checkbox" checked={picked.has(x.teamId)} disabled={disabled} onChange={(e) => onPick(x.teamId, e.currentTarget.checked)} />{' '}
                {t('send.team_pick', { name: x.name })}
              </label>
            </li>
          ))}
        </ul>
      )}
      <TextArea label={t('send.team_names')} hint={t('send.team_names_hint')} rows={1} value={text} error={error} disabled={disabled}
        onInput={(e) => onText(e.currentTarget.value)} />
    </fieldset>
  );
}

function advance(s: Extract<Sending, { name: 'sending' }>, p: TransferProgress): Sending {
  const perFile = [...s.perFile];
  perFile[p.fileIndex] = p.fileBytesDone;
  return { ...s, perFile, done: p.bytesDone };
}

/** What the class means for this transfer, in the sender's words. */
function classRules(c: DataClass): string {
  const rules = [t('send.class_max', { duration: durationLabel(c.maxExpirySeconds) })];
  if (c.deleteWhenDownloaded) rules.push(t('send.class_deleted_when_downloaded'));
  if (!c.allowOutsideRecipients) rules.push(t('send.class_members_only'));
  return [c.description, ...rules].filter((x) => x !== '').join(' ');
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
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => (input.current ?? heading.current)?.focus(), []);
  const byLink = sent.recipients.filter((r) => !sent.inbox.includes(r));
  const teamLabels = sent.teams.map((name) => t('send.team_named', { name }));
  const inboxes = [...sent.inbox, ...teamLabels];
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(sent.link ?? '');
    } catch {
      input.current?.select(); // clipboard refused: the link is selected for Ctrl+C
    }
    setCopied(true);
  };
  return (
    <section class="stack">
      <h1 ref={heading} tabIndex={-1}>{t('sent.title')}</h1>
      {inboxes.length > 0 && (
        <div class="notice inbox-delivery">
          <p>{t('sent.inbox', { list: inboxes.join(', ') })}</p>
          <p class="hint">{t('sent.inbox_hint')}</p>
        </div>
      )}
      {sent.link !== null && (
        <div class="field">
          <label for="link">{t('sent.link')}</label>
          <div class="row">
            <input id="link" ref={input} class="link-field" readOnly value={sent.link} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" class="primary" onClick={() => void copy()}>{t('sent.copy')}</button>
          </div>
          <p role="status" class="hint">{copied ? t('sent.copied') : ''}</p>
          {sent.inbox.length > 0 && <p class="hint">{t('sent.link_for', { list: byLink.join(', ') })}</p>}
        </div>
      )}
      <p class="statement">
        {t(inboxes.length > 0 ? 'sent.statement_members' : 'sent.statement', {
          recipients: [...sent.recipients, ...(sent.teams.length > 0 ? [t('sent.team_members', { list: sent.teams.map((n) => `“${n}”`).join(', ') })] : [])].join(', '),
          until: formatDateTime(sent.expiresAt),
        })}{' '}
        {tPlural('sent.downloads', sent.maxDownloads)}{' '}
        {t('sent.data_class', { name: classLabel(sent.dataClass) })}
      </p>
      {sent.link !== null && <p class="hint">{t('sent.link_hint')}</p>}
      {sent.why === 'not_certified' && <p class="hint">{t('sent.why_not_certified')}</p>}
      <p><button type="button" onClick={onAnother}>{t('sent.another')}</button></p>
    </section>
  );
}
