#!/usr/bin/env bash
# Runs the ablation of EVALUATION.md: every row of configs/ablation at the same budget (3 epochs over RSICD train +
# 1,000 generated chips), 3 seeds each, seed by seed (so a partial run has every row), then prints mean +- std per row.
# usage: scripts/ablation.sh <work-root> <instruction.params | checkpoint folder> [seeds...]
# Every row reuses one scene-fine-tuned instruction encoder (the shipped run's <work>/instruction.params, or the shipped
# checkpoint folder pir-model/src/main/resources/io/pirstream/model/default, whose encoder is taken): the rows
# differ only above the frozen trunk, and the trunk cache is then shared by all of them. The from-scratch row
# (h-from-scratch) trains its own encoder from random weights once, in its first seed's run, and its other seeds
# reuse that one (as the other rows share theirs); it is left out unless ABLATION_SCRATCH=1.
# ABLATION_ROWS="b-plain-dual-encoder f-affiliation" runs only those rows, in that order (default: every row).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:?work root}"
instruction="${2:?instruction.params of the shipped run, or a checkpoint folder}"
shift 2
if [[ $# -gt 0 ]]; then seeds=("$@"); else seeds=(17 18 19); fi
mkdir -p "$work"
for seed in "${seeds[@]}"; do
  if [[ -n "${ABLATION_ROWS:-}" ]]; then
    read -ra rows <<< "$ABLATION_ROWS"
  else
    rows=()
    for cfg in "$here"/configs/ablation/*.json; do rows+=("$(basename "$cfg" .json)"); done
  fi
  for name in "${rows[@]}"; do
    cfg="$here/configs/ablation/$name.json"
    [[ -f "$cfg" ]] || { echo "no ablation row $name in $here/configs/ablation" >&2; exit 2; }
    reuse=(--instruction-weights "$instruction")
    if [[ "$name" == h-from-scratch ]]; then
      [[ "${ABLATION_SCRATCH:-0}" == 1 ]] || continue
      scratch="$work/$name/seed-${seeds[0]}/instruction.params"
      if [[ "$seed" == "${seeds[0]}" ]]; then reuse=(); else reuse=(--instruction-weights "$scratch"); fi
    fi
    run="$work/$name/seed-$seed"
    if [[ -f "$run/done" ]]; then continue; fi
    mkdir -p "$work/$name"
    echo "== $name seed $seed"
    "${PIR_CLI:-$here/scripts/pir.sh}" train --config "$cfg" --work "$run" --resume --seed "$seed" "${reuse[@]}" >> "$run.log" 2>&1
    touch "$run/done"
    grep -E "^epoch [0-9]+:" "$run.log" | tail -1
  done
done
"${PIR_CLI:-$here/scripts/pir.sh}" ablation-report --root "$work"
