// The member's teams (/teams, docs/format.md §13.5): the teams they belong to (signed by the organisation or waiting,
// members, key epoch), creating one (its keys made in this browser and sealed to the creator's key; the fingerprint
// to read to the administrator who signs it), and a team's page: its members and drop boxes, adding a member (their
// key checked against the organisation key and pinned, like any colleague's), removing one or leaving (the team and
// its boxes get new keys here; nothing is re-encrypted). Everything that opens or seals team keys needs the member's
// keys, unlocked in this tab.
import { MemberKeyError, type UnlockedAccount, addTeamMember, createTeamAsMember, isApiError, removeTeamMember } from '@valise/client';
import { fingerprintText, isCryptoError, parseTeamRecord, teamFingerprint } from '@valise/crypto';
import type { TeamDetail, TeamMember, TeamSummary } from '@valise/protocol';
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { formatDateTime, formatNumber, t, tPlural } from '../i18n/i18n.js';
import { withSession } from '../session.js';
import { Dialog } from '../components/dialog.js';
import { ErrorBox, Notice, TextField } from '../components/forms.js';
import { KeyChangedWarning } from '../components/key-changed-warning.js';
import { UnlockKeys, WithUnlockedKeys, useUnlockedKeys } from '../components/unlock-keys.js';
import { keyErrorText } from '../keys/key-errors.js';
import { contactPins, currentMe, pinnedOrgKey } from '../keys/trust.js';
import { parseRecipients } from './send-form.js';

type View =
  | { kind: 'list' }
  | { kind: 'create' }
  | { kind: 'created'; team: TeamDetail }
  | { kind: 'team'; teamId: string };

/** The fingerprint an administrator checks before signing the team: read out by a channel the server does not control. */
async function teamFingerprintText(record: string): Promise<string> {
  return fingerprintText(await teamFingerprint(parseTeamRecord(record)));
}

