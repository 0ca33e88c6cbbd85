#!/bin/bash
# control.sh - the control socket (--control, --control-group) and its
# client mtracecapctl, for real: root, the run user, a group member and
# nobody as clients; every command; counter sessions against tcpdump.
#  1. usage: --control-group without --control, an overlong PATH (exit 2),
#     an unknown group (exit 1), one line each; mtracecapctl's own usage
#     errors (2) and an unreachable socket (1, naming the path).
#  2. the socket file: a symlink or a file at PATH is never followed nor
#     replaced (exit 1, its target unchanged); a socket someone listens
#     on is refused (exit 1); a dead run's socket is replaced.
#  3. a run with --relinquish-privileges=U --control-group=G on a FIFO
#     input whose packets come when the test says: the socket is 0660
#     U:G; root, U and a member of G get in, nobody cannot connect, and
#     with the socket opened to all (chmod 0666) nobody gets "error:
#     permission denied", logged once with its uid.  Every command:
#     status, stats, rotate (a second file), new (and a filter that does
#     not compile), list, show, poll, modify, watch, stop.  poll equals
#     `tcpdump -r FILE FILTER | wc -l` over the files; watch blocks come
#     every SECONDS (measured); a client that sends requests and never
#     reads is dropped while nothing captured is lost; overlong lines,
#     binary, a half line then close, 1,000 connections at once get
#     errors, never a crash; an idle client is closed after 60 s; the
#     socket is gone after the run.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the control socket (one thread, all non-blocking)"
. "$(dirname "$0")/live_lib.sh"	# retry

need_root
need_cmd python3 tcpdump useradd userdel groupadd groupdel setpriv mergecap
CTL=$(dirname "$MTRACECAP")/mtracecapctl
[ -x "$CTL" ] || skip "no mtracecapctl beside $MTRACECAP"

# --- 1. usage ---
section
"$MTRACECAP" --control-group=adm "$TMP/o.pcap" x.pcap 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 2 ] && [ "$(cat "$TMP/e")" = "mtracecap: --control-group 'adm' needs --control" ] ||
    fail "--control-group alone: status $rc, $(cat "$TMP/e")"
long=/tmp/$(printf 'x%.0s' $(seq 1 90))
"$MTRACECAP" --control="$long" "$TMP/o.pcap" x.pcap 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "for --control: 95 bytes, more than 91" "$TMP/e" ||
    fail "a long --control: status $rc, $(cat "$TMP/e")"
use_mkpcap
$MK "$D/a.pcap" --id 1 --size 100 --count 10 --step-us 1000 --start "$S"
"$MTRACECAP" --control="$TMP/c1" --control-group=nosuchgroupmtc "$TMP/o.pcap" "$D/a.pcap" 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$TMP/e")" = "mtracecap: --control-group 'nosuchgroupmtc': no such group" ] ||
    fail "unknown group: status $rc, $(cat "$TMP/e")"
[ ! -e "$TMP/o.pcap" ] && [ ! -e "$TMP/c1" ] || fail "unknown group: files left"
"$CTL" 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "no command given" "$TMP/e" || fail "mtracecapctl without a command: $rc"
"$CTL" -s "$TMP/c1" watch x 0 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 2 ] && grep -q "bad SECONDS '0'" "$TMP/e" || fail "mtracecapctl watch x 0: $rc $(cat "$TMP/e")"
"$CTL" -x status 2>/dev/null && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "mtracecapctl -x: status $rc, want 2"
"$CTL" -s "$TMP/nosock" status 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$TMP/e")" = "mtracecapctl: cannot connect to '$TMP/nosock': No such file or directory" ] ||
    fail "no socket: status $rc, $(cat "$TMP/e")"
passed "usage errors: mtracecap 2 / 1, mtracecapctl 2 / 1, one line each"

# --- 2. what is at PATH already ---
section
echo keep >"$TMP/target"
ln -s "$TMP/target" "$TMP/link"
"$MTRACECAP" --control="$TMP/link" "$TMP/o.pcap" "$D/a.pcap" 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "control socket '$TMP/link': something that is not a socket is there (a symbolic link)" "$TMP/e" ||
    fail "symlink at PATH: status $rc, $(cat "$TMP/e")"
[ -L "$TMP/link" ] && [ "$(cat "$TMP/target")" = keep ] || fail "symlink at PATH: link or target changed"
"$MTRACECAP" --control="$TMP/target" "$TMP/o.pcap" "$D/a.pcap" 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$TMP/target")" = keep ] || fail "file at PATH: status $rc"
[ ! -e "$TMP/o.pcap" ] || fail "refused PATH: output written"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$TMP/dead"
"$MTRACECAP" -v --control="$TMP/dead" "$TMP/o.pcap" "$D/a.pcap" 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 0 ] && grep -q "replacing the socket of a run that ended" "$TMP/e" ||
    fail "dead socket: status $rc, $(cat "$TMP/e")"
