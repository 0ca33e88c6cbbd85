#!/usr/bin/env bash
# signals.sh - signals mid-capture.  A run that never ends by itself needs
# a live input; a named pipe fed slowly by a python writer is one without
# network namespaces.  SIGTERM and SIGINT: exit 0 within 2 s, the totals
# line, no tmp- file, everything the feeder wrote before the signal in the
# file; SIGHUP with -B: a new file; ~20 SIGTERMs at random moments (also
# with -G 1 and -S 1): never a crash, never a tmp- file, valid files whose
# union is a prefix of what was fed.  SIGTERM on a silent stream in a
# format only libtrace reads (ERF): the same.  SIGTERM while the writer
# splits records (ERF, pcap): exit 0, a cut record is not a packet; an ERF
# stream that really ends mid-record fails the input.
. "$(dirname "$0")/lib.sh"
need_cmd python3 tcpdump capinfos tracestats traceconvert tracemerge

# start_feed (lib.sh): tests/tools/feed.py into the FIFO: a pcap header,
# then --count packets of --size bytes, each stamped --step seconds after
# the previous one (the first --burst at once, then one every --gap
# seconds); then it closes the pipe, or with --idle keeps it open and
# silent.  Every packet fully written goes to $TMP/ref.pcap too and its
# number to $TMP/fed.log.  start_mtc: mtracecap -s 0 ARGS on the pipe,
# as pcapfile:FIFO or (FEED_MODE=stdin) as standard input.
FEED_FIFO=$TMP/fifo
mkfifo "$FEED_FIFO"
FEED_LOG=$TMP/fed.log FEED_REF=$TMP/ref.pcap
# check_out WHAT MIN FILE...: the files are valid, free of temp files, and
# together are the first K >= MIN packets of the reference stream; the
# totals line agrees.  Sets K.
check_out() {
	local what=$1 min=$2 f n t files=0
	shift 2
	: >"$TMP/union.rec"
	K=0
	for f in "$@"; do
		files=$((files + 1))
		if ! tcpdump -r "$f" -w /dev/null 2>/dev/null; then
			fail "$what: tcpdump cannot read $f"
			continue
		fi
		n=$(npackets "$f")
		t=$(tracestats "pcapfile:$f" 2>&1 | awk '/Total:/ {print $2}')
		[ "$t" = "$n" ] || fail "$what: $f: tracestats counts '$t' packets, capinfos $n"
		K=$((K + n))
		records "$f" >>"$TMP/union.rec"
	done
	if [ "$K" -gt 0 ]; then
		tcpdump -r "$TMP/ref.pcap" -c "$K" -tt -nn -xx -v >"$TMP/ref.rec" 2>/dev/null
	else
		: >"$TMP/ref.rec"
	fi
	cmp -s "$TMP/union.rec" "$TMP/ref.rec" ||
	    fail "$what: the $K packets written are not the first $K fed (lost, duplicated or reordered)"
	[ "$K" -ge "$min" ] ||
	    fail "$what: $K packets written, but the feeder had written $min well before the signal"
	grep -q "^mtracecap: total: files=$files written=$K lost=0 disorders=0 dropped_by_kernel=0\$" "$TMP/stderr" ||
	    fail "$what: want 'total: files=$files written=$K lost=0 disorders=0 dropped_by_kernel=0' on stderr, got: $(grep 'total:' "$TMP/stderr" || echo nothing)"
}

# --- can a named pipe be an input at all? ------------------------------------
section
start_feed --count 300 --step 0.001 --size 100
start_mtc "pcapfile:$TMP/start.pcap"
reap "pcapfile:FIFO input" 5
if [ "$RC" -ne 0 ] || [ ! -e "$TMP/start.pcap" ]; then
	fail "a named pipe as input: 'mtracecap -s 0 pcapfile:OUT pcapfile:FIFO' with a writer that sends 300 packets and closes: exit $RC, stderr: $(head -c 300 "$TMP/stderr"); the signal tests below read the pipe as stdin (pcapfile:- <FIFO) instead"
	FEED_MODE=stdin
