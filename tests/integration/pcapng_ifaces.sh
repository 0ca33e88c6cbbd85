#!/usr/bin/env bash
# pcapng_ifaces.sh - a pcapng input's interfaces stay apart in pcapng
# output: merging two pcapng inputs of two interfaces each gives four IDBs
# (input 0's first), each with the input's own if_name and if_os; tshark
# puts every packet on the interface it had in its input (distinct source
# addresses per interface), capinfos -I lists the four, each packet keeps
# its epb_flags, and the statistics blocks count each interface's packets
# (isb_usrdeliv) while -v counts the input's.  The same for the two inputs
# as regular files, compressed with gzip (read through the decompressor
# child), and as streams (one on standard input, one through a FIFO).
# A pcapng stream that goes silent mid-block: its whole packets reach the
# output at once (nothing held back for a full read), and SIGTERM ends
# the run cleanly within the stop latency.
# Runs under TSan too: the stream reader publishes from its thread.
. "$(dirname "$0")/lib.sh"
need_cmd python3 tshark capinfos gzip
export LC_ALL=C

use_mkpcap
NG="python3 $TESTS_SRCDIR/tools/mkpcapng.py"
CHECK="python3 $TESTS_SRCDIR/tools/pcapng_check.py"

# input p: ids 10, 11; q: ids 20, 21; interfaces take turns in each
$NG "$D/p.pcapng" --count 400 --ifaces 2 --id 10 --flags --mtracecap --size 99
$NG "$D/q.pcapng" --count 300 --ifaces 2 --id 20 --flags --mtracecap \
    --start $S.0002 --size 201
# per interface of the inputs: packets, and each frame's epb_flags
for f in p q; do
	$CHECK "$D/$f.pcapng" --foreign --records "$TMP/$f.rec" --dump >"$TMP/$f.json"
done
read -r P0 P1 < <(awk '{ n[$1]++ } END { print n[0] + 0, n[1] + 0 }' "$TMP/p.rec")
read -r Q0 Q1 < <(awk '{ n[$1]++ } END { print n[0] + 0, n[1] + 0 }' "$TMP/q.rec")
[ $((P0 + P1)) = 400 ] && [ $((Q0 + Q1)) = 300 ] && [ "$P0" -gt 0 ] && [ "$Q1" -gt 0 ] ||
    fail "inputs: interfaces hold $P0+$P1 and $Q0+$Q1 packets (mkpcapng changed?)"
OS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["interfaces"][0]["os"])' "$TMP/p.json")

# four_ifaces WHAT OUT STDERR URI0 URI1: OUT, the merge of p (URI0) and q
# (URI1), has the four interfaces, each packet on its own with its
# epb_flags, and -v (STDERR) counts 400 and 300 packets per input
four_ifaces() {
	local what=$1 o=$2 err=$3
	ng_check "$what" "$o" --dump --records "$TMP/out.rec" >"$TMP/out.json" ||
	    return 0
	ng_check "$what: four interfaces" "$o" --ifaces 4 \
	    --names syn10,syn11,syn20,syn21 --counts "$P0,$P1,$Q0,$Q1" \
	    --if-os "$OS" \
	    --expect-isb "if=0,usrdeliv=$P0" --expect-isb "if=1,usrdeliv=$P1" \
	    --expect-isb "if=2,usrdeliv=$Q0" --expect-isb "if=3,usrdeliv=$Q1" || :
	by_iface "$what" "$o" 10:syn10 11:syn11 20:syn20 21:syn21
	capinfos_ifaces "$what" "$o" syn10 syn11 syn20 syn21
	c=$(tshark -r "$o" 2>/dev/null | wc -l)
	[ "$c" = 700 ] || fail "$what: tshark shows $c packets, want 700"
	# -v counts per input: the sum of its interfaces
	grep -q -F "mtracecap:     input=0 $4: packets=400 " "$err" &&
	    grep -q -F "mtracecap:     input=1 $5: packets=300 " "$err" ||
	    fail "$what: -v does not count 400 and 300 packets per input: $(grep 'input=' "$err" | head -2)"
	# epb_flags: every frame (bytes unique per interface and sequence
	# number) keeps its input's flags
	awk '{ print $6, $5 }' "$TMP/out.rec" | sort >"$TMP/got.flags"
	cmp -s "$TMP/want.flags" "$TMP/got.flags" ||
	    fail "$what: epb_flags not carried over: $(diff "$TMP/want.flags" "$TMP/got.flags" | grep -c '^>') frames differ"
}
awk '{ print $6, $5 }' "$TMP/p.rec" "$TMP/q.rec" | sort >"$TMP/want.flags"

# merge WHAT URI0 URI1 [< STDIN]: mtracecap -v pcapng:FILE URI0 URI1, then
# four_ifaces
merge() {
	local what=$1 o=$TMP/$RANDOM.pcapng rc=0
	"$MTRACECAP" -v -s 0 "pcapng:$o" "$2" "$3" 2>"$TMP/stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$what: exit $rc: $(head -c 400 "$TMP/stderr")"
		return 0
	fi
	four_ifaces "$what" "$o" "$TMP/stderr" "$2" "$3"
	rm -f "$o"
}

