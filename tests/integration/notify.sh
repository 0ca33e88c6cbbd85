#!/bin/bash
# notify.sh - systemd's notification protocol (Type=notify) and the units.
#
# A python3 AF_UNIX datagram listener plays systemd's NOTIFY_SOCKET and logs
# every message with its arrival time and the sender's pid (SCM_CREDENTIALS).
# Checked: READY=1 (with MAINPID) only once the inputs are open; STATUS
# counters that follow the packets fed; SIGHUP's STATUS and new file;
# WATCHDOG=1 every half WATCHDOG_USEC while the writer moves, and none
# while it is stuck on a full pipe; STOPPING=1 on SIGTERM before the exit;
# an abstract '@' socket; silence without NOTIFY_SOCKET; capture unharmed
# by an unreachable socket; a live veth capture; systemd-analyze verify of
# contrib/systemd's units.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "sd_notify messages and the units (live capture too)"
. "$(dirname "$0")/live_lib.sh"

need_cmd python3 capinfos tcpdump readelf
# linked directly (ldd would also list libsystemd pulled in by libpcap)
case $(readelf -d "$MTRACECAP" 2>/dev/null || true) in
*'NEEDED'*'[libsystemd.so'*) ;;
*)
	skip "mtracecap was built without libsystemd (configure --with-systemd=no): notifications are compiled out" ;;
esac
use_mkpcap
$MK "$D/a.pcap" --count 1000 --size 128
REC=144		# pcap record: 16-byte header + 128 bytes
HDR=24

# listen ADDR LOG - the NOTIFY_SOCKET listener of lib.sh
listen() { notify_listen "$@"; }

# wait_msg LOG REGEX [SECONDS] - until a message matches (default 5 s)
wait_msg() {
	local i=0 max=$(( ${3:-5} * 20 ))
	until cut -d' ' -f3- "$1" | grep -qE "$2"; do
		[ $i -lt $max ] || return 1
		sleep 0.05
		i=$((i + 1))
	done
}
# msgs LOG REGEX - the matching messages, "time pid message"
msgs() { grep -E "^[0-9.]+ -?[0-9]+ ($2)" "$1" || true; }
# feed FROM N - write records FROM..FROM+N-1 (0-based) of a.pcap to fd 5
feed() {
	dd if="$D/a.pcap" iflag=skip_bytes,count_bytes bs=64k status=none \
	    skip=$((HDR + $1 * REC)) count=$(($2 * REC)) >&5
}
now() { date +%s.%N; }

SOCK=$TMP/notify.sock
LOG=$TMP/notify.log
listen "$SOCK" "$LOG"

# --- 1. a file input through a FIFO: ready, status, watchdog, SIGHUP, stop
mkfifo "$TMP/in.fifo"
mkdir "$TMP/out1"
NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=1000000 "$MTRACECAP" -v -s 0 \
    -B "pcapfile:$TMP/out1" "$TMP/in.fifo" 2>"$TMP/err1" &
PID=$!
on_exit "kill_child -KILL $PID"
# the input cannot open before the FIFO has a writer and a pcap header
sleep 1
[ -z "$(msgs "$LOG" 'READY=1')" ] ||
    fail "READY=1 before the input was open: $(msgs "$LOG" READY)"
exec 5<>"$TMP/in.fifo"
head -c $((HDR + 100 * REC)) "$D/a.pcap" >&5
if wait_msg "$LOG" '^READY=1$'; then
	pass "READY=1 once the input is open"
	[ "$(msgs "$LOG" 'MAINPID=' | cut -d' ' -f3)" = "MAINPID=$PID" ] ||
	    fail "MAINPID: $(msgs "$LOG" 'MAINPID=') (pid $PID)"
	[ "$(msgs "$LOG" 'READY=1' | cut -d' ' -f2)" = "$PID" ] ||
	    fail "READY=1 sent by pid $(msgs "$LOG" 'READY=1' | cut -d' ' -f2), not $PID"
