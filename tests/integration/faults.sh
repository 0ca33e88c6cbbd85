#!/usr/bin/env bash
# faults.sh - mtracecap under faults of its environment, on real files,
# processes and interfaces: (a) the output file system fills up mid-capture,
# (b) the output directory is removed, or made read-only, while it runs,
# (c) one input fails (a veth deleted; a truncated or corrupt pcap file)
# while the others go on, (d) a --pipeout command that stalls, or never
# reads, (e) a single output linked to a block device, (f) a write error
# whose torn record cannot be cut off (an LD_PRELOAD shim), (g) files
# that fail at their close, from two inputs.  The promise
# each time: one clear log line per failure (not one per packet), capture
# goes on, every packet not written is counted as lost (written + lost =
# packets fed), writing resumes when the fault is gone, every file under a
# final name is valid, no tmp- file is left and the exit status is 1 as
# the man page says.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "faults of the environment (LD_PRELOAD shims, live capture too)"
need_root
need_cmd python3 tcpdump capinfos mountpoint readelf

# The feeds (start_feed of lib.sh, into FEED_FIFO, set before each):
# a pcap header and --count packets of --size bytes, one every --interval
# seconds (none: as fast as the pipe takes them), stamped --step seconds
# apart; after each packet fully written its number goes to FIFO.log.
# Then the pipe is closed (EOF for the reader).  mtracecap, wrapped or not,
# runs by start_mtc_cmd; reap waits for it to end by itself.
# totv ERRFILE FIELD: a field of the exit totals line
totv() { sed -n "s/^mtracecap: total: .*$2=\([0-9]*\).*/\1/p" "$1"; }
# check_files WHAT DIR...: every file under a final name in DIR... is read
# completely by tcpdump; no tmp- file.  Sets NFILES and NPK (packets in all)
# and LAST (the latest stamp in any file).
check_files() {
	local what=$1 f n t
	shift
	NFILES=0 NPK=0 LAST=
	while IFS= read -r f; do
		case $(basename "$f") in
		tmp-*) fail "$what: temp file left: $f"; continue ;;
		esac
		if ! tcpdump -nn -r "$f" >/dev/null 2>"$TMP/td.err"; then
			fail "$what: tcpdump cannot read all of $f: $(tail -1 "$TMP/td.err")"
			continue
		fi
		n=$(npackets "$f")
		NFILES=$((NFILES + 1))
		NPK=$((NPK + n))
		t=$(tcpdump -tt -nn -r "$f" 2>/dev/null | grep '^[0-9]' | tail -1 |
		    awk '{print $1}')
		if [ -n "$t" ] && { [ -z "$LAST" ] || [ "${t/./}" -gt "${LAST/./}" ]; }; then
			LAST=$t
		fi
	done < <(find "$@" -maxdepth 1 -type f)
}
# verdict WHAT ERRFILE WANT PATTERN MAXMSG DIR...: after a fault that
# lost packets: exit status 1; written + lost = WANT packets fed; the
# files (valid, no tmp-) hold exactly written; the last packet fed (stamped
# S + (WANT-1)/100) is in a file; PATTERN (the error) on stderr at least
# once and at most MAXMSG times.
verdict() {
	local what=$1 e=$2 want=$3 pat=$4 max=$5 n w l fl nmsg stamp
	shift 5
	n=$(fed)
	[ "$RC" -eq 1 ] || fail "$what: exit status $RC, want 1 (packets were lost): $(tail -3 "$e")"
	check_files "$what" "$@"
	w=$(totv "$e" written)
	l=$(totv "$e" lost)
	fl=$(totv "$e" files)
	if [ -z "$w" ] || [ -z "$l" ]; then
		fail "$what: no totals line: $(tail -3 "$e")"
	else
		[ "$n" -eq "$want" ] || fail "$what: the feeder wrote $n of $want packets"
		[ $((w + l)) -eq "$n" ] ||
		    fail "$what: written=$w + lost=$l != $n packets fed"
		[ "$l" -gt 0 ] || fail "$what: lost=0, but the output was unusable for 2 s"
		[ "$NPK" -eq "$w" ] ||
		    fail "$what: the files hold $NPK packets, the totals say written=$w"
	fi
	# one message per failed file or retry, not one per packet
	nmsg=$(grep -c "$pat" "$e" || true)
	[ "$nmsg" -ge 1 ] || fail "$what: no message matching '$pat'"
	[ "$nmsg" -le "$max" ] ||
	    fail "$what: $nmsg messages matching '$pat', want at most $max"
	grep -q 'packets could not be written\|counted as lost' "$e" ||
	    fail "$what: no report of the packets that could not be written"
	stamp=$(printf '%d.%02d0000' $((1700000000 + (want - 1) / 100)) $(((want - 1) % 100)))
	[ "$LAST" = "$stamp" ] ||
	    fail "$what: the latest packet in the files is stamped '$LAST', want $stamp (the last fed): writing did not resume"
	echo "  $what: fed=$n written=$w lost=$l files=$fl (valid: $NFILES), $nmsg messages" >&2
}
# wait_msg FILE PATTERN: until PATTERN is in FILE (5 s at most)
wait_msg() {
	local i=0
	until grep -q "$2" "$1" || [ $i -ge 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	grep -q "$2" "$1"
}
# field NAME LINE: the number after " NAME=" in LINE
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
# check_report WHAT ERRFILE: after verdict (NFILES), the exit report and -v
# agree with the files: input 0's written + lost = its read, its written is
# the total; the total counts the files on disk and the kernel drops; each
# -v "file" line names a file that is there with that many packets (and
# its input line says so too), one line per file.
check_report() {
	local what=$1 e=$2 line r w l f n k=0 listed=0 in
	line=$(grep '^mtracecap: input=0 ' "$e" || true)
	r=$(field read "$line") w=$(field written "$line") l=$(field lost "$line")
	if [ -z "$r" ] || [ -z "$w" ] || [ -z "$l" ]; then
		fail "$what: the input line lacks read, written or lost: '$line'"
	else
		[ $((w + l)) -eq "$r" ] ||
		    fail "$what: input 0: written=$w + lost=$l != read=$r: '$line'"
		[ "$w" = "$(totv "$e" written)" ] && [ "$l" = "$(totv "$e" lost)" ] ||
		    fail "$what: input 0 says written=$w lost=$l, the total: $(grep total: "$e")"
	fi
	w=$(totv "$e" written)
	[ "$(totv "$e" files)" = "$NFILES" ] ||
	    fail "$what: total says files=$(totv "$e" files), $NFILES files are there"
	[ "$(totv "$e" dropped_by_kernel)" = "$(field dropped_by_kernel "$line")" ] ||
	    fail "$what: the total does not give the kernel drops: $(grep total: "$e")"
	while read -r f n in; do
		listed=$((listed + 1))
		k=$((k + n))
		if [ ! -f "$f" ]; then
			fail "$what: -v reports '$f' as written, there is no such file"
			continue
		fi
		[ "$(npackets "$f")" = "$n" ] ||
		    fail "$what: -v says '$f' holds $n packets, it holds $(npackets "$f")"
		[ "$in" = "$n" ] ||
		    fail "$what: -v says '$f' holds $n packets, $in of them from input 0"
	done < <(grep -A1 '^mtracecap: file ' "$e" | sed -n '/^mtracecap: file /{
		s/^mtracecap: file \(.*\): packets=\([0-9]*\) .*/\1 \2/
		N
		s/\n.* input=0 .*: packets=\([0-9]*\) .*/ \1/p
	}')
	[ "$listed" -eq "$NFILES" ] ||
	    fail "$what: -v reports $listed files, $NFILES are there"
	[ "$k" = "$w" ] || fail "$what: the -v file lines hold $k packets, written=$w"
}
# check_status WHAT LOG ERRFILE: the STATUS lines systemd got (LOG, of
# notify_listen) showed the losses while mtracecap ran, and the last one
# ("stopped: ...") gives the totals of ERRFILE.
check_status() {
	local what=$1 log=$2 e=$3 line
	grep -Eq '^[0-9.]+ [0-9]+ STATUS=[0-9]+ packets written, [1-9][0-9]* lost' "$log" ||
	    fail "$what: no STATUS line showed lost packets while it ran: $(grep STATUS= "$log" | cut -d' ' -f3- | tr '\n' '|')"
	line=$(grep 'STATUS=stopped: ' "$log" | tail -1)
	[[ "$line" == *"STATUS=stopped: $(totv "$e" written) packets written, $(totv "$e" lost) lost, "* ]] ||
	    fail "$what: final STATUS '${line#* * }' is not the totals: $(grep total: "$e")"
}
# systemd's notifications are only there when linked with libsystemd
case $(readelf -d "$MTRACECAP" 2>/dev/null || true) in
*'NEEDED'*'[libsystemd.so'*) HAVE_NOTIFY=1 ;;
*) HAVE_NOTIFY= ;;
esac
# --- (a) disk full ---------------------------------------------------------
# A 2 MiB tmpfs, 1.5 MiB of it taken by a filler file; 2000 packets of 1000
# bytes, one every 3 ms, stamped 10 ms apart.  The file system fills after
# ~500 packets; 2 s after mtracecap says so the filler is deleted and the
# rest fits.  With -G 1 (a new file every 100 packets) the next rotation
# retries; with -B alone (one file until the end) the failed file must be
# replaced a second after the failure.
MNT=$TMP/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=2m,mode=0755 mtc-faults "$MNT" 2>/dev/null ||
    skip "cannot mount a tmpfs"
