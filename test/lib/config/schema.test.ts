import { App, Token } from 'aws-cdk-lib';
import {
  loadPipelineConfig,
  loadPlatformConfigs,
  PipelineConfigError,
  PlatformConfigError,
  resolvePlatformConfig,
} from '../../../lib/config';
import { editDistance, nearestName } from '../../../lib/config/suggest';
import { PIPELINE_CONTEXT, PIPELINE_SECTION } from '../pipeline/pipeline-context';

/** The problems `run` throws (a PlatformConfigError or PipelineConfigError), or fails the test. */
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof PlatformConfigError || error instanceof PipelineConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a configuration error');
}

const resolve = (env: string, overrides: unknown) => () => resolvePlatformConfig(env, overrides as never);
const DEV = '(in cdk.json context "platform" -> "dev" or with -c).';
const PROD = '(in cdk.json context "platform" -> "prod" or with -c).';

describe('unknown settings are refused, naming the nearest valid one', () => {
  test.each<[string, string, unknown, string]>([
    ['a misspelt setting: network.maxAz', 'prod', { network: { maxAz: 9 } },
      `platform.prod.network.maxAz is 9: unknown setting. Did you mean "maxAzs"? Fix: rename it to "maxAzs" ${PROD}`],
    ['a misspelt section: netwrok', 'dev', { netwrok: {} },
      `platform.dev.netwrok is {}: unknown setting. Did you mean "network"? Fix: rename it to "network" ${DEV}`],
    ['a setting missing its plural: data.postgres.backupRetentionDay', 'dev', { data: { postgres: { backupRetentionDay: 14 } } },
      `platform.dev.data.postgres.backupRetentionDay is 14: unknown setting. Did you mean "backupRetentionDays"? Fix: rename it to "backupRetentionDays" ${DEV}`],
    ['a misspelt key inside a namespace (named by its name)', 'dev', { cluster: { namespaces: [{ name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20, pod: 30 } }] } },
      `platform.dev.cluster.namespaces["orders"].quota.pod is 30: unknown setting. Did you mean "pods"? Fix: rename it to "pods" ${DEV}`],
    ['the right name in the wrong place', 'dev', { maxAzs: 3 },
      `platform.dev.maxAzs is 3: unknown setting here. Did you mean platform.dev.network.maxAzs? Fix: move it to network.maxAzs ${DEV}`],
    ['nothing close: the valid names are listed', 'dev', { mesh: { ingress: { tls: true } } },
      `platform.dev.mesh.ingress.tls is true: unknown setting; platform.dev.mesh.ingress takes scheme, allowedCidrs, certificateArn, hosts. Fix: remove it, or use one of those names ${DEV}`],
  ])('%s', (_name, env, overrides, expected) => {
    expect(problemsOf(resolve(env, overrides))).toEqual([expected]);
  });

  test('an unknown key in the pipeline section', () => {
    const app = new App({ context: { pipeline: { ...PIPELINE_SECTION, brnach: 'release' }, platform: PIPELINE_CONTEXT.platform } });
    expect(problemsOf(() => loadPipelineConfig(app.node))).toEqual([
      'pipeline.brnach is "release": unknown setting. Did you mean "branch"? Fix: rename it to "branch" (in cdk.json context "pipeline" or with -c).',
    ]);
  });

  test('a required pipeline setting that is missing says what it must be', () => {
    const { connectionArn: _c, ...section } = PIPELINE_SECTION;
    const app = new App({ context: { pipeline: section, platform: PIPELINE_CONTEXT.platform } });
    expect(problemsOf(() => loadPipelineConfig(app.node))).toEqual([
      'pipeline.connectionArn is undefined: must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<uuid>). Fix: create the connection in the console (Developer Tools > Connections), complete the handshake, and paste its ARN (in cdk.json context "pipeline" or with -c).',
    ]);
  });

  test('environment names under "platform" that are not environments are not read (as before)', () => {
    const app = new App({ context: { env: 'dev', platform: { qa: { network: { maxAz: 9 } } } } });
    expect(loadPlatformConfigs(app.node).map((c) => c.envName)).toEqual(['dev']);
  });
});