else
	fail "no READY=1 within 5 s: $(cat "$LOG") $(cat "$TMP/err1")"
fi
wait_msg "$LOG" '^STATUS=100 packets written, 0 lost, 0 dropped by the kernel; 0 files done, writing [0-9-]+$' ||
    fail "no STATUS with 100 packets: $(msgs "$LOG" STATUS)"
feed 100 200
wait_msg "$LOG" '^STATUS=300 packets written, 0 lost' ||
    fail "no STATUS with 300 packets after 200 more: $(msgs "$LOG" STATUS)"
# watchdog: WATCHDOG_USEC=1 s, so a ping every 0.5 s
sleep 1
awk '$3 == "WATCHDOG=1" { n++; if (n > 1) { d = $1 - p; if (d < lo || n == 2) lo = d; if (d > hi) hi = d } p = $1 }
    END { print n + 0, lo + 0, hi + 0 }' "$LOG" >"$TMP/wd"
read -r n lo hi <"$TMP/wd"
if [ "$n" -ge 4 ] && awk -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(lo >= 0.35 && hi <= 0.8) }'; then
	pass "$n watchdog pings, $lo to $hi s apart (WATCHDOG_USEC=1 s)"
else
	fail "watchdog: $n pings, $lo to $hi s apart; want >= 4, 0.35 to 0.8 s"
fi
kill -HUP "$PID"
wait_msg "$LOG" '^STATUS=SIGHUP: starting a new file$' 2 ||
    fail "no STATUS line for SIGHUP: $(msgs "$LOG" STATUS)"
feed 300 100
wait_msg "$LOG" '^STATUS=400 packets written, 0 lost, 0 dropped by the kernel; 1 file done, writing' ||
    fail "no STATUS with 400 packets in a second file: $(msgs "$LOG" STATUS)"
kill -TERM "$PID"
wait_msg "$LOG" '^STOPPING=1$' 2 || fail "no STOPPING=1 within 2 s of SIGTERM"
exec 5>&-	# end of input: now it can exit
reap_pid "$PID" 10 "FIFO run"
t_exit=$(now)
[ "$RC" = 0 ] || fail "FIFO run: exit status $RC: $(tail -3 "$TMP/err1")"
t_stop=$(msgs "$LOG" 'STOPPING=1' | cut -d' ' -f1)
[ -n "$t_stop" ] && awk -v a="$t_stop" -v b="$t_exit" 'BEGIN { exit !(a < b) }' ||
    fail "STOPPING=1 (at $t_stop) not before the exit (at $t_exit)"
wait_msg "$LOG" '^STATUS=stopped: 400 packets written, 0 lost, 0 dropped by the kernel; 2 files done' 1 ||
    fail "no final STATUS: $(msgs "$LOG" STATUS | tail -2)"
files=("$TMP"/out1/2*)
got=0
for f in "${files[@]}"; do got=$((got + $(npackets "$f"))); done
[ "${#files[@]}" = 2 ] && [ "$got" = 400 ] ||
    fail "FIFO run: ${#files[@]} files with $got packets, want 2 with 400"
grep -q 'cannot notify' "$TMP/err1" && fail "FIFO run: $(grep 'cannot notify' "$TMP/err1")"
pass "FIFO run: status, SIGHUP, STOPPING=1, exit 0, 2 files with 400 packets"

# --- 2. a stuck writer (stdout is a pipe nobody reads): no more pings
: >"$LOG.2"
listen "$SOCK.2" "$LOG.2"
mkfifo "$TMP/in2.fifo" "$TMP/out2.fifo"
# shellcheck disable=SC2217	# opens the pipe, never reads it
sleep 60 <"$TMP/out2.fifo" &
HOLD=$!
on_exit "kill_child $HOLD"
NOTIFY_SOCKET=$SOCK.2 WATCHDOG_USEC=600000 "$MTRACECAP" -s 0 pcapfile:- \
    "$TMP/in2.fifo" >"$TMP/out2.fifo" 2>"$TMP/err2" &
