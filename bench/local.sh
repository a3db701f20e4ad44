#!/bin/sh
# Benchmark of a local deploy: 1,000 templated files + 10 directories + 10
# symlinks on one host (connect_method = local). It reports the first
# deploy and the no-op deploy as wall time and as a ratio to the floor
# program (bench/floor) measured in the same run: the least a correct tool
# must do (read and compare every file; write the differing ones to a
# temporary file renamed over the target), with the fewest system calls.
# The same floor written with the standard library (os.Stat, os.ReadFile,
# os.WriteFile, os.Rename) is shown too. Every no-op round also checks
# batou's result with the floor. Peak memory (max RSS) comes from GNU time
# when present. Set TMPDIR to measure on another file system (the first
# deploy depends much on it: on ext4 without a journal every new inode
# costs a scan of the recently freed ones). BASE=/path/to/another/batou
# runs that binary too, in the same rounds (first deploy, no-op, and a
# first deploy to its emptied target; before this batou in odd rounds,
# after it in even ones), and prints its figures and the ratio of this
# batou to it. Besides the ratio of the medians, each round's own ratio
# (a deploy over the floor run next to it) is shown as a median: it is
# steadier when the machine's speed drifts during the run.
#
# Each round deploys a project never deployed before (configure runs),
# then the no-op (configure does not run: nothing it reads changed, the
# plans of the first deploy are used), then the no-op with --no-cache
# (configure runs), then, after removing the target, a first deploy with
# the plans kept from before. The plan cache is kept in the bench's own
# directory.
#
#   bench/local.sh [N_FILES] [RUNS]
#   BASE=/tmp/batou-old bench/local.sh
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${2:-10}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# batou keeps each deploy's plans in the user's cache directory: keep the
# bench's own in $OUT.
export XDG_CACHE_HOME="$OUT/cache"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# Built as the README says (static); CGO_ENABLED=1 measures a dynamically
# linked batou, which starts slower (twice per deploy: controller, agent).
CGO_ENABLED="${CGO_ENABLED:-0}" go build -o "$OUT/batou" .
go build -o "$OUT/floor" ./bench/floor

# now_ns prints a monotonic-enough timestamp in nanoseconds.
now_ns() { date +%s%N; }

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_ms() { # run_ms CMD...: prints elapsed milliseconds
    s=$(now_ns); "$@" >/dev/null; e=$(now_ns); echo $(( (e - s) / 1000000 ))
}

first=""; fw=""; fws=""; noop=""; fc=""; fcs=""; bfirst=""; bnoop=""; brefill=""; nocache=""; refill=""
rfirst=""; rnoop=""; rbfirst=""

# base_round R: the base's first deploy, no-op and refill of round R.
base_round() {
    B="$OUT/b$1"; mkdir -p "$B"; "$OUT/floor" gen "$B" "$N"
    bf1=$(cd "$B" && run_ms "$BASE" deploy bench)
    bfirst="$bfirst $bf1"
    bnoop="$bnoop $(cd "$B" && run_ms "$BASE" deploy bench)"
    rm -rf "$B/work"
    brefill="$brefill $(cd "$B" && run_ms "$BASE" deploy bench)"
    rm -rf "$B"
}

# per_round X Y: X/Y with three decimals (a ratio of one round).
per_round() { awk "BEGIN{printf \"%.3f\", $1/($2>0?$2:1)}"; }

