/**
 * Span export: the SpanBatcher (batches by count, size and time; bounded in-flight exports; losses counted and
 * reported) and the WorkerHttpTransport (OTLP/HTTP protobuf POSTed from a worker thread with the OTLP retry
 * policy).
 */
import http from 'node:http';
import type net from 'node:net';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SpanBatcher, type SendOutcome, type SpanLoss, type TraceSender } from '../src/tracing/span-batcher';
import { RecordingTracerProvider } from '../src/tracing/tracer';
import { WorkerHttpTransport } from '../src/tracing/worker-transport';
import { decodeOtlpTraces, freePort, waitFor } from './helpers';

/** A sender that records each request and answers as told (default: at once, ok). */
class FakeSender implements TraceSender {
  readonly requests: Buffer[] = [];
  readonly answers: ((outcome: SendOutcome) => void)[] = [];
  shutdowns = 0;
  constructor(private readonly mode: 'ok' | 'fail' | 'hold' = 'ok') {}
  send(request: Uint8Array): Promise<SendOutcome> {
    this.requests.push(Buffer.from(request));
    if (this.mode === 'ok') return Promise.resolve({ ok: true });
    if (this.mode === 'fail') return Promise.resolve({ ok: false, error: new Error('HTTP 400 Bad Request') });
    return new Promise((resolve) => this.answers.push(resolve));
  }
  shutdown(): void {
    this.shutdowns++;
  }
  spans(): string[] {
    return this.requests.flatMap((r) => decodeOtlpTraces(r).map((s) => s.name));
  }
}

function tracerInto(batcher: SpanBatcher, rootSamplingRatio = 1) {
  return new RecordingTracerProvider({ resource: { 'service.name': 'test' }, rootSamplingRatio, sink: batcher }).getTracer('test', '1.0.0');
}

