import { ENVIRONMENT_DEFAULTS, resolvePlatformConfig, type PlatformConfigOverrides } from '../../../lib/config';

describe('mesh and namespace defaults', () => {
  test.each(Object.keys(ENVIRONMENT_DEFAULTS))('%s: internal gateway, HA mesh, an "orders" namespace with a quota', (env) => {
    const config = resolvePlatformConfig(env);
    expect(config.mesh.ingress).toMatchObject({ scheme: 'internal', allowedCidrs: [] });
    expect(config.mesh.gatewayReplicas.min).toBeGreaterThanOrEqual(2);
    expect(config.mesh.istiodReplicas.min).toBeGreaterThanOrEqual(2);
    expect(config.cluster.namespaces.map((n) => n.name)).toEqual(['orders']);
  });

  test('prod runs at least three replicas of istiod and the gateway (one per AZ)', () => {
    const { mesh } = resolvePlatformConfig('prod');
    expect(mesh.gatewayReplicas.min).toBeGreaterThanOrEqual(3);
    expect(mesh.istiodReplicas.min).toBeGreaterThanOrEqual(3);
  });

  test('an internet-facing gateway with an allow-list and an ACM certificate is accepted', () => {
    expect(() => resolvePlatformConfig('dev', {
      mesh: { ingress: { scheme: 'internet-facing', allowedCidrs: ['203.0.113.0/24'], certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555', hosts: ['orders.example.com'] } },
    })).not.toThrow();
  });
});

describe('mesh and namespace config errors name the setting, the value and the fix', () => {
  const quota = { cpu: 4, memoryGiB: 8, pods: 20 };
  test.each<[string, PlatformConfigOverrides, string]>([
    ['namespace name not DNS-1123', { cluster: { namespaces: [{ name: 'Orders_1', quota }] } },
      'cluster.namespaces["Orders_1"].name is "Orders_1": must be a DNS-1123 label (up to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit). Fix: use a name such as "orders" (in cdk.json context "platform" -> "dev" or with -c).'],
    ['namespace name of 64 characters', { cluster: { namespaces: [{ name: 'o'.repeat(64), quota }] } },
      `cluster.namespaces["${'o'.repeat(64)}"].name is "${'o'.repeat(64)}": must be a DNS-1123 label (up to 63 lowercase letters`],
    ['namespace name ending in a dash', { cluster: { namespaces: [{ name: 'orders-', quota }] } },
      'cluster.namespaces["orders-"].name is "orders-": must be a DNS-1123 label'],
    ['kube- namespace', { cluster: { namespaces: [{ name: 'kube-public', quota }] } },
      'cluster.namespaces["kube-public"].name is "kube-public": is reserved for the platform ("default", "kube-*", "istio-*"). Fix: choose another name, such as "orders"'],
    ['istio- namespace', { cluster: { namespaces: [{ name: 'istio-ingress', quota }] } },
      'cluster.namespaces["istio-ingress"].name is "istio-ingress": is reserved for the platform'],
    ['default namespace', { cluster: { namespaces: [{ name: 'default', quota }] } },
      'cluster.namespaces["default"].name is "default": is reserved for the platform'],
    ['duplicate namespace', { cluster: { namespaces: [{ name: 'orders', quota }, { name: 'orders', quota }] } },
      'cluster.namespaces["orders"].name is "orders": is listed twice. Fix: list each namespace once'],
    ['zero CPU quota', { cluster: { namespaces: [{ name: 'orders', quota: { ...quota, cpu: 0 } }] } },
      'cluster.namespaces["orders"].quota.cpu is 0: must be 0.1 to 512 cores in steps of 0.1. Fix: set it to e.g. 4'],
    ['fractional memory quota', { cluster: { namespaces: [{ name: 'orders', quota: { ...quota, memoryGiB: 0.5 } }] } },
      'cluster.namespaces["orders"].quota.memoryGiB is 0.5: must be a whole number of GiB from 1 to 4096'],
    ['no pods', { cluster: { namespaces: [{ name: 'orders', quota: { ...quota, pods: 0 } }] } },
      'cluster.namespaces["orders"].quota.pods is 0: must be a whole number from 1 to 1000'],
    ['unknown ingress scheme', { mesh: { ingress: { scheme: 'public' as never } } },
      'mesh.ingress.scheme is "public": must be one of internal, internet-facing. Fix: set mesh.ingress.scheme to "internal"'],
    ['internet-facing without allow-list', { mesh: { ingress: { scheme: 'internet-facing' } } },
      'mesh.ingress.allowedCidrs is []: must list the client CIDRs allowed to reach an internet-facing gateway (an empty list would open it to the internet)'],
    ['internet-facing open to the world', { mesh: { ingress: { scheme: 'internet-facing', allowedCidrs: ['0.0.0.0/0'] } } },
      'mesh.ingress.allowedCidrs is "0.0.0.0/0": opens the gateway to too wide a range (0.0.0.0/0 or anything wider than /8 is refused)'],
    ['malformed CIDR', { mesh: { ingress: { scheme: 'internet-facing', allowedCidrs: ['203.0.113.1/24'] } } },
      'mesh.ingress.allowedCidrs is "203.0.113.1/24": is not a valid IPv4 CIDR'],
    ['CIDRs on an internal gateway', { mesh: { ingress: { allowedCidrs: ['203.0.113.0/24'] } } },
      'mesh.ingress.allowedCidrs is ["203.0.113.0/24"]: must be empty when mesh.ingress.scheme is "internal"'],
    ['certificate that is not an ACM ARN', { mesh: { ingress: { certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' } } },
      'mesh.ingress.certificateArn is "arn:aws:iam::123456789012:server-certificate/x": must be an ACM certificate ARN'],
    ['no hosts', { mesh: { ingress: { hosts: [] } } },
      'mesh.ingress.hosts is []: must list host names such as "orders.example.com" or "*.example.com" (or "*")'],
    ['one gateway replica', { mesh: { gatewayReplicas: { min: 1, max: 3 } } },
      'mesh.gatewayReplicas is {"min":1,"max":3}: needs whole numbers with 2 <= min <= max <= 20'],
    ['istiod min above max', { mesh: { istiodReplicas: { min: 5, max: 3 } } },
      'mesh.istiodReplicas is {"min":5,"max":3}: needs whole numbers with 2 <= min <= max <= 20'],
  ])('%s', (_name, overrides, expected) => {
    expect(() => resolvePlatformConfig('dev', overrides)).toThrow(expected);
  });
});
