// The sender's transfers: status, recipients, time left, downloads left, who opened what and when, and revoke.
import type { AccessEvent, DeletionRecord, TransferSummary } from '@valise/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { formatBytes, formatDateTime, formatRelative, t, tPlural } from '../i18n/i18n.js';
import { withSession } from '../session.js';
import { internal } from '../app.js';
import { Dialog } from '../components/dialog.js';
import { ErrorBox } from '../components/forms.js';
import { classLabel } from './data-class.js';

export function DashboardPage() {
  const [transfers, setTransfers] = useState<TransferSummary[] | null>(null);
  /** The cursor of the older page; null once everything is shown. */
  const [next, setNext] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreShown, setMoreShown] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<TransferSummary | null>(null);
  const [, setTick] = useState(0);

  const load = () => withSession(() => api.listTransfers()).then((l) => {
    setTransfers(l.transfers);
    setNext(l.next);
  }, (e: unknown) => setError(errorText(e)));

  const loadOlder = async () => {
    if (next === null || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await withSession(() => api.listTransfers({ before: next }));
      setTransfers((shown) => [...(shown ?? []), ...page.transfers]);
      setNext(page.next);
      setMoreShown(tPlural('dashboard.more_shown', page.transfers.length));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoadingMore(false);
    }
  };
  useEffect(() => {
    void load();
    const timer = setInterval(() => setTick((n) => n + 1), 30_000); // keeps the countdowns current
    return () => clearInterval(timer);
  }, []);

  const revoke = async (transfer: TransferSummary) => {
    setConfirming(null);
    try {
      await withSession(() => api.revokeTransfer(transfer.transferId));
      // Only this one changed: older pages already shown stay.
      const { transfer: updated } = await withSession(() => api.getTransfer(transfer.transferId));
      setTransfers((shown) => (shown ?? []).map((x) => (x.transferId === updated.transferId ? updated : x)));
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>{t('dashboard.title')}</h1>
      {error && <ErrorBox>{error}</ErrorBox>}
      {transfers === null && !error && <p role="status">{t('common.loading')}</p>}
      {transfers?.length === 0 && (
        <div class="empty">
          <p>{t('dashboard.empty')}</p>
          <p><a class="button primary" href="/send" onClick={internal('/send')}>{t('dashboard.empty_action')}</a></p>
        </div>
      )}
      {transfers && transfers.length > 0 && (
        <ul class="transfers">
          {transfers.map((tr) => <TransferItem key={tr.transferId} transfer={tr} onRevoke={() => setConfirming(tr)} />)}
        </ul>
      )}
      <p role="status" class="hint">{moreShown}</p>
      {next !== null && (
        <p>
          <button type="button" disabled={loadingMore} onClick={() => void loadOlder()}>
            {loadingMore ? t('common.loading') : t('dashboard.show_older')}
          </button>
        </p>
      )}
      {confirming && (
        <Dialog title={t('dashboard.revoke_title')} onClose={() => setConfirming(null)}>
          <p>{t('dashboard.revoke_text', { recipients: recipientList(confirming) })}</p>
          <div class="row">
            <button type="button" class="danger" onClick={() => void revoke(confirming)}>{t('dashboard.revoke_confirm')}</button>
            <button type="button" onClick={() => setConfirming(null)}>{t('common.cancel')}</button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

/** The recipients' addresses, then the teams it went to, named as teams. */
function recipientList(transfer: TransferSummary): string {
  return [...transfer.recipients, ...transfer.teams.map((team) => t('dashboard.team_recipient', { name: team.name }))].join(', ');
}

function TransferItem({ transfer, onRevoke }: { transfer: TransferSummary; onRevoke: () => void }) {
  const open = transfer.state === 'ready' || transfer.state === 'uploading';
  const left = Math.max(0, transfer.maxDownloads - transfer.downloadsUsed);
  return (
    <li class="transfer">
      <h2>
        {tPlural('dashboard.files', transfer.fileCount)} · {formatBytes(transfer.contentBytes)} · <span class={`state state-${transfer.state}`}>{stateLabel(transfer)}</span>
      </h2>
      <dl class="facts">
        <dt>{t('dashboard.recipients')}</dt><dd>{recipientList(transfer)}</dd>
        <dt>{t('dashboard.data_class')}</dt><dd>{classLabel(transfer.dataClass)}</dd>
        <dt>{t('dashboard.created')}</dt><dd>{formatDateTime(transfer.createdAt)}</dd>
        {transfer.expiresAt !== null && (
          <>
            <dt>{t('dashboard.expires')}</dt>
            <dd>{formatDateTime(transfer.expiresAt)}{open ? ` (${formatRelative(transfer.expiresAt)})` : ''}</dd>
          </>
        )}
        <dt>{t('dashboard.downloads')}</dt><dd>{t('dashboard.downloads_value', { used: transfer.downloadsUsed, max: transfer.maxDownloads, left })}</dd>
      </dl>
      <Activity transferId={transfer.transferId} />
      {transfer.state === 'purged' && <DeletionProof transferId={transfer.transferId} />}
      {open && <button type="button" class="danger" onClick={onRevoke}>{t('dashboard.revoke')}</button>}
    </li>
  );
}

function stateLabel(transfer: TransferSummary): string {
  if (transfer.state === 'ready' && transfer.expiresAt !== null && transfer.expiresAt <= Date.now()) return t('state.expired');
  if (transfer.state === 'ready' && transfer.downloadsUsed >= transfer.maxDownloads) return t('state.exhausted');
  if (transfer.closeReason) return t(`state.closed_${transfer.closeReason}` as 'state.closed_expired');
  return t(`state.${transfer.state}` as 'state.ready');
}

/** Who opened what and when: loaded when the person opens the details. */
function Activity({ transferId }: { transferId: string }) {
  const [events, setEvents] = useState<AccessEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onToggle = (event: Event) => {
    if (!(event.currentTarget as HTMLDetailsElement).open || events) return;
    withSession(() => api.getTransfer(transferId)).then((d) => setEvents(d.events), (e: unknown) => setError(errorText(e)));
  };
  return (
    <details onToggle={onToggle}>
      <summary>{t('dashboard.activity')}</summary>
      {error && <ErrorBox>{error}</ErrorBox>}
      {events === null && !error && <p role="status">{t('common.loading')}</p>}
      {events?.length === 0 && <p>{t('dashboard.no_activity')}</p>}
      {events && events.length > 0 && (
        <ul class="events">
          {events.map((e, i) => (
            <li key={i}>
              <time dateTime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time> — {eventLabel(e)}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

/** The purge's evidence: what was deleted, why, how late, and the storage's confirmation for each stored part. */
function DeletionProof({ transferId }: { transferId: string }) {
  const [record, setRecord] = useState<DeletionRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onToggle = (event: Event) => {
    if (!(event.currentTarget as HTMLDetailsElement).open || record) return;
    withSession(() => api.deletionRecord(transferId)).then(setRecord, (e: unknown) => setError(errorText(e)));
  };
  return (
    <details onToggle={onToggle} class="deletion-proof">
      <summary>{t('dashboard.deletion_proof')}</summary>
      {error && <ErrorBox>{error}</ErrorBox>}
      {record === null && !error && <p role="status">{t('common.loading')}</p>}
      {record && (
        <>
          <p>{t('dashboard.deletion_summary', {
            when: formatDateTime(record.purgedAt), reason: t(`state.closed_${record.reason}` as 'state.closed_expired'),
            count: record.blobCount, size: formatBytes(record.bytes), lag: formatLag(record.lagMs),
          })}</p>
          <table class="deletion-parts">
            <caption class="visually-hidden">{t('dashboard.deletion_parts')}</caption>
            <thead><tr><th scope="col">{t('dashboard.deletion_part')}</th><th scope="col">{t('dashboard.deletion_size')}</th>
              <th scope="col">SHA-256</th><th scope="col">{t('dashboard.deletion_gone')}</th></tr></thead>
            <tbody>
              {record.parts.map((p) => (
                <tr key={p.blobKey}>
                  <td>{t('dashboard.deletion_part_name', { file: p.file + 1, part: p.index + 1 })}</td>
                  <td>{formatBytes(p.size)}</td>
                  <td><code class="hash">{p.sha256}</code></td>
                  <td><time dateTime={new Date(p.goneAt).toISOString()}>{formatDateTime(p.goneAt)}</time></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </details>
  );
}

function formatLag(ms: number): string {
  return ms < 60_000 ? tPlural('dashboard.seconds', Math.round(ms / 1000)) : tPlural('send.minutes', Math.round(ms / 60_000));
}

function eventLabel(e: AccessEvent): string {
  const who = e.recipient ?? t('dashboard.someone');
  const key = `event.${e.kind}`;
  return t((key in EVENT_KEYS ? key : 'event.other') as 'event.other', { who, kind: e.kind });
}

const EVENT_KEYS: Record<string, true> = Object.fromEntries(
  ['code_sent', 'code_decoy', 'code_failed', 'code_locked', 'code_rate_limited', 'link_proof_failed', 'opened', 'resumed', 'download_complete']
    .map((k) => [`event.${k}`, true]),
);
