// ResumeStore in the browser: IndexedDB of this origin (workers have no localStorage). The state holds the upload's
// keys, as the CLI's 0600 file does; it is deleted when the send finishes or is cancelled.
import { type ResumeStore, isResumeState } from '@valise/client';
import { createStore, del, get, set } from 'idb-keyval';

const db = createStore('valise', 'uploads');

export const browserResumeStore: ResumeStore = {
  async load(key) {
    const value: unknown = await get(key, db);
    return isResumeState(value) ? value : undefined;
  },
  async save(key, state) {
    await set(key, state, db);
  },
  async delete(key) {
    await del(key, db);
  },
};

/** The job key: the same files (by name, size and date) sent again from this browser. */
export function resumeKeyFor(files: readonly File[]): string {
  return JSON.stringify(files.map((f) => [f.name, f.size, f.lastModified]));
}
