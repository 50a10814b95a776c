#!/usr/bin/env bash
# The construct library as another team gets it (issue 17, item 6): packs
# @zero-trust/platform-constructs, installs the tarball into a fresh copy of this example app
# OUTSIDE the repository next to the newest aws-cdk-lib, and checks that
#   - the tree holds exactly one aws-cdk-lib and one constructs,
#   - plain node requires the package by name,
#   - the app type-checks (strict, skipLibCheck false),
#   - the app synthesizes with the compliance gate (zero open findings, every plugin reporting)
#     without credentials or context lookups (no `missing` in any manifest.json),
#   - cfn-lint finds no errors in any template (warnings are allowed, as in test/lib/platform-app.test.ts).
#
# Usage: npm run test:consumer   (or: bash examples/consumer-app/run.sh)
#   CONSUMER_APP_KEEP=1        keep the temporary app (its path is printed) instead of deleting it
#   CONSUMER_APP_CDK_VERSION   install this aws-cdk-lib instead of the newest (e.g. to reproduce a failure)
set -euo pipefail

started=$SECONDS
EXAMPLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$EXAMPLE_DIR/../.." && pwd)"
LIBRARY=@zero-trust/platform-constructs

step() { printf '\n== %s (%ss)\n' "$1" "$((SECONDS - started))"; }
fail() { printf 'consumer-app: FAIL: %s\n' "$1" >&2; exit 1; }

# The library needs Node >= 22; `npm run` puts the repository's pinned Node 24 first on PATH, a bare
# `bash run.sh` may not.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ] && [ -x "$REPO_ROOT/node_modules/node/bin/node" ]; then
  PATH="$REPO_ROOT/node_modules/node/bin:$PATH"
