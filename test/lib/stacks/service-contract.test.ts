/**
 * The infra <-> service contract (issue 20, item 3): the environment the Workloads stack renders
 * for the sample service's containers is fed to the service's own `loadConfig()`, and what the
 * config then says (port, TLS, CA file, command) is held against the pod spec, the Service, the
 * mesh objects, the image (services/sample/Dockerfile) and the routes the service publishes
 * (services/sample/openapi.json). A renamed variable, a missing CA path or a wrong port fails
 * here, not in a pod.
 *
 * The effective environment of a container is the image's ENV overlaid with the pod's `env`
 * (Kubernetes semantics). Deploy-time tokens are replaced by realistic stand-ins (a hostname
 * for an endpoint, a region for the region) so the service's validation runs on real-looking
 * values; an unknown token fails the test until it gets a stand-in.
 */
import { readFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildPlatformApp } from '../../../lib/platform-app';
import { ConfigError, loadConfig, type Config } from '../../../services/sample/src/config';
import { loadCheckSettings } from '../../../services/sample/src/check';
import { SMOKE_TEST_CUSTOMER_ID } from '../../../lib/pipeline/build-commands';
import { kubernetesObjects, objectOf, objectsOfKind, type KubernetesObject } from '../../support/manifests';
import { podTemplateSpec } from '../../support/pod-security';
import { createTestApp } from '../../support/test-app';

const ROOT = join(__dirname, '..', '..', '..');
const SERVICE_DIR = join(ROOT, 'services', 'sample');
const SERVICE_NAME = 'orders';

// --- What the service ships -------------------------------------------------------------------

interface ImageFacts {
  /** WORKDIR of the runtime stage. */
  readonly workdir: string;
  /** ENV of the runtime stage (the container's environment before the pod's `env`). */
  readonly env: Record<string, string>;
  /** Absolute paths of the files the runtime stage COPYs in. */
  readonly files: string[];
  /** USER of the runtime stage, `uid[:gid]`. */
  readonly user: string | undefined;
  readonly entrypoint: string[];
}

/** The runtime (last) stage of a Dockerfile: WORKDIR, ENV, COPY destinations, USER, ENTRYPOINT. */
function parseDockerfile(text: string): ImageFacts {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  let workdir = '/';
  const env: Record<string, string> = {};
  const files: string[] = [];
  let user: string | undefined;
  let entrypoint: string[] = [];
  for (const line of lines.slice(lastFrom + 1)) {
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction?.toUpperCase()) {
      case 'WORKDIR':
        workdir = posix.resolve(workdir, rest);
        break;
      case 'ENV':
        if (rest.includes('=')) for (const [, k, v] of rest.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[k] = v.replace(/^"|"$/g, '');
        else { const [k, ...v] = rest.split(/\s+/); env[k] = v.join(' '); }
        break;
      case 'COPY': {
        const words = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
        const destination = posix.resolve(workdir, words[words.length - 1]);
        const sources = words.slice(0, -1);
        const intoDirectory = words[words.length - 1].endsWith('/') || sources.length > 1;
        for (const source of sources) files.push(intoDirectory ? posix.join(destination, posix.basename(source)) : destination);
        break;
      }
      case 'USER':
        user = rest;
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(rest) as string[];
        break;
      default:
    }
  }
  return { workdir, env, files, user, entrypoint };
}

