# lib.sh - shared helpers for the integration tests (sourced, never run).
#
# Every test: strict mode, its own temp dir, cleanup on any exit, and an
# automake exit status (0 pass, 1 fail, 77 skip with a reason on stderr,
# also in a build it does not run in: skip_sanitizer).  Below: checks and
# verdicts, processes, captures, then (shared by several tests) sections,
# files a run leaves, and a paced pipe feeding a background mtracecap.
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
# three at once, first thing in main): from then on they wait for the
# control thread, which reads them from a signalfd (before, the default
# action would kill it).  SIGTERM alone is not enough: a mask
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

# thread_states PID: "tid comm state wchan; " for each thread of PID, for
# a message about a process that does not end: a D state (an fsync behind
# writeback) differs from a lock or a poll.
thread_states() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s %s %s %s; ' "${t##*/}" "$(cat "$t/comm" 2>/dev/null)" \
		    "$(awk '/^State:/ {print $2}' "$t/status" 2>/dev/null)" \
		    "$(cat "$t/wchan" 2>/dev/null)"
	done
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

# --- verdicts per section ---------------------------------------------------
# section: a group of checks starts; passed TEXT: its "ok: TEXT" line,
# printed only if no check since section failed.
section() { section_fails=$FAILS; }
passed() { if [ "$FAILS" -eq "$section_fails" ]; then pass "$*"; fi; }

# skip_sanitizer asan|tsan|any REASON: skip the test (77, "SKIP: ... REASON")
# when $MTRACECAP is a build with that sanitizer (sanitizer_build), so that
# `make check` in any build directory runs what CI runs in that build.
skip_sanitizer() {
	local san=$1 label=sanitizer
	shift
	case $san in
	asan) label=ASan ;;
	tsan) label=TSan ;;
	*) san= ;;
	esac
	if sanitizer_build $san; then
		skip "$label build: $*"
	fi
	return 0
}
# tsan_elsewhere WHAT: skip in a TSan build, saying what the test is
# about.  Under TSan run the unit tests (the queue, merger and writer
# threads driven deterministically) and merge_files.sh, rotation.sh and
# signals.sh (the whole daemon's threads on file inputs, through rotation
# and every way to stop).  The other tests skip there: live capture
# (libtrace and libpcap are not TSan-clean: skip_sanitizer tsan), and the
# tests whose thread paths those runs take already (a TSan run of them
# would only be slower).
tsan_elsewhere() {
	skip_sanitizer tsan "$*; TSan runs the unit tests, merge_files," \
	    "rotation and signals"
}