for r in $(seq "$RUNS"); do
    P="$OUT/p$r"; mkdir -p "$P"; "$OUT/floor" gen "$P" "$N"
    # The base goes first in odd rounds and last in even ones: neither
    # batou always runs right after the other's work.
    if [ -n "${BASE:-}" ] && [ $((r % 2)) -eq 1 ]; then base_round "$r"; fi
    f1=$(cd "$P" && run_ms "$OUT/batou" deploy bench)
    w1=$(run_ms "$OUT/floor" write "$OUT/f$r" "$N")
    first="$first $f1"; fw="$fw $w1"
    fws="$fws $(run_ms "$OUT/floor" write-std "$OUT/s$r" "$N")"
    n1=$(cd "$P" && run_ms "$OUT/batou" deploy bench)
    c1=$(run_ms "$OUT/floor" check "$P/work/many" "$N")
    noop="$noop $n1"; fc="$fc $c1"
    fcs="$fcs $(run_ms "$OUT/floor" check-std "$P/work/many" "$N")"
    nocache="$nocache $(cd "$P" && run_ms "$OUT/batou" deploy --no-cache bench)"
    rm -rf "$P/work"
    refill="$refill $(cd "$P" && run_ms "$OUT/batou" deploy bench)"
    if [ -n "${BASE:-}" ] && [ $((r % 2)) -eq 0 ]; then base_round "$r"; fi
    rfirst="$rfirst $(per_round "$f1" "$w1")"; rnoop="$rnoop $(per_round "$n1" "$c1")"
    if [ -n "${BASE:-}" ]; then rbfirst="$rbfirst $(per_round "$f1" "$bf1")"; fi
done
m() { v=$(echo $1 | tr ' ' '\n' | median); [ "$v" -gt 0 ] || v=1; echo "$v"; }
ratio() { awk "BEGIN{printf \"%.1f\", $1/$2}"; }
fd=$(m "$first"); nd=$(m "$noop"); ncd=$(m "$nocache"); rd=$(m "$refill")
w=$(m "$fw"); ws=$(m "$fws"); c=$(m "$fc"); cs=$(m "$fcs")
echo "workload: $N templated files + 10 directories + 10 symlinks, local, median of $RUNS runs, in $(df -PT "$OUT" | awk 'NR==2{print $2}'), CGO_ENABLED=${CGO_ENABLED:-0}"
echo "first deploy: ${fd} ms   floor write: ${w} ms   ratio $(ratio "$fd" "$w")x   (standard-library floor: ${ws} ms, $(ratio "$fd" "$ws")x)"
echo "no-op deploy: ${nd} ms   floor check: ${c} ms   ratio $(ratio "$nd" "$c")x   (standard-library floor: ${cs} ms, $(ratio "$nd" "$cs")x)"
echo "  the no-op with --no-cache (configure runs): ${ncd} ms, ratio $(ratio "$ncd" "$c")x"
echo "  a first deploy to an emptied target, the plans kept from before: ${rd} ms, ratio $(ratio "$rd" "$w")x to the floor's write"
# The median of each round's own ratio: a round's deploy and floor run
# seconds apart, so a machine that is slower for a while slows both.
mr() { echo $1 | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }
echo "  per round (each round's deploy over its own floor, median): first deploy $(mr "$rfirst")x, no-op $(mr "$rnoop")x"
if [ -n "${BASE:-}" ]; then
    bf=$(m "$bfirst"); bn=$(m "$bnoop"); br=$(m "$brefill")
    echo "base $BASE: first deploy ${bf} ms (this batou $(ratio "$fd" "$bf")x of it, floor ratio $(ratio "$bf" "$w")x), no-op ${bn} ms (this batou $(ratio "$nd" "$bn")x of it, floor ratio $(ratio "$bn" "$c")x)"
    echo "  base, a first deploy to an emptied target (its plans kept, if it keeps them): ${br} ms (this batou $(ratio "$rd" "$br")x of it, floor ratio $(ratio "$br" "$w")x)"
    echo "  per round, this batou's first deploy over the base's (median): $(mr "$rbfirst")x"
fi
if [ -x /usr/bin/time ]; then
    P="$OUT/p1"
    rss=$(cd "$P" && /usr/bin/time -f %M "$OUT/batou" deploy bench 2>&1 >/dev/null | tail -1)
    rssnc=$(cd "$P" && /usr/bin/time -f %M "$OUT/batou" deploy --no-cache bench 2>&1 >/dev/null | tail -1)
    echo "peak memory of a no-op deploy (controller and agent, max RSS): $((rss / 1024)) MB, $((rssnc / 1024)) MB with --no-cache"
fi