const IMAGE = parseDockerfile(readFileSync(join(SERVICE_DIR, 'Dockerfile'), 'utf8'));
const SERVICE_PACKAGE = JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
/** The routes the service serves (generated from its route schemas). */
const OPENAPI = JSON.parse(readFileSync(join(SERVICE_DIR, 'openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };

/** Arguments after the bundle in a `node dist/server.js ...` npm script: the service's command line. */
function commandArgs(script: string): string[] {
  const words = script.trim().split(/\s+/);
  const bundle = words.indexOf(SERVICE_PACKAGE.main);
  if (words[0] !== 'node' || bundle < 0) throw new Error(`not a "node ${SERVICE_PACKAGE.main} ..." script: ${script}`);
  return words.slice(bundle + 1);
}

/** The service's commands as its package publishes them: `start` serves, `migrate` migrates. */
const SERVICE_COMMANDS = {
  serve: commandArgs(SERVICE_PACKAGE.scripts.start),
  migrate: commandArgs(SERVICE_PACKAGE.scripts.migrate),
};

/**
 * Variables read by a library in the process rather than by loadConfig (standard names of the
 * OpenTelemetry SDK and the AWS SDK): the infra may set them even if loadConfig does not read them.
 */
const LIBRARY_VARIABLES = new Set([
  'OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_EXPORTER', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER', 'OTEL_PROPAGATORS',
  'AWS_REGION', 'AWS_DEFAULT_REGION',
]);

// --- What the Workloads stack synthesizes -----------------------------------------------------

interface Scenario {
  readonly env: 'dev' | 'staging' | 'prod';
  readonly strategy: 'rolling' | 'canary' | 'blue-green';
  /** Context overrides of the environment (`platform.<env>`). */
  readonly overrides?: Record<string, unknown>;
}

/** The shipped environments with their configured strategy, plus prod by blue-green (a config switch). */
const SCENARIOS: Scenario[] = [
  { env: 'dev', strategy: 'rolling' },
  { env: 'staging', strategy: 'canary' },
  { env: 'prod', strategy: 'canary' },
  { env: 'prod', strategy: 'blue-green', overrides: { workloads: { sample: { delivery: 'blue-green' } } } },
];

/** The Kubernetes objects of the sample service as the Workloads stack of one environment applies them. */
function synthWorkloads(scenario: Scenario): KubernetesObject[] {
  const platform = scenario.overrides ? { [scenario.env]: scenario.overrides } : {};
  const app = createTestApp({ context: { env: scenario.env, platform } });
  // The compliance gate is covered by its own tests; only the rendered objects matter here.
  const [stage] = buildPlatformApp(app, { complianceGate: false });
  app.synth();
  return kubernetesObjects(Template.fromStack(stage.workloads));
}

/** The object running the pods: a Deployment (rolling) or an Argo Rollout (canary, blue-green). */
function workloadOf(objects: KubernetesObject[]): KubernetesObject {
  const runners = objects.filter((o) => (o.kind === 'Deployment' || o.kind === 'Rollout') && o.metadata.name === SERVICE_NAME);
  if (runners.length !== 1) throw new Error(`expected one Deployment or Rollout "${SERVICE_NAME}", found ${runners.map((o) => o.kind).join(', ') || 'none'}`);
  return runners[0];
}

const REGION_STAND_IN = 'eu-west-1';

/**
 * A realistic value for a deploy-time token (rendered `{{...}}`), chosen by what the token is.
 * Throws for a token it does not know: give it a stand-in here.
 */
function standIn(token: string, envName: string): string {
  if (token === 'Ref:AWS::Region') return REGION_STAND_IN;
  if (/^ImportValue:.*Postgres\w*Endpoint\.?Address/.test(token)) return `ztp-${envName}-data-postgrescluster-1a2b3c4d.cluster-c9akciq32.${REGION_STAND_IN}.rds.amazonaws.com`;
  if (/^ImportValue:.*Cache\w*PrimaryEnd[Pp]oint\.?Address/.test(token)) return `master.ztp-${envName}-cache.5e6f7a.euw1.cache.amazonaws.com`;
  if (/^ImportValue:.*ExportsOutputRefCache/.test(token)) return `ztp-${envName}-cache`;
  throw new Error(`no stand-in for the deploy-time token {{${token}}}: add one to standIn()`);
}

const TOKEN = /\{\{([^{}]+)\}\}/g;
const resolveTokens = (value: string, envName: string) => value.replace(TOKEN, (_, token: string) => standIn(token, envName));

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { secretKeyRef?: unknown; configMapKeyRef?: unknown; fieldRef?: { fieldPath: string }; resourceFieldRef?: unknown };
}

/** A realistic value for a `valueFrom` entry (none today: no secrets, IAM everywhere). */
function valueFromStandIn(variable: EnvVar): string {
  const from = variable.valueFrom!;
  if (from.fieldRef?.fieldPath === 'metadata.name') return 'orders-7d9f8b6c5d-x2k4q';
  if (from.fieldRef?.fieldPath === 'metadata.namespace') return SERVICE_NAME;
  if (from.fieldRef?.fieldPath === 'status.podIP') return '10.30.140.17';
  throw new Error(`no stand-in for ${variable.name} valueFrom ${JSON.stringify(from)}: add one to valueFromStandIn()`);
}

interface ContainerEnvironment {
  /** What the process sees: the image's ENV overlaid with the pod's env, tokens replaced by stand-ins. */
  readonly effective: Record<string, string>;
  /** Names the pod's env sets (literal or valueFrom). */
  readonly set: string[];
  /** Names whose value holds a deploy-time token. */
  readonly tokens: string[];
  /** Names set with `valueFrom` (secret, configMap, fieldRef...). */
  readonly valueFrom: string[];
}

function containerEnvironment(container: any, envName: string): ContainerEnvironment {
  if (container.envFrom !== undefined) throw new Error(`${container.name}: envFrom is not modelled by this test`);
  const variables: EnvVar[] = container.env ?? [];
  const pod: Record<string, string> = {};
  for (const v of variables) pod[v.name] = v.valueFrom ? valueFromStandIn(v) : resolveTokens(v.value ?? '', envName);
  return {
    effective: { ...IMAGE.env, ...pod },
    set: variables.map((v) => v.name),
    tokens: variables.filter((v) => v.value !== undefined && new RegExp(TOKEN.source).test(v.value)).map((v) => v.name),
    valueFrom: variables.filter((v) => v.valueFrom !== undefined).map((v) => v.name),
  };
}

/** Everything the contract checks look at, read back from the applied objects. */
interface Deployed {
  readonly envName: string;
  readonly objects: KubernetesObject[];
  readonly workload: KubernetesObject;
  readonly pod: Record<string, any>;
  readonly app: any;
  readonly migrate: any;
}

function deployedOf(objects: KubernetesObject[], envName: string): Deployed {
  const workload = workloadOf(objects);
  const pod = podTemplateSpec(workload)!;
  const app = pod.containers.find((c: { name: string }) => c.name === 'app');
  const migrate = (pod.initContainers ?? []).find((c: { name: string }) => c.name === 'migrate');
  return { envName, objects, workload, pod, app, migrate };
}

/** A deep copy to mutate in a negative test. */
function mutated(deployed: Deployed, change: (d: Deployed) => void): Deployed {
  const copy = deployedOf(structuredClone(deployed.objects), deployed.envName);
  change(copy);
  return copy;
}

const renameVariable = (container: any, from: string, to: string) => {
  const variable = container.env.find((v: EnvVar) => v.name === from);
  if (!variable) throw new Error(`${container.name} has no ${from}`);
  variable.name = to;
};
const dropVariable = (container: any, name: string) => {
  container.env = container.env.filter((v: EnvVar) => v.name !== name);
};
const setVariable = (container: any, name: string, value: string) => {
  dropVariable(container, name);
  container.env.push({ name, value });
};

// --- The contract ------------------------------------------------------------------------------

interface Loaded {
  readonly config?: Config;
  /** loadConfig's own problems (ConfigError.problems). */
  readonly problems: string[];
  /** Variables loadConfig read. */
  readonly read: Set<string>;
}

/** The service's real loadConfig on an environment, recording which variables it reads. */
function load(env: Record<string, string>): Loaded {
  const read = new Set<string>();
  const recording = new Proxy(env, { get: (target, key) => { if (typeof key === 'string') read.add(key); return Reflect.get(target, key); } });
  try {
    return { config: loadConfig(recording), problems: [], read };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: [...error.problems], read };
    throw error;
  }
}

/** loadConfig accepts the container's environment, and reads every variable the pod sets. */
function configProblems(container: any, envName: string): string[] {
  const env = containerEnvironment(container, envName);
  const loaded = load(env.effective);
  const unread = env.set.filter((name) => !loaded.read.has(name) && !LIBRARY_VARIABLES.has(name));
  return [
    ...loaded.problems.map((p) => `${container.name}: loadConfig: ${p}`),
    ...unread.map((name) => `${container.name}: ${name} is set but the service never reads it (renamed or misspelt?)`),
  ];
}

function configOf(container: any, envName: string): Config {
  const loaded = load(containerEnvironment(container, envName).effective);
  if (!loaded.config) throw new Error(`${container.name}: loadConfig rejected the environment: ${loaded.problems.join('; ')}`);
  return loaded.config;
}

/** A probe's or a Service's port, by number or by the container port's name. */
function portNumber(port: number | string, container: any): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: { name?: string }) => p.name === port)?.containerPort;
}

