import * as fs from 'node:fs';
import * as path from 'node:path';
import { POD_SECURITY_EXCEPTION_ANNOTATION, POD_SECURITY_VERSION } from '../../cluster/pod-security';
import type { EvidenceEnvironment, EvidenceResource } from './assembly';
import { HELM_CHART_TYPE, helmReleaseOf, KUBERNETES_MANIFEST_TYPE, manifestObjects, parseKubernetesYaml, renderCfnString, type HelmRelease } from './kubernetes-objects';
import { table } from './markdown';
import { classifyKubernetesObjects, type KubernetesClassification, type KubernetesEvidenceStatus, type KubernetesObjectSource, type SourcedKubernetesObject } from './kubernetes-policies';

export * from './kubernetes-policies';

/** One Helm release the templates install, and whether its objects are in the report. */
export interface ChartReleaseEvidence {
  readonly release: string;
  readonly chart: string;
  readonly version: string;
  readonly repository: string;
  readonly namespace: string;
  readonly stack: string;
  readonly logicalId: string;
  /**
   * `pass`: rendered and its objects are in the report; `fail`: rendered, with problems the render
   * found (listed); `not rendered`: its objects are NOT in the report.
   */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail' | 'not rendered'>;
  readonly objects: number;
  /** The rendered file, relative to the rendered-charts directory's parent (`assembly-Dev/istiod.yaml`). */
  readonly renderedFile?: string;
  /** Where the rendered chart source came from (the render's index). */
  readonly upstreamSource?: string;
  readonly problems: string[];
}

/** An EKS access entry (`AWS::EKS::AccessEntry`): an IAM principal and what it may do in the cluster. */
export interface AccessEntryEvidence {
  readonly stack: string;
  readonly logicalId: string;
  /** The principal ARN, deploy-time values as `{{...}}` placeholders. */
  readonly principalArn: string;
  /** The IAM resource of the same stack the ARN refers to, when it refers to one. */
  readonly principalResource?: { readonly logicalId: string; readonly type: string };
  readonly type: string;
  readonly username?: string;
  readonly kubernetesGroups: string[];
  readonly accessPolicies: { readonly policy: string; readonly scope: string }[];
  /** Whether an access policy grants cluster-admin (`AmazonEKSClusterAdminPolicy`, cluster scope). */
  readonly clusterAdmin: boolean;
}

/** How the cluster authenticates IAM principals (`AWS::EKS::Cluster` `AccessConfig`). */
export interface ClusterAccessEvidence {
  readonly stack: string;
  readonly logicalId: string;
  readonly authenticationMode: string;
  /** Whether the IAM principal that creates the cluster is made cluster-admin outside any access entry. */
  readonly bootstrapClusterCreatorAdmin: boolean;
  /** `pass` when access is only through access entries (mode API) and the creator is not made admin. */
  readonly status: Extract<KubernetesEvidenceStatus, 'pass' | 'fail'>;
}

/** The Kubernetes policy report of one environment: a plain JSON-serializable object. */
export interface KubernetesReport extends KubernetesClassification {
  readonly environment: string;
  /** The Pod Security Standards version the namespaces pin (`pod-security.kubernetes.io/enforce-version`). */
  readonly podSecurityVersion: string;
  readonly summary: {
    readonly objects: number;
    readonly ownObjects: number;
    readonly chartObjects: number;
    readonly chartsRendered: number;
    readonly chartsNotRendered: number;
    /** Failing checks: objects, chart renders, cluster authentication, and namespaces without default-deny (per direction). */
    readonly failures: number;
  };
  /** What the report does not cover or a reviewer must know to read it. */
  readonly notes: string[];
  readonly charts: ChartReleaseEvidence[];
  readonly accessEntries: AccessEntryEvidence[];
  readonly clusterAccess: ClusterAccessEvidence[];
}

export interface KubernetesReportOptions {
  /**
   * The environment's rendered charts (`npm run charts:render` writes
   * `cdk.out/rendered-charts/<stage folder>/<release>.yaml`): pass the stage's folder.
   * @default - no chart is rendered: the report lists each chart release as "not rendered"
   */
  readonly renderedChartsDirectory?: string;
}

/** An entry of `rendered-charts/index.json` (test/support/charts/render-charts.ts). */
interface RenderIndexEntry {
  readonly template: string;
  readonly logicalId: string;
  readonly rendered: string;
  readonly upstreamSource?: string;
  readonly problems?: string[];
}

