/**
 * What `reasoning-lens serve` checks before a request reaches the model: the Host header (DNS
 * rebinding), the Origin header (a web page posting cross-origin), the content type (a "simple"
 * text/plain POST needs no CORS preflight), the API key, and a bounded work queue. Pure node:http
 * helpers, no model code, so each rule is testable alone.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

/** An error answered with `status` (and extra headers, e.g. `retry-after`). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Readonly<Record<string, string>> = {}) {
    super(message);
  }
}

/** `[::1]` → `::1`; lower case. */
function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8, `::1` (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host).replace(/^::ffff:/, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

const isWildcard = (host: string): boolean => ['0.0.0.0', '::', '0:0:0:0:0:0:0:0'].includes(bare(host));

/**
 * Host names the server answers to: the bound address, `localhost`, `127.0.0.1`, `::1`, plus `extra`
 * (`--allowed-host`). A wildcard bind (0.0.0.0, ::) adds this machine's interface addresses and name.
 */
export function allowedHosts(bound: string, extra: readonly string[] = []): Set<string> {
  const hosts = new Set(['localhost', '127.0.0.1', '::1', bare(bound), ...extra.map(bare)]);
  if (isWildcard(bound)) {
    hosts.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) hosts.add(bare(a.address));
  }
  return hosts;
}

/** Splits `host[:port]` / `[v6]:port`; undefined when it is not a plausible host. */
function splitHostPort(value: string): { host: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  return { host: bare(m[1]!), ...(m[2] !== undefined ? { port: Number(m[2]) } : {}) };
}

/** The request's Host names this server (and its port): else 421 (a DNS-rebinding page names its own host). */
export function checkHost(req: IncomingMessage, hosts: ReadonlySet<string>, port: number): void {
  const value = req.headers.host;
  const parsed = value ? splitHostPort(value) : undefined;
  if (!parsed || !hosts.has(parsed.host) || (parsed.port !== undefined && parsed.port !== port)) {
    throw new HttpError(421, `Host ${JSON.stringify(value ?? '')} is not this server: use http://127.0.0.1:${port} (or start serve with --allowed-host NAME)`);
  }
}

/**
 * A request with an `Origin` header comes from a web page. Allowed only when the origin is this server
 * itself or listed with `--allowed-origin`; returns the origin to echo in CORS headers (undefined when
 * the request had none). Anything else: 403.
 */
export function checkOrigin(req: IncomingMessage, hosts: ReadonlySet<string>, port: number, allowed: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (allowed.includes(origin)) return origin;
  const m = /^https?:\/\/(.+)$/.exec(origin);
  const hp = m ? splitHostPort(m[1]!) : undefined;
  if (hp && hosts.has(hp.host) && hp.port === port) return origin;
  throw new HttpError(403, `requests from web pages (Origin ${origin}) are refused; start serve with --allowed-origin ${origin} to allow this one`);
}

/** POST bodies must be declared JSON (415 otherwise): a page can send text/plain cross-origin without a preflight. */
export function checkJsonContentType(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, `Content-Type must be application/json (got ${req.headers['content-type'] ? JSON.stringify(req.headers['content-type']) : 'none'})`);
  }
}

/** Checks `Authorization: Bearer KEY` in constant time; 401 otherwise. */
export function bearerChecker(apiKey: string): (req: IncomingMessage) => void {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  const expected = digest(apiKey);
  return (req) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!.trim()), expected)) {
      throw new HttpError(401, 'missing or wrong API key: send Authorization: Bearer <key>', { 'www-authenticate': 'Bearer' });
    }
  };
}

/** A slot in the {@link WorkQueue}: wait for `turn()`, always `release()`. */
export interface WorkSlot {
  /** Resolves when this slot may run; rejects with an AbortError when `signal` aborts first. */
  turn(signal?: AbortSignal): Promise<void>;
  release(): void;
}

/**
 * One model call at a time, at most `maxQueued` waiting. `reserve` refuses with 503 + `Retry-After`
 * beyond that, before the request body is even read, so a flood costs neither memory nor model time.
 */
export class WorkQueue {
  private running = false;
  private readonly waiting: (() => void)[] = [];
  private reserved = 0;
  /** Seconds the last requests took (exponential moving average), for `Retry-After`. */
  private averageSeconds = 1;
  /** Most slots held at once (tests and diagnostics). */
  peak = 0;

  constructor(private readonly maxQueued: number) {}

  /** Slots held now (running + waiting + reading their body). */
  get size(): number {
    return this.reserved;
  }

  reserve(): WorkSlot {
    if (this.reserved >= this.maxQueued + 1) {
      const seconds = Math.min(120, Math.max(1, Math.ceil(this.averageSeconds * this.reserved)));
      throw new HttpError(503, `busy: ${this.reserved} requests are running or queued (at most ${this.maxQueued + 1}); retry in ${seconds} s`, { 'retry-after': String(seconds) });
    }
    this.reserved++;
    this.peak = Math.max(this.peak, this.reserved);
    let state: 'reserved' | 'running' | 'released' = 'reserved';
    let started = 0;
    let queued: (() => void) | undefined;
    const release = (): void => {
      if (state === 'released') return;
      const wasRunning = state === 'running';
      state = 'released';
      this.reserved--;
      if (!wasRunning) {
        // Gone before its turn (the client left): it no longer waits.
        const i = queued ? this.waiting.indexOf(queued) : -1;
        if (i >= 0) this.waiting.splice(i, 1);
        return;
      }
      this.averageSeconds = 0.7 * this.averageSeconds + 0.3 * ((Date.now() - started) / 1000);
      this.running = false;
      this.waiting.shift()?.();
    };
    const turn = (signal?: AbortSignal): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          release();
          reject(Object.assign(new Error('the client went away while queued'), { name: 'AbortError' }));
        };
        const go = (): void => {
          signal?.removeEventListener('abort', onAbort);
          this.running = true;
          state = 'running';
          started = Date.now();
          resolve();
        };
        if (signal?.aborted) return onAbort();
        if (!this.running) return go();
        this.waiting.push((queued = go));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    return { turn, release };
  }
}