/** The port the service listens on is the one every object sending it traffic uses. */
function portProblems(d: Deployed): string[] {
  const config = configOf(d.app, d.envName);
  const problems: string[] = [];
  const expectPort = (what: string, port: unknown) => {
    if (port !== config.port) problems.push(`${what} is ${String(port)}, the service listens on ${config.port}`);
  };
  if (!['0.0.0.0', '::'].includes(config.host)) problems.push(`the service listens on ${config.host}: kubelet probes and the sidecar cannot reach it`);
  const containerPorts: { name?: string; containerPort: number }[] = d.app.ports ?? [];
  if (containerPorts.length === 0) problems.push('the app container declares no port');
  for (const p of containerPorts) expectPort(`containerPort ${p.name ?? ''}`.trim(), p.containerPort);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const get = d.app[probe]?.httpGet;
    if (get) expectPort(`${probe} port`, portNumber(get.port, d.app));
  }
  const services = objectsOfKind(d.objects, 'Service');
  const servicePorts = new Set<number>();
  for (const service of services) {
    for (const p of service.spec.ports) {
      servicePorts.add(p.port);
      expectPort(`Service ${service.metadata.name} targetPort`, portNumber(p.targetPort ?? p.port, d.app));
    }
  }
  for (const vs of objectsOfKind(d.objects, 'VirtualService')) {
    for (const route of vs.spec.http ?? []) {
      for (const r of route.route ?? []) {
        const port = r.destination.port?.number;
        if (port !== undefined && !servicePorts.has(port)) problems.push(`VirtualService ${vs.metadata.name} routes to port ${port}, no Service port`);
      }
    }
  }
  for (const policy of objectsOfKind(d.objects, 'AuthorizationPolicy')) {
    for (const rule of policy.spec.rules ?? []) for (const to of rule.to ?? []) for (const port of to.operation?.ports ?? []) expectPort(`AuthorizationPolicy ${policy.metadata.name} port`, Number(port));
  }
  const annotations = d.workload.spec.template.metadata?.annotations ?? {};
  if (annotations['prometheus.io/port'] !== undefined) expectPort('prometheus.io/port annotation', Number(annotations['prometheus.io/port']));
  const ingressPorts = objectsOfKind(d.objects, 'NetworkPolicy').flatMap((np) => (np.spec.ingress ?? []).flatMap((rule: any) => (rule.ports ?? []).map((p: any) => p.port)));
  if (!ingressPorts.includes(config.port)) problems.push(`no NetworkPolicy admits traffic on port ${config.port}`);
  return problems;
}

