import { POD_SECURITY_EXCEPTION_ANNOTATION, type PodSecurityLevel } from '../../cluster/pod-security';
import type { KubernetesObject } from './kubernetes-objects';
import { analysisJobPods, ANALYSIS_TEMPLATE_KINDS, enforcedControls, POD_SECURITY_CONTROLS, podSecurityControlResults, podTemplateMetadata, podTemplateSpec } from './pod-security';

/**
 * The words every check of the Kubernetes report uses: `pass`, `fail`, `not applicable` (the check
 * does not apply, or is not enforced there) and `not rendered` (a chart whose objects are missing).
 */
export type KubernetesEvidenceStatus = 'pass' | 'fail' | 'not applicable' | 'not rendered';

/** Where a Kubernetes object comes from. */
export interface KubernetesObjectSource {
  /** `own manifest`: in a manifest resource of the templates; `chart release`: rendered from a Helm chart the templates install. */
  readonly type: 'own manifest' | 'chart release';
  /** The stack (CloudFormation name) of the resource that applies the manifest or installs the chart. */
  readonly stack: string;
  readonly logicalId: string;
  readonly chart?: string;
  readonly version?: string;
  readonly release?: string;
  /** The release's namespace: Helm installs the chart's namespaced objects without a namespace there. */
  readonly releaseNamespace?: string;
  /** `own manifest <stack>/<logical id>` or `chart <chart>@<version> (release <release>)`. */
  readonly label: string;
}

/** A Kubernetes object and where it comes from: what {@link classifyKubernetesObjects} checks. */
export interface SourcedKubernetesObject {
  readonly object: KubernetesObject;
  readonly source: KubernetesObjectSource;
}

/** One object, with the status of the checks that apply to it. */
export interface ObjectEvidence {
  readonly kind: string;
  readonly apiVersion: string;
  /** Absent for cluster-wide objects. */
  readonly namespace?: string;
  readonly name: string;
  /** The source's label. */
  readonly source: string;
  readonly origin: KubernetesObjectSource;
  /** `fail` when a check on the object fails, `pass` when checks apply and pass, `not applicable` when none applies. */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly findings: string[];
}

/** Pod Security of a namespace: the level its Namespace object enforces, or "not managed here". */
export interface NamespaceEvidence {
  readonly name: string;
  /** Whether a Namespace object of this report sets its labels. */
  readonly managed: boolean;
  readonly enforce: PodSecurityLevel | 'not managed here';
  readonly enforceVersion?: string;
  readonly audit?: string;
  readonly warn?: string;
  readonly istioInjection?: string;
  /**
   * Why the namespace is an exception to Pod Security "restricted", as its Namespace object records it
   * (annotation `platform.zero-trust/pod-security-exception`).
   */
  readonly podSecurityException?: string;
  readonly podTemplates: number;
  /**
   * `fail` when a pod template in it breaks an enforced control, or when it is managed here and enforces
   * "privileged" without a recorded reason; `not applicable` when it enforces nothing (privileged, with its
   * reason) or is not managed here.
   */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly source?: string;
}

/** One Pod Security control on one pod template. */
export interface ControlEvidence {
  readonly control: string;
  readonly level: Exclude<PodSecurityLevel, 'privileged'>;
  /** `not applicable` when the namespace's level does not enforce the control (its violations are still listed). */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly violations: string[];
}

/** A workload's pod template against its namespace's Pod Security level. */
export interface PodTemplateEvidence {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
  readonly level: PodSecurityLevel | 'not managed here';
  /** `not applicable` when the namespace enforces nothing (privileged, or not managed here). */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  /** The enforced controls it breaks. */
  readonly failingControls: string[];
  readonly controls: ControlEvidence[];
}

/** How an image reference is pinned. */
export type ImagePin = 'digest' | 'exact tag' | 'not pinned' | 'set at admission';

/** One container image of one pod template. */
export interface ImageEvidence {
  readonly image: string;
  readonly pin: ImagePin;
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly detail: string;
  readonly container: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
}

/** Whether a namespace refuses the traffic its NetworkPolicies do not allow. */
export interface NamespaceIsolationEvidence {
  readonly namespace: string;
  readonly managed: boolean;
  /** `pass`: a policy selects every pod for ingress with no rule; `not applicable`: absent in a namespace not managed here. */
  readonly defaultDenyIngress: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly defaultDenyEgress: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly policies: string[];
}

