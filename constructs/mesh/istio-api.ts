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
  /** @default - unset (set exactly one of exact, prefix, regex) */
  readonly exact?: string;
  /** @default - unset (set exactly one of exact, prefix, regex) */
  readonly prefix?: string;
  /** @default - unset (set exactly one of exact, prefix, regex) */
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
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly mtls?: { readonly mode: MutualTlsMode };
  /**
   * Per-port overrides (only with a selector). Keys are port numbers.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
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
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly principals?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notPrincipals?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly requestPrincipals?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notRequestPrincipals?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly namespaces?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notNamespaces?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly ipBlocks?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notIpBlocks?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly remoteIpBlocks?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notRemoteIpBlocks?: string[];
}

/** What a request does. Ports are strings, as in the Istio API. */
export interface AuthorizationOperation {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly hosts?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notHosts?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly ports?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notPorts?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly methods?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notMethods?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly paths?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notPaths?: string[];
}

/** A condition on an Istio attribute, e.g. `{ key: 'request.headers[x-tenant]', values: ['a'] }`. */
export interface AuthorizationCondition {
  readonly key: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly values?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly notValues?: string[];
}

export interface AuthorizationRule {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly from?: { readonly source: AuthorizationSource }[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly to?: { readonly operation: AuthorizationOperation }[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly when?: AuthorizationCondition[];
}

/** An empty spec (`{}`) allows nothing: the mesh-wide default deny. */
export interface AuthorizationPolicySpec {
  /** @default - every workload in the namespace (mesh-wide in the root namespace) */
  readonly selector?: WorkloadSelector;
  /** @default 'ALLOW' */
  readonly action?: AuthorizationPolicyAction;
  /**
   * Extension provider of a `CUSTOM` action.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly provider?: { readonly name: string };
  /**
   * No rules with ALLOW matches nothing (allow-nothing).
   * @default - no rules: with ALLOW, the policy matches nothing (allow-nothing)
   */
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
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly targetPort?: number;
}

export interface ServiceEntryEndpoint {
  readonly address: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly ports?: Record<string, number>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly labels?: Record<string, string>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly locality?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly weight?: number;
}

export interface ServiceEntrySpec {
  readonly hosts: string[];
  /**
   * Virtual IPs/CIDRs of the service (needed for TCP to a fixed IP).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly addresses?: string[];
  readonly ports: ServicePort[];
  readonly location: ServiceEntryLocation;
  readonly resolution: ServiceEntryResolution;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly endpoints?: ServiceEntryEndpoint[];
  /**
   * Namespaces the entry is visible to; `.` = its own, `*` = all.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly exportTo?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly subjectAltNames?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies (MESH_INTERNAL only) */
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
  /**
   * Kubernetes TLS secret (in the gateway's namespace) holding the certificate and key.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly credentialName?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly minProtocolVersion?: TlsProtocolVersion;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly maxProtocolVersion?: TlsProtocolVersion;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly cipherSuites?: string[];
  /** @default - unset: no redirect (Istio redirects only when true) */
  readonly httpsRedirect?: boolean;
}

export interface GatewayServer {
  readonly port: ServicePort;
  readonly hosts: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly tls?: ServerTlsSettings;
  /** @default - unset: Istio's own behaviour for an absent field applies */
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
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly subset?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly port?: PortSelector;
}

export interface HeaderOperations {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly set?: Record<string, string>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly add?: Record<string, string>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly remove?: string[];
}

export interface Headers {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly request?: HeaderOperations;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly response?: HeaderOperations;
}

export interface HttpRouteDestination {
  readonly destination: Destination;
  /**
   * Percentage of traffic (0-100); weights of a route add up to 100.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly weight?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly headers?: Headers;
}

export interface HttpMatchRequest {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly name?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly uri?: StringMatch;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly scheme?: StringMatch;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly method?: StringMatch;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly authority?: StringMatch;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly headers?: Record<string, StringMatch>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly withoutHeaders?: Record<string, StringMatch>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly queryParams?: Record<string, StringMatch>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly port?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly sourceLabels?: Record<string, string>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly sourceNamespace?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly gateways?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly ignoreUriCase?: boolean;
}

export interface HttpRetry {
  readonly attempts: number;
  /**
   * Duration such as `2s`.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly perTryTimeout?: string;
  /**
   * Envoy retry conditions, e.g. `5xx,reset,connect-failure`.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly retryOn?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly retryRemoteLocalities?: boolean;
}

export interface HttpRewrite {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly uri?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly authority?: string;
}

export interface HttpRedirect {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly uri?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly authority?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly port?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly scheme?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly redirectCode?: number;
}

export interface HttpFaultInjection {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly delay?: { readonly fixedDelay: string; readonly percentage?: { readonly value: number } };
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly abort?: { readonly httpStatus: number; readonly percentage?: { readonly value: number } };
}

export interface CorsPolicy {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly allowOrigins?: StringMatch[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly allowMethods?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly allowHeaders?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly exposeHeaders?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly maxAge?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly allowCredentials?: boolean;
}

export interface HttpRoute {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly name?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly match?: HttpMatchRequest[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly route?: HttpRouteDestination[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly redirect?: HttpRedirect;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly rewrite?: HttpRewrite;
  /**
   * Duration such as `10s`.
   * @default - disabled: no timeout (Istio's default)
   */
  readonly timeout?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly retries?: HttpRetry;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly fault?: HttpFaultInjection;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly mirror?: Destination;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly mirrorPercentage?: { readonly value: number };
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly corsPolicy?: CorsPolicy;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly headers?: Headers;
}

export interface RouteDestination {
  readonly destination: Destination;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly weight?: number;
}

export interface TlsRoute {
  readonly match: { readonly sniHosts: string[]; readonly port?: number; readonly gateways?: string[] }[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly route?: RouteDestination[];
}

export interface TcpRoute {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly match?: { readonly port?: number; readonly destinationSubnets?: string[]; readonly gateways?: string[] }[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly route?: RouteDestination[];
}

export interface VirtualServiceSpec {
  readonly hosts: string[];
  /** `<namespace>/<gateway>` names, plus `mesh` to also apply to sidecars. @default - mesh only */
  readonly gateways?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly http?: HttpRoute[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly tls?: TlsRoute[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly tcp?: TcpRoute[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
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
  /**
   * SNI presented to the destination (SIMPLE/MUTUAL).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly sni?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly subjectAltNames?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly credentialName?: string;
}

export interface ConnectionPoolSettings {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly tcp?: {
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly maxConnections?: number;
    /**
     * Duration such as `2s`.
     * @default - unset: Istio's own behaviour for an absent field applies
     */
    readonly connectTimeout?: string;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly maxConnectionDuration?: string;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly tcpKeepalive?: { readonly time?: string; readonly interval?: string; readonly probes?: number };
  };
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly http?: {
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly http1MaxPendingRequests?: number;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly http2MaxRequests?: number;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly maxRequestsPerConnection?: number;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly maxRetries?: number;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly idleTimeout?: string;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly maxConcurrentStreams?: number;
    /** @default - unset: Istio's own behaviour for an absent field applies */
    readonly h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
  };
}

export interface OutlierDetection {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly consecutive5xxErrors?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly consecutiveGatewayErrors?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly consecutiveLocalOriginFailures?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly splitExternalLocalOriginErrors?: boolean;
  /**
   * Duration such as `10s`.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly interval?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly baseEjectionTime?: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly maxEjectionPercent?: number;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly minHealthPercent?: number;
}

export interface PortTrafficPolicy {
  readonly port: PortSelector;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly loadBalancer?: { readonly simple: SimpleLoadBalancer };
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly connectionPool?: ConnectionPoolSettings;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly outlierDetection?: OutlierDetection;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly tls?: ClientTlsSettings;
}

export interface TrafficPolicy {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly loadBalancer?: { readonly simple: SimpleLoadBalancer };
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly connectionPool?: ConnectionPoolSettings;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly outlierDetection?: OutlierDetection;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly tls?: ClientTlsSettings;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly portLevelSettings?: PortTrafficPolicy[];
}

export interface Subset {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  readonly host: string;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly trafficPolicy?: TrafficPolicy;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly subsets?: Subset[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly exportTo?: string[];
  /** @default - unset: Istio's own behaviour for an absent field applies */
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
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly port?: ServicePort;
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly bind?: string;
}

export interface SidecarSpec {
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly workloadSelector?: { readonly labels: Record<string, string> };
  /** @default - unset: Istio's own behaviour for an absent field applies */
  readonly egress?: IstioEgressListener[];
  /**
   * Only `REGISTRY_ONLY` is offered: a Sidecar cannot reopen egress to unknown hosts.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
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