describe('types and ranges', () => {
  test('a string where a number belongs', () => {
    expect(problemsOf(resolve('dev', { network: { maxAzs: '3' } }))).toEqual([
      `platform.dev.network.maxAzs is "3": must be a number, not a string. Fix: write it without quotes: 3 ${DEV}`,
    ]);
  });

  test('a single value where a list belongs', () => {
    expect(problemsOf(resolve('dev', { cluster: { adminRoleArns: 'arn:aws:iam::123456789012:role/admin' } }))).toEqual([
      `platform.dev.cluster.adminRoleArns is "arn:aws:iam::123456789012:role/admin": must be a list, not a string. Fix: write it as a list: ["arn:aws:iam::123456789012:role/admin"] ${DEV}`,
    ]);
  });

  test('a section that is not an object', () => {
    expect(problemsOf(resolve('dev', { network: null }))).toEqual([`platform.dev.network is null: must be an object, not null. Fix: write an object ${DEV}`]);
  });

  // The bounds below are the constructs' own (constructs/<area>/limits.ts), written out here so a change to them shows.
  test.each<[string, unknown, string]>([
    ['Availability Zones (ZeroTrustVpc)', { network: { maxAzs: 9 } },
      `platform.dev.network.maxAzs is 9: must be 2 to 4: EKS needs subnets in at least two Availability Zones. Fix: set network.maxAzs to 2 or 3 ${DEV}`],
    ['VPC prefix (ZeroTrustVpc)', { network: { vpcCidr: '10.0.0.0/21' } },
      `platform.dev.network.vpcCidr is "10.0.0.0/21": must have a prefix between /16 and /20 (room for pod IPs in every AZ). Fix: use a /16 to /20 range ${DEV}`],
    ['Aurora capacity (PostgresDatabase)', { data: { postgres: { maxCapacityAcu: 256.5 } } },
      `platform.dev.data.postgres.maxCapacityAcu is 256.5: must be 1 to 256 Aurora capacity units in steps of 0.5. Fix: set it to e.g. 4 ${DEV}`],
    ['Aurora readers (PostgresDatabase)', { data: { postgres: { readers: 16 } } },
      `platform.dev.data.postgres.readers is 16: must be a whole number from 1 to 15. Fix: set it to 1 (2 in prod) ${DEV}`],
    ['cache replicas (RedisCache)', { data: { cache: { replicas: 6 } } },
      `platform.dev.data.cache.replicas is 6: must be a whole number from 1 to 5: multi-AZ automatic failover needs a replica. Fix: set it to 1 (2 in prod) ${DEV}`],
    ['cache snapshots above the cache\'s 35 days (RedisCache)', { data: { cache: { snapshotRetentionDays: 36 } } },
      `platform.dev.data.cache.snapshotRetentionDays is 36: must be 15 to 35 days (the compliance packs ask for 15). Fix: set it to 15 ${DEV}`],
    ['node types that cannot carry pods with their own security group (PlatformCluster)', { cluster: { nodePool: { instanceTypes: ['m7i.large', 't3.large'] } } },
      `platform.dev.cluster.nodePool.instanceTypes is ["m7i.large","t3.large"]: must list types that can attach a trunk network interface (every service's pods get their own security group, ADR 0019); "t3.large" cannot. Fix: use types such as "m7i.large" or "m6i.large" (PlatformCluster's list: isTrunkingCompatible; no "t" type is) ${DEV}`],
    ['namespace pods (ApplicationNamespace)', { cluster: { namespaces: [{ name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 1001 } }] } },
      `platform.dev.cluster.namespaces["orders"].quota.pods is 1001: must be a whole number from 1 to 1000. Fix: set it to e.g. 20 ${DEV}`],
    ['an objective the burn-rate pages cannot fire on (ServiceMonitoring)', { workloads: { sample: { slo: { availabilityPercent: 93, latencyThresholdMs: 300, latencyPercent: 99 } } } },
      `platform.dev.workloads.sample.slo.availabilityPercent is 93: must be a percentage from 93.1 to 99.99 (100 leaves no error budget). Fix: set it to e.g. 99.9 ${DEV}`],
    ['service replicas (product policy: 100)', { workloads: { sample: { minReplicas: 2, maxReplicas: 101 } } },
      `platform.dev.workloads.sample is {"minReplicas":2,"maxReplicas":101}: needs whole numbers with 2 <= minReplicas <= maxReplicas <= 100 (one replica is a single point of failure). Fix: set minReplicas and maxReplicas within those bounds ${DEV}`],
  ])('%s', (_name, overrides, expected) => {
    expect(problemsOf(resolve('dev', overrides))).toEqual([expected]);
  });

  test('the bounds are accepted: 100 service replicas (policy), 256 ACUs, 35 snapshot days (the constructs\' maxima)', () => {
    expect(() => resolvePlatformConfig('dev', {
      workloads: { sample: { maxReplicas: 100 } },
      data: { postgres: { maxCapacityAcu: 256 }, cache: { snapshotRetentionDays: 35 } },
    })).not.toThrow();
  });

  test('a deploy-time value (token) is described, never printed raw', () => {
    const problems = problemsOf(resolve('dev', { name: Token.asString({ Ref: 'Name' }) }));
    expect(problems).toEqual([
      `platform.dev.name is a value only known at deploy time: must be 2-20 lowercase letters, digits or dashes, starting with a letter. Fix: set name to e.g. "ztp-dev" ${DEV}`,
    ]);
  });
});

