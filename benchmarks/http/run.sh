#!/usr/bin/env bash
# Side-by-side HTTP file serving benchmark on loopback.
#
# Serves a hot 1 GiB file and a set of 64 KiB files, plain and TLS, at 1 and 16 connections, from:
#   nginx-sendfile  nginx 1.22, sendfile on, tcp_nopush on (also the TLS peer: OpenSSL, no kernel TLS here)
#   nginx-copy      nginx 1.22, sendfile off (plain only: under TLS nginx copies anyway)
#   netty           classic Netty 4.2 handler: DefaultFileRegion; TLS: ChunkedNioFile 8 KiB + SslHandler (JDK)
#   reactor-netty   Reactor Netty HttpServer sendFile (TLS: its chunked fallback)
#   spring-webflux  Spring WebFlux 7 RouterFunctions.resources (FileSystemResource) on Reactor Netty
#   boot-starter    samples' SpringStaticFilesApp: Spring Boot 4 WebFlux with this project's auto-configuration
#                   (reactive-mmap.static.root: MappedFileHandler, mapped windows; HTTP/1.1, plain and TLS)
#   boot-default    the same application with reactive-mmap.static.enabled=false and the directory as a file: static
#                   location: Boot's own static resource handling (ResourceWebHandler), what Boot users have today
#   ours-windows    samples' FileServerMain --body-mode mapped    } skipped while FileServerMain is not built
#   ours-sendfile   samples' FileServerMain --body-mode sendfile  } (plain HTTP/1.1 only: sendfile cannot pass TLS)
#   ours-auto       samples' FileServerMain (default, AUTO)       } (plain: <=64 KiB copied, larger sendfile; under
#                                                                    TLS AUTO is the ours-windows path, not run twice)
# HTTP/2 cases (h2: TLS with ALPN; h2c: plain, prior knowledge) are loaded by h2load (one stream per connection at a
# time, -m 1, like wrk's one request per connection) against the servers that speak HTTP/2: nginx (http2 on the
# listen socket) and ours: ours-windows maps every body; ours-auto (the default) copies bodies up to 256 KiB and maps
# larger ones (sendfile cannot frame DATA).
# and measures, per server and case: GB/s and requests/s (wrk), p99 latency (wrk), server CPU seconds per GB
# (utime+stime from /proc before/after, divided by the bytes wrk read) and peak server RSS (VmHWM, reset before
# each run through /proc/PID/clear_refs when permitted).
#
# Usage: benchmarks/http/run.sh            full run (DURATION=10 s per case)
#        QUICK=1 benchmarks/http/run.sh    smoke run (2 s per case, 4 cases)
# Environment (all optional):
#   DURATION=S  REPEAT=N  WARMUP=S  CASES="plain-1g-c1 ..."  SERVERS="netty nginx-sendfile ..."
#   DATA_DIR=DIR (default benchmarks/http/bench-data, git-ignored)  RESULTS_DIR=DIR (default benchmarks/http/results/<time>)
#   JAVA=path/to/java (JDK 25)  JAVA_OPTS="-Xmx1g" (the same for every Java server)  BASE_PORT=18400  SMALL_FILES=256
#   SKIP_INSTALL=1 (never call apt-get)  SKIP_BUILD=1 (use the classes already compiled)
# Everything binds and connects to 127.0.0.1 only. Every server is started by this script and killed on exit.
# TLS: every server that speaks it (nginx, the Java peers, ours) gets the same RSA 2048 certificate and PKCS#8 key,
# made by openssl once per run in RESULTS_DIR/tls (never in the repository); each one's served certificate is checked
# against it (openssl s_client) before it is measured.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
  DURATION=${DURATION:-2}
  WARMUP=${WARMUP:-2}
  CASES=${CASES:-"plain-1g-c1 plain-64k-c16 tls-1g-c1 h2-64k-c16"}
else
  DURATION=${DURATION:-10}
  WARMUP=${WARMUP:-5}
  CASES=${CASES:-"plain-1g-c1 plain-1g-c16 plain-64k-c16 tls-1g-c1 tls-1g-c16 tls-64k-c16 h2-1g-c1 h2-64k-c16 h2c-1g-c1 h2c-64k-c16"}
