// Renders CONFIG.md from CONFIG_VARIABLES, so the documented table cannot drift from what loadConfig reads.
// Regenerate with: node apps/server/dist/config-doc.js > apps/server/CONFIG.md
import { pathToFileURL } from 'node:url';
import { CONFIG_VARIABLES } from './config.js';

export function renderConfigDoc(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = CONFIG_VARIABLES.map((v) => {
    const fallback = v.default !== null ? `\`${v.default}\`` : `unset: ${v.unset ?? 'no default'}`;
    return `| \`${v.name}\` | ${cell(fallback)} | ${cell(v.meaning)} |`;
  });
  return [
    '# Valise server configuration',
    '',
    '<!-- Generated from apps/server/src/config.ts by `node apps/server/dist/config-doc.js`; do not edit by hand. -->',
    '',
    'The server reads these environment variables once at start-up and refuses to start, listing every problem,',
    'when one is invalid. Unknown `VALISE_*` variables are refused too, since they are usually typos. Empty values',
    'count as unset. Durations are written `90s`, `15m`, `12h` or `7d`; sizes in bytes or with a unit (`512MiB`, `100GiB`).',
    '',
    'Secrets are not configured here: the session and TOTP keys live in `DATA_DIR/keystore.json` (mode 0600, made at',
    'first start), the keys protecting server shares in `DATA_DIR/share-keys/` (one 0600 file per day, destroyed once no',
    'transfer can need it). Without them live transfers cannot be opened; a copy of `share-keys/` kept too long undoes',
    'crypto-shredding. Read docs/operations.md before backing them up.',
    '',
    '| Variable | Default | Meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(renderConfigDoc());
}