/** Probes (and the metrics scrape) ask for routes the service serves, over plain HTTP (mTLS is the sidecar's). */
function routeProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const served = (path: string) => OPENAPI.paths[path]?.get !== undefined;
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const get = d.app[probe]?.httpGet;
    if (!get) { problems.push(`the app container has no HTTP ${probe}`); continue; }
    if (!served(get.path)) problems.push(`${probe} path ${get.path} is not a GET route of the service (${Object.keys(OPENAPI.paths).join(', ')})`);
    if ((get.scheme ?? 'HTTP') !== 'HTTP') problems.push(`${probe} scheme is ${get.scheme}; the service serves plain HTTP`);
  }
  const metricsPath = d.workload.spec.template.metadata?.annotations?.['prometheus.io/path'];
  if (metricsPath !== undefined && !served(metricsPath)) problems.push(`prometheus.io/path ${metricsPath} is not a GET route of the service`);
  for (const vs of objectsOfKind(d.objects, 'VirtualService')) {
    for (const match of (vs.spec.http ?? []).flatMap((r: any) => r.match ?? [])) {
      const prefix = match.uri?.prefix;
      if (prefix !== undefined && !Object.keys(OPENAPI.paths).some((p) => p.startsWith(prefix))) problems.push(`VirtualService ${vs.metadata.name} routes ${prefix}*, where the service has no route`);
    }
  }
  return problems;
}

/** Every file path the environment names exists in the image. */
function fileProblems(container: any, envName: string): string[] {
  const env = containerEnvironment(container, envName);
  const mounts: string[] = (container.volumeMounts ?? []).map((m: { mountPath: string }) => m.mountPath);
  const inImage = (path: string) => IMAGE.files.includes(path) || mounts.some((m) => path.startsWith(`${m}/`));
  const problems: string[] = [];
  for (const name of env.set) {
    const value = env.effective[name];
    if (value.startsWith('/') && !inImage(value)) problems.push(`${container.name}: ${name}=${value} is not a file of the image (${IMAGE.files.join(', ')})`);
  }
  const loaded = load(env.effective);
  for (const [what, path] of [['database CA file', loaded.config?.database.tlsCaFile], ['redis CA file', loaded.config?.redis.tlsCaFile]] as const) {
    if (path !== undefined && !posix.isAbsolute(path)) problems.push(`${container.name}: the ${what} ${path} is relative: it depends on the working directory (${IMAGE.workdir})`);
    else if (path !== undefined && !inImage(path)) problems.push(`${container.name}: the ${what} ${path} is not in the image`);
  }
  return problems;
}

/** Deployed environments talk to Aurora over verified TLS (with the RDS CAs, not in Node's store) and IAM tokens. */
function tlsProblems(container: any, envName: string): string[] {
  const config = configOf(container, envName);
  const problems: string[] = [];
  if (config.database.tls !== 'verify-full') problems.push(`${container.name}: database TLS is "${config.database.tls}", not verify-full`);
  if (config.database.tlsCaFile === undefined) problems.push(`${container.name}: database TLS verify-full without DATABASE_TLS_CA_FILE: Node's CA store has no Amazon RDS CA, every connection would fail`);
  if (!config.database.iamAuth) problems.push(`${container.name}: database IAM auth is off`);
  if (!config.redis.url.startsWith('rediss://')) problems.push(`${container.name}: Redis without TLS (${config.redis.url})`);
  if (!config.redis.iamAuth) problems.push(`${container.name}: Redis IAM auth is off`);
  return problems;
}

