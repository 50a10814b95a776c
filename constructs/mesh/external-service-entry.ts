import { Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { describeValue, isDns1123Label } from '../core/validation';
import { ServiceEntry, type ServiceEntryEndpoint, type ServiceEntryResolution, type ServiceProtocol } from './istio-api';

/** One port of a destination outside the mesh. */
export interface ExternalServicePort {
  /** Port number on the destination. */
  readonly port: number;
  /** `TLS` for anything encrypted end to end by the client (AWS APIs, Postgres/Redis with TLS). @default 'TLS' */
  readonly protocol?: ServiceProtocol;
}

/** A destination outside the mesh that workloads may call (REGISTRY_ONLY blocks every other). */
export interface ExternalServiceOptions {
  /** Object name (DNS-1123). */
  readonly name: string;
  /** Namespace of the entry: a workload's own, or the mesh root namespace for everyone. */
  readonly namespace: string;
  /** DNS names, e.g. `['orders.cluster-abc.eu-west-1.rds.amazonaws.com']`. */
  readonly hosts: string[];
  /** Ports the workloads may call (at least one). */
  readonly ports: ExternalServicePort[];
  /**
   * How the proxy finds the destination's IPs: `DNS` for names, `STATIC` with `endpoints`
   * (and `addresses`) for fixed IPs.
   * @default 'DNS'
   */
  readonly resolution?: ServiceEntryResolution;
  /** Virtual IPs/CIDRs, e.g. `['169.254.170.23/32']`. @default - none */
  readonly addresses?: string[];
  /** Fixed endpoints (STATIC resolution). @default - none */
  readonly endpoints?: ServiceEntryEndpoint[];
  /** Namespaces that see the entry. @default ['.'] - only its own namespace */
  readonly exportTo?: string[];
}


/**
 * A `ServiceEntry` for a destination outside the mesh (location `MESH_EXTERNAL`), with port
 * names derived from protocol and number. With `outboundTrafficPolicy: REGISTRY_ONLY` the
 * sidecar drops traffic to any host not in the registry, so each workload declares its
 * external dependencies (database, cache) with one of these, exported to its own namespace only.
 */
export class ExternalServiceEntry extends ServiceEntry {
  constructor(scope: Construct, id: string, options: ExternalServiceOptions) {
    validateExternalService(options);
    const resolution = options.resolution ?? 'DNS';
    super(scope, id, {
      metadata: { name: options.name, namespace: options.namespace },
      spec: {
        hosts: options.hosts,
        addresses: options.addresses,
        ports: options.ports.map(({ port, protocol = 'TLS' }) => ({ number: port, protocol, name: `${protocol.toLowerCase()}-${port}` })),
        location: 'MESH_EXTERNAL',
        resolution,
        endpoints: options.endpoints,
        exportTo: options.exportTo ?? ['.'],
      },
    });
  }
}

function validateExternalService(options: ExternalServiceOptions): void {
  const fail = (message: string): never => {
    throw new Error(`ExternalServiceEntry ${Token.isUnresolved(options.name) ? describeValue(options.name) : options.name}: ${message}`);
  };
  if (!isDns1123Label(options.name)) fail(`name ${describeValue(options.name)} is not a DNS-1123 label. Fix: use lowercase letters, digits and dashes.`);
  if (options.hosts.length === 0) fail('hosts is empty. Fix: list the DNS names the workload calls.');
  if (options.ports.length === 0) fail('ports is empty. Fix: list the ports the workload calls.');
  for (const { port } of options.ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`port ${describeValue(port)} is not a TCP port (1-65535).`);
  }
  if ((options.resolution ?? 'DNS') === 'STATIC' && !options.endpoints?.length) fail('resolution STATIC needs endpoints. Fix: list the endpoint addresses.');
}
