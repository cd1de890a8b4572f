// The built web app, read once into memory at start-up: a request path is looked up in this map and never turned
// into a filesystem path. The build is a few hundred kilobytes (index.html, hashed assets, the icon).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface WebAsset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Hashed file names never change content: cache them for a year. */
  readonly immutable: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface WebBuild {
  /** The single page every app route answers with. */
  readonly page: WebAsset;
  /** By URL path: /assets/<hashed name> and the files of the public folder. */
  readonly assets: ReadonlyMap<string, WebAsset>;
}

/** The build in `dir`, or null when there is none (the API works without it). */
export async function loadWebBuild(dir: string): Promise<WebBuild | null> {
  let page: Buffer;
  try {
    page = await readFile(join(dir, 'index.html'));
  } catch {
    return null;
  }
  const assets = new Map<string, WebAsset>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const relative = join(entry.parentPath, entry.name).slice(dir.length).split('\\').join('/');
    const path = relative.startsWith('/') ? relative : `/${relative}`;
    const type = TYPES[extname(entry.name)];
    // Only what a browser loads: no build metadata (.vite/, .build-digest), no source maps.
    if (type === undefined || path.startsWith('/.') || path === '/index.html') continue;
    assets.set(path, asset(await readFile(join(dir, path)), type, path.startsWith('/assets/')));
  }
  return { page: asset(page, TYPES['.html']!, false), assets };
}

function asset(body: Buffer, type: string, immutable: boolean): WebAsset {
  return { body, type, immutable, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}