/** The mesh (REGISTRY_ONLY) and the NetworkPolicies let the service reach the endpoints its URLs name. */
function egressProblems(d: Deployed): string[] {
  const config = configOf(d.app, d.envName);
  const entries = objectsOfKind(d.objects, 'ServiceEntry');
  const egressPorts = objectsOfKind(d.objects, 'NetworkPolicy').flatMap((np) => (np.spec.egress ?? []).flatMap((rule: any) => (rule.ports ?? []).map((p: any) => p.port)));
  const problems: string[] = [];
  for (const [name, raw, defaultPort] of [['DATABASE_URL', config.database.url, 5432], ['REDIS_URL', config.redis.url, 6379]] as const) {
    const url = new URL(raw);
    const port = Number(url.port || defaultPort);
    const entry = entries.find((e) => e.spec.hosts.some((h: string) => resolveTokens(h, d.envName) === url.hostname));
    if (!entry) problems.push(`${name} host ${url.hostname} has no ServiceEntry`);
    else if (!entry.spec.ports.some((p: { number: number }) => p.number === port)) problems.push(`${name} port ${port} is not a port of ServiceEntry ${entry.metadata.name}`);
    if (!egressPorts.includes(port)) problems.push(`${name} port ${port}: no NetworkPolicy allows egress to it`);
  }
  // Spans go to a Service of the cluster (`<name>.<namespace>.svc.cluster.local`): a NetworkPolicy
  // must let the pods reach that namespace on the endpoint's port.
  if (config.telemetry.otlpEndpoint === undefined) {
    problems.push('OTEL_EXPORTER_OTLP_ENDPOINT is not set: the service would record no spans');
  } else {
    const url = new URL(config.telemetry.otlpEndpoint);
    const [, namespace] = url.hostname.split('.');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const reaches = objectsOfKind(d.objects, 'NetworkPolicy').some((np) => (np.spec.egress ?? []).some((rule: any) =>
      (rule.to ?? []).some((peer: any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === namespace) && (rule.ports ?? []).some((p: any) => p.port === port)));
    if (!url.hostname.endsWith('.svc.cluster.local')) problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT host ${url.hostname} is not a Service of the cluster`);
    else if (!reaches) problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT ${url.host}: no NetworkPolicy allows egress to namespace ${namespace} on port ${port}`);
  }
  return problems;
}

/** The migration init container runs the service's migrate command from the same image, the app serves. */
function commandProblems(d: Deployed): string[] {
  const problems: string[] = [];
  if (!d.migrate) return ['no migration init container "migrate"'];
  if (JSON.stringify(d.migrate.args ?? []) !== JSON.stringify(SERVICE_COMMANDS.migrate)) problems.push(`migrate args ${JSON.stringify(d.migrate.args)} are not the service's migrate command ${JSON.stringify(SERVICE_COMMANDS.migrate)}`);
  if (JSON.stringify(d.app.args ?? []) !== JSON.stringify(SERVICE_COMMANDS.serve)) problems.push(`app args ${JSON.stringify(d.app.args)} are not the service's serve command ${JSON.stringify(SERVICE_COMMANDS.serve)}`);
  for (const c of [d.app, d.migrate]) if (c.command !== undefined) problems.push(`${c.name} overrides the image's entrypoint with ${JSON.stringify(c.command)}`);
  if (d.migrate.image !== d.app.image) problems.push(`migrate runs ${d.migrate.image}, the app ${d.app.image}`);
  return problems;
}

// --- Tests -------------------------------------------------------------------------------------

describe('the image and the service as shipped (services/sample)', () => {
  test('the runtime stage: /app, PORT=8080, the bundle with its external modules, the OpenAPI document and the RDS CA bundle, non-root', () => {
    expect(IMAGE.workdir).toBe('/app');
    expect(IMAGE.env).toEqual({ NODE_ENV: 'production', PORT: '8080' });
    // node_modules: the instrumented modules (pg, ioredis) stay outside the bundle so OpenTelemetry can patch them.
    expect(IMAGE.files).toEqual(['/app/server.js', '/app/server.js.LEGAL.txt', '/app/node_modules', '/app/openapi.json', '/app/rds-ca-bundle.pem']);
    expect(IMAGE.user).toBe('65532:65532');
    expect(IMAGE.entrypoint).toEqual(['/nodejs/bin/node', `/app/${basename(SERVICE_PACKAGE.main)}`]);
    // the CA bundle the runtime stage copies is written by the service's build
    expect(readFileSync(join(SERVICE_DIR, 'build.ts'), 'utf8')).toContain("'rds-ca-bundle.pem'");
  });

  test('its commands: serving takes no arguments, migrating takes "migrate"; its probes are GET routes', () => {
    expect(SERVICE_COMMANDS).toEqual({ serve: [], migrate: ['migrate'] });
    expect(OPENAPI.paths['/livez']?.get).toBeDefined();
    expect(OPENAPI.paths['/readyz']?.get).toBeDefined();
    expect(OPENAPI.paths['/metrics']?.get).toBeDefined();
  });
});