/** Istio's root namespace when istiod's values do not set `meshConfig.rootNamespace`: istiod's own. */
const DEFAULT_MESH_ROOT_NAMESPACE = 'istio-system';
const CLUSTER_ADMIN_POLICY = 'AmazonEKSClusterAdminPolicy';

/**
 * The Kubernetes policy report of an environment: every Kubernetes object its templates apply or
 * its chart releases render (each with its source), Pod Security per namespace and pod template,
 * image pinning, NetworkPolicy reachability, Istio mTLS and authorization, RBAC and EKS access.
 */
export function kubernetesReport(environment: EvidenceEnvironment, options: KubernetesReportOptions = {}): KubernetesReport {
  const resources = environment.stacks.flatMap((stack) => stack.resources);
  const own: SourcedKubernetesObject[] = resources
    .filter((r) => r.type === KUBERNETES_MANIFEST_TYPE)
    .flatMap((r) => manifestObjects(r.properties.Manifest).map((object) => ({ object, source: manifestSource(r) })));

  const releases = resources.filter((r) => r.type === HELM_CHART_TYPE).map((r) => ({ resource: r, release: helmReleaseOf(r.logicalId, r.properties) }));
  const renders = releases.map(({ resource, release }) => readRender(resource, release, options.renderedChartsDirectory));
  const rendered = renders.flatMap((r) => r.objects);
  const charts = renders.map((r) => r.evidence);

  const istiod = releases.find(({ release }) => release.chart === 'istiod')?.release;
  const meshRootNamespace = istiod?.values.meshConfig?.rootNamespace ?? istiod?.namespace ?? DEFAULT_MESH_ROOT_NAMESPACE;
  const classification = classifyKubernetesObjects([...own, ...rendered], {
    meshRootNamespace,
    additionalNamespaces: releases.map(({ release }) => release.namespace),
    ecrRepositories: resources.filter((r) => r.type === 'AWS::ECR::Repository')
      .map((r) => ({ stack: r.stack, logicalId: r.logicalId, imageTagMutability: String(r.properties.ImageTagMutability ?? 'MUTABLE') })),
  });

  const accessEntries = resources.filter((r) => r.type === 'AWS::EKS::AccessEntry').map((r) => accessEntryEvidence(r, environment));
  const clusterAccess = resources.filter((r) => r.type === 'AWS::EKS::Cluster').map(clusterAccessEvidence);

  const notRendered = charts.filter((c) => c.status === 'not rendered');
  const notes = [
    ...(notRendered.length > 0 ? [
      `${notRendered.length} of ${charts.length} chart releases were not rendered (${notRendered.map((c) => `${c.release}: ${c.chart}@${c.version}`).join(', ')}): `
      + 'their objects (workloads, images, roles, bindings) are NOT in this report. Render them with `npm run charts:render` and pass the stage\'s rendered-charts directory.',
    ] : []),
    ...classification.notes,
  ];
  const failures = [...classification.objects, ...charts, ...clusterAccess].filter((item) => item.status === 'fail').length
    + classification.network.namespaces.flatMap((n) => [n.defaultDenyIngress, n.defaultDenyEgress]).filter((status) => status === 'fail').length;

  return {
    environment: environment.name,
    podSecurityVersion: POD_SECURITY_VERSION,
    summary: {
      objects: classification.objects.length,
      ownObjects: own.length,
      chartObjects: rendered.length,
      chartsRendered: charts.length - notRendered.length,
      chartsNotRendered: notRendered.length,
      failures,
    },
    ...classification,
    notes,
    charts,
    accessEntries,
    clusterAccess,
  };
}

function manifestSource(resource: EvidenceResource): KubernetesObjectSource {
  return { type: 'own manifest', stack: resource.stack, logicalId: resource.logicalId, label: `own manifest ${resource.stack}/${resource.logicalId}` };
}

function chartSource(resource: EvidenceResource, release: HelmRelease): KubernetesObjectSource {
  return {
    type: 'chart release',
    stack: resource.stack,
    logicalId: resource.logicalId,
    chart: release.chart,
    version: release.version,
    release: release.release,
    releaseNamespace: release.namespace,
    label: `chart ${release.chart}@${release.version} (release ${release.release})`,
  };
}

