// The bare baseline: a plain Node http server that pipes part uploads to files and streams them back.
// Valise's server must reach at least 70% of this on the same machine, with the same client and part size.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export async function startBareServer() {
  const dir = mkdtempSync(join(tmpdir(), 'valise-bare-'));
  const server = createServer(async (req, res) => {
    const name = /^\/parts\/(\d+)$/.exec(req.url ?? '')?.[1];
    if (name === undefined) { res.writeHead(404).end(); return; }
    const path = join(dir, name);
    try {
      if (req.method === 'PUT') {
        await pipeline(req, createWriteStream(path));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(200, { 'content-length': statSync(path).size, 'content-type': 'application/octet-stream' });
        await pipeline(createReadStream(path), res);
      }
    } catch {
      res.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => { rmSync(dir, { recursive: true, force: true }); resolve(); })),
  };
}