describe.each(SCENARIOS)('the Workloads stack of $env ($strategy) and the service agree', (scenario) => {
  let deployed: Deployed;

  beforeAll(() => {
    // GIVEN the environment as configured; WHEN synthesized; THEN the applied objects are read back
    deployed = deployedOf(synthWorkloads(scenario), scenario.env);
  });

  test(`the pods run from a ${scenario.strategy === 'rolling' ? 'Deployment' : 'Rollout'}, with the app container and the migrate init container`, () => {
    expect(deployed.workload.kind).toBe(scenario.strategy === 'rolling' ? 'Deployment' : 'Rollout');
    if (scenario.strategy !== 'rolling') expect(Object.keys(deployed.workload.spec.strategy)).toEqual([scenario.strategy === 'canary' ? 'canary' : 'blueGreen']);
    expect(deployed.app).toBeDefined();
    expect(deployed.migrate).toBeDefined();
  });

  test('the environment: plain values only (no valueFrom), deploy-time tokens where endpoints and the region go', () => {
    for (const container of [deployed.app, deployed.migrate]) {
      const env = containerEnvironment(container, scenario.env);
      expect(env.valueFrom).toEqual([]);
      expect(env.tokens.sort()).toEqual(['AWS_REGION', 'DATABASE_URL', 'REDIS_IAM_CACHE_NAME', 'REDIS_URL']);
    }
    // both containers get the same environment (migrate loads the whole config before it runs)
    expect(deployed.migrate.env).toEqual(deployed.app.env);
  });

  test.each(['app', 'migrate'] as const)('loadConfig accepts the %s container\'s environment and reads every variable it sets', (which) => {
    const container = which === 'app' ? deployed.app : deployed.migrate;
    expect(configProblems(container, scenario.env)).toEqual([]);
    const config = configOf(container, scenario.env);
    expect(config.database.url).toBe(`postgres://app@ztp-${scenario.env}-data-postgrescluster-1a2b3c4d.cluster-c9akciq32.eu-west-1.rds.amazonaws.com:5432/app`);
    expect(config.database.schema).toBe('app');
    expect(config.redis).toMatchObject({ url: `rediss://master.ztp-${scenario.env}-cache.5e6f7a.euw1.cache.amazonaws.com:6380`, iamAuth: true, iamCacheName: `ztp-${scenario.env}-cache`, iamServerless: false });
    expect(config.awsRegion).toBe(REGION_STAND_IN);
    expect(config.telemetry.serviceName).toBe(SERVICE_NAME);
    expect(config.shutdown).toEqual({ delayMs: 0, timeoutMs: 20_000 });
  });

  test('the port the service listens on (8080, from the image) is the containerPort, every probe port, the Service targetPort, the mesh and scrape ports', () => {
    expect(configOf(deployed.app, scenario.env).port).toBe(8080);
    expect(deployed.app.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(portProblems(deployed)).toEqual([]);
  });

  test('the probes and the metrics scrape ask for routes the service serves: /livez, /readyz, /metrics', () => {
    expect([deployed.app.startupProbe, deployed.app.readinessProbe, deployed.app.livenessProbe].map((p) => p.httpGet.path)).toEqual(['/livez', '/readyz', '/livez']);
    expect(routeProblems(deployed)).toEqual([]);
  });

  test('every file the environment names is in the image: DATABASE_TLS_CA_FILE is /app/rds-ca-bundle.pem', () => {
    for (const container of [deployed.app, deployed.migrate]) {
      expect(configOf(container, scenario.env).database.tlsCaFile).toBe('/app/rds-ca-bundle.pem');
      expect(fileProblems(container, scenario.env)).toEqual([]);
    }
  });

  test('TLS to the database is verify-full with the RDS CAs, IAM auth to both stores, rediss://', () => {
    for (const container of [deployed.app, deployed.migrate]) {
      expect(configOf(container, scenario.env).database).toMatchObject({ tls: 'verify-full', tlsCaFile: '/app/rds-ca-bundle.pem', iamAuth: true });
      expect(tlsProblems(container, scenario.env)).toEqual([]);
    }
  });

  test('the mesh and the NetworkPolicies let the service reach the hosts and ports its URLs name', () => {
    expect(egressProblems(deployed)).toEqual([]);
  });

  test('the migrate init container runs the service\'s migrate command (["migrate"]) from the app\'s image; the app serves', () => {
    expect(deployed.migrate.args).toEqual(['migrate']);
    expect(commandProblems(deployed)).toEqual([]);
  });

  test('the pods run as the image\'s user', () => {
    const [uid, gid] = IMAGE.user!.split(':').map(Number);
    for (const container of [deployed.app, deployed.migrate]) expect(container.securityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid, runAsNonRoot: true });
  });
});

