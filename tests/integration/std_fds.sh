#!/usr/bin/env bash
# std_fds.sh - started with standard descriptors closed (`2>&-`, as a
# careless init script or cron line does), mtracecap must not hand them to
# its files: with fd 2 closed, 1.0.0's first output file got fd 2 and the
# -v log lines went into the capture files.  Every variant must exit 0 and
# write files that tcpdump and capinfos read whole, holding every packet.
# Output '-' with standard output closed is refused (it would be
# /dev/null).
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "closed standard descriptors at start"
need_cmd python3 tcpdump capinfos
use_mkpcap

IN=$D/in.pcap
N=3000
# 30 s of packets: -G 2 cuts 15 files, and -v logs a line for each
$MK "$IN" --count $N --start $S --step-us 10000

# check_files WHAT FILE...: every file reads whole, N packets in all
check_files() {
	local what=$1 f c total=0
	shift
	for f in "$@"; do
		# tcpdump says only "reading from file ..." about a good file
		if ! tcpdump -r "$f" -nn >/dev/null 2>"$TMP/tcpdump.err" ||
		    grep -qv '^reading from file' "$TMP/tcpdump.err"; then
			fail "$what: tcpdump cannot read $(basename "$f"): $(head -c 200 "$TMP/tcpdump.err")"
			continue
		fi
		if ! capinfos -M -c "$f" >/dev/null 2>&1; then
			fail "$what: capinfos cannot read $(basename "$f")"
			continue
		fi
		c=$(npackets "$f")
		[ "$(records "$f" | grep -c '^[0-9]')" -eq "$c" ] ||
		    fail "$what: $(basename "$f"): tcpdump and capinfos disagree"
		total=$((total + c))
	done
	[ "$total" -eq "$N" ] ||
	    fail "$what: files hold $total packets, want $N"
}

for closed in "2>&-" "1>&-" "0<&-" "1>&- 2>&-" "0<&- 2>&-" \
    "0<&- 1>&- 2>&-"; do
	# rotating: 15 files
	OUT=$TMP/out
	rm -rf "$OUT"
	mkdir -p "$OUT"
	rc=0
	rm -f "$TMP/log"
	eval "\"\$MTRACECAP\" -v -G 2 -B \"pcapfile:\$OUT\" \"\$IN\"" \
	    "2>\"\$TMP/log\" $closed" || rc=$?
	[ "$rc" -eq 0 ] || fail "-B, started with $closed: exit $rc, want 0"
	case $closed in
	*2*) ;;
	*) grep -q '^mtracecap: total: files=15 written=3000 lost=0' \
	    "$TMP/log" || fail "-B, started with $closed: no total line" ;;
	esac
	nfiles=$(find "$OUT" -type f | wc -l)
	[ "$nfiles" -eq 15 ] ||
	    fail "-B, started with $closed: $nfiles files, want 15"
	check_files "-B, started with $closed" "$OUT"/*
	# a single output file
	rm -f "$TMP/one.pcap"
	rc=0
	eval "\"\$MTRACECAP\" -v \"pcapfile:\$TMP/one.pcap\" \"\$IN\"" \
	    "2>\"\$TMP/log\" $closed" || rc=$?
	[ "$rc" -eq 0 ] || fail "one file, started with $closed: exit $rc, want 0"
	check_files "one file, started with $closed" "$TMP/one.pcap"
done

# output '-' with standard output closed: one line, exit 1, nothing else
rc=0
"$MTRACECAP" pcapfile:- "$IN" 1>&- 2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 1 ] || fail "pcapfile:- with 1>&-: exit $rc, want 1"
want="mtracecap: output '-': standard output was closed at start"
[ "$(cat "$TMP/stderr")" = "$want" ] ||
    fail "pcapfile:- with 1>&-: stderr '$(head -c 300 "$TMP/stderr")', want '$want'"
# open standard output: still written there
rc=0
"$MTRACECAP" pcapfile:- "$IN" >"$TMP/stdout.pcap" 2>/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "pcapfile:- to a file: exit $rc"
check_files "pcapfile:- to a file" "$TMP/stdout.pcap"

[ "$FAILS" -eq 0 ] && pass "closed 0/1/2 never reach a capture file"
finish