on_exit "umount -l $MNT"
OUT=$MNT/out

# disk_full WHAT ARGS...
disk_full() {
	local what=$1 e=$TMP/a.err
	shift
	section
	rm -rf "$OUT" "$MNT/filler"
	mkdir "$OUT"
	dd if=/dev/zero of="$MNT/filler" bs=64k count=24 status=none
	FEED_FIFO=$TMP/a.fifo
	start_feed --count 2000 --interval 0.003 --size 1000 --step 0.01
	rm -f "$TMP/a.notify" "$TMP/a.sock"
	[ -n "$HAVE_NOTIFY" ] && notify_listen "$TMP/a.sock" "$TMP/a.notify"
	start_mtc_cmd "$e" env NOTIFY_SOCKET="$TMP/a.sock" \
	    "$MTRACECAP" -v -s 0 -U "$@" -B "pcapfile:$OUT" "pcapfile:$TMP/a.fifo"
	wait_msg "$e" 'No space left' ||
	    fail "$what: no 'No space left on device' message 5 s into the capture"
	sleep 2
	rm -f "$MNT/filler"
	reap "$what" 20
	verdict "$what" "$e" 2000 'No space left' 12 "$OUT"
	check_report "$what" "$e"
	if [ -n "$HAVE_NOTIFY" ]; then
		check_status "$what" "$TMP/a.notify" "$e"
	else
		echo "  $what: STATUS not checked: built without libsystemd" >&2
	fi
	passed "$what: few messages, counted losses, resumes, valid files, true figures (per input, -v, STATUS), exit 1"
}
disk_full "disk full, -G 1" -G 1
disk_full "disk full, one file"

