import { Aws, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, DependencyGroup, type IConstruct, type IDependable } from 'constructs';
import { keyUseThroughServicesStatement, PlatformKey } from '../compliance/platform-key';
import { describeValue, isIntBetween, validationFailure } from '../core/validation';
import { ChartMirror, type MirroredChartSpec } from './chart-mirror';
import {
  IMAGE_DIGEST_FORMAT, PLATFORM_UPSTREAM_REGISTRIES, UPSTREAM_REGISTRIES, upstreamImageLocation,
  type ImageReference, type UpstreamRegistryName,
} from './upstream-registries';

/** A Helm chart version in its upstream HTTPS repository, to be installed from the private registry. */
export interface HelmChartSource {
  /** Chart name, e.g. `istiod`. */
  readonly chart: string;
  /** Exact chart version, e.g. `1.31.0`. */
  readonly version: string;
  /** The upstream HTTPS Helm repository that publishes it, e.g. `https://blob.istio.io/istio-release/charts`. */
  readonly repository: string;
  /**
   * `sha256:` digest of the chart archive (the `digest` of the version in the repository's
   * `index.yaml`): the mirror refuses any other archive.
   * @default - trusted on first mirror, then frozen by the repository's immutable tags
   */
  readonly archiveDigest?: string;
}

/** Where a `HelmChart` installs a mirrored chart from. */
export interface MirroredHelmChart {
  /** The chart name (`HelmChart.chart`). */
  readonly chart: string;
  /** The chart version (`HelmChart.version`). */
  readonly version: string;
  /** `oci://<registry>/<prefix>/charts/<chart>` (`HelmChart.repository`). */
  readonly repository: string;
  /** Where the chart was mirrored from. */
  readonly source: HelmChartSource;
  /** Depend on this before installing the chart: the chart is in ECR. */
  readonly mirrored: IDependable;
}

/** A private ECR registry that caches the platform's upstream images and mirrors its Helm charts. */
export interface IPrivateRegistry extends IConstruct {
  /** `<account>.dkr.ecr.<region>.<url suffix>`. */
  readonly registryHost: string;
  /** First segment of every repository of this registry. */
  readonly repositoryPrefix: string;
  /** The upstream registries cached. */
  readonly upstreamRegistries: readonly UpstreamRegistryName[];
  /** The cache rules and creation templates: depend on this before anything pulls through the cache. */
  readonly ready: IDependable;
  /** The copy of an upstream image in this registry (same tag and digest); fails synth for an upstream it does not cache. */
  image(upstream: ImageReference): ImageReference;
  /** Mirrors a chart version into this registry and says where to install it from. */
  helmChart(source: HelmChartSource): MirroredHelmChart;
  /**
   * Lets `grantee` pull images through the cache: pull, and import from upstream into (and create)
   * the cache repositories of exactly the images `image()` handed out (read when the app is
   * synthesized, so later calls count).
   */
  grantPullThroughCache(grantee: iam.IGrantable): iam.Grant;
}

/** Secrets Manager secrets with upstream credentials, by upstream registry. */
export type UpstreamCredentials = { readonly [registry in UpstreamRegistryName]?: secretsmanager.ISecret };

