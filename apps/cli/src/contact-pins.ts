// Contacts' key fingerprints as first trusted, in `<config dir>/contacts.json` (0600): a changed key is always seen.
import { join } from 'node:path';
import type { ContactPins } from '@valise/client';
import { readPrivateFile, writePrivateFile } from './private-files.js';

interface PinFile {
  v: 1;
  /** memberId → base64url fingerprint, per server. */
  servers: Record<string, Record<string, string>>;
}

export function fileContactPins(configDir: string, serverUrl: string): ContactPins {
  const path = join(configDir, 'contacts.json');
  const load = async (): Promise<PinFile> => {
    const text = await readPrivateFile(path);
    if (text === undefined) return { v: 1, servers: {} };
    const parsed = JSON.parse(text) as PinFile;
    return parsed?.v === 1 && typeof parsed.servers === 'object' ? parsed : { v: 1, servers: {} };
  };
  return {
    async get(memberId) {
      return (await load()).servers[serverUrl]?.[memberId];
    },
    async set(memberId, fingerprint) {
      const file = await load();
      file.servers[serverUrl] = { ...file.servers[serverUrl], [memberId]: fingerprint };
      await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`);
    },
  };
}
