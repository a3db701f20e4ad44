#!/bin/sh
# Benchmark of no-op deploys over ssh: 50 files to 1, 4 and 16 hosts, each
# host a real OpenSSH sshd on 127.0.0.1 with its own home, and to 16
# aliases of one more sshd (every sshd with OpenSSH's default MaxStartups
# and MaxSessions; batou shares connections among the aliases). Reports the
# median wall time per host count, the 16-host/1-host ratios, the bytes
# batou sends per host on a no-op deploy, and the same workload with
# Ansible (Debian's ansible package; pipelining on, forks >= hosts, no
# fact gathering) as a ratio, measured in the same run.
#
# All hosts run on this machine, so their sshd and agent use the same cores
# as the controller: the script also reports the CPU time one host costs
# (controller, ssh, sshd and agent together) and the wall time that CPU
# alone needs on this machine's cores, a bound that 16 hosts on one machine
# cannot beat. The batou runs are repeated with KexAlgorithms
# curve25519-sha256 in ssh_config, as OpenSSH 9's default post-quantum key
# exchange costs about 60 ms of client CPU per connection.
#
#   bench/ssh.sh [RUNS] [ANSIBLE_RUNS]   (root, for sshd's privilege separation)
#   SKIP_ANSIBLE=1 bench/ssh.sh           (batou only)
#   SKIP_KEX=1 bench/ssh.sh               (without the curve25519 repeat)
#   BASE=/path/to/other/batou bench/ssh.sh (that batou too, in the same rounds)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
ANSIBLE_RUNS=${2:-1}
FILES=50
OUT=$(mktemp -d /tmp/batou-bench-ssh.XXXXXX)
# batou's caches (plans, ssh -G answers) in the bench's own directory
export XDG_CACHE_HOME="$OUT/cache"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
CGO_ENABLED=0 go build -o "$OUT/batou" .
mkdir -p /run/sshd "$OUT/keys"
ssh-keygen -q -t ed25519 -N '' -f "$OUT/keys/user"
cp "$OUT/keys/user.pub" "$OUT/keys/authorized"
: > "$OUT/known_hosts"
: > "$OUT/ssh_config"
: > "$OUT/inventory"
USER_NAME=$(id -un)

start_host() { # start_host NAME PORT
    d="$OUT/hosts/$1"; mkdir -p "$d/home"
    ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey"
    cat > "$d/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $2
HostKey $d/hostkey
PidFile $d/pid
AuthorizedKeysFile $OUT/keys/authorized
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
StrictModes no
PermitRootLogin yes
SetEnv HOME=$d/home
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
    /usr/sbin/sshd -D -e -f "$d/sshd_config" 2>>"$OUT/sshd.log" &
    PIDS="$PIDS $!"
    echo "[127.0.0.1]:$2 $(cut -d' ' -f1,2 "$d/hostkey.pub")" >> "$OUT/known_hosts"
    cat >> "$OUT/ssh_config" <<EOF
Host $1
  HostName 127.0.0.1
  Port $2
  User $USER_NAME
  IdentityFile $OUT/keys/user
  IdentitiesOnly yes
  UserKnownHostsFile $OUT/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
EOF
    echo "$1" >> "$OUT/inventory"
}

port=$((20000 + $$ % 20000))
for i in $(seq 1 16); do start_host "h$(printf %02d "$i")" $((port + i)); done
# One more sshd (OpenSSH's default MaxStartups) that 16 aliases a01..a16 name.
start_host one $((port + 17))
for i in $(seq 1 16); do
    sed -n '/^Host one$/,$p' "$OUT/ssh_config" | sed "1s/.*/Host a$(printf %02d "$i")/" >> "$OUT/aliases"
done
cat "$OUT/aliases" >> "$OUT/ssh_config"
sleep 0.5

# The project: one root writing 50 files.
P="$OUT/project"; mkdir -p "$P/components/files" "$P/environments"
cp "$OUT/ssh_config" "$P/ssh_config"
cat > "$P/components/files/component.star" <<EOF
def _configure(self):
    for i in range($FILES):
        self += File("f%d.conf" % i, content = "file {{ args.i }} on {{ host.name }}\n", template_args = {"i": i})