PID2=$!
on_exit "kill_child -KILL $PID2"
exec 5<>"$TMP/in2.fifo"
head -c $HDR "$D/a.pcap" >&5
wait_msg "$LOG.2" '^READY=1$' || fail "stuck writer: no READY=1"
sleep 1
before=$(msgs "$LOG.2" 'WATCHDOG=1' | wc -l)
[ "$before" -ge 2 ] || fail "stuck writer: $before pings in the first second, want >= 2"
# 1000 records (144 kB) fill the 64 kB pipe once the idle writer flushes
feed 0 1000
sleep 1
n1=$(msgs "$LOG.2" 'WATCHDOG=1' | wc -l)
sleep 2
n2=$(msgs "$LOG.2" 'WATCHDOG=1' | wc -l)
if kill -0 "$PID2" 2>/dev/null && [ "$n2" = "$n1" ]; then
	pass "stuck writer: no watchdog ping for 2 s ($n1 before)"
else
	fail "stuck writer: $((n2 - n1)) pings in 2 s while the writer was blocked"
fi
grep -q 'the writer made no progress' "$TMP/err2" ||
    fail "stuck writer: no warning: $(cat "$TMP/err2")"
kill "$HOLD"	# the write fails (EPIPE); the writer moves on
i=0
while [ "$(msgs "$LOG.2" 'WATCHDOG=1' | wc -l)" -le "$n2" ] && [ $i -lt 40 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ "$(msgs "$LOG.2" 'WATCHDOG=1' | wc -l)" -gt "$n2" ] ||
    fail "stuck writer: no ping within 2 s after the pipe closed"
# SIGTERM before the input closes: its end of file alone would end the
# run too, and a kill after that would find no process
kill -TERM "$PID2"
exec 5>&-
reap_pid "$PID2" 10 "stuck writer"
# the packets that could not be written are lost: 1, not a crash
[ "$RC" = 1 ] || fail "stuck writer: exit status $RC, want 1 (lost packets)"

# --- 3. an abstract socket, a run that ends by itself
ABS="@mtc-notify-$$-$RANDOM"
listen "$ABS" "$LOG.3"
NOTIFY_SOCKET=$ABS "$MTRACECAP" -s 0 "pcapfile:$TMP/out3.pcap" "$D/a.pcap" 2>"$TMP/err3" &
PID3=$!
reap_pid "$PID3" 10 "abstract socket"
[ "$RC" = 0 ] || fail "abstract socket: exit status $RC: $(cat "$TMP/err3")"
wait_msg "$LOG.3" '^STATUS=stopped: 1000 packets written' 2 ||
    fail "abstract socket: no final STATUS: $(cat "$LOG.3")"
[ "$(msgs "$LOG.3" 'MAINPID=' | cut -d' ' -f3)" = "MAINPID=$PID3" ] &&
    [ -n "$(msgs "$LOG.3" 'READY=1')" ] ||
    fail "abstract socket: READY=1/MAINPID=$PID3 missing: $(cat "$LOG.3")"
[ "$(npackets "$TMP/out3.pcap")" = 1000 ] || fail "abstract socket: output has $(npackets "$TMP/out3.pcap") packets"
pass "abstract socket $ABS"

# --- 4. no NOTIFY_SOCKET: no socket opened, nothing said
lines=$(wc -l <"$LOG")
if command -v strace >/dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace
	env -u NOTIFY_SOCKET WATCHDOG_USEC=500000 \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -f -qq -o "$TMP/strace" \
	    -e trace=socket "$MTRACECAP" -s 0 "pcapfile:$TMP/out4.pcap" \
	    "$D/a.pcap" 2>"$TMP/err4" || fail "without NOTIFY_SOCKET: exit status $?"
	if grep -q 'AF_UNIX' "$TMP/strace"; then
		fail "without NOTIFY_SOCKET: $(grep AF_UNIX "$TMP/strace" | head -2)"
	fi
