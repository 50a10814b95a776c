import { App, Chart } from 'cdk8s';
import { ExternalServiceEntry, type ExternalServiceOptions } from '../../../constructs/mesh';
import { validateAgainstSchema, type KubernetesObject } from '../../support/manifests';

const render = (options: ExternalServiceOptions) => {
  const chart = new Chart(new App(), 'C');
  new ExternalServiceEntry(chart, 'E', options);
  return chart.toJson()[0] as KubernetesObject;
};

describe('ExternalServiceEntry', () => {
  test('a database endpoint: MESH_EXTERNAL, DNS, TLS port, visible to its own namespace only', () => {
    // GIVEN a workload's Postgres endpoint WHEN rendered
    const entry = render({ name: 'orders-postgres', namespace: 'orders', hosts: ['db.cluster-abc.eu-west-1.rds.amazonaws.com'], ports: [{ port: 5432 }] });
    // THEN
    expect(entry).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'orders-postgres', namespace: 'orders' },
      spec: {
        hosts: ['db.cluster-abc.eu-west-1.rds.amazonaws.com'],
        ports: [{ number: 5432, protocol: 'TLS', name: 'tls-5432' }],
        location: 'MESH_EXTERNAL',
        resolution: 'DNS',
        exportTo: ['.'],
      },
    });
    validateAgainstSchema(entry);
  });

  test('a fixed address with STATIC resolution', () => {
    const entry = render({ name: 'agent', namespace: 'istio-system', hosts: ['agent.internal'], addresses: ['169.254.170.23/32'], ports: [{ port: 80, protocol: 'TCP' }], resolution: 'STATIC', endpoints: [{ address: '169.254.170.23' }], exportTo: ['*'] });
    expect(entry.spec).toMatchObject({ addresses: ['169.254.170.23/32'], resolution: 'STATIC', endpoints: [{ address: '169.254.170.23' }], ports: [{ name: 'tcp-80' }] });
    validateAgainstSchema(entry);
  });

  test.each<[string, Partial<ExternalServiceOptions>, string]>([
    ['a bad name', { name: 'Orders_DB' }, 'ExternalServiceEntry Orders_DB: name "Orders_DB" is not a DNS-1123 label. Fix: use lowercase letters, digits and dashes.'],
    ['no hosts', { hosts: [] }, 'ExternalServiceEntry db: hosts is empty. Fix: list the DNS names the workload calls.'],
    ['no ports', { ports: [] }, 'ExternalServiceEntry db: ports is empty. Fix: list the ports the workload calls.'],
    ['a bad port', { ports: [{ port: 70000 }] }, 'ExternalServiceEntry db: port 70000 is not a TCP port (1-65535).'],
    ['STATIC without endpoints', { resolution: 'STATIC' }, 'ExternalServiceEntry db: resolution STATIC needs endpoints. Fix: list the endpoint addresses.'],
  ])('rejects %s', (_name, options, message) => {
    expect(() => render({ name: 'db', namespace: 'orders', hosts: ['db.example.com'], ports: [{ port: 5432 }], ...options })).toThrow(message);
  });
});