describe('every problem at once', () => {
  test('unknown keys, a wrong type, a range and a prod policy in one error', () => {
    let error: unknown;
    try {
      resolvePlatformConfig('prod', {
        netwrok: { maxAzs: 3 },
        cluster: { nodePool: { diskSizeGiB: '100' } },
        data: { cache: { snapshotRetentionDays: 7 }, postgres: { backupRetentionDay: 35 } },
        removalPolicy: 'destroy',
      } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlatformConfigError);
    expect((error as PlatformConfigError).problems).toEqual([
      `platform.prod.cluster.nodePool.diskSizeGiB is "100": must be a number, not a string. Fix: write it without quotes: 100 ${PROD}`,
      `platform.prod.data.postgres.backupRetentionDay is 35: unknown setting. Did you mean "backupRetentionDays"? Fix: rename it to "backupRetentionDays" ${PROD}`,
      `platform.prod.data.cache.snapshotRetentionDays is 7: must be 15 to 35 days (the compliance packs ask for 15). Fix: set it to 15 ${PROD}`,
      `platform.prod.netwrok is {"maxAzs":3}: unknown setting. Did you mean "network"? Fix: rename it to "network" ${PROD}`,
      `platform.prod.removalPolicy is "destroy": must be "retain" in prod: production data is never deleted by a stack change. Fix: set removalPolicy to "retain" ${PROD}`,
    ]);
    expect((error as Error).message).toContain('Invalid platform configuration for env "prod" (5 problems)');
  });

  test('several environments: one error listing the problems of each', () => {
    const app = new App({ context: { env: 'dev,prod', platform: { dev: { network: { maxAz: 3 } }, prod: { removalPolicy: 'snapshot' } } } });
    expect(() => loadPlatformConfigs(app.node)).toThrow(
      'Invalid platform configuration for env "dev,prod" (2 problems):\n' +
        `  - platform.dev.network.maxAz is 3: unknown setting. Did you mean "maxAzs"? Fix: rename it to "maxAzs" ${DEV}\n` +
        `  - platform.prod.removalPolicy is "snapshot": must be "retain" in prod: production data is never deleted by a stack change. Fix: set removalPolicy to "retain" ${PROD}`,
    );
  });

  test('the pipeline section and the environments it deploys: one error', () => {
    const platform = { ...PIPELINE_CONTEXT.platform, prod: { ...PIPELINE_CONTEXT.platform.prod, data: { cache: { snapshotRetentionDay: 35 } } } };
    const app = new App({ context: { pipeline: { ...PIPELINE_SECTION, repository: 'zero-trust-platform' }, platform } });
    expect(problemsOf(() => loadPipelineConfig(app.node))).toEqual([
      'pipeline.repository is "zero-trust-platform": must be "owner/name" of the repository the connection can read. Fix: set it to e.g. "my-org/zero-trust-platform" (in cdk.json context "pipeline" or with -c).',
      `platform.prod.data.cache.snapshotRetentionDay is 35: unknown setting. Did you mean "snapshotRetentionDays"? Fix: rename it to "snapshotRetentionDays" ${PROD}`,
    ]);
  });
});

describe('the platform context section itself', () => {
  test('an environment section that is not an object', () => {
    const app = new App({ context: { env: 'dev', platform: { dev: 'ztp-dev' } } });
    expect(problemsOf(() => loadPlatformConfigs(app.node))).toEqual([
      `platform.dev is "ztp-dev": must be an object of settings. Fix: write it as an object such as { "name": "team-a-dev" } (the settings are listed under "Configuration reference" in the README) ${DEV}`,
    ]);
  });

  test('-c platform that is not JSON', () => {
    const app = new App({ context: { env: 'dev', platform: '{dev:' } });
    expect(problemsOf(() => loadPlatformConfigs(app.node))).toEqual([
      'platform is "{dev:": must be a JSON object. Fix: pass -c platform=\'{"dev":{"name":"team-a-dev"}}\' or set it in cdk.json context.',
    ]);
  });
});

describe('nearest name', () => {
  test.each<[string, string, number]>([
    ['netwrok', 'network', 1], ['maxAz', 'maxAzs', 1], ['kitten', 'sitting', 3], ['', 'abc', 3], ['abc', 'abc', 0],
  ])('editDistance(%s, %s) = %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });

  test.each<[string, string | undefined]>([
    ['MaxAzs', 'maxAzs'], ['nat_gateways', 'natGateways'], ['natGateway', 'natGateways'], ['flowLogsRetentionDays', 'flowLogRetentionDays'], ['vpc', 'vpcCidr'], ['zones', undefined],
  ])('nearestName(%s) = %s', (name, expected) => {
    expect(nearestName(name, ['vpcCidr', 'maxAzs', 'availabilityZones', 'natGateways', 'flowLogRetentionDays'])).toBe(expected);
  });
});
