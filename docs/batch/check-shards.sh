#!/bin/bash
# The check behind the batch scripts, at a size one machine does in seconds:
# shards of a run, concatenated in order, are byte for byte the single run's
# output, for sample and for logprob. Run from the repository root:
#   bash docs/batch/check-shards.sh [MODEL]
set -euo pipefail
HEPFLOW=${HEPFLOW:-./hepflow}
MODEL=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$MODEL" ]; then
  MODEL=$tmp/m.safetensors
  $HEPFLOW train --data ../shared/data/higgs-sample/higgs-sample.csv.gz --format higgs --where 'label==0' \
      --drop @phi,@btag --epochs 3 --out "$MODEL" >/dev/null 2>&1
fi
N=300000
$HEPFLOW sample --model "$MODEL" -n $N --seed 7 --out "$tmp/one.csv" >/dev/null
for k in 1 2 3 4; do
  $HEPFLOW sample --model "$MODEL" -n $N --seed 7 --shard $k/4 --out "$tmp/gen-$k.csv" >/dev/null
done
{ cat "$tmp/gen-1.csv"; for k in 2 3 4; do tail -n +2 "$tmp/gen-$k.csv"; done; } > "$tmp/union.csv"
cmp "$tmp/one.csv" "$tmp/union.csv" && echo "sample: the 4 shards are the run of $N events"

$HEPFLOW logprob --model "$MODEL" --data "$tmp/one.csv" --out "$tmp/lp.csv" >/dev/null
for k in 1 2 3; do
  $HEPFLOW logprob --model "$MODEL" --data "$tmp/one.csv" --shard $k/3 --out "$tmp/lp-$k.csv" >/dev/null
done
{ cat "$tmp/lp-1.csv"; for k in 2 3; do tail -n +2 "$tmp/lp-$k.csv"; done; } > "$tmp/lpunion.csv"
cmp "$tmp/lp.csv" "$tmp/lpunion.csv" && echo "logprob: the 3 shards are the whole file's densities"
