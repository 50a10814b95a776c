import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';
import type { Construct } from 'constructs';

/**
 * Typed cdk8s objects for the Istio kinds the platform uses, written like `cdk8s import`
 * output (typed props, no `any`) so constructs need no ESM-only model package. The shapes
 * follow the Istio v1 CRD schemas and are proven against `@kubernetes-models/istio` in
 * test/constructs/mesh/istio-api.test.ts.
 *
 * Deliberately narrower than upstream where upstream allows weakening the mesh: mTLS modes
 * are `STRICT` or `UNSET` only (no `PERMISSIVE`/`DISABLE`), a DestinationRule cannot turn
 * TLS off (`DISABLE`), and a Sidecar's outbound policy can only be `REGISTRY_ONLY`.
 */

// --- Shared -------------------------------------------------------------------------------

/** Selects workloads (pods) by label, in the policy's namespace. */
export interface WorkloadSelector {
  /** Labels a pod must carry to be selected. */
  readonly matchLabels: Record<string, string>;
}

/** A string matched exactly, by prefix or by RE2 regex (set exactly one). */
export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

/** A port on a service: by number. */
export interface PortSelector {
  readonly number: number;
}

/** Metadata of an Istio object: name is required, namespace should be set. */
export interface IstioObjectMetadata extends ApiObjectMetadata {
  readonly name: string;
}

// --- security.istio.io/v1 PeerAuthentication ------------------------------------------------

/** mTLS modes this platform allows. `PERMISSIVE` and `DISABLE` are not offered on purpose. */
export type MutualTlsMode = 'STRICT' | 'UNSET';

export interface PeerAuthenticationSpec {
  /** @default - every workload in the namespace (mesh-wide in the root namespace) */
  readonly selector?: WorkloadSelector;
  readonly mtls?: { readonly mode: MutualTlsMode };
  /** Per-port overrides (only with a selector). Keys are port numbers. */
  readonly portLevelMtls?: Record<string, { readonly mode: MutualTlsMode }>;
}

export interface PeerAuthenticationProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: PeerAuthenticationSpec;
}