fi
REPEAT=${REPEAT:-1}
SERVERS=${SERVERS:-"nginx-sendfile nginx-copy netty reactor-netty spring-webflux ours-windows ours-sendfile ours-auto"}
DATA_DIR=${DATA_DIR:-$HERE/bench-data}
RESULTS_DIR=${RESULTS_DIR:-$HERE/results/$(date -u +%Y%m%d-%H%M%S)}
JAVA_OPTS=${JAVA_OPTS:-"-Xmx1g"}
BASE_PORT=${BASE_PORT:-18400}
SMALL_FILES=${SMALL_FILES:-256}
READY_TIMEOUT=${READY_TIMEOUT:-60}
HOST=127.0.0.1
BIG_NAME="big-1g.bin"
BIG_SIZE=$((1 << 30))
SMALL_SIZE=$((64 << 10))

log() { printf '[http-bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for var in DURATION REPEAT WARMUP BASE_PORT SMALL_FILES READY_TIMEOUT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, got '${!var}'"
done
((DURATION >= 1 && DURATION <= 600)) || die "DURATION must be 1-600 seconds, got $DURATION"
((REPEAT >= 1 && REPEAT <= 10)) || die "REPEAT must be 1-10, got $REPEAT"
((SMALL_FILES >= 1 && SMALL_FILES <= 4096)) || die "SMALL_FILES must be 1-4096, got $SMALL_FILES"
KNOWN_SERVERS=" nginx-sendfile nginx-copy netty reactor-netty spring-webflux boot-starter boot-default ours-windows ours-sendfile ours-auto "
for s in $SERVERS; do [[ $KNOWN_SERVERS == *" $s "* ]] || die "unknown server '$s' in SERVERS (known:$KNOWN_SERVERS)"; done
for c in $CASES; do
  [[ $c =~ ^(plain|tls|h2|h2c)-(1g|64k)-c[0-9]+$ ]] || die "unknown case '$c' in CASES (form: plain|tls|h2|h2c - 1g|64k - cN, e.g. tls-1g-c16)"
  ((${c##*-c} >= 1 && ${c##*-c} <= 256)) || die "case '$c': connections must be 1-256"
done

# ---------------------------------------------------------------------------------------------------------------
# Processes owned by this script: killed on any exit.
# ---------------------------------------------------------------------------------------------------------------
declare -A PID_OF=()      # instance name -> pid
declare -A PORT_OF=()     # instance name -> port
declare -A SCHEME_OF=()   # instance name -> http|https
declare -A PROTO_OF=()    # instance name -> plain|tls|h2|h2c
TMP_DIR=$(mktemp -d -t http-bench.XXXXXX)

stop_instance() {
  local name=$1 pid=${PID_OF[$1]:-}
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "PID_OF[$name]"
}

cleanup() {
  local name
  for name in "${!PID_OF[@]}"; do stop_instance "$name"; done
  rm -rf "$TMP_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------------
# Tools: nginx, wrk (and h2load, not used by the HTTP/1.1 cases) from Debian, only when missing.
# ---------------------------------------------------------------------------------------------------------------
install_tools() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v h2load >/dev/null || missing+=(nghttp2-client)
  ((${#missing[@]} == 0)) && return 0
  [[ ${SKIP_INSTALL:-0} == 1 ]] && die "missing ${missing[*]} and SKIP_INSTALL=1"
  command -v apt-get >/dev/null || die "missing ${missing[*]}: install them (Debian: apt-get install -y nginx wrk nghttp2-client)"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "installing ${missing[*]} from Debian"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian's package may start a system nginx on port 80; it is not ours and we leave it alone (we use our ports).
}

find_java() {
  local candidate
  for candidate in "${JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/temurin-25*/bin/java /usr/lib/jvm/*25*/bin/java \
      "$(command -v java || true)"; do
    [[ -n $candidate && -x $candidate ]] || continue
    local major
    major=$("$candidate" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [[ -n $major && $major -ge 25 ]]; then JAVA=$candidate; return 0; fi
  done
  die "no JDK 25 found: set JAVA=/path/to/jdk-25/bin/java"
}

# ---------------------------------------------------------------------------------------------------------------
# Build: the peers are required; ours (samples) is optional and skipped when it does not build or is absent.
# ---------------------------------------------------------------------------------------------------------------
PEERS_CP=""
SAMPLES_CP=""
build() {
  cd "$REPO"
  if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building benchmarks (peers and report generator)"
    mvn -q -B -pl benchmarks -am compile dependency:build-classpath \
      -Dmdep.outputFile=target/runtime-classpath.txt -Dmdep.includeScope=runtime >"$TMP_DIR/build-peers.log" 2>&1 \
      || { cat "$TMP_DIR/build-peers.log" >&2; die "benchmarks module does not build"; }
    log "building samples (our FileServerMain, if it exists yet)"
    mvn -q -B -pl samples -am compile dependency:build-classpath \
      -Dmdep.outputFile=target/runtime-classpath.txt -Dmdep.includeScope=runtime >"$TMP_DIR/build-samples.log" 2>&1 \
      || log "samples does not build: ours will be skipped (see below)"
  fi
  [[ -f benchmarks/target/runtime-classpath.txt ]] || die "benchmarks/target/runtime-classpath.txt missing: run without SKIP_BUILD"
  PEERS_CP="$REPO/benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)"
  if [[ -f samples/target/runtime-classpath.txt ]]; then
    SAMPLES_CP="$REPO/samples/target/classes:$(cat samples/target/runtime-classpath.txt)"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Data (git-ignored): one 1 GiB file of random bytes and SMALL_FILES files of 64 KiB.
# ---------------------------------------------------------------------------------------------------------------
ROOT_DIR=""
CERT=""
KEY=""
CERT_SHA256=""
prepare_data() {
  ROOT_DIR="$DATA_DIR/root"
  mkdir -p "$ROOT_DIR/small"
  local big="$ROOT_DIR/$BIG_NAME"
  if [[ ! -f $big || $(stat -c %s "$big") != "$BIG_SIZE" ]]; then
    log "generating $big (1 GiB of random bytes: compressible data would flatter nobody, but keeps it honest)"
    head -c "$BIG_SIZE" /dev/urandom >"$big.tmp" && mv "$big.tmp" "$big"
  fi
  local i f
  for ((i = 1; i <= SMALL_FILES; i++)); do
    f=$(printf '%s/small/f%04d.bin' "$ROOT_DIR" "$i")
    [[ -f $f && $(stat -c %s "$f") == "$SMALL_SIZE" ]] || head -c "$SMALL_SIZE" /dev/urandom >"$f"
  done
}

# One self-signed RSA 2048 certificate for 127.0.0.1 per run, in the run's results (the key dies with them): the
# same certificate and PKCS#8 key for every TLS server, so the handshake and the signature cost the same for all.
make_certificate() {
  command -v openssl >/dev/null || die "openssl not found: it writes the PEM certificate and key every TLS server shares"
  mkdir -p "$RESULTS_DIR/tls"
  CERT="$RESULTS_DIR/tls/cert.pem"
  KEY="$RESULTS_DIR/tls/key.pem"
  log "generating this run's self-signed RSA 2048 certificate for 127.0.0.1 (openssl) in $RESULTS_DIR/tls"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KEY" -out "$CERT" -days 30 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$TMP_DIR/openssl.log" 2>&1) \
    || { cat "$TMP_DIR/openssl.log" >&2; die "openssl could not generate the certificate"; }
  CERT_SHA256=$(openssl x509 -noout -fingerprint -sha256 -in "$CERT" | sed 's/^.*=//')
}

# Whether the server at port $1 presents this run's certificate (and not one of its own).
serves_run_certificate() {
  local served
  served=$(openssl s_client -connect "$HOST:$1" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null \
    | sed 's/^.*=//' || true)
  [[ -n $served && $served == "$CERT_SHA256" ]]
}

# Re-read the served data so every measured run starts hot: this machine evicts idle page cache within a minute.
warm_page_cache() {
  cat "$ROOT_DIR/$BIG_NAME" >/dev/null
  cat "$ROOT_DIR"/small/f*.bin >/dev/null
}

# ---------------------------------------------------------------------------------------------------------------
# Starting servers. Each start_* launches one foreground process whose pid is the server (nginx: its master).
# ---------------------------------------------------------------------------------------------------------------
java_peer() { # class port tls
  local class=$1 port=$2 tls=$3 args=()
  [[ $tls == 1 ]] && args=(--tls --cert "$CERT" --key "$KEY")
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
  exec "$JAVA" --enable-native-access=ALL-UNNAMED $JAVA_OPTS -cp "$PEERS_CP" \
    "io.reactivemmap.benchmarks.http.$class" --root "$ROOT_DIR" --host "$HOST" --port "$port" "${args[@]}"
}

nginx_peer() { # sendfile(on|off) port tls [http2(0|1)]
  local sendfile=$1 port=$2 tls=$3 http2=${4:-0} dir="$TMP_DIR/nginx-$2"
  mkdir -p "$dir"
  local ssl="" tls_lines="" h2=""
  # nginx 1.22: "http2" on the listen socket; without ssl that is h2c with prior knowledge only.
  [[ $http2 == 1 ]] && h2="http2"
  if [[ $tls == 1 ]]; then
    ssl="ssl"
    # The JDK servers negotiate TLS_AES_128_GCM_SHA256 with wrk's OpenSSL client; nginx would pick the client's
    # first choice, TLS_AES_256_GCM_SHA384 (14 AES rounds instead of 10). Same cipher for everyone.
    tls_lines="ssl_certificate $CERT; ssl_certificate_key $KEY; ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on;"
    tls_lines+=" ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;"
  fi
  sed -e "s|@TMP@|$dir|g" -e "s|@ROOT@|$ROOT_DIR|g" -e "s|@PORT@|$port|g" -e "s|@SENDFILE@|$sendfile|g" \
      -e "s|@SSL@|$ssl|g" -e "s|@HTTP2@|$h2|g" -e "s|@TLS_LINES@|$tls_lines|g" \
      -e "s|@USER@|$(id -un)|g" -e "s|@GROUP@|$(id -gn)|g" "$HERE/nginx.conf.template" >"$dir/nginx.conf"
  exec nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
}

# ===============================================================================================================
# OUR SERVER: the contract with samples' FileServerMain. Adjust these two functions after merging if its flags
# differ. It must print its URL when ready, serve --root at /, and serve HTTPS with --tls-cert and --tls-key.
# ===============================================================================================================
OURS_CLASS=io.reactivemmap.samples.FileServerMain
ours_available() {
  [[ -n $SAMPLES_CP && -f "$REPO/samples/target/classes/${OURS_CLASS//.//}.class" ]]
}
ours_server() { # body-mode port tls
  local mode=$1 port=$2 tls=$3 args=()
  [[ $tls == 1 ]] && args=(--tls-cert "$CERT" --tls-key "$KEY")
  # The access log is off, as it is in the nginx config (access_log off): one log line per request is I/O
  # that nothing else in the comparison pays.
  # shellcheck disable=SC2086
  exec "$JAVA" --enable-native-access=ALL-UNNAMED $JAVA_OPTS \
    -cp "$SAMPLES_CP" "$OURS_CLASS" \
    --root "$ROOT_DIR" --host "$HOST" --port "$port" "${args[@]}" --body-mode "$mode" --access-log off
}
# ===============================================================================================================

# Prints the command (as a function call) that starts server $1, or nothing if it cannot run in this mode.
BOOT_CLASS=io.reactivemmap.samples.boot.SpringStaticFilesApp
boot_server() { # starter|default port tls
  local kind=$1 port=$2 tls=$3 args=()
  [[ $tls == 1 ]] && args=(--server.ssl.certificate="file:$CERT" --server.ssl.certificate-private-key="file:$KEY")
  if [[ $kind == starter ]]; then
    args+=(--reactive-mmap.static.root="$ROOT_DIR" --reactive-mmap.static.path-pattern='/**')
  else
    args+=(--reactive-mmap.static.enabled=false --spring.web.resources.static-locations="file:$ROOT_DIR/"
      --spring.webflux.static-path-pattern='/**' --spring.web.resources.cache.cachecontrol.max-age=3600
      --spring.web.resources.cache.cachecontrol.cache-public=true)
  fi
  # Both send Cache-Control: public, max-age=3600 (static-files.properties; the Boot properties above). The
  # per-request access log of the mapped handler is off, as Boot's handler writes none (and nginx's is off).
  # shellcheck disable=SC2086
  exec "$JAVA" --enable-native-access=ALL-UNNAMED $JAVA_OPTS -cp "$SAMPLES_CP" "$BOOT_CLASS" \
    --server.address="$HOST" --server.port="$port" --logging.level.io.reactivemmap.netty.http.access=OFF \
    --spring.main.banner-mode=off "${args[@]}"
}
boot_available() {
  [[ -n $SAMPLES_CP && -f "$REPO/samples/target/classes/${BOOT_CLASS//.//}.class" ]]
}

server_command() { # server port tls [http2(0|1)]
  local server=$1 port=$2 tls=$3 http2=${4:-0}
  if [[ $http2 == 1 ]]; then
    case $server in
      nginx-sendfile) echo "nginx_peer on $port $tls 1" ;;
      ours-windows) ours_available && echo "ours_server mapped $port $tls" ;;
      # AUTO under HTTP/2 copies bodies up to 256 KiB and maps larger ones; sendfile cannot frame DATA
      ours-auto) ours_available && echo "ours_server auto $port $tls" ;;
      *) ;; # the Java peers here speak HTTP/1.1 only
    esac
    return 0
  fi
  case $server in
    nginx-sendfile) echo "nginx_peer on $port $tls" ;;
    nginx-copy) [[ $tls == 1 ]] || echo "nginx_peer off $port $tls" ;;
    netty) echo "java_peer NettyFileServer $port $tls" ;;
    reactor-netty) echo "java_peer ReactorNettyFileServer $port $tls" ;;
    spring-webflux) echo "java_peer SpringWebFluxFileServer $port $tls" ;;
    boot-starter) boot_available && echo "boot_server starter $port $tls" ;;
    boot-default) boot_available && echo "boot_server default $port $tls" ;;
    ours-windows) ours_available && echo "ours_server mapped $port $tls" ;;
    ours-sendfile) [[ $tls == 1 ]] || { ours_available && echo "ours_server sendfile $port $tls"; } ;;
    ours-auto) [[ $tls == 1 ]] || { ours_available && echo "ours_server auto $port $tls"; } ;;
    *) return 1 ;;
  esac
  return 0
}

