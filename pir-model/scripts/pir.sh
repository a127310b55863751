#!/usr/bin/env bash
# Runs the pir-model CLI (train | eval | bench) from a source checkout.
# Builds the module once if needed; JVM options can be passed in PIR_JAVA_OPTS.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cp_file="$here/target/classpath.txt"
if [[ ! -f "$cp_file" || ! -d "$here/target/classes" ]]; then
  (cd "$root" && ./mvnw -q -pl pir-model -am install -DskipTests >/dev/null \
    && ./mvnw -q -pl pir-model dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
fi
exec java ${PIR_JAVA_OPTS:--Xmx12g} -Dai.djl.offline=true \
  -DENGINE_CACHE_DIR="$HOME/.pirstream/djl" -DDJL_CACHE_DIR="$HOME/.pirstream/djl" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${PIR_THREADS:+-Dai.djl.pytorch.num_threads=$PIR_THREADS -Dai.djl.pytorch.num_interop_threads=1} \
  -cp "$here/target/classes:$(cat "$cp_file")" io.pirstream.model.cli.PirCli "$@"
