#!/usr/bin/env bash
# Runs the ablation of EVALUATION.md: same data, budget (3 epochs over 600 rsicd + 600 rsscn7 + 300 generated training images) and seed for every row.
# usage: scripts/ablation.sh <work-root> [instruction.params to reuse]
# With the second argument every row reuses one pre-trained instruction encoder (same seed,
# same data: pre-training it again per row would give the same encoder at 6x the cost).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:?work root}"
reuse=()
if [[ $# -ge 2 ]]; then reuse=(--instruction-weights "$2"); fi
mkdir -p "$work"
for cfg in "$here"/configs/ablation/*.json; do
  name="$(basename "$cfg" .json)"
  if [[ -f "$work/$name/best/checkpoint.json" && -f "$work/$name/done" ]]; then continue; fi
  echo "== $name"
  "$here/scripts/pir.sh" train --config "$cfg" --work "$work/$name" --resume "${reuse[@]}" >> "$work/$name.log" 2>&1
  touch "$work/$name/done"
  grep -E "^val:|^epoch [0-9]+:" "$work/$name.log" | tail -2
done
