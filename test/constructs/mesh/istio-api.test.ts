import { App, Chart } from 'cdk8s';
import {
  AuthorizationPolicy,
  DestinationRule,
  Gateway,
  PeerAuthentication,
  ServiceEntry,
  Sidecar,
  Telemetry,
  VirtualService,
  serviceAccountPrincipal,
} from '../../../constructs/mesh';
import { validateAgainstSchema, type KubernetesObject } from '../../support/manifests';

/** Every typed Istio kind, filled with every field the platform uses, checked against the upstream CRD schemas. */
function everyKind(): KubernetesObject[] {
  const chart = new Chart(new App(), 'Istio');
  const metadata = (name: string) => ({ name, namespace: 'orders' });
  new PeerAuthentication(chart, 'Pa', { metadata: metadata('strict'), spec: { selector: { matchLabels: { app: 'orders' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'STRICT' } } } });
  new AuthorizationPolicy(chart, 'Deny', { metadata: metadata('allow-nothing'), spec: {} });
  new AuthorizationPolicy(chart, 'Allow', {
    metadata: metadata('allow-gateway'),
    spec: {
      selector: { matchLabels: { app: 'orders' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: [serviceAccountPrincipal('istio-ingress', 'istio-ingress-gateway')], namespaces: ['istio-ingress'] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET', 'POST'], paths: ['/v1/*'] } }],
        when: [{ key: 'request.headers[x-tenant]', values: ['a'] }],
      }],
    },
  });
  new ServiceEntry(chart, 'Se', {
    metadata: metadata('aws-sts'),
    spec: {
      hosts: ['sts.eu-west-1.amazonaws.com'],
      ports: [{ number: 443, protocol: 'TLS', name: 'tls-443' }],
      location: 'MESH_EXTERNAL',
      resolution: 'DNS',
      exportTo: ['*'],
    },
  });
  new ServiceEntry(chart, 'SeStatic', {
    metadata: metadata('pod-identity-agent'),
    spec: {
      hosts: ['eks-pod-identity-agent.local'],
      addresses: ['169.254.170.23/32'],
      ports: [{ number: 80, protocol: 'HTTP', name: 'http-80' }],
      location: 'MESH_EXTERNAL',
      resolution: 'STATIC',
      endpoints: [{ address: '169.254.170.23' }],
    },
  });
  new Gateway(chart, 'Gw', {
    metadata: metadata('ingress'),
    spec: {
      selector: { istio: 'ingress-gateway' },
      servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['*/*.example.com'], tls: { mode: 'SIMPLE', credentialName: 'tls', minProtocolVersion: 'TLSV1_2' } }],
    },
  });
  new VirtualService(chart, 'Vs', {
    metadata: metadata('orders'),
    spec: {
      hosts: ['orders.example.com'],
      gateways: ['istio-ingress/ingress', 'mesh'],
      http: [{
        name: 'primary',
        match: [{ uri: { prefix: '/v1/' }, headers: { 'x-canary': { exact: 'true' } } }],
        route: [
          { destination: { host: 'orders.orders.svc.cluster.local', subset: 'stable', port: { number: 8080 } }, weight: 90 },
          { destination: { host: 'orders.orders.svc.cluster.local', subset: 'canary', port: { number: 8080 } }, weight: 10 },
        ],
        timeout: '10s',
        retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx,reset,connect-failure' },
        headers: { response: { set: { 'strict-transport-security': 'max-age=31536000' } } },
      }],
    },
  });
  new DestinationRule(chart, 'Dr', {
    metadata: metadata('orders'),
    spec: {
      host: 'orders.orders.svc.cluster.local',
      trafficPolicy: {
        tls: { mode: 'ISTIO_MUTUAL' },
        loadBalancer: { simple: 'LEAST_REQUEST' },
        connectionPool: { tcp: { maxConnections: 100, connectTimeout: '2s' }, http: { http2MaxRequests: 1000, maxRetries: 3, idleTimeout: '60s' } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      },
      subsets: [{ name: 'stable', labels: { 'rollouts-pod-template-hash': 'a' } }, { name: 'canary', labels: { 'rollouts-pod-template-hash': 'b' } }],
    },
  });
  new Sidecar(chart, 'Sc', { metadata: metadata('default'), spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
  new Telemetry(chart, 'TelMesh', { metadata: { name: 'mesh-default', namespace: 'istio-system' }, spec: { tracing: [{ providers: [{ name: 'otel-tracing' }], randomSamplingPercentage: 12.5 }] } });
  new Telemetry(chart, 'TelWorkload', {
    metadata: metadata('no-span-reporting'),
    spec: { selector: { matchLabels: { app: 'orders' } }, tracing: [{ disableSpanReporting: true, match: { mode: 'SERVER' } }] },
  });
  return chart.toJson() as KubernetesObject[];
}

describe('typed Istio objects', () => {
  const objects = everyKind();

  test('cover every kind the platform uses', () => {
    expect(objects.map((o) => `${o.apiVersion}/${o.kind}`).sort()).toEqual([
      'networking.istio.io/v1/DestinationRule',
      'networking.istio.io/v1/Gateway',
      'networking.istio.io/v1/ServiceEntry',
      'networking.istio.io/v1/ServiceEntry',
      'networking.istio.io/v1/Sidecar',
      'networking.istio.io/v1/VirtualService',
      'security.istio.io/v1/AuthorizationPolicy',
      'security.istio.io/v1/AuthorizationPolicy',
      'security.istio.io/v1/PeerAuthentication',
      'telemetry.istio.io/v1/Telemetry',
      'telemetry.istio.io/v1/Telemetry',
    ]);
  });

  test.each(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))('%s matches the upstream Istio schema', (_, object) => {
    expect(() => validateAgainstSchema(object)).not.toThrow();
  });

  test('an allow-nothing policy keeps its empty spec', () => {
    expect(objects.find((o) => o.metadata.name === 'allow-nothing')).toEqual({
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'orders' }, spec: {},
    });
  });

  test('a service account principal is the SPIFFE-style mesh identity', () => {
    expect(serviceAccountPrincipal('orders', 'orders-api')).toBe('cluster.local/ns/orders/sa/orders-api');
  });
});