else
	check_out "pcapfile:FIFO input" 300 "$TMP/start.pcap"
fi
passed "a named pipe works as pcapfile: input"
no_tmp "$TMP"

# --- SIGTERM / SIGINT with a steady feeder -------------------------------------
# stop_test SIG: feed one packet every 50 ms; signal after ~2 s
stop_test() {
	local sig=$1 before t0 t1
	rm -f "$TMP/out.pcap"
	start_feed --count 100000 --gap 0.05 --step 0.05 --size 200
	start_mtc "pcapfile:$TMP/out.pcap"
	wait_ready
	wait_fed 40 || fail "$sig: feeder stuck at $(fed) packets"
	before=$(fed)
	sleep 0.5
	t0=$(date +%s%N)
	kill -"$sig" "$MTC_PID"
	reap "$sig" 2
	t1=$(date +%s%N)
	[ "$RC" -eq 0 ] || fail "$sig: exit $RC, want 0: $(cat "$TMP/stderr")"
	[ -e "$TMP/out.pcap" ] || { fail "$sig: no output file"; return; }
	check_out "$sig" "$before" "$TMP/out.pcap"
	no_tmp "$TMP"
	echo "  $sig: stopped after $(( (t1 - t0) / 1000000 )) ms, $K packets" >&2
}
section
stop_test TERM
passed "SIGTERM mid-capture: exit 0 within 2 s, nothing lost, no tmp- file"
section
stop_test INT
passed "SIGINT mid-capture: likewise"

# --- SIGTERM while the input is silent ---------------------------------------
# The feeder wrote 20 packets and then says nothing, pipe open: the daemon
# must still stop within 2 s and write the 20 packets.
section
rm -f "$TMP/silent.pcap"
start_feed --count 20 --step 0.05 --size 200 --idle 3600
start_mtc "pcapfile:$TMP/silent.pcap"
wait_ready
wait_fed 20 || fail "silent: feeder stuck"
sleep 1
kill -TERM "$MTC_PID"
reap "SIGTERM while the input is silent" 2
[ "$RC" -eq 0 ] || fail "silent input: exit $RC: $(cat "$TMP/stderr")"
if [ -e "$TMP/silent.pcap" ]; then
	check_out "silent input" 20 "$TMP/silent.pcap"
else
	fail "silent input: no output file"
fi
no_tmp "$TMP"
passed "SIGTERM while the input pipe is silent"

# --- SIGTERM while a stream in a libtrace format (ERF) is silent ---------------
# libtrace itself would block in read() until data or EOF, holding what it
# had read in its buffers; mtracecap's relay must let it stop within 2 s
# with every record the stream carried (those of tracemerge reading the
# same stream as a file).
section
python3 "$TESTS_SRCDIR/tools/mkpcap.py" "$TMP/e.pcap" --count 30 --size 200 \
    --step-us 20000
pcap_to_erf "$TMP/e.pcap" "$TMP/e.erf"
tracemerge "pcapfile:$TMP/e-ref.pcap" "erf:$TMP/e.erf"
mkfifo "$TMP/efifo"
hold_fifo "$TMP/e.erf" "$TMP/efifo"
FEED_PID=$HOLD_PID	# reap ends it (EOF) if mtracecap does not stop
"$MTRACECAP" -s 0 "pcapfile:$TMP/erf.pcap" "erf:$TMP/efifo" 2>"$TMP/stderr" &
MTC_PID=$!
on_exit "kill_child -KILL $MTC_PID"
if wait_ready; then
	sleep 1
	t0=$(date +%s%N)
	kill -TERM "$MTC_PID"
	reap "SIGTERM on a silent ERF stream" 2
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$RC" -eq 0 ] || fail "silent ERF stream: exit $RC: $(cat "$TMP/stderr")"
	if [ -e "$TMP/erf.pcap" ]; then
		records "$TMP/erf.pcap" | cmp -s - <(records "$TMP/e-ref.pcap") ||
		    fail "silent ERF stream: $(npackets "$TMP/erf.pcap") records, not the 30 of tracemerge"
	else
		fail "silent ERF stream: no output file"
	fi
	grep -q "read=30 .*written=30" "$TMP/stderr" ||
	    fail "silent ERF stream: report: $(grep input= "$TMP/stderr")"
	no_tmp "$TMP"
	passed "SIGTERM while an ERF stream (libtrace) is silent: exit 0 after $ms ms, all 30 records"
