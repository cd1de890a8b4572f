// Data classes: what a sender may choose (the class's bounds, under the installation's ceilings) and how an
// administrator changes them (validated, audited, and tightening applies at once to live transfers).
import type { DataClass } from '@valise/protocol';
import type { AuditRepository } from '../audit/audit.repository.js';
import type { Clock } from '../clock.js';
import type { PolicyLimits } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { withWriteTransaction } from '../db/transaction.js';
import { AppError } from '../http/errors.js';
import type { Executor } from '../transfers/transfer.repository.js';
import { MIN_EXPIRY_MS, durationInWords } from '../transfers/transfer.policy.js';
import { DataClassRepository, type DataClassRow, type DataClassValues } from './data-class.repository.js';

/** A class as it applies now: its own values clamped to the installation's ceilings (VALISE_MAX_*). */
export interface EffectiveClass extends DataClassValues {
  readonly name: string;
}

export type DataClassChanges = Partial<DataClassValues>;

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const MAX_DESCRIPTION = 500;

export interface DataClassServiceDeps {
  readonly handle: DatabaseHandle;
  readonly audit: AuditRepository;
  readonly clock: Clock;
  readonly limits: PolicyLimits;
}

export class DataClassService {
  readonly #deps: DataClassServiceDeps;
  readonly #repo: DataClassRepository;

  constructor(deps: DataClassServiceDeps) {
    this.#deps = deps;
    this.#repo = new DataClassRepository(deps.handle);
  }