# --- (b) output directory removed / read-only --------------------------------
# 1500 packets, one every 4 ms, stamped 10 ms apart, -G 1.  ~1 s in, the
# directory goes away (renamed: for mtracecap that is the same as removed,
# and the files written before stay countable) or becomes read-only (0555,
# for a process without CAP_DAC_OVERRIDE); 2 s later it is back.
dir_fault() {
	local what=$1 mode=$2 e=$TMP/b.err pre=()
	section
	rm -rf "$OUT" "$OUT.gone" "$MNT/filler"
	mkdir "$OUT"
	[ "$mode" = ro ] && pre=(setpriv "--bounding-set=-dac_override,-fowner")
	FEED_FIFO=$TMP/b.fifo
	start_feed --count 1500 --interval 0.004 --size 200 --step 0.01
	start_mtc_cmd "$e" "${pre[@]}" "$MTRACECAP" -v -s 0 -U -G 1 -B "pcapfile:$OUT" \
	    "pcapfile:$TMP/b.fifo"
	sleep 1.2
	if [ "$mode" = gone ]; then
		mv "$OUT" "$OUT.gone"
		wait_msg "$e" 'No such file' ||
		    fail "$what: no 'No such file or directory' message"
	else
		chmod 0555 "$OUT"
		wait_msg "$e" 'Permission denied' ||
		    fail "$what: no 'Permission denied' message"
	fi
	sleep 2
	if [ "$mode" = gone ]; then
		# the file being written when the directory went: not ours to judge
		rm -f "$OUT.gone"/tmp-*
		mkdir "$OUT"
	else
		chmod 0755 "$OUT"
	fi
	reap "$what" 20
	if [ "$mode" = ro ]; then
		# the file complete when the directory became read-only can
		# neither be renamed nor removed: it must be said, and valid
		local st
		st=$(sed -n "s/.*it stays as '\([^']*\)'.*/\1/p" "$e")
		for f in "$OUT"/tmp-*; do
			[ -e "$f" ] || continue
			if [ "$f" != "$st" ]; then
				fail "$what: $f left without a word (said: '$st')"
			elif ! tcpdump -r "$f" -w /dev/null 2>/dev/null; then
				fail "$what: $f (left, said so) is not a valid pcap"
			fi
			rm -f "$f"
		done
	fi
	if [ "$mode" = gone ]; then
		verdict "$what" "$e" 1500 'No such file' 8 "$OUT" "$OUT.gone"
	else
		verdict "$what" "$e" 1500 'Permission denied' 8 "$OUT"
	fi
	passed "$what: few messages, counted losses, resumes, valid files, exit 1"
}
dir_fault "output directory removed" gone
dir_fault "output directory read-only" ro