fi

# --- SIGTERM while a stream's writer splits records ------------------------------
# The writer sends the file in odd-sized pieces (none a record long) with
# short pauses, so a stop mostly falls inside a record.  A stop is not an
# input failure: exit 0, the records read whole are written (a prefix of
# the stream), a record the stop cut is not a packet (for ERF a -v line
# says so).  20 ERF runs (1.0.0 failed all: "Truncated packet", exit 1),
# 4 pcap runs, 4 gzip'ed ERF runs (1.0.0: exit 1, no record).  Then ERF
# streams and a file that really end mid-record, no stop: the input
# fails, as it must.
# chunk_fifo FILE FIFO FLAG [PAUSE [FLAGBYTES]]: in the background, write
# FILE into FIFO in pieces of 37, 101, 13, 211, 7 and 150 bytes, PAUSE s
# (0.001) apart, creating FLAG once FLAGBYTES (4096) are in; then keep it
# open and silent.  CHUNK_PID is the writer.
chunk_fifo() {
	python3 -c 'import os, sys, time
data = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY)
sizes, i, k = (37, 101, 13, 211, 7, 150), 0, 0
try:
    while i < len(data):
        i += os.write(fd, data[i:i + sizes[k % 6]])
        k += 1
        if i >= int(sys.argv[5]) and not os.path.exists(sys.argv[3]):
            open(sys.argv[3], "w").close()
        time.sleep(float(sys.argv[4]))
    time.sleep(3600)
except BrokenPipeError:
    pass' "$1" "$2" "$3" "${4:-0.001}" "${5:-4096}" &
	CHUNK_PID=$!
	on_exit "kill_child $CHUNK_PID"
}
# split_stop FMT FILE REF RUN [PAUSE FLAGBYTES]: mtracecap -v reads
# FMT:FIFO fed by chunk_fifo FILE and gets SIGTERM 0-200 ms after the
# first 4 KiB (FLAGBYTES) are in; REF is the pcap of FILE's records.  Adds
# the packets written to SPLIT_K.
split_stop() {
	local fmt=$1 file=$2 ref=$3 run=$4 what k
	what="split records, $fmt run $run"
	rm -f "$TMP/split.pcap" "$TMP/sfifo" "$TMP/sflag"
	mkfifo "$TMP/sfifo"
	chunk_fifo "$file" "$TMP/sfifo" "$TMP/sflag" "${5:-0.001}" "${6:-4096}"
	FEED_PID=$CHUNK_PID
	"$MTRACECAP" -v -s 0 "pcapfile:$TMP/split.pcap" "$fmt:$TMP/sfifo" \
	    2>"$TMP/stderr" &
	MTC_PID=$!
	on_exit "kill_child -KILL $MTC_PID"
	# the output's temp file: every input is open, so the stop falls in
	# the capture (a stop during the open ends the run before any record:
	# stop_during_open.sh; a gzip'ed stream opens only once gzip has its
	# first output)
	wait_ready && wait_for_file "$TMP/sflag" &&
	    wait_for_file "$TMP/tmp-$MTC_PID-split.pcap" ||
	    fail "$what: mtracecap not ready or the writer stuck"
	sleep "0.$(printf %03d $((RANDOM % 200)))"
	kill -TERM "$MTC_PID"
	reap "$what" 2
	if [ "$RC" -ne 0 ] || grep -q failed "$TMP/stderr"; then
		fail "$what: exit $RC, want 0: $(grep -v '^mtracecap:  ' "$TMP/stderr" | head -c 400)"
		return
	fi
	[ -e "$TMP/split.pcap" ] || { fail "$what: no output file"; return; }
	k=$(npackets "$TMP/split.pcap")
	SPLIT_K=$((SPLIT_K + k))
	# the same records byte for byte (the file headers differ in snaplen)
	cmp -s <(tail -c +25 "$TMP/split.pcap") <(tail -c +25 "$ref" |
	    head -c $(( $(stat -c %s "$TMP/split.pcap") - 24 ))) ||
	    fail "$what: the $k packets written are not the first $k of the stream"
	grep -q "read=$k .*written=$k\$" "$TMP/stderr" &&
	    grep -q "total: files=1 written=$k lost=0 " "$TMP/stderr" ||
	    fail "$what: report: $(grep -E 'input=0|total:' "$TMP/stderr")"
	grep -q "record not yet read whole: not a packet" "$TMP/stderr" &&
	    cuts=$((cuts + 1))
	no_tmp "$TMP"
}
section
python3 "$TESTS_SRCDIR/tools/mkpcap.py" "$TMP/s.pcap" --count 2000 --size 200 \
    --step-us 1000