[ ! -e "$TMP/dead" ] || fail "dead socket: not removed at exit"
rm -f "$TMP/o.pcap"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[1] + ".up", "w").close(); time.sleep(60)' "$TMP/live" &
LIVE=$!
on_exit "kill_child $LIVE"
wait_for_file "$TMP/live.up" 10
"$MTRACECAP" --control="$TMP/live" "$TMP/o.pcap" "$D/a.pcap" 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$TMP/e")" = "mtracecap: control socket '$TMP/live' is in use by a running program (another mtracecap?)" ] ||
    fail "live socket: status $rc, $(cat "$TMP/e")"
[ -S "$TMP/live" ] || fail "live socket: removed"
kill_child "$LIVE"
passed "PATH: a symlink and a file refused untouched, a live socket refused, a dead one replaced"

# --- 3. a run, its users and every command ---
U=$(uniq_name mtcu) U2=$(uniq_name mtcm) G=$(uniq_name mtcg)
! getent passwd "$U" >/dev/null && ! getent passwd "$U2" >/dev/null &&
    ! getent group "$G" >/dev/null || skip "user or group $U/$U2/$G exists, rerun"
on_exit "retry groupdel $G"
on_exit "retry userdel $U2"
on_exit "retry userdel $U"
retry groupadd -r "$G" || skip "cannot create group $G: $(cat "$TMP/retry.err")"
retry useradd -r -M -s /usr/sbin/nologin -U "$U" || skip "cannot create user $U"
retry useradd -r -M -s /usr/sbin/nologin -U -G "$G" "$U2" || skip "cannot create user $U2"
chmod 711 "$TMP"
SD=$TMP/sock OUT=$TMP/out SOCK=$TMP/sock/ctl
mkdir "$SD" "$OUT"
chown "$U" "$SD" "$OUT"
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }

$MK "$D/s1.pcap" --id 1 --size 100 --count 200 --step-us 1000 --start "$S.00001"
$MK "$D/s2.pcap" --id 2 --size 200 --count 300 --step-us 1000 --start "$S.00002"
mergecap -F pcap -w "$D/sent.pcap" "$D/s1.pcap" "$D/s2.pcap"
N=500 N1=200
FIFO=$TMP/in.fifo
mkfifo "$FIFO"
# the pcap header at once, the records on $TMP/go, EOF on $TMP/end
python3 -c 'import os, sys, time
d = open(sys.argv[2], "rb").read()
f = open(sys.argv[1], "wb"); f.write(d[:24]); f.flush()
while not os.path.exists(sys.argv[3]): time.sleep(0.02)
f.write(d[24:]); f.flush()
while not os.path.exists(sys.argv[4]): time.sleep(0.02)' "$FIFO" "$D/sent.pcap" "$TMP/go" "$TMP/end" &
on_exit "kill_child $!"
start_mtc_cmd "$TMP/stderr" "$MTRACECAP" -v -s 0 --relinquish-privileges="$U" \
    --control-group="$G" --control="$SOCK" -B "$OUT" "pcapfile:$FIFO"
await_start "$MTC_PID" "$TMP/stderr" "mtracecap --control did not answer" 100 0.1 \
    "$CTL" -s "$SOCK" status || finish
c() { "$CTL" -s "$SOCK" "$@"; }
# value KEY COMMAND...: KEY's value in the answer of COMMAND
value() { local k=$1; shift; c "$@" | sed -n "s/^$k=//p"; }

# an idle client from the start: closed after 60 s with an error line
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); t = time.time()
data = b""
while True:
    b = s.recv(4096)
    if not b: break
    data += b
open(sys.argv[2], "w").write("%.1f %s" % (time.time() - t, data.decode()))' "$SOCK" "$TMP/idle" &
IDLE_PID=$!
on_exit "kill_child $IDLE_PID"

section
st=$(stat -c '%a %U %G' "$SOCK")
[ "$st" = "660 $U $G" ] || fail "socket: mode/owner $st, want 660 $U $G"
c status >"$TMP/a" || fail "root: status refused: $(cat "$TMP/a")"
grep -q "packets written" "$TMP/a" || fail "status: $(cat "$TMP/a")"
as_user "$U" "$CTL" -s "$SOCK" status >/dev/null 2>"$TMP/e" || fail "run user $U: $(cat "$TMP/e")"
as_user "$U2" "$CTL" -s "$SOCK" status >/dev/null 2>"$TMP/e" || fail "group member $U2: $(cat "$TMP/e")"
as_nobody "$CTL" -s "$SOCK" status 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "cannot connect to '$SOCK': Permission denied" "$TMP/e" ||
    fail "nobody on a 0660 socket: status $rc, $(cat "$TMP/e")"
