#!/usr/bin/env bash
# signal_storm.sh - 200 runs, each stopped by a signal at a random moment
# (0-300 ms after mtracecap blocked its signals): SIGTERM, SIGINT, or
# SIGHUP then SIGTERM; single files, -G 1 and -S 1 rotation, --pipeout
# 'gzip -1', -Z gz; FIFO feeders and file inputs.  Every run: no exit by a
# signal and no sanitizer report, exit 0 within 3 s of the stop signal, no
# tmp- file, every file valid (tcpdump -r, gzip -t), and the packets in the
# files add up to "written" in the totals line, with lost=0.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "200 random stops, on the paths signals.sh takes"
need_cmd python3 tcpdump capinfos gzip
use_mkpcap

RUNS=${STORM_RUNS:-200}
PAR=${STORM_PAR:-4}

# The runs write into a tmpfs where there is one: what is tested is how
# mtracecap stops, not the disk (fast_tmp in lib.sh).
fast_tmp
RUNDIR=$FAST_TMP

# file inputs, big enough that a merge takes a few hundred ms
$MK "$D/f1.pcap" --id 1 --size 200 --count 60000 --step-us 100
$MK "$D/f2.pcap" --id 2 --size 200 --count 60000 --step-us 100 --start $((S + 1))

# ok_file F: F (pcap, or gzip of pcap if named *.gz) is valid; prints
# its packet count, or "bad: why"
ok_file() {
	local f=$1 p=$1
	case $f in
	*.gz)
		gzip -t "$f" 2>/dev/null || { echo "bad: gzip -t fails"; return; }
		p=${f%.gz}.check
		gzip -dc "$f" >"$p" ;;
	esac
	if ! tcpdump -nn -r "$p" -w /dev/null 2>/dev/null; then
		echo "bad: tcpdump cannot read it"
	else
		npackets "$p"
	fi
	[ "$p" = "$f" ] || rm -f "$p"
}

