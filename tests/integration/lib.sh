# lib.sh - shared helpers for the integration tests (sourced, never run).
#
# Every test: strict mode, its own temp dir, cleanup on any exit, and an
# automake exit status (0 pass, 1 fail, 77 skip with a reason on stderr).
set -euo pipefail

: "${MTRACECAP:?MTRACECAP must point at the built binary}"
: "${TESTS_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${CORPUS_DIR:=$TESTS_SRCDIR/../../shared/corpus/tcpdump-tests}"

TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtc-$TEST_NAME.XXXXXX")
_cleanups=()
FAILS=0

# Run "$@" at exit (last registered runs first).
on_exit() { _cleanups=("$*" "${_cleanups[@]}"); }
_run_cleanups() {
	local rc=$?
	set +e
	for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$TMP"
	exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 1' INT TERM

# kill_child [-SIG] PID...: signal each PID (SIGTERM by default) only
# while it is still a child of this shell.  Bash reaps a background child
# as soon as it exits, and the kernel hands its number to the next process
# once the pid space wraps (32768 here, in minutes while the corpus test
# forks beside us): a plain `kill $PID` at cleanup then hits some other
# test's process.  An unreaped child keeps its number, so the check and
# the kill cannot be split by a reuse.
kill_child() {
	local sig=-TERM p st f me=${BASHPID:-$$}
	case ${1:-} in -*) sig=$1; shift ;; esac
	for p in "$@"; do
		[ -n "$p" ] || continue
		{ read -r st <"/proc/$p/stat"; } 2>/dev/null || continue
		read -r -a f <<<"${st##*) }"	# after the name: state ppid ...
		[ "${f[1]:-}" = "$me" ] && kill "$sig" "$p" 2>/dev/null
	done
	return 0
}

# hold_fifo FILE FIFO: in the background, write FILE into FIFO, then keep
# the pipe open and silent (a stream that goes quiet without ending);
# HOLD_PID is the writer, ended at exit.
hold_fifo() {
	python3 -c 'import sys, time
f = open(sys.argv[2], "wb")
f.write(open(sys.argv[1], "rb").read())
f.flush()
time.sleep(3600)' "$1" "$2" &
	HOLD_PID=$!
	on_exit "kill_child $HOLD_PID"
}

# pcap_to_erf PCAP ERF: ERF, uncompressed, with PCAP's records (traceconvert
# always writes gzip: ERF.gz is left beside it)
pcap_to_erf() {
	traceconvert "pcapfile:$1" "erf:$2.gz" && zcat "$2.gz" >"$2"
}

skip() { echo "SKIP: $TEST_NAME: $*" >&2; exit 77; }
fail() { echo "FAIL: $TEST_NAME: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
# Exit with the verdict once all checks ran.
finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS check(s) failed" >&2
		exit 1
	fi
	exit 0
}
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"; }
need_cmd() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done; }
# sanitizer_build [asan|tsan]: true when $MTRACECAP was built with that
# sanitizer (either one without an argument).  configure's answer
# (MTRACECAP_SANITIZER, set by make check) decides; run by hand, the
# sanitizer's entry symbol in the binary does, not ldd, whose output
# varies between machines.
sanitizer_build() {
	local san=${MTRACECAP_SANITIZER-unset}
	if [ "$san" = unset ]; then
		san=
		grep -aq __asan_init "$MTRACECAP" 2>/dev/null && san="$san asan"
		grep -aq __tsan_init "$MTRACECAP" 2>/dev/null && san="$san tsan"
	fi
	if [ -n "${1:-}" ]; then
		case " $san " in *" $1 "*) return 0 ;; esac
		return 1
	fi
	[ -n "${san// /}" ]
}

# The record stream of a capture as an independent reader sees it:
# timestamp, lengths and every byte, one packet per line.
records() { tcpdump -r "$1" -tt -nn -xx -v 2>/dev/null; }
# Number of packets according to capinfos (another independent reader).
npackets() { capinfos -M -c "$1" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2+0}'; }

# Unique short names for interfaces/namespaces (IFNAMSIZ is 16).
uniq_name() { printf '%s%x%x' "$1" "$$" "$RANDOM" | cut -c1-14; }