chmod 0666 "$SOCK"
for i in 1 2; do
	as_nobody "$CTL" -s "$SOCK" status 2>"$TMP/e" && rc=0 || rc=$?
	[ "$rc" = 1 ] && [ "$(cat "$TMP/e")" = "mtracecapctl: permission denied" ] ||
	    fail "nobody on a 0666 socket: status $rc, $(cat "$TMP/e")"
done
chmod 0660 "$SOCK"
n=$(grep -c "refused uid $(id -u nobody) " "$TMP/stderr" || true)
[ "$n" = 1 ] || fail "refusals of nobody logged $n times, want 1: $(grep refused "$TMP/stderr")"
passed "clients: root, the run user and a member of --control-group get in; nobody is refused, logged once"

section
c new s1 filter src host 198.18.1.1 || fail "new s1"
c new s2 filter ip || fail "new s2"
c new s1 filter ip 2>"$TMP/e" && fail "new s1 twice: ok" || grep -q "exists" "$TMP/e" || fail "new s1 twice: $(cat "$TMP/e")"
c new bad filter 'nonsense((' 2>"$TMP/e" && rc=0 || rc=$?
[ "$rc" = 1 ] && grep -q "does not compile" "$TMP/e" || fail "new with a bad filter: $rc $(cat "$TMP/e")"
[ "$(c list | wc -l)" = 2 ] || fail "list: $(c list)"
c list | grep -q '^s1 packets=0 bytes=0 filter=src host 198.18.1.1$' || fail "list: $(c list)"
# watch, its lines stamped as they come
"$CTL" -s "$SOCK" watch s1 1 | python3 -c 'import sys, time
for l in sys.stdin: print("%.3f %s" % (time.time(), l.strip()), flush=True)' >"$TMP/watch" &
WATCH_PID=$!
on_exit "kill_child $WATCH_PID"
# a client that asks and never reads
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.setblocking(False)
sent = 0
t = time.time()
while time.time() - t < 20:
    try:
        s.send(b"stats\n"); sent += 1
    except BlockingIOError: time.sleep(0.01)
    except OSError: break
