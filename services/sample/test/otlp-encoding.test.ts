/**
 * The service's tracer (src/tracing/tracer.ts) and OTLP encoder (src/tracing/otlp-protobuf.ts), held to the
 * OpenTelemetry SDK: the encoder must write the very bytes the SDK's ProtobufTraceSerializer writes, and the
 * tracer must record what the SDK's tracer records for the same calls.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, createTraceState, trace, type Attributes, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { ProtoWriter, SpanChunk, type FinishedSpan } from '../src/tracing/otlp-protobuf';
import { RecordingTracerProvider, type FinishedSpanSink } from '../src/tracing/tracer';

const RESOURCE = { 'service.name': 'sample-service', 'service.version': '1.0.0', 'deployment.environment.name': 'test' };

/** An SDK tracer whose finished spans are kept in memory. */
function sdkTracer(options: { schemaUrl?: string; resourceSchemaUrl?: string } = {}) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE, options.resourceSchemaUrl !== undefined ? { schemaUrl: options.resourceSchemaUrl } : {}),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('sample-service', '1.0.0', options.schemaUrl !== undefined ? { schemaUrl: options.schemaUrl } : {});
  return { tracer, spans: () => memory.getFinishedSpans() as ReadableSpan[] };
}

/** Our encoding of `spans` (one origin) as one ExportTraceServiceRequest. */
function encode(spans: readonly FinishedSpan[], capacity = 64 * 1024): Buffer {
  const chunk = new SpanChunk({ resource: spans[0]!.resource, scope: spans[0]!.instrumentationScope }, capacity);
  for (const span of spans) chunk.add(span);
  return Buffer.from(chunk.seal());
}

const reference = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);

