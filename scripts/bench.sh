#!/usr/bin/env bash
# The benchmark suite (issue 7): go test -bench with -benchmem, 6 counts,
# summarised with benchstat. Results go to $OUT (default $TMPDIR/pulse-bench/<date>).
# See BENCHMARKS.md for what each figure means and its target.
#   COUNT=6 (default) | OUT=dir | PROFILE=1 also writes CPU profiles
#   ONLY="core memory" runs just those groups (names as printed after ==)
# A group that fails is reported and the others still run; the exit status
# is then 1.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-6}
OUT=${OUT:-${TMPDIR:-/tmp}/pulse-bench/$(date -u +%Y%m%dT%H%M%SZ)}
BENCHSTAT="$GO run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
mkdir -p "$OUT"
FAILED=()

run() { # name pkg regex benchtime [count]
	local name=$1 pkg=$2 re=$3 bt=$4 count=${5:-$COUNT}
	if [[ -n ${ONLY:-} && " $ONLY " != *" $name "* ]]; then return; fi
	echo "== $name ($pkg -bench '$re' -benchtime=$bt -count=$count)" >&2
	local prof=()
	if [[ ${PROFILE:-0} == 1 ]]; then prof=(-cpuprofile "$OUT/$name.cpu.prof" -o "$OUT/$name.test"); fi
	if ! $GO test "$pkg" -run '^$' -bench "$re" -benchmem -benchtime="$bt" -count="$count" -timeout 30m "${prof[@]}" >"$OUT/$name.txt"; then
		echo "!! $name FAILED: see $OUT/$name.txt" >&2
		FAILED+=("$name")
	fi
}

# 1. Core path: bare decode, decode + windows engine, decode + WindowState.
run decode ./events/ 'Decode$|JSONDecoders' 20000x
run core ./processors/ '^BenchmarkCore' 100000x
run windows ./windows/ '^BenchmarkApply$|^BenchmarkApplyBatch$' 200000x
# 2. Ingest: Watermill router on gochannel; the real client against pstest
# (pstest trickles about one message per 10 ms per stream: fewer messages,
# fewer counts).
run ingest-gochannel ./processors/ '^BenchmarkIngestGoChannel$' 20000x
run ingest-pstest ./processors/ '^BenchmarkIngestPstest$' 1000x 3
# 3. Memory.
run memory ./windows/ 'BytesPerTenantWindow|Memory100kTenants' 1x 3
# The same 100k tenants as deployed (deploy/kubernetes.yaml): a soft memory
# limit under the container's 1 GiB makes the GC return memory before RSS
# reaches it. Without one, RSS right after a GC still holds what the GC
# freed (952-1,083 MiB measured), while the live heap is 613 MiB.
GOMEMLIMIT=900MiB run memory-limit ./windows/ 'Memory100kTenants' 1x 3
# 4. Latency.
run latency ./processors/ '^BenchmarkWindowLatency$' 10000x 3
# 5. Sinks: BigQuery row encoding (the emulator benchmark is left out).
run bigquery ./sinks/bigquery/ '^BenchmarkOrderRow$|^BenchmarkInsertAllEncoding$|^BenchmarkWriterNoNetwork$' 1s
if [[ -d windows/redisstore ]]; then
	run redisstore ./windows/redisstore/ . 5000x
	# pulse run's processing side on Redis: one round trip per event vs
	# queued batches (64 concurrent callers, 8 shards).
	run shards-redis ./processors/ '^BenchmarkShardsRedis$' 20000x 3
	# The same holding every lease, so shards also close windows: the cost
	# of waiting for a close's insights to publish (10 ms each) before its
	# fenced commit (sync=true, pulse run) against committing at once.
	run shards-closing ./processors/ '^BenchmarkShardsRedisClosing$' 100000x 3
else
	echo "windows/redisstore does not exist yet: no Redis store figures" | tee "$OUT/redisstore.txt" >&2
fi

echo
echo "Results in $OUT"
for f in "$OUT"/*.txt; do
	[[ $(basename "$f") == redisstore.txt && ! -d windows/redisstore ]] && continue
	echo
	echo "### $(basename "$f" .txt)"
	$BENCHSTAT "$f" | grep -v '^goos\|^goarch\|^cpu\|^pkg' || true
done
if [[ ${PROFILE:-0} == 1 ]]; then
	for p in "$OUT"/*.cpu.prof; do
		n=$(basename "$p" .cpu.prof)
		echo
		echo "### pprof top: $n"
		$GO tool pprof -top -nodecount=20 -ignore 'eventgen|benchTraffic|ingestTraffic' "$OUT/$n.test" "$p" 2>/dev/null | sed -n '5,28p'
	done
fi
if ((${#FAILED[@]})); then
	echo
	echo "FAILED groups: ${FAILED[*]} (their other results are above; see $OUT)" >&2
	exit 1
fi