open(sys.argv[2], "w").write("%d" % sent)' "$SOCK" "$TMP/noread" &
NOREAD_PID=$!
on_exit "kill_child $NOREAD_PID"
# the watch's first block (its baseline) must be taken before the
# packets come, or they are in no block's new_ figures (seen under ASan)
i=0
while ! grep -q ' packets=' "$TMP/watch" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
touch "$TMP/go"
i=0
while [ "$(value total.live_written stats)" != "$N" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(value total.live_written stats)" = "$N" ] || fail "stats: live_written $(value total.live_written stats), want $N"
c poll s1 >"$TMP/poll1" || fail "poll s1"
P=$(sed -n 's/^packets=//p' "$TMP/poll1")
[ "$P" = "$N1" ] && grep -qx "new_packets=$N1" "$TMP/poll1" && grep -qx "input.0.packets=$N1" "$TMP/poll1" ||
    fail "poll s1: $(tr '\n' ' ' <"$TMP/poll1"), want packets=$N1"
[ "$(value new_packets poll s1)" = 0 ] || fail "second poll: new_packets not 0"
[ "$(value packets poll s2)" = "$N" ] || fail "poll s2 (ip): $(value packets poll s2), want $N"
c show s1 >"$TMP/show" || fail "show s1"
grep -qx 'filter=src host 198.18.1.1' "$TMP/show" && grep -qx "bytes=$((N1 * 100))" "$TMP/show" ||
    fail "show s1: $(tr '\n' ' ' <"$TMP/show")"
c modify s2 src host 198.18.2.1 || fail "modify s2"
[ "$(value packets show s2)" = 0 ] || fail "modify: counts did not restart"
c stop s2 || fail "stop s2"
c show s2 2>"$TMP/e" && fail "show s2 after stop: ok" || grep -q "no session 's2'" "$TMP/e" || fail "show s2 after stop: $(cat "$TMP/e")"
c rotate || fail "rotate"
i=0
while [ "$(value total.files stats)" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(value total.files stats)" = 1 ] || fail "rotate: files=$(value total.files stats), want 1"
passed "commands: new, list, poll, show, modify, stop, rotate, stats"

section
sleep 3.5
kill_child "$WATCH_PID"
awk '$2 ~ /^packets=/ {print $1}' "$TMP/watch" >"$TMP/wt"
nb=$(wc -l <"$TMP/wt")
[ "$nb" -ge 4 ] || fail "watch: $nb blocks, want >= 4: $(cat "$TMP/watch")"
# block k is due k seconds after block 0, the answer to watch itself (a
# late one does not move the ones after it); block 0 is left out: it may
# be stamped late, the stamping python still starting
bad=$(awk 'NR == 2 { t1 = $1 } NR >= 2 { d = $1 - t1 - (NR - 2); if (d < -0.1 || d > 0.4) printf "block %d %+.3f s; ", NR - 1, d }' "$TMP/wt")
[ -z "$bad" ] || fail "watch: blocks not every 1 s: $bad"
# the packets came between blocks (maybe two): each is new in one of them
sum=$(sed -n 's/^[0-9.]* new_packets=//p' "$TMP/watch" | awk '{ t += $1 } END { print t + 0 }')
[ "$sum" = "$N1" ] || fail "watch: new_packets add up to $sum, want $N1"
wait_exit "$NOREAD_PID" 30 || fail "the client that never reads was not dropped"
grep -q "dropping a client (uid 0, pid [0-9]*) that does not read its answers" "$TMP/stderr" ||
    fail "the client that never reads: no log line"
passed "watch: $nb blocks, 1 s apart; a client that never reads is dropped"

section
python3 - "$SOCK" >"$TMP/bad" <<'PY'
import socket, sys, time
path = sys.argv[1]
def ask(data, close_after=False):
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path)
    s.sendall(data)
    if close_after:
        s.close(); return ""
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b: break
            out += b
            if out.endswith(b"\n") and (b"ok\n" in out or b"error: " in out) and not data.startswith(b"a" * 100): break
    except socket.timeout:
        out += b"<timeout>"
    s.close()
    return out.decode("utf-8", "replace").replace("\n", "|")
print("long " + ask(b"a" * 2000 + b"\n"))
print("binary " + ask(b"\x00\xff\x01status\n"))
print("half " + ask(b"stat", True))
print("empty " + ask(b"\n"))
socks = []
for i in range(1000):
    # blocking: a full backlog makes connect() wait, not fail
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(10); socks.append(s)
ok = full = other = 0
for s in socks:
    try:
        s.sendall(b"status\n")
    except OSError:
        pass
for s in socks:
    try:
        b = s.recv(4096).decode()
    except (socket.timeout, OSError):
        b = ""
    if b.endswith("ok\n"): ok += 1
    elif b == "error: too many clients (16)\n": full += 1
    else: other += 1
    s.close()
print("many ok=%d full=%d other=%d" % (ok, full, other))
PY
grep -qx 'long error: request longer than 1023 bytes|' "$TMP/bad" || fail "overlong line: $(grep ^long "$TMP/bad" | cut -c1-200)"
grep -qx 'binary error: control byte 0x00 at offset 0 of the request|' "$TMP/bad" || fail "binary: $(grep ^binary "$TMP/bad")"
grep -qx 'empty error: empty request|' "$TMP/bad" || fail "empty line: $(grep ^empty "$TMP/bad")"
read -r ok full other < <(sed -n 's/^many ok=\([0-9]*\) full=\([0-9]*\) other=\([0-9]*\)$/\1 \2 \3/p' "$TMP/bad")
[ -n "$ok" ] && [ "$ok" -ge 1 ] && [ "$ok" -le 16 ] && [ "$other" = 0 ] && [ $((ok + full)) = 1000 ] ||
    fail "1,000 connections: $(grep ^many "$TMP/bad")"
kill -0 "$MTC_PID" || fail "mtracecap died of the malformed requests"
c status >/dev/null || fail "status after the malformed requests"
passed "malformed: overlong, binary, empty, half lines and 1,000 connections ($ok answered, $full told too many)"

section
wait_exit "$IDLE_PID" 75 || fail "the idle client was not closed within 75 s"
read -r secs msg <"$TMP/idle" || true
[ "$msg" = "error: idle for 60 s: closing" ] && [ "${secs%.*}" -ge 59 ] && [ "${secs%.*}" -le 70 ] ||
    fail "idle client: after ${secs:-?} s: $msg"
touch "$TMP/end"
reap "the run" 20
[ "$RC" = 0 ] || fail "mtracecap exit status $RC: $(tail -3 "$TMP/stderr")"
[ ! -e "$SOCK" ] || fail "the socket is still there after the run"
[ "$(totval written "$TMP/stderr")" = "$N" ] && [ "$(totval lost "$TMP/stderr")" = 0 ] ||
    fail "written $(totval written "$TMP/stderr"), lost $(totval lost "$TMP/stderr"); want $N, 0"
t=0
for f in "$OUT"/*; do
	t=$((t + $(tcpdump -r "$f" 'src host 198.18.1.1' 2>/dev/null | wc -l)))
done
[ "$t" = "$P" ] || fail "tcpdump counts $t packets from 198.18.1.1 in the files, poll said $P"
# rotate completed the file of every packet; none came after it
[ "$(ls "$OUT" | wc -l)" = 1 ] || fail "files: $(ls "$OUT"), want 1"
passed "idle client closed after ${secs} s; poll = tcpdump ($t); nothing lost; socket removed"
finish
