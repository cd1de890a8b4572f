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
    'Secrets (the session key, the keys protecting server shares and TOTP secrets) are not configured here: they live in',
    '`DATA_DIR/keystore.json`, created at first start with mode 0600. Back it up with the database; without it, live',
    'transfers cannot be opened.',
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
