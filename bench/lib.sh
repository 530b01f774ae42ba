#!/usr/bin/env bash
# Helpers the bench scripts share (each had its own copy): the median of a column of numbers,
# a ratio of two numbers, wall-clock timing of one command, a free loopback port, starting
# `maildog-ci serve` on free ports, waiting for a port and stopping a server process.
# Usage: `source bench/lib.sh` from a bench script after it has cd'ed to the repository root.
# It sets no shell options and defines functions only: the caller keeps `set -euo pipefail`.

# The median of the numbers read one per line on stdin (the upper middle one for an even
# count); prints nothing for no input.
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]}'; }

# A / B with two decimals, or "n/a" when either is missing or B is zero (a run that failed).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b}'; }

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# Runs "${@:2}" once, bounded by 60 s, its output to file $1; prints its wall time in
# microseconds. A failed run prints the command and its output on stderr and returns 1: the
# time of a failed run means nothing.
time_us() {
  local out=$1 start
  shift
  start=$(now_us)
  timeout 60 "$@" > "$out" 2>&1 || { echo "failed: $*" >&2; cat "$out" >&2; return 1; }
  echo $(( $(now_us) - start ))
}

# A loopback port free right now (the kernel's pick), for peers that cannot bind port 0.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $3 seconds until 127.0.0.1:$1 accepts a connection; returns 1 at the timeout or
# as soon as process $2 has exited.
wait_for_port() {
  local port=$1 pid=$2 seconds=$3
  for _ in $(seq $((seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# Stops process $1: SIGTERM, up to $2 seconds to exit (serve lets transactions in flight
# finish), then SIGKILL; reaps it. Nothing to do for an empty pid.
stop_pid() {
  local pid=$1 seconds=$2
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $((seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Starts the command "${@:3}" (`maildog-ci serve ... --smtp-port 0 --http-port 0`) in the
# background, its output to log file $1, and waits up to $2 seconds for its start-up lines;
# sets serve_pid (as soon as it runs, so a caller's trap can stop it), smtp_port and
# http_port. Returns 1 when serve exited or printed no ports in time (the log says why).
start_serve() {
  local log=$1 seconds=$2
  shift 2
  "$@" > "$log" 2>&1 &
  serve_pid=$!
  smtp_port='' http_port=''
  # serve prints "SMTP on", "HTTP on", ... "stop with" in one write: the last line means all.
  for _ in $(seq $((seconds * 10))); do
    grep -q '^stop with' "$log" && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  smtp_port=$(sed -n 's/^SMTP on .*:\([0-9]*\)$/\1/p' "$log")
  http_port=$(sed -n 's/^HTTP on [^:]*:\([0-9]*\) .*/\1/p' "$log")
  [ -n "$smtp_port" ] && [ -n "$http_port" ]
}