section
merge "files" "pcapfile:$D/p.pcapng" "pcapfile:$D/q.pcapng"
passed "two pcapng files of two interfaces each: four IDBs, every packet on its own, epb_flags kept"

section
gzip -c "$D/p.pcapng" >"$D/p.pcapng.gz"
gzip -c "$D/q.pcapng" >"$D/q.pcapng.gz"
merge "gzip'ed files" "$D/p.pcapng.gz" "pcapfile:$D/q.pcapng.gz"
passed "the same inputs gzip'ed: four IDBs, every packet on its own, epb_flags kept"

section
mkfifo "$TMP/q.fifo"
cat "$D/q.pcapng" >"$TMP/q.fifo" &
on_exit "kill_child $!"
merge "stdin and a FIFO" "pcapfile:-" "pcapfile:$TMP/q.fifo" <"$D/p.pcapng"
passed "the same inputs on standard input and through a FIFO: four IDBs, every packet on its own, epb_flags kept"

# --- a stream that goes silent in the middle of a block ----------------------
# p's blocks up to its 150th packet and 30 bytes of the next, then the
# writer holds the pipe open: the 150 packets are in the output (pcapng:-)
# while the stream is silent, and SIGTERM ends the run within 2 s with
# exit 0, no error, and the 150 packets on their two interfaces.
section
K=150
python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read()
off = k = 0
while k < int(sys.argv[3]):
	t, n = struct.unpack_from("<II", b, off)
	k += t == 6
	off += n
open(sys.argv[2], "wb").write(b[:off + 30])' "$D/p.pcapng" "$D/cut.pcapng" "$K"
K0=$(awk -v k="$K" 'NR <= k && $1 == 0' "$TMP/p.rec" | wc -l)
mkfifo "$TMP/slow.fifo"
hold_fifo "$D/cut.pcapng" "$TMP/slow.fifo"
O=$TMP/slow.pcapng
"$MTRACECAP" -s 0 pcapng:- "pcapfile:$TMP/slow.fifo" >"$O" 2>"$TMP/stderr" &
pid=$!
on_exit "kill_child -KILL $pid"
i=0
while [ "$(tshark -r "$O" 2>/dev/null | wc -l)" != "$K" ] && [ $i -lt 100 ]; do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
	i=$((i + 1))
done
c=$(tshark -r "$O" 2>/dev/null | wc -l)
[ "$c" = "$K" ] ||
    fail "silent stream: $c packets in the output 5 s after the writer wrote $K (held back?): $(head -c 300 "$TMP/stderr")"
kill -TERM "$pid" 2>/dev/null || true
reap_pid "$pid" 2 "silent stream: SIGTERM"
[ "$RC" = 0 ] || fail "silent stream: exit $RC after SIGTERM, want 0: $(head -c 300 "$TMP/stderr")"
! grep -q -i "fail\|error\|truncat" "$TMP/stderr" ||
    fail "silent stream: a stop mid-block is not an error: $(head -c 300 "$TMP/stderr")"
ng_check "silent stream" "$O" --ifaces 2 --names syn10,syn11 \
    --counts "$K0,$((K - K0))" || :
passed "a silent pcapng stream: its packets are written at once, SIGTERM mid-block stops cleanly"

# --- a classic pcap stream's interface keeps the file's resolution -----------
# libpcap reads its header only once opened: the default interface then
# takes if_tsresol 6 from a microsecond pcap on standard input, through a
# FIFO or gzip'ed, as from a regular file; 9 from a nanosecond one.
section
$MK "$D/us.pcap" --count 20 --size 80
$NG "$D/ns.pcap" --classic --tsresol 9 --count 20 --id 6
gzip -c "$D/us.pcap" >"$D/us.pcap.gz"
# resol WHAT WANT URI [< STDIN]: pcapng output of URI has if_tsresol WANT
resol() {
	local rc=0
	"$MTRACECAP" -s 0 "pcapng:$TMP/r.pcapng" "$3" 2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 0 ] || { fail "$1: exit $rc: $(head -c 300 "$TMP/stderr")"; return 0; }
	ng_check "$1" "$TMP/r.pcapng" --ifaces 1 --count 20 --tsresol "$2" || :
	rm -f "$TMP/r.pcapng"
}
resol "us pcap, file" 6 "pcapfile:$D/us.pcap"
resol "us pcap, stdin" 6 "pcapfile:-" <"$D/us.pcap"
mkfifo "$TMP/us.fifo"
cat "$D/us.pcap" >"$TMP/us.fifo" &
on_exit "kill_child $!"
resol "us pcap, FIFO" 6 "pcapfile:$TMP/us.fifo"
resol "us pcap, gzip'ed" 6 "$D/us.pcap.gz"
resol "ns pcap, stdin" 9 "pcapfile:-" <"$D/ns.pcap"
passed "a microsecond pcap read as a stream or decompressed: if_tsresol 6, as a file"

finish
