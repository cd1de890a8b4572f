// The organisation key the CLI trusts: pinned at login (or when the server first has one), never silently replaced.
import { orgPublicKeyFromText } from '@valise/crypto';
import type { ValiseApi } from '@valise/client';
import type { CliContext } from './context.js';
import { type Credentials, saveCredentials } from './credentials.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * The pinned organisation public key, or null while the server has none. A server now presenting a key other
 * than the pinned one is refused (exit 5): that is what a server swapping member keys would have to do.
 */
export async function pinnedOrgKey(ctx: CliContext, c: Credentials, api: ValiseApi): Promise<Uint8Array | null> {
  const { publicKey } = await api.getOrgKey({ signal: ctx.signal });
  const pinned = c.orgPublicKey ?? null;
  if (pinned !== null) {
    if (publicKey !== pinned) {
      throw new CliError(EXIT.integrity, [
        'the server presents another organisation key than the one this computer trusts.',
        `  trusted: ${pinned}`,
        `  served:  ${publicKey ?? '(none)'}`,
        'Nothing was sent or opened. If your administrators really replaced the organisation key, run `valise login` again.',
      ].join('\n'));
    }
    return orgPublicKeyFromText(pinned);
  }
  if (publicKey === null) return null;
  const key = orgPublicKeyFromText(publicKey);
  await saveCredentials(ctx.config.configDir, { ...c, orgPublicKey: publicKey });
  ctx.note(`Trusting this server's organisation key from now on: ${publicKey}`);
  return key;
}
