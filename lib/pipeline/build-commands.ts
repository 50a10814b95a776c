/**
 * Shell commands of the pipeline's CodeBuild steps, kept as data so tests can assert them and
 * reviewers can read each step in one place. CodeBuild runs every command of a phase in one
 * shell and stops at the first that fails, so a failing command fails the step and stops the
 * pipeline.
 */

/**
 * Installs PostgreSQL and Redis on the CodeBuild standard image (Ubuntu, running as root) and
 * pins cfn-lint, which `npm test` runs on every template. Same services as `.ci/run`.
 */
export const INSTALL_TEST_SERVICES: readonly string[] = [
  'apt-get update -qq',
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql redis-server jq',
  'pip3 install --quiet cfn-lint==1.51.0',
];

/**
 * Starts PostgreSQL (trust auth on loopback, database `test`) and Redis on 127.0.0.1, as the
 * sample service's integration tests expect, and waits until both answer.
 */
export const START_TEST_SERVICES: readonly string[] = [
  "sed -ri 's/^(host\\s+all\\s+all\\s+(127\\.0\\.0\\.1\\/32|::1\\/128)\\s+)\\S+$/\\1trust/' /etc/postgresql/*/main/pg_hba.conf",
  'pg_ctlcluster "$(ls /etc/postgresql)" main start',
  'for i in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; pg_isready -h 127.0.0.1 -p 5432',
  'psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = \'test\'" | grep -q 1 || createdb -h 127.0.0.1 -U postgres test',
  'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  'for i in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; redis-cli -h 127.0.0.1 -p 6379 ping',
];

/** Directory (relative to the synth step's checkout) where the image step's manifest is mounted. */
export const IMAGE_MANIFEST_DIR = 'pipeline-images';
/** The manifest file the image step writes and the synth step reads. */
export const IMAGE_MANIFEST_FILE = 'images.json';

/**
 * The per-service image step: build the image from the clean checkout (no node_modules in the
 * context), test and bundle the service, push it under the immutable tag = commit id, wait
 * for the scan on push and fail on CRITICAL findings, then write the image manifest
 * (repository, tag, **digest**) the synth step bakes into the templates.
 *
 * Idempotent: re-running a commit whose image is already pushed reuses it (the tag is
 * immutable, so a second push would fail) and checks its scan again.
 */
export function serviceImageCommands(service: string, dockerfile: string): string[] {
  return [
    'REGISTRY="${REPOSITORY_URI%%/*}"',
    'aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"',
    'if aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$COMMIT_ID" >/dev/null 2>&1; then PUSHED=1; echo "$REPOSITORY_URI:$COMMIT_ID already pushed (immutable tag): reusing it"; else PUSHED=0; fi',
    `if [ "$PUSHED" = 0 ]; then docker build --pull -f ${dockerfile} -t "$REPOSITORY_URI:$COMMIT_ID" .; fi`,
    'npm ci --no-audit --no-fund',
    ...START_TEST_SERVICES,
    `npm test --workspace ${service}`,
    'if [ "$PUSHED" = 0 ]; then docker push "$REPOSITORY_URI:$COMMIT_ID"; fi',
    'DIGEST=$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" --image-ids imageTag="$COMMIT_ID" --query "imageDetails[0].imageDigest" --output text)',
    'aws ecr wait image-scan-complete --repository-name "$REPOSITORY_NAME" --image-id imageDigest="$DIGEST"',
    "CRITICAL=$(aws ecr describe-image-scan-findings --repository-name \"$REPOSITORY_NAME\" --image-id imageDigest=\"$DIGEST\" --query 'imageScanFindings.findingSeverityCounts.CRITICAL || `0`' --output text)",
    'if [ "$CRITICAL" -gt 0 ]; then echo "$CRITICAL CRITICAL finding(s) in $REPOSITORY_URI@$DIGEST: not promoted"; exit 1; fi',
    'mkdir -p out',
    `jq -n --arg repository "$REPOSITORY_URI" --arg tag "$COMMIT_ID" --arg digest "$DIGEST" '{"${serviceKey(service)}": {repository: $repository, tag: $tag, digest: $digest}}' > out/${IMAGE_MANIFEST_FILE}`,
    `cat out/${IMAGE_MANIFEST_FILE}`,
  ];
}

/** `services/sample` -> `sample`: the key of a service in the image manifest and the `images` context. */
export function serviceKey(service: string): string {
  return service.split('/').pop()!;
}

/**
 * The synth step: the full `npm test` (type-check, service build and its integration tests
 * against Postgres and Redis, infrastructure tests with cfn-lint), then `cdk synth` with the
 * compliance gate, which fails on any unacknowledged finding. The image manifest is passed
 * as the `images` context so every template pins the image by digest.
 */
export function synthCommands(imagesContextKey: string): string[] {
  return [
    ...START_TEST_SERVICES,
    'npm test',
    `npx cdk synth --quiet -c env= -c ${imagesContextKey}="$(cat ${IMAGE_MANIFEST_DIR}/${IMAGE_MANIFEST_FILE})"`,
  ];
}

