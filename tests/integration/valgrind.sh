#!/bin/bash
# valgrind.sh - memcheck on representative runs of a plain build: a merge
# of three files into one, -B rotation with -G and -S (-N too), -Z gz,
# --pipeout 'gzip -1', a FIFO input stopped with SIGTERM, and bad
# invocations.  Each run must show no memory error, no definite leak
# (--errors-for-leak-kinds=definite: libtrace and libwandio leaks are
# suppressed narrowly in tests/valgrind.supp) and no file descriptor left
# open at exit that it did not inherit, and must still do its job (exit
# status, packets counted by capinfos, gzip -t).
. "$(dirname "$0")/lib.sh"
skip_sanitizer any "valgrind cannot run it"
need_cmd valgrind python3 capinfos gzip
export LC_ALL=C
shopt -s nullglob
use_mkpcap

SUPP=$TESTS_SRCDIR/valgrind.supp
# vg NAME ARGS...: run mtracecap under memcheck; its status in $RC, the
# memcheck log in $TMP/vg-NAME.log, stderr in $TMP/err-NAME
vg() {
	local name=$1
	shift
	RC=0
	valgrind --error-exitcode=42 --leak-check=full \
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	    --track-fds=yes --trace-children=no --suppressions="$SUPP" \
	    --log-file="$TMP/vg-$name.log" \
	    "$MTRACECAP" "$@" 2>"$TMP/err-$name" || RC=$?
}
# check NAME WANT_STATUS: memcheck found nothing in run NAME, and no
# descriptor but the inherited ones was open at exit
check() {
	local name=$1 want=$2 log=$TMP/vg-$1.log fds
	if [ "$RC" -eq 42 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		fail "$name: memcheck reports errors or definite leaks:"
		sed 's/^/    /' "$log" >&2
		return
	fi
	# "Open file descriptor N: ..." (or "Open AF_... socket") followed by
	# "<inherited from parent>" is the test harness's, anything else ours
	fds=$(awk '/Open (file descriptor|.* socket)/ {open = $0; next}
	    open != "" { if ($0 !~ /inherited from parent/) print open; open = "" }' "$log")
	if [ -n "$fds" ]; then
		fail "$name: file descriptors left open at exit:"
		echo "$fds" >&2
		return
	fi
	if [ "$RC" -ne "$want" ]; then
		fail "$name: exit status $RC, expected $want"
		sed 's/^/    /' "$TMP/err-$name" >&2
		return
	fi
	pass "$name: clean under memcheck (status $RC)"
}
# total packets in files $@
total() {
	local f n=0
	for f in "$@"; do n=$((n + $(npackets "$f"))); done
	echo "$n"
}

$MK "$D/a.pcap" --count 300 --start $S --step-us 20000 --id 1 >/dev/null
$MK "$D/b.pcap" --count 200 --start $S --step-us 31000 --id 2 --size 300 >/dev/null
$MK "$D/c.pcap" --count 100 --start $((S + 2)) --step-us 50000 --id 3 --nsec >/dev/null
gzip -c "$D/c.pcap" >"$D/c.pcap.gz"
IN=("$D/a.pcap" "$D/b.pcap" "$D/c.pcap.gz")
N=600
start=$(date +%s)

# 1. merge into one file
vg merge -s 0 "pcapfile:$TMP/merged.pcap" "${IN[@]}"
check merge 0
[ "$(npackets "$TMP/merged.pcap")" = $N ] ||
	fail "merge: $(npackets "$TMP/merged.pcap") packets, expected $N"

# 2. rotation by time and size, with a seqfile
mkdir "$TMP/rot"
vg rotate -s 0 -B "pcapfile:$TMP/rot" -G 2 -S 1 -N "$TMP/rot.seq" "${IN[@]}"
check rotate 0
set -- "$TMP"/rot/*.pcap* "$TMP"/rot/[0-9]*
[ $# -ge 3 ] || fail "rotate: $# files, expected several"
[ "$(total "$TMP"/rot/[0-9]*)" = $N ] ||
	fail "rotate: $(total "$TMP"/rot/[0-9]*) packets in all files, expected $N"

# 3. libwandio gzip
mkdir "$TMP/gz"
vg gz -s 0 -B "pcapfile:$TMP/gz" -G 3 -Z gz -z 1 --file-ext=.pcap.gz "${IN[@]}"
check gz 0
set -- "$TMP"/gz/*.pcap.gz
[ $# -ge 2 ] || fail "gz: $# files, expected at least 2"
for f in "$@"; do gzip -t "$f" || fail "gz: $f is not valid gzip"; done
[ "$(total "$@")" = $N ] || fail "gz: $(total "$@") packets, expected $N"

# 4. --pipeout (the gzip children are not traced)
mkdir "$TMP/po"
vg pipeout -s 0 -B "pcapfile:$TMP/po" -G 3 --pipeout='gzip -1' \
    --file-ext=.pcap.gz "${IN[@]}"
check pipeout 0
set -- "$TMP"/po/*.pcap.gz
[ $# -ge 2 ] || fail "pipeout: $# files, expected at least 2"
for f in "$@"; do gzip -t "$f" || fail "pipeout: $f is not valid gzip"; done
[ "$(total "$@")" = $N ] || fail "pipeout: $(total "$@") packets, expected $N"

# 5. a FIFO input that stays open, stopped with SIGTERM once it has been
# read to the end (the feeder watches the pipe drain with FIONREAD)
mkfifo "$TMP/fifo"
cat >"$TMP/feed.py" <<'PY'
import fcntl, os, struct, sys, termios, time
fd = os.open(sys.argv[1], os.O_WRONLY)
data = open(sys.argv[2], "rb").read()
while data:
    data = data[os.write(fd, data):]
while True:
    n = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    if n == 0:
        break
    time.sleep(0.05)
open(sys.argv[3], "w").close()
time.sleep(60)
PY
python3 "$TMP/feed.py" "$TMP/fifo" "$D/a.pcap" "$TMP/drained" &
FEED=$!
on_exit "kill_child $FEED"
valgrind --error-exitcode=42 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-fds=yes --suppressions="$SUPP" --log-file="$TMP/vg-fifo.log" \
    "$MTRACECAP" -s 0 "pcapfile:$TMP/fifo.pcap" "pcapfile:$TMP/fifo" \
    2>"$TMP/err-fifo" &
VG=$!
on_exit "kill_child -KILL $VG"
if wait_for_file "$TMP/drained" 30; then
	sleep 1		# the last records reach the queue
	kill -TERM "$VG"
	RC=0
	wait "$VG" || RC=$?
	check fifo 0
	[ "$(npackets "$TMP/fifo.pcap")" = 300 ] ||
		fail "fifo: $(npackets "$TMP/fifo.pcap") packets, expected 300"
else
	fail "fifo: mtracecap did not read the FIFO within 30 s"
fi
kill_child "$FEED"

# 6. bad invocations: a usage error, a missing input, and the three
# libtrace failures whose leaks valgrind.supp hides (an unknown format, a
# file libtrace cannot identify, a libtrace file that does not exist)
vg usage -G abc "pcapfile:$TMP/x.pcap" "$D/a.pcap"
check usage 2
vg missing "pcapfile:$TMP/x.pcap" "$D/a.pcap" "$TMP/nonexistent.pcap"
check missing 1
vg badformat "pcapfile:$TMP/x.pcap" "nosuchformat:$D/a.pcap"
check badformat 1
printf 'neither pcap nor anything libtrace knows\n' >"$D/garbage"
vg unknown "pcapfile:$TMP/x.pcap" "$D/garbage"
check unknown 1
vg erf "pcapfile:$TMP/x.pcap" "erf:$TMP/nonexistent.erf"
check erf 1
[ ! -e "$TMP/x.pcap" ] || fail "a failed start left $TMP/x.pcap behind"

echo "valgrind runs took $(( $(date +%s) - start )) s"
finish