pcap_to_erf "$TMP/s.pcap" "$TMP/s.erf"
tracemerge "pcapfile:$TMP/s-ref.pcap" "erf:$TMP/s.erf"
cuts=0
SPLIT_K=0
for run in $(seq 20); do
	split_stop erf "$TMP/s.erf" "$TMP/s-ref.pcap" "$run"
done
# the point of the test: most stops fell inside a record
[ "$cuts" -ge 5 ] ||
    fail "split records: only $cuts of 20 ERF stops fell inside a record (-v line): the writer did not split records as meant"
erf_k=$SPLIT_K erf_cuts=$cuts
SPLIT_K=0
for run in $(seq 4); do
	split_stop pcapfile "$TMP/s.pcap" "$TMP/s.pcap" "$run"
done
[ "$SPLIT_K" -gt 0 ] || fail "split records: no pcap packet written in 4 runs"
pcap_k=$SPLIT_K
# gzip'ed ERF: mtracecap decompresses it (1.0.0 left it to libwandio,
# which failed the input on a stop, having handed over no record at all).
# gzip reads 64 KiB before its first output, mtracecap starts after that:
# a faster writer, SIGTERM once 96 KiB are in.
python3 "$TESTS_SRCDIR/tools/mkpcap.py" "$TMP/g.pcap" --count 20000 --size 200 \
    --step-us 1000
pcap_to_erf "$TMP/g.pcap" "$TMP/g.erf"
tracemerge "pcapfile:$TMP/g-ref.pcap" "erf:$TMP/g.erf"
SPLIT_K=0
for run in $(seq 4); do
	split_stop erf "$TMP/g.erf.gz" "$TMP/g-ref.pcap" "gz$run" 0.0002 98304
done
[ "$SPLIT_K" -gt 0 ] || fail "split records: no packet of the gzip'ed ERF stream written in 4 runs"
passed "SIGTERM while the writer splits records (20 ERF runs, $erf_cuts stops inside a record, $erf_k packets; 4 pcap runs, $pcap_k packets; 4 gzip'ed ERF runs, $SPLIT_K packets): exit 0, the whole records written"

# erf_fifo_run FILE OUT: mtracecap -s 0 pcapfile:OUT erf:FIFO, where cat
# writes FILE into FIFO and closes it; sets RC, stderr in $TMP/stderr.
erf_fifo_run() {
	rm -f "$2" "$TMP/cfifo"
	mkfifo "$TMP/cfifo"
	cat "$1" >"$TMP/cfifo" &
	on_exit "kill_child $!"
	RC=0
	timeout 20 "$MTRACECAP" -s 0 "pcapfile:$2" "erf:$TMP/cfifo" \
	    2>"$TMP/stderr" || RC=$?
}
section
head -c $(( $(stat -c %s "$TMP/s.erf") / 2 + 55 )) "$TMP/s.erf" >"$TMP/cut.erf"
erf_fifo_run "$TMP/cut.erf" "$TMP/cut.pcap"
[ "$RC" -eq 1 ] && grep -q "input 'erf:$TMP/cfifo' failed: Truncated packet" "$TMP/stderr" ||
    fail "an ERF stream that ends mid-record: exit $RC, want 1 and 'Truncated packet': $(head -c 400 "$TMP/stderr")"
