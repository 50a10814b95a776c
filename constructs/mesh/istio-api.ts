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
  /**
   * Matches a string exactly.
   * @default - unset (set exactly one of exact, prefix, regex)
   */
  readonly exact?: string;
  /**
   * Matches a string by prefix.
   * @default - unset (set exactly one of exact, prefix, regex)
   */
  readonly prefix?: string;
  /**
   * Matches a string with an RE2 regular expression.
   * @default - unset (set exactly one of exact, prefix, regex)
   */
  readonly regex?: string;
}

/** A port on a service: by number. */
export interface PortSelector {
  /** Port number. */
  readonly number: number;
}

/** Metadata of an Istio object: name is required, namespace should be set. */
export interface IstioObjectMetadata extends ApiObjectMetadata {
  /** Name of the object. */
  readonly name: string;
}

// --- security.istio.io/v1 PeerAuthentication ------------------------------------------------

/** mTLS modes this platform allows. `PERMISSIVE` and `DISABLE` are not offered on purpose. */
export type MutualTlsMode = 'STRICT' | 'UNSET';

/** Spec of an Istio `PeerAuthentication`. */
export interface PeerAuthenticationSpec {
  /**
   * Workloads the policy applies to.
   * @default - every workload in the namespace (mesh-wide in the root namespace)
   */
  readonly selector?: WorkloadSelector;
  /**
   * Mutual TLS mode for incoming connections.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly mtls?: { readonly mode: MutualTlsMode };
  /**
   * Per-port overrides (only with a selector). Keys are port numbers.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly portLevelMtls?: Record<string, { readonly mode: MutualTlsMode }>;
}

/** Properties of a `PeerAuthentication`. */
export interface PeerAuthenticationProps {
  /** Metadata of the PeerAuthentication. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the PeerAuthentication. */
  readonly spec: PeerAuthenticationSpec;
}

/** Which traffic a workload accepts: with `STRICT`, only mutual TLS from mesh identities. */
export class PeerAuthentication extends ApiObject {
  /** API version and kind of the PeerAuthentication resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' };

  constructor(scope: Construct, id: string, props: PeerAuthenticationProps) {
    super(scope, id, { ...PeerAuthentication.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- security.istio.io/v1 AuthorizationPolicy -----------------------------------------------

/** What an authorization policy does with matching requests. */
export type AuthorizationPolicyAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

/** Who sends a request. Principals are SPIFFE-style `cluster.local/ns/<ns>/sa/<sa>`. */
export interface AuthorizationSource {
  /**
   * Peer identities to match (mTLS principals).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly principals?: string[];
  /**
   * Peer identities to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notPrincipals?: string[];
  /**
   * Request identities (from request authentication) to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly requestPrincipals?: string[];
  /**
   * Request identities to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notRequestPrincipals?: string[];
  /**
   * Source namespaces to match (from the peer certificate).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly namespaces?: string[];
  /**
   * Source namespaces to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notNamespaces?: string[];
  /**
   * Source IPs or CIDRs to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly ipBlocks?: string[];
  /**
   * Source IPs or CIDRs to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notIpBlocks?: string[];
  /**
   * Original client IPs or CIDRs to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly remoteIpBlocks?: string[];
  /**
   * Original client IPs or CIDRs to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notRemoteIpBlocks?: string[];
}

/** What a request does. Ports are strings, as in the Istio API. */
export interface AuthorizationOperation {
  /**
   * Request hosts to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly hosts?: string[];
  /**
   * Request hosts to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notHosts?: string[];
  /**
   * Destination ports to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly ports?: string[];
  /**
   * Destination ports to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notPorts?: string[];
  /**
   * HTTP methods to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly methods?: string[];
  /**
   * HTTP methods to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notMethods?: string[];
  /**
   * Request paths to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly paths?: string[];
  /**
   * Request paths to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notPaths?: string[];
}

/** A condition on an Istio attribute, e.g. `{ key: 'request.headers[x-tenant]', values: ['a'] }`. */
export interface AuthorizationCondition {
  /** Name of the condition attribute. */
  readonly key: string;
  /**
   * Values of the attribute to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly values?: string[];
  /**
   * Values of the attribute to exclude.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly notValues?: string[];
}

/** A rule matching requests by source, operation and conditions. */
export interface AuthorizationRule {
  /**
   * Sources a request must come from.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly from?: { readonly source: AuthorizationSource }[];
  /**
   * Operations a request must perform.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly to?: { readonly operation: AuthorizationOperation }[];
  /**
   * Extra conditions a request must meet.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly when?: AuthorizationCondition[];
}

/** An empty spec (`{}`) allows nothing: the mesh-wide default deny. */
export interface AuthorizationPolicySpec {
  /**
   * Workloads the policy applies to.
   * @default - every workload in the namespace (mesh-wide in the root namespace)
   */
  readonly selector?: WorkloadSelector;
  /**
   * Action taken on matching requests.
   * @default 'ALLOW'
   */
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

/** Properties of an `AuthorizationPolicy`. */
export interface AuthorizationPolicyProps {
  /** Metadata of the AuthorizationPolicy. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the AuthorizationPolicy. */
  readonly spec: AuthorizationPolicySpec;
}

/** Access control on workloads; every allowed call is an explicit ALLOW naming its callers. */
export class AuthorizationPolicy extends ApiObject {
  /** API version and kind of the AuthorizationPolicy resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' };

  constructor(scope: Construct, id: string, props: AuthorizationPolicyProps) {
    super(scope, id, { ...AuthorizationPolicy.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 ServiceEntry ----------------------------------------------------

/** Protocol of a service port. */
export type ServiceProtocol = 'HTTP' | 'HTTPS' | 'GRPC' | 'HTTP2' | 'MONGO' | 'TCP' | 'TLS';
/** Whether a service entry's service is outside or part of the mesh. */
export type ServiceEntryLocation = 'MESH_EXTERNAL' | 'MESH_INTERNAL';
/** How the proxy resolves the endpoints of a service entry. */
export type ServiceEntryResolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';

/** A port exposed by a service. */
export interface ServicePort {
  /** Port number. */
  readonly number: number;
  /** Protocol of the port. */
  readonly protocol: ServiceProtocol;
  /** Unique within the entry, e.g. `https-443`. */
  readonly name: string;
  /**
   * Port on the endpoint that receives the traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly targetPort?: number;
}

/** An endpoint of a service entry. */
export interface ServiceEntryEndpoint {
  /** Address of the endpoint (IP, hostname or Unix socket). */
  readonly address: string;
  /**
   * Port numbers of the endpoint, keyed by service port name.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly ports?: Record<string, number>;
  /**
   * Labels of the endpoint.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly labels?: Record<string, string>;
  /**
   * Locality of the endpoint (`region/zone/subzone`).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly locality?: string;
  /**
   * Load balancing weight of the endpoint.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly weight?: number;
}

/** Spec of an Istio `ServiceEntry`. */
export interface ServiceEntrySpec {
  /** Hosts of the service. */
  readonly hosts: string[];
  /**
   * Virtual IPs/CIDRs of the service (needed for TCP to a fixed IP).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly addresses?: string[];
  /** Ports of the service. */
  readonly ports: ServicePort[];
  /** Whether the service is outside or part of the mesh. */
  readonly location: ServiceEntryLocation;
  /** How the endpoints of the service are resolved. */
  readonly resolution: ServiceEntryResolution;
  /**
   * Endpoints of the service.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly endpoints?: ServiceEntryEndpoint[];
  /**
   * Namespaces the entry is visible to; `.` = its own, `*` = all.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly exportTo?: string[];
  /**
   * Subject alternative names the server certificate must match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly subjectAltNames?: string[];
  /**
   * Labels selecting mesh workloads that are endpoints of the service.
   * @default - unset: Istio's own behaviour for an absent field applies (MESH_INTERNAL only)
   */
  readonly workloadSelector?: { readonly labels: Record<string, string> };
}

/** Properties of a `ServiceEntry`. */
export interface ServiceEntryProps {
  /** Metadata of the ServiceEntry. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the ServiceEntry. */
  readonly spec: ServiceEntrySpec;
}

/** Adds a destination to the mesh registry: with REGISTRY_ONLY, the only way out of the mesh. */
export class ServiceEntry extends ApiObject {
  /** API version and kind of the ServiceEntry resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry' };

  constructor(scope: Construct, id: string, props: ServiceEntryProps) {
    super(scope, id, { ...ServiceEntry.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 Gateway ---------------------------------------------------------

/** How a gateway server handles TLS. */
export type ServerTlsMode = 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
/** A TLS protocol version. */
export type TlsProtocolVersion = 'TLS_AUTO' | 'TLSV1_2' | 'TLSV1_3';

/** TLS settings of a gateway server. */
export interface ServerTlsSettings {
  /** How the server handles TLS. */
  readonly mode: ServerTlsMode;
  /**
   * Kubernetes TLS secret (in the gateway's namespace) holding the certificate and key.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly credentialName?: string;
  /**
   * Minimum TLS protocol version.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly minProtocolVersion?: TlsProtocolVersion;
  /**
   * Maximum TLS protocol version.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly maxProtocolVersion?: TlsProtocolVersion;
  /**
   * Cipher suites the server accepts.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly cipherSuites?: string[];
  /**
   * Whether HTTP requests get a redirect to HTTPS.
   * @default - unset: no redirect (Istio redirects only when true)
   */
  readonly httpsRedirect?: boolean;
}

/** A server (port, hosts, TLS) of a gateway. */
export interface GatewayServer {
  /** Port the gateway listens on. */
  readonly port: ServicePort;
  /** Hosts this server exposes. */
  readonly hosts: string[];
  /**
   * TLS settings of the server.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly tls?: ServerTlsSettings;
  /**
   * Name of the server.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly name?: string;
}

/** Spec of an Istio `Gateway`. */
export interface GatewaySpec {
  /** Labels of the gateway pods this configuration applies to. */
  readonly selector: Record<string, string>;
  /** Servers of the gateway. */
  readonly servers: GatewayServer[];
}

/** Properties of a `Gateway`. */
export interface GatewayProps {
  /** Metadata of the Gateway. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the Gateway. */
  readonly spec: GatewaySpec;
}

/** Listeners of an Istio ingress gateway; VirtualServices bind to it as `<namespace>/<name>`. */
export class Gateway extends ApiObject {
  /** API version and kind of the Gateway resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'Gateway' };

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id, { ...Gateway.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 VirtualService --------------------------------------------------

/** A service (and optional subset and port) traffic is sent to. */
export interface Destination {
  /** Service name, preferably fully qualified (`orders.orders.svc.cluster.local`). */
  readonly host: string;
  /**
   * Subset of the service (defined in a DestinationRule).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly subset?: string;
  /**
   * Port of the service.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly port?: PortSelector;
}

/** Header changes applied to a request or response. */
export interface HeaderOperations {
  /**
   * Headers to set, overwriting existing values.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly set?: Record<string, string>;
  /**
   * Headers to append.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly add?: Record<string, string>;
  /**
   * Headers to remove.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly remove?: string[];
}

/** Header changes for requests and responses. */
export interface Headers {
  /**
   * Header changes applied to the request.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly request?: HeaderOperations;
  /**
   * Header changes applied to the response.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly response?: HeaderOperations;
}

/** A weighted destination of an HTTP route. */
export interface HttpRouteDestination {
  /** Where the traffic goes. */
  readonly destination: Destination;
  /**
   * Percentage of traffic (0-100); weights of a route add up to 100.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly weight?: number;
  /**
   * Header changes for traffic to this destination.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly headers?: Headers;
}

/** Conditions an HTTP request must meet for a route to apply. */
export interface HttpMatchRequest {
  /**
   * Name of the match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly name?: string;
  /**
   * URI to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly uri?: StringMatch;
  /**
   * URI scheme to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly scheme?: StringMatch;
  /**
   * HTTP method to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly method?: StringMatch;
  /**
   * HTTP authority to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly authority?: StringMatch;
  /**
   * Request headers to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly headers?: Record<string, StringMatch>;
  /**
   * Request headers that must not match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly withoutHeaders?: Record<string, StringMatch>;
  /**
   * Query parameters to match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly queryParams?: Record<string, StringMatch>;
  /**
   * Port the request is addressed to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly port?: number;
  /**
   * Labels of the calling workload.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly sourceLabels?: Record<string, string>;
  /**
   * Namespace of the calling workload.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly sourceNamespace?: string;
  /**
   * Gateways the match applies to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly gateways?: string[];
  /**
   * Whether URI matching is case-insensitive.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly ignoreUriCase?: boolean;
}

/** Retry policy of an HTTP route. */
export interface HttpRetry {
  /** Number of retries for a request. */
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
  /**
   * Whether retries may go to other localities.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly retryRemoteLocalities?: boolean;
}

/** Rewrite of the request before it is forwarded. */
export interface HttpRewrite {
  /**
   * Replacement for the matched part of the path.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly uri?: string;
  /**
   * Replacement for the Authority/Host header.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly authority?: string;
}

/** Redirect response sent instead of forwarding the request. */
export interface HttpRedirect {
  /**
   * Path of the redirect location.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly uri?: string;
  /**
   * Authority of the redirect location.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly authority?: string;
  /**
   * Port of the redirect location.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly port?: number;
  /**
   * Scheme of the redirect location.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly scheme?: string;
  /**
   * HTTP status code of the redirect.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly redirectCode?: number;
}

/** Faults injected into requests (testing). */
export interface HttpFaultInjection {
  /**
   * Delay added before forwarding a share of the requests.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly delay?: { readonly fixedDelay: string; readonly percentage?: { readonly value: number } };
  /**
   * Error returned for a share of the requests.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly abort?: { readonly httpStatus: number; readonly percentage?: { readonly value: number } };
}

/** Cross-origin resource sharing (CORS) policy of a route. */
export interface CorsPolicy {
  /**
   * Origins allowed to make CORS requests.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly allowOrigins?: StringMatch[];
  /**
   * HTTP methods allowed in CORS requests.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly allowMethods?: string[];
  /**
   * Request headers allowed in CORS requests.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly allowHeaders?: string[];
  /**
   * Response headers the browser may expose.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly exposeHeaders?: string[];
  /**
   * How long preflight results may be cached.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly maxAge?: string;
  /**
   * Whether the caller may send credentials.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly allowCredentials?: boolean;
}

/** An HTTP route: match conditions and what to do with matching requests. */
export interface HttpRoute {
  /**
   * Name of the route.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly name?: string;
  /**
   * Conditions for the route to apply.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly match?: HttpMatchRequest[];
  /**
   * Weighted destinations of the traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly route?: HttpRouteDestination[];
  /**
   * Redirect to send instead of forwarding.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly redirect?: HttpRedirect;
  /**
   * Rewrite applied before forwarding.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly rewrite?: HttpRewrite;
  /**
   * Duration such as `10s`.
   * @default - disabled: no timeout (Istio's default)
   */
  readonly timeout?: string;
  /**
   * Retry policy.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly retries?: HttpRetry;
  /**
   * Faults to inject.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly fault?: HttpFaultInjection;
  /**
   * Destination that receives a copy of the traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly mirror?: Destination;
  /**
   * Percentage of the traffic that is mirrored.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly mirrorPercentage?: { readonly value: number };
  /**
   * CORS policy.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly corsPolicy?: CorsPolicy;
  /**
   * Header changes applied to requests and responses.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly headers?: Headers;
}

/** A weighted destination of a TLS or TCP route. */
export interface RouteDestination {
  /** Where the traffic goes. */
  readonly destination: Destination;
  /**
   * Share of the traffic sent to this destination.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly weight?: number;
}

/** A route for TLS traffic, matched by SNI. */
export interface TlsRoute {
  /** Conditions for the route to apply. */
  readonly match: { readonly sniHosts: string[]; readonly port?: number; readonly gateways?: string[] }[];
  /**
   * Destinations of the traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly route?: RouteDestination[];
}

/** A route for opaque TCP traffic. */
export interface TcpRoute {
  /**
   * Conditions for the route to apply.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly match?: { readonly port?: number; readonly destinationSubnets?: string[]; readonly gateways?: string[] }[];
  /**
   * Destinations of the traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly route?: RouteDestination[];
}

/** Spec of an Istio `VirtualService`. */
export interface VirtualServiceSpec {
  /** Destination hosts the routing rules apply to. */
  readonly hosts: string[];
  /** `<namespace>/<gateway>` names, plus `mesh` to also apply to sidecars. @default - mesh only */
  readonly gateways?: string[];
  /**
   * Routes for HTTP traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly http?: HttpRoute[];
  /**
   * Routes for unterminated TLS traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly tls?: TlsRoute[];
  /**
   * Routes for opaque TCP traffic.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly tcp?: TcpRoute[];
  /**
   * Namespaces the virtual service is visible to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly exportTo?: string[];
}

/** Properties of a `VirtualService`. */
export interface VirtualServiceProps {
  /** Metadata of the VirtualService. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the VirtualService. */
  readonly spec: VirtualServiceSpec;
}

/** Routing rules for a host: weights for canaries, retries, timeouts, gateway binding. */
export class VirtualService extends ApiObject {
  /** API version and kind of the VirtualService resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' };

  constructor(scope: Construct, id: string, props: VirtualServiceProps) {
    super(scope, id, { ...VirtualService.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 DestinationRule -------------------------------------------------

/** A standard load balancing algorithm. */
export type SimpleLoadBalancer = 'UNSPECIFIED' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'LEAST_CONN';

/** Client TLS towards the destination. `DISABLE` is not offered: in-mesh traffic stays mTLS. */
export type ClientTlsMode = 'ISTIO_MUTUAL' | 'SIMPLE' | 'MUTUAL';

/** TLS settings for connections to the destination. */
export interface ClientTlsSettings {
  /** TLS mode of the connection. */
  readonly mode: ClientTlsMode;
  /**
   * SNI presented to the destination (SIMPLE/MUTUAL).
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly sni?: string;
  /**
   * Subject alternative names the server certificate must match.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly subjectAltNames?: string[];
  /**
   * Secret holding the client certificate, key and CA certificates.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly credentialName?: string;
}

/** Connection pool limits for the destination. */
export interface ConnectionPoolSettings {
  /**
   * Settings common to TCP and HTTP connections.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
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
  /**
   * HTTP connection pool settings.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
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

/** Ejection of unhealthy hosts from the load balancing pool. */
export interface OutlierDetection {
  /**
   * 5xx errors in a row before a host is ejected.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly consecutive5xxErrors?: number;
  /**
   * Gateway errors (502, 503, 504) in a row before a host is ejected.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly consecutiveGatewayErrors?: number;
  /**
   * Locally originated failures in a row before a host is ejected.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly consecutiveLocalOriginFailures?: number;
  /**
   * Whether locally originated failures are counted apart from external errors.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly splitExternalLocalOriginErrors?: boolean;
  /**
   * Duration such as `10s`.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly interval?: string;
  /**
   * Minimum ejection duration.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly baseEjectionTime?: string;
  /**
   * Largest percentage of hosts that may be ejected.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly maxEjectionPercent?: number;
  /**
   * Healthy percentage of hosts below which outlier detection is disabled.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly minHealthPercent?: number;
}

/** Traffic policy for one port of the destination. */
export interface PortTrafficPolicy {
  /** Port the policy applies to. */
  readonly port: PortSelector;
  /**
   * Load balancing algorithm.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly loadBalancer?: { readonly simple: SimpleLoadBalancer };
  /**
   * Connection pool limits.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly connectionPool?: ConnectionPoolSettings;
  /**
   * Ejection of unhealthy hosts.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly outlierDetection?: OutlierDetection;
  /**
   * TLS settings for connections to the destination.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly tls?: ClientTlsSettings;
}

/** Traffic policy applied to a destination after routing. */
export interface TrafficPolicy {
  /**
   * Load balancing algorithm.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly loadBalancer?: { readonly simple: SimpleLoadBalancer };
  /**
   * Connection pool limits.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly connectionPool?: ConnectionPoolSettings;
  /**
   * Ejection of unhealthy hosts.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly outlierDetection?: OutlierDetection;
  /**
   * TLS settings for connections to the destination.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly tls?: ClientTlsSettings;
  /**
   * Per-port overrides of the policy.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly portLevelSettings?: PortTrafficPolicy[];
}

/** A named subset of the service's endpoints, selected by labels. */
export interface Subset {
  /** Name of the subset, used in route destinations. */
  readonly name: string;
  /** Labels the subset's endpoints carry. */
  readonly labels: Record<string, string>;
  /**
   * Traffic policy of the subset, overriding the rule's.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly trafficPolicy?: TrafficPolicy;
}

/** Spec of an Istio `DestinationRule`. */
export interface DestinationRuleSpec {
  /** Service the rule applies to. */
  readonly host: string;
  /**
   * Traffic policy of the service.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly trafficPolicy?: TrafficPolicy;
  /**
   * Named subsets of the service.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly subsets?: Subset[];
  /**
   * Namespaces the rule is visible to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly exportTo?: string[];
  /**
   * Workloads the rule applies to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly workloadSelector?: WorkloadSelector;
}

/** Properties of a `DestinationRule`. */
export interface DestinationRuleProps {
  /** Metadata of the DestinationRule. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the DestinationRule. */
  readonly spec: DestinationRuleSpec;
}

/** Policies applied after routing: subsets (stable/canary), pools, outlier detection, client TLS. */
export class DestinationRule extends ApiObject {
  /** API version and kind of the DestinationRule resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' };

  constructor(scope: Construct, id: string, props: DestinationRuleProps) {
    super(scope, id, { ...DestinationRule.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- networking.istio.io/v1 Sidecar ---------------------------------------------------------

/** An outbound listener of a sidecar and the hosts it may reach. */
export interface IstioEgressListener {
  /** `<namespace>/<host>` entries, e.g. `./*`, `istio-system/*`. */
  readonly hosts: string[];
  /**
   * Port the listener handles.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly port?: ServicePort;
  /**
   * Address the listener binds to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly bind?: string;
}

/** Spec of an Istio `Sidecar`. */
export interface SidecarSpec {
  /**
   * Workloads the configuration applies to.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly workloadSelector?: { readonly labels: Record<string, string> };
  /**
   * Outbound traffic the sidecar allows.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly egress?: IstioEgressListener[];
  /**
   * Only `REGISTRY_ONLY` is offered: a Sidecar cannot reopen egress to unknown hosts.
   * @default - unset: Istio's own behaviour for an absent field applies
   */
  readonly outboundTrafficPolicy?: { readonly mode: 'REGISTRY_ONLY' };
}

/** Properties of a `Sidecar`. */
export interface SidecarProps {
  /** Metadata of the Sidecar. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the Sidecar. */
  readonly spec: SidecarSpec;
}

/** Scopes what a namespace's (or workload's) sidecars can reach and must know about. */
export class Sidecar extends ApiObject {
  /** API version and kind of the Sidecar resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar' };

  constructor(scope: Construct, id: string, props: SidecarProps) {
    super(scope, id, { ...Sidecar.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- telemetry.istio.io/v1 Telemetry -------------------------------------------------------

/** A telemetry provider, by its name in the mesh config's `extensionProviders`. */
export interface TelemetryProviderRef {
  /** Name of the extension provider. */
  readonly name: string;
}

/** Which side of a call a telemetry setting applies to. */
export type TelemetryWorkloadMode = 'CLIENT_AND_SERVER' | 'CLIENT' | 'SERVER';

/** How the selected workloads report spans. */
export interface TracingTelemetry {
  /**
   * Tracing providers spans are reported to (one is supported by Envoy at a time).
   * @default - the parent scope's providers (mesh-wide: the mesh config's default tracing provider)
   */
  readonly providers?: TelemetryProviderRef[];
  /**
   * Percentage (0 to 100, precision 0.01) of requests without an incoming sampling decision that
   * start a sampled trace; an incoming `traceparent` keeps its caller's decision.
   * @default - the parent scope's percentage (Istio's own default is 1)
   */
  readonly randomSamplingPercentage?: number;
  /**
   * Stop reporting spans from the selected workloads (trace context is still propagated).
   * @default - the parent scope's setting (spans reported)
   */
  readonly disableSpanReporting?: boolean;
  /**
   * Side of the calls the setting applies to.
   * @default - CLIENT_AND_SERVER
   */
  readonly match?: { readonly mode: TelemetryWorkloadMode };
}

/** Spec of an Istio `Telemetry`. */
export interface TelemetrySpec {
  /**
   * Workloads the configuration applies to.
   * @default - every workload of the namespace (mesh-wide in the root namespace)
   */
  readonly selector?: WorkloadSelector;
  /**
   * Tracing settings.
   * @default - the parent scope's tracing settings
   */
  readonly tracing?: TracingTelemetry[];
}

/** Properties of a `Telemetry`. */
export interface TelemetryProps {
  /** Metadata of the Telemetry. */
  readonly metadata: IstioObjectMetadata;
  /** Spec of the Telemetry. */
  readonly spec: TelemetrySpec;
}

/**
 * How workloads report telemetry (here: traces). One selector-less Telemetry per namespace at
 * most; the one in the root namespace applies mesh-wide.
 */
export class Telemetry extends ApiObject {
  /** API version and kind of the Telemetry resource. */
  static readonly GVK: GroupVersionKind = { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry' };

  constructor(scope: Construct, id: string, props: TelemetryProps) {
    super(scope, id, { ...Telemetry.GVK, metadata: props.metadata, spec: props.spec });
  }
}

// --- helpers --------------------------------------------------------------------------------

/** The mesh identity of a Kubernetes service account: `cluster.local/ns/<ns>/sa/<sa>`. */
export function serviceAccountPrincipal(namespace: string, serviceAccount: string, trustDomain = 'cluster.local'): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