/** Properties of a `PrivateRegistry`. */
export interface PrivateRegistryProps {
  /**
   * First segment of every repository: `<prefix>/<upstream>/...` for cached images,
   * `<prefix>/charts/<chart>` for charts. 2 to 19 lowercase letters, digits and `.`, `_`, `-`
   * (ECR allows 30 characters for a cache rule's prefix, `<prefix>/docker-hub`). Unique per
   * registry (account and region): one per environment, e.g. `ztp-prod`.
   */
  readonly repositoryPrefix: string;
  /**
   * The upstream registries to cache, one pull through cache rule each.
   * @default PLATFORM_UPSTREAM_REGISTRIES - exactly those the platform's images come from
   */
  readonly upstreamRegistries?: UpstreamRegistryName[];
  /**
   * Credentials of the upstream registries that need them (`docker-hub`,
   * `github-container-registry`): a secret in this account and region whose name starts with
   * `ecr-pullthroughcache/`, holding `{"username": ..., "accessToken": ...}`. Missing ones fail synth.
   * @default - none (only registries that need no credentials can be cached)
   */
  readonly upstreamCredentials?: UpstreamCredentials;
  /**
   * Customer managed key encrypting every repository (the cache's, through the creation templates,
   * and the charts').
   * @default - a new rotating PlatformKey
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A Lambda layer with the helm binary at `/opt/helm/helm`, for the chart mirror: the kubectl
   * layer of the cluster (e.g. `new KubectlV36Layer(...)`). Required once a chart is mirrored.
   * @default - no chart mirror: `helmChart()` fails synth
   */
  readonly helmLayer?: lambda.ILayerVersion;
  /**
   * Versions (tags) each repository keeps; older ones expire (untagged images are left alone: the
   * images of a multi-architecture index are untagged).
   * @default 10
   */
  readonly maxImageVersions?: number;
  /**
   * How long the chart mirror's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the keys, chart repositories and log groups made here when they leave the
   * stack (the cache's repositories are ECR's, not the stack's: they stay).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const PREFIX_LENGTH = { min: 2, max: 19 } as const;
const CHART_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const EXACT_VERSION = /^v?\d+\.\d+\.\d+$/;
const EXACT_TAG = /^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.-]+)?$/;
/** A secret ECR may read for a cache rule (ECR's CredentialArn pattern). */
const CREDENTIAL_SECRET_NAME = /^ecr-pullthroughcache\/[a-zA-Z0-9/_+=.@-]+$/;
const CHARTS_SEGMENT = 'charts';

/**
 * The platform's private container registry in ECR: nothing the cluster runs or installs comes
 * from a public registry at run time.
 *
 * - **Images**: one pull through cache rule per upstream registry the platform uses (by default
 *   Docker Hub, Quay and ECR Public), with a repository creation template each: immutable tags
 *   (the first digest pulled under a tag stays; ECR's daily re-check cannot move it), KMS
 *   encryption with a customer managed key, a lifecycle keeping the newest `maxImageVersions`
 *   tags. ECR itself fetches an image from upstream on its first pull, from AWS's network; the
 *   nodes reach only ECR's VPC endpoints. Credentials of registries that need them come from
 *   Secrets Manager (`upstreamCredentials`), checked at synth.
 * - **Charts**: `helmChart()` mirrors a pinned chart version from its upstream HTTPS repository
 *   into `<prefix>/charts/<chart>` (immutable, KMS, scanned on push) during the deployment
 *   (`ChartMirror`, outside the VPC), and `HelmChart` installs it from `oci://`: the kubectl
 *   handler logs in to ECR with its role (aws-eks-v2 gives it ECR read access).
 *
 * `grantPullThroughCache(nodeRole)` gives the nodes what pulling through the cache needs beyond
 * pulling (importing from upstream, creating the cache repository on first pull), on the cache
 * repositories of exactly the images `image()` handed out (ECR's creation role may create only
 * those too).
 */
export class PrivateRegistry extends Construct implements IPrivateRegistry {
  readonly registryHost: string;
  readonly repositoryPrefix: string;
  readonly upstreamRegistries: readonly UpstreamRegistryName[];
  readonly ready: IDependable;
  /** The key encrypting every repository. */
  readonly encryptionKey: kms.IKey;
  /** The role ECR assumes to create cache repositories with the key (creation templates' `customRoleArn`). */
  readonly repositoryCreationRole: iam.Role;
  /** The pull through cache rules, by upstream registry. */
  readonly cacheRules: { readonly [registry in UpstreamRegistryName]?: ecr.CfnPullThroughCacheRule };
  /** The repository creation templates, by upstream registry. */
  readonly creationTemplates: { readonly [registry in UpstreamRegistryName]?: ecr.CfnRepositoryCreationTemplate };