export function TeamsPage() {
  const [teams, setTeams] = useState<TeamSummary[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [view, setView] = useState<View>({ kind: 'list' });
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  const load = () => withSession(() => api.listTeams()).then((list) => setTeams(list.teams), (e: unknown) => setFailure(errorText(e)));
  useEffect(() => void load(), []);
  // Each new view starts at its heading, as a new page would (not on the first render: the frame does that).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [view]);

  const back = (message: string | null = null) => {
    setNotice(message);
    setView({ kind: 'list' });
    void load();
  };

  if (view.kind === 'created') return <CreatedView team={view.team} heading={heading} onDone={() => back()} />;
  if (view.kind === 'team') {
    return <TeamView teamId={view.teamId} heading={heading} onBack={() => back()} onLeft={(name) => back(t('teams.left_notice', { name }))} />;
  }
  return (
    <section>
      <h1 ref={view.kind === 'list' ? heading : undefined} tabIndex={-1}>{t('teams.title')}</h1>
      <p>{t('teams.intro')}</p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <p role="status" class="hint">{notice ?? ''}</p>
      {view.kind === 'create'
        ? (
          <section class="stack" aria-labelledby="team-create-title">
            <h2 id="team-create-title" ref={heading} tabIndex={-1}>{t('teams.create_title')}</h2>
            <WithUnlockedKeys intro={t('teams.unlock_create')}>
              {(account) => <CreateTeamForm account={account} onCreated={(team) => setView({ kind: 'created', team })} onCancel={() => setView({ kind: 'list' })} />}
            </WithUnlockedKeys>
          </section>
        )
        : <p><button type="button" class="primary" onClick={() => { setNotice(null); setView({ kind: 'create' }); }}>{t('teams.create')}</button></p>}
      {teams === null && !failure && <p role="status">{t('common.loading')}</p>}
      {teams !== null && (teams.length === 0
        ? <p class="empty">{t('teams.empty')}</p>
        : (
          <>
            <h2>{t('teams.list_title')}</h2>
            <ul class="transfers teams">
              {teams.map((team) => (
                <li key={team.teamId} class="transfer team">
                  <h3>{team.name}</h3>
                  <dl class="facts">
                    <dt>{t('teams.state')}</dt>
                    <dd class="state">{team.certificate ? t('teams.state_signed') : t('teams.state_waiting')}</dd>
                    <dt>{t('teams.members')}</dt>
                    <dd>{formatNumber(team.memberCount)}</dd>
                    <dt>{t('teams.epoch')}</dt>
                    <dd>{formatNumber(team.currentEpoch)}</dd>
                  </dl>
                  <button type="button" onClick={() => { setNotice(null); setView({ kind: 'team', teamId: team.teamId }); }}
                    aria-label={t('teams.show_named', { name: team.name })}>
                    {t('teams.show')}
                  </button>
                </li>
              ))}
            </ul>
          </>
        ))}
    </section>
  );
}

function CreateTeamForm({ account, onCreated, onCancel }: { account: UnlockedAccount; onCreated: (team: TeamDetail) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLDivElement>(null);
  useEffect(() => field.current?.querySelector('input')?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const teamName = name.trim();
    if (teamName === '' || teamName.length > 200) {
      setError(t('teams.error_name'));
      return field.current?.querySelector('input')?.focus();
    }
    setError(undefined);
    if (!account.certified) return setFailure(t('teams.not_certified'));
    setFailure(null);
    setBusy(true);
    try {
      onCreated(await withSession(() => createTeamAsMember(api, account.keys, teamName)));
    } catch (e) {
      if (isApiError(e, 'team_name_taken')) {
        setError(t('error.team_name_taken'));
        field.current?.querySelector('input')?.focus();
      } else {
        setFailure(keyErrorText(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} class="stack" noValidate>
      {!account.certified && <Notice>{t('teams.not_certified')}</Notice>}
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <div ref={field}>
        <TextField label={t('teams.name')} hint={t('teams.name_hint')} required maxLength={200} value={name} error={error} disabled={busy}
          onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>{busy ? t('teams.creating') : t('teams.submit')}</button>
        <button type="button" disabled={busy} onClick={onCancel}>{t('common.cancel')}</button>
      </div>
      <p role="status" class="hint">{busy ? t('teams.creating') : ''}</p>
    </form>
  );
}

function CreatedView({ team, heading, onDone }: { team: TeamDetail; heading: RefObject<HTMLHeadingElement>; onDone: () => void }) {
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  useEffect(() => {
    heading.current?.focus();
    void teamFingerprintText(team.record).then(setFingerprint, () => setFingerprint(null));
  }, []);
  return (
    <section class="stack">
      <h1 ref={heading} tabIndex={-1}>{t('teams.created_title')}</h1>
      <p>{t('teams.created_intro', { name: team.name })}</p>
      <div class="notice team-signature">
        <p><strong>{t('teams.created_sign')}</strong></p>
        <p>{t('teams.created_fingerprint')}</p>
        <p><code class="fingerprint team-fingerprint">{fingerprint ?? '…'}</code></p>
      </div>
      <p class="hint">{t('teams.created_next')}</p>
      <p><button type="button" onClick={onDone}>{t('teams.back')}</button></p>
    </section>
  );
}

type Op = { kind: 'add'; email: string } | { kind: 'remove'; member: TeamMember; self: boolean };

type Task =
  | { op: Op; accept: boolean; stage: 'unlock' | 'working' }
  | { op: Op; accept: boolean; stage: 'changed'; email: string; pinned: string; served: string };

function TeamView({ teamId, heading, onBack, onLeft }: {
  teamId: string; heading: RefObject<HTMLHeadingElement>; onBack: () => void; onLeft: (name: string) => void;
}) {
  const [detail, setDetail] = useState<TeamDetail | null>(null);
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [emailError, setEmailError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<TeamMember | null>(null);
  const [task, setTask] = useState<Task | null>(null);
  const account = useUnlockedKeys();
  const field = useRef<HTMLDivElement>(null);
  const me = currentMe();

  const load = () => withSession(() => api.getTeam(teamId)).then((d) => {
    setDetail(d);
    void teamFingerprintText(d.record).then(setFingerprint, () => setFingerprint(null));
  }, (e: unknown) => setFailure(errorText(e)));
  useEffect(() => {
    heading.current?.focus();
    void load();
  }, []);

  const run = (op: Op, accept = false) => {
    setFailure(null);
    setDone(null);
    if (account) void execute(op, accept, account);
    else setTask({ op, accept, stage: 'unlock' });
  };

  // Once the keys are unlocked, what the person asked for goes on.
  useEffect(() => {
    if (task?.stage === 'unlock' && account) void execute(task.op, task.accept, account);
  }, [task, account]);

  const execute = async (op: Op, accept: boolean, keys: UnlockedAccount) => {
    if (!keys.certified) {
      setTask(null);
      return setFailure(t('teams.not_certified'));
    }
    setTask({ op, accept, stage: 'working' });
    try {
      const orgKey = await withSession(() => pinnedOrgKey());
      const pins = contactPins(me);
      if (op.kind === 'add') {
        const updated = await withSession(() => addTeamMember(api, keys.keys, orgKey, pins, teamId, op.email, { acceptChange: accept }));
        setDetail(updated);
        setEmail('');
        setTask(null);
        setDone(t('teams.added_notice', { email: op.email, name: updated.name }));
        return;
      }
      await withSession(() => removeTeamMember(api, keys.keys, orgKey, pins, teamId, op.member.memberId, { acceptChange: accept }));
      setTask(null);
      if (op.self) return onLeft(detail?.name ?? '');
      setDone(t('teams.removed_notice', { email: op.member.email }));
      await load();
    } catch (e) {
      if (e instanceof MemberKeyError && e.code === 'key_changed' && e.detail) {
        return setTask({ op, accept, stage: 'changed', email: e.detail.email, pinned: e.detail.pinned, served: e.detail.served });
      }
      setTask(null);
      setFailure(taskErrorText(e, op));
      if (isApiError(e, 'team_key_changed') || isApiError(e, 'team_rekey_incomplete')) void load();
    }
  };

  const add = (event: Event) => {
    event.preventDefault();
    if (!detail) return;
    const parsed = parseRecipients(email);
    let error: string | undefined;
    if (parsed.valid.length !== 1 || parsed.invalid.length > 0) error = t('teams.error_email');
    else if (detail.members.some((m) => m.email.toLowerCase() === parsed.valid[0])) error = t('teams.error_already_member', { email: parsed.valid[0]! });
    setEmailError(error);
    if (error) return field.current?.querySelector('input')?.focus();
    run({ kind: 'add', email: parsed.valid[0]! });
  };

  const busy = task !== null && task.stage !== 'changed';
  return (
    <section>
      <h1 ref={heading} tabIndex={-1}>{detail ? detail.name : t('teams.title')}</h1>
      <p><button type="button" class="link-button" onClick={onBack}>{t('teams.back')}</button></p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <p role="status" class="hint">{done ?? ''}</p>
      {detail === null && !failure && <p role="status">{t('common.loading')}</p>}
      {detail && (
        <div class="stack">
          <dl class="facts">
            <dt>{t('teams.state')}</dt>
            <dd class="state">{detail.certificate ? t('teams.state_signed') : t('teams.state_waiting')}</dd>
            <dt>{t('teams.epoch')}</dt>
            <dd>{formatNumber(detail.currentEpoch)}</dd>
            <dt>{t('teams.created')}</dt>
            <dd>{formatDateTime(detail.createdAt)}</dd>
            <dt>{t('teams.fingerprint')}</dt>
            <dd><code class="fingerprint team-fingerprint">{fingerprint ?? '…'}</code></dd>
          </dl>
          {!detail.certificate && <Notice>{t('teams.waiting_text')}</Notice>}

          <section aria-labelledby="team-members-title" class="stack">
            <h2 id="team-members-title">{tPlural('teams.members_title', detail.members.length)}</h2>
            <ul class="team-members">
              {detail.members.map((m) => {
                const self = m.memberId === me.memberId;
                return (
                  <li key={m.memberId} class="team-member">
                    <span class="member-email">{m.email}</span>{self && <span class="hint"> {t('teams.you')}</span>}{' '}
                    <span class="hint">{t('teams.added_at', { time: formatDateTime(m.addedAt) })}</span>{' '}
                    {detail.members.length > 1 && (
                      <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(m)}
                        aria-label={self ? t('teams.leave_named', { name: detail.name }) : t('teams.remove_named', { email: m.email })}>
                        {self ? t('teams.leave') : t('teams.remove')}
                      </button>
                    )}
                  </li>
                );
              })}
            </ul>
            {detail.members.length === 1 && <p class="hint">{t('teams.last_member')}</p>}
          </section>

          <section aria-labelledby="team-add-title" class="stack">
            <h2 id="team-add-title">{t('teams.add_title')}</h2>
            <form onSubmit={add} class="stack" noValidate>
              <div ref={field}>
                <TextField label={t('teams.add_email')} hint={t('teams.add_hint')} type="email" autoComplete="off" required value={email}
                  error={emailError} disabled={busy} onInput={(e) => setEmail(e.currentTarget.value)} />
              </div>
              <div class="row"><button type="submit" class="primary" disabled={busy}>{t('teams.add_submit')}</button></div>
            </form>
          </section>

          {task?.stage === 'unlock' && (
            <div class="stack">
              <UnlockKeys intro={t(task.op.kind === 'add' ? 'teams.unlock_add' : 'teams.unlock_remove')} />
              <p><button type="button" onClick={() => setTask(null)}>{t('common.cancel')}</button></p>
            </div>
          )}
          {task?.stage === 'working' && <p role="status">{t(task.op.kind === 'add' ? 'teams.adding' : 'teams.rekeying')}</p>}
          {task?.stage === 'changed' && (
            <div class="stack">
              <KeyChangedWarning level={3} email={task.email} pinned={task.pinned} served={task.served}
                accept={t('teams.key_changed_accept')} onAccept={() => run(task.op, true)} />
              <p><button type="button" onClick={() => setTask(null)}>{t('common.cancel')}</button></p>
            </div>
          )}

          <section aria-labelledby="team-boxes-title" class="stack">
            <h2 id="team-boxes-title">{t('teams.boxes_title')}</h2>
            {detail.boxes.length === 0
              ? <p class="empty">{t('teams.boxes_empty')}</p>
              : (
                <ul class="team-boxes">
                  {detail.boxes.map((b) => <li key={b.boxId}>{b.name}</li>)}
                </ul>
              )}
            <p class="hint">{t('teams.boxes_hint')}</p>
          </section>
        </div>
      )}
      {confirming && detail && (
        <Dialog title={confirming.memberId === me.memberId ? t('teams.leave_title', { name: detail.name }) : t('teams.remove_title', { email: confirming.email })}
          onClose={() => setConfirming(null)}>
          {confirming.memberId === me.memberId
            ? (
              <>
                <p>{detail.boxes.length === 0 ? t('teams.leave_rekey_no_box') : tPlural('teams.leave_rekey', detail.boxes.length)}</p>
                <p><strong>{t('teams.leave_not_retroactive')}</strong></p>
              </>
            )
            : (
              <>
                <p>{detail.boxes.length === 0 ? t('teams.remove_rekey_no_box') : tPlural('teams.remove_rekey', detail.boxes.length)}</p>
                <p><strong>{t('teams.remove_not_retroactive')}</strong></p>
              </>
            )}
          <div class="row">
            <button type="button" class="danger" onClick={() => {
              const member = confirming;
              setConfirming(null);
              run({ kind: 'remove', member, self: member.memberId === me.memberId });
            }}>
              {confirming.memberId === me.memberId ? t('teams.leave_confirm') : t('teams.remove_confirm')}
            </button>
            <button type="button" onClick={() => setConfirming(null)}>{t('common.cancel')}</button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

function taskErrorText(error: unknown, op: Op): string {
  if (isApiError(error, 'team_key_changed') || isApiError(error, 'team_rekey_incomplete')) return t('teams.error_changed_meanwhile');
  if (isApiError(error, 'member_key_unavailable')) {
    return op.kind === 'add' ? t('teams.error_no_key', { email: op.email }) : t('teams.error_member_no_key');
  }
  if (isCryptoError(error, 'signature_invalid') || isCryptoError(error, 'record_invalid')) {
    return op.kind === 'add' ? t('send.error_contact_key', { email: op.email }) : t('teams.error_member_key');
  }
  return keyErrorText(error);
}