function readRenderIndex(directory: string): RenderIndexEntry[] {
  const file = path.join(path.dirname(directory), 'index.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as RenderIndexEntry[] : [];
}

function readRender(resource: EvidenceResource, release: HelmRelease, directory: string | undefined): { objects: SourcedKubernetesObject[]; evidence: ChartReleaseEvidence } {
  const base = {
    release: release.release, chart: release.chart, version: release.version, repository: release.repository, namespace: release.namespace,
    stack: resource.stack, logicalId: resource.logicalId,
  };
  if (directory === undefined) return { objects: [], evidence: { ...base, status: 'not rendered', objects: 0, problems: [] } };
  if (!fs.existsSync(directory)) {
    throw new Error(`renderedChartsDirectory "${directory}" does not exist: pass the stage's folder written by \`npm run charts:render\` (cdk.out/rendered-charts/<stage folder>), or omit it to list the charts as not rendered.`);
  }
  const indexed = readRenderIndex(directory).find((e) => e.template === resource.templateFile && e.logicalId === resource.logicalId);
  const file = indexed ? path.join(path.dirname(directory), indexed.rendered) : path.join(directory, `${release.release}.yaml`);
  if (!fs.existsSync(file)) return { objects: [], evidence: { ...base, status: 'not rendered', objects: 0, problems: [] } };
  const source = chartSource(resource, release);
  const objects = parseKubernetesYaml(fs.readFileSync(file, 'utf8')).map((object) => ({ object, source }));
  const problems = [...(indexed?.problems ?? []), ...(objects.length === 0 ? ['the render has no objects'] : [])];
  return {
    objects,
    evidence: {
      ...base,
      status: problems.length > 0 ? 'fail' : 'pass',
      objects: objects.length,
      renderedFile: path.relative(path.dirname(directory), file).split(path.sep).join('/'),
      ...(indexed?.upstreamSource ? { upstreamSource: indexed.upstreamSource } : {}),
      problems,
    },
  };
}

/** The resource of the stack a `Ref` / `Fn::GetAtt` points at. */
function referencedResource(value: unknown, resource: EvidenceResource, environment: EvidenceEnvironment): EvidenceResource | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const logicalId = typeof v.Ref === 'string' ? v.Ref : Array.isArray(v['Fn::GetAtt']) ? String(v['Fn::GetAtt'][0]) : undefined;
  if (!logicalId) return undefined;
  return environment.stacks.find((s) => s.stackName === resource.stack)?.resources.find((r) => r.logicalId === logicalId);
}

