#!/usr/bin/env bash
# Builds the benchmarks module and runs the whole-process suites:
#   benchmarks/run.sh [--quick] [read] [bound] [budget] [checksum]    (default: all)
# Results (Markdown tables and SVG charts) go to benchmarks/results/, generated data files to benchmarks/bench-data/
# (both git-ignored; the data folder needs about 5 GiB of disk, plus a sparse 16 GiB file that takes no disk).
# Or builds benchmarks/target/jmh.jar (-Pjmh) and runs the JMH micro-benchmarks, passing the rest to JMH:
#   benchmarks/run.sh jmh [JMH options]    e.g. jmh -l, jmh MapCost -p window=16MiB, jmh -rf json -rff results/jmh.json
# Benchmarks are not tests: nothing here gates a build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

# The JDK 25 the build uses: JAVA_HOME if it is 25+, else the standard install locations.
find_java() {
  local candidates=()
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/*25* /usr/lib/jvm/*-2[5-9]* "$HOME"/.jdks/*25* /opt/java/*25*)
  for home in "${candidates[@]}"; do
    local java="$home/bin/java"
    [[ -x "$java" ]] || continue
    local major
    major="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
    if [[ "${major%%.*}" =~ ^[0-9]+$ ]] && (( ${major%%.*} >= 25 )); then
      echo "$java"
      return 0
    fi
  done
  return 1
}
java="$(find_java)" || { echo "run.sh: no JDK 25 found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2; exit 1; }

if [[ "${1:-}" == "jmh" ]]; then
  shift
  (cd "$root" && mvn -q -B -pl benchmarks -am package -DskipTests -Pjmh)
  cd "$here"
  # The forks that measure get --enable-native-access from each benchmark's @Fork(jvmArgsAppend).
  exec "$java" --enable-native-access=ALL-UNNAMED -jar "$here/target/jmh.jar" "$@"
fi

(cd "$root" && mvn -q -B -pl benchmarks -am package -DskipTests)

cd "$here"
exec "$java" --enable-native-access=ALL-UNNAMED -Xms2g -Xmx2g \
  -cp "$here/target/classes:$here/target/lib/*" \
  io.reactivemmap.benchmarks.Bench --data "$here/bench-data" --results "$here/results" "$@"