# fast_tmp: sets FAST_TMP, a directory on a tmpfs (/dev/shm) where there
# is one, else $TMP; removed at exit.  For tests of how mtracecap stops:
# a stop ends with an fsync of every file, and on a disk that fsync can
# wait seconds behind the writeback of whatever else the machine (or the
# test beside it under make -j2) writes (seen: the finisher in D state in
# rq_qos_wait).  That is the disk's time, not a hang of ours.  Call it in
# the script itself, not in a subshell.
fast_tmp() {
	[ -z "${FAST_TMP:-}" ] || return 0
	FAST_TMP=$TMP
	if [ -d /dev/shm ] && [ -w /dev/shm ] &&
	    [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
		FAST_TMP=$(mktemp -d "/dev/shm/mtc-$TEST_NAME.XXXXXX")
		on_exit "rm -rf '$FAST_TMP'"
	fi
}

# --- files a run leaves -----------------------------------------------------
# no_tmp DIR...: a failure for every tmp- file left in DIR...
no_tmp() {
	local left
	left=$(find "$@" -name 'tmp-*' 2>/dev/null)
	[ -z "$left" ] || fail "tmp- files left: $left"
}
# by_seq DIR: the -B files of DIR in sequence number order, full paths
# (not dot files: DIR/.mtracecap-delivery is --post-rotate's state)
by_seq() {
	find "$1" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' |
	    LC_ALL=C sort -t- -k3 |
	    sed "s|^|$1/|"
}
# tmpfile DIR: the one temp file (tmp-*) in DIR; status 1 if there are
# several (or none, with nullglob; without it the glob stays as it is)
tmpfile() { local t=("$1"/tmp-*); [ "${#t[@]}" -eq 1 ] && echo "${t[0]}"; }
# plain FILE OUT: FILE, gunzipped if it is gzip, as OUT
plain() {
	if [ "$(head -c2 "$1" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		gzip -dc <"$1" >"$2"
	else
		cp "$1" "$2"
	fi
}

# --- a paced pipe and mtracecap reading it, in the background ---------------
# For the tests that signal, starve or kill mtracecap while its input goes
# on: tests/tools/feed.py writes a paced pcap stream into a named pipe
# (start_feed), mtracecap reads it (start_mtc), reap waits for the end.
# FEED_PID and MTC_PID are the last ones started, each ended at exit.
# The script sets, before its first start_feed:
#   FEED_FIFO       the named pipe (made by start_feed when missing)
#   FEED_LOG        feed.py's --log (default FEED_FIFO.log), read by fed
#   FEED_LOG_STYLE  its --log-style: lines (default) or total
#   FEED_REF        feed.py's --ref (none if empty), removed before each feed
#   FEED_OPTS       an array of options for every feeder (see feed.py)
#   FEED_MODE       fifo (default): mtracecap reads pcapfile:FEED_FIFO;
#                   stdin: pcapfile:- with the pipe as standard input
FEED_PID= MTC_PID= FEED_FIFO= FEED_LOG= FEED_LOG_STYLE=lines FEED_REF=
FEED_OPTS=() FEED_MODE=fifo
_feed_log=/dev/null _feed_style=lines

# start_feed OPTION...: feed.py --fifo FEED_FIFO OPTION... in the
# background (the packets and their pacing: see feed.py), its progress
# log emptied first (seeded with 0 for --log-style total)
start_feed() {
	: "${FEED_FIFO:?start_feed: FEED_FIFO is not set}"
	_feed_log=${FEED_LOG:-$FEED_FIFO.log} _feed_style=$FEED_LOG_STYLE
	[ -p "$FEED_FIFO" ] || mkfifo "$FEED_FIFO"
	if [ "$_feed_style" = total ]; then echo 0 >"$_feed_log"; else : >"$_feed_log"; fi
	local ref=()
	if [ -n "$FEED_REF" ]; then
		rm -f "$FEED_REF"
		ref=(--ref "$FEED_REF")
	fi
	python3 "$TESTS_SRCDIR/tools/feed.py" --fifo "$FEED_FIFO" "${ref[@]}" \
	    --log "$_feed_log" --log-style "$_feed_style" "${FEED_OPTS[@]}" "$@" &
	FEED_PID=$!
	on_exit "kill_child $FEED_PID"
}
# fed: the number of packets the last feeder has fully written so far
fed() {
	if [ "$_feed_style" = total ]; then cat "$_feed_log"; else wc -l <"$_feed_log"; fi
}
# wait_fed N [SECONDS]: until the feeder has written N packets (10 s)
wait_fed() {
	local i=0 max=$(( ${2:-10} * 20 ))
	while [ "$(fed)" -lt "$1" ] && [ $i -lt $max ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(fed)" -ge "$1" ]
}
# stop_feed: end the feeder (its pipe closes: EOF for the reader)
stop_feed() {
	kill_child "$FEED_PID"
	wait "$FEED_PID" 2>/dev/null || true
	FEED_PID=
}
# start_mtc_cmd [-i FILE] ERRFILE COMMAND...: COMMAND (mtracecap, maybe
# wrapped: env, setpriv, ...) in the background, its stderr in ERRFILE
# (emptied first), with -i its standard input from FILE (opened by the
# background job: a FIFO's open then waits there, not here); MTC_PID is
# its pid, SIGKILLed at exit
start_mtc_cmd() {
	local in= e
	if [ "$1" = -i ]; then in=$2; shift 2; fi
	e=$1
	shift
	: >"$e"
	if [ -n "$in" ]; then
		"$@" <"$in" 2>"$e" &
	else
		"$@" 2>"$e" &
	fi
	MTC_PID=$!
	on_exit "kill_child -KILL $MTC_PID"
}
# start_mtc ARGS...: mtracecap -s 0 ARGS reading the feeder's pipe (as
# FEED_MODE says), its stderr in $TMP/stderr
start_mtc() {
	if [ "$FEED_MODE" = stdin ]; then
		start_mtc_cmd -i "$FEED_FIFO" "$TMP/stderr" "$MTRACECAP" -s 0 "$@" pcapfile:-
	else
		start_mtc_cmd "$TMP/stderr" "$MTRACECAP" -s 0 "$@" "pcapfile:$FEED_FIFO"
	fi
}
# reap WHAT SECONDS: wait for mtracecap (MTC_PID) to exit; sets RC; then
# ends the feeder.  If mtracecap does not exit in time, that is a
# failure; the feeder is then ended (EOF) and mtracecap gets 10 s more
# before SIGKILL.
reap() {
	local what=$1 secs=$2
	RC=0
	if ! wait_exit "$MTC_PID" "$secs"; then
		fail "$what: mtracecap (pid $MTC_PID) still running ${secs} s later ($(fed) packets fed, feeder $(kill -0 "$FEED_PID" 2>/dev/null && echo alive and silent || echo gone)); threads (tid comm state wchan): $(thread_states "$MTC_PID")"
		stop_feed
		if ! wait_exit "$MTC_PID" 10; then
			fail "$what: mtracecap does not end even at EOF; SIGKILL"
			kill -9 "$MTC_PID" 2>/dev/null || true
		fi
	fi
	wait "$MTC_PID" 2>/dev/null || RC=$?
	stop_feed
}

# kill_when_written DIR BYTES [FLAG]: SIGKILL mtracecap once its temp file
# in DIR holds BYTES (and file FLAG exists): mid-capture, input still open
kill_when_written() {
	local i=0 t
	while [ $i -lt 200 ]; do
		t=$(tmpfile "$1") || t=
		if [ -n "$t" ] && [ "$(stat -c %s "$t" 2>/dev/null || echo 0)" -ge "$2" ] &&
		    { [ -z "${3:-}" ] || [ -e "$3" ]; }; then
			break
		fi
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$MTC_PID"
	wait "$MTC_PID" 2>/dev/null || true
	MTC_PID=
	[ $i -lt 200 ] || fail "no temp file of $2 bytes in $1 after 10 s"
}

# --- pcapng files -----------------------------------------------------------
# ng_check WHAT FILE ARGS...: tests/tools/pcapng_check.py FILE ARGS (the
# byte-level check of every block, and the expectations ARGS state) must
# accept FILE; its stdout (--dump, "-" reads stdin) passes through.  On a
# defect a failure "WHAT: <the checker's one line>", and 1.
ng_check() {
	local what=$1 f=$2
	shift 2
	python3 "$TESTS_SRCDIR/tools/pcapng_check.py" "$f" "$@" \
	    2>"$TMP/ng_check.err" && return 0
	fail "$what: $(head -c 600 "$TMP/ng_check.err")"
	return 1
}
# by_iface WHAT FILE ID:NAME...: tshark shows every packet of FILE on
# interface k named NAME, k the place of ID:NAME in the list, where ID is
# the mkpcap --id of its source address (198.18.ID.1)
by_iface() {
	local what=$1 f=$2 out
	shift 2
	tshark -r "$f" -T fields -e frame.interface_id -e frame.interface_name \
	    -e ip.src >"$TMP/ifs" 2>/dev/null ||
	    { fail "$what: tshark -T fields fails on ${f##*/}"; return 0; }
	out=$(awk -F'\t' -v specs="$*" 'BEGIN {
		n = split(specs, s, " ")
		for (k = 1; k <= n; k++) {
			i = index(s[k], ":")
			want["198.18." substr(s[k], 1, i - 1) ".1"] = k - 1
			nm[k - 1] = substr(s[k], i + 1)
		} }
	    { w = ($3 in want) ? want[$3] : "none"
	      if ($1 != w || $2 != nm[w]) {
		if (++bad <= 3) printf "packet %d from %s on interface %s (%s), want %s (%s); ", NR, $3, $1, $2, w, nm[w] } }
	    END { if (NR == 0) print "no packets"; else if (bad) print bad " packets on the wrong interface" }' "$TMP/ifs")
	[ -z "$out" ] || fail "$what: ${f##*/}: $out"
}
# capinfos_ifaces WHAT FILE NAME...: capinfos -I lists the interfaces
# NAME... in that order, and no other
capinfos_ifaces() {
	local what=$1 f=$2 want got
	shift 2
	want=$(printf '%s\n' "$@")
	got=$(capinfos -I "$f" 2>/dev/null | awk '
	    /^Number of interfaces in file:/ { n = $NF }
	    /^Interface #[0-9]+ info:/ { k++ }
	    /^ *Name = / && k { sub(/^ *Name = /, ""); name[k] = $0 }
	    END { if (n != k) print "count " n " but " k " listed"
		for (i = 1; i <= k; i++) print name[i] }')
	[ "$want" = "$got" ] ||
	    fail "$what: capinfos -I lists $(tr "\n" " " <<<"$got"), want $*"
}

# seq_of NAME: the sequence number of a -B file NAME (a path or a base
# name: YYYYMMDD-HHMMSS-NNNNNNNN...), or -1
seq_of() {
	if [[ ${1##*/} =~ ^[0-9]{8}-[0-9]{6}-([0-9]{8}) ]]; then
		echo $((10#${BASH_REMATCH[1]}))
	else
		echo -1
	fi
}
