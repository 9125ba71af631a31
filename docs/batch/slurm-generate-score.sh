#!/bin/bash
# Slurm array job: generate and score 1e9 events with 100 jobs of 1e7 each.
#   sbatch --array=1-100 docs/batch/slurm-generate-score.sh
# Every task writes its own shard; together they are exactly the events (and
# densities) of one run of 1e9 events with seed 7 (see check-shards.sh).
#SBATCH --job-name=hepflow-gen
#SBATCH --cpus-per-task=4
#SBATCH --mem=2G
#SBATCH --time=02:00:00
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail

MODEL=${MODEL:-bkg.safetensors}
N=${N:-1e9}
SEED=${SEED:-7}
SHARDS=${SLURM_ARRAY_TASK_COUNT:-100}
K=${SLURM_ARRAY_TASK_ID:?run as an array job: sbatch --array=1-100 $0}
OUT=${OUT:-gen}
mkdir -p "$OUT"

# Events K of the run (a contiguous range; blocks of 65,536 events are drawn
# from their own random stream, so the split does not change them).
hepflow sample --model "$MODEL" -n "$N" --seed "$SEED" --shard "$K/$SHARDS" \
    --threads "$SLURM_CPUS_PER_TASK" --out "$OUT/gen-$K.parquet"

# Their log densities under a second model (e.g. the signal one), streamed
# in constant memory. The shard's file is scored whole here; to score one big
# file from many jobs instead, use: hepflow logprob --data big.parquet --shard K/N
hepflow logprob --model "${SCORE_MODEL:-$MODEL}" --data "$OUT/gen-$K.parquet" \
    --threads "$SLURM_CPUS_PER_TASK" --out "$OUT/logp-$K.parquet"

# Once every task is done (e.g. sbatch --dependency=afterok:JOBID), one
# anomaly report from all the shards' densities, without the events:
#   hepflow anomaly --background-scores "$OUT/logp-*.parquet" \
#       --signal-scores "sig/logp-*.parquet" --out anomaly
