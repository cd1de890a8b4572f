// `npm run bench`: throughput and memory figures of Valise on this machine, printed as one table.
// Set BENCH_SIZE_MIB to change the transfer size (default 1024: the 1 GiB).
import { AEADS, measureFormat } from './format.mjs';
import { startBareServer } from './baseline-http.mjs';
import { getParts, putParts } from './part-client.mjs';
import { measureValise } from './valise.mjs';
import { MiB } from './measure.mjs';

const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const rows = [];
const row = (what, value, unit, target = '') => {
  rows.push({ what, value: typeof value === 'number' ? value.toFixed(1) : value, unit, target });
  console.error(`  ${what}: ${typeof value === 'number' ? value.toFixed(1) : value} ${unit}`);
};

console.error(`Valise benchmark, ${sizeMiB} MiB transfers, Node ${process.version}`);

for (const [name, aead] of Object.entries(AEADS)) {
  const { encryptMiBs, decryptMiBs } = await measureFormat({ sizeBytes: 256 * MiB, aead });
  row(`format encrypt (${name})`, encryptMiBs, 'MiB/s');
  row(`format decrypt (${name})`, decryptMiBs, 'MiB/s');
}

const partBytes = 8_396_800;
const partCount = Math.ceil((sizeMiB * MiB) / partBytes);
const body = new Uint8Array(partBytes).fill(7);
const bare = await startBareServer();
const bareUp = await putParts({ count: partCount, body, target: (k) => ({ url: `${bare.url}/parts/${k}`, headers: {} }) });
const bareDown = await getParts({ count: partCount, target: (k) => ({ url: `${bare.url}/parts/${k}`, headers: {} }) });
await bare.close();
row('bare node:http part upload', bareUp, 'MiB/s');
row('bare node:http part download', bareDown, 'MiB/s');

const valise = await measureValise({ sizeMiB });
row('server part upload', valise.partUpload, 'MiB/s', `≥ ${(0.7 * bareUp).toFixed(1)} (70% of bare)`);
row('server part download', valise.partDownload, 'MiB/s', `≥ ${(0.7 * bareDown).toFixed(1)} (70% of bare)`);
row('server part upload / bare', (100 * valise.partUpload) / bareUp, '%', '≥ 70');
row('server part download / bare', (100 * valise.partDownload) / bareDown, '%', '≥ 70');
row('CLI send end to end', valise.cliSend, 'MiB/s', '≥ 150');
row('CLI receive end to end', valise.cliReceive, 'MiB/s', '≥ 150');
row('CLI send peak RSS', valise.cliSendRss, 'MiB');
row('CLI receive peak RSS', valise.cliReceiveRss, 'MiB');
row('server peak RSS during the transfers', valise.serverRss, 'MiB', '< 200');

const width = (key, title) => Math.max(title.length, ...rows.map((r) => String(r[key]).length));
const cols = [['what', 'measure'], ['value', 'value'], ['unit', 'unit'], ['target', 'target']];
const widths = cols.map(([key, title]) => width(key, title));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(cols.map(([, title]) => title)));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(cols.map(([key]) => r[key])));