/** One rule of a NetworkPolicy (or a policy's deny, when it has no rule for a direction). */
export interface NetworkRuleEvidence {
  readonly namespace: string;
  readonly policy: string;
  readonly direction: 'ingress' | 'egress';
  readonly from: string;
  readonly to: string;
  readonly ports: string;
  readonly source: string;
}

/** One PeerAuthentication: the mutual-TLS mode it sets where. */
export interface PeerAuthenticationEvidence {
  readonly namespace: string;
  readonly name: string;
  readonly scope: 'mesh-wide' | 'namespace' | 'workload';
  readonly appliesTo: string;
  /** `STRICT`, `PERMISSIVE`, `DISABLE`, or `UNSET` (inherits). */
  readonly mode: string;
  readonly portLevel: string;
  /** `pass` STRICT; `fail` PERMISSIVE or DISABLE (or unset mesh-wide: Istio's default is PERMISSIVE); `not applicable` inherits. */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not applicable'>;
  readonly source: string;
}

/** One rule of an AuthorizationPolicy (one row for a policy without rules). */
export interface AuthorizationRuleEvidence {
  readonly namespace: string;
  readonly policy: string;
  readonly action: string;
  readonly scope: 'mesh-wide' | 'namespace' | 'workload';
  readonly appliesTo: string;
  /** The rule's position (1-based); absent for a policy without rules. */
  readonly rule?: number;
  readonly from: string;
  readonly to: string;
  readonly when: string;
  /** An ALLOW policy without rules: it matches no request. */
  readonly allowNothing: boolean;
  readonly note?: string;
  readonly source: string;
}

/** A Role/ClusterRole rule with a wildcard verb or resource. */
export interface WildcardRuleEvidence {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly rule: string;
  readonly wildcards: string[];
  readonly grantedTo: string[];
  readonly source: string;
}

/** A Role/ClusterRole that may get, list or watch Secrets. */
export interface SecretReaderEvidence {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly verbs: string[];
  /** `all` or the names the rules are limited to. */
  readonly secrets: string;
  readonly grantedTo: string[];
  readonly source: string;
}

/** A binding to the built-in cluster-admin ClusterRole. */
export interface ClusterAdminBindingEvidence {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly subjects: string[];
  readonly source: string;
}

/** What {@link classifyKubernetesObjects} finds in a set of objects. */
export interface KubernetesClassification {
  readonly objects: ObjectEvidence[];
  readonly namespaces: NamespaceEvidence[];
  readonly podSecurityControls: { readonly control: string; readonly level: string; readonly tightens?: string }[];
  readonly podTemplates: PodTemplateEvidence[];
  readonly images: ImageEvidence[];
  readonly network: { readonly namespaces: NamespaceIsolationEvidence[]; readonly rules: NetworkRuleEvidence[] };
  readonly istio: { readonly meshRootNamespace: string; readonly peerAuthentications: PeerAuthenticationEvidence[]; readonly authorizationRules: AuthorizationRuleEvidence[] };
  readonly rbac: { readonly wildcardRules: WildcardRuleEvidence[]; readonly secretReaders: SecretReaderEvidence[]; readonly clusterAdminBindings: ClusterAdminBindingEvidence[] };
  readonly notes: string[];
}

export interface ClassifyKubernetesObjectsOptions {
  /**
   * Istio's root namespace: a PeerAuthentication or AuthorizationPolicy there without a selector
   * applies to the whole mesh.
   * @default 'istio-system'
   */
  readonly meshRootNamespace?: string;

  /**
   * Namespaces to list even when no object here lives in them, e.g. the namespaces of chart
   * releases that were not rendered.
   * @default - the namespaces of the objects
   */
  readonly additionalNamespaces?: readonly string[];

  /**
   * The ECR repositories of the templates: an image of an own manifest whose reference names one
   * (`{{Ref:<logical id>}}`, same stack) is pinned by a release tag only if the repository's tags
   * are immutable (CloudFormation's default is MUTABLE).
   * @default - none: a release tag counts as a pin, with a caveat
   */
  readonly ecrRepositories?: readonly { readonly stack: string; readonly logicalId: string; readonly imageTagMutability: string }[];
}