/**
 * Runs in the pipeline account: assumes the environment's smoke-test starter role, starts the
 * runner project inside the environment's VPC and waits for its verdict.
 */
export const SMOKE_TEST_INVOKER_COMMANDS: readonly string[] = [
  'CREDS=$(aws sts assume-role --role-arn "$STARTER_ROLE_ARN" --role-session-name "smoke-${COMMIT_ID:0:12}" --query Credentials --output json)',
  'export AWS_ACCESS_KEY_ID="$(echo "$CREDS" | jq -r .AccessKeyId)" AWS_SECRET_ACCESS_KEY="$(echo "$CREDS" | jq -r .SecretAccessKey)" AWS_SESSION_TOKEN="$(echo "$CREDS" | jq -r .SessionToken)" AWS_REGION="$TARGET_REGION"',
  'BUILD_ID=$(aws codebuild start-build --project-name "$RUNNER_PROJECT" --environment-variables-override "name=COMMIT_ID,value=$COMMIT_ID,type=PLAINTEXT" --query build.id --output text)',
  'echo "smoke tests running in the target account as $BUILD_ID"',
  'while :; do STATUS=$(aws codebuild batch-get-builds --ids "$BUILD_ID" --query "builds[0].buildStatus" --output text); [ "$STATUS" != IN_PROGRESS ] && break; sleep 10; done',
  'echo "smoke tests finished: $STATUS (logs: CodeBuild build $BUILD_ID in the target account)"',
  '[ "$STATUS" = SUCCEEDED ]',
];

/** What the smoke-test runner waits for: an Argo `Rollout` (canary, blue-green) or a `Deployment` (rolling). */
export type RolloutKind = 'rollout' | 'deployment';

/** Seconds between two status reads of the rollout the runner waits for. */
export const ROLLOUT_POLL_SECONDS = 15;

/**
 * jq filters that turn the object read from the Kubernetes API into `waiting`, `done` or
 * `failed`. Nothing is judged before the controller has observed the current spec
 * (`observedGeneration`), so the verdict is about the version just applied, not the previous one.
 *
 * - Rollout: `failed` when aborted (`.status.abort`, analysis failed and traffic went back to
 *   stable) or `Degraded`; `done` when `Healthy` and the new ReplicaSet is the stable one (every
 *   canary step and every blue-green analysis passed).
 * - Deployment: `failed` past its progress deadline; `done` when every replica is updated and
 *   available and no old replica is left (what `kubectl rollout status` checks).
 */
export const ROLLOUT_STATE_FILTERS: Readonly<Record<RolloutKind, string>> = {
  rollout: [
    'if ((.status.observedGeneration // "") | tostring) != (.metadata.generation | tostring) then "waiting"',
    'elif .status.abort == true or .status.phase == "Degraded" then "failed"',
    'elif .status.phase == "Healthy" and .status.stableRS != null and .status.stableRS == .status.currentPodHash then "done"',
    'else "waiting" end',
  ].join(' '),
  deployment: [
    'if (.status.observedGeneration // 0) < .metadata.generation then "waiting"',
    'elif any(.status.conditions[]?; .type == "Progressing" and .reason == "ProgressDeadlineExceeded") then "failed"',
    'elif [(.spec.replicas // 1), (.status.updatedReplicas // 0), (.status.replicas // 0), (.status.availableReplicas // 0)] | unique | length == 1 then "done"',
    'else "waiting" end',
  ].join(' '),
};

/** jq filters for the one-line status the runner prints on every poll and on failure. */
export const ROLLOUT_MESSAGE_FILTERS: Readonly<Record<RolloutKind, string>> = {
  rollout: '"phase=\\(.status.phase // "-") step=\\(.status.currentStepIndex // "-") abort=\\(.status.abort // false) message=\\(.status.message // "")"',
  deployment: '"updated=\\(.status.updatedReplicas // 0) available=\\(.status.availableReplicas // 0) replicas=\\(.status.replicas // 0)/\\(.spec.replicas // 1) message=\\([.status.conditions[]? | .message] | join("; "))"',
};

/** API path of the object the runner waits for, below the cluster endpoint. */
export function rolloutApiPath(kind: RolloutKind): string {
  return kind === 'rollout'
    ? '/apis/argoproj.io/v1alpha1/namespaces/$ROLLOUT_NAMESPACE/rollouts/$ROLLOUT_NAME'
    : '/apis/apps/v1/namespaces/$ROLLOUT_NAMESPACE/deployments/$ROLLOUT_NAME';
}

