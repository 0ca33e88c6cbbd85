#!/bin/bash
# control_live.sh - control socket clients that never read do not slow a
# live capture.  Two veth pairs in namespaces (live_lib.sh), mtracecap
# capturing both host ends (ring:, libpcap's reader) with --control and
# two counter sessions; while tcpreplay sends 2,000 frames per second
# into each for about 6 s:
#  - a client sent `watch s1 1` and never reads (it stays: a block a
#    second is small), and another sends `stats` every few milliseconds
#    and never reads, so that its answers pile up to the per-client bound;
#  - every frame sent is captured, byte for byte (compare_records against
#    what was sent), the exit report says read = written = sent with no
#    kernel drop and lost=0, and the sessions counted every frame;
#  - the flooding client is dropped (its send fails) and the log says
#    so, naming its pid; the watch client, reading at last, finds a
#    block for every second of the traffic; status answers throughout.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos mergecap python3
CTL=$(dirname "$MTRACECAP")/mtracecapctl
[ -x "$CTL" ] || skip "no mtracecapctl beside $MTRACECAP"

PPS=2000		# per interface
PER_ID=6000		# frames per id, 2 ids per interface: 6 s at PPS

live_setup mtcl lk
gen_sent "1:100 3:300" "2:200 4:1000"

section
d=$TMP/cap
SOCK=$TMP/ctl
start_capture "$d" -v -s 0 -w 1000 --control="$SOCK" \
    "pcapfile:$d/out.pcap" "ring:$IF1" "ring:$IF2" || finish
c() { "$CTL" -s "$SOCK" "$@"; }
value() { local k=$1; shift; c "$@" | sed -n "s/^$k=//p"; }
c new s1 filter udp || fail "new s1"
c new s2 filter src host 198.18.1.1 || fail "new s2"

# the watcher: `watch s1 1`, then nothing read until STOP exists; then
# it reads what waited for it and writes the number of blocks
python3 - "$SOCK" "$TMP/watch.stop" "$TMP/watch.out" <<'EOF' &
import os, socket, sys, time
path, stop, out = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX); s.connect(path)
s.sendall(b"watch s1 1\n")
while not os.path.exists(stop): time.sleep(0.05)
s.settimeout(0.5)
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
except socket.timeout:
    pass
open(out, "w").write("%d" % data.count(b"\nok\n"))
EOF
WATCH_PID=$!
on_exit "kill_child $WATCH_PID"
# the flooder: `stats` every 4 ms, never a read, until a send fails
python3 - "$SOCK" "$TMP/flood.out" <<'EOF' &
import socket, sys, time
path, out = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX); s.connect(path)
t0 = time.time(); sent = 0; why = "not dropped in 60 s"
while time.time() - t0 < 60:
    try:
        s.send(b"stats\n"); sent += 1
    except OSError as e:
        why = "dropped: %s" % e.strerror
        break
    time.sleep(0.004)
open(out, "w").write("%.1f %d %s" % (time.time() - t0, sent, why))
EOF
FLOOD_PID=$!
on_exit "kill_child $FLOOD_PID"

t0=$(date +%s%N)
replay "$NS1" "${IF1}p" "$TMP/sent1.pcap" "$PPS" \
    "$NS2" "${IF2}p" "$TMP/sent2.pcap" "$PPS"
secs=$(( ($(date +%s%N) - t0) / 1000000000 ))
c status >/dev/null || fail "status while the clients sit there"
wait_exit "$FLOOD_PID" 60 || fail "the flooding client is still there"
read -r fsecs fsent why <"$TMP/flood.out" || true
case $why in
dropped:*)
	# 4 ms a request fills the bound in about 2 s, well within the 6 s
	# of traffic: the drop itself happens while frames come
	[ "${fsecs%.*}" -lt "$secs" ] ||
	    fail "the flooding client was dropped after $fsecs s, the traffic lasted $secs s"
	;;
*) fail "the client that never reads: $why after $fsent requests" ;;
esac
grep -q "dropping a client (uid 0, pid $FLOOD_PID) that does not read its answers" "$CAP_ERR" ||
    fail "no log line for dropping pid $FLOOD_PID: $(grep 'control socket' "$CAP_ERR")"
sleep 0.5
[ "$(value packets poll s1)" = $((N1 + N2)) ] ||
    fail "session s1 (udp) counted $(value packets poll s1), want $((N1 + N2))"
[ "$(value packets poll s2)" = "$PER_ID" ] ||
    fail "session s2 (src host 198.18.1.1) counted $(value packets poll s2), want $PER_ID"
touch "$TMP/watch.stop"
wait_exit "$WATCH_PID" 10 || fail "the watcher does not end"
blocks=$(cat "$TMP/watch.out" 2>/dev/null)
[ "${blocks:-0}" -ge "$secs" ] ||
    fail "the watcher found ${blocks:-no} blocks after ${secs} s of traffic"
stop_capture "two clients that never read"
check_report "two clients that never read" 1 0 "$N1" "$N2"
compare_records "two clients that never read" 1 "$TMP/sent.pcap" "$d/out.pcap"
passed "$((N1 + N2)) frames in $secs s at $((2 * PPS)) pps, all captured, no kernel drop, while a watch sat unread ($blocks blocks) and a stats flood ($fsent requests) was dropped after $fsecs s"

finish