/** The spans of the sample service's traced read, as it makes them. */
function requestSpans(tracer: ReturnType<typeof sdkTracer>['tracer']): void {
  const server = tracer.startSpan('GET', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
  server.setAttributes({ 'http.request.method': 'GET', 'url.path': '/v1/orders/6f1c2f4e-8a9b-4c1d-9e2f-3a4b5c6d7e8f' });
  const redis = tracer.startSpan(
    'redis GET',
    { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis', 'db.operation': 'GET', 'db.redis.key': 'orders:order:6f1c2f4e-8a9b-4c1d-9e2f-3a4b5c6d7e8f' } },
    trace.setSpan(ROOT_CONTEXT, server),
  );
  redis.end();
  server.updateName('GET /v1/orders/:id');
  server.setAttribute('http.route', '/v1/orders/:id');
  server.setAttribute('http.response.status_code', 200);
  server.end();
}

describe('OTLP protobuf encoding: the bytes the SDK serializer writes', () => {
  test('a traced read (server span and its Redis child)', () => {
    const { tracer, spans } = sdkTracer();
    requestSpans(tracer);
    requestSpans(tracer);
    expect(encode(spans())).toEqual(reference(spans()));
  });

  test('every field: kinds, attribute types, events, exceptions, links, status, remote parents, trace state, schema URLs', () => {
    const { tracer, spans } = sdkTracer({ schemaUrl: 'https://opentelemetry.io/schemas/1.30.0', resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.29.0' });
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState('vendor=abc,other=1'),
    });
    const attributes: Attributes = {
      ascii: 'plain',
      empty: '',
      accents: 'café crème',
      cjk: '注文',
      emoji: 'ok 👍',
      long: 'x'.repeat(300), // a length needing two varint bytes
      huge: 'y'.repeat(20_000), // three
      yes: true,
      no: false,
      zero: 0,
      small: 42,
      negative: -7,
      int32: 2 ** 31,
      uint32: 2 ** 32 + 5,
      big: 2 ** 53,
      bigNegative: -(2 ** 40),
      double: 1.5,
      negativeDouble: -0.25,
      infinite: Number.POSITIVE_INFINITY,
      strings: ['a', 'b', ''],
      numbers: [1, 2.5, -3],
      booleans: [true, false],
      withNulls: ['a', null, 'c'],
      emptyArray: [],
    };
    for (const kind of [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]) {
      const span = tracer.startSpan(`span ${kind} é`, { kind, attributes }, remote);
      span.addEvent('plain event');
      span.addEvent('event with attributes', { 'event.key': 'v', count: 3 });
      span.recordException(new TypeError('bad input'));
      span.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.NONE } });
      span.addLink({
        context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: createTraceState('k=v') },
        attributes: { 'link.key': 1 },
      });
      if (kind === SpanKind.CLIENT) span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
      if (kind === SpanKind.SERVER) span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    }
    const root = tracer.startSpan('root, no parent', { kind: SpanKind.INTERNAL }, ROOT_CONTEXT);
    root.end();
    expect(spans()).toHaveLength(6);
    expect(encode(spans())).toEqual(reference(spans()));
  });

  test('dropped attribute, event and link counts are carried', () => {
    const memory = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({
      spanLimits: { attributeCountLimit: 2, eventCountLimit: 1, linkCountLimit: 1 },
      spanProcessors: [new SimpleSpanProcessor(memory)],
    }).getTracer('limits');
    const span = tracer.startSpan('limited', { attributes: { a: 1, b: 2, c: 3 } });
    span.addEvent('one');
    span.addEvent('two');
    span.addLinks([
      { context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 } },
      { context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 } },
    ]);
    span.end();
    const finished = memory.getFinishedSpans() as ReadableSpan[];
    expect([finished[0]!.droppedAttributesCount, finished[0]!.droppedEventsCount, finished[0]!.droppedLinksCount]).toEqual([1, 1, 1]);
    expect(encode(finished)).toEqual(reference(finished));
  });

  test('a chunk that starts small grows without changing a byte', () => {
    const { tracer, spans } = sdkTracer();
    for (let i = 0; i < 50; i++) requestSpans(tracer);
    expect(encode(spans(), 16)).toEqual(reference(spans()));
  });

  test('any attribute values (property-based, against the SDK serializer)', () => {
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 50 }), // includes lone surrogates
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.maxSafeInteger(),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }),
      fc.array(fc.double(), { maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), value, { maxKeys: 12 }), fc.string({ maxLength: 100 }), (attributes, name) => {
        const { tracer, spans } = sdkTracer();
        tracer.startSpan(name, { attributes }).end();
        expect(encode(spans())).toEqual(reference(spans()));
      }),
      { numRuns: 300 },
    );
  });

  test('the writer: varints, lengths widened in place, fixed-width numbers', () => {
    const w = new ProtoWriter(1);
    w.uint32(0);
    w.uint32(300);
    w.int64(-1);
    w.int64(2 ** 40);
    const message = w.startMessage();
    w.string('z'.repeat(200));
    w.endMessage(message);
    w.fixed64(1, 2);
    w.double(0.5);
    const bytes = w.buf.subarray(0, w.pos);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x00, 0xac, 0x02]));
    expect(bytes.subarray(3, 13)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(bytes.subarray(13, 19)).toEqual(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]));
    // message length 202 (string length 200 as 2 bytes + 200 bytes): two length bytes, the content moved by one
    expect(bytes.subarray(19, 23)).toEqual(Buffer.from([0xca, 0x01, 0xc8, 0x01]));
    expect(bytes.subarray(223, 231)).toEqual(Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]));
    expect(bytes.readDoubleLE(231)).toBe(0.5);
    expect(w.pos).toBe(239);
  });

  test('the writer: ids as their bytes from hex in either case; strings as UTF-8 at every length around the one-byte length', () => {
    const id = '0123456789abcdefABCDEF00ff7f8090';
    const w = new ProtoWriter(1);
    w.hexBytes(id);
    expect(Buffer.from(w.buf.subarray(0, w.pos))).toEqual(Buffer.concat([Buffer.from([16]), Buffer.from(id, 'hex')]));
    for (const text of ['a'.repeat(127), 'a'.repeat(128), `${'a'.repeat(126)}é`, `é${'a'.repeat(20)}`, 'route /v1/orders/:id']) {
      const s = new ProtoWriter(1);
      s.string(text);
      const utf8 = Buffer.from(text, 'utf8');
      const length = utf8.length < 128 ? Buffer.from([utf8.length]) : Buffer.from([(utf8.length & 0x7f) | 0x80, utf8.length >>> 7]);
      expect(Buffer.from(s.buf.subarray(0, s.pos))).toEqual(Buffer.concat([length, utf8]));
    }
  });
});