tracemerge "pcapfile:$TMP/cut-ref.pcap" "erf:$TMP/cut.erf" 2>/dev/null || true
[ -e "$TMP/cut.pcap" ] && records "$TMP/cut.pcap" | cmp -s - <(records "$TMP/cut-ref.pcap") ||
    fail "an ERF stream that ends mid-record: not every whole record written"
rm -f "$TMP/cut.pcap"
RC=0
timeout 10 "$MTRACECAP" -s 0 "pcapfile:$TMP/cut.pcap" "erf:$TMP/cut.erf" \
    2>"$TMP/stderr" || RC=$?
[ "$RC" -eq 1 ] && grep -q "input 'erf:$TMP/cut.erf' failed: Truncated packet" "$TMP/stderr" ||
    fail "an ERF file that ends mid-record: exit $RC, want 1 and 'Truncated packet': $(head -c 400 "$TMP/stderr")"
passed "an ERF stream or file that ends mid-record without a stop fails the input (exit 1)"

section
erf_fifo_run "$TMP/g.erf.gz" "$TMP/gz.pcap"
[ "$RC" -eq 0 ] && grep -q "read=20000 .*written=20000\$" "$TMP/stderr" ||
    fail "a whole gzip'ed ERF stream: exit $RC, want 0 and 20000 records: $(head -c 400 "$TMP/stderr")"
head -c $(( $(stat -c %s "$TMP/g.erf.gz") / 2 )) "$TMP/g.erf.gz" >"$TMP/cut.erf.gz"
rm -f "$TMP/gz.pcap"
RC=0
timeout 20 "$MTRACECAP" -s 0 "pcapfile:$TMP/gz.pcap" erf:- <"$TMP/cut.erf.gz" \
    2>"$TMP/stderr" || RC=$?
[ "$RC" -eq 1 ] && grep -q "input 'erf:-': 'gzip -dc' failed .*: the compressed stream is corrupt or truncated" "$TMP/stderr" ||
    fail "a gzip'ed ERF stream cut in half: exit $RC, want 1 and 'gzip -dc' failed: $(head -c 400 "$TMP/stderr")"
passed "a gzip'ed ERF stream: whole, exit 0 with every record; cut short, the input fails (exit 1)"

# --- SIGHUP with -B: a new file now --------------------------------------------
# 100 packets at once, then one every 50 ms.  Once the first file exists:
# SIGHUP, SIGHUP 1.5 s later, SIGTERM 1.5 s after that: three files, and
# each packet fed more than 1 s before a SIGHUP is in a file before it.
# A file is named after its start: never later than its first packet.
section
HB=$TMP/hup
mkdir -p "$HB"
start_feed --count 100000 --burst 100 --gap 0.05 --step 0.001 --size 200
start_mtc -U -B "pcapfile:$HB"
wait_ready
i=0
while [ -z "$(ls "$HB")" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -n "$(ls "$HB")" ] || fail "SIGHUP: no file opened after 100 packets"
sleep 0.5
before1=$(fed)
sleep 1
kill -HUP "$MTC_PID"
sleep 0.5
before2=$(fed)
sleep 1
kill -HUP "$MTC_PID"
sleep 1.5
kill -TERM "$MTC_PID"
reap "SIGHUP" 2
[ "$RC" -eq 0 ] || fail "SIGHUP: exit $RC: $(cat "$TMP/stderr")"
mapfile -t files < <(by_seq "$HB")
[ "${#files[@]}" -eq 3 ] ||
    fail "SIGHUP twice: ${#files[@]} files, want 3: $(ls "$HB")"