describe('SpanBatcher', () => {
  test('a batch goes when it holds maxBatchSpans spans; each request is a whole ExportTraceServiceRequest', async () => {
    const sender = new FakeSender();
    const batcher = new SpanBatcher(sender, { maxBatchSpans: 3, scheduledDelayMillis: 60_000 });
    const tracer = tracerInto(batcher);
    for (let i = 0; i < 7; i++) tracer.startSpan(`s${i}`, { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    expect(sender.requests).toHaveLength(2);
    expect(sender.spans()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    await batcher.forceFlush(); // the seventh, in an open batch
    expect(sender.spans()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
    await Promise.resolve();
    expect(batcher.counts).toEqual({ exported: 7, dropped: 0, failed: 0 });
    await batcher.shutdown();
  });

  test('a batch goes when its encoding reaches maxBatchBytes', async () => {
    const sender = new FakeSender();
    const batcher = new SpanBatcher(sender, { maxBatchBytes: 1_000, scheduledDelayMillis: 60_000 });
    const tracer = tracerInto(batcher);
    tracer.startSpan('big', { attributes: { blob: 'x'.repeat(2_000) } }, ROOT_CONTEXT).end();
    expect(sender.requests).toHaveLength(1);
    expect(decodeOtlpTraces(sender.requests[0]!)[0]!.attributes['blob']).toBe('x'.repeat(2_000));
    await batcher.shutdown();
  });

  test('a batch that is not full goes after scheduledDelayMillis', async () => {
    const sender = new FakeSender();
    const batcher = new SpanBatcher(sender, { scheduledDelayMillis: 50 });
    tracerInto(batcher).startSpan('lonely', {}, ROOT_CONTEXT).end();
    expect(sender.requests).toHaveLength(0);
    await waitFor(() => sender.requests.length === 1, 2_000, 10);
    expect(sender.spans()).toEqual(['lonely']);
    await batcher.shutdown();
  });

  test('unsampled spans are not sent; spans of two tracers go in separate requests, each with its scope', async () => {
    const sender = new FakeSender();
    const batcher = new SpanBatcher(sender, { scheduledDelayMillis: 60_000 });
    const provider = new RecordingTracerProvider({ resource: { 'service.name': 'test' }, rootSamplingRatio: 0, sink: batcher });
    const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE });
    provider.getTracer('one').startSpan('not sampled', {}, unsampledParent).end();
    provider.getTracer('one').startSpan('from one', { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    provider.getTracer('two', '2.0.0').startSpan('from two', { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    await batcher.forceFlush();
    expect(sender.requests.map((r) => decodeOtlpTraces(r).map((s) => `${s.scope}: ${s.name}`))).toEqual([['one: from one'], ['two: from two']]);
    await batcher.shutdown();
  });

  test('beyond maxPendingExports unanswered exports, batches are dropped, counted and reported; the rest are counted as they end', async () => {
    const sender = new FakeSender('hold');
    const losses: SpanLoss[] = [];
    const batcher = new SpanBatcher(sender, { maxBatchSpans: 2, maxPendingExports: 2, scheduledDelayMillis: 60_000, onLoss: (loss) => losses.push(loss) });
    const tracer = tracerInto(batcher);
    for (let i = 0; i < 8; i++) tracer.startSpan(`s${i}`, { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    expect(sender.requests).toHaveLength(2); // two in flight, two batches dropped
    expect(losses).toEqual([
      { spans: 2, reason: 'queue_full' },
      { spans: 2, reason: 'queue_full' },
    ]);
    sender.answers[0]!({ ok: true });
    sender.answers[1]!({ ok: false, error: new Error('HTTP 503 after retries') });
    await waitFor(() => batcher.counts.failed === 2, 1_000, 5);
    expect(batcher.counts).toEqual({ exported: 2, dropped: 4, failed: 2 });
    expect(losses[2]).toEqual({ spans: 2, reason: 'export_failed', error: new Error('HTTP 503 after retries') });
    // Room again: the next batch is sent.
    for (let i = 0; i < 2; i++) tracer.startSpan('later', { kind: SpanKind.SERVER }, ROOT_CONTEXT).end();
    expect(sender.requests).toHaveLength(3);
    sender.answers[2]!({ ok: true });
    await batcher.shutdown();
  });

  test('shutdown sends what is open, waits for it, stops the sender, and ignores later spans', async () => {
    const sender = new FakeSender('hold');
    const batcher = new SpanBatcher(sender, { scheduledDelayMillis: 60_000 });
    const tracer = tracerInto(batcher);
    tracer.startSpan('before', {}, ROOT_CONTEXT).end();
    let done = false;
    const stopping = batcher.shutdown().then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([sender.requests.length, done]).toEqual([1, false]); // waiting for the export in flight
    sender.answers[0]!({ ok: true });
    await stopping;
    expect(sender.shutdowns).toBe(1);
    tracer.startSpan('after', {}, ROOT_CONTEXT).end();
    await batcher.forceFlush();
    expect(sender.spans()).toEqual(['before']);
    await batcher.shutdown(); // idempotent
    expect(sender.shutdowns).toBe(1);
  });

  test.each([
    [{ maxBatchSpans: 0 }, 'SpanBatcher: maxBatchSpans must be a whole number >= 1, got 0'],
    [{ maxBatchBytes: 1.5 }, 'SpanBatcher: maxBatchBytes must be a whole number >= 1, got 1.5'],
    [{ scheduledDelayMillis: -1 }, 'SpanBatcher: scheduledDelayMillis must be a whole number >= 1, got -1'],
    [{ maxPendingExports: Number.NaN }, 'SpanBatcher: maxPendingExports must be a whole number >= 1, got NaN'],
  ])('refuses %p', (options, message) => {
    expect(() => new SpanBatcher(new FakeSender(), options)).toThrow(message);
  });
});

/** A request as the batcher sends it: two spans of a traced read. */
async function exportRequest(): Promise<Uint8Array> {
  const sender = new FakeSender();
  const batcher = new SpanBatcher(sender, { scheduledDelayMillis: 60_000 });
  const tracer = tracerInto(batcher);
  tracer.startSpan('GET /v1/orders/:id', { kind: SpanKind.SERVER, attributes: { 'http.route': '/v1/orders/:id', 'http.response.status_code': 200 } }, ROOT_CONTEXT).end();
  tracer.startSpan('redis GET', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis' } }, ROOT_CONTEXT).end();
  await batcher.shutdown();
  return new Uint8Array(sender.requests[0]!); // its own buffer: the transport transfers it
}

/** A receiver answering each export with the next status of `statuses` (then 200); it records every request. */
async function receiver(statuses: number[] = []) {
  const requests: { contentType: string | undefined; body: Buffer }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      const status = statuses.shift() ?? 200;
      res.writeHead(status, status === 503 ? { 'retry-after': '0' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { requests, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/traces`, close: () => new Promise((r) => server.close(r)) };
}

describe('WorkerHttpTransport', () => {
  test('requests arrive as OTLP protobuf, POSTed by the worker (not this thread), their buffer transferred', async () => {
    const r = await receiver();
    const transport = new WorkerHttpTransport({ url: r.url });
    const request = jest.spyOn(http, 'request');
    try {
      const body = await exportRequest();
      expect(await transport.send(body, 5_000)).toEqual({ ok: true });
      expect(body.byteLength).toBe(0); // transferred to the worker, not copied
      expect(request).not.toHaveBeenCalled(); // this thread's http module was never used
      expect(r.requests).toHaveLength(1);
      expect(r.requests[0]!.contentType).toBe('application/x-protobuf');
      const received = decodeOtlpTraces(r.requests[0]!.body);
      expect(received.map((s) => s.name).sort()).toEqual(['GET /v1/orders/:id', 'redis GET']);
      expect(received.find((s) => s.kind === 2)!.attributes).toEqual({ 'http.route': '/v1/orders/:id', 'http.response.status_code': 200 });
      // The worker is reused for later exports.
      expect(await transport.send(await exportRequest(), 5_000)).toEqual({ ok: true });
      expect(r.requests).toHaveLength(2);
    } finally {
      request.mockRestore();
      transport.shutdown();
      await r.close();
    }
  });

  test('429/502/503/504 are retried with backoff (Retry-After honoured); other statuses fail at once', async () => {
    const r = await receiver([503, 502, 429]);
    const transport = new WorkerHttpTransport({ url: r.url, initialBackoffMs: 10 });
    try {
      expect(await transport.send(await exportRequest(), 5_000)).toEqual({ ok: true });
      expect(r.requests).toHaveLength(4);
    } finally {
      transport.shutdown();
      await r.close();
    }
    const rejected = await receiver([400]);
    const strict = new WorkerHttpTransport({ url: rejected.url, initialBackoffMs: 10 });
    try {
      const outcome = await strict.send(await exportRequest(), 5_000);
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error.message).toMatch(/400/);
      expect(rejected.requests).toHaveLength(1);
    } finally {
      strict.shutdown();
      await rejected.close();
    }
  });

  test('an unreachable collector fails the export within its timeout (bounded retries), and the transport keeps working', async () => {
    const port = await freePort(); // nothing listens there
    const transport = new WorkerHttpTransport({ url: `http://127.0.0.1:${port}/v1/traces`, initialBackoffMs: 10 });
    try {
      const started = Date.now();
      expect((await transport.send(await exportRequest(), 1_000)).ok).toBe(false);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The collector comes up on that address: the next export goes through.
      const up = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
      await new Promise<void>((resolve) => up.listen(port, '127.0.0.1', resolve));
      try {
        expect(await transport.send(await exportRequest(), 1_000)).toEqual({ ok: true });
      } finally {
        await new Promise((r) => up.close(r));
      }
    } finally {
      transport.shutdown();
    }
  });

  test('a worker that dies fails the export it had; the next export starts a new worker', async () => {
    // The first export never gets an answer (it stays in flight while its worker is stopped); later ones do.
    let requests = 0;
    const server = http.createServer((req, res) => {
      if (++requests > 1) req.resume().on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const transport = new WorkerHttpTransport({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/traces` });
    const worker = () => (transport as unknown as { worker?: { terminate(): Promise<number> } }).worker;
    try {
      const first = transport.send(await exportRequest(), 10_000);
      await waitFor(() => requests === 1, 2_000, 5);
      await worker()!.terminate();
      const failed = await first;
      expect(!failed.ok && failed.error.message).toMatch(/worker exited/);
      expect(await transport.send(await exportRequest(), 10_000)).toEqual({ ok: true });
      expect(requests).toBe(2);
    } finally {
      transport.shutdown();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
