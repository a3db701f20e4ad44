#!/bin/sh
# Benchmark of a local deploy: 1,000 templated files + 10 directories + 10
# symlinks on one host (connect_method = local). It reports the first
# deploy and the no-op deploy as wall time and as a ratio to the floor
# program (bench/floor), which writes / stats the same files, measured in
# the same run. Peak memory (max RSS) comes from GNU time when present.
#
#   bench/local.sh [N_FILES] [RUNS]
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${2:-10}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go build -o "$OUT/batou" .
go build -o "$OUT/floor" ./bench/floor

# now_ns prints a monotonic-enough timestamp in nanoseconds.
now_ns() { date +%s%N; }

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_ms() { # run_ms CMD...: prints elapsed milliseconds
    s=$(now_ns); "$@" >/dev/null; e=$(now_ns); echo $(( (e - s) / 1000000 ))
}

first_deploy=""; first_floor=""; noop=""; noop_floor=""
for r in $(seq "$RUNS"); do
    P="$OUT/p$r"; mkdir -p "$P"; "$OUT/floor" gen "$P" "$N"
    first_deploy="$first_deploy $(cd "$P" && run_ms "$OUT/batou" deploy bench)"
    F="$OUT/f$r"; mkdir -p "$F"
    first_floor="$first_floor $(run_ms "$OUT/floor" write "$F" "$N")"
    noop="$noop $(cd "$P" && run_ms "$OUT/batou" deploy bench)"
    noop_floor="$noop_floor $(run_ms "$OUT/floor" check "$P/work/many" "$N")"
done
fd=$(echo $first_deploy | tr ' ' '\n' | median)
ff=$(echo $first_floor | tr ' ' '\n' | median)
nd=$(echo $noop | tr ' ' '\n' | median)
nf=$(echo $noop_floor | tr ' ' '\n' | median)
[ "$ff" -gt 0 ] || ff=1
[ "$nf" -gt 0 ] || nf=1
echo "workload: $N templated files + 10 directories + 10 symlinks, local, median of $RUNS runs"
echo "first deploy: ${fd} ms   floor write: ${ff} ms   ratio $(awk "BEGIN{printf \"%.1f\", $fd/$ff}")x"
echo "no-op deploy: ${nd} ms   floor check: ${nf} ms   ratio $(awk "BEGIN{printf \"%.1f\", $nd/$nf}")x"
if [ -x /usr/bin/time ]; then
    P="$OUT/p1"
    rss=$(cd "$P" && /usr/bin/time -f %M "$OUT/batou" deploy bench 2>&1 >/dev/null | tail -1)
    echo "peak memory of a no-op deploy (controller and agent, max RSS): $((rss / 1024)) MB"
fi