/**
 * Runs inside the environment's VPC before the HTTP smoke tests: waits until the version just
 * applied has fully rolled out, reading the Rollout or Deployment from the cluster API (private
 * endpoint, CA from `CLUSTER_CA_DATA`, a fresh `aws eks get-token` bearer token on every poll:
 * tokens live 15 minutes). Fails the step at once when the rollout is aborted or degraded (the
 * canary failed its analysis: Argo has shifted traffic back to stable, the new version must not be
 * promoted) or when the API refuses the runner (401/403/404), and after
 * `ROLLOUT_TIMEOUT_SECONDS` without a verdict.
 *
 * Environment: CLUSTER_NAME, CLUSTER_ENDPOINT, CLUSTER_CA_DATA, ROLLOUT_NAMESPACE, ROLLOUT_NAME,
 * ROLLOUT_TIMEOUT_SECONDS.
 */
export function rolloutWaitCommands(kind: RolloutKind): string[] {
  return [
    'echo "$CLUSTER_CA_DATA" | base64 -d > cluster-ca.pem',
    `ROLLOUT_URL="$CLUSTER_ENDPOINT${rolloutApiPath(kind)}"`,
    'DEADLINE=$((SECONDS + ROLLOUT_TIMEOUT_SECONDS))',
    `while :; do ` +
      `TOKEN=$(aws eks get-token --cluster-name "$CLUSTER_NAME" --output json | jq -r .status.token); ` +
      `CODE=$(curl -sS -o rollout.json -w '%{http_code}' --max-time 10 --cacert cluster-ca.pem -H "Authorization: Bearer $TOKEN" "$ROLLOUT_URL" || true); ` +
      `if [ "$CODE" = 200 ]; then STATE=$(jq -r '${ROLLOUT_STATE_FILTERS[kind]}' rollout.json); MESSAGE=$(jq -r '${ROLLOUT_MESSAGE_FILTERS[kind]}' rollout.json); ` +
      `elif [ "$CODE" = 401 ] || [ "$CODE" = 403 ] || [ "$CODE" = 404 ]; then echo "cluster API refused ${kind} $ROLLOUT_NAMESPACE/$ROLLOUT_NAME: HTTP $CODE $(cat rollout.json 2>/dev/null)"; exit 1; ` +
      `else STATE=waiting; MESSAGE="cluster API not reachable (HTTP $CODE)"; fi; ` +
      `echo "$(date -u +%H:%M:%S) ${kind} $ROLLOUT_NAMESPACE/$ROLLOUT_NAME: $STATE $MESSAGE"; ` +
      `if [ "$STATE" = done ]; then echo "the new version is fully rolled out"; break; fi; ` +
      `if [ "$STATE" = failed ]; then echo "ROLLOUT FAILED: ${kind} $ROLLOUT_NAMESPACE/$ROLLOUT_NAME was aborted or is degraded ($MESSAGE); the new version is not promoted"; exit 1; fi; ` +
      `if [ "$SECONDS" -ge "$DEADLINE" ]; then echo "ROLLOUT TIMED OUT after $ROLLOUT_TIMEOUT_SECONDS s: ${kind} $ROLLOUT_NAMESPACE/$ROLLOUT_NAME did not finish ($MESSAGE)"; exit 1; fi; ` +
      `sleep ${ROLLOUT_POLL_SECONDS}; ` +
    'done',
  ];
}

/** Fixed customer id of smoke-test orders, so they are recognisable in every environment. */
export const SMOKE_TEST_CUSTOMER_ID = '5a0e7e57-0000-4000-8000-000000000001';

/**
 * Runs inside the environment's VPC against the internal gateway: readiness (the orders route
 * answers, retried while a rollout settles), then an idempotent POST/GET round trip keyed by
 * the commit id (a rerun replays the same order instead of creating another).
 */
export const SMOKE_TEST_RUNNER_COMMANDS: readonly string[] = [
  'ORDERS="$BASE_URL/v1/orders"',
  'KEY="smoke-${COMMIT_ID:-manual}"',
  `BODY='{"customerId":"${SMOKE_TEST_CUSTOMER_ID}","currency":"EUR","items":[{"sku":"SMOKE-TEST","quantity":1,"unitPriceCents":0}]}'`,
  `for i in $(seq 1 30); do CODE=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$ORDERS?customerId=${SMOKE_TEST_CUSTOMER_ID}&limit=1" || true); [ "$CODE" = 200 ] && break; echo "readiness attempt $i: HTTP $CODE"; sleep 10; done; [ "$CODE" = 200 ]`,
  'curl -sS --fail-with-body --max-time 10 -H "content-type: application/json" -H "idempotency-key: $KEY" -d "$BODY" -o first.json "$ORDERS"',
  'curl -sS --fail-with-body --max-time 10 -H "content-type: application/json" -H "idempotency-key: $KEY" -d "$BODY" -D replay.headers -o replay.json "$ORDERS"',
  'grep -qi "^idempotent-replayed: true" replay.headers',
  'ID=$(jq -er .id first.json); [ "$(jq -r .id replay.json)" = "$ID" ]',
  'curl -sS --fail-with-body --max-time 10 -H "cache-control: no-cache" -o read.json "$ORDERS/$ID"',
  '[ "$(jq -r .id read.json)" = "$ID" ] && echo "smoke tests passed: order $ID round-tripped"',
];