# --- (c) one input fails, the others go on -----------------------------------
# c1: two live veth inputs, -G 1; 1 s in, the first veth is deleted while
# 200 packets/s keep arriving on the second: the input is reported down
# (mtracecap tries to reopen it, #15), files keep coming (the merge does
# not wait for the missing input), and the exit status is 0: a gap loses
# nothing that was handed to us; the totals count the gap.
probe=$(uniq_name mtcp)
if command -v tcpreplay >/dev/null 2>&1 && ip netns add "$probe" 2>/dev/null; then
	ip netns del "$probe"
	. "$(dirname "$0")/live_lib.sh"
	section
	live_setup mtcfn mtcf
	python3 "$MKPCAP" "$TMP/c1.pcap" --id 1 --size 100 --count 400
	python3 "$MKPCAP" "$TMP/c2.pcap" --id 2 --size 100 --count 800
	start_capture "$TMP/c" -s 0 -U -G 1 -B "pcapfile:$TMP/c" \
	    "pcapint:$IF1" "pcapint:$IF2" && {
		replay_start "$NS1" "${IF1}p" "$TMP/c1.pcap" 400 \
		    "$NS2" "${IF2}p" "$TMP/c2.pcap" 200
		sleep 1
		ip link del "$IF1"
		wait_msg "$CAP_ERR" "input 'pcapint:$IF1' is down" ||
		    fail "veth deleted: no 'input pcapint:$IF1 is down' message: $(tail -3 "$CAP_ERR")"
		sleep 1
		before=$(find "$TMP/c" -name '2*' | wc -l)
		sleep 2.2
		after=$(find "$TMP/c" -name '2*' | wc -l)
		[ "$after" -ge $((before + 2)) ] ||
		    fail "veth deleted: $before files 1 s after, $after 2.2 s later: the merge stalls"
		for p in "${REPLAY_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
		REPLAY_PIDS=()
		kill -TERM "$CAP_PID"
		if wait_exit "$CAP_PID" 3; then
			RC=0
			wait "$CAP_PID" || RC=$?
		else
			fail "veth deleted: no exit 3 s after SIGTERM"
			kill -9 "$CAP_PID"; RC=999
		fi
		CAP_PID=
		[ "$RC" -eq 0 ] ||
		    fail "veth deleted: exit status $RC, want 0 (a gap is not a loss)"
		grep -q "^mtracecap: total: .* gaps=1 reopens=0\$" "$CAP_ERR" ||
		    fail "veth deleted: the totals do not count one gap and no reopen: $(grep total: "$CAP_ERR")"
		grep -q "input=0 pcapint:$IF1: gaps=1 reopens=0 down_s=" "$CAP_ERR" ||
		    fail "veth deleted: no gap line for input 0"
		! grep -q "(input failed)" "$CAP_ERR" ||
		    fail "veth deleted: an input is marked failed"
		mv "$CAP_ERR" "$TMP/c.err"
		check_files "veth deleted" "$TMP/c"
		n2=$(for f in "$TMP"/c/2*; do tcpdump -nn -r "$f" 2>/dev/null; done | grep -c '198.18.2.1' || true)
		[ "$n2" -eq 800 ] ||
		    fail "veth deleted: $n2 of the 800 packets sent on the other veth are in the files"
		echo "  veth deleted: $NFILES files, $NPK packets, $n2 of 800 from the other input" >&2
	}
	passed "a veth deleted mid-capture: reported down, the other input goes on, a gap, exit 0"
else
	echo "SKIP part: no tcpreplay or no network namespaces: veth deletion not tested" >&2
fi

# c2: a pcap file cut mid-record, and one with garbage after a valid
# prefix, each merged with a good file: the bad input is reported, and the
# output holds everything readable from it (as tcpdump reads it) and all of
# the good one; exit status 1.
section
use_mkpcap
$MK "$D/good.pcap" --id 1 --size 120 --count 500 --step-us 1000
$MK "$D/bad.pcap" --id 2 --size 120 --count 500 --step-us 1100
sz=$(stat -c %s "$D/bad.pcap")
head -c $((sz / 2 + 37)) "$D/bad.pcap" >"$D/cut.pcap"
{ head -c $((sz / 3 + 16 * 300 + 13)) "$D/bad.pcap"; head -c 4000 /dev/zero | tr '\0' '\377'; } >"$D/junk.pcap"
for bad in cut junk; do
	out=$TMP/c2-$bad.pcap
	want=$(tcpdump -nn -r "$D/$bad.pcap" 2>/dev/null | grep -c '198\.18\.2\.1' || true)
	RC=0
	"$MTRACECAP" -s 0 "pcapfile:$out" "$D/good.pcap" "$D/$bad.pcap" \
	    2>"$TMP/c2.err" || RC=$?
	[ "$RC" -eq 1 ] || fail "$bad file input: exit status $RC, want 1: $(tail -2 "$TMP/c2.err")"
	grep -q "input '$D/$bad.pcap' failed" "$TMP/c2.err" ||
	    fail "$bad file input: no 'input ... failed' message naming it: $(head -3 "$TMP/c2.err")"
	if ! tcpdump -nn -r "$out" >"$TMP/c2.txt" 2>/dev/null; then
		fail "$bad file input: tcpdump cannot read the output"
	fi
	g=$(grep -c '198\.18\.1\.1' "$TMP/c2.txt" || true)
	b=$(grep -c '198\.18\.2\.1' "$TMP/c2.txt" || true)
	[ "$g" -eq 500 ] || fail "$bad file input: $g of the good file's 500 packets in the output"
	[ "$b" -eq "$want" ] ||
	    fail "$bad file input: $b packets of the bad file in the output, tcpdump reads $want from it"
	w=$(totv "$TMP/c2.err" written)
	[ "$w" = $((g + b)) ] || fail "$bad file input: totals say written=$w, the file holds $((g + b))"
	echo "  $bad file: $g good + $b of the bad one ($want readable) written: $(grep failed "$TMP/c2.err" | head -1)" >&2
