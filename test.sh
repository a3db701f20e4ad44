#!/bin/sh
# Runs every test of the project: go vet, the cross builds, unit tests and
# the end-to-end testscripts (testscripts/*.txtar, against local agents, a
# real OpenSSH sshd and in-process ssh hosts). On a fresh Debian machine it
# first installs what the tests drive for real (OpenSSH server, gpg, age,
# git, xz, bzip2, and tmux for the interactive REPL). Benchmarks: go test
# -bench . ./..., bench/local.sh, bench/ssh.sh.
set -eu
cd "$(dirname "$0")"

need=""
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need="$need openssh-server"
command -v ssh >/dev/null 2>&1 || need="$need openssh-client"
command -v gpg >/dev/null 2>&1 || need="$need gnupg"
command -v age >/dev/null 2>&1 || need="$need age"
command -v git >/dev/null 2>&1 || need="$need git"
command -v tmux >/dev/null 2>&1 || need="$need tmux"
# archives the Extract tests build (tar.xz, tar.bz2)
command -v xz >/dev/null 2>&1 || need="$need xz-utils"
command -v bzip2 >/dev/null 2>&1 || need="$need bzip2"
if [ -n "$need" ]; then
    echo "installing:$need"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need
fi

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
go vet ./...
# The controller runs on macOS too, and agents for linux/arm64 hosts are
# static cross builds: both must keep building.
GOOS=darwin GOARCH=arm64 go build -o /dev/null .
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o /dev/null .
go test "$@" ./...
