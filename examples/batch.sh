#!/usr/bin/env bash
# A grid search from the shell: bfly's --json output through jq.
#   examples/batch.sh [workspace-dir]        (BFLY=path/to/bfly to use another bfly)
# Creates (or reuses) a workspace, runs a 2 x 2 grid with 2 seeds on 2 workers, then prints
# the batch's runs best first and the config with the best mean accuracy over seeds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bfly=${BFLY:-bfly}
ws=${1:-$(mktemp -d)}
mkdir -p "$ws"
cd "$ws"

[ -d .butterfly ] || $bfly init --name batch-example >/dev/null
$bfly dataset import "$here/data/penguins.csv" --name penguins >/dev/null
$bfly experiment show penguins >/dev/null 2>&1 ||
  $bfly experiment create penguins --dataset penguins --target Species --template "$here/pipelines/quick.yaml" >/dev/null

# Every run prints NDJSON events; the last event of the batch names it.
batch=$($bfly run penguins \
  --grid blocks.model_selection.config.cv=3,5 \
  --grid blocks.split.config.test_size=0.2,0.3 \
  --seeds 1-2 --jobs 2 --json |
  jq -r 'select(.type == "batch_finished") | .batch')
echo "batch $batch"

# The batch's runs, best first.
$bfly runs --where "batch == \"$batch\"" --sort -metrics.accuracy --json |
  jq -r '.[] | [.id, "cv=\(.params.model_selection.cv)", "test_size=\(.params.split.test_size)", "seed=\(.seed)", .metrics.accuracy] | @tsv'

# The config with the best mean accuracy over its seeds.
$bfly runs --where "batch == \"$batch\" and status == \"succeeded\"" --json |
  jq -r 'group_by([.params.model_selection.cv, .params.split.test_size])
         | map({cv: .[0].params.model_selection.cv, test_size: .[0].params.split.test_size, mean: (map(.metrics.accuracy) | add / length)})
         | max_by(.mean) | "best: cv=\(.cv) test_size=\(.test_size) mean accuracy \(.mean)"'