done
passed "a truncated or corrupt file input: reported, its readable part and all of the good one merged, exit 1"

# --- (d) a slow consumer ---------------------------------------------------
# the rest of a process beside its queues and buffers, for the memory
# bounds of the slow-consumer parts (TSan's runtime and shadow memory
# take about 15 MiB more)
REST=16
# ASan: its shadow of the libraries #16 links (libmicrohttpd) passes 16
sanitizer_build asan && REST=20
sanitizer_build tsan && REST=32

# --pipeout runs a command that sleeps 4 s before it reads anything; 80000
# packets of 500 bytes (40 MB) come as fast as a FIFO takes them.  The
# pipe and the 2 MiB queue fill, the feeder is held back (back-pressure,
# nothing dropped: a FIFO input waits), the peak memory (VmHWM) stays
# below the queue, the output buffer and a margin, and once the command
# reads, everything is written: a complete gzip file of 80000 packets,
# exit status 0.
section
printf '#!/bin/sh\nsleep 4\nexec gzip -1\n' >"$TMP/slow.sh"
chmod +x "$TMP/slow.sh"
FEED_FIFO=$TMP/d.fifo
start_feed --count 80000 --size 500 --step 0.0001
start_mtc_cmd "$TMP/d.err" "$MTRACECAP" -s 0 --queue-size 2 --pipeout="$TMP/slow.sh" \
    "pcapfile:$TMP/d.pcap.gz" "pcapfile:$TMP/d.fifo"
hwm=0
t0=$(date +%s%N)
sleep 2
stalled=$(fed)
while kill -0 "$MTC_PID" 2>/dev/null; do
	h=$(awk '/^VmHWM:/ {print $2}' "/proc/$MTC_PID/status" 2>/dev/null || true)
	[ -z "$h" ] || [ "$h" -le "$hwm" ] || hwm=$h
	[ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 30 ] || break
	sleep 0.05
done
reap "slow consumer" 10
[ "$stalled" -lt 40000 ] ||
    fail "slow consumer: $stalled packets taken 2 s into a 4 s stall: no back-pressure?"
[ "$RC" -eq 0 ] || fail "slow consumer: exit status $RC, want 0: $(tail -3 "$TMP/d.err")"
gzip -t "$TMP/d.pcap.gz" 2>/dev/null || fail "slow consumer: gzip -t fails on the output"
gzip -dc "$TMP/d.pcap.gz" >"$TMP/d.pcap" 2>/dev/null || true
n=$(npackets "$TMP/d.pcap")
[ "$n" -eq 80000 ] || fail "slow consumer: $n of 80000 packets in the output"
grep -q '^mtracecap: total: files=1 written=80000 lost=0 ' "$TMP/d.err" ||
    fail "slow consumer: totals: $(grep total: "$TMP/d.err" || echo none)"
# 1 input x 2 MiB queue + 1 MiB output buffer + REST MiB for the rest
limit=$(( (2 + 1 + REST) * 1024 ))
{ [ "$hwm" -gt 0 ] && [ "$hwm" -le "$limit" ]; } ||
    fail "slow consumer: peak memory VmHWM=${hwm} kB, want <= $limit kB (40 MB went through)"
echo "  slow consumer: $stalled packets fed 2 s into the stall, VmHWM $hwm kB (limit $limit), $n packets written" >&2
passed "a stalled --pipeout command: back-pressure, bounded memory, complete file"