check_out "SIGHUP" "$before2" "${files[@]}"
if [ "${#files[@]}" -ge 2 ]; then
	n0=$(npackets "${files[0]}")
	n1=$(npackets "${files[1]}")
	[ "$n0" -ge "$before1" ] ||
	    fail "SIGHUP: the file before the first SIGHUP holds $n0 packets, but $before1 were fed more than 1 s before it"
	[ $((n0 + n1)) -ge "$before2" ] ||
	    fail "SIGHUP: the files before the second SIGHUP hold $((n0 + n1)) packets ($n0 + $n1), but $before2 were fed more than 1 s before it"
fi
for f in "${files[@]}"; do
	b=$(basename "$f")
	named=$(date -u -d "${b:0:4}-${b:4:2}-${b:6:2} ${b:9:2}:${b:11:2}:${b:13:2}" +%s)
	first=$(tcpdump -r "$f" -tt -c 1 2>/dev/null | awk 'NR == 1 { sub(/\..*/, "", $1); print $1 }')
	if [ -n "$first" ] && [ "$named" -gt "$first" ]; then
		fail "SIGHUP: $b is named after $(date -u -d "@$named" +%FT%TZ), later than its first packet ($(date -u -d "@$first" +%FT%TZ)): a SIGHUP file takes the wall clock while the others take packet time"
	fi
done
no_tmp "$HB"
passed "SIGHUP with -B starts a new file"

# --- every thread blocks the three signals from its start --------------------
# tests/tools/threadmask.c logs, for every pthread_create() in mtracecap
# (its own and libwandio's: the -Z probe runs a writer thread before
# capture starts), whether the creating thread blocked SIGHUP, SIGINT and
# SIGTERM already.  A thread created before would start with them open;
# and glibc's pthread_create blocks every signal in the caller for a
# moment, which wait_ready takes for "blocked" while a SIGTERM just after
# it still kills (signal_storm.sh: "killed by signal 15").  Then, while a
# -Z gz -G 1 -B capture runs, every thread blocks the three but the signal
# thread, which unblocks them only inside sigtimedwait().
# unblocked_threads PID: the threads of PID that have one of the three
# unblocked and are not in sigtimedwait, as "TID NAME SIGBLK WCHAN" lines
unblocked_threads() {
	local t blk wchan
	for t in /proc/"$1"/task/*; do
		blk=$(awk '/^SigBlk:/ {print $2}' "$t/status" 2>/dev/null) || continue
		[ -n "$blk" ] || continue
		[ $(( 0x$blk & 0x4003 )) -eq $(( 0x4003 )) ] && continue
		wchan=$(cat "$t/wchan" 2>/dev/null || true)
		case $wchan in *sigtimedwait*) continue ;; esac
		echo "${t##*/} $(cat "$t/comm" 2>/dev/null) $blk ${wchan:-?}"
	done
}
section
if cc -shared -fPIC -o "$TMP/threadmask.so" "$TESTS_SRCDIR/tools/threadmask.c" \
    -ldl 2>"$TMP/cc.err"; then
	dir=$TMP/tm
	mkdir "$dir"
	start_feed --count 400 --gap 0.005 --step-us 10000 --idle 3600
	THREADMASK_LOG=$TMP/threadmask.log LD_PRELOAD=$TMP/threadmask.so \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    start_mtc -Z gz -G 1 -U --file-ext=.pcap.gz -B "pcapfile:$dir"
	wait_ready
	wait_fed 300 || fail "threads: the feeder wrote only $(fed) packets in 10 s"
	# a thread caught outside sigtimedwait for a moment (its 100 ms
	# tick) is asked again; one that stays so is a failure
	bad=$(unblocked_threads "$MTC_PID")
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -n "$bad" ] || break
		sleep 0.05
		bad=$(unblocked_threads "$MTC_PID")
	done
	[ -z "$bad" ] ||
	    fail "threads of a running -Z gz capture with SIGHUP, SIGINT or SIGTERM unblocked (tid name SigBlk wchan): $(echo $bad)"
	before=$(fed)
	kill -TERM "$MTC_PID"
	reap "SIGTERM, every thread checked" 2
	[ "$RC" -eq 0 ] || fail "SIGTERM, every thread checked: exit $RC: $(head -c 300 "$TMP/stderr")"
	no_tmp "$dir"
	mkdir "$dir.pcap"
	mapfile -t files < <(by_seq "$dir")
	plain=()
	for f in "${files[@]}"; do
		g=$dir.pcap/$(basename "$f" .gz)
		gzip -dc "$f" >"$g" || fail "SIGTERM, every thread checked: gzip -dc $f fails"
		plain+=("$g")
	done
	check_out "SIGTERM, every thread checked" "$before" "${plain[@]}"
	n=$(grep -c . "$TMP/threadmask.log" 2>/dev/null || true)
	open=$(grep -v '^blocked$' "$TMP/threadmask.log" 2>/dev/null | sort | uniq -c || true)
	if [ "${n:-0}" -lt 4 ]; then
		fail "threads: the pthread_create shim saw ${n:-0} threads (signal, reader, finisher, writer at least): not loaded?"
	elif [ -n "$open" ]; then
		fail "threads: $(echo $open) of $n pthread_create() calls came from a thread with the signals unblocked: a thread started before mtracecap blocked them"
	fi
	passed "every thread starts with SIGHUP, SIGINT and SIGTERM blocked ($n created); all block them while running"