/** The same checks on broken variants of what prod (canary) renders: each break is caught. */
describe('the contract checks fail on a broken contract', () => {
  let prod: Deployed;

  beforeAll(() => {
    prod = deployedOf(synthWorkloads({ env: 'prod', strategy: 'canary' }), 'prod');
  });

  test('a renamed required variable (DATABASE_URL -> DB_URL): loadConfig reports it', () => {
    const broken = mutated(prod, (d) => renameVariable(d.app, 'DATABASE_URL', 'DB_URL'));
    expect(configProblems(broken.app, 'prod')).toEqual([
      'app: loadConfig: DATABASE_URL is required (e.g. postgres://app@db.example:5432/orders)',
      'app: DB_URL is set but the service never reads it (renamed or misspelt?)',
    ]);
  });

  test('a renamed variable in the migrate container only (REDIS_IAM_USER -> REDIS_USER): loadConfig reports it there', () => {
    const broken = mutated(prod, (d) => renameVariable(d.migrate, 'REDIS_IAM_USER', 'REDIS_USER'));
    expect(configProblems(broken.app, 'prod')).toEqual([]);
    expect(configProblems(broken.migrate, 'prod')).toEqual([
      'migrate: loadConfig: REDIS_IAM_USER is required when REDIS_IAM_AUTH is true',
      'migrate: REDIS_USER is set but the service never reads it (renamed or misspelt?)',
    ]);
  });

  test('spans with no way out (the egress to the trace collector dropped): the egress check reports it', () => {
    expect(egressProblems(prod)).toEqual([]);
    const broken = mutated(prod, (d) => {
      for (const policy of objectsOfKind(d.objects, 'NetworkPolicy')) {
        if (policy.spec.egress) policy.spec.egress = policy.spec.egress.filter((rule: any) => !(rule.to ?? []).some((peer: any) => peer.namespaceSelector));
      }
    });
    expect(egressProblems(broken)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT trace-collector.tracing.svc.cluster.local:4318: no NetworkPolicy allows egress to namespace tracing on port 4318']);
  });

  test('a renamed optional variable (SHUTDOWN_TIMEOUT_MS -> SHUTDOWN_TIMEOUT): loadConfig falls back silently, the unread check catches it', () => {
    const broken = mutated(prod, (d) => renameVariable(d.app, 'SHUTDOWN_TIMEOUT_MS', 'SHUTDOWN_TIMEOUT'));
    expect(() => loadConfig(containerEnvironment(broken.app, 'prod').effective)).not.toThrow();
    expect(configProblems(broken.app, 'prod')).toEqual(['app: SHUTDOWN_TIMEOUT is set but the service never reads it (renamed or misspelt?)']);
  });

  test('a malformed value (DATABASE_TLS=verify_full): loadConfig reports it', () => {
    const broken = mutated(prod, (d) => setVariable(d.app, 'DATABASE_TLS', 'verify_full'));
    expect(configProblems(broken.app, 'prod')).toEqual(['app: loadConfig: DATABASE_TLS must be one of off, require, verify-full, got "verify_full"']);
  });

  test('no AWS_REGION with IAM auth: loadConfig reports it', () => {
    const broken = mutated(prod, (d) => dropVariable(d.app, 'AWS_REGION'));
    expect(configProblems(broken.app, 'prod')).toEqual(['app: loadConfig: AWS_REGION is required when DATABASE_IAM_AUTH or REDIS_IAM_AUTH is true']);
  });

  test('the CA path dropped: loadConfig accepts it (system CAs), the TLS check does not', () => {
    const broken = mutated(prod, (d) => dropVariable(d.app, 'DATABASE_TLS_CA_FILE'));
    expect(configProblems(broken.app, 'prod')).toEqual([]);
    expect(tlsProblems(broken.app, 'prod')).toEqual([
      "app: database TLS verify-full without DATABASE_TLS_CA_FILE: Node's CA store has no Amazon RDS CA, every connection would fail",
    ]);
  });

  test('the CA path pointing where the image has no file: the file check fails', () => {
    const broken = mutated(prod, (d) => setVariable(d.migrate, 'DATABASE_TLS_CA_FILE', '/etc/ssl/certs/rds-ca-bundle.pem'));
    expect(fileProblems(broken.migrate, 'prod')).toEqual([
      `migrate: DATABASE_TLS_CA_FILE=/etc/ssl/certs/rds-ca-bundle.pem is not a file of the image (${IMAGE.files.join(', ')})`,
      'migrate: the database CA file /etc/ssl/certs/rds-ca-bundle.pem is not in the image',
    ]);
  });

  test('TLS weakened to require: the TLS check fails', () => {
    const broken = mutated(prod, (d) => setVariable(d.app, 'DATABASE_TLS', 'require'));
    expect(tlsProblems(broken.app, 'prod')).toEqual(['app: database TLS is "require", not verify-full']);
  });

  test('a wrong port on the infra side (containerPort, probes and Service targetPort at 9090; the service on 8080): the port check fails', () => {
    const broken = mutated(prod, (d) => {
      d.app.ports[0].containerPort = 9090;
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) d.app[probe].httpGet.port = 9090;
      for (const service of objectsOfKind(d.objects, 'Service')) service.spec.ports[0].targetPort = 9090;
    });
    expect(portProblems(broken)).toEqual([
      'containerPort http is 9090, the service listens on 8080',
      'startupProbe port is 9090, the service listens on 8080',
      'readinessProbe port is 9090, the service listens on 8080',
      'livenessProbe port is 9090, the service listens on 8080',
      'Service orders targetPort is 9090, the service listens on 8080',
    ]);
  });

  test('a wrong port on the service side (PORT=9090 in the pod env, everything else on 8080): the port check fails', () => {
    const broken = mutated(prod, (d) => setVariable(d.app, 'PORT', '9090'));
    expect(configProblems(broken.app, 'prod')).toEqual([]);
    const problems = portProblems(broken);
    expect(problems).toContain('containerPort http is 8080, the service listens on 9090');
    expect(problems).toContain('readinessProbe port is 8080, the service listens on 9090');
    expect(problems).toContain('Service orders targetPort is 8080, the service listens on 9090');
    expect(problems).toContain('AuthorizationPolicy orders-allow-callers port is 8080, the service listens on 9090');
    expect(problems).toContain('no NetworkPolicy admits traffic on port 9090');
  });

  test('a port the service cannot parse (PORT=http): loadConfig reports it', () => {
    const broken = mutated(prod, (d) => setVariable(d.app, 'PORT', 'http'));
    expect(configProblems(broken.app, 'prod')).toEqual(['app: loadConfig: PORT must be an integer between 0 and 65535, got "http"']);
  });

  test('a probe path the service does not serve (/healthz): the route check fails', () => {
    const broken = mutated(prod, (d) => { d.app.readinessProbe.httpGet.path = '/healthz'; });
    expect(routeProblems(broken)).toEqual([`readinessProbe path /healthz is not a GET route of the service (${Object.keys(OPENAPI.paths).join(', ')})`]);
  });

  test('migration args that are not the service\'s migrate command (["migrations"]): the command check fails', () => {
    const broken = mutated(prod, (d) => { d.migrate.args = ['migrations']; });
    expect(commandProblems(broken)).toEqual(['migrate args ["migrations"] are not the service\'s migrate command ["migrate"]']);
  });

  test('the database endpoint in the URL but the ServiceEntry on another port: the egress check fails', () => {
    const broken = mutated(prod, (d) => { objectOf(d.objects, 'ServiceEntry', 'orders-postgres').spec.ports[0].number = 3306; });
    expect(egressProblems(broken)).toEqual(['DATABASE_URL port 5432 is not a port of ServiceEntry orders-postgres']);
  });

  test('a deploy-time token without a stand-in fails loudly instead of passing as a literal', () => {
    const broken = mutated(prod, (d) => setVariable(d.app, 'QUEUE_URL', 'https://{{GetAtt:Queue.QueueUrl}}'));
    expect(() => containerEnvironment(broken.app, 'prod')).toThrow('no stand-in for the deploy-time token {{GetAtt:Queue.QueueUrl}}');
  });
});

