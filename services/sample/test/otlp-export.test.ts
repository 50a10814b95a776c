/** The OTLP exporter: protobuf over HTTP from a worker thread, the SDK's retry policy, failures reported. */
import http from 'node:http';
import type net from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { WorkerOtlpTraceExporter } from '../src/otlp-worker-exporter';
import { decodeOtlpTraces, freePort, waitFor } from './helpers';

function spans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('test');
  tracer.startSpan('GET /v1/orders/:id', { kind: SpanKind.SERVER, attributes: { 'http.route': '/v1/orders/:id', 'http.response.status_code': 200 } }).end();
  tracer.startSpan('redis GET', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis' } }).end();
  return memory.getFinishedSpans() as ReadableSpan[];
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

const exportOnce = (exporter: WorkerOtlpTraceExporter, items: ReadableSpan[]) =>
  new Promise<ExportResult>((resolve) => exporter.export(items, resolve));

test('spans arrive as OTLP protobuf, sent by the worker, not by the event loop', async () => {
  const r = await receiver();
  const exporter = new WorkerOtlpTraceExporter({ url: r.url, timeoutMillis: 5_000 });
  const request = jest.spyOn(http, 'request');
  try {
    expect((await exportOnce(exporter, spans())).code).toBe(ExportResultCode.SUCCESS);
    expect(request).not.toHaveBeenCalled(); // this thread's http module was never used
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]!.contentType).toBe('application/x-protobuf');
    const received = decodeOtlpTraces(r.requests[0]!.body);
    expect(received.map((s) => s.name).sort()).toEqual(['GET /v1/orders/:id', 'redis GET']);
    expect(received.find((s) => s.kind === 2)!.attributes).toEqual({ 'http.route': '/v1/orders/:id', 'http.response.status_code': 200 });
    // The worker is reused for later exports.
    expect((await exportOnce(exporter, spans())).code).toBe(ExportResultCode.SUCCESS);
    expect(r.requests).toHaveLength(2);
  } finally {
    request.mockRestore();
    await exporter.shutdown();
    await r.close();
  }
});

test('429/502/503/504 are retried with backoff (Retry-After honoured); other statuses fail at once', async () => {
  const r = await receiver([503, 502, 429]);
  const exporter = new WorkerOtlpTraceExporter({ url: r.url, timeoutMillis: 5_000, initialBackoffMs: 10 });
  try {
    expect((await exportOnce(exporter, spans())).code).toBe(ExportResultCode.SUCCESS);
    expect(r.requests).toHaveLength(4);
  } finally {
    await exporter.shutdown();
    await r.close();
  }
  const rejected = await receiver([400]);
  const strict = new WorkerOtlpTraceExporter({ url: rejected.url, timeoutMillis: 5_000, initialBackoffMs: 10 });
  try {
    const result = await exportOnce(strict, spans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/400/);
    expect(rejected.requests).toHaveLength(1);
  } finally {
    await strict.shutdown();
    await rejected.close();
  }
});

test('an unreachable collector fails the export within its timeout (bounded retries), and the exporter keeps working', async () => {
  const port = await freePort(); // nothing listens there
  const exporter = new WorkerOtlpTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 1_000, initialBackoffMs: 10 });
  try {
    const started = Date.now();
    const result = await exportOnce(exporter, spans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(Date.now() - started).toBeLessThan(3_000);
    // The collector comes up on that address: the next export goes through.
    const up = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
    await new Promise<void>((resolve) => up.listen(port, '127.0.0.1', resolve));
    try {
      expect((await exportOnce(exporter, spans())).code).toBe(ExportResultCode.SUCCESS);
    } finally {
      await new Promise((r) => up.close(r));
    }
  } finally {
    await exporter.shutdown();
  }
});

test('a worker that dies fails the export it had; the next export starts a new worker', async () => {
  // The first export never gets an answer (it stays in flight while its worker is stopped); later ones do.
  let requests = 0;
  const server = http.createServer((req, res) => {
    if (++requests > 1) req.resume().on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const exporter = new WorkerOtlpTraceExporter({ url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/traces`, timeoutMillis: 10_000 });
  // OTLPExporterBase keeps its delegate, the delegate its transport (both private in the SDK).
  const transport = (exporter as unknown as { _delegate: { _transport: { worker?: { terminate(): Promise<number> } } } })._delegate._transport;
  try {
    const first = exportOnce(exporter, spans());
    await waitFor(() => requests === 1, 2_000, 5);
    await transport.worker!.terminate();
    const failed = await first;
    expect(failed.code).toBe(ExportResultCode.FAILED);
    expect(failed.error?.message).toMatch(/worker exited/);
    expect((await exportOnce(exporter, spans())).code).toBe(ExportResultCode.SUCCESS);
    expect(requests).toBe(2);
  } finally {
    await exporter.shutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
