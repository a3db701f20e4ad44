#!/bin/sh
# Benchmark of one large File (300 MB by default; source=, is_template=False)
# deployed to one local host: the first deploy and the no-op deploy, each
# with the peak memory (max RSS, as the kernel counts it) of the controller
# (the finish event) and of the agent (the host-closed event), and the
# no-op's wall time as a ratio to `sha256sum` of the same file, measured in
# the same rounds. The same project with a 1-byte file gives the memory
# both processes need anyway; the differences are what the large file
# costs. The file's content comes from /dev/urandom.
#
#   bench/blob.sh [MB] [RUNS]
set -eu
cd "$(dirname "$0")/.."
MB=${1:-300}
RUNS=${2:-3}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/batou-bench-blob.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go build -o "$OUT/batou" .

# project DIR: a project deploying components/big/big.bin locally.
project() {
    mkdir -p "$1/components/big" "$1/environments/bench"
    cat > "$1/components/big/component.star" <<'EOF'
def _configure(self):
    self += File("big.bin", source = "big.bin", is_template = False)

Big = Component(configure = _configure)
EOF
    printf '[environment]\nconnect_method = local\n[hosts]\nlocalhost = big\n' > "$1/environments/bench/environment.cfg"
}

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# field FILE TYPE KEY: the number KEY of the last event of TYPE in FILE
field() { grep "\"type\":\"$2\"" "$1" | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p" | tail -1; }
mb() { awk "BEGIN{printf \"%.1f\", $1/1048576}"; }

# deploy DIR OUT: a deploy of DIR with --json to OUT; prints milliseconds.
deploy() {
    s=$(now_ns)
    (cd "$1" && "$OUT/batou" deploy --json bench > "$2") || { cat "$2" >&2; exit 1; }
    e=$(now_ns); echo $(( (e - s) / 1000000 ))
}

P="$OUT/big"; project "$P"
head -c $((MB * 1000000)) /dev/urandom > "$P/components/big/big.bin"
S="$OUT/small"; project "$S"
printf x > "$S/components/big/big.bin"

first=""; noop=""; sha=""; cf=0; af=0; cn=0; an=0
for r in $(seq "$RUNS"); do
    rm -rf "$P/work"
    first="$first $(deploy "$P" "$OUT/first.json")"
    cmp "$P/components/big/big.bin" "$P/work/big/big.bin"
    [ "$(field "$OUT/first.json" host-closed blob_bytes)" = $((MB * 1000000)) ]
    noop="$noop $(deploy "$P" "$OUT/noop.json")"
    ! grep -q blob_bytes "$OUT/noop.json"
    s=$(now_ns); sha256sum "$P/components/big/big.bin" > /dev/null; e=$(now_ns)
    sha="$sha $(( (e - s) / 1000000 ))"
    for v in "cf finish" "af host-closed"; do
        set -- $v; x=$(field "$OUT/first.json" "$2" max_rss); eval "[ $x -gt \$$1 ] && $1=$x || true"
    done
    for v in "cn finish" "an host-closed"; do
        set -- $v; x=$(field "$OUT/noop.json" "$2" max_rss); eval "[ $x -gt \$$1 ] && $1=$x || true"
    done
done
deploy "$S" "$OUT/small1.json" > /dev/null
deploy "$S" "$OUT/small2.json" > /dev/null
cs=$(field "$OUT/small1.json" finish max_rss); as=$(field "$OUT/small1.json" host-closed max_rss)

fd=$(echo $first | tr ' ' '\n' | median)
nd=$(echo $noop | tr ' ' '\n' | median)
sd=$(echo $sha | tr ' ' '\n' | median)
[ "$sd" -gt 0 ] || sd=1
echo "workload: one ${MB} MB file (File source=, is_template=False), local, median of $RUNS runs"
echo "first deploy: ${fd} ms"
echo "no-op deploy: ${nd} ms   sha256sum: ${sd} ms   ratio $(awk "BEGIN{printf \"%.2f\", $nd/$sd}")x (goal: 1.5x or less)"
echo "peak memory (max RSS of the runs), first deploy: controller $(mb "$cf") MB, agent $(mb "$af") MB"
echo "peak memory (max RSS of the runs), no-op deploy: controller $(mb "$cn") MB, agent $(mb "$an") MB"
echo "the same project with a 1-byte file: controller $(mb "$cs") MB, agent $(mb "$as") MB"
echo "what the ${MB} MB file costs (worst of first and no-op minus the 1-byte project):" \
    "controller $(mb $(( (cf > cn ? cf : cn) - cs ))) MB, agent $(mb $(( (af > an ? af : an) - as ))) MB (goal: under 64 MB each)"
