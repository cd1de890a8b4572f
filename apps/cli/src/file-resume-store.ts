// ResumeStore on disk: one 0600 JSON file per upload job under `<config dir>/uploads/` (folder 0700), named
// by a hash of the job key (server URL + absolute paths) so no path or name appears in the file name.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type ResumeState, type ResumeStore, isResumeState } from '@valise/client';
import { readPrivateFile, removeFile, writePrivateFile } from './private-files.js';

export function resumeFileName(key: string): string {
  return `${createHash('sha256').update(key, 'utf8').digest('hex')}.json`;
}

export function createFileResumeStore(dir: string): ResumeStore {
  const path = (key: string) => join(dir, resumeFileName(key));
  return {
    async load(key) {
      const text = await readPrivateFile(path(key));
      if (text === undefined) return undefined;
      try {
        const value: unknown = JSON.parse(text);
        return isResumeState(value) ? value : undefined;
      } catch {
        return undefined; // a damaged state is as good as none: the engine starts over with fresh keys
      }
    },
    async save(key, state: ResumeState) {
      await writePrivateFile(path(key), JSON.stringify(state));
    },
    async delete(key) {
      await removeFile(path(key));
    },
  };
}

/** The job key of `valise send`: the server and the exact files, in order. */
export function sendResumeKey(serverUrl: string, absolutePaths: readonly string[]): string {
  return JSON.stringify({ serverUrl, files: absolutePaths });
}