Files = Component(configure = _configure)
EOF
for n in 1 4 16; do
    mkdir -p "$P/environments/n$n" "$P/environments/a$n"
    { echo "[environment]"; echo "connect_method = ssh"; echo "[hosts]"
      for i in $(seq 1 "$n"); do echo "h$(printf %02d "$i") = files"; done
    } > "$P/environments/n$n/environment.cfg"
    # The aliases share one home: each deploys to its own directory.
    { echo "[environment]"; echo "connect_method = ssh"
      for i in $(seq 1 "$n"); do a=a$(printf %02d "$i")
          printf '[host:%s]\ncomponents = files\ntarget_directory = ~/deployment-%s\n' "$a" "$a"; done
    } > "$P/environments/a$n/environment.cfg"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
ratio() { awk "BEGIN{printf \"%.${3:-2}f\", $1/$2}"; }
# cpu_ms: CPU time of this script's finished children (batou, ssh) and of
# every sshd's finished children (sessions, shells, agents), in ms.
TCK=$(getconf CLK_TCK)
cpu_ms() {
    t=$(awk '{print $16+$17}' /proc/$$/stat)
    for f in "$OUT"/hosts/*/pid; do t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$(cat "$f")/stat"))); done
    echo $((t * 1000 / TCK))
}
CORES=$(nproc)

cd "$P"
# bench_batou LABEL: no-op deploys to 1, 4 and 16 hosts (separate sshds) and
# to 16 aliases of one sshd, with the current ssh_config, by this batou
# and (with BASE set) by the batou BASE. The runs go round by round, so
# that other load on the machine slows every size and binary alike; the
# ratio of each round is kept, for its spread.
ENVS="n1 a16 n4 n16"  # a16 next to n1: n16 leaves sshds busy ending its connections
BINS="batou"
[ -z "${BASE:-}" ] || { cp "$BASE" "$OUT/base"; BINS="batou base"; }
bench_batou() {
    for b in $BINS; do for e in $ENVS; do
        "$OUT/$b" deploy "$e" >/dev/null   # first deploy: uploads the agent, writes the files
        eval "t_${b}_$e=''; c_${b}_$e=0"
    done; eval "r16_$b=''; ra16_$b=''"; done
    for r in $(seq "$RUNS"); do
        for b in $BINS; do
            for e in $ENVS; do
                c0=$(cpu_ms); t=$(ms "$OUT/$b" deploy "$e"); c1=$(cpu_ms)
                eval "t_${b}_$e=\"\$t_${b}_$e $t\"; c_${b}_$e=\$((c_${b}_$e + c1 - c0)); last_$e=$t"
            done
            eval "r16_$b=\"\$r16_$b $(ratio "$last_n16" "$last_n1")\"; ra16_$b=\"\$ra16_$b $(ratio "$last_a16" "$last_n1")\""
        done
    done
    for b in $BINS; do report "$1" "$b"; done
}
# report LABEL BINARY: the figures of one binary.
report() {
    b=$2
    for e in $ENVS; do
        n=${e#?}
        eval "batou_$e=\$(echo \$t_${b}_$e | tr ' ' '\n' | median); cpu_$e=\$((c_${b}_$e / RUNS / n))"
    done
    eval "r16=\$r16_$b; ra16=\$ra16_$b"
    batou_1=$batou_n1; batou_4=$batou_n4; batou_16=$batou_n16
    bound=$(( cpu_n16 * 16 / CORES )); [ "$bound" -gt "$batou_1" ] || bound=$batou_1
    abound=$(( cpu_a16 * 16 / CORES )); [ "$abound" -gt "$batou_1" ] || abound=$batou_1
    what=$1; [ "$b" = batou ] || what="$1, BASE"
    echo "$b, $what:"
    echo "  16 sshds: 1 host ${batou_1} ms, 4 hosts ${batou_4} ms, 16 hosts ${batou_16} ms; 16/1 = $(ratio "$batou_16" "$batou_1") (rounds: $(spread "$r16"))"
    echo "  16 aliases of one sshd: ${batou_a16} ms; 16/1 = $(ratio "$batou_a16" "$batou_1") (rounds: $(spread "$ra16"))"
    echo "  CPU per host and deploy (controller, ssh, sshd, agent): ${cpu_n1} ms with 1 host, ${cpu_n16} ms with 16 sshds, ${cpu_a16} ms with 16 aliases"
    echo "  on $CORES cores, that CPU alone needs at least ${bound} ms for 16 sshds (measured/bound = $(ratio "$batou_16" "$bound")) and ${abound} ms for 16 aliases (measured/bound = $(ratio "$batou_a16" "$abound"))"
}
# spread "R1 R2 ...": the median, lowest and highest of the ratios.
spread() { echo "$1" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {printf "median %s, %s-%s", a[int((NR+1)/2)], a[1], a[NR]}'; }

echo "no-op deploy of $FILES files over ssh, median of $RUNS runs"
bench_batou "OpenSSH defaults"
b1=$batou_1; b4=$batou_4; b16=$batou_16
bytes=$("$OUT/batou" deploy --json n1 | grep '"type":"host-closed"' | sed 's/.*"bytes":\([0-9]*\).*/\1/')
"$OUT/batou" plan -o "$OUT/plans" n1 >/dev/null
gz=$(python3 -c 'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), separators=(",", ":")))' < "$OUT/plans/h01.json" | gzip -6 | wc -c)
echo "  bytes sent per host on a no-op deploy: $bytes (the plan and requests; about $gz once compressed, as ssh's zlib sends them)"
if [ -z "${SKIP_KEX:-}" ]; then
    { echo "Host *"; echo "  KexAlgorithms curve25519-sha256"; cat "$OUT/ssh_config"; } > "$P/ssh_config"
    bench_batou "KexAlgorithms curve25519-sha256"
    cp "$OUT/ssh_config" "$P/ssh_config"
fi

if [ -z "${SKIP_ANSIBLE:-}" ] && command -v ansible-playbook >/dev/null 2>&1; then
    cat > "$OUT/play.yml" <<EOF
- hosts: all
  gather_facts: false
  tasks:
    - name: files
      ansible.builtin.copy:
        dest: "$OUT/ansible-out/{{ inventory_hostname }}/f{{ item }}.conf"
        content: "file {{ item }} on {{ inventory_hostname }}\\n"
      loop: "{{ range($FILES) | list }}"
EOF
    # Ansible's own ssh defaults (its ControlPersist=60s keeps connections
    # open between runs, which batou does not), pipelining on, the same
    # ssh_config as batou.
    export ANSIBLE_PIPELINING=True ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
        ANSIBLE_SSH_ARGS="-F $OUT/ssh_config -C -o ControlMaster=auto -o ControlPersist=60s" ANSIBLE_SSH_CONTROL_PATH_DIR="$OUT/cp"
    for i in $(seq 1 16); do mkdir -p "$OUT/ansible-out/h$(printf %02d "$i")"; done
    for n in 1 4 16; do
        lim=$(for i in $(seq 1 "$n"); do printf "h%02d," "$i"; done)
        ansible-playbook -i "$OUT/inventory" -f 16 -l "$lim" "$OUT/play.yml" >"$OUT/ansible.log" 2>&1 || { tail -20 "$OUT/ansible.log"; exit 1; }
        t=""; for r in $(seq "$ANSIBLE_RUNS"); do t="$t $(ms ansible-playbook -i "$OUT/inventory" -f 16 -l "$lim" "$OUT/play.yml")"; done
        eval "ansible_$n=$(echo $t | tr ' ' '\n' | median)"
    done
    echo "ansible (pipelining, forks 16, median of $ANSIBLE_RUNS): 1 host ${ansible_1} ms, 4 hosts ${ansible_4} ms, 16 hosts ${ansible_16} ms"
    echo "ratio ansible/batou (OpenSSH defaults): 1 host $(ratio "$ansible_1" "$b1" 0)x, 4 hosts $(ratio "$ansible_4" "$b4" 0)x, 16 hosts $(ratio "$ansible_16" "$b16" 0)x"
else
    echo "ansible: not installed (apt-get install ansible) - skipped"
fi
