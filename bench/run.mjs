// `npm run bench`: throughput and memory figures of Valise on this machine, printed as one table.
// Set BENCH_SIZE_MIB to change the transfer size (default 1024: the 1 GiB), BENCH_ROUNDS the rounds (3).
// The purge figures come last (BENCH_PURGE_* settings: bench/README.md).
import { AEADS, measureFormat } from './format.mjs';
import { startBareServer } from './baseline-http.mjs';
import { getParts, putParts } from './part-client.mjs';
import { startValiseBench } from './valise.mjs';
import { chromiumAvailable, measureSendPageLoad, measureWebTransfer } from './web.mjs';
import { measurePurge } from './purge.mjs';
import { MiB } from './measure.mjs';

const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const rows = [];
const row = (what, value, unit, target = '') => {
  rows.push({ what, value: typeof value === 'number' ? value.toFixed(1) : value, unit, target });
  console.error(`  ${what}: ${typeof value === 'number' ? value.toFixed(1) : value} ${unit}`);
};

console.error(`Valise benchmark, ${sizeMiB} MiB transfers, ${Number(process.env.BENCH_ROUNDS ?? 3)} rounds, Node ${process.version}`);

for (const [name, aead] of Object.entries(AEADS)) {
  const { encryptMiBs, decryptMiBs } = await measureFormat({ sizeBytes: 256 * MiB, aead });
  row(`format encrypt (${name})`, encryptMiBs, 'MiB/s');
  row(`format decrypt (${name})`, decryptMiBs, 'MiB/s');
}

// Servers and disks here vary by tens of percent from one minute to the next, so every throughput is measured in
// ROUNDS interleaved rounds (bare, then Valise, then the CLI) and the median is reported, with the spread.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const partBytes = 8_396_800;
const partCount = Math.ceil((sizeMiB * MiB) / partBytes);
const body = new Uint8Array(partBytes).fill(7);
const samples = { bareUp: [], bareDown: [], up: [], down: [], send: [], receive: [], sendRss: [], receiveRss: [] };
const valise = await startValiseBench({ sizeMiB });
let serverRss;
try {
  for (let round = 1; round <= rounds; round++) {
    console.error(`round ${round} of ${rounds}`);
    const bare = await startBareServer();
    samples.bareUp.push(await putParts({ count: partCount, body, target: (k) => ({ url: `${bare.url}/parts/${k}`, headers: {} }) }));
    samples.bareDown.push(await getParts({ count: partCount, target: (k) => ({ url: `${bare.url}/parts/${k}`, headers: {} }) }));
    await bare.close();
    const raw = await valise.rawParts();
    samples.up.push(raw.partUpload);
    samples.down.push(raw.partDownload);
    const send = await valise.cliSend();
    samples.send.push(send.mibs);
    samples.sendRss.push(send.rss);
    const receive = await valise.cliReceive(send.link);
    samples.receive.push(receive.mibs);
    samples.receiveRss.push(receive.rss);
  }
} finally {
  serverRss = await valise.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const bareUp = median(samples.bareUp);
const bareDown = median(samples.bareDown);
// The ratio is taken round by round (each Valise run against the bare run just before it), then the median.
const upRatios = samples.up.map((v, i) => (100 * v) / samples.bareUp[i]);
const downRatios = samples.down.map((v, i) => (100 * v) / samples.bareDown[i]);
row('bare node:http part upload', bareUp, 'MiB/s', `(${spread(samples.bareUp)})`);
row('bare node:http part download', bareDown, 'MiB/s', `(${spread(samples.bareDown)})`);
row('server part upload', median(samples.up), 'MiB/s', `(${spread(samples.up)})`);
row('server part download', median(samples.down), 'MiB/s', `(${spread(samples.down)})`);
row('server part upload / bare', median(upRatios), '%', `≥ 70 (${spread(upRatios)})`);
row('server part download / bare', median(downRatios), '%', `≥ 70 (${spread(downRatios)})`);
row('CLI send end to end', median(samples.send), 'MiB/s', `≥ 150 (${spread(samples.send)})`);
row('CLI receive end to end', median(samples.receive), 'MiB/s', `≥ 150 (${spread(samples.receive)})`);
row('CLI send peak RSS', Math.max(...samples.sendRss), 'MiB');
row('CLI receive peak RSS', Math.max(...samples.receiveRss), 'MiB');
row('server peak RSS during the transfers', serverRss, 'MiB', '< 200');

if (chromiumAvailable()) {
  console.error('web app in headless Chromium');
  const web = await measureWebTransfer({ sizeMiB });
  row('web encrypt + upload (Chromium)', web.uploadMiBs, 'MiB/s', '≥ 100');
  row('web download + decrypt (Chromium)', web.downloadMiBs, 'MiB/s', '≥ 100');
  row('web send page load, cold cache', await measureSendPageLoad(), 'ms');
} else {
  console.error('web app figures NOT MEASURED: no Chromium (apt-get install chromium, or set VALISE_CHROMIUM)');
}

// Purge throughput and lag (bench/purge.mjs; BENCH_PURGE=0 leaves them out).
if (process.env.BENCH_PURGE !== '0') await measurePurge(row);

const width = (key, title) => Math.max(title.length, ...rows.map((r) => String(r[key]).length));
const cols = [['what', 'measure'], ['value', 'value'], ['unit', 'unit'], ['target', 'target']];
const widths = cols.map(([key, title]) => width(key, title));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(cols.map(([, title]) => title)));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(cols.map(([key]) => r[key])));