  private readonly props: PrivateRegistryProps;
  private readonly removalPolicy: RemovalPolicy;
  private readonly maxImageVersions: number;
  private readonly chartRepositories = new Map<string, ecr.Repository>();
  private readonly chartRepositoryGroup = new DependencyGroup();
  private readonly mirroredCharts = new Map<string, MirroredChartSpec>();
  /** The cache repositories (`<prefix>/<segment>/<upstream path>`) of the images handed out by `image()`. */
  private readonly cachedRepositories = new Set<string>();
  private mirror?: ChartMirror;

  constructor(scope: Construct, id: string, props: PrivateRegistryProps) {
    super(scope, id);
    this.props = props;
    const upstreams = props.upstreamRegistries ?? [...PLATFORM_UPSTREAM_REGISTRIES];
    this.maxImageVersions = props.maxImageVersions ?? 10;
    validateRegistryProps(this, props, upstreams, this.maxImageVersions);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.repositoryPrefix = props.repositoryPrefix;
    this.upstreamRegistries = upstreams;
    const stack = Stack.of(this);
    this.registryHost = `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}`;

    this.encryptionKey = props.encryptionKey ?? new PlatformKey(this, 'Key', { description: `Encrypts the private registry ${this.repositoryPrefix}/* (cached images, mirrored charts)`, removalPolicy: this.removalPolicy });
    // Usable only through ECR, which creates the repositories' grants with it (a no-op on an imported key).
    this.encryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(stack, ['ecr']));

    // ECR assumes this role to create a cache repository with the key (templates with KMS need one).
    this.repositoryCreationRole = new iam.Role(this, 'RepositoryCreationRole', {
      assumedBy: new iam.ServicePrincipal('ecr.amazonaws.com'),
      description: `ECR creates the pull through cache repositories of ${this.repositoryPrefix}/* encrypted with the registry key`,
    });
    const creationPolicy = new iam.ManagedPolicy(this, 'RepositoryCreationPolicy', {
      description: `ECR repository creation templates of ${this.repositoryPrefix}: create the cache repositories, encrypted with the registry key`,
      roles: [this.repositoryCreationRole],
      statements: [
        new iam.PolicyStatement({ sid: 'CreateCacheRepositories', actions: ['ecr:CreateRepository'], resources: this.cacheRepositoryArns() }),
        new iam.PolicyStatement({ sid: 'EncryptCacheRepositories', actions: ['kms:CreateGrant', 'kms:RetireGrant', 'kms:DescribeKey'], resources: [this.encryptionKey.keyArn] }),
      ],
    });