else
	echo "note: strace missing, not checking that no socket is opened" >&2
	env -u NOTIFY_SOCKET WATCHDOG_USEC=500000 "$MTRACECAP" -s 0 \
	    "pcapfile:$TMP/out4.pcap" "$D/a.pcap" 2>"$TMP/err4" ||
	    fail "without NOTIFY_SOCKET: exit status $?"
fi
grep -v -e '^mtracecap: input=0 ' -e '^mtracecap: total: ' "$TMP/err4" >"$TMP/err4.rest" || true
[ -s "$TMP/err4.rest" ] && fail "without NOTIFY_SOCKET: stderr: $(cat "$TMP/err4.rest")"
[ "$(wc -l <"$LOG")" = "$lines" ] || fail "without NOTIFY_SOCKET: the listener got messages"
[ "$(npackets "$TMP/out4.pcap")" = 1000 ] || fail "without NOTIFY_SOCKET: output has $(npackets "$TMP/out4.pcap") packets"
pass "without NOTIFY_SOCKET: silent, 1000 packets"

# --- 5. an unreachable socket: capture goes on, one warning
NOTIFY_SOCKET=$TMP/nowhere/sock WATCHDOG_USEC=200000 "$MTRACECAP" -s 0 \
    "pcapfile:$TMP/out5.pcap" "$D/a.pcap" 2>"$TMP/err5" ||
    fail "unreachable NOTIFY_SOCKET: exit status $?: $(cat "$TMP/err5")"
[ "$(grep -c 'cannot notify the service manager' "$TMP/err5")" = 1 ] ||
    fail "unreachable NOTIFY_SOCKET: want one warning: $(cat "$TMP/err5")"
[ "$(npackets "$TMP/out5.pcap")" = 1000 ] ||
    fail "unreachable NOTIFY_SOCKET: output has $(npackets "$TMP/out5.pcap") packets"
pass "unreachable NOTIFY_SOCKET: exit 0, 1000 packets, one warning"

# --- 5b. a receiver that never reads: its queue fills, sends would block
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".up", "w").close()
time.sleep(60)' "$TMP/deaf.sock" &
on_exit "kill_child $!"
wait_for_file "$TMP/deaf.sock.up" 5 || fail "deaf receiver did not start"
mkfifo "$TMP/in5.fifo"
NOTIFY_SOCKET=$TMP/deaf.sock WATCHDOG_USEC=20000 "$MTRACECAP" -s 0 \
    "pcapfile:$TMP/out5b.pcap" "$TMP/in5.fifo" 2>"$TMP/err5b" &
PID5=$!
on_exit "kill_child -KILL $PID5"
exec 5<>"$TMP/in5.fifo"
head -c $((HDR + 300 * REC)) "$D/a.pcap" >&5
sleep 1	# 100 pings for a queue of (by default) 10 datagrams
kill -TERM "$PID5"
exec 5>&-
reap_pid "$PID5" 5 "deaf receiver"
[ "$RC" = 0 ] || fail "deaf receiver: exit status $RC: $(cat "$TMP/err5b")"
[ "$(npackets "$TMP/out5b.pcap")" = 300 ] ||
    fail "deaf receiver: output has $(npackets "$TMP/out5b.pcap") packets, want 300"
grep -q 'does not read its notification socket' "$TMP/err5b" ||
    fail "deaf receiver: no warning: $(cat "$TMP/err5b")"
pass "a receiver that does not read: exit 0 within 5 s, 300 packets"

