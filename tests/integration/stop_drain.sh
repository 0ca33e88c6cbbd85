#!/usr/bin/env bash
# stop_drain.sh - a stop reads what a pipe already holds.  The bytes a
# FIFO holds when SIGTERM comes were handed to us by the kernel: they
# are packets captured, to be written (or counted), not dropped.  The
# feeder enlarges its FIFO to 1 MiB, writes the first 4 KiB (mtracecap
# opens the input and its output), then, while mtracecap is stopped with
# SIGSTOP, the rest (5000 packets in all, under 1 MiB); then SIGTERM and
# SIGCONT: the stop is seen with the pipe full, many reads before its
# end.  Every packet fed must be in the file, the totals line must say
# so, the exit is 0 and no tmp- file is left.  For classic pcap and
# pcapng (read by libpcap or mtracecap's own pcapng reader from the
# stream) and ERF (the libtrace relay).  Before the fix a stop ended each
# read at once: most of the packets the pipe held were lost, silently.
. "$(dirname "$0")/lib.sh"
need_cmd python3 tcpdump capinfos traceconvert tracemerge

# feed_in_two FILE FIFO GO DONE: in the background, open FIFO, make it
# 1 MiB, write FILE's first 4 KiB, wait for file GO, write the rest,
# create DONE, then keep the pipe open and silent.  Exit 3 if the pipe
# cannot be made large enough (the test then skips).
feed_in_two() {
	python3 -c 'import fcntl, os, sys, time
data = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY)
try:
    size = fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
except OSError:
    size = 0
if size < len(data):
    open(sys.argv[4] + ".small", "w").close()
    sys.exit(3)
os.write(fd, data[:4096])
while not os.path.exists(sys.argv[3]):
    time.sleep(0.01)
i = 4096
while i < len(data):
    i += os.write(fd, data[i:])
open(sys.argv[4], "w").close()
time.sleep(3600)' "$1" "$2" "$3" "$4" &
	FEED_PID=$!
	on_exit "kill_child $FEED_PID"
}

# drain_run FMT FILE REF: mtracecap -v -s 0 pcapfile:OUT FMT:FIFO fed by
# feed_in_two FILE; every packet of REF (a pcap of FILE's records) must
# be in OUT.
drain_run() {
	local fmt=$1 file=$2 ref=$3 what want k
	what="stop with a full $fmt pipe of ${file##*.}"
	want=$(npackets "$ref")
	rm -f "$TMP/out.pcap" "$TMP/fifo" "$TMP/go" "$TMP/done" "$TMP/done.small"
	mkfifo "$TMP/fifo"
	feed_in_two "$file" "$TMP/fifo" "$TMP/go" "$TMP/done"
	start_mtc_cmd "$TMP/stderr" "$MTRACECAP" -v -s 0 \
	    "pcapfile:$TMP/out.pcap" "$fmt:$TMP/fifo"
	if ! { wait_ready && wait_for_file "$TMP/tmp-$MTC_PID-out.pcap"; }; then
		[ -e "$TMP/done.small" ] && skip "cannot make a pipe 1 MiB (fs.pipe-max-size)"
		fail "$what: mtracecap did not open its output: $(head -c 300 "$TMP/stderr")"
		return
	fi
	kill -STOP "$MTC_PID"
	touch "$TMP/go"
	if ! wait_for_file "$TMP/done" 20; then
		kill -CONT "$MTC_PID"
		fail "$what: the feeder could not write the rest into the pipe"
		return
	fi
	kill -TERM "$MTC_PID"
	kill -CONT "$MTC_PID"
	reap "$what" 10
	[ "$RC" -eq 0 ] || fail "$what: exit $RC, want 0: $(grep -v '^mtracecap:  ' "$TMP/stderr" | head -c 400)"
	[ -e "$TMP/out.pcap" ] || { fail "$what: no output file"; return; }
	tcpdump -r "$TMP/out.pcap" -w /dev/null 2>/dev/null ||
	    fail "$what: tcpdump cannot read the output"
	k=$(npackets "$TMP/out.pcap")
	[ "$k" -eq "$want" ] ||
	    fail "$what: $k of the $want packets the pipe held are in the file"
	cmp -s <(records "$TMP/out.pcap") <(records "$ref") ||
	    fail "$what: the packets written are not those fed"
	grep -q "total: files=1 written=$want lost=0 " "$TMP/stderr" ||
	    fail "$what: totals: $(grep 'total:' "$TMP/stderr" || echo none)"
	no_tmp "$TMP"
}

section
python3 "$TESTS_SRCDIR/tools/mkpcap.py" "$TMP/in.pcap" --count 5000 \
    --size 150 --step-us 1000
drain_run pcapfile "$TMP/in.pcap" "$TMP/in.pcap"
passed "SIGTERM with 5000 pcap packets in the pipe: all 5000 written"

section
"$MTRACECAP" -s 0 "pcapng:$TMP/in.pcapng" "pcapfile:$TMP/in.pcap" 2>"$TMP/stderr" ||
    fail "cannot write the pcapng input: $(head -c 300 "$TMP/stderr")"
drain_run pcapfile "$TMP/in.pcapng" "$TMP/in.pcap"
passed "SIGTERM with 5000 pcapng packets in the pipe: all 5000 written"

section
pcap_to_erf "$TMP/in.pcap" "$TMP/in.erf"
tracemerge "pcapfile:$TMP/erf-ref.pcap" "erf:$TMP/in.erf"
drain_run erf "$TMP/in.erf" "$TMP/erf-ref.pcap"
passed "SIGTERM with 5000 ERF records in the pipe (libtrace relay): all 5000 written"

finish
