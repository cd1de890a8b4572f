// Test support: a tiny real HTTP forwarding proxy (node:http) in front of the real server. It relays every request
// unchanged, records what passed (method and path, as a network capture would), and can be told to hang the
// requests that match: the way a dead network looks to a client. It does not imitate the server in any way.
import { type IncomingHttpHeaders, Agent, type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StallRule = (method: string, path: string) => boolean;
/** What a compromised server would answer instead: the real answer's body in, a forged body out. */
export type RewriteRule = (method: string, path: string) => ((body: Buffer) => Buffer) | undefined;

/** Headers of one hop only (RFC 9110 §7.6.1): never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

export class StallProxy {
  /** "METHOD /path" of every request that reached the proxy, in arrival order. */
  readonly received: string[] = [];
  /** Requests held forever (never forwarded). */
  readonly stalled: string[] = [];
  /** Requests whose whole answer was relayed back to the client. */
  readonly answered: string[] = [];
  readonly url: string;
  #target: URL | undefined;
  #rule: StallRule | undefined;
  #rewrite: RewriteRule | undefined;
  readonly #server: ReturnType<typeof createServer>;
  readonly #agent = new Agent({ keepAlive: true });

  private constructor(server: ReturnType<typeof createServer>, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(): Promise<StallProxy> {
    let proxy: StallProxy | undefined;
    const server = createServer((req, res) => proxy!.#handle(req, res));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    proxy = new StallProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Where requests go (the real server's listening address). */
  setTarget(url: string): void {
    this.#target = new URL(url);
  }

  /** From now on, hang every request that matches (undefined: relay everything again). */
  stallWhen(rule: StallRule | undefined): void {
    this.#rule = rule;
  }

  /** From now on, replace the body of matching answers (a server serving forged data); undefined: stop. */
  rewriteWhen(rule: RewriteRule | undefined): void {
    this.#rewrite = rule;
  }

  /** How many requests of `method` whose path contains `pathPart` were received, stalled or answered. */
  count(which: 'received' | 'stalled' | 'answered', method: string, pathPart = ''): number {
    return this[which].filter((l) => l.startsWith(`${method} `) && l.includes(pathPart)).length;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const line = `${method} ${path}`;
    this.received.push(line);
    const target = this.#target;
    if (this.#rule?.(method, path) || target === undefined) {
      this.stalled.push(line); // no answer, ever: the socket stays open until the client gives up or the proxy closes
      return;
    }
    const upstream = request({
      protocol: target.protocol, hostname: target.hostname, port: target.port, method, path: req.url, headers: forwardable(req.headers),
      agent: this.#agent,
    }, (answer) => {
      const forge = this.#rewrite?.(method, path);
      if (forge) {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.once('end', () => {
          const body = forge(Buffer.concat(chunks));
          res.writeHead(answer.statusCode ?? 502, { ...forwardable(answer.headers), 'content-length': String(body.length) });
          res.end(body);
          this.answered.push(line);
        });
        answer.once('error', () => res.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
      answer.pipe(res);
      answer.once('end', () => this.answered.push(line));
      answer.once('error', () => res.destroy());
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    this.#agent.destroy();
    await closed;
  }
}