/**
 * Blue-green (issue 22, item 4): the preview check's Job runs the service's `check` command (its
 * `preview-check` script) from the app's image, with settings the service's own loadCheckSettings
 * accepts, at the preview Service on the port the service listens on.
 */
describe('the preview check of prod (blue-green) and the service agree', () => {
  let deployed: Deployed;
  let check: any;

  beforeAll(() => {
    deployed = deployedOf(synthWorkloads(SCENARIOS.find((s) => s.strategy === 'blue-green')!), 'prod');
    const template = objectOf(deployed.objects, 'AnalysisTemplate', `${SERVICE_NAME}-pre-promotion`);
    const job = template.spec.metrics.find((m: { name: string }) => m.name === 'preview-check').provider.job;
    check = job.spec.template.spec.containers[0];
  });

  test('its command is the service\'s check command, from the app\'s image, without overriding the entrypoint', () => {
    expect(commandArgs(SERVICE_PACKAGE.scripts['preview-check'])).toEqual(['check']);
    expect(check.args).toEqual(commandArgs(SERVICE_PACKAGE.scripts['preview-check']));
    expect(check.image).toBe(deployed.app.image);
    expect(check.command).toBeUndefined();
  });

  test('loadCheckSettings accepts its environment (the version as Argo fills it in), aimed at the preview Service on the service\'s port', () => {
    // Argo substitutes {{args.pod-template-hash}} with the new ReplicaSet's hash before it creates the Job.
    const env = Object.fromEntries(check.env.map((v: EnvVar) => [v.name, v.value!.replace('{{args.pod-template-hash}}', '7d9f8b6c5d')]));
    const settings = loadCheckSettings({ ...IMAGE.env, ...env });
    expect(settings).toEqual({ baseUrl: `http://${SERVICE_NAME}-preview.${SERVICE_NAME}.svc.cluster.local:${configOf(deployed.app, 'prod').port}`, version: '7d9f8b6c5d', customerId: SMOKE_TEST_CUSTOMER_ID, requestTimeoutMs: 5000 });
    expect(objectOf(deployed.objects, 'Service', `${SERVICE_NAME}-preview`).spec.ports[0].targetPort).toBe(configOf(deployed.app, 'prod').port);
  });
});