# d2: the same stall on a live input (the veth left from c1): the queue
# (1 MiB) and the kernel ring (--capture-buffer 1) fill while 20000
# frames of 500 bytes arrive in 2 s; the kernel drops what does not fit
# and mtracecap counts it (read + dropped_by_kernel = sent, nothing else
# lost), memory stays bounded, and once the command reads, capture
# resumes: every frame of a second, slower burst is in the file.
if [ -n "${IF2:-}" ] && ip link show "$IF2" >/dev/null 2>&1; then
	section
	printf '#!/bin/sh\nsleep 3\nexec cat\n' >"$TMP/slow2.sh"
	chmod +x "$TMP/slow2.sh"
	python3 "$MKPCAP" "$TMP/d2a.pcap" --id 3 --size 500 --count 20000
	python3 "$MKPCAP" "$TMP/d2b.pcap" --id 4 --size 100 --count 300
	if start_capture "$TMP/d2" -s 0 --queue-size 1 --capture-buffer 1 \
	    --pipeout="$TMP/slow2.sh" "pcapfile:$TMP/d2/out.pcap" "pcapint:$IF2"; then
		hwm=0
		replay_start "$NS2" "${IF2}p" "$TMP/d2a.pcap" 10000
		while [ "${#REPLAY_PIDS[@]}" -gt 0 ] && kill -0 "${REPLAY_PIDS[0]}" 2>/dev/null; do
			h=$(awk '/^VmHWM:/ {print $2}' "/proc/$CAP_PID/status" 2>/dev/null || true)
			[ -z "$h" ] || [ "$h" -le "$hwm" ] || hwm=$h
			sleep 0.05
		done
		replay_wait
		sleep 3	# the command reads now
		replay "$NS2" "${IF2}p" "$TMP/d2b.pcap" 300
		sleep 0.5
		h=$(awk '/^VmHWM:/ {print $2}' "/proc/$CAP_PID/status" 2>/dev/null || true)
		[ -z "$h" ] || [ "$h" -le "$hwm" ] || hwm=$h
		kill -TERM "$CAP_PID"
		RC=0
		if wait_exit "$CAP_PID" 5; then
			wait "$CAP_PID" || RC=$?
		else
			fail "live slow consumer: no exit 5 s after SIGTERM"
			kill -9 "$CAP_PID"; RC=999
		fi
		CAP_PID=
		rd=$(inval 0 read) dr=$(inval 0 dropped_by_kernel) wr=$(totval written) lo=$(totval lost)
		echo "  live slow consumer: sent 20300, read=$rd dropped_by_kernel=$dr written=$wr lost=$lo exit=$RC VmHWM=${hwm} kB" >&2
		[ "$RC" -eq 0 ] || fail "live slow consumer: exit status $RC, want 0 (kernel drops are reported, not a failure): $(tail -3 "$CAP_ERR")"
		[ "${dr:-0}" -gt 0 ] || fail "live slow consumer: no kernel drops reported: a 10 MB burst into 2 MiB of buffers"
		[ "$(( ${rd:-0} + ${dr:-0} ))" -eq 20300 ] ||
		    fail "live slow consumer: read $rd + dropped $dr != 20300 sent"
		[ "$wr" = "$rd" ] && [ "$lo" = 0 ] ||
		    fail "live slow consumer: written=$wr lost=$lo, want written=$rd lost=0"
		n=$(npackets "$TMP/d2/out.pcap")
		[ "$n" = "$rd" ] || fail "live slow consumer: $n packets in the file, $rd read"
		nb=$(tcpdump -nn -r "$TMP/d2/out.pcap" 2>/dev/null | grep -c '198.18.4.1' || true)
		# capture resumes (on a loaded machine the kernel may still drop
		# a frame or two right after the stall: counted above)
		[ "$nb" -ge 290 ] || fail "live slow consumer: $nb of the 300 frames sent after the stall captured"
		# 1 MiB queue + 1 MiB ring + 1 MiB output buffer + REST MiB
		limit=$(( (1 + 1 + 1 + REST) * 1024 ))
		[ "$hwm" -gt 0 ] && [ "$hwm" -le "$limit" ] ||
		    fail "live slow consumer: VmHWM=${hwm} kB, want <= $limit kB"
		passed "a stalled --pipeout command on a live input: drops counted, bounded memory, capture resumes"
	fi
fi
# d3: a --pipeout command that never reads ('sleep 1000'), and one that
# also ignores SIGTERM.  The writer must not block without bound on it:
# SIGTERM ends the run within the stop time of the man page (5 s after
# the command last took input, then SIGTERM and, 2 s later, SIGKILL to
# the command), the command is gone, its file is kept as out.pcap.failed,
# every packet it read is counted lost, exit status 1.  A large input fills the
# pipe (the writer waits in write()), a small one fits in it (the wait is
# for the command to drain and exit).
$MK "$TMP/d3big.pcap" --count 4000 --size 500
$MK "$TMP/d3small.pcap" --count 20 --size 100
# stalled WHAT INPUT N CMD: run, SIGTERM after 1 s, check as above
stalled() {
	local what=$1 in=$2 n=$3 cmd=$4 dir=$TMP/d3.$RANDOM child i=0 t0 took read
	mkdir "$dir"
	start_mtc_cmd "$dir.err" "$MTRACECAP" -s 0 --pipeout="$cmd" \
	    "pcapfile:$dir/out.pcap" "pcapfile:$in"
	until child=$(pgrep -P "$MTC_PID" sleep) || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -n "$child" ] && on_exit "kill -9 $child 2>/dev/null"
	sleep 1
	t0=$(date +%s%N)
	kill -TERM "$MTC_PID"
	reap "$what: SIGTERM" 12
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$RC" -eq 1 ] || fail "$what: exit status $RC, want 1: $(tail -3 "$dir.err")"
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		fail "$what: the command (pid $child) still runs after mtracecap exited"
	fi
	[ -e "$dir/out.pcap" ] && fail "$what: out.pcap exists: a stalled stream got the final name"
	[ -e "$dir/out.pcap.failed" ] || fail "$what: no out.pcap.failed: $(ls "$dir")"
	ls "$dir" | grep -q '^tmp-' && fail "$what: temp file left: $(ls "$dir")"
	# every packet read is lost; a file input read in place by the
	# writer's thread stops being read at the signal, so that may be
	# fewer than the file holds (a reader thread reads ahead into its
	# queue: all of them, here)
	read=$(sed -n 's/^mtracecap: input=0 .* read=\([0-9]*\) .*/\1/p' "$dir.err")
	[ "$(totv "$dir.err" written)" = 0 ] && [ -n "$read" ] &&
	    [ "$read" -gt 0 ] && [ "$read" -le "$n" ] &&
	    [ "$(totv "$dir.err" lost)" = "$read" ] ||
	    fail "$what: totals $(grep -E 'total:|input=0' "$dir.err" || echo none), want written=0 lost=read (<= $n)"
	grep -q "^mtracecap: .*--pipeout command took none of its input for 5 s after the stop signal" "$dir.err" ||
	    fail "$what: no line saying the command took nothing: $(head -c 400 "$dir.err")"
	echo "  $what: stopped $took ms after SIGTERM, exit $RC" >&2
}
section
stalled "--pipeout='sleep 1000', pipe full" "$TMP/d3big.pcap" 4000 'sleep 1000'
grep -q "^mtracecap: '.*out.pcap': ended --pipeout command (pid [0-9]*) with SIGTERM$" "$TMP"/d3.*.err ||
    fail "sleep 1000: no line saying it was ended with SIGTERM"