/** Which traffic a workload accepts: with `STRICT`, only mutual TLS from mesh identities. */
export class PeerAuthentication extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' };

  constructor(scope: Construct, id: string, props: PeerAuthenticationProps) {
    super(scope, id, { ...PeerAuthentication.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- security.istio.io/v1 AuthorizationPolicy -----------------------------------------------

export type AuthorizationPolicyAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

/** Who sends a request. Principals are SPIFFE-style `cluster.local/ns/<ns>/sa/<sa>`. */
export interface AuthorizationSource {
  readonly principals?: string[];
  readonly notPrincipals?: string[];
  readonly requestPrincipals?: string[];
  readonly notRequestPrincipals?: string[];
  readonly namespaces?: string[];
  readonly notNamespaces?: string[];
  readonly ipBlocks?: string[];
  readonly notIpBlocks?: string[];
  readonly remoteIpBlocks?: string[];
  readonly notRemoteIpBlocks?: string[];
}

/** What a request does. Ports are strings, as in the Istio API. */
export interface AuthorizationOperation {
  readonly hosts?: string[];
  readonly notHosts?: string[];
  readonly ports?: string[];
  readonly notPorts?: string[];
  readonly methods?: string[];
  readonly notMethods?: string[];
  readonly paths?: string[];
  readonly notPaths?: string[];
}

/** A condition on an Istio attribute, e.g. `{ key: 'request.headers[x-tenant]', values: ['a'] }`. */
export interface AuthorizationCondition {
  readonly key: string;
  readonly values?: string[];
  readonly notValues?: string[];
}

export interface AuthorizationRule {
  readonly from?: { readonly source: AuthorizationSource }[];
  readonly to?: { readonly operation: AuthorizationOperation }[];
  readonly when?: AuthorizationCondition[];
}

/** An empty spec (`{}`) allows nothing: the mesh-wide default deny. */
export interface AuthorizationPolicySpec {
  /** @default - every workload in the namespace (mesh-wide in the root namespace) */
  readonly selector?: WorkloadSelector;
  /** @default 'ALLOW' */
  readonly action?: AuthorizationPolicyAction;
  /** Extension provider of a `CUSTOM` action. */
  readonly provider?: { readonly name: string };
  /** No rules with ALLOW matches nothing (allow-nothing). */
  readonly rules?: AuthorizationRule[];
}

export interface AuthorizationPolicyProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: AuthorizationPolicySpec;
}

/** Access control on workloads; every allowed call is an explicit ALLOW naming its callers. */
export class AuthorizationPolicy extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' };

  constructor(scope: Construct, id: string, props: AuthorizationPolicyProps) {
    super(scope, id, { ...AuthorizationPolicy.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 ServiceEntry ----------------------------------------------------

export type ServiceProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'HTTP2' | 'MONGO' | 'TCP' | 'TLS';
export type ServiceEntryLocation = 'MESH_EXTERNAL' | 'MESH_INTERNAL';
export type ServiceEntryResolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

export interface ServicePort {
  readonly number: number;
  readonly protocol: ServiceProtocol;
  /** Unique within the entry, e.g. `https-443`. */
  readonly name: string;
  readonly targetPort?: number;
}

export interface ServiceEntryEndpoint {
  readonly address: string;
  readonly ports?: Record<string, number>;
  readonly labels?: Record<string, string>;
  readonly locality?: string;
  readonly weight?: number;
}

export interface ServiceEntrySpec {
  readonly hosts: string[];
  /** Virtual IPs/CIDRs of the service (needed for TCP to a fixed IP). */
  readonly addresses?: string[];
  readonly ports: ServicePort[];
  readonly location: ServiceEntryLocation;
  readonly resolution: ServiceEntryResolution;
  readonly endpoints?: ServiceEntryEndpoint[];
  /** Namespaces the entry is visible to; `.` = its own, `*` = all. */
  readonly exportTo?: string[];
  readonly subjectAltNames?: string[];
  readonly workloadSelector?: { readonly labels: Record<string, string> };
}

export interface ServiceEntryProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: ServiceEntrySpec;
}

/** Adds a destination to the mesh registry: with REGISTRY_ONLY, the only way out of the mesh. */
export class ServiceEntry extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry' };

  constructor(scope: Construct, id: string, props: ServiceEntryProps) {
    super(scope, id, { ...ServiceEntry.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 Gateway ---------------------------------------------------------

export type ServerTlsMode = 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
export type TlsProtocolVersion = 'TLS_AUTO' | 'TLSV1_2' | 'TLSV1_3';

export interface ServerTlsSettings {
  readonly mode: ServerTlsMode;
  /** Kubernetes TLS secret (in the gateway's namespace) holding the certificate and key. */
  readonly credentialName?: string;
  readonly minProtocolVersion?: TlsProtocolVersion;
  readonly maxProtocolVersion?: TlsProtocolVersion;
  readonly cipherSuites?: string[];
  readonly httpsRedirect?: boolean;
}

export interface GatewayServer {
  readonly port: ServicePort;
  readonly hosts: string[];
  readonly tls?: ServerTlsSettings;
  readonly name?: string;
}

export interface GatewaySpec {
  /** Labels of the gateway pods this configuration applies to. */
  readonly selector: Record<string, string>;
  readonly servers: GatewayServer[];
}

export interface GatewayProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: GatewaySpec;
}

/** Listeners of an Istio ingress gateway; VirtualServices bind to it as `<namespace>/<name>`. */
export class Gateway extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway' };

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id, { ...Gateway.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 VirtualService --------------------------------------------------

export interface Destination {
  /** Service name, preferably fully qualified (`orders.orders.svc.cluster.local`). */
  readonly host: string;
  readonly subset?: string;
  readonly port?: PortSelector;
}

export interface HeaderOperations {
  readonly set?: Record<string, string>;
  readonly add?: Record<string, string>;
  readonly remove?: string[];
}

export interface Headers {
  readonly request?: HeaderOperations;
  readonly response?: HeaderOperations;
}

export interface HttpRouteDestination {
  readonly destination: Destination;
  /** Percentage of traffic (0-100); weights of a route add up to 100. */
  readonly weight?: number;
  readonly headers?: Headers;
}

export interface HttpMatchRequest {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly scheme?: StringMatch;
  readonly method?: StringMatch;
  readonly authority?: StringMatch;
  readonly headers?: Record<string, StringMatch>;
  readonly withoutHeaders?: Record<string, StringMatch>;
  readonly queryParams?: Record<string, StringMatch>;
  readonly port?: number;
  readonly sourceLabels?: Record<string, string>;
  readonly sourceNamespace?: string;
  readonly gateways?: string[];
  readonly ignoreUriCase?: boolean;
}

export interface HttpRetry {
  readonly attempts: number;
  /** Duration such as `2s`. */
  readonly perTryTimeout?: string;
  /** Envoy retry conditions, e.g. `5xx,reset,connect-failure`. */
  readonly retryOn?: string;
  readonly retryRemoteLocalities?: boolean;
}

export interface HttpRewrite {
  readonly uri?: string;
  readonly authority?: string;
}

export interface HttpRedirect {
  readonly uri?: string;
  readonly authority?: string;
  readonly port?: number;
  readonly scheme?: string;
  readonly redirectCode?: number;
}

export interface HttpFaultInjection {
  readonly delay?: { readonly fixedDelay: string; readonly percentage?: { readonly value: number } };
  readonly abort?: { readonly httpStatus: number; readonly percentage?: { readonly value: number } };
}

export interface CorsPolicy {
  readonly allowOrigins?: StringMatch[];
  readonly allowMethods?: string[];
  readonly allowHeaders?: string[];
  readonly exposeHeaders?: string[];
  readonly maxAge?: string;
  readonly allowCredentials?: boolean;
}

export interface HttpRoute {
  readonly name?: string;
  readonly match?: HttpMatchRequest[];
  readonly route?: HttpRouteDestination[];
  readonly redirect?: HttpRedirect;
  readonly rewrite?: HttpRewrite;
  /** Duration such as `10s`. */
  readonly timeout?: string;
  readonly retries?: HttpRetry;
  readonly fault?: HttpFaultInjection;
  readonly mirror?: Destination;
  readonly mirrorPercentage?: { readonly value: number };
  readonly corsPolicy?: CorsPolicy;
  readonly headers?: Headers;
}

export interface RouteDestination {
  readonly destination: Destination;
  readonly weight?: number;
}

export interface TlsRoute {
  readonly match: { readonly sniHosts: string[]; readonly port?: number; readonly gateways?: string[] }[];
  readonly route?: RouteDestination[];
}

export interface TcpRoute {
  readonly match?: { readonly port?: number; readonly destinationSubnets?: string[]; readonly gateways?: string[] }[];
  readonly route?: RouteDestination[];
}

export interface VirtualServiceSpec {
  readonly hosts: string[];
  /** `<namespace>/<gateway>` names, plus `mesh` to also apply to sidecars. @default - mesh only */
  readonly gateways?: string[];
  readonly http?: HttpRoute[];
  readonly tls?: TlsRoute[];
  readonly tcp?: TcpRoute[];
  readonly exportTo?: string[];
}

export interface VirtualServiceProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: VirtualServiceSpec;
}

/** Routing rules for a host: weights for canaries, retries, timeouts, gateway binding. */
export class VirtualService extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' };

  constructor(scope: Construct, id: string, props: VirtualServiceProps) {
    super(scope, id, { ...VirtualService.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 DestinationRule -------------------------------------------------

export type SimpleLoadBalancer = 'UNSPECIFIED' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'LEAST_CONN';

/** Client TLS towards the destination. `DISABLE` is not offered: in-mesh traffic stays mTLS. */
export type ClientTlsMode = 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL';

export interface ClientTlsSettings {
  readonly mode: ClientTlsMode;
  /** SNI presented to the destination (SIMPLE/MUTUAL). */
  readonly sni?: string;
  readonly subjectAltNames?: string[];
  readonly credentialName?: string;
}

export interface ConnectionPoolSettings {
  readonly tcp?: {
    readonly maxConnections?: number;
    /** Duration such as `2s`. */
    readonly connectTimeout?: string;
    readonly maxConnectionDuration?: string;
    readonly tcpKeepalive?: { readonly time?: string; readonly interval?: string; readonly probes?: number };
  };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly http2MaxRequests?: number;
    readonly maxRequestsPerConnection?: number;
    readonly maxRetries?: number;
    readonly idleTimeout?: string;
    readonly maxConcurrentStreams?: number;
    readonly h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
  };
}

export interface OutlierDetection {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly consecutiveLocalOriginFailures?: number;
  readonly splitExternalLocalOriginErrors?: boolean;
  /** Duration such as `10s`. */
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

export interface PortTrafficPolicy {
  readonly port: PortSelector;
  readonly loadBalancer?: { readonly simple: SimpleLoadBalancer };
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: ClientTlsSettings;
}

export interface TrafficPolicy {
  readonly loadBalancer?: { readonly simple: SimpleLoadBalancer };
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: ClientTlsSettings;
  readonly portLevelSettings?: PortTrafficPolicy[];
}

export interface Subset {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: Subset[];
  readonly exportTo?: string[];
  readonly workloadSelector?: WorkloadSelector;
}

export interface DestinationRuleProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: DestinationRuleSpec;
}

/** Policies applied after routing: subsets (stable/canary), pools, outlier detection, client TLS. */
export class DestinationRule extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' };

  constructor(scope: Construct, id: string, props: DestinationRuleProps) {
    super(scope, id, { ...DestinationRule.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 Sidecar ---------------------------------------------------------

export interface IstioEgressListener {
  /** `<namespace>/<host>` entries, e.g. `./*`, `istio-system/*`. */
  readonly hosts: string[];
  readonly port?: ServicePort;
  readonly bind?: string;
}

export interface SidecarSpec {
  readonly workloadSelector?: { readonly labels: Record<string, string> };
  readonly egress?: IstioEgressListener[];
  /** Only `REGISTRY_ONLY` is offered: a Sidecar cannot reopen egress to unknown hosts. */
  readonly outboundTrafficPolicy?: { readonly mode: 'REGISTRY_ONLY' };
}

export interface SidecarProps {
  readonly metadata: IstioObjectMetadata;
  readonly spec: SidecarSpec;
}

/** Scopes what a namespace's (or workload's) sidecars can reach and must know about. */
export class Sidecar extends ApiObject {
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar' };

  constructor(scope: Construct, id: string, props: SidecarProps) {
    super(scope, id, { ...Sidecar.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- helpers --------------------------------------------------------------------------------

/** The mesh identity of a Kubernetes service account: `cluster.local/ns/<ns>/sa/<sa>`. */
export function serviceAccountPrincipal(namespace: string, serviceAccount: string, trustDomain = 'cluster.local'): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