else
	fail "cannot build the pthread_create shim: $(head -3 "$TMP/cc.err")"
fi

# --- SIGTERM at random moments --------------------------------------------------
# 1000-byte packets every ms, stamped 10 ms apart: -G 1 cuts every 100
# packets, -S 1 every ~1030.  The files go to a tmpfs where there is one
# (fast_tmp): the 2 s bound is for the stop, not for the disk's fsyncs.
section
fast_tmp
RANDOM=4242
runs=0
for mode in single G1 S1 G1S1 single G1 S1 G1S1 single G1 S1 G1S1 \
    single G1 S1 G1S1 single G1 S1 G1S1; do
	runs=$((runs + 1))
	dir=$FAST_TMP/r$runs
	mkdir -p "$dir"
	case $mode in
	single)	args=("pcapfile:$dir/out.pcap") ;;
	G1)	args=(-G 1 -U -B "pcapfile:$dir") ;;
	S1)	args=(-S 1 -U -B "pcapfile:$dir") ;;
	G1S1)	args=(-G 1 -S 1 -U -B "pcapfile:$dir") ;;
	esac
	start_feed --count 1000000 --gap 0.001 --step 0.01 --size 1000
	start_mtc "${args[@]}"
	wait_ready || continue
	delay=$(( RANDOM % 2500 ))
	sleep "$(printf '0.%03d' $((delay % 1000)))"
	[ "$delay" -ge 1000 ] && sleep 1
	before=$(fed)
	sleep 0.3
	kill -TERM "$MTC_PID"
	reap "random SIGTERM #$runs ($mode, ${delay} ms)" 2
	if [ "$RC" -ge 128 ]; then
		fail "random SIGTERM #$runs ($mode): killed by signal $((RC - 128))"
	elif [ "$RC" -ne 0 ]; then
		fail "random SIGTERM #$runs ($mode): exit $RC: $(head -c 300 "$TMP/stderr")"
	fi
	no_tmp "$dir"
	if [ "$mode" = single ]; then
		mapfile -t files < <(find "$dir" -type f)
	else
		mapfile -t files < <(by_seq "$dir")
	fi
	check_out "random SIGTERM #$runs ($mode, $before fed)" "$before" "${files[@]}"
	case $mode in
	S1|G1S1)
		for f in "${files[@]}"; do
			[ "$(stat -c %s "$f")" -le $((1 << 20)) ] ||
			    fail "random SIGTERM #$runs ($mode): $f over 1 MiB"
		done ;;
	esac
done
passed "$runs SIGTERMs at random moments: exit 0, valid files, no tmp-, no loss"
finish
