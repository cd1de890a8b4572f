// The member's drop boxes (/boxes): the list (name, deposits, expiry, state) with a close button each, and the form
// that creates one. A box's keys are made in this browser and sealed to the member's own key, so creating needs the
// member's keys unlocked (asked inline). The box link is shown once, right after creation: it carries the box's
// public key, which this page knows first-hand; a link rebuilt later from what the server lists would only be as
// trustworthy as the server. Deposits arrive in the inbox.
import { type UnlockedAccount, createBox, openMyTeam } from '@valise/client';
import type { BoxSummary, TeamSummary, TransferPolicy } from '@valise/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { errorText } from '../errors.js';
import { formatBytes, formatDateTime, formatNumber, t, tPlural } from '../i18n/i18n.js';
import { withSession } from '../session.js';
import { Dialog } from '../components/dialog.js';
import { ErrorBox, Notice, TextArea, TextField } from '../components/forms.js';
import { focusFirstInvalid } from '../components/file-drop.js';
import { WithUnlockedKeys } from '../components/unlock-keys.js';
import { keyErrorText } from '../keys/key-errors.js';
import { pinnedOrgKey } from '../keys/trust.js';
import { classLabel } from './data-class.js';
import { classNamed } from './send-form.js';
import { type SizeUnit, boxState, parseDomains, toBytes } from './box-form.js';
import { DataClassSelect, ExpirySelect } from './retention-fields.js';

export function BoxesPage() {
  const [boxes, setBoxes] = useState<BoxSummary[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ box: BoxSummary; link: string } | null>(null);

  const load = () => withSession(() => api.listBoxes()).then((list) => setBoxes(list.boxes), (e: unknown) => setFailure(errorText(e)));
  useEffect(() => void load(), []);

  if (created) {
    return <CreatedView created={created} onDone={() => { setCreated(null); setCreating(false); void load(); }} />;
  }
  return (
    <section>
      <h1 tabIndex={-1}>{t('boxes.title')}</h1>
      <p>{t('boxes.intro')}</p>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      {creating
        ? (
          <section class="stack" aria-labelledby="box-create-title">
            <h2 id="box-create-title">{t('boxes.create_title')}</h2>
            <WithUnlockedKeys intro={t('boxes.unlock_intro')}>
              {(account) => <CreateBoxForm account={account} onCreated={setCreated} onCancel={() => setCreating(false)} />}
            </WithUnlockedKeys>
          </section>
        )
        : <p><button type="button" class="primary" onClick={() => setCreating(true)}>{t('boxes.create')}</button></p>}
      {boxes === null && !failure && <p role="status">{t('common.loading')}</p>}
      {boxes !== null && (boxes.length === 0
        ? <p class="empty">{t('boxes.empty')}</p>
        : <BoxList boxes={boxes} onChanged={(box) => setBoxes((list) => list?.map((b) => (b.boxId === box.boxId ? box : b)) ?? null)} />)}
    </section>
  );
}