/** Kinds that run pods from a pod template (or are a Pod); analysis templates, from their Job metrics. */
const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Rollout', ...ANALYSIS_TEMPLATE_KINDS]);
/** Kubernetes kinds without a namespace; CRDs in the objects add theirs. */
const CLUSTER_SCOPED_KINDS = [
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'APIService',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'PriorityClass', 'StorageClass', 'CSIDriver', 'CSINode', 'IngressClass',
  'RuntimeClass', 'VolumeAttachment', 'FlowSchema', 'PriorityLevelConfiguration', 'CertificateSigningRequest',
];
const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const NAME_LABEL = 'kubernetes.io/metadata.name';
const IMAGE_VERSION_TAG = /^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const PLACEHOLDER = /\{\{|\$\{/;

/** How an image reference is pinned, with a reviewer's explanation. */
export function classifyImage(image: string): { pin: ImagePin; status: ImageEvidence['status']; detail: string } {
  if (image === 'auto') {
    return { pin: 'set at admission', status: 'not applicable', detail: 'Istio\'s sidecar injector replaces "auto" with the proxy image istiod is configured with (chart istiod)' };
  }
  const [reference, digest] = image.split('@');
  if (digest !== undefined) {
    if (DIGEST.test(digest)) return { pin: 'digest', status: 'pass', detail: 'the registry serves exactly these bytes' };
    if (PLACEHOLDER.test(digest)) return { pin: 'digest', status: 'pass', detail: 'digest supplied at deploy time' };
    return { pin: 'not pinned', status: 'fail', detail: `"${digest}" is not a sha256 digest` };
  }
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const tag = colon > lastSlash ? reference.slice(colon + 1) : undefined;
  if (tag === undefined) return { pin: 'not pinned', status: 'fail', detail: 'no tag: the registry serves whatever "latest" is at pull time' };
  if (tag === 'latest') return { pin: 'not pinned', status: 'fail', detail: '"latest" moves with every push' };
  if (PLACEHOLDER.test(tag)) return { pin: 'not pinned', status: 'fail', detail: 'the tag is a deploy-time value: pin by digest to make it reviewable' };
  if (IMAGE_VERSION_TAG.test(tag)) return { pin: 'exact tag', status: 'pass', detail: `release tag ${tag} (the registry must keep tags immutable for it to stay the same image)` };
  return { pin: 'not pinned', status: 'fail', detail: `tag "${tag}" is not an exact release version` };
}

/** A release tag pins an image of a repository of the templates only if the repository refuses to overwrite tags. */
function withRepository(
  pin: ReturnType<typeof classifyImage>, image: string, source: KubernetesObjectSource, repositories: NonNullable<ClassifyKubernetesObjectsOptions['ecrRepositories']>,
): ReturnType<typeof classifyImage> {
  const logicalId = /\{\{Ref:([A-Za-z0-9]+)\}\}(?:[:@]|$)/.exec(image)?.[1];
  const repository = repositories.find((r) => r.stack === source.stack && r.logicalId === logicalId);
  if (!repository || pin.pin !== 'exact tag') return pin;
  const tag = image.slice(image.lastIndexOf(':') + 1);
  const where = `release tag ${tag} in ECR repository ${repository.logicalId} (stack ${repository.stack})`;
  return repository.imageTagMutability.startsWith('IMMUTABLE')
    ? { ...pin, detail: `${where}, whose tags cannot be overwritten (${repository.imageTagMutability})` }
    : { pin: 'not pinned', status: 'fail', detail: `${where}, whose tags can be overwritten (${repository.imageTagMutability}): pin by digest or make the tags immutable` };
}

type LabelSelector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined;

const isEmptySelector = (selector: LabelSelector) => !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);

function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok = e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key])
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key])
        : e.operator === 'Exists' ? has
          : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