    const rules: { [registry in UpstreamRegistryName]?: ecr.CfnPullThroughCacheRule } = {};
    const templates: { [registry in UpstreamRegistryName]?: ecr.CfnRepositoryCreationTemplate } = {};
    for (const upstream of upstreams) {
      const spec = UPSTREAM_REGISTRIES[upstream];
      const prefix = this.cachePrefix(upstream);
      const id = upstream.split('-').map((word) => word[0].toUpperCase() + word.slice(1)).join('');
      const template = new ecr.CfnRepositoryCreationTemplate(this, `${id}Template`, {
        // ECR: the template's prefix is the cache rule's.
        prefix,
        appliedFor: ['PULL_THROUGH_CACHE'],
        description: `Cache of ${spec.url}: immutable tags, KMS, newest ${this.maxImageVersions} versions`,
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: this.encryptionKey.keyArn },
        lifecyclePolicy: JSON.stringify(this.lifecyclePolicy()),
        customRoleArn: this.repositoryCreationRole.roleArn,
      });
      template.node.addDependency(creationPolicy);
      const rule = new ecr.CfnPullThroughCacheRule(this, `${id}Rule`, {
        ecrRepositoryPrefix: prefix,
        upstreamRegistry: upstream,
        upstreamRegistryUrl: spec.url,
        credentialArn: props.upstreamCredentials?.[upstream]?.secretArn,
      });
      // A first pull must find the template, or the repository is created without it.
      rule.node.addDependency(template);
      rules[upstream] = rule;
      templates[upstream] = template;
    }
    this.cacheRules = rules;
    this.creationTemplates = templates;
    this.ready = new DependencyGroup(...Object.values(rules), ...Object.values(templates));
  }

  image(upstream: ImageReference): ImageReference {
    const fail = validationFailure('PrivateRegistry', this.node.path);
    const location = upstreamImageLocation(upstream.repository);
    if (!location.registry || !this.upstreamRegistries.includes(location.registry)) {
      fail(`image ${describeValue(upstream.repository)} is on ${describeValue(location.host)}, which this registry does not cache (it caches ${this.upstreamRegistries.join(', ')}). `
        + `Fix: add ${location.registry ? `"${location.registry}"` : 'its upstream registry'} to upstreamRegistries${location.registry ? '' : ' (ECR pull through cache supports Docker Hub, Quay, ECR Public, GitHub Container Registry and registry.k8s.io)'}, or use an image from one it caches.`);
    }
    if (!EXACT_TAG.test(upstream.tag)) fail(`image ${describeValue(upstream.repository)} has tag ${describeValue(upstream.tag)}, which is not an exact release. Fix: pin a release tag such as "1.2.3" (the cache freezes a tag on its first digest).`);
    if (upstream.digest !== undefined && !IMAGE_DIGEST_FORMAT.test(upstream.digest)) {
      fail(`image ${describeValue(upstream.repository)} has digest ${describeValue(upstream.digest)}. Fix: "sha256:" and 64 lowercase hex digits, or no digest.`);
    }
    const repository = `${this.cachePrefix(location.registry!)}/${location.path}`;
    this.cachedRepositories.add(repository);
    return {
      repository: `${this.registryHost}/${repository}`,
      tag: upstream.tag,
      ...(upstream.digest ? { digest: upstream.digest } : {}),
    };
  }

  helmChart(source: HelmChartSource): MirroredHelmChart {
    const fail = validationFailure('PrivateRegistry', this.node.path);
    const where = `helmChart(${describeValue(`${source.chart} ${source.version}`)})`;
    if (!CHART_NAME.test(source.chart)) fail(`${where}: chart ${describeValue(source.chart)} is not a chart name. Fix: the chart's name as its repository lists it, e.g. "istiod".`);
    if (!EXACT_VERSION.test(source.version)) fail(`${where}: version ${describeValue(source.version)} is not an exact version. Fix: pin a release such as "1.2.3" (no ranges).`);
    if (Token.isUnresolved(source.repository) || !/^https:\/\/[^\s]+$/.test(source.repository)) {
      fail(`${where}: repository ${describeValue(source.repository)} is not an https:// Helm repository URL known at synth. Fix: the upstream repository's URL, e.g. "https://argoproj.github.io/argo-helm".`);
    }
    if (source.archiveDigest !== undefined && !IMAGE_DIGEST_FORMAT.test(source.archiveDigest)) {
      fail(`${where}: archiveDigest ${describeValue(source.archiveDigest)}. Fix: "sha256:" and 64 lowercase hex digits (the version's digest in the repository's index.yaml), or no digest.`);
    }
    if (!this.props.helmLayer) fail(`${where}: charts are mirrored by a Lambda that runs helm, and helmLayer is not set. Fix: pass the cluster's kubectl layer (it carries /opt/helm/helm) as helmLayer.`);
    const key = `${source.chart}@${source.version}`;
    const known = this.mirroredCharts.get(key);
    if (known && (known.sourceRepository !== source.repository || known.archiveDigest !== source.archiveDigest)) {
      fail(`${where} is mirrored from ${describeValue(known.sourceRepository)} already, now asked from ${describeValue(source.repository)}${source.archiveDigest !== known.archiveDigest ? ' with another digest' : ''}. Fix: one source and digest per chart version.`);
    }
    this.chartRepository(source.chart);
    this.mirroredCharts.set(key, {
      chart: source.chart,
      version: source.version,
      sourceRepository: source.repository,
      // The literal name (the repository's `repositoryName` is a reference): the template shows what is mirrored where.
      repositoryName: this.chartRepositoryName(source.chart),
      ...(source.archiveDigest ? { archiveDigest: source.archiveDigest } : {}),
    });
    const mirror = this.chartMirror();
    return {
      chart: source.chart,
      version: source.version,
      repository: `oci://${this.registryHost}/${this.chartRepositoryName(source.chart)}`,
      source,
      mirrored: mirror.resource,
    };
  }

  grantPullThroughCache(grantee: iam.IGrantable): iam.Grant {
    const cacheRepositories = this.cacheRepositoryArns();
    // Pulling needs the authorization token (no resource-level permissions) and the image reads.
    const login = iam.Grant.addToPrincipal({ grantee, actions: ['ecr:GetAuthorizationToken'], resourceArns: ['*'] });
    const pull = iam.Grant.addToPrincipal({
      grantee,
      // BatchGetImage on a cached tag also needs BatchImportUpstreamImage (fetch from upstream) and,
      // on its first pull, CreateRepository: ECR checks all three against the cache repository.
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'],
      resourceArns: cacheRepositories,
    });
    return login.combine(pull);
  }

  /** The ECR repository prefix of one upstream's cache: `<prefix>/<segment>`. */
  cachePrefix(upstream: UpstreamRegistryName): string {
    return `${this.repositoryPrefix}/${UPSTREAM_REGISTRIES[upstream].segment}`;
  }

  /**
   * The cache repositories of the images handed out by `image()`, exactly; before any (a registry
   * used for charts only), every cache repository of this registry's upstreams (`<prefix>/<segment>/*`).
   * Pseudo parameters, not the stack's account and region: the same policy text in every environment.
   */
  private cacheRepositoryArns(): string[] {
    const arn = (name: string) => Stack.of(this).formatArn({ service: 'ecr', region: Aws.REGION, account: Aws.ACCOUNT_ID, resource: 'repository', resourceName: name });
    return Lazy.list({
      produce: () => (this.cachedRepositories.size > 0
        ? [...this.cachedRepositories].sort().map(arn)
        : this.upstreamRegistries.map((u) => arn(`${this.cachePrefix(u)}/*`))),
    });
  }

  private lifecyclePolicy(): Record<string, unknown> {
    return {
      rules: [{
        rulePriority: 1,
        description: `Keep the newest ${this.maxImageVersions} tagged versions`,
        selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: this.maxImageVersions },
        action: { type: 'expire' },
      }],
    };
  }

  private chartRepositoryName(chart: string): string {
    return `${this.repositoryPrefix}/${CHARTS_SEGMENT}/${chart}`;
  }

  private chartRepository(chart: string): ecr.Repository {
    let repository = this.chartRepositories.get(chart);
    if (!repository) {
      const id = `Chart-${chart}`;
      repository = new ecr.Repository(this, id, {
        repositoryName: this.chartRepositoryName(chart),
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        encryption: ecr.RepositoryEncryption.KMS,
        encryptionKey: this.encryptionKey,
        imageScanOnPush: true,
        lifecycleRules: [{ description: `Keep the newest ${this.maxImageVersions} chart versions`, tagStatus: ecr.TagStatus.TAGGED, tagPatternList: ['*'], maxImageCount: this.maxImageVersions }],
        removalPolicy: this.removalPolicy,
        emptyOnDelete: this.removalPolicy === RemovalPolicy.DESTROY,
      });
      this.chartRepositories.set(chart, repository);
      this.chartRepositoryGroup.add(repository);
    }
    return repository;
  }

  private chartMirror(): ChartMirror {
    if (!this.mirror) {
      const logKey = new PlatformKey(this, 'LogKey', { description: `Encrypts the chart mirror logs of ${this.repositoryPrefix}`, removalPolicy: this.removalPolicy });
      this.mirror = new ChartMirror(this, 'ChartMirror', {
        registryHost: this.registryHost,
        repositories: () => [...this.chartRepositories.values()],
        charts: () => [...this.mirroredCharts.values()].sort((a, b) => `${a.chart}@${a.version}`.localeCompare(`${b.chart}@${b.version}`)),
        helmLayer: this.props.helmLayer!,
        logEncryptionKey: logKey,
        logGroupPrefix: this.repositoryPrefix,
        logRetention: this.props.logRetention,
        removalPolicy: this.removalPolicy,
      });
      // The repositories exist before the mirror pushes (every one, made before or after it).
      this.mirror.resource.node.addDependency(this.chartRepositoryGroup);
    }
    return this.mirror;
  }
}