port_busy() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

# start_instance NAME SERVER PORT PROTO: starts and waits until a 64 KiB file is served; returns 1 if it is not.
start_instance() {
  local name=$1 server=$2 port=$3 proto=$4 tls=0 http2=0 cmd
  [[ $proto == tls || $proto == h2 ]] && tls=1
  [[ $proto == h2 || $proto == h2c ]] && http2=1
  cmd=$(server_command "$server" "$port" "$tls" "$http2")
  [[ -n $cmd ]] || return 1
  if port_busy "$port"; then log "$name: port $port is busy, skipping"; return 1; fi
  local scheme=http
  [[ $tls == 1 ]] && scheme=https
  local out="$RESULTS_DIR/logs/$name.log"
  # shellcheck disable=SC2086 # cmd is "function args"
  ( $cmd ) >"$out" 2>&1 &
  local pid=$!
  PID_OF[$name]=$pid
  PORT_OF[$name]=$port
  SCHEME_OF[$name]=$scheme
  PROTO_OF[$name]=$proto
  # The readiness checks speak the protocol measured: a server that falls back to HTTP/1.1 is not ready.
  local curl_proto=(--http1.1)
  [[ $proto == h2 ]] && curl_proto=(--http2)
  [[ $proto == h2c ]] && curl_proto=(--http2-prior-knowledge)
  local want_version=1.1
  ((http2 == 1)) && want_version=2
  local url="$scheme://$HOST:$port/small/f0001.bin" deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; its log:"; tail -20 "$out" >&2; unset "PID_OF[$name]"; return 1
    fi
    if [[ $(curl -sk "${curl_proto[@]}" -o /dev/null -w '%{http_code} %{size_download} %{http_version}' --max-time 2 "$url" 2>/dev/null || true) \
        == "200 $SMALL_SIZE $want_version" ]]; then
      local big
      big=$(curl -sk "${curl_proto[@]}" -o /dev/null -w '%{http_code} %{size_download} %{http_version}' --max-time 120 \
        "$scheme://$HOST:$port/$BIG_NAME" || true)
      if [[ $big != "200 $BIG_SIZE $want_version" ]]; then
        log "$name served the 1 GiB file wrong ($big): not measured"; stop_instance "$name"; return 1
      fi
      if [[ $tls == 1 ]] && ! serves_run_certificate "$port"; then
        log "$name does not present this run's certificate ($CERT, SHA-256 $CERT_SHA256): not measured"
        stop_instance "$name"; return 1
      fi
      local tls_note=""
      [[ $tls == 1 ]] && tls_note=", presenting this run's RSA 2048 certificate"
      log "$name ready at $scheme://$HOST:$port/ (pid $pid)$tls_note"
      return 0
    fi
    sleep 0.25
  done
  log "$name not ready after ${READY_TIMEOUT}s; its log:"; tail -20 "$out" >&2
  stop_instance "$name"
  return 1
}