  async list(): Promise<EffectiveClass[]> {
    return (await this.#repo.list()).map((row) => this.#effective(row));
  }

  /** The class a transfer is created under (`undefined`: the installation's default); data_class_unknown if none. */
  async resolve(name: string | undefined, trx?: Executor): Promise<EffectiveClass> {
    const wanted = name ?? this.#deps.limits.defaultDataClass;
    const row = await this.#repo.find(wanted, trx);
    if (row === undefined) {
      const known = (await this.#repo.list(trx)).map((c) => c.name).join(', ');
      throw new AppError('data_class_unknown', { detail: `There is no data class "${wanted}" (classes: ${known}).` });
    }
    return this.#effective(row);
  }

  /** The longest maximum lifetime of any class, as it applies now. */
  async longestMaxExpiryMs(): Promise<number> {
    return Math.min(await this.#repo.longestMaxExpiryMs(), this.#deps.limits.maxExpiryMs);
  }

  /**
   * Creates a class (`create`) or changes one. Tightening applies at once to live transfers of the class: an expiry
   * moves earlier to creation + the new maximum, a download limit down (never below what was already used).
   * Loosening never lengthens a live transfer.
   */
  async change(actor: string, name: string, changes: DataClassChanges, options: { create: boolean }): Promise<{ dataClass: EffectiveClass; transfersShortened: number }> {
    const { handle, audit, clock } = this.#deps;
    if (!NAME.test(name)) throw new AppError('validation_failed', { detail: `"${name}" is not a class name: lowercase letters, digits and dashes, 32 at most, starting with a letter.` });
    const now = clock.now();
    const result = await withWriteTransaction(handle, async (trx) => {
      const before = await this.#repo.find(name, trx);
      if (options.create && before !== undefined) throw new AppError('conflict', { detail: `The data class "${name}" exists already.` });
      if (!options.create && before === undefined) await this.resolve(name, trx);
      const values = this.#validated({ ...(before === undefined ? DEFAULTS_OF_NEW_CLASS : valuesOf(before)), ...changes });
      await this.#repo.save(trx, name, values, null, now, options.create);
      const shortened = before === undefined ? 0 : await tightenLiveTransfers(trx, name, values);
      return { before: before === undefined ? null : valuesOf(before), after: values, shortened };
    }, { lock: `data-class:${name}` });
    await audit.append({
      actor, action: options.create ? 'data_class.created' : 'data_class.changed', target: name,
      detail: { before: result.before, after: result.after, transfersShortened: result.shortened },
    });
    return { dataClass: this.#effective({ name, ...rowOf(result.after) }), transfersShortened: result.shortened };
  }

  #validated(v: DataClassValues): DataClassValues {
    const { limits } = this.#deps;
    const problems: string[] = [];
    if (!Number.isSafeInteger(v.maxExpiryMs) || v.maxExpiryMs < MIN_EXPIRY_MS || v.maxExpiryMs > limits.maxExpiryMs) {
      problems.push(`the maximum lifetime must be between ${durationInWords(MIN_EXPIRY_MS)} and ${durationInWords(limits.maxExpiryMs)} (VALISE_MAX_EXPIRY)`);
    }
    if (!Number.isSafeInteger(v.defaultExpiryMs) || v.defaultExpiryMs < MIN_EXPIRY_MS || v.defaultExpiryMs > v.maxExpiryMs) {
      problems.push('the default lifetime must be at least 1 minute and at most the maximum');
    }
    if (!Number.isSafeInteger(v.maxDownloads) || v.maxDownloads < 1 || v.maxDownloads > limits.maxDownloads) {
      problems.push(`the maximum number of downloads must be between 1 and ${limits.maxDownloads} (VALISE_MAX_DOWNLOADS)`);
    }
    // eslint-disable-next-line no-control-regex
    if (v.description.length > MAX_DESCRIPTION || /[\u0000-\u001f\u007f]/.test(v.description)) {
      problems.push(`the description must be one line of at most ${MAX_DESCRIPTION} characters`);
    }
    if (problems.length > 0) throw new AppError('validation_failed', { detail: `${capitalized(problems.join('; '))}.` });
    return v;
  }

  #effective(row: DataClassRow): EffectiveClass {
    const { limits } = this.#deps;
    const maxExpiryMs = Math.min(Number(row.max_expiry_ms), limits.maxExpiryMs);
    return {
      name: row.name,
      description: row.description,
      maxExpiryMs,
      defaultExpiryMs: Math.min(Number(row.default_expiry_ms), maxExpiryMs),
      maxDownloads: Math.min(row.max_downloads, limits.maxDownloads),
      deleteWhenDownloaded: row.delete_when_downloaded === 1,
      allowOutsideRecipients: row.allow_outside_recipients === 1,
    };
  }
}

/** The API's view of a class (seconds, as the rest of the API). */
export function dataClassView(c: EffectiveClass): DataClass {
  return {
    name: c.name,
    description: c.description,
    maxExpirySeconds: Math.floor(c.maxExpiryMs / 1000),
    defaultExpirySeconds: Math.floor(c.defaultExpiryMs / 1000),
    maxDownloads: c.maxDownloads,
    deleteWhenDownloaded: c.deleteWhenDownloaded,
    allowOutsideRecipients: c.allowOutsideRecipients,
  };
}

const DEFAULTS_OF_NEW_CLASS: DataClassValues = {
  description: '', maxExpiryMs: 7 * 86_400_000, defaultExpiryMs: 7 * 86_400_000, maxDownloads: 10,
  deleteWhenDownloaded: false, allowOutsideRecipients: true,
};

function valuesOf(row: DataClassRow): DataClassValues {
  return {
    description: row.description,
    maxExpiryMs: Number(row.max_expiry_ms),
    defaultExpiryMs: Number(row.default_expiry_ms),
    maxDownloads: row.max_downloads,
    deleteWhenDownloaded: row.delete_when_downloaded === 1,
    allowOutsideRecipients: row.allow_outside_recipients === 1,
  };
}

function rowOf(v: DataClassValues): Omit<DataClassRow, 'name'> {
  return {
    description: v.description, max_expiry_ms: v.maxExpiryMs, default_expiry_ms: v.defaultExpiryMs, max_downloads: v.maxDownloads,
    delete_when_downloaded: v.deleteWhenDownloaded ? 1 : 0, allow_outside_recipients: v.allowOutsideRecipients ? 1 : 0,
    updated_at: 0, updated_by: null,
  };
}

/** Live transfers (and drop boxes) of the class obey its tightened bounds at once; returns how many transfers had their expiry moved. */
async function tightenLiveTransfers(trx: Executor, name: string, v: DataClassValues): Promise<number> {
  const shortened = await trx
    .updateTable('transfers')
    .set((eb) => ({ expires_at: eb('created_at', '+', v.maxExpiryMs) }))
    .where('data_class', '=', name)
    .where('state', '=', 'ready')
    .where((eb) => eb('expires_at', '>', eb('created_at', '+', v.maxExpiryMs)))
    .executeTakeFirst();
  // Uploads not yet finalized keep their requested lifetime, clamped when finalized.
  await trx
    .updateTable('transfers')
    .set({ expires_in_ms: v.maxExpiryMs })
    .where('data_class', '=', name)
    .where('state', '=', 'uploading')
    .where('expires_in_ms', '>', v.maxExpiryMs)
    .execute();
  await trx
    .updateTable('transfers')
    .set((eb) => ({
      max_downloads: eb.case().when('downloads_used', '>', v.maxDownloads).then(eb.ref('downloads_used')).else(v.maxDownloads).end(),
    }))
    .where('data_class', '=', name)
    .where('state', 'in', ['uploading', 'ready'])
    .where('max_downloads', '>', v.maxDownloads)
    .execute();
  // Drop boxes of the class live no longer than its new maximum either (their deposits follow the rules above).
  await trx
    .updateTable('drop_boxes')
    .set((eb) => ({ expires_at: eb('created_at', '+', v.maxExpiryMs) }))
    .where('data_class', '=', name)
    .where('purged_at', 'is', null)
    .where((eb) => eb('expires_at', '>', eb('created_at', '+', v.maxExpiryMs)))
    .execute();
  return Number(shortened.numUpdatedRows);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
