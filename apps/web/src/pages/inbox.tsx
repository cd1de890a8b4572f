// The member's inbox (/inbox): transfers sent to their key by colleagues (no link: the sender's signature is checked
// against their organisation-certified key before anything is shown) and deposits into their drop boxes (from
// people outside, whose address was checked by an e-mailed code but who are otherwise unverified). Opening one needs
// the member's keys, unlocked in this tab; the files are then downloaded, verified and decrypted as on the link page.
import {
  MemberKeyError, type OpenedTransfer, type UnlockedAccount, isApiError, openDepositTransfer, openMemberTransfer, openTeamTransfer,
} from '@valise/client';
import { fingerprintText } from '@valise/crypto';
import type { InboxEntry } from '@valise/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { closedReason, errorText } from '../errors.js';
import { formatBytes, formatDateTime, formatRelative, t, tPlural } from '../i18n/i18n.js';
import { ErrorBox } from '../components/forms.js';
import { KeyChangedWarning } from '../components/key-changed-warning.js';
import { UnlockKeys, useUnlockedKeys } from '../components/unlock-keys.js';
import { keyErrorText } from '../keys/key-errors.js';
import { contactPins, currentMe, pinnedOrgKey } from '../keys/trust.js';
import { withSession } from '../session.js';
import { type Stage, StageView } from './receive.js';

/** Who sent what is open: a colleague whose signature verified, or a depositor (address checked, nothing more). */
type From =
  | { kind: 'member'; email: string; fingerprint: Uint8Array; team: string | null }
  | { kind: 'deposit'; email: string; name: string; boxName: string };

type Opening =
  | { phase: 'unlock'; entry: InboxEntry }
  | { phase: 'opening'; entry: InboxEntry }
  | { phase: 'changed'; entry: InboxEntry; email: string; pinned: string; served: string }
  | { phase: 'failed'; entry: InboxEntry; message: string }
  | { phase: 'open'; entry: InboxEntry; from: From; stage: Stage };

export function InboxPage() {
  const [entries, setEntries] = useState<InboxEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState<Opening | null>(null);
  const account = useUnlockedKeys();
  const heading = useRef<HTMLHeadingElement>(null);

  const load = () => withSession(() => api.listInbox()).then((l) => setEntries(l.transfers), (e: unknown) => setError(errorText(e)));
  useEffect(() => void load(), []);

  const open = async (entry: InboxEntry, keys: UnlockedAccount, acceptChange = false) => {
    setOpening({ phase: 'opening', entry });
    try {
      const opened = await withSession(() => openEntry(entry, keys, acceptChange));
      setOpening({ phase: 'open', entry, from: opened.from, stage: { name: 'ready', opened: opened.transfer } });
    } catch (e) {
      if (e instanceof MemberKeyError && e.code === 'key_changed' && e.detail) {
        setOpening({ phase: 'changed', entry, email: e.detail.email, pinned: e.detail.pinned, served: e.detail.served });
      } else {
        const reason = closedReason(e);
        setOpening({ phase: 'failed', entry, message: reason ? t(`closed.${reason}_title` as 'closed.transfer_expired_title') : openErrorText(e) });
      }
    }
  };

  const choose = (entry: InboxEntry) => {
    if (account) void open(entry, account);
    else setOpening({ phase: 'unlock', entry });
  };

  // Once the keys are unlocked, the transfer the person chose opens.
  useEffect(() => {
    if (account && opening?.phase === 'unlock') void open(opening.entry, account);
  }, [account, opening]);

  // Each new view of an opened transfer starts at its heading.
  useEffect(() => {
    if (opening?.phase !== 'opening') heading.current?.focus();
  }, [opening?.phase]);

  const back = () => {
    setOpening(null);
    void load();
  };

  if (opening) {
    const setStage = (stage: Stage) => setOpening((o) => (o?.phase === 'open' ? { ...o, stage } : o));
    return (
      <section>
        <h1 tabIndex={-1}>{t('inbox.title')}</h1>
        <p><button type="button" class="link-button" onClick={back}>{t('inbox.back')}</button></p>
        <div class="stack narrow">
          <h2 ref={heading} tabIndex={-1}>{entryTitle(opening.entry)}</h2>
          {opening.phase === 'unlock' && <UnlockKeys intro={t('inbox.unlock_intro')} />}
          {opening.phase === 'opening' && <p role="status">{t('inbox.opening')}</p>}
          {opening.phase === 'failed' && <ErrorBox>{opening.message}</ErrorBox>}
          {opening.phase === 'changed' && (
            <KeyChangedWarning email={opening.email} pinned={opening.pinned} served={opening.served}
              accept={t('keys.key_changed_accept_open')} onAccept={() => account && void open(opening.entry, account, true)} />
          )}
          {opening.phase === 'open' && (
            <>
              <FromView from={opening.from} />
              <StageView stage={opening.stage} setStage={setStage} onIdentify={() => undefined} />
            </>
          )}
        </div>
      </section>
    );
  }

  return (
    <section>
      <h1 tabIndex={-1}>{t('inbox.title')}</h1>
      <p>{t('inbox.intro')}</p>
      {error && <ErrorBox>{error}</ErrorBox>}
      {entries === null && !error && <p role="status">{t('common.loading')}</p>}
      {entries?.length === 0 && <p class="empty">{t('inbox.empty')}</p>}
      {entries && entries.length > 0 && (
        <ul class="transfers inbox">
          {entries.map((entry) => <InboxItem key={entry.transferId} entry={entry} onOpen={() => choose(entry)} />)}
        </ul>
      )}
    </section>
  );
}