# --- 6. systemd-analyze verify of both units, ExecStart pointing here
UNITS=$TESTS_SRCDIR/../contrib/systemd
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIPPED PART: systemd-analyze missing (Debian: systemd), units not verified" >&2
else
	mkdir -p "$TMP/units" "$TMP/man/man8"
	cp "$TESTS_SRCDIR/../man/mtracecap.8" "$TMP/man/man8/"
	: >"$TMP/units/env"
	for u in mtracecap.service mtracecap@.service; do
		sed -e "s|^ExecStart=/usr/sbin/mtracecap |ExecStart=$MTRACECAP |" \
		    -e "s|^EnvironmentFile=.*|EnvironmentFile=$TMP/units/env|" \
		    "$UNITS/$u" >"$TMP/units/$u"
		grep -q "^ExecStart=$MTRACECAP " "$TMP/units/$u" ||
		    fail "$u: no ExecStart=/usr/sbin/mtracecap line to point at the build"
	done
	cp "$TMP/units/mtracecap@.service" "$TMP/units/mtracecap@test.service"
	# verify runs man(1) for Documentation=man:mtracecap(8) (found through
	# MANPATH); without man it would fail on that line alone: check the
	# rest, except in CI, whose image must have man (tools/setup.sh)
	man_opt=--man=yes
	if ! command -v man >/dev/null 2>&1; then
		man_opt=--man=no
		if [ "${CI:-}" = true ]; then
			fail "systemd-analyze verify: needs man (Debian: man-db) for Documentation=, which CI (CI=true) must have installed"
		else
			echo "SKIPPED PART: man missing (Debian: man-db), the units' Documentation= not verified" >&2
		fi
	fi
	(cd "$TMP/units" && MANPATH=$TMP/man systemd-analyze verify "$man_opt" \
	    ./mtracecap.service ./mtracecap@test.service) >"$TMP/verify" 2>&1 ||
	    fail "systemd-analyze verify: exit status $?: $(cat "$TMP/verify")"
	# it exits 0 on unknown keys and bad values: any output is a failure
	[ -s "$TMP/verify" ] && fail "systemd-analyze verify: $(cat "$TMP/verify")"
	for u in mtracecap.service mtracecap@.service; do
		for want in '^Type=notify$' '^WatchdogSec=' '^ExecReload=/bin/kill -HUP \$MAINPID$' \
		    '^User=mtracecap$' '^RestrictAddressFamilies=.*AF_PACKET'; do
			grep -qE "$want" "$UNITS/$u" || fail "$u: no line $want"
		done
	done
	if [ "$man_opt" = --man=no ]; then
		pass "systemd-analyze verify --man=no: both units"
	else
		pass "systemd-analyze verify: both units"
	fi
fi

# --- 7. a live veth capture
if ! command -v tcpreplay >/dev/null 2>&1; then
	echo "SKIPPED PART: tcpreplay missing, no live check" >&2
elif ! ip netns add "mtcprobe$$" 2>/dev/null; then
	echo "SKIPPED PART: cannot create network namespaces, no live check" >&2
else
	ip netns del "mtcprobe$$"
	live_setup mtcn mtcn
	: >"$LOG.7"
	listen "$SOCK.7" "$LOG.7"
	python3 "$MKPCAP" "$TMP/live.pcap" --id 7 --size 128 --count 500
	NOTIFY_SOCKET=$SOCK.7 start_capture "$TMP/out7" -s 0 \
	    -B "pcapfile:$TMP/out7" "ring:$IF1" || true
	if [ -n "$CAP_PID" ]; then
		wait_msg "$LOG.7" '^READY=1$' 2 || fail "live: no READY=1"
		# READY=1 means capturing: every frame sent from now on counts
		replay "$NS1" "${IF1}p" "$TMP/live.pcap" 2000
		wait_msg "$LOG.7" '^STATUS=500 packets written, 0 lost, 0 dropped by the kernel; 0 files done, writing' 5 ||
		    fail "live: no STATUS with 500 packets: $(msgs "$LOG.7" STATUS)"
		stop_capture live
		check_report live 1 "" 500
		[ -n "$(msgs "$LOG.7" 'STOPPING=1')" ] || fail "live: no STOPPING=1"
		pass "live ring:$IF1: READY, STATUS 500 packets, STOPPING"
	fi
fi
finish