rm -f "$TMP"/d3.*.err
stalled "--pipeout ignoring SIGTERM, small stream" "$TMP/d3small.pcap" 20 \
    "sh -c 'trap \"\" TERM; exec sleep 1000'"
grep -q "^mtracecap: '.*out.pcap': .*; ended --pipeout command (pid [0-9]*) with SIGKILL after SIGTERM$" "$TMP"/d3.*.err ||
    fail "a command ignoring SIGTERM: no line saying it got SIGKILL"
passed "a --pipeout command that never reads: SIGTERM still ends the run, the command is ended, .failed, lost, exit 1"

# --- (e) a single output that is a link to a block device -----------------
# Only a fifo or a character device is written in place; a link to a
# block device (a loop device on a zeroed image here) is replaced by the
# rename like any other name, and the device is never written.
if command -v losetup >/dev/null 2>&1 &&
    truncate -s 4M "$TMP/blk.img" &&
    LOOP=$(losetup -f --show "$TMP/blk.img" 2>/dev/null); then
	on_exit "losetup -d $LOOP"
	section
	mkdir "$TMP/e"
	ln -s "$LOOP" "$TMP/e/out.pcap"
	RC=0
	"$MTRACECAP" -s 0 "pcapfile:$TMP/e/out.pcap" "pcapfile:$TMP/d3small.pcap" \
	    2>"$TMP/e.err" || RC=$?
	[ "$RC" -eq 0 ] || fail "link to a block device: exit $RC: $(head -c 300 "$TMP/e.err")"
	cmp -s -n 4194304 "$LOOP" /dev/zero ||
	    fail "link to a block device: $LOOP was written through the link"
	if [ -L "$TMP/e/out.pcap" ] || [ ! -f "$TMP/e/out.pcap" ]; then
		fail "link to a block device: out.pcap is not a regular file now: $(ls -l "$TMP/e/out.pcap")"
	else
		[ "$(npackets "$TMP/e/out.pcap")" = 20 ] ||
		    fail "link to a block device: out.pcap does not hold the 20 packets"
	fi
	passed "a single output linked to a block device: the link is replaced, the device untouched"
else
	echo "  no loop device: the block device case is not run" >&2
fi

# --- (f) the cut after a write error fails ---------------------------------
# A file size limit of 1.5 MiB makes the second 1 MiB flush a short write
# (a torn record) and then EFBIG; tests/tools/notrunc.c makes ftruncate()
# fail, so the torn record cannot be cut off.  That file must never get
# its final name as a good file: it is kept as out.pcap.failed, its
# packets are lost, exit 1.  Without the shim the same run keeps a valid
# prefix under the final name (the setup really tears a record).
if cc -shared -fPIC -o "$TMP/notrunc.so" "$TESTS_SRCDIR/tools/notrunc.c" 2>"$TMP/cc.err"; then
	$MK "$TMP/f.pcap" --count 2000 --size 1500
	# limited WHAT DIR PRELOAD: mtracecap under ulimit -f 1536, sets RC
	limited() {
		mkdir "$2"
		RC=0
		( ulimit -f 1536; trap '' XFSZ
		  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
		  LD_PRELOAD=$3 exec "$MTRACECAP" -s 0 "pcapfile:$2/out.pcap" \
		      "pcapfile:$TMP/f.pcap" ) 2>"$2.err" || RC=$?
	}
	section
	limited "control" "$TMP/f1" ""
	[ "$RC" -eq 1 ] || fail "file size limit: exit $RC, want 1: $(tail -2 "$TMP/f1.err")"
	if [ -f "$TMP/f1/out.pcap" ] && tcpdump -r "$TMP/f1/out.pcap" -w /dev/null 2>/dev/null; then
		w=$(totv "$TMP/f1.err" written)
		[ "$(npackets "$TMP/f1/out.pcap")" = "$w" ] && [ "$w" -gt 0 ] ||
		    fail "file size limit: out.pcap holds $(npackets "$TMP/f1/out.pcap") packets, totals say written=$w"
	else
		fail "file size limit: no valid out.pcap: $(ls "$TMP/f1") $(tail -2 "$TMP/f1.err")"
	fi
	limited "ftruncate fails" "$TMP/f2" "$TMP/notrunc.so"
	[ "$RC" -eq 1 ] || fail "ftruncate fails: exit $RC, want 1: $(tail -2 "$TMP/f2.err")"
	if [ -e "$TMP/f2/out.pcap" ]; then
		fail "ftruncate fails: the file got its final name: $(tcpdump -r "$TMP/f2/out.pcap" -w /dev/null 2>&1 | tail -1)"
	fi
	[ -e "$TMP/f2/out.pcap.failed" ] || fail "ftruncate fails: no out.pcap.failed: $(ls "$TMP/f2")"
	ls "$TMP/f2" | grep -q '^tmp-' && fail "ftruncate fails: temp file left: $(ls "$TMP/f2")"
	[ "$(totv "$TMP/f2.err" written)" = 0 ] && [ "$(totv "$TMP/f2.err" lost)" = 2000 ] ||
	    fail "ftruncate fails: totals $(grep 'total:' "$TMP/f2.err" || echo none), want written=0 lost=2000"
	grep -q "^mtracecap: cannot cut '.*tmp-[0-9]*-out.pcap' back to its last complete record ([0-9]* bytes): Input/output error; it will be kept as '.*out.pcap.failed'$" "$TMP/f2.err" ||
	    fail "ftruncate fails: no line naming the failed cut: $(head -c 400 "$TMP/f2.err")"
	passed "a torn record that cannot be cut off: .failed, never the final name, lost, exit 1"
