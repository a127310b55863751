#!/usr/bin/env bash
# Runs one fine-tune round (io.pirstream.finetune.FineTuneJob) from a source checkout; --help lists the options.
# Builds the module once if needed; JVM options can be passed in FINETUNE_JAVA_OPTS.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cp_file="$here/target/classpath.txt"
if [[ ! -f "$cp_file" || ! -d "$here/target/classes" ]]; then
  (cd "$root" && ./mvnw -q -pl finetune -am install -DskipTests >/dev/null \
    && ./mvnw -q -pl finetune dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
fi
exec java ${FINETUNE_JAVA_OPTS:--Xmx6g} -Dai.djl.offline=true \
  -DENGINE_CACHE_DIR="$HOME/.pirstream/djl" -DDJL_CACHE_DIR="$HOME/.pirstream/djl" \
  -cp "$here/target/classes:$(cat "$cp_file")" io.pirstream.finetune.FineTuneJob "$@"
