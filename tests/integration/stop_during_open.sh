#!/bin/bash
# stop_during_open.sh - a stop signal while an input is still opening.
#
# An input can take its time to open: a FIFO waits in open(2) for a
# writer, a libtrace format for its source.  1.0.0 started its signal
# thread only once every input was open, so SIGTERM then waited for the
# open, for ever if no writer came.  The control thread now runs before
# the inputs open: SIGTERM or SIGINT during an open ends the run at once,
# as a clean stop (exit 0, the -v stop line and the total line, no error)
# that leaves no file and no child behind; so does a stop while a FIFO's
# writer is connected but silent (the wait is then for the pcap header,
# in our poll() loop), or has sent part of a pcapng section header.  With NOTIFY_SOCKET, systemd
# hears STOPPING=1 and never READY=1.  The test waits for the state (the
# main thread blocked in the FIFO's open, the notify messages), not for
# a time.
. "$(dirname "$0")/lib.sh"
need_cmd python3 gzip
use_mkpcap
# more than a pipe holds: its decompressor waits, alive, for a reader
$MK "$D/a.pcap" --count 2000 --size 128
gzip -c "$D/a.pcap" >"$D/a.pcap.gz"
mkfifo "$TMP/in.fifo"

# wait_state PID TEST: until TEST PID holds, as long as PID lives;
# 1 after 5 s or once PID is gone
wait_state() {
	local i=0
	while [ $i -lt 100 ]; do
		"$2" "$1" && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# in_open PID: PID's main thread waits in the FIFO's open for a writer
# (wait_for_partner; fifo_open on older kernels)
in_open() {
	case $(cat "/proc/$1/wchan" 2>/dev/null || true) in
	*partner* | fifo_open*) return 0 ;;
	esac
	return 1
}
wait_open() { wait_state "$1" in_open; }

# decompressors: the pids of the gzip processes reading a.pcap.gz
decompressors() {
	local p
	for p in $(pgrep -x gzip || true); do
		[ "$(readlink "/proc/$p/fd/0" 2>/dev/null)" = "$D/a.pcap.gz" ] &&
		    echo "$p"
	done
	return 0
}

# nothing_left DIR WHAT: DIR holds no file (no output, no temp file) and
# no decompressor of ours still runs
nothing_left() {
	local left
	left=$(find "$1" -mindepth 1 -print)
	[ -z "$left" ] || fail "$2: left behind: $left"
	left=$(decompressors)
	[ -z "$left" ] || fail "$2: a decompressor still runs: pid $left"
}

# holds_silent PID: PID holds $TMP/silent.fifo open for reading (its
# writer is connected and silent: the open(2) is done, reading the pcap
# header waits)
holds_silent() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$TMP/silent.fifo" ] && return 0
	done
	return 1
}
wait_header() { wait_state "$1" holds_silent; }

# stop_case WHAT SIGNAL OUTPUT INPUT...: start mtracecap -v OUTPUT INPUT...
# (one of them the FIFO, which never gets a writer), send SIGNAL while it
# waits in the FIFO's open (or, with WAIT=wait_header, for the first bytes
# of a FIFO whose writer is silent); it must exit 0 within 3 s, say only
# the stop and the total, and leave $TMP/out empty
stop_case() {
	local what=$1 sig=$2 out=$3 pid name fails=$FAILS
	shift 3
	rm -rf "$TMP/out"
	mkdir "$TMP/out"
	"$MTRACECAP" -v "$out" "$@" 2>"$TMP/err" &
	pid=$!
	on_exit "kill_child -KILL $pid"
	if ! "${WAIT:-wait_open}" "$pid"; then
		fail "$what: not waiting in the FIFO's open: $(cat "/proc/$pid/wchan" 2>/dev/null) $(cat "$TMP/err")"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		return
	fi
	case " $* " in
	*" $D/a.pcap.gz "*)
		[ -n "$(decompressors)" ] ||
		    fail "$what: no decompressor running during the open" ;;
	esac
	kill "-$sig" "$pid"
	reap_pid "$pid" 3 "$what: SIG$sig during the open"
	[ "$RC" = 0 ] || fail "$what: exit status $RC, want 0: $(cat "$TMP/err")"
	case $sig in
	TERM) name=Terminated ;;
	INT) name=Interrupt ;;
	esac
	printf 'mtracecap: %s: stopping, draining the queues\nmtracecap: total: files=0 written=0 lost=0 disorders=0 dropped_by_kernel=0\n' \
	    "$name" >"$TMP/want"
	diff "$TMP/want" "$TMP/err" >"$TMP/diff" ||
	    fail "$what: stderr differs from a clean stop's: $(cat "$TMP/diff")"
	nothing_left "$TMP/out" "$what"
	if [ "$FAILS" = "$fails" ]; then
		pass "$what: SIG$sig during the open: exit 0 at once, nothing left"
	fi
}

