#!/usr/bin/env bash
# pcapng_ifaces.sh - a pcapng input's interfaces stay apart in pcapng
# output: merging two pcapng files of two interfaces each gives four IDBs
# (input 0's first), each with the input's own if_name and if_os; tshark
# puts every packet on the interface it had in its input (distinct source
# addresses per interface), capinfos -I lists the four, each packet keeps
# its epb_flags, and the statistics blocks count each interface's packets
# (isb_usrdeliv) while -v counts the input's.
#
# Until mtracecap's pcapng reader keeps a file's interfaces apart (one
# IDB per input instead, the file's path as its name: what it did before
# issue 14), this test skips saying so; any other outcome is checked.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "pcapng output of pcapng inputs"
need_cmd python3 tshark capinfos
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

O=$TMP/pq.pcapng
rc=0
"$MTRACECAP" -v -s 0 "pcapng:$O" "pcapfile:$D/p.pcapng" "pcapfile:$D/q.pcapng" \
    2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || { fail "exit $rc: $(head -c 400 "$TMP/stderr")"; finish; }
ng_check "the merge" "$O" --dump --records "$TMP/out.rec" >"$TMP/out.json" || finish
names=$(python3 -c 'import json, sys
print(",".join(str(i["name"]) for i in json.load(open(sys.argv[1]))["interfaces"]))' "$TMP/out.json")
if [ "$names" = "$D/p.pcapng,$D/q.pcapng" ]; then
	skip "mtracecap's pcapng reader does not keep a file's interfaces apart yet: one IDB per input ($names) for the 4 interfaces of the two inputs"
fi

section
ng_check "four interfaces" "$O" --ifaces 4 --names syn10,syn11,syn20,syn21 \
    --counts "$P0,$P1,$Q0,$Q1" --if-os "$OS" \
    --expect-isb "if=0,usrdeliv=$P0" --expect-isb "if=1,usrdeliv=$P1" \
    --expect-isb "if=2,usrdeliv=$Q0" --expect-isb "if=3,usrdeliv=$Q1" || :
by_iface "four interfaces" "$O" 10:syn10 11:syn11 20:syn20 21:syn21
capinfos_ifaces "four interfaces" "$O" syn10 syn11 syn20 syn21
c=$(tshark -r "$O" 2>/dev/null | wc -l)
[ "$c" = 700 ] || fail "tshark shows $c packets, want 700"
# -v counts per input: the sum of its interfaces
grep -q "^mtracecap:     input=0 pcapfile:$D/p.pcapng: packets=400 " "$TMP/stderr" &&
    grep -q "^mtracecap:     input=1 pcapfile:$D/q.pcapng: packets=300 " "$TMP/stderr" ||
    fail "-v does not count 400 and 300 packets per input: $(grep 'input=' "$TMP/stderr" | head -2)"
passed "two pcapng inputs of two interfaces each: four IDBs, every packet on its own"

# epb_flags: every frame (bytes unique per interface and sequence number)
# keeps its input's flags
section
awk '{ print $6, $5 }' "$TMP/p.rec" "$TMP/q.rec" | sort >"$TMP/want.flags"
awk '{ print $6, $5 }' "$TMP/out.rec" | sort >"$TMP/got.flags"
cmp -s "$TMP/want.flags" "$TMP/got.flags" ||
    fail "epb_flags not carried over: $(diff "$TMP/want.flags" "$TMP/got.flags" | grep -c '^>') frames differ"
passed "every packet keeps its epb_flags"

finish