# A network namespace "$1" holding one end of a new veth pair; the other
# end "$2" stays on the host, up, with no addresses (no IPv4, IPv6 off).
make_veth_ns() {
	local ns=$1 host_if=$2 peer_if
	peer_if="${host_if}p"
	ip netns add "$ns"
	on_exit "ip netns del $ns"
	ip link add "$host_if" type veth peer name "$peer_if"
	on_exit "ip link del $host_if"
	ip link set "$peer_if" netns "$ns"
	sysctl -qw "net.ipv6.conf.$host_if.disable_ipv6=1" || true
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$peer_if.disable_ipv6=1" || true
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || true
	ip link set "$host_if" up
	ip netns exec "$ns" ip link set "$peer_if" up
	ip netns exec "$ns" ip link set lo up
}

# Wait (up to $2 seconds, default 10) until file $1 exists.
wait_for_file() {
	local i=0 max=$(( ${2:-10} * 10 ))
	while [ ! -e "$1" ] && [ $i -lt $max ]; do sleep 0.1; i=$((i + 1)); done
	[ -e "$1" ]
}
# Wait (up to $2 s) until process $1 has exited; returns 1 on timeout.
wait_exit() {
	local i=0 max=$(( ${2:-10} * 10 ))
	while kill -0 "$1" 2>/dev/null && [ $i -lt $max ]; do sleep 0.1; i=$((i + 1)); done
	! kill -0 "$1" 2>/dev/null
}

# wait_ready [PID]: until mtracecap PID (default $MTC_PID) runs with SIGHUP,
# SIGINT and SIGTERM blocked (mask bits 0, 1, 14; mtracecap blocks the
# three at once): its signal thread handles them from then on (before,
# the default action would kill it).  SIGTERM alone is not enough: a mask
# inherited across exec may hold it while SIGHUP would still kill.
# Fails the test after 2 s.
wait_ready() {
	local pid=${1:-$MTC_PID} i=0 blk
	while [ $i -lt 100 ]; do
		blk=$(awk '/^SigBlk:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		if [ -n "$blk" ] && [ $(( 0x$blk & 0x4003 )) -eq $(( 0x4003 )) ] &&
		    [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$MTRACECAP")" ]; then
			return 0
		fi
		sleep 0.02
		i=$((i + 1))
	done
	fail "mtracecap (pid $pid) did not block SIGHUP, SIGINT and SIGTERM within 2 s"
	return 1
}

# Synthetic inputs: $MK runs tests/tools/mkpcap.py, $S is a base epoch
# second for their stamps, $D an empty directory to put them in.
use_mkpcap() {
	MK="python3 $TESTS_SRCDIR/tools/mkpcap.py"
	S=1700000000
	D=$TMP/in
	mkdir -p "$D"
}

# reap_pid PID SECONDS WHAT: wait for PID (a child of this shell), which
# must exit within SECONDS (else a failure naming WHAT, and SIGKILL);
# sets RC to its exit status.
reap_pid() {
	RC=0
	if ! wait_exit "$1" "$2"; then
		fail "$3: mtracecap still running $2 s later; SIGKILL"
		kill -9 "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || RC=$?
}

# await_start PID ERRFILE WHAT TRIES DELAY CMD...: poll CMD every DELAY
# seconds until it succeeds (0).  If PID dies first or TRIES polls pass, a
# failure "WHAT: <ERRFILE>", PID is killed and reaped, and 1.
await_start() {
	local pid=$1 errf=$2 what=$3 tries=$4 delay=$5 i=0
	shift 5
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null || [ $i -ge "$tries" ]; then
			fail "$what: $(cat "$errf")"
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" || true
			return 1
		fi
		sleep "$delay"
		i=$((i + 1))
	done
}

# notify_listen ADDR LOG: a python3 listener playing systemd's NOTIFY_SOCKET
# on ADDR (a path, or @name: abstract), in the background (ended on exit);
# it logs every message line as "time pid message" (the sender's pid from
# SCM_CREDENTIALS).  Returns once it listens (1 and a failure if it
# does not start).
notify_listen() {
	cat >"$TMP/notify_listen.py" <<'EOF'
import socket, struct, sys, time
addr, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(log, "a", buffering=1) as f:
    f.write("%.3f 0 LISTENING\n" % time.time())
    while True:
        data, anc, _, _ = s.recvmsg(8192, socket.CMSG_SPACE(12))
        pid = -1
        for lvl, typ, d in anc:
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", d[:12])[0]
        t = time.time()
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                f.write("%.3f %d %s\n" % (t, pid, line))
EOF
	python3 "$TMP/notify_listen.py" "$1" "$2" &
	on_exit "kill_child $!"
	local i=0
	until grep -q LISTENING "$2" 2>/dev/null; do
		[ $i -lt 100 ] || { fail "listener on $1 did not start"; return 1; }
		sleep 0.05
		i=$((i + 1))
	done
}