else
	fail "cannot build the ftruncate shim: $(head -3 "$TMP/cc.err")"
fi

# --- (g) files that fail at their close, from two inputs ----------------------
# A --pipeout command that takes the whole stream (cat) but exits 1 for
# every other file: those are kept as NAME.failed and their packets lost.
# The losses must be charged to the inputs they came from: per input,
# written = its packets in the good files, lost = its packets in the
# .failed ones, written + lost = read; files= and -v count good files only.
section
use_mkpcap
$MK "$D/g1.pcap" --id 1 --size 100 --count 300 --step-us 10000
$MK "$D/g2.pcap" --id 2 --size 100 --count 200 --step-us 15000
mkdir -p "$TMP/g"
RC=0
"$MTRACECAP" -v -s 0 -U -G 1 -B "pcapfile:$TMP/g" \
    --pipeout="sh -c 'cat; n=\$(cat $TMP/g.count 2>/dev/null || echo 0); echo \$((n + 1)) >$TMP/g.count; [ \$((n % 2)) = 1 ]'" \
    "$D/g1.pcap" "$D/g2.pcap" 2>"$TMP/g.err" || RC=$?
[ "$RC" -eq 1 ] || fail "failing closes: exit status $RC, want 1: $(tail -2 "$TMP/g.err")"
ngood=0 nbad=0
for id in 1 2; do
	eval "good$id=0 bad$id=0"
done
for f in "$TMP"/g/*; do
	n1=$(tcpdump -nn -r "$f" 2>/dev/null | grep -c ' 198\.18\.1\.1\.' || true)
	n2=$(tcpdump -nn -r "$f" 2>/dev/null | grep -c ' 198\.18\.2\.1\.' || true)
	case $f in
	*.failed) nbad=$((nbad + 1)); bad1=$((bad1 + n1)); bad2=$((bad2 + n2)) ;;
	*) ngood=$((ngood + 1)); good1=$((good1 + n1)); good2=$((good2 + n2)) ;;
	esac
done
[ "$ngood" -ge 1 ] && [ "$nbad" -ge 1 ] ||
    fail "failing closes: $ngood good and $nbad .failed files, want some of each: $(ls "$TMP/g")"
for i in 0 1; do
	id=$((i + 1))
	line=$(grep "^mtracecap: input=$i " "$TMP/g.err" || true)
	r=$(field read "$line") w=$(field written "$line") l=$(field lost "$line")
	eval "g=\$good$id b=\$bad$id"
	[ "$r" = $((g + b)) ] || fail "failing closes: input $i read=$r, the files hold $((g + b)) of its packets"
	[ "$w" = "$g" ] && [ "$l" = "$b" ] ||
	    fail "failing closes: input $i says written=${w:-?} lost=${l:-?}, its packets are $g in good files and $b in .failed ones: '$line'"
done
[ "$(totv "$TMP/g.err" files)" = "$ngood" ] ||
    fail "failing closes: total says files=$(totv "$TMP/g.err" files), $ngood good files"
n=$(grep -c '^mtracecap: file ' "$TMP/g.err" || true)
[ "$n" = "$ngood" ] || fail "failing closes: $n -v file lines, $ngood good files"
echo "  failing closes: $ngood good files ($good1 + $good2 packets), $nbad .failed ($bad1 + $bad2)" >&2
passed "files that fail at their close: losses charged to their inputs, files= and -v count good files"

finish