function BoxList({ boxes, onChanged }: { boxes: BoxSummary[]; onChanged: (box: BoxSummary) => void }) {
  const [closing, setClosing] = useState<BoxSummary | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const close = async (box: BoxSummary) => {
    setClosing(null);
    setFailure(null);
    try {
      onChanged(await withSession(() => api.closeBox(box.boxId)));
      setDone(t('boxes.closed_notice', { name: box.name }));
    } catch (e) {
      setFailure(errorText(e));
    }
  };
  return (
    <>
      <h2>{t('boxes.list_title')}</h2>
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <p role="status" class="hint">{done ?? ''}</p>
      <ul class="transfers boxes">
        {boxes.map((box) => {
          const state = boxState(box, Date.now());
          return (
            <li key={box.boxId} class="transfer box">
              <h3>{box.name}</h3>
              <dl class="facts">
                <dt>{t('boxes.owner')}</dt>
                <dd class="owner">{box.ownerTeam ? t('boxes.owner_team', { name: box.ownerTeam.name }) : t('boxes.owner_me')}</dd>
                <dt>{t('boxes.state')}</dt>
                <dd class="state">{t(`boxes.state_${state}` as 'boxes.state_open')}</dd>
                <dt>{t('boxes.deposits')}</dt>
                <dd>{t('boxes.deposits_value', { used: formatNumber(box.depositsUsed), max: formatNumber(box.maxDeposits) })}</dd>
                <dt>{t('boxes.expires')}</dt>
                <dd>{formatDateTime(box.expiresAt)}</dd>
                <dt>{t('boxes.max_size')}</dt>
                <dd>{formatBytes(box.maxDepositBytes)}</dd>
                <dt>{t('boxes.domains')}</dt>
                <dd>{box.allowedDomains.length === 0 ? t('boxes.any_address') : box.allowedDomains.join(', ')}</dd>
                <dt>{t('boxes.data_class')}</dt>
                <dd>{classLabel(box.dataClass)}</dd>
              </dl>
              {box.state === 'open' && (
                <button type="button" class="danger" onClick={() => setClosing(box)} aria-label={t('boxes.close_named', { name: box.name })}>
                  {t('boxes.close')}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {closing && (
        <Dialog title={t('boxes.close_title')} onClose={() => setClosing(null)}>
          <p>{t('boxes.close_text', { name: closing.name })}</p>
          <div class="row">
            <button type="button" class="danger" onClick={() => void close(closing)}>{t('boxes.close_confirm')}</button>
            <button type="button" onClick={() => setClosing(null)}>{t('common.cancel')}</button>
          </div>
        </Dialog>
      )}
    </>
  );
}

function CreateBoxForm({ account, onCreated, onCancel }: {
  account: UnlockedAccount; onCreated: (created: { box: BoxSummary; link: string }) => void; onCancel: () => void;
}) {
  const [policy, setPolicy] = useState<TransferPolicy | null>(null);
  const [name, setName] = useState('');
  const [className, setClassName] = useState<string | null>(null);
  const [expiry, setExpiry] = useState<number | null>(null);
  const [maxDeposits, setMaxDeposits] = useState('10');
  const [maxSize, setMaxSize] = useState('1');
  const [unit, setUnit] = useState<SizeUnit>('GB');
  const [domains, setDomains] = useState('');
  /** '' for the member themselves, else the id of one of their teams (every member of it can open the deposits). */
  const [owner, setOwner] = useState('');
  const [teams, setTeams] = useState<TeamSummary[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLDivElement>(null);

  useEffect(() => {
    withSession(() => api.transferPolicy()).then((p) => {
      setPolicy(p);
      const initial = classNamed(p, null);
      setClassName((c) => c ?? initial.name);
      setExpiry((e) => e ?? initial.defaultExpirySeconds);
    }, (e: unknown) => setFailure(errorText(e)));
    withSession(() => api.listTeams()).then((l) => setTeams(l.teams), () => setTeams([]));
    first.current?.querySelector('input')?.focus();
  }, []);

  const dataClass = policy ? classNamed(policy, className) : null;
  const chooseClass = (next: string) => {
    if (!policy) return;
    setClassName(next);
    setExpiry(classNamed(policy, next).defaultExpirySeconds);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!policy || !dataClass) return;
    const found: Record<string, string> = {};
    const boxName = name.trim();
    if (boxName === '' || boxName.length > 200) found.name = t('boxes.error_name');
    const deposits = Number(maxDeposits);
    if (!(Number.isInteger(deposits) && deposits >= 1 && deposits <= 100_000)) found.maxDeposits = t('boxes.error_max_deposits', { max: formatNumber(100_000) });
    const bytes = toBytes(maxSize, unit);
    if (bytes === null || bytes < 1) found.maxSize = t('boxes.error_max_size');
    else if (bytes > policy.maxFileSize) found.maxSize = t('boxes.error_max_size_limit', { max: formatBytes(policy.maxFileSize) });
    const parsed = parseDomains(domains);
    if (parsed.invalid.length > 0) found.domains = t('boxes.error_domains', { list: parsed.invalid.join(', ') });
    else if (parsed.valid.length > 50) found.domains = t('boxes.error_too_many_domains', { max: 50 });
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirstInvalid(event.currentTarget as HTMLFormElement);
    if (!account.certified) return setFailure(t('boxes.not_certified'));
    setFailure(null);
    setBusy(true);
    // A team's box: its keys are sealed to the team's current key, opened here from this member's copy.
    let team: Awaited<ReturnType<typeof openMyTeam>> | undefined;
    try {
      if (owner !== '') team = await withSession(async () => openMyTeam(api, account.keys, await pinnedOrgKey(), owner));
      onCreated(await withSession(() => createBox(api, account.keys, {
        name: boxName, expiresInSeconds: expiry ?? dataClass.defaultExpirySeconds, maxDeposits: deposits, maxDepositBytes: bytes!,
        allowedDomains: parsed.valid, dataClass: dataClass.name, ownerTeam: team?.keys,
      })));
    } catch (e) {
      setFailure(keyErrorText(e));
    } finally {
      team?.keys.bundle.fill(0);
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} class="stack" noValidate>
      {!account.certified && <Notice>{t('boxes.not_certified')}</Notice>}
      {failure && <ErrorBox>{failure}</ErrorBox>}
      <div ref={first}>
        <TextField label={t('boxes.name')} hint={t('boxes.name_hint')} required maxLength={200} value={name} error={errors.name}
          disabled={busy} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      {teams.length > 0 && (
        <div class="field">
          <label for="box-owner">{t('boxes.owner')}</label>
          <select id="box-owner" aria-describedby="box-owner-hint" disabled={busy} value={owner} onChange={(e) => setOwner(e.currentTarget.value)}>
            <option value="">{t('boxes.owner_me')}</option>
            {teams.map((x) => <option key={x.teamId} value={x.teamId}>{t('boxes.owner_team', { name: x.name })}</option>)}
          </select>
          <p class="hint" id="box-owner-hint">{t('boxes.owner_hint')}</p>
        </div>
      )}
      <DataClassSelect id="box-data-class" label={t('boxes.data_class')} policy={policy} dataClass={dataClass} disabled={busy} onChoose={chooseClass}
        hint={dataClass ? [dataClass.description, t('boxes.data_class_hint')].filter(Boolean).join(' ') : ''} />
      <div class="row">
        <ExpirySelect id="box-expiry" label={t('boxes.expiry')} policy={policy} dataClass={dataClass} value={expiry} disabled={busy} onChoose={setExpiry} />
        <TextField label={t('boxes.max_deposits')} type="number" min={1} max={100_000} inputMode="numeric" required value={maxDeposits}
          error={errors.maxDeposits} disabled={busy} onInput={(e) => setMaxDeposits(e.currentTarget.value)} />
      </div>
      <div class="row">
        <TextField label={t('boxes.max_size')} hint={policy ? t('boxes.max_size_hint', { max: formatBytes(policy.maxFileSize) }) : undefined}
          type="number" min={1} step="any" inputMode="decimal" required value={maxSize} error={errors.maxSize} disabled={busy}
          onInput={(e) => setMaxSize(e.currentTarget.value)} />
        <div class="field">
          <label for="box-size-unit">{t('boxes.size_unit')}</label>
          <select id="box-size-unit" disabled={busy} value={unit} onChange={(e) => setUnit(e.currentTarget.value as SizeUnit)}>
            <option value="MB">{t('boxes.unit_mb')}</option>
            <option value="GB">{t('boxes.unit_gb')}</option>
          </select>
        </div>
      </div>
      <TextArea label={t('boxes.domains')} hint={t('boxes.domains_hint')} rows={2} value={domains} error={errors.domains} disabled={busy}
        onInput={(e) => setDomains(e.currentTarget.value)} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy || !policy}>{busy ? t('boxes.creating') : t('boxes.submit')}</button>
        <button type="button" disabled={busy} onClick={onCancel}>{t('common.cancel')}</button>
      </div>
      {busy && <p role="status" class="hint">{t('boxes.creating')}</p>}
    </form>
  );
}

function CreatedView({ created, onDone }: { created: { box: BoxSummary; link: string }; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.link);
    } catch {
      input.current?.select(); // clipboard refused: the link is selected for Ctrl+C
    }
    setCopied(true);
  };
  const { box } = created;
  return (
    <section class="stack">
      <h1 ref={heading} tabIndex={-1}>{t('boxes.created_title')}</h1>
      <p>{t('boxes.created_intro', { name: box.name })}</p>
      {box.ownerTeam && <p>{t('boxes.created_team', { name: box.ownerTeam.name })}</p>}
      <div class="field">
        <label for="box-link">{t('boxes.link')}</label>
        <div class="row">
          <input id="box-link" ref={input} class="link-field" readOnly value={created.link} aria-describedby="box-link-hint"
            onFocus={(e) => e.currentTarget.select()} />
          <button type="button" class="primary" onClick={() => void copy()}>{t('boxes.copy')}</button>
        </div>
        <p class="hint" id="box-link-hint">{t('boxes.link_once')}</p>
        <p role="status" class="hint">{copied ? t('boxes.copied') : ''}</p>
      </div>
      <p class="statement">
        {t('boxes.created_statement', {
          until: formatDateTime(box.expiresAt), size: formatBytes(box.maxDepositBytes),
          from: box.allowedDomains.length === 0 ? t('boxes.any_address') : box.allowedDomains.join(', '),
        })}{' '}
        {tPlural('boxes.created_deposits', box.maxDeposits)}{' '}
        {t('boxes.created_class', { name: classLabel(box.dataClass) })}
      </p>
      <p><button type="button" onClick={onDone}>{t('boxes.back')}</button></p>
    </section>
  );
}