# The server's processes: the pid and its direct children (nginx workers; a JVM has none).
server_pids() { echo "$1"; pgrep -P "$1" 2>/dev/null || true; }

cpu_ticks() { # sum of utime+stime over the server's processes
  local total=0 p stat
  for p in $(server_pids "$1"); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    stat=${stat##*) }   # fields after the command name, which may contain spaces
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))   # utime and stime are fields 14 and 15 of /proc/PID/stat
  done
  echo "$total"
}

reset_peak_rss() { local p; for p in $(server_pids "$1"); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done; }

peak_rss_kb() { # VmHWM summed over the server's processes (nginx: master + workers)
  local total=0 p v
  for p in $(server_pids "$1"); do
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# ---------------------------------------------------------------------------------------------------------------
# Cases: NAME = (plain|tls)-(1g|64k)-c(1|16)
# ---------------------------------------------------------------------------------------------------------------
case_proto() { echo "${1%%-*}"; }
case_tls() { [[ $1 == tls-* || $1 == h2-* ]] && echo 1 || echo 0; }
case_conns() { echo "${1##*-c}"; }
case_kind() { local k=${1#*-}; echo "${k%%-*}"; }

run_wrk() { # instance case rep -> appends one TSV row
  local name=$1 case=$2 rep=$3 pid=${PID_OF[$1]}
  local conns threads kind url script
  conns=$(case_conns "$case"); kind=$(case_kind "$case")
  threads=$((conns >= 2 ? 2 : 1))
  local base="${SCHEME_OF[$name]}://$HOST:${PORT_OF[$name]}"
  if [[ $kind == 1g ]]; then url="$base/$BIG_NAME"; script="$HERE/report.lua"; else url="$base/"; script="$HERE/rotate.lua"; fi
  local timeout=$((DURATION * 2 > 30 ? DURATION * 2 : 30))
  warm_page_cache
  reset_peak_rss "$pid"
  local load cpu0 cpu1 raw="$RESULTS_DIR/raw/$case-$name-$rep.txt"
  load=$(cut -d' ' -f1 /proc/loadavg)
  cpu0=$(cpu_ticks "$pid")
  SMALL_FILES=$SMALL_FILES timeout $((DURATION + 60)) wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout "${timeout}s" \
    --latency -s "$script" "$url" >"$raw" 2>&1 || log "wrk exited non-zero for $name $case (see $raw)"
  cpu1=$(cpu_ticks "$pid")
  local rss line
  rss=$(peak_rss_kb "$pid")
  line=$(grep '^RESULT ' "$raw" | tail -1 || true)
  if [[ -z $line ]]; then log "no RESULT line from wrk for $name $case"; return 0; fi
  read -r _ requests bytes duration_us p99_us errors non2xx <<<"$line"
  local server=${name%@*}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$case" "$rep" "$conns" \
    "$duration_us" "$requests" "$bytes" "$p99_us" "$errors" "$non2xx" "$((cpu1 - cpu0))" "$CLK_TCK" "$rss" "$load" >>"$TSV"
  log "$(printf '%-16s %-14s rep %s: %6.2f GB/s %9.0f req/s  p99 %8.1f ms  cpu %5.2f s  errors %s/%s' "$server" "$case" "$rep" \
    "$(awk -v b="$bytes" -v d="$duration_us" 'BEGIN{print b/d/1000}')" "$(awk -v r="$requests" -v d="$duration_us" 'BEGIN{print r/d*1e6}')" \
    "$(awk -v p="$p99_us" 'BEGIN{print p/1000}')" "$(awk -v c="$((cpu1 - cpu0))" -v t="$CLK_TCK" 'BEGIN{print c/t}')" "$errors" "$non2xx")"
}

# The same measurements with h2load for the HTTP/2 cases: one stream at a time per connection (-m 1), the 64 KiB
# files cycled through as with wrk's rotate.lua. h2load reports no percentiles: p99 is written as -1 ("–").
run_h2load() { # instance case rep -> appends one TSV row
  local name=$1 case=$2 rep=$3 pid=${PID_OF[$1]}
  local conns threads kind urls="$TMP_DIR/h2-urls.txt"
  conns=$(case_conns "$case"); kind=$(case_kind "$case")
  threads=$((conns >= 2 ? 2 : 1))
  local base="${SCHEME_OF[$name]}://$HOST:${PORT_OF[$name]}"
  if [[ $kind == 1g ]]; then
    echo "$base/$BIG_NAME" >"$urls"
  else
    local i; : >"$urls"
    for ((i = 1; i <= SMALL_FILES; i++)); do printf '%s/small/f%04d.bin\n' "$base" "$i" >>"$urls"; done
  fi
  warm_page_cache
  reset_peak_rss "$pid"
  local load cpu0 cpu1 raw="$RESULTS_DIR/raw/$case-$name-$rep.txt"
  load=$(cut -d' ' -f1 /proc/loadavg)
  cpu0=$(cpu_ticks "$pid")
  timeout $((DURATION + 60)) h2load -c"$conns" -t"$threads" -m1 -D"$DURATION" -i "$urls" >"$raw" 2>&1 \
    || log "h2load exited non-zero for $name $case (see $raw)"
  cpu1=$(cpu_ticks "$pid")
  local rss
  rss=$(peak_rss_kb "$pid")
  # finished in 2.00s, 1234.50 req/s, 80.12MB/s
  # requests: 2469 total, 2485 started, 2469 done, 2469 succeeded, 0 failed, 0 errored, 0 timeout
  # status codes: 2469 2xx, 0 3xx, 0 4xx, 0 5xx
  # traffic: 154.47MB (161972513) total, ...
  local seconds requests failed ok2xx bytes
  seconds=$(sed -n 's/^finished in \([0-9.]*\)s,.*/\1/p' "$raw" | tail -1)
  requests=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$raw" | tail -1)
  failed=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$raw" | tail -1)
  ok2xx=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$raw" | tail -1)
  bytes=$(sed -n 's/^traffic: [^(]*(\([0-9]*\)) total.*/\1/p' "$raw" | tail -1)
  if [[ -z $seconds || -z $requests || -z $bytes ]]; then log "no summary from h2load for $name $case (see $raw)"; return 0; fi
  local duration_us non2xx
  duration_us=$(awk -v s="$seconds" 'BEGIN{printf "%d", s * 1e6}')
  non2xx=$((requests - ${ok2xx:-0}))
  ((non2xx < 0)) && non2xx=0
  local server=${name%@*}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$case" "$rep" "$conns" \
    "$duration_us" "$requests" "$bytes" -1 "${failed:-0}" "$non2xx" "$((cpu1 - cpu0))" "$CLK_TCK" "$rss" "$load" >>"$TSV"
  log "$(printf '%-16s %-14s rep %s: %6.2f GB/s %9.0f req/s  cpu %5.2f s  failed %s' "$server" "$case" "$rep" \
    "$(awk -v b="$bytes" -v d="$duration_us" 'BEGIN{print b/d/1000}')" "$(awk -v r="$requests" -v d="$duration_us" 'BEGIN{print r/d*1e6}')" \
    "$(awk -v c="$((cpu1 - cpu0))" -v t="$CLK_TCK" 'BEGIN{print c/t}')" "${failed:-0}")"
}

warm_up() { # instance: a short wrk on the small files and the big file, so the JIT has compiled the hot paths
  local name=$1 base="${SCHEME_OF[$1]}://$HOST:${PORT_OF[$1]}"
  ((WARMUP > 0)) || return 0
  if [[ ${PROTO_OF[$1]} == h2 || ${PROTO_OF[$1]} == h2c ]]; then
    timeout $((WARMUP + 30)) h2load -c4 -t2 -m1 -D"$WARMUP" "$base/small/f0001.bin" >/dev/null 2>&1 || true
    timeout $((WARMUP + 30)) h2load -c2 -t1 -m1 -D"$WARMUP" "$base/$BIG_NAME" >/dev/null 2>&1 || true
    return 0
  fi
  SMALL_FILES=$SMALL_FILES timeout $((WARMUP + 30)) wrk -t2 -c4 -d"${WARMUP}s" -s "$HERE/rotate.lua" "$base/" >/dev/null 2>&1 || true
  timeout $((WARMUP + 30)) wrk -t1 -c2 -d"${WARMUP}s" --timeout 30s "$base/$BIG_NAME" >/dev/null 2>&1 || true
}

# Runs every selected case of one protocol (plain, tls, h2 or h2c) against every server that can run it.
run_phase() { # plain|tls|h2|h2c
  local label=$1 cases=() c tls=0 http2=0 offset
  [[ $label == tls || $label == h2 ]] && tls=1
  [[ $label == h2 || $label == h2c ]] && http2=1
  case $label in plain) offset=0 ;; tls) offset=50 ;; h2) offset=100 ;; h2c) offset=150 ;; esac
  for c in $CASES; do [[ $(case_proto "$c") == "$label" ]] && cases+=("$c"); done
  ((${#cases[@]} > 0)) || return 0
  local port i=0 server started=()
  for server in $SERVERS; do
    port=$((BASE_PORT + offset + i)); i=$((i + 1))
    if [[ -z $(server_command "$server" "$port" "$tls" "$http2") ]]; then
      local why="not run"
      [[ $server == ours-* ]] && why="$OURS_CLASS is not built yet"
      [[ $server == nginx-copy ]] && why="under TLS nginx copies with or without sendfile (no kernel TLS): see nginx-sendfile"
      [[ $server == ours-sendfile && $tls == 1 ]] && why="sendfile cannot pass TLS (the server refuses the mode)"
      [[ $server == ours-auto && $tls == 1 && $http2 == 0 ]] && why="under TLS AUTO is the ours-windows path (copy <=256 KiB, map larger)"
      ((http2 == 1)) && why="no HTTP/2 in this peer"
      [[ $http2 == 1 && $server == ours-sendfile ]] && why="sendfile cannot frame HTTP/2 DATA: see ours-auto"
      [[ $http2 == 1 && $server == ours-* ]] && ! ours_available && why="$OURS_CLASS is not built yet"
      log "$server ($label) skipped: $why"
      echo -e "$server\t$label\t$why" >>"$RESULTS_DIR/skipped.tsv"
      continue
    fi
    if start_instance "$server@$label" "$server" "$port" "$label"; then
      started+=("$server@$label")
    else
      echo -e "$server\t$label\tfailed to start" >>"$RESULTS_DIR/skipped.tsv"
    fi
  done
  ((${#started[@]} > 0)) || return 0
  local name
  for name in "${started[@]}"; do log "warming up $name (${WARMUP}s)"; warm_up "$name"; done
  local rep case k n=${#started[@]}
  for ((rep = 1; rep <= REPEAT; rep++)); do
    for case in "${cases[@]}"; do
      # Servers take turns within a case (side by side); the order rotates with each repetition.
      for ((k = 0; k < n; k++)); do
        name=${started[$(((k + rep - 1) % n))]}
        if ! kill -0 "${PID_OF[$name]}" 2>/dev/null; then log "$name died; skipping"
        elif ((http2 == 1)); then run_h2load "$name" "$case" "$rep"
        else run_wrk "$name" "$case" "$rep"; fi
      done
    done
  done
  for name in "${started[@]}"; do stop_instance "$name"; done
}

# ---------------------------------------------------------------------------------------------------------------
main() {
  command -v curl >/dev/null || die "curl is needed to check that each server is ready"
  install_tools
  find_java
  build
  prepare_data
  mkdir -p "$RESULTS_DIR/logs" "$RESULTS_DIR/raw"
  make_certificate
  CLK_TCK=$(getconf CLK_TCK)
  TSV="$RESULTS_DIR/results.tsv"
  printf 'server\tcase\trep\tconns\tduration_us\trequests\tbytes\tp99_us\terrors\tnon2xx\tcpu_ticks\tclk_tck\tpeak_rss_kb\tload1\n' >"$TSV"
  : >"$RESULTS_DIR/skipped.tsv"
  {
    echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpus=$(nproc)"
    echo "kernel=$(uname -r)"
    echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "java=$("$JAVA" -version 2>&1 | head -1)"
    echo "java_opts=$JAVA_OPTS"
    echo "nginx=$(nginx -v 2>&1)"
    echo "wrk=$(wrk -v 2>&1 | head -1)"
    echo "h2load=$(h2load --version 2>&1 | head -1)"
    echo "openssl=$(openssl version 2>/dev/null || echo none)"
    echo "tls_certificate=RSA 2048, self-signed for 127.0.0.1, SHA-256 $CERT_SHA256 (made for this run, shared by every TLS server)"
    echo "duration_s=$DURATION repeat=$REPEAT warmup_s=$WARMUP quick=$QUICK"
    echo "cases=$CASES"
    echo "servers=$SERVERS"
    echo "ours=$(ours_available && echo present || echo 'not built: skipped')"
  } >"$RESULTS_DIR/environment.txt"
  log "results go to $RESULTS_DIR"
  warm_page_cache
  run_phase plain
  run_phase tls
  run_phase h2
  run_phase h2c
  echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS_DIR/environment.txt"
  "$JAVA" -cp "$REPO/benchmarks/target/classes" io.reactivemmap.benchmarks.http.HttpBenchReport "$RESULTS_DIR"
  log "report: $RESULTS_DIR/report.md, chart: $RESULTS_DIR/chart.svg"
}

main "$@"