function accessEntryEvidence(resource: EvidenceResource, environment: EvidenceEnvironment): AccessEntryEvidence {
  const p = resource.properties as Record<string, any>;
  const principal = referencedResource(p.PrincipalArn, resource, environment);
  const accessPolicies = ((p.AccessPolicies ?? []) as Record<string, any>[]).map((policy) => {
    const scope = policy.AccessScope ?? {};
    const namespaces: string[] = scope.Namespaces ?? [];
    return {
      policy: renderCfnString(policy.PolicyArn).replace(/^.*cluster-access-policy\//, ''),
      scope: scope.Type === 'namespace' ? `namespaces ${namespaces.map((n) => renderCfnString(n)).join(', ')}` : String(scope.Type ?? 'cluster'),
    };
  });
  return {
    stack: resource.stack,
    logicalId: resource.logicalId,
    principalArn: renderCfnString(p.PrincipalArn),
    ...(principal ? { principalResource: { logicalId: principal.logicalId, type: principal.type } } : {}),
    type: p.Type ?? 'STANDARD',
    ...(p.Username ? { username: renderCfnString(p.Username) } : {}),
    kubernetesGroups: ((p.KubernetesGroups ?? []) as unknown[]).map((g) => renderCfnString(g)),
    accessPolicies,
    clusterAdmin: accessPolicies.some((a) => a.policy === CLUSTER_ADMIN_POLICY && a.scope === 'cluster'),
  };
}

function clusterAccessEvidence(resource: EvidenceResource): ClusterAccessEvidence {
  const access = (resource.properties.AccessConfig ?? {}) as Record<string, any>;
  // CloudFormation's defaults: CONFIG_MAP (the aws-auth ConfigMap) and the creator made admin.
  const authenticationMode = String(access.AuthenticationMode ?? 'CONFIG_MAP');
  const bootstrapClusterCreatorAdmin = access.BootstrapClusterCreatorAdminPermissions ?? true;
  return {
    stack: resource.stack,
    logicalId: resource.logicalId,
    authenticationMode,
    bootstrapClusterCreatorAdmin,
    status: authenticationMode === 'API' && !bootstrapClusterCreatorAdmin ? 'pass' : 'fail',
  };
}

/** `3 pass, 1 fail` for the statuses of a list. */
function statusCounts(items: readonly { readonly status: string }[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

const code = (text: string) => (text ? `\`${text.replace(/`/g, "'")}\`` : '');

/** The report as Markdown for a reviewer: what runs, where it comes from, and how each check came out. */
export function kubernetesMarkdown(report: KubernetesReport): string {
  const lines: string[] = [];
  const section = (title: string, ...body: string[]) => lines.push(`## ${title}`, '', ...body.flatMap((b) => [b.trimEnd(), '']));
  const counts = (items: readonly { status: KubernetesEvidenceStatus }[]) => statusCounts(items);
  const namespaceLabel = (ns: string | undefined) => ns ?? '(cluster-wide)';

  lines.push(`# Kubernetes policy report: ${report.environment}`, '');
  lines.push(
    `Every Kubernetes object the ${report.environment} environment applies: the platform's own manifests (applied by a CloudFormation resource; `
    + 'the source names its stack and logical id) and the objects of the Helm charts it installs, as rendered with the deployed values '
    + '(the source names the chart and version). Statuses: **pass**, **fail**, **not applicable** (the check does not apply or is not enforced there), '
    + '**not rendered** (a chart whose objects are missing from this report).',
    '',
  );
  lines.push(table(['', 'Count'], [
    ['Objects', String(report.summary.objects)],
    ['... from own manifests', String(report.summary.ownObjects)],
    ['... from chart releases', String(report.summary.chartObjects)],
    ['Chart releases rendered', String(report.summary.chartsRendered)],
    ['Chart releases **not rendered**', String(report.summary.chartsNotRendered)],
    ['Checks that **fail**', String(report.summary.failures)],
  ]));
  if (report.notes.length > 0) lines.push('**Notes**', '', ...report.notes.map((n) => `- ${n}`), '');

  section('Chart releases',
    table(['Release', 'Chart', 'Repository', 'Namespace', 'Installed by (stack / logical id)', 'Status', 'Objects', 'Problems'],
      report.charts.map((c) => [c.release, `${c.chart}@${c.version}`, c.repository, c.namespace, `${c.stack} / ${c.logicalId}`, c.status, c.status === 'not rendered' ? '' : String(c.objects), c.problems.join('; ')])));

  section('Pod Security',
    `Pod Security admission (Pod Security Standards ${report.podSecurityVersion}) rejects pods that break the controls of the level their namespace enforces `
    + '(label `pod-security.kubernetes.io/enforce`). A namespace without a Namespace object here is **not managed here**: its labels are set outside these templates '
    + '(EKS leaves them unset, which enforces nothing).',
    '### Namespaces',
    'A managed namespace that enforces "privileged" is an exception to "restricted": its Namespace object must record why '
    + `(annotation \`${POD_SECURITY_EXCEPTION_ANNOTATION}\`), or it **fails**.`,
    table(['Namespace', 'Level enforced', 'Version', 'Status', 'Pod templates', 'Exception (reason)', 'Source'],
      report.namespaces.map((n) => [n.name, n.enforce, n.enforceVersion ?? '', n.status, String(n.podTemplates),
        n.podSecurityException ?? (n.managed && n.enforce === 'privileged' ? '**none recorded**' : ''), n.source ?? ''])),
    '### Pod templates',
    `Each workload's pod template checked against every control; a control is enforced when the namespace's level includes it. ${counts(report.podTemplates)}.`,
    table(['Kind', 'Namespace', 'Name', 'Source', 'Level enforced', 'Status', 'Failing controls (enforced)', 'Would also fail (not enforced here)'],
      report.podTemplates.map((p) => [p.kind, p.namespace, p.name, p.source, p.level, p.status,
        p.failingControls.map((c) => `${c}: ${p.controls.find((r) => r.control === c)!.violations.join(', ')}`).join('; '),
        p.controls.filter((c) => c.status === 'not applicable' && c.violations.length > 0).map((c) => c.control).join(', ')])),
    '### Controls',
    table(['Control', 'Level'], report.podSecurityControls.map((c) => [c.tightens ? `${c.control} (tightens ${c.tightens})` : c.control, c.level])));

  section('Container images',
    `Every container image of every pod template. **pass**: pinned by digest or to an exact version tag; **fail**: not pinned (\`latest\`, no tag, or a tag that moves). ${counts(report.images)}.`,
    table(['Image', 'Pinned by', 'Status', 'Container', 'Workload', 'Source', 'Detail'],
      report.images.map((i) => [code(i.image), i.pin, i.status, i.container, `${i.kind} ${i.namespace}/${i.name}`, i.source, i.detail])));

  section('Network reachability (NetworkPolicies)',
    'A namespace with a default-deny policy (all pods selected, no rule) refuses all traffic the other policies do not allow; policies only add allowed traffic.',
    '### Default deny per namespace',
    table(['Namespace', 'Default-deny ingress', 'Default-deny egress', 'Policies'],
      report.network.namespaces.map((n) => [n.namespace, n.defaultDenyIngress, n.defaultDenyEgress, n.policies.join(', ')])),
    '### Allowed traffic, one row per rule',
    table(['Namespace', 'Policy', 'Direction', 'From', 'To', 'Ports', 'Source'],
      report.network.rules.map((r) => [r.namespace, r.policy, r.direction, r.from, r.to, r.ports, r.source])));

  section('Istio service mesh',
    '### Mutual TLS (PeerAuthentication)',
    'STRICT: a workload accepts only mutual-TLS traffic from mesh workloads with an identity. A mesh-wide policy lives in the mesh root namespace without a selector.',
    table(['Scope', 'Namespace', 'Name', 'Applies to', 'Mode', 'Port overrides', 'Status', 'Source'],
      report.istio.peerAuthentications.map((p) => [p.scope, p.namespace, p.name, p.appliesTo, p.mode, p.portLevel, p.status, p.source])),
    '### Authorization (AuthorizationPolicy), one row per rule',
    'When any ALLOW policy applies to a workload, a request is allowed only if an ALLOW rule matches it; DENY rules are checked first. '
    + 'An **allow-nothing** policy (ALLOW with no rules) matches no request: with no selector in the root namespace it denies everything mesh-wide that no other ALLOW policy permits.',
    table(['Namespace', 'Policy', 'Action', 'Applies to', 'Rule', 'From (principals / namespaces / addresses)', 'To (methods / paths / ports)', 'When', 'Note', 'Source'],
      report.istio.authorizationRules.map((r) => [r.namespace, r.policy, r.action, r.appliesTo, r.rule === undefined ? '' : String(r.rule), r.from, r.to, r.when, r.note ?? '', r.source])));

  section('Access control',
    '### Cluster authentication',
    table(['Cluster (stack / logical id)', 'Authentication mode', 'Cluster creator made admin', 'Status'],
      report.clusterAccess.map((c) => [`${c.stack} / ${c.logicalId}`, c.authenticationMode, c.bootstrapClusterCreatorAdmin ? 'yes' : 'no', c.status])),
    '### EKS access entries (IAM principals allowed into the cluster)',
    table(['Principal', 'Type', 'Access policies (scope)', 'Kubernetes groups', 'Cluster admin', 'Stack / logical id'],
      report.accessEntries.map((a) => [
        a.principalResource ? `${a.principalResource.type} ${a.principalResource.logicalId}` : code(a.principalArn), a.type,
        a.accessPolicies.map((p) => `${p.policy} (${p.scope})`).join(', '), a.kubernetesGroups.join(', '), a.clusterAdmin ? 'yes' : 'no', `${a.stack} / ${a.logicalId}`])),
    '### Bindings to cluster-admin',
    report.rbac.clusterAdminBindings.length === 0 ? 'None among the objects in this report.'
      : table(['Binding', 'Namespace', 'Subjects', 'Source'], report.rbac.clusterAdminBindings.map((b) => [`${b.kind} ${b.name}`, namespaceLabel(b.namespace), b.subjects.join(', '), b.source])),
    '### Roles with wildcard verbs or resources',
    report.rbac.wildcardRules.length === 0 ? 'None among the objects in this report.'
      : table(['Role', 'Namespace', 'Rule (API groups / resources / verbs)', 'Wildcard in', 'Granted to', 'Source'],
        report.rbac.wildcardRules.map((r) => [`${r.kind} ${r.name}`, namespaceLabel(r.namespace), r.rule, r.wildcards.join(', '), r.grantedTo.join('; '), r.source])),
    '### Who can read Secrets (get, list or watch)',
    report.rbac.secretReaders.length === 0 ? 'No role among the objects in this report.'
      : table(['Role', 'Namespace', 'Verbs', 'Which Secrets', 'Granted to', 'Source'],
        report.rbac.secretReaders.map((r) => [`${r.kind} ${r.name}`, namespaceLabel(r.namespace), r.verbs.join(', '), r.secrets, r.grantedTo.join('; '), r.source])));

  section('Every object',
    `One row per object. Status is **fail** when a check on the object fails (findings listed), **pass** when checks apply and pass, **not applicable** when no check applies. ${counts(report.objects)}.`,
    table(['Kind', 'Namespace', 'Name', 'Source', 'Status', 'Findings'],
      report.objects.map((o) => [o.kind, namespaceLabel(o.namespace), o.name, o.source, o.status, o.findings.join('; ')])));

  return `${lines.join('\n').trimEnd()}\n`;
}