function validateRegistryProps(scope: Construct, props: PrivateRegistryProps, upstreams: UpstreamRegistryName[], maxImageVersions: number): void {
  const fail = validationFailure('PrivateRegistry', scope.node.path);
  const prefix = props.repositoryPrefix;
  if (Token.isUnresolved(prefix) || !PREFIX.test(prefix) || prefix.length < PREFIX_LENGTH.min || prefix.length > PREFIX_LENGTH.max) {
    fail(`repositoryPrefix ${describeValue(prefix, scope)} is not a repository prefix known at synth. Fix: ${PREFIX_LENGTH.min} to ${PREFIX_LENGTH.max} lowercase letters and digits, separated by single ".", "_" or "-" (e.g. the environment name "ztp-prod"): ECR allows 30 characters for "<prefix>/docker-hub".`);
  }
  const known = Object.keys(UPSTREAM_REGISTRIES) as UpstreamRegistryName[];
  if (upstreams.length === 0) fail(`upstreamRegistries is empty. Fix: list the registries the images come from (${known.join(', ')}), or omit it for the platform's (${PLATFORM_UPSTREAM_REGISTRIES.join(', ')}).`);
  const seen = new Set<string>();
  for (const upstream of upstreams) {
    if (!known.includes(upstream)) fail(`upstreamRegistries has ${describeValue(upstream)}, which ECR pull through cache does not support. Fix: use ${known.join(', ')}.`);
    if (seen.has(upstream)) fail(`upstreamRegistries lists ${describeValue(upstream)} twice. Fix: list each registry once.`);
    seen.add(upstream);
  }
  const credentials = props.upstreamCredentials ?? {};
  for (const [upstream, secret] of Object.entries(credentials) as [UpstreamRegistryName, secretsmanager.ISecret | undefined][]) {
    if (!secret) continue;
    if (!upstreams.includes(upstream)) fail(`upstreamCredentials has a secret for ${describeValue(upstream)}, which is not in upstreamRegistries (${upstreams.join(', ')}). Fix: remove it, or cache that registry.`);
    const name = secret.secretName;
    if (!Token.isUnresolved(name) && !CREDENTIAL_SECRET_NAME.test(name)) {
      fail(`upstreamCredentials["${upstream}"] is the secret ${describeValue(name)}: ECR reads only secrets whose name starts with "ecr-pullthroughcache/". Fix: store the credentials in a secret named e.g. "ecr-pullthroughcache/${prefix}/${upstream}".`);
    }
  }
  for (const upstream of upstreams) {
    if (UPSTREAM_REGISTRIES[upstream].requiresCredential && !credentials[upstream]) {
      fail(`upstreamCredentials["${upstream}"] is missing: ECR caches ${UPSTREAM_REGISTRIES[upstream].url} only with credentials. `
        + `Fix: create a Secrets Manager secret named "ecr-pullthroughcache/${prefix}/${upstream}" in this account and region holding {"username": ..., "accessToken": ...} and pass it (secretsmanager.Secret.fromSecretCompleteArn), or drop "${upstream}" from upstreamRegistries.`);
    }
  }
  if (!isIntBetween(maxImageVersions, 1, 1000)) fail(`maxImageVersions ${describeValue(maxImageVersions, scope)} must be a whole number from 1 to 1000. Fix: e.g. 10, enough versions to roll back to.`);
}
