// `valise send FILE... --to EMAIL...`: encrypt on this computer, upload resumably, print the link.
import { join, resolve } from 'node:path';
import { type UploadNotice, uploadTransfer } from '@valise/client';
import type { ChunkAead } from '@valise/crypto';
import type { CliContext } from '../context.js';
import { requireCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { createFileResumeStore, sendResumeKey } from '../file-resume-store.js';
import { type NodeFileSource, openFileSource } from '../node-file-source.js';
import { createProgressReporter, formatBytes } from '../progress.js';
import { nodeSha256 } from '../crypto/node-digest.js';
import { PartSealerPool, defaultSealerThreads } from '../crypto/part-sealer.js';

export interface SendCommand {
  files: string[];
  to: string[];
  expiresInSeconds: number | undefined;
  maxDownloads: number | undefined;
  dataClass: string | undefined;
  message: string | undefined;
}

/**
 * node:crypto AES-256-GCM (same bytes as WebCrypto, several times faster) when the CLI ships it; the
 * module is loaded by a computed specifier so the CLI still works, on WebCrypto, without it.
 */
export async function loadNodeAead(): Promise<ChunkAead | undefined> {
  const specifier = '../crypto/node-aead.js';
  try {
    const mod = (await import(specifier)) as { nodeAead?: ChunkAead };
    return mod.nodeAead;
  } catch {
    return undefined;
  }
}

export async function runSend(ctx: CliContext, cmd: SendCommand): Promise<void> {
  const credentials = await requireCredentials(ctx.config.configDir);
  const paths = cmd.files.map((f) => resolve(f));
  const duplicate = paths.find((p, i) => paths.indexOf(p) !== i);
  if (duplicate) throw new CliError(EXIT.usage, `${duplicate} is given twice`);
  const recipients = [...new Map(cmd.to.map((r) => [r.toLowerCase(), r])).values()];

  const sources: NodeFileSource[] = [];
  try {
    for (const path of paths) sources.push(await openFileSource(path));
    const total = sources.reduce((n, s) => n + s.size, 0);
    const progress = createProgressReporter({ stream: ctx.io.stderr, enabled: !ctx.json, label: 'Sending' });
    const onNotice = (n: UploadNotice) => {
      if (n.kind === 'created') return; // nothing to tell: the keys are saved and the parts start
      if (n.kind === 'resuming') ctx.note(`Resuming an interrupted send (${n.partsDone} of ${n.partsTotal} parts already on the server).`);
      else if (n.reason === 'sources_changed') ctx.note('The files or settings changed since the interrupted send: starting over with new keys.');
      else ctx.note('The interrupted send is no longer open on the server: starting over.');
    };
    if (!ctx.json) ctx.note(`Encrypting and sending ${sources.length} file${sources.length === 1 ? '' : 's'} (${formatBytes(total)})…`);
    const aead = await loadNodeAead();
    // Threads that encrypt and hash the parts beside the HTTP I/O, with the node:crypto AEAD (without it, or with
    // no thread, parts are sealed on this thread).
    const threads = ctx.config.sealThreads ?? defaultSealerThreads();
    const sealer = aead && threads > 0 ? new PartSealerPool(threads) : undefined;
    let result;
    try {
      result = await uploadTransfer({
        api: ctx.api(credentials.serverUrl, credentials.token),
        files: sealer ? sources.map((s) => sealer.recycling(s)) : sources,
        recipients,
        expiresInSeconds: cmd.expiresInSeconds,
        maxDownloads: cmd.maxDownloads,
        dataClass: cmd.dataClass,
        message: cmd.message,
        resumeStore: createFileResumeStore(join(ctx.config.configDir, 'uploads')),
        resumeKey: sendResumeKey(credentials.serverUrl, paths),
        aead,
        sha256: nodeSha256,
        // The CLI's fetch (node-fetch.ts) has sent the whole body when a part's response arrives.
        reuseBuffers: true,
        sealPart: sealer && ((job) => sealer.seal(job)),
        onProgress: (e) => progress.update(e),
        onNotice,
        signal: ctx.signal,
      });
    } finally {
      progress.stop();
      await sealer?.terminate(); // success, failure or Ctrl-C: live threads would keep the process running
    }
    const expires = new Date(result.expiresAt).toISOString();
    ctx.result(
      { transferId: result.transferId, link: result.link, expiresAt: result.expiresAt, recipients, maxDownloads: result.maxDownloads, dataClass: result.dataClass },
      result.link,
    );
    if (!ctx.json) {
      ctx.note(`Sent to ${recipients.join(', ')} (data class ${result.dataClass}). The link works until ${expires}, for ${result.maxDownloads} download${result.maxDownloads === 1 ? '' : 's'}.`);
      ctx.note('Give the link above to the recipients: they also need the code that Valise e-mails them.');
    }
  } finally {
    await Promise.allSettled(sources.map((s) => s.close()));
  }
}
