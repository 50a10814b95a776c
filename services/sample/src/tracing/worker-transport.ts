/**
 * OTLP/HTTP trace export whose network side runs in a worker thread.
 *
 * Why a worker: an HTTP client in the same process as the HTTP server makes Node's shared HTTP and stream
 * internals (OutgoingMessage, IncomingMessage, Readable, Writable) see client objects as well as server
 * ones; their inline caches turn megamorphic and every served request pays for it, sampled or not. Counted
 * under callgrind (docs/benchmarks.md, sixth round), the event loop runs about 1 500-2 000 fewer
 * instructions per request outside GC with the POSTs in a worker; the network and (with an https
 * endpoint) TLS work of each export leaves the event loop too.
 *
 * The batches arrive already encoded (span-batcher.ts) and are handed over without a copy (transferred). The
 * worker POSTs them with the OTLP exporters' retry policy: 429, 502, 503, 504 and connection errors are retried
 * up to 5 times with jittered exponential backoff (1 s, x1.5, at most 5 s, or the Retry-After), within the
 * export timeout.
 */
import { Worker } from 'node:worker_threads';
import type { SendOutcome, TraceSender } from './span-batcher';

interface SendRequest {
  readonly id: number;
  readonly data: Uint8Array;
  readonly timeoutMillis: number;
}

type SendResult = { readonly id: number } & (
  | { readonly status: 'success' }
  | { readonly status: 'failure' | 'retryable'; readonly message: string }
);

export interface WorkerSettings {
  /** The collector's traces URL (…/v1/traces). */
  readonly url: string;
  /** Sent with every export, besides Content-Type and User-Agent. @default - none */
  readonly headers?: Record<string, string>;
  /** First retry delay; the SDK's is 1 s (tests shorten it). */
  readonly initialBackoffMs?: number;
}

/**
 * The worker's whole program. It runs from its source text (Worker eval), so the service stays one bundled
 * file: it must not use anything from this module's scope, only Node's built-in modules via require().
 */
function exportWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const settings = workerData as WorkerSettings;
  const url = new URL(settings.url);
  const client = (url.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
  const agent = new client.Agent({ keepAlive: true, maxSockets: 2 });
  const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
  const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
  type Attempt = { status: 'success' } | { status: 'failure' | 'retryable'; message: string; retryInMillis?: number };

  const retryAfterMs = (value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const seconds = Number.parseInt(value, 10);
    if (Number.isInteger(seconds)) return Math.max(0, seconds * 1000);
    const at = new Date(value).getTime();
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
  };

  const post = (body: Buffer, timeoutMillis: number): Promise<Attempt> =>
    new Promise((resolve) => {
      const req = client.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/x-protobuf', 'User-Agent': 'sample-service OTLP exporter (worker thread)', ...settings.headers, 'Content-Length': body.length } }, (res) => {
        res.resume(); // the response body is not used
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status <= 299) resolve({ status: 'success' });
          else if (RETRYABLE_STATUS.has(status)) resolve({ status: 'retryable', message: `HTTP ${status}`, retryInMillis: retryAfterMs(res.headers['retry-after']) });
          else resolve({ status: 'failure', message: `HTTP ${status} ${res.statusMessage ?? ''}`.trim() });
        });
        res.on('error', (err) => resolve({ status: 'failure', message: err.message }));
      });
      req.setTimeout(timeoutMillis, () => {
        req.destroy();
        resolve({ status: 'retryable', message: 'request timed out' });
      });
      req.on('error', (err: NodeJS.ErrnoException) =>
        resolve({ status: RETRYABLE_NETWORK.has(err.code ?? '') ? 'retryable' : 'failure', message: err.message }),
      );
      req.end(body);
    });

  parentPort!.on('message', (request: SendRequest) => {
    void (async () => {
      const body = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
      const deadline = Date.now() + request.timeoutMillis;
      let backoff = settings.initialBackoffMs ?? 1_000;
      let result = await post(body, request.timeoutMillis);
      for (let retries = 5; result.status === 'retryable' && retries > 0; retries--) {
        const wait = result.retryInMillis ?? Math.min(backoff * (0.8 + Math.random() * 0.4), 5_000);
        backoff *= 1.5;
        const remaining = deadline - Date.now();
        if (wait > remaining) break; // no retry after the export deadline
        await new Promise((resolve) => setTimeout(resolve, wait));
        result = await post(body, deadline - Date.now());
      }
      parentPort!.postMessage({ id: request.id, ...result });
    })();
  });
}

/**
 * Hands each encoded export request to one worker thread, started on first use, which POSTs it as
 * application/x-protobuf (OTLP/HTTP). The request's buffer is transferred: the caller must not use it again.
 */
export class WorkerHttpTransport implements TraceSender {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (outcome: SendOutcome) => void>();

  constructor(private readonly settings: WorkerSettings) {}

  send(data: Uint8Array, timeoutMillis: number): Promise<SendOutcome> {
    const worker = this.worker ?? this.start();
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.ref(); // an export in flight keeps the process up (at shutdown: until the spans are sent)
      worker.postMessage({ id, data, timeoutMillis } satisfies SendRequest, [data.buffer as ArrayBuffer]);
    });
  }

  shutdown(): void {
    void this.worker?.terminate();
    this.stopped('exporter shut down');
  }

  private start(): Worker {
    const worker = new Worker(`(${exportWorkerMain.toString()})()`, { eval: true, workerData: this.settings, name: 'otlp-export' });
    worker.on('message', (result: SendResult) => {
      const resolve = this.pending.get(result.id);
      this.pending.delete(result.id);
      if (this.pending.size === 0) worker.unref();
      resolve?.(result.status === 'success' ? { ok: true } : { ok: false, error: new Error(result.message) });
    });
    // A worker that dies fails what it had; the next export starts a new one ('exit' follows 'error', and
    // may come after that new one started: only the current worker's end counts).
    worker.on('error', (err) => this.worker === worker && this.stopped(`export worker failed: ${err.message}`));
    worker.on('exit', () => this.worker === worker && this.stopped('export worker exited'));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private stopped(reason: string): void {
    this.worker = undefined;
    for (const resolve of this.pending.values()) resolve({ ok: false, error: new Error(reason) });
    this.pending.clear();
  }
}