/** A provider of the service's tracer whose finished spans are kept. */
function recordingTracer(rootSamplingRatio = 1) {
  const finished: FinishedSpan[] = [];
  const sink: FinishedSpanSink = { onEnd: (span) => void finished.push(span), forceFlush: async () => undefined, shutdown: async () => undefined };
  const provider = new RecordingTracerProvider({ resource: RESOURCE, rootSamplingRatio, sink });
  return { provider, tracer: provider.getTracer('sample-service', '1.0.0'), finished };
}

/** What a finished span records, without its ids and times (which differ between two tracers by nature). */
function recorded(span: FinishedSpan) {
  return {
    name: span.name,
    kind: span.kind,
    hasParent: span.parentSpanContext !== undefined,
    parentIsRemote: span.parentSpanContext?.isRemote,
    traceFlags: span.spanContext().traceFlags,
    traceState: span.spanContext().traceState?.serialize(),
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    // Stack traces differ by the line of the call; their presence is what is compared.
    events: span.events.map((e) => ({
      name: e.name,
      attributes: e.attributes?.['exception.stacktrace'] === undefined ? e.attributes : { ...e.attributes, 'exception.stacktrace': 'present' },
      droppedAttributesCount: e.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    // Links to spans of the test's own making keep their ids; a link to a span of the tracer under test does not.
    links: span.links.map((l) => ({ id: l.context.traceId === 'a'.repeat(32) ? l.context.spanId : 'generated', traceFlags: l.context.traceFlags, attributes: l.attributes })),
    droppedLinksCount: span.droppedLinksCount,
    status: span.status,
    resource: span.resource.attributes,
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}

describe('the service tracer records what the SDK tracer records', () => {
  /** The same calls, made on any API tracer. */
  function exercise(tracer: { startSpan: (name: string, options?: object, ctx?: typeof ROOT_CONTEXT) => Span }): void {
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState('vendor=abc'),
    });
    const server = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', invalid: { nested: true } as never } }, remote);
    server.setAttribute('', 'empty key is refused');
    server.setAttribute('mixed', [1, 'two'] as never); // not a valid (homogeneous) array value
    server.setAttribute('nothing', undefined as never);
    server.setAttributes({ a: 1, b: 'two', c: [true, false] });
    server.setAttribute('a', 10); // overwrite: still one attribute
    const child = tracer.startSpan('redis GET', { kind: SpanKind.CLIENT, links: [{ context: server.spanContext(), attributes: { why: 'test', bad: {} as never } }] }, trace.setSpan(ROOT_CONTEXT, server));
    child.addEvent('retry', { attempt: 2 });
    child.recordException(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
    child.recordException('a plain message');
    child.recordException({} as Error); // nothing to record
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
    child.end();
    child.setAttribute('after', 'end'); // ignored
    server.setStatus({ code: SpanStatusCode.OK });
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' }); // OK is final
    server.updateName('GET /v1/orders/:id');
    server.end();
    const many = tracer.startSpan('limits', {}, ROOT_CONTEXT);
    for (let i = 0; i < 130; i++) many.setAttribute(`k${i}`, i);
    for (let i = 0; i < 130; i++) many.addEvent(`e${i}`);
    for (let i = 0; i < 130; i++) many.addLink({ context: { traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), traceFlags: 1 } });
    many.end();
  }

  test('attributes, validation, limits, events, exceptions, links, status rules, names, parents, trace state', () => {
    const sdk = sdkTracer();
    exercise(sdk.tracer);
    const ours = recordingTracer();
    exercise(ours.tracer);
    expect(ours.finished.map(recorded)).toEqual(sdk.spans().map(recorded));
    const [child, server] = ours.finished;
    expect(server!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7'); // the remote parent
    expect(server!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
  });

  test('its spans encode as the SDK serializer encodes the SDK spans, ids and times aside', () => {
    const sdk = sdkTracer();
    requestSpans(sdk.tracer);
    const ours = recordingTracer();
    requestSpans(ours.tracer as never);
    // Give our spans the SDK spans' ids and times: then the whole request must be identical.
    const aligned = ours.finished.map((span, i) => {
      const theirs = sdk.spans()[i]!;
      return Object.assign(Object.create(span) as FinishedSpan, {
        spanContext: () => theirs.spanContext(),
        parentSpanContext: theirs.parentSpanContext,
        startTime: theirs.startTime,
        endTime: theirs.endTime,
      });
    });
    expect(encode(aligned)).toEqual(reference(sdk.spans()));
  });

  test('sampling: parent-based, SERVER roots recorded (pre-sampled by the caller), other roots by ratio', () => {
    const { tracer, finished } = recordingTracer(0);
    const parent = (flags: number) => trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: flags, isRemote: true });
    const sampled = tracer.startSpan('child of sampled', { kind: SpanKind.SERVER }, parent(TraceFlags.SAMPLED));
    const unsampled = tracer.startSpan('child of unsampled', { kind: SpanKind.SERVER }, parent(TraceFlags.NONE));
    const server = tracer.startSpan('server root', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const client = tracer.startSpan('client root, ratio 0', { kind: SpanKind.CLIENT }, ROOT_CONTEXT);
    const underUnsampled = tracer.startSpan('under an unsampled span', {}, trace.setSpan(ROOT_CONTEXT, unsampled));
    const invalidParent = tracer.startSpan('invalid parent: a root', { kind: SpanKind.CLIENT }, trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }));
    const suppressed = tracer.startSpan('suppressed', { kind: SpanKind.SERVER }, suppressTracing(ROOT_CONTEXT));
    expect([sampled, unsampled, server, client, underUnsampled, invalidParent, suppressed].map((s) => s.isRecording())).toEqual([true, false, true, false, false, false, false]);
    expect(unsampled.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736'); // the caller's trace goes on in the logs
    expect(underUnsampled.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(suppressed.spanContext()).toEqual(trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }).spanContext());
    for (const span of [sampled, unsampled, server, client, underUnsampled, invalidParent]) span.end();
    expect(finished.map((s) => s.name)).toEqual(['child of sampled', 'server root']);
    const all = recordingTracer(1);
    const root = all.tracer.startSpan('client root, ratio 1', { kind: SpanKind.CLIENT }, ROOT_CONTEXT);
    expect(root.isRecording()).toBe(true);
    expect(root.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
  });

  test('ids: W3C lowercase hex from a CSPRNG, unique', () => {
    const { tracer } = recordingTracer();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const sc = tracer.startSpan('id', {}, ROOT_CONTEXT).spanContext();
      expect(sc.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(sc.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(trace.isSpanContextValid(sc)).toBe(true);
      traceIds.add(sc.traceId);
      spanIds.add(sc.spanId);
    }
    expect([traceIds.size, spanIds.size]).toEqual([5_000, 5_000]);
  });

  test('times: wall clock at start, monotonic duration, explicit times honoured, end only once', async () => {
    const { tracer, finished } = recordingTracer();
    const before = Date.now();
    const span = tracer.startSpan('timed', {}, ROOT_CONTEXT);
    await new Promise((resolve) => setTimeout(resolve, 20));
    span.end();
    span.end(); // a second end is ignored (and reported through diag)
    const [s] = finished;
    expect(finished).toHaveLength(1);
    const ms = (t: readonly [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(s!.startTime)).toBeGreaterThanOrEqual(before - 1);
    expect(ms(s!.startTime)).toBeLessThanOrEqual(Date.now());
    expect(ms(s!.endTime) - ms(s!.startTime)).toBeGreaterThanOrEqual(15);
    const explicit = tracer.startSpan('explicit', { startTime: new Date(1_700_000_000_000) }, ROOT_CONTEXT);
    explicit.end([1_700_000_001, 500]);
    expect([finished[1]!.startTime, finished[1]!.endTime]).toEqual([
      [1_700_000_000, 0],
      [1_700_000_001, 500],
    ]);
    const backwards = tracer.startSpan('end before start', { startTime: [1_700_000_010, 0] }, ROOT_CONTEXT);
    backwards.end([1_700_000_000, 0]);
    expect(finished[2]!.endTime).toEqual([1_700_000_010, 0]); // never a negative duration
  });

  test('startActiveSpan runs the callback with the span active, and providers hand out one tracer per scope', () => {
    const { provider, tracer } = recordingTracer();
    const seen = tracer.startActiveSpan('active', { kind: SpanKind.INTERNAL }, ROOT_CONTEXT, (span) => {
      span.end();
      return span.isRecording() ? 'still recording' : 'ended';
    });
    expect(seen).toBe('ended');
    expect(tracer.startActiveSpan('no options', (span) => span.spanContext().traceFlags)).toBe(TraceFlags.SAMPLED);
    expect(provider.getTracer('sample-service', '1.0.0')).toBe(tracer);
    expect(provider.getTracer('other')).not.toBe(tracer);
  });
});