stop_case "rotating, bare FIFO" TERM "-Bpcapfile:$TMP/out" "$TMP/in.fifo"
stop_case "one file, pcapfile:FIFO" INT "pcapfile:$TMP/out/x.pcap" \
    "pcapfile:$TMP/in.fifo"
stop_case "libtrace erf:FIFO" TERM "pcapfile:$TMP/out/x.pcap" \
    "erf:$TMP/in.fifo"
stop_case "a gzip'ed file open, then the FIFO" TERM "-Bpcapfile:$TMP/out" \
    "$D/a.pcap.gz" "$TMP/in.fifo"

# holder_case WHAT OUTPUT COMMAND...: COMMAND writes into silent.fifo and
# then stays silent, holding it open; for the FIFO bare and as pcapfile:,
# a stop while mtracecap OUTPUT waits for the rest of the header
mkfifo "$TMP/silent.fifo"
holder_case() {
	local what=$1 out=$2 args holder
	shift 2
	for args in "$TMP/silent.fifo" "pcapfile:$TMP/silent.fifo"; do
		"$@" >"$TMP/silent.fifo" &
		holder=$!
		on_exit "kill_child $holder"
		WAIT=wait_header stop_case "$what, $args" TERM "$out" "$args"
		kill_child "$holder"
		wait "$holder" 2>/dev/null || true
	done
}

# a writer that connected and sends nothing: open(2) returns, the wait is
# for the pcap file header
holder_case "silent writer" "-Bpcapfile:$TMP/out" sleep 3600

# a pcapng stream cut inside its section header: the native pcapng
# reader waits for the rest of the block, and must give up on a stop too
"$MTRACECAP" -s 0 "pcapng:$D/a.pcapng" "$D/a.pcap" 2>/dev/null ||
    fail "cannot write a pcapng file"
holder_case "pcapng header cut short" "-Bpcapng:$TMP/out" \
    sh -c 'head -c 16 "$1"; exec sleep 3600' sh "$D/a.pcapng"

# --- systemd: STOPPING=1, and no READY=1 for a run that never started
case $(readelf -d "$MTRACECAP" 2>/dev/null || true) in
*'NEEDED'*'[libsystemd.so'*)
	LOG=$TMP/notify.log
	notify_listen "$TMP/notify.sock" "$LOG"
	mkdir -p "$TMP/out2"
	NOTIFY_SOCKET=$TMP/notify.sock "$MTRACECAP" "-Bpcapfile:$TMP/out2" \
	    "$TMP/in.fifo" 2>"$TMP/err2" &
	PID=$!
	on_exit "kill_child -KILL $PID"
	wait_open "$PID" || fail "notify: not waiting in the FIFO's open"
	kill -TERM "$PID"
	i=0
	until grep -q ' STOPPING=1$' "$LOG" || [ $i -ge 60 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	reap_pid "$PID" 3 "notify: SIGTERM during the open"
	[ "$RC" = 0 ] || fail "notify: exit status $RC: $(cat "$TMP/err2")"
	grep -q " $PID STOPPING=1\$" "$LOG" ||
	    fail "notify: no STOPPING=1 from $PID: $(cat "$LOG")"
	! grep -q 'READY=1' "$LOG" ||
	    fail "notify: READY=1 from a run whose input never opened: $(cat "$LOG")"
	nothing_left "$TMP/out2" "notify"
	if [ "$FAILS" = 0 ]; then
		pass "notify: STOPPING=1, no READY=1"
	fi
	;;
*)
	echo "note: built without libsystemd: no notify check" >&2 ;;
esac

finish
