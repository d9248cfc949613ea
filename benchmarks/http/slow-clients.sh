#!/usr/bin/env bash
# 1,000 concurrent slow downloads of a 1 GiB file from our FileServerMain: samples the server's RSS,
# heap in use (jcmd GC.heap_info) and its admin port's /_stats (live windows, mapped bytes, open connections) every second.
# Usage: CONNECTIONS=1000 RATE=65536 SECONDS_RUN=30 MODE=mapped|auto benchmarks/http/slow-clients.sh
# Loopback only; the server and the clients are stopped on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
N=${CONNECTIONS:-1000}; RATE=${RATE:-65536}; SECS=${SECONDS_RUN:-30}; MODE=${MODE:-mapped}; PORT=${PORT:-18480}
ADMIN_PORT=${ADMIN_PORT:-18481}
DATA="$here/bench-data/root"
JAVA=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
[[ -x $JAVA ]] || { echo "no JDK 25 under /usr/lib/jvm" >&2; exit 1; }
JCMD="$(dirname "$JAVA")/jcmd"
mkdir -p "$DATA"
[[ -f $DATA/big-1g.bin ]] || head -c $((1 << 30)) /dev/urandom >"$DATA/big-1g.bin"
cd "$repo"
mvn -q -B -pl samples,benchmarks -am compile dependency:build-classpath -Dmdep.outputFile=target/runtime-classpath.txt \
  -Dmdep.includeScope=runtime >/dev/null
SAMPLES_CP="$repo/samples/target/classes:$(cat samples/target/runtime-classpath.txt)"
BENCH_CP="$repo/benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)"
logging=$(mktemp); printf '%s\n' 'handlers = java.util.logging.ConsoleHandler' '.level = WARNING' >"$logging"
args=(--root "$DATA" --port "$PORT" --admin-port "$ADMIN_PORT" --body-mode "$MODE")
scheme=http
# The slow clients speak plain HTTP: "tls" is not supported by this script yet.
[[ $MODE == mapped || $MODE == auto ]] || { echo "MODE must be mapped or auto (plain HTTP: auto is sendfile)" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g -Djava.util.logging.config.file="$logging" -cp "$SAMPLES_CP" \
  io.reactivemmap.samples.FileServerMain "${args[@]}" >/tmp/slow-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; kill ${clients:-} 2>/dev/null; rm -f "$logging"' EXIT
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$ADMIN_PORT/_stats" && break; sleep 0.5; done
heap() { "$JCMD" "$server" GC.heap_info 2>/dev/null | sed -n 's/.*used \([0-9]*\)K.*/\1/p' | head -1; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
heap0=$(heap); echo "baseline: rss $(rss)KB heap ${heap0}KB"
"$JAVA" -cp "$BENCH_CP" io.reactivemmap.benchmarks.http.SlowClients "$PORT" /big-1g.bin "$N" "$RATE" "$SECS" >/tmp/slow-clients.log 2>&1 &
clients=$!
max_rss=0; max_heap=0; max_mapped=0; max_windows=0; max_conn=0
while kill -0 "$clients" 2>/dev/null; do
  r=$(rss); h=$(heap); s=$(curl -s --max-time 2 "http://127.0.0.1:$ADMIN_PORT/_stats" || true)
  mb=$(sed -n 's/.*"mappedBytes":\([0-9]*\).*/\1/p' <<<"$s"); lw=$(sed -n 's/.*"liveWindows":\([0-9]*\).*/\1/p' <<<"$s")
  oc=$(sed -n 's/.*"openConnections":\([0-9]*\).*/\1/p' <<<"$s")
  (( r > max_rss )) && max_rss=$r; (( ${h:-0} > max_heap )) && max_heap=${h:-0}
  (( ${mb:-0} > max_mapped )) && max_mapped=${mb:-0}; (( ${lw:-0} > max_windows )) && max_windows=${lw:-0}
  (( ${oc:-0} > max_conn )) && max_conn=${oc:-0}
  sleep 1
done
tail -2 /tmp/slow-clients.log
sleep 2
s=$(curl -s "http://127.0.0.1:$ADMIN_PORT/_stats" || true)
echo "connections=$N rate=${RATE}B/s each seconds=$SECS mode=$MODE"
echo "peak open connections (server): $max_conn"
echo "peak RSS: $((max_rss / 1024)) MiB"
echo "heap in use: baseline $((heap0 / 1024)) MiB, peak $((max_heap / 1024)) MiB, growth $(((max_heap - heap0) / 1024)) MiB"
echo "peak live windows: $max_windows, peak mapped bytes: $((max_mapped >> 20)) MiB"
echo "after the clients closed: $s"