# run_one I: one run in $RUNDIR/rI; failures as lines in $TMP/rI.fail,
# a summary line in $TMP/rI.sum
run_one() {
	local i=$1 dir=$RUNDIR/r$1 mode sig delay args=() ins=() feed='' pid rc=0 t0 t1
	local e out f n sum=0 w l files=0 what
	exec 3>"$TMP/r$i.fail"
	mkdir -p "$dir/out"
	e=$dir/stderr
	out=$dir/out
	mode=$(( (i * 7 + RANDOM) % 7 ))
	case $(( RANDOM % 6 )) in
	0) sig=INT ;;
	1) sig=HUP ;;
	*) sig=TERM ;;
	esac
	delay=$(( RANDOM % 301 ))
	case $mode in
	0) args=("pcapfile:$out/out.pcap") ;;
	1) args=(-G 1 -U -B "pcapfile:$out") ;;
	2) args=(-S 1 -U -B "pcapfile:$out") ;;
	3) args=(-G 1 -U --pipeout='gzip -1' --file-ext=.pcap.gz -B "pcapfile:$out") ;;
	4) args=(-Z gz "pcapfile:$out/out.pcap.gz") ;;
	5) args=(-S 1 -U -B "pcapfile:$out") ;;	# file inputs
	6) args=(-Z gz -G 1 -U --file-ext=.pcap.gz -B "pcapfile:$out") ;;	# file inputs
	esac
	if [ "$mode" -ge 5 ]; then
		ins=("$D/f1.pcap" "$D/f2.pcap")
	else
		mkfifo "$dir/fifo"
		# a pcap header and the packets (stamped 10 ms apart) into
		# the FIFO, then silence with the pipe open until killed
		if [ "$mode" = 2 ]; then
			python3 "$TESTS_SRCDIR/tools/feed.py" --fifo "$dir/fifo" \
			    --count 6000 --size 1200 --step-us 10000 --idle 3600 &
		else
			python3 "$TESTS_SRCDIR/tools/feed.py" --fifo "$dir/fifo" \
			    --count 100000 --gap 0.0005 --size 300 --step-us 10000 \
			    --idle 3600 &
		fi
		feed=$!
		ins=("pcapfile:$dir/fifo")
	fi
	"$MTRACECAP" -s 0 "${args[@]}" "${ins[@]}" 2>"$e" &
	pid=$!
	what="run $i (mode $mode: ${args[*]:0:4}; SIG$sig after $delay ms)"
	if ! wait_ready "$pid" 2>/dev/null; then
		# file inputs may be done before signals are blocked: fine
		if kill -0 "$pid" 2>/dev/null; then
			echo "$what: signals not blocked within 2 s" >&3
		fi
	fi
	sleep "$(printf '0.%03d' "$delay")"
	t0=$(date +%s%N)
	if [ "$sig" = HUP ]; then
		kill -HUP "$pid" 2>/dev/null || true
		sleep 0.$(( RANDOM % 10 ))
		t0=$(date +%s%N)
		kill -TERM "$pid" 2>/dev/null || true
	else
		kill "-$sig" "$pid" 2>/dev/null || true
	fi
	if ! wait_exit "$pid" 3; then
		# what each thread waits in: a D state (an fsync behind
		# writeback) differs from a lock or a poll
		echo "$what: still running 3 s after the signal (hang); threads (tid comm state wchan): $(thread_states "$pid"); SIGABRT" >&3
		kill -ABRT "$pid" 2>/dev/null || true
		sleep 1
		kill -9 "$pid" 2>/dev/null || true
	fi
	t1=$(date +%s%N)
	wait "$pid" || rc=$?
	[ -z "$feed" ] || { kill_child "$feed"; wait "$feed" 2>/dev/null; } || true
	if [ "$rc" -ge 128 ]; then
		echo "$what: killed by signal $((rc - 128))" >&3
	elif [ "$rc" -ne 0 ]; then
		echo "$what: exit status $rc: $(grep -v '^mtracecap: *\(input\|file\)' "$e" | head -c 400)" >&3
	fi
	if grep -qE 'Sanitizer|runtime error' "$e"; then
		echo "$what: sanitizer report: $(grep -E 'Sanitizer|runtime error' "$e" | head -2)" >&3
	fi
	for f in "$out"/*; do
		[ -e "$f" ] || continue
		case $(basename "$f") in
		tmp-*) echo "$what: temp file left: $(basename "$f")" >&3; continue ;;
		esac
		n=$(ok_file "$f")
		case $n in
		bad*) echo "$what: $(basename "$f"): $n" >&3; continue ;;
		esac
		sum=$((sum + n))
		files=$((files + 1))
	done
	w=$(sed -n 's/^mtracecap: total: .*written=\([0-9]*\).*/\1/p' "$e")
	l=$(sed -n 's/^mtracecap: total: .*lost=\([0-9]*\).*/\1/p' "$e")
	if [ -z "$w" ]; then
		echo "$what: no totals line" >&3
	else
		[ "$w" = "$sum" ] ||
		    echo "$what: the files hold $sum packets, the totals say written=$w" >&3
		[ "$l" = 0 ] || echo "$what: lost=$l" >&3
	fi
	echo "$mode $sig $delay $(( (t1 - t0) / 1000000 )) $files $sum" >"$TMP/r$i.sum"
	exec 3>&-
	rm -rf "$dir"
}

start=$(date +%s)
RANDOM=$(( $$ % 32768 ))
for i in $(seq 1 "$RUNS"); do
	run_one "$i" &
	while [ "$(jobs -pr | wc -l)" -ge "$PAR" ]; do wait -n || true; done
done
wait
nf=0
for i in $(seq 1 "$RUNS"); do
	if [ -s "$TMP/r$i.fail" ]; then
		while IFS= read -r line; do fail "$line"; done <"$TMP/r$i.fail"
		nf=$((nf + 1))
	fi
	[ -e "$TMP/r$i.sum" ] || fail "run $i left no summary"
done
cat "$TMP"/r*.sum 2>/dev/null | awk -v secs=$(( $(date +%s) - start )) '
	{ n++; t = $4; if (t > max) max = t; s += t; p += $6; f += $5 }
	END { printf "  %d runs in %d s: stop took %d ms at most, %.0f ms on average; %d files, %d packets checked\n",
	    n, secs, max, s / n, f, p }' >&2
[ "$nf" -eq 0 ] && pass "$RUNS signals at random moments: no crash, no hang, no tmp-, valid files, counts agree"
finish