async function openEntry(entry: InboxEntry, keys: UnlockedAccount, acceptChange: boolean): Promise<{ transfer: OpenedTransfer; from: From }> {
  const orgPublicKey = await pinnedOrgKey();
  if (entry.kind === 'deposit') {
    // A box owned by one of the member's teams opens with the team's keys, checked against the organisation key.
    const deposit = await openDepositTransfer(api, location.origin, keys.keys, entry.transferId, { orgPublicKey });
    return {
      transfer: deposit,
      from: { kind: 'deposit', email: deposit.depositor.email, name: deposit.depositor.name, boxName: entry.deposit?.boxName ?? '' },
    };
  }
  const me = currentMe();
  const options = {
    api, serverUrl: location.origin, transferId: entry.transferId, me: keys.keys, orgPublicKey, pins: contactPins(me), acceptChangedSenderKey: acceptChange,
  };
  // Sent to one of the member's teams (a team slot), or to the member themselves (a member slot).
  const [opened, team] = entry.team
    ? await openTeamTransfer(options).then((o) => [o, o.team.name] as const)
    : [await openMemberTransfer(options), null] as const;
  return { transfer: opened, from: { kind: 'member', email: opened.sender.email, fingerprint: opened.sender.fingerprint, team } };
}

function openErrorText(error: unknown): string {
  if (isApiError(error)) return errorText(error);
  return keyErrorText(error);
}

function entryTitle(entry: InboxEntry): string {
  if (entry.kind === 'deposit' && entry.deposit) return t('inbox.deposit_title', { box: entry.deposit.boxName });
  return t('inbox.transfer_title', { email: entry.sender?.email ?? '' });
}

function FromView({ from }: { from: From }) {
  if (from.kind === 'member') {
    return (
      <div class="notice verified-sender" role="status">
        <p><strong>{t('inbox.verified_sender', { email: from.email })}</strong></p>
        {from.team !== null && <p>{t('inbox.via_team', { team: from.team })}</p>}
        <p class="hint">{t('inbox.verified_sender_text')} <code class="fingerprint">{fingerprintText(from.fingerprint)}</code></p>
      </div>
    );
  }
  return (
    <div class="warning unverified-sender" role="note" aria-label={t('inbox.unverified')}>
      <p><strong>{t('inbox.unverified')}</strong></p>
      <p>{t('inbox.unverified_text', { name: from.name, email: from.email, box: from.boxName })}</p>
    </div>
  );
}

function InboxItem({ entry, onOpen }: { entry: InboxEntry; onOpen: () => void }) {
  const live = entry.state === 'ready';
  return (
    <li class="transfer">
      <h2>
        {tPlural('inbox.files', entry.fileCount)} · {formatBytes(entry.contentBytes)} · <span class={`state state-${entry.state}`}>{stateLabel(entry)}</span>
      </h2>
      <dl class="facts">
        {entry.kind === 'transfer' && entry.sender && (
          <>
            <dt>{t('inbox.from')}</dt>
            <dd>{entry.sender.email} <span class="hint">{t('inbox.from_member')}</span></dd>
          </>
        )}
        {entry.team && (
          <>
            <dt>{t('inbox.team')}</dt>
            <dd>{entry.team.name}</dd>
          </>
        )}
        {entry.kind === 'deposit' && entry.deposit && (
          <>
            <dt>{t('inbox.from')}</dt>
            <dd>
              <span class="badge-unverified">{t('inbox.unverified')}</span>{' '}
              {t('inbox.depositor', { name: entry.deposit.depositorName, email: entry.deposit.depositorEmail })}
            </dd>
            <dt>{t('inbox.box')}</dt>
            <dd>{entry.deposit.boxName}</dd>
          </>
        )}
        <dt>{t('inbox.received')}</dt>
        <dd>{formatDateTime(entry.createdAt)}</dd>
        {entry.expiresAt !== null && (
          <>
            <dt>{t('inbox.expires')}</dt>
            <dd>{formatDateTime(entry.expiresAt)}{live ? ` (${formatRelative(entry.expiresAt)})` : ''}</dd>
          </>
        )}
        {entry.downloadedAt !== null && (
          <>
            <dt>{t('inbox.downloaded')}</dt>
            <dd>{formatDateTime(entry.downloadedAt)}</dd>
          </>
        )}
      </dl>
      {live && (
        <button type="button" class="primary" onClick={onOpen}
          aria-label={t('inbox.open_label', { what: entryTitle(entry), time: formatDateTime(entry.createdAt) })}>
          {t('inbox.open')}
        </button>
      )}
    </li>
  );
}

function stateLabel(entry: InboxEntry): string {
  if (entry.state === 'ready') return entry.downloadedAt === null ? t('inbox.state_new') : t('inbox.state_downloaded');
  if (entry.state === 'uploading') return t('inbox.state_uploading');
  return t('inbox.state_closed');
}