function describeSelector(selector: LabelSelector): string {
  return [
    ...Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`),
  ].join(', ');
}

const list = (values: readonly unknown[] | undefined) => (values ?? []).map(String).join(', ');

/**
 * Checks a set of Kubernetes objects (the platform's own and the rendered charts'): Pod Security
 * per namespace and pod template, image pinning, NetworkPolicy reachability, Istio mTLS and
 * authorization, RBAC; every object with the status of the checks that apply to it.
 */
export function classifyKubernetesObjects(objects: readonly SourcedKubernetesObject[], options: ClassifyKubernetesObjectsOptions = {}): KubernetesClassification {
  const meshRoot = options.meshRootNamespace ?? 'istio-system';
  const clusterScoped = new Set([
    ...CLUSTER_SCOPED_KINDS,
    ...objects.filter(({ object }) => object.kind === 'CustomResourceDefinition' && object.spec?.scope === 'Cluster').map(({ object }) => String(object.spec.names?.kind)),
  ]);
  const items = objects.map(({ object, source }) => ({
    object,
    source,
    namespace: clusterScoped.has(object.kind) ? undefined : object.metadata.namespace ?? source.releaseNamespace ?? 'default',
    findings: [] as string[],
    checked: false,
  }));
  type Item = (typeof items)[number];
  const ofKind = (...kinds: string[]) => items.filter((i) => kinds.includes(i.object.kind));
  const where = (i: Item) => `${i.object.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.object.metadata.name}`;

  // Namespaces: from Namespace objects, and every namespace an object lives in.
  const namespaceObjects = new Map(ofKind('Namespace').map((i) => [i.object.metadata.name, i]));
  const namespaceNames = [...new Set([...namespaceObjects.keys(), ...(options.additionalNamespaces ?? []), ...items.map((i) => i.namespace).filter((n): n is string => n !== undefined)])].sort();
  const namespaceLabels = (name: string): Record<string, string> => ({ ...(namespaceObjects.get(name)?.object.metadata.labels ?? {}), [NAME_LABEL]: name });
  const levelOf = (name: string): PodSecurityLevel | 'not managed here' => {
    const ns = namespaceObjects.get(name);
    return ns ? (ns.object.metadata.labels?.[ENFORCE_LABEL] ?? 'privileged') as PodSecurityLevel : 'not managed here';
  };
  const exceptionOf = (name: string): string | undefined => {
    const reason = namespaceObjects.get(name)?.object.metadata.annotations?.[POD_SECURITY_EXCEPTION_ANNOTATION];
    return typeof reason === 'string' && reason.trim().length > 0 ? reason.trim() : undefined;
  };
  // A namespace managed here that enforces nothing is an exception to "restricted": its reason must be on record.
  for (const [name, ns] of namespaceObjects) {
    if (levelOf(name) !== 'privileged') continue;
    ns.checked = true;
    if (!exceptionOf(name)) {
      ns.findings.push(`Pod Security "privileged" (enforces nothing) without a recorded reason: annotate the namespace with ${POD_SECURITY_EXCEPTION_ANNOTATION}, or enforce "restricted"`);
    }
  }

  // Workloads and their pod labels, to name what a selector selects.
  const workloads = items.filter((i) => WORKLOAD_KINDS.has(i.object.kind) && podTemplateSpec(i.object));
  const workloadsSelected = (namespaces: readonly string[], selector: LabelSelector): string[] => workloads
    .filter((w) => namespaces.includes(w.namespace!) && selects(selector, podTemplateMetadata(w.object).labels ?? {}))
    .map((w) => `${w.object.kind} ${w.namespace}/${w.object.metadata.name}`);
  const withWorkloads = (text: string, found: string[]) => (found.length > 0 ? `${text} (${found.join(', ')})` : text);

  // Pod Security and images, per pod template.
  const podTemplates: PodTemplateEvidence[] = [];
  const images: ImageEvidence[] = [];
  const notes: string[] = [];
  // One entry per pod template: an analysis template has one per Job metric (`<template>/<metric>`), or none.
  const podTemplatesOf = (object: KubernetesObject) => (ANALYSIS_TEMPLATE_KINDS.has(object.kind)
    ? analysisJobPods(object).map((p) => ({ name: `${object.metadata.name}/${p.metric}`, pod: p.template.spec, metadata: p.template.metadata ?? {} }))
    : [{ name: object.metadata.name, pod: podTemplateSpec(object), metadata: podTemplateMetadata(object) }]);
  for (const item of items.filter((i) => WORKLOAD_KINDS.has(i.object.kind))) {
    for (const { name, pod, metadata } of podTemplatesOf(item.object)) {
      if (!pod) {
        notes.push(`${where(item)} (${item.source.label}) has no pod template of its own (e.g. a Rollout referring to a Deployment): its pods are checked through the object it refers to.`);
        continue;
      }
      const namespace = item.namespace!;
      const level = levelOf(namespace);
      const enforced = new Set(enforcedControls(level === 'not managed here' ? 'privileged' : level).map((c) => c.name));
      const controls: ControlEvidence[] = podSecurityControlResults(pod, metadata.annotations ?? {}).map((r) => ({
        control: r.control,
        level: r.level,
        status: !enforced.has(r.control) ? 'not applicable' : r.violations.length > 0 ? 'fail' : 'pass',
        violations: r.violations,
      }));
      const failingControls = controls.filter((c) => c.status === 'fail').map((c) => c.control);
      const status = enforced.size === 0 ? 'not applicable' : failingControls.length > 0 ? 'fail' : 'pass';
      item.checked = true;
      for (const control of failingControls) item.findings.push(`Pod Security ${level}: ${control} (${controls.find((c) => c.control === control)!.violations.join(', ')})`);
      podTemplates.push({ kind: item.object.kind, namespace, name, source: item.source.label, level, status, failingControls, controls });

      for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])]) {
        const image = String(container.image ?? '');
        const pin = withRepository(classifyImage(image), image, item.source, options.ecrRepositories ?? []);
        if (pin.status === 'fail') item.findings.push(`image ${image} (container ${container.name}) not pinned: ${pin.detail}`);
        images.push({ image, ...pin, container: container.name, kind: item.object.kind, namespace, name, source: item.source.label });
      }
    }
  }

  const namespaces: NamespaceEvidence[] = namespaceNames.map((name) => {
    const ns = namespaceObjects.get(name);
    const labels = ns?.object.metadata.labels ?? {};
    const templates = podTemplates.filter((p) => p.namespace === name);
    const optional = (key: string, value: string | undefined) => (value === undefined ? {} : { [key]: value });
    return {
      name,
      managed: ns !== undefined,
      enforce: levelOf(name),
      ...optional('enforceVersion', labels[`${ENFORCE_LABEL}-version`]),
      ...optional('audit', labels['pod-security.kubernetes.io/audit']),
      ...optional('warn', labels['pod-security.kubernetes.io/warn']),
      ...optional('istioInjection', labels['istio-injection']),
      podTemplates: templates.length,
      ...optional('podSecurityException', exceptionOf(name)),
      status: ns && levelOf(name) === 'privileged' && !exceptionOf(name) ? 'fail'
        : !ns || levelOf(name) === 'privileged' ? 'not applicable' : templates.some((p) => p.status === 'fail') ? 'fail' : 'pass',
      ...optional('source', ns?.source.label),
    };
  });
  const injected = namespaces.filter((n) => n.istioInjection === 'enabled').map((n) => n.name);
  if (injected.length > 0) {
    notes.push(`In ${injected.join(', ')} (label istio-injection=enabled) Istio adds its proxy container to every pod at admission; Pod Security is enforced on the pod with the proxy, whose settings come from istiod's injector (chart istiod), not from the pod templates above.`);
  }

  // NetworkPolicies.
  const policies = ofKind('NetworkPolicy');
  const typesOf = (spec: Record<string, any>): string[] => spec.policyTypes ?? ['Ingress', ...(spec.egress ? ['Egress'] : [])];
  const denies = (p: Item, type: 'Ingress' | 'Egress') => isEmptySelector(p.object.spec?.podSelector) && typesOf(p.object.spec ?? {}).includes(type) && (p.object.spec?.[type.toLowerCase()] ?? []).length === 0;
  const isolation = (name: string, type: 'Ingress' | 'Egress') => (policies.some((p) => p.namespace === name && denies(p, type)) ? 'pass' : namespaceObjects.has(name) ? 'fail' : 'not applicable');
  const networkNamespaces: NamespaceIsolationEvidence[] = namespaceNames.map((name) => ({
    namespace: name,
    managed: namespaceObjects.has(name),
    defaultDenyIngress: isolation(name, 'Ingress'),
    defaultDenyEgress: isolation(name, 'Egress'),
    policies: policies.filter((p) => p.namespace === name).map((p) => p.object.metadata.name),
  }));
  const podsIn = (namespace: string, selector: LabelSelector) => withWorkloads(
    isEmptySelector(selector) ? `all pods in ${namespace}` : `pods ${describeSelector(selector)} in ${namespace}`, workloadsSelected([namespace], selector));
  const describePeer = (policyNamespace: string, peer: Record<string, any>): string => {
    if (peer.ipBlock) return `addresses ${peer.ipBlock.cidr}${peer.ipBlock.except ? ` except ${list(peer.ipBlock.except)}` : ''}`;
    if (!peer.namespaceSelector) return podsIn(policyNamespace, peer.podSelector);
    const selector = peer.namespaceSelector as LabelSelector;
    const matched = namespaceNames.filter((n) => selects(selector, namespaceLabels(n)));
    const labels = Object.keys(selector?.matchLabels ?? {});
    const nsText = isEmptySelector(selector) ? 'any namespace'
      : labels.length === 1 && labels[0] === NAME_LABEL && !selector?.matchExpressions?.length ? `namespace ${selector!.matchLabels![NAME_LABEL]}`
        : `namespaces with ${describeSelector(selector)}${matched.length > 0 ? ` (here: ${matched.join(', ')})` : ''}`;
    const pods = isEmptySelector(peer.podSelector) ? 'all pods' : `pods ${describeSelector(peer.podSelector)}`;
    return withWorkloads(`${pods} in ${nsText}`, workloadsSelected(matched, peer.podSelector));
  };
  const describePorts = (ports: Record<string, any>[] | undefined) => (!ports || ports.length === 0 ? 'all ports'
    : ports.map((p) => `${p.protocol ?? 'TCP'} ${p.port === undefined ? 'all ports' : `${p.port}${p.endPort ? `-${p.endPort}` : ''}`}`).join(', '));
  const rules: NetworkRuleEvidence[] = [];
  for (const p of policies) {
    const spec = p.object.spec ?? {};
    const namespace = p.namespace!;
    const selected = podsIn(namespace, spec.podSelector);
    const base = { namespace, policy: p.object.metadata.name, source: p.source.label };
    for (const type of typesOf(spec)) {
      const ingress = type === 'Ingress';
      const direction = ingress ? 'ingress' : 'egress';
      const policyRules: Record<string, any>[] = spec[direction] ?? [];
      if (policyRules.length === 0) {
        rules.push({ ...base, direction, from: ingress ? 'nothing (denies all ingress)' : selected, to: ingress ? selected : 'nothing (denies all egress)', ports: '-' });
      }
      for (const rule of policyRules) {
        const peers: Record<string, any>[] | undefined = rule[ingress ? 'from' : 'to'];
        const others = !peers || peers.length === 0 ? 'anywhere' : peers.map((peer) => describePeer(namespace, peer)).join(' OR ');
        rules.push({ ...base, direction, from: ingress ? others : selected, to: ingress ? selected : others, ports: describePorts(rule.ports) });
      }
    }
  }

  // Istio.
  const istioScope = (i: Item) => {
    const spec = i.object.spec ?? {};
    const targets: Record<string, any>[] = [...(spec.targetRef ? [spec.targetRef] : []), ...(spec.targetRefs ?? [])];
    if (targets.length > 0) return { scope: 'workload' as const, appliesTo: targets.map((t) => `${t.kind} ${t.name}`).join(', ') };
    if (spec.selector) return { scope: 'workload' as const, appliesTo: withWorkloads(`workloads ${describeSelector(spec.selector)} in ${i.namespace}`, workloadsSelected([i.namespace!], spec.selector)) };
    if (i.namespace === meshRoot) return { scope: 'mesh-wide' as const, appliesTo: 'every workload in the mesh' };
    return { scope: 'namespace' as const, appliesTo: `every workload in ${i.namespace}` };
  };
  const peerAuthentications: PeerAuthenticationEvidence[] = ofKind('PeerAuthentication').map((i) => {
    const spec = i.object.spec ?? {};
    const { scope, appliesTo } = istioScope(i);
    const mode = String(spec.mtls?.mode ?? 'UNSET');
    const portModes = Object.entries(spec.portLevelMtls ?? {}).map(([port, v]) => [port, String((v as any)?.mode ?? 'UNSET')] as const);
    const weak = [mode, ...portModes.map(([, m]) => m)].some((m) => m === 'PERMISSIVE' || m === 'DISABLE') || (scope === 'mesh-wide' && mode === 'UNSET');
    const status = weak ? 'fail' : mode === 'STRICT' ? 'pass' : 'not applicable';
    i.checked = true;
    if (weak) i.findings.push(`mutual TLS ${mode}${portModes.length > 0 ? ` (ports: ${portModes.map(([p, m]) => `${p} ${m}`).join(', ')})` : ''}: plaintext accepted`);
    return { namespace: i.namespace!, name: i.object.metadata.name, scope, appliesTo, mode, portLevel: portModes.map(([p, m]) => `${p}: ${m}`).join(', '), status, source: i.source.label };
  });
  if (!peerAuthentications.some((p) => p.scope === 'mesh-wide' && p.mode === 'STRICT')) {
    notes.push(`No mesh-wide STRICT PeerAuthentication (namespace ${meshRoot}, no selector) among these objects: Istio's default accepts plaintext (PERMISSIVE).`);
  }
  const authorizationRules: AuthorizationRuleEvidence[] = ofKind('AuthorizationPolicy').flatMap((i): AuthorizationRuleEvidence[] => {
    const spec = i.object.spec ?? {};
    const action = String(spec.action ?? 'ALLOW');
    const base = { namespace: i.namespace!, policy: i.object.metadata.name, action, ...istioScope(i), source: i.source.label };
    const policyRules: Record<string, any>[] = spec.rules ?? [];
    if (policyRules.length === 0) {
      const allowNothing = action === 'ALLOW';
      const note = allowNothing
        ? `allow-nothing: matches no request, so ${base.appliesTo} refuses every request no other ALLOW policy permits`
        : `no rules: a ${action} policy without rules matches no request`;
      return [{ ...base, from: '-', to: '-', when: '', allowNothing, note }];
    }
    return policyRules.map((rule, index) => {
      const from = (rule.from ?? []).map((f: any) => describeIstioFields(f.source ?? {}, ['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'])).join(' OR ');
      const to = (rule.to ?? []).map((t: any) => describeIstioFields(t.operation ?? {}, ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths', 'ports', 'notPorts'])).join(' OR ');
      const when = (rule.when ?? []).map((w: any) => `${w.key}${w.values ? ` in (${list(w.values)})` : ''}${w.notValues ? ` not in (${list(w.notValues)})` : ''}`).join(' AND ');
      const everything = !rule.from && !rule.to && !rule.when;
      return {
        ...base,
        rule: index + 1,
        from: from || 'any source',
        to: to || 'any request',
        when,
        allowNothing: false,
        ...(everything ? { note: `an empty rule matches every request${action === 'ALLOW' ? ': allows everything' : ''}` } : {}),
        ...(action === 'CUSTOM' && spec.provider?.name ? { note: `decided by external authorizer ${spec.provider.name}` } : {}),
      };
    });
  });

  // RBAC.
  const roles = ofKind('ClusterRole', 'Role');
  const bindings = ofKind('ClusterRoleBinding', 'RoleBinding');
  const describeSubjects = (b: Item): string[] => ((b.object.subjects ?? []) as Record<string, any>[])
    .map((s) => (s.kind === 'ServiceAccount' ? `ServiceAccount ${s.namespace ?? b.namespace}/${s.name}` : `${s.kind} ${s.name}`));
  const grantedTo = (role: Item): string[] => {
    const granted = bindings
      .filter((b) => b.object.roleRef?.kind === role.object.kind && b.object.roleRef?.name === role.object.metadata.name && (role.object.kind === 'ClusterRole' || b.namespace === role.namespace))
      .map((b) => `${describeSubjects(b).join(', ')} (${b.object.kind} ${b.object.metadata.name}${b.namespace ? ` in ${b.namespace}` : ''})`);
    const aggregated = Object.entries(role.object.metadata.labels ?? {})
      .filter(([key, value]) => key.startsWith('rbac.authorization.k8s.io/aggregate-to-') && value === 'true')
      .map(([key]) => `whoever holds the built-in ClusterRole ${key.slice('rbac.authorization.k8s.io/aggregate-to-'.length)} (aggregated into it)`);
    return [...granted, ...aggregated].length > 0 ? [...granted, ...aggregated] : ['no binding among these objects'];
  };
  const describeRule = (r: Record<string, any>) => (r.nonResourceURLs
    ? `non-resource URLs ${list(r.nonResourceURLs)} / ${list(r.verbs)}`
    : `${(r.apiGroups ?? ['']).map((g: string) => (g === '' ? 'core' : g)).join(', ')} / ${list(r.resources)}${r.resourceNames ? ` (only ${list(r.resourceNames)})` : ''} / ${list(r.verbs)}`);
  const wildcardRules: WildcardRuleEvidence[] = [];
  const secretReaders: SecretReaderEvidence[] = [];
  for (const role of roles) {
    const roleRules: Record<string, any>[] = role.object.rules ?? [];
    const base = { kind: role.object.kind, ...(role.namespace ? { namespace: role.namespace } : {}), name: role.object.metadata.name, source: role.source.label };
    for (const rule of roleRules) {
      const wildcards = [
        ...((rule.verbs ?? []).includes('*') ? ['verbs'] : []),
        ...((rule.resources ?? []).includes('*') ? ['resources'] : []),
      ];
      if (wildcards.length > 0) wildcardRules.push({ ...base, rule: describeRule(rule), wildcards: [...wildcards, ...((rule.apiGroups ?? []).includes('*') ? ['API groups'] : [])], grantedTo: grantedTo(role) });
    }
    const reading = roleRules.filter((r) => ((r.apiGroups ?? []) as string[]).some((g) => g === '' || g === '*')
      && ((r.resources ?? []) as string[]).some((res) => res === 'secrets' || res === '*')
      && ((r.verbs ?? []) as string[]).some((v) => ['get', 'list', 'watch', '*'].includes(v)));
    if (reading.length > 0) {
      const verbs = [...new Set(reading.flatMap((r) => (r.verbs as string[]).filter((v) => ['get', 'list', 'watch', '*'].includes(v))))];
      const secrets = reading.some((r) => !r.resourceNames) ? 'all' : [...new Set(reading.flatMap((r) => r.resourceNames as string[]))].join(', ');
      secretReaders.push({ ...base, verbs, secrets: role.namespace ? (secrets === 'all' ? `all in ${role.namespace}` : secrets) : secrets === 'all' ? 'all, in every namespace (where bound by a ClusterRoleBinding)' : secrets, grantedTo: grantedTo(role) });
    }
  }
  const clusterAdminBindings: ClusterAdminBindingEvidence[] = bindings
    .filter((b) => b.object.roleRef?.kind === 'ClusterRole' && b.object.roleRef?.name === 'cluster-admin')
    .map((b) => ({ kind: b.object.kind, ...(b.namespace ? { namespace: b.namespace } : {}), name: b.object.metadata.name, subjects: describeSubjects(b), source: b.source.label }));
  const objectEvidence: ObjectEvidence[] = items.map((i) => ({
    kind: i.object.kind,
    apiVersion: i.object.apiVersion,
    ...(i.namespace ? { namespace: i.namespace } : {}),
    name: i.object.metadata.name,
    source: i.source.label,
    origin: i.source,
    status: i.findings.length > 0 ? 'fail' : i.checked ? 'pass' : 'not applicable',
    findings: i.findings,
  }));

  return {
    objects: objectEvidence,
    namespaces,
    podSecurityControls: POD_SECURITY_CONTROLS.map((c) => ({ control: c.name, level: c.level, ...(c.tightens ? { tightens: c.tightens } : {}) })),
    podTemplates,
    images,
    network: { namespaces: networkNamespaces, rules },
    istio: { meshRootNamespace: meshRoot, peerAuthentications, authorizationRules },
    rbac: { wildcardRules, secretReaders, clusterAdminBindings },
    notes,
  };
}

function describeIstioFields(fields: Record<string, unknown>, keys: readonly string[]): string {
  return keys.filter((k) => Array.isArray(fields[k]) && (fields[k] as unknown[]).length > 0).map((k) => `${k} ${list(fields[k] as unknown[])}`).join('; ');
}
