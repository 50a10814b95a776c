/**
 * Where the tracer's spans go (tracer.ts): each sampled span is encoded into OTLP protobuf the moment it ends
 * (otlp-protobuf.ts) and the encoded batches are sent, in the role and with the bounds of the SDK's
 * BatchSpanProcessor: a batch goes
 * when it holds maxBatchSpans spans or maxBatchBytes bytes, or every scheduledDelayMillis; at most
 * maxPendingExports batches are in flight, and batches beyond that are dropped and counted, so a collector
 * that is down or slow costs bounded memory and never blocks a request.
 */
import { TraceFlags } from '@opentelemetry/api';
import { SpanChunk, type FinishedSpan, type SpanOrigin } from './otlp-protobuf';

/** Sends one ExportTraceServiceRequest; resolves (never rejects) with the outcome, retries included. */
export interface TraceSender {
  send(request: Uint8Array, timeoutMillis: number): Promise<SendOutcome>;
  shutdown(): void;
}
export type SendOutcome = { readonly ok: true } | { readonly ok: false; readonly error: Error };

export interface SpanBatcherOptions {
  /** @default 2048 */
  readonly maxBatchSpans?: number;
  /** @default 1 MiB */
  readonly maxBatchBytes?: number;
  /** A batch that is not full goes after at most this long. @default 2000 */
  readonly scheduledDelayMillis?: number;
  /** Batches sent and not yet answered; a batch sealed beyond that is dropped. @default 4 (8192 spans, as the SDK's maxQueueSize) */
  readonly maxPendingExports?: number;
  /** Per export, retries included. @default 5000 */
  readonly exportTimeoutMillis?: number;
  /** Told of each batch that was dropped or failed (a few calls per second at most: one per batch). */
  readonly onLoss?: (loss: SpanLoss) => void;
}

export interface SpanLoss {
  readonly spans: number;
  readonly reason: 'queue_full' | 'export_failed';
  readonly error?: Error;
}

/** Spans by outcome since start. */
export interface SpanCounts {
  exported: number;
  dropped: number;
  failed: number;
}

/** Counts before any span (and for a service that exports none). */
export function noSpans(): SpanCounts {
  return { exported: 0, dropped: 0, failed: 0 };
}

export class SpanBatcher {
  readonly counts: SpanCounts = noSpans();
  private readonly maxBatchSpans: number;
  private readonly maxBatchBytes: number;
  private readonly scheduledDelayMillis: number;
  private readonly maxPendingExports: number;
  private readonly exportTimeoutMillis: number;
  /** Open chunks by origin: one per tracer (scope) of the provider. */
  private readonly chunks = new Map<SpanOrigin['scope'], SpanChunk>();
  private readonly pending = new Set<Promise<void>>();
  /** Capacity a new chunk starts with: what the largest one needed (up to twice maxBatchBytes), so steady state never grows a buffer. */
  private chunkCapacity = 64 * 1024;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly sender: TraceSender,
    private readonly options: SpanBatcherOptions = {},
  ) {
    this.maxBatchSpans = positive('maxBatchSpans', options.maxBatchSpans ?? 2048);
    this.maxBatchBytes = positive('maxBatchBytes', options.maxBatchBytes ?? 1024 * 1024);
    this.scheduledDelayMillis = positive('scheduledDelayMillis', options.scheduledDelayMillis ?? 2000);
    this.maxPendingExports = positive('maxPendingExports', options.maxPendingExports ?? 4);
    this.exportTimeoutMillis = positive('exportTimeoutMillis', options.exportTimeoutMillis ?? 5000);
  }

  /** Called by each span as it ends. */
  onEnd(span: FinishedSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    const scope = span.instrumentationScope;
    let chunk = this.chunks.get(scope);
    if (chunk === undefined) {
      chunk = new SpanChunk({ resource: span.resource, scope }, this.chunkCapacity);
      this.chunks.set(scope, chunk);
      this.timer ??= setInterval(() => this.sendAll(), this.scheduledDelayMillis).unref();
    }
    chunk.add(span);
    if (chunk.spans >= this.maxBatchSpans || chunk.bytes >= this.maxBatchBytes) this.sendChunk(scope, chunk);
  }

  /** Sends every open batch and waits for every export in flight. */
  async forceFlush(): Promise<void> {
    this.sendAll();
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
    clearInterval(this.timer);
    this.sender.shutdown();
  }

  private sendAll(): void {
    for (const [scope, chunk] of this.chunks) this.sendChunk(scope, chunk);
  }

  private sendChunk(scope: SpanOrigin['scope'], chunk: SpanChunk): void {
    this.chunks.delete(scope);
    if (this.chunks.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    const spans = chunk.spans;
    if (this.pending.size >= this.maxPendingExports) {
      this.counts.dropped += spans;
      this.options.onLoss?.({ spans, reason: 'queue_full' });
      return;
    }
    const request = chunk.seal();
    this.chunkCapacity = Math.min(Math.max(this.chunkCapacity, request.buffer.byteLength), 2 * this.maxBatchBytes);
    const sent: Promise<void> = this.sender.send(request, this.exportTimeoutMillis).then((outcome) => {
      this.pending.delete(sent);
      if (outcome.ok) this.counts.exported += spans;
      else {
        this.counts.failed += spans;
        this.options.onLoss?.({ spans, reason: 'export_failed', error: outcome.error });
      }
    });
    this.pending.add(sent);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`SpanBatcher: ${name} must be a whole number >= 1, got ${value}`);
  return value;
}