fi
# Nothing may resolve from the repository's node_modules: the app sees only what it installed.
unset NODE_PATH
command -v cfn-lint >/dev/null || fail "cfn-lint is not on PATH"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/consumer-app.XXXXXX")"
case "$WORK" in "$REPO_ROOT"/*) fail "the temporary directory $WORK is inside the repository" ;; esac
cleanup() {
  if [ "${CONSUMER_APP_KEEP:-}" = 1 ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
APP="$WORK/app"

step "toolchain"
echo "node $(node --version), npm $(npm --version), $(cfn-lint --version)"

step "pack $LIBRARY (prepack builds it)"
mkdir -p "$WORK/pack"
if ! pack_log="$(cd "$REPO_ROOT" && npm pack -w "$LIBRARY" --pack-destination "$WORK/pack" 2>&1)"; then
  echo "$pack_log" >&2
  fail "npm pack -w $LIBRARY failed (its prepack script builds the library)"
fi
TARBALL="$(ls "$WORK"/pack/*.tgz)"
[ "$(echo "$TARBALL" | wc -l)" -eq 1 ] || fail "expected one tarball in $WORK/pack, got: $TARBALL"
echo "$(basename "$TARBALL"): $(du -h "$TARBALL" | cut -f1), $(tar -tzf "$TARBALL" | wc -l) files"
shipped_sources="$(tar -tzf "$TARBALL" | grep -E '^package/node_modules/|\.ts$' | grep -v '\.d\.ts$' || true)"
[ -z "$shipped_sources" ] || fail "the tarball ships node_modules or TypeScript sources: $(head -5 <<<"$shipped_sources" | tr '\n' ' ')"

step "fresh app outside the repository: $APP"
mkdir -p "$APP"
cp "$EXAMPLE_DIR"/{package.json,tsconfig.json,cdk.json,app.ts} "$APP/"
CDK_VERSION="${CONSUMER_APP_CDK_VERSION:-$(npm view aws-cdk-lib@latest version)}"
echo "newest aws-cdk-lib on the registry: $CDK_VERSION"
cd "$APP"
npm pkg set "dependencies.$LIBRARY=file:$TARBALL" "dependencies.aws-cdk-lib=$CDK_VERSION" "dependencies.constructs=^10"
npm install --no-audit --no-fund --loglevel=error
node -e '
  const v = (n) => require(require.resolve(n + "/package.json", { paths: [process.cwd()] })).version;
  for (const n of ["@zero-trust/platform-constructs", "aws-cdk-lib", "constructs", "@aws-cdk/lambda-layer-kubectl-v36", "cdk8s", "cdk8s-plus-27", "typescript"]) console.log(`  ${n}@${v(n)}`);
'

step "exactly one aws-cdk-lib and one constructs"
for peer in aws-cdk-lib constructs; do
  npm ls "$peer" --all || fail "npm ls $peer reports a problem (invalid or missing peer)"
  copies="$(npm ls "$peer" --all --parseable | sort -u)"
  [ "$(echo "$copies" | wc -l)" -eq 1 ] || fail "$peer is installed more than once: $(echo "$copies" | tr '\n' ' ')"
  echo "$peer: one copy at ${copies#"$APP"/}"
done
[ "$(node -p 'require("aws-cdk-lib/package.json").version')" = "$CDK_VERSION" ] || fail "aws-cdk-lib is not $CDK_VERSION"

step "plain node requires $LIBRARY by name"
node -e '
  const lib = require(process.argv[1]);
  const missing = ["ZeroTrustVpc", "PlatformCluster", "IstioMesh", "ApplicationNamespace", "PostgresDatabase", "DatabaseBootstrap", "RedisCache", "StatelessService"].filter((n) => typeof lib[n] !== "function");
  if (missing.length) { console.error("missing exports: " + missing.join(", ")); process.exit(1); }
  console.log(`${Object.keys(lib).length} exports from ${require.resolve(process.argv[1])}`);
' "$LIBRARY"

step "type-check (tsc --noEmit, strict, skipLibCheck false)"
npx --no -- tsc --version
npx --no -- tsc --noEmit -p tsconfig.json || fail "type-check failed: see the errors above"
echo "tsc: no errors"

step "synthesize with the compliance gate (no credentials, cdk.json context as the CDK CLI passes it)"
npx --no -- tsc -p tsconfig.json || fail "compiling the app failed"
context="$(node -p 'JSON.stringify(require("./cdk.json").context ?? {})')"
env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
  AWS_EC2_METADATA_DISABLED=true CDK_OUTDIR=cdk.out CDK_CONTEXT_JSON="$context" \
  node dist/app.js || fail "synth failed: see the error above"
node - <<'EOF' || fail "the cloud assembly check failed"
const fs = require('node:fs');
const path = require('node:path');
const out = 'cdk.out';
// The assembly's own files (nested stage assemblies included), not the contents of asset directories.
const files = fs.readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => !f.split(path.sep).some((part) => part.startsWith('asset.')));
let ok = true;
for (const m of files.filter((f) => path.basename(f) === 'manifest.json')) {
  const missing = JSON.parse(fs.readFileSync(path.join(out, m), 'utf8')).missing ?? [];
  if (missing.length) { ok = false; console.error(`${m}: context lookups needed: ${missing.map((x) => x.key).join(', ')}`); }
}
console.log('manifest.json: no missing context' + (ok ? '' : ' -- FAILED'));
for (const t of files.filter((f) => f.endsWith('.template.json')).sort()) {
  const template = JSON.parse(fs.readFileSync(path.join(out, t), 'utf8'));
  console.log(`${t}: ${Object.keys(template.Resources ?? {}).length} resources, ${Math.round(fs.statSync(path.join(out, t)).size / 1024)} KB`);
}
const report = JSON.parse(fs.readFileSync(path.join(out, 'validation-report.json'), 'utf8'));
let open = 0;
for (const p of report.pluginReports) {
  const violations = (p.violations ?? []).reduce((n, v) => n + Math.max(1, (v.violatingConstructs ?? []).length), 0);
  open += violations;
  console.log(`plugin ${p.pluginName}: ${violations} open, ${(p.suppressedViolations ?? []).length} acknowledged`);
}
console.log(`open findings: ${open}`);
// Independent of the app's own check: every plugin the library registers must appear in the report.
const { COMPLIANCE_PLUGIN_NAMES: expected = [] } = require('@zero-trust/platform-constructs');
const reported = report.pluginReports.map((p) => p.pluginName);
const silent = expected.filter((name) => !reported.includes(name));
console.log(`plugins reported: ${reported.join(', ')}${silent.length ? ` -- SILENT: ${silent.join(', ')}` : ''}`);
if (expected.length === 0) { ok = false; console.error('the library exports no COMPLIANCE_PLUGIN_NAMES'); }
if (open > 0 || silent.length > 0 || !ok) process.exit(1);
EOF

step "cfn-lint on every template (errors fail, warnings are reported)"
mapfile -t templates < <(find cdk.out -name 'asset.*' -prune -o -name '*.template.json' -print | sort)
[ "${#templates[@]}" -gt 0 ] || fail "no templates in cdk.out"
lint_status=0
lint_output="$(cfn-lint --format parseable -- "${templates[@]}")" || lint_status=$?
# --format parseable: <file>:<line>:<column>:<end line>:<end column>:<rule>:<message>
for t in "${templates[@]}"; do
  rules="$(grep -F "$t:" <<<"$lint_output" | cut -d: -f6 || true)"
  count() { grep -c "^$1" <<<"$rules" || true; }
  by_rule="$(sort <<<"$rules" | uniq -c | awk 'NF == 2 { printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
  echo "$t: $(count E) error(s), $(count W) warning(s), $(count I) informational${by_rule:+ ($by_rule)}"
done
# cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational; anything else
# (e.g. 1, 32) means it could not lint. Only warnings and informational findings pass.
if [ $((lint_status & ~12)) -ne 0 ]; then
  echo "$lint_output" | grep -E ':E[0-9]+:' >&2 || echo "$lint_output" >&2
  fail "cfn-lint exit status $lint_status"
fi

step "consumer app passed in $((SECONDS - started))s"
