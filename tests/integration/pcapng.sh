#!/usr/bin/env bash
# pcapng.sh - pcapng output (pcapng:FILE, pcapng:-, -B pcapng:DIR) from file
# inputs, checked by readers no one here wrote and byte by byte: tshark and
# capinfos read every file; tshark puts each packet on the interface of
# the input it came from (distinct addresses per input) and capinfos -I
# lists one interface per input with its name; tcpdump, mergecap and
# editcap read a single-link-type file, with the records of the classic
# pcap merge; tests/tools/pcapng_check.py accepts every file (and rejects
# ~45 ways of breaking one: its self-test, on a file mtracecap wrote); the
# statistics blocks hold what -v reported and what the inputs hold (with
# and without -F, whose text is if_filter); rotation by -G, -S and SIGHUP
# (every file one whole section with every interface, the files together
# the single-file merge: nothing lost, doubled or out of order); -Z gz,
# --pipeout and --file-ext; nanosecond stamps of pcap-ns and pcapng inputs
# to the digit; microsecond inputs keep if_tsresol 6; mixed link types
# (allowed with one warning; pcapfile: output still refuses them).
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "pcapng output"
need_cmd python3 tshark capinfos tcpdump mergecap editcap gzip
export LC_ALL=C
shopt -s nullglob

use_mkpcap
NG="python3 $TESTS_SRCDIR/tools/mkpcapng.py"

NT="python3 $TESTS_SRCDIR/tools/pcapng_stats.py"
# the statistics a file input has: all but filteraccept (only with -F)
NEED="--isb-need starttime,endtime,ifrecv,ifdrop,osdrop,usrdeliv"

# Inputs: odd frame lengths (padding in every EPB), interleaved stamps
# with ties, mkpcap ids 0 and 1 (source addresses 198.18.0.1, 198.18.1.1).
$MK "$D/a.pcap" --count 700 --start $S --step-us 5000 --jitter-us 4900 \
    --tie-every 40 --size 99 --id 0 --seed 1
$MK "$D/b.pcap" --count 500 --start $S.0025 --step-us 7000 --jitter-us 6000 \
    --size 301 --id 1 --seed 2
IN=("pcapfile:$D/a.pcap" "pcapfile:$D/b.pcap")
NAMES="$D/a.pcap,$D/b.pcap"
NA=$(npackets "$D/a.pcap") NB=$(npackets "$D/b.pcap")
# the classic pcap merge: the records every pcapng output must hold
"$MTRACECAP" -s 0 "pcapfile:$TMP/ref.pcap" "${IN[@]}" 2>/dev/null
records "$TMP/ref.pcap" >"$TMP/ref.rec"
[ "$(npackets "$TMP/ref.pcap")" -eq $((NA + NB)) ] ||
    fail "the classic merge holds $(npackets "$TMP/ref.pcap") packets, want $((NA + NB))"

# run_ng WHAT ARGS...: mtracecap -v ARGS, stderr in $TMP/stderr; exit 0
run_ng() {
	local what=$1 rc=0
	shift
	"$MTRACECAP" -v "$@" 2>"$TMP/stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$what: exit $rc: $(head -c 400 "$TMP/stderr")"
		return 1
	fi
}
# tshark_ok WHAT FILE: tshark -r reads FILE without a complaint
tshark_ok() {
	local rc=0
	tshark -r "$2" >/dev/null 2>"$TMP/tshark.err" || rc=$?
	if [ "$rc" -ne 0 ] || grep -v '^Running as user' "$TMP/tshark.err" | grep -q .; then
		fail "$1: tshark -r ${2##*/}: exit $rc: $(grep -v '^Running as user' "$TMP/tshark.err" | head -3)"
	fi
}
# readers WHAT FILE N: tshark and capinfos read FILE, both count N packets
readers() {
	local c
	tshark_ok "$1" "$2"
	c=$(tshark -r "$2" 2>/dev/null | wc -l)
	[ "$c" = "$3" ] || fail "$1: tshark shows $c packets in ${2##*/}, want $3"
	c=$(npackets "$2")
	[ "$c" = "$3" ] || fail "$1: capinfos counts '$c' packets in ${2##*/}, want $3"
}
# same_records WHAT REF FILE...: tcpdump reads FILE... (in order) and
# finds exactly REF's record stream (stamps, lengths, bytes, order)
same_records() {
	local what=$1 ref=$2 f
	shift 2
	: >"$TMP/got.rec"
	for f in "$@"; do
		tcpdump -r "$f" -w /dev/null 2>"$TMP/tcpdump.err" ||
		    fail "$what: tcpdump -r ${f##*/}: $(tail -1 "$TMP/tcpdump.err")"
		records "$f" >>"$TMP/got.rec"
	done
	cmp -s "$ref" "$TMP/got.rec" || fail "$what: the records are not those of the classic merge (- want, + got): $(diff -u "$ref" "$TMP/got.rec" | grep '^[-+][0-9]' | head -4 | cut -c1-60 | tr '\n' ' ')"
}
# check_run WHAT NGARGS FILE...: every file of one run passes the checker
# with NGARGS (a string of checker options), readers read it, and its
# statistics blocks hold what -v ($TMP/stderr) said; then the files are
# in time order.  Sets DUMPS (their summaries).
check_run() {
	local what=$1 ngargs=$2 f k=0 pairs=()
	shift 2
	DUMPS=()
	for f in "$@"; do
		# shellcheck disable=SC2086	# ngargs: options, split on purpose
		ng_check "$what" "$f" $ngargs --dump >"$TMP/dump$k" || continue
		readers "$what" "$f" "$($NT field "$TMP/dump$k" 's["packets"]')"
		pairs+=("$f=$TMP/dump$k")
		DUMPS+=("$TMP/dump$k")
		k=$((k + 1))
	done
	[ "${#pairs[@]}" -gt 0 ] || return 0
	$NT isb "$TMP/stderr" "${pairs[@]}" >"$TMP/nt.out" ||
	    fail "$what: statistics against -v: $(cat "$TMP/nt.out")"
	$NT order "${DUMPS[@]}" >"$TMP/nt.out" ||
	    fail "$what: $(cat "$TMP/nt.out")"
}

# --- one file: every reader, the checker and its self-test ---------------------
section
M=$TMP/m.pcapng
if run_ng "pcapng:FILE" -s 0 "pcapng:$M" "${IN[@]}"; then
	check_run "pcapng:FILE" "--ifaces 2 --names $NAMES --descs ${IN[0]},${IN[1]} --tsresol 6,6 --linktypes 1,1 --counts $NA,$NB --no-filter --if-os - $NEED" "$M"
	ng_check "pcapng:FILE: the inputs' counts" "$M" --tsresol 6,6 \
	    --expect-isb "if=0,usrdeliv=$NA,ifrecv=$NA,osdrop=0" \
	    --expect-isb "if=1,usrdeliv=$NB,ifrecv=$NB,osdrop=0" || :
	by_iface "pcapng:FILE" "$M" "0:$D/a.pcap" "1:$D/b.pcap"
	capinfos_ifaces "pcapng:FILE" "$M" "$D/a.pcap" "$D/b.pcap"
	same_records "pcapng:FILE (tcpdump)" "$TMP/ref.rec" "$M"
	# mergecap and editcap take it, and keep every record
	mergecap -w "$TMP/mc.pcapng" "$M" 2>"$TMP/mc.err" ||
	    fail "mergecap rejects our file: $(head -3 "$TMP/mc.err")"
	editcap "$M" "$TMP/ec.pcapng" 2>"$TMP/ec.err" ||
	    fail "editcap rejects our file: $(head -3 "$TMP/ec.err")"
	editcap -F pcap "$M" "$TMP/ec.pcap" 2>"$TMP/ec.err" ||
	    fail "editcap -F pcap rejects our file: $(head -3 "$TMP/ec.err")"
	for f in mc.pcapng ec.pcapng; do
		[ -e "$TMP/$f" ] && readers "mergecap/editcap" "$TMP/$f" $((NA + NB))
	done
	[ -e "$TMP/ec.pcap" ] && same_records "editcap -F pcap of our file" "$TMP/ref.rec" "$TMP/ec.pcap"
	# the checker cannot pass vacuously: it rejects each way of breaking
	# a file it accepts, this one and one made by mkpcapng.py
	python3 "$TESTS_SRCDIR/tools/pcapng_check_test.py" "$M" --tsresol 6 \
	    $NEED >"$TMP/selftest" 2>&1 ||
	    fail "pcapng_check.py's self-test on our file: $(grep -v '^ok' "$TMP/selftest" | head -5)"
	$NG "$TMP/syn.pcapng" --count 60 --ifaces 3 --size 97 --mtracecap --isb
	python3 "$TESTS_SRCDIR/tools/pcapng_check_test.py" "$TMP/syn.pcapng" >"$TMP/selftest" 2>&1 ||
	    fail "pcapng_check.py's self-test on a mkpcapng file: $(grep -v '^ok' "$TMP/selftest" | head -5)"
	grep -q '^n/a' "$TMP/selftest" && fail "pcapng_check.py's self-test skipped cases: $(grep '^n/a' "$TMP/selftest")"
fi
passed "pcapng:FILE: tshark, capinfos (-I), tcpdump, mergecap, editcap and the checker read it; interfaces, statistics"

# pcapng:- : the same blocks on standard output
section
rc=0
"$MTRACECAP" -s 0 pcapng:- "${IN[@]}" >"$TMP/stdout.pcapng" 2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "pcapng:-: exit $rc: $(head -c 300 "$TMP/stderr")"
ng_check "pcapng:-" "$TMP/stdout.pcapng" --ifaces 2 --names "$NAMES" \
    --tsresol 6,6 --counts "$NA,$NB" &&
    same_records "pcapng:-" "$TMP/ref.rec" "$TMP/stdout.pcapng"
passed "pcapng:- writes the same section to standard output"

# -s: the snap length is the IDBs' and cuts every packet
section
if run_ng "-s 64" -s 64 "pcapng:$TMP/s64.pcapng" "${IN[@]}"; then
	ng_check "-s 64" "$TMP/s64.pcapng" --ifaces 2 --snaplen 64 --tsresol 6,6 \
	    --counts "$NA,$NB" || :
	c=$(tshark -r "$TMP/s64.pcapng" -T fields -e frame.cap_len -e frame.len 2>/dev/null |
	    awk '$1 != 64 || $2 < 99 { n++ } END { print n + 0 }')
	[ "$c" = 0 ] || fail "-s 64: $c packets not cut to 64 bytes with their wire length kept"
fi
passed "-s 64: IDB snaplen 64, every packet cut, wire length kept"

# -F: the filter's text is every IDB's if_filter; the statistics count
# what it let through (filteraccept) of what was read (ifrecv)
section
FLT='ip[5] & 3 = 1 or udp port 40001'
FA=$(tcpdump -r "$D/a.pcap" -nn "$FLT" 2>/dev/null | wc -l)
FB=$(tcpdump -r "$D/b.pcap" -nn "$FLT" 2>/dev/null | wc -l)
[ "$FA" -gt 0 ] && [ "$FA" -lt "$NA" ] && [ "$FB" = "$NB" ] ||
    fail "-F: the filter keeps $FA of a's $NA and $FB of b's $NB packets (inputs changed?)"
if run_ng "-F" -s 0 -F "$FLT" "pcapng:$TMP/f.pcapng" "${IN[@]}"; then
	check_run "-F" "--ifaces 2 --counts $FA,$FB --tsresol 6,6 $NEED,filteraccept" "$TMP/f.pcapng"
	ng_check "-F: if_filter" "$TMP/f.pcapng" --tsresol 6,6 --filter "$FLT" || :
	ng_check "-F: statistics from the inputs" "$TMP/f.pcapng" --tsresol 6,6 \
	    --expect-isb "if=0,ifrecv=$NA,filteraccept=$FA,usrdeliv=$FA" \
	    --expect-isb "if=1,ifrecv=$NB,filteraccept=$FB,usrdeliv=$FB" || :
	by_iface "-F" "$TMP/f.pcapng" "0:$D/a.pcap" "1:$D/b.pcap"
fi
passed "-F: if_filter holds the text; ISB ifrecv, filteraccept, usrdeliv as the inputs and -v say"

# --- rotation: -G, -S ------------------------------------------------------------
# every file a whole section with both interfaces; together, in name order,
# the classic merge; statistics cumulative, as -v adds them up
section
for how in "-G 1" "-S 1"; do
	R=$TMP/rot${how// /}
	mkdir -p "$R"
	ins=("${IN[@]}")
	ref=$TMP/ref.rec
	if [ "$how" = "-S 1" ]; then
		# 2.5 MiB: at least three files of at most 1 MiB
		$MK "$D/big.pcap" --count 6000 --start $S.001 --step-us 900 \
		    --size 437 --id 2 --seed 3
		ins+=("pcapfile:$D/big.pcap")
		"$MTRACECAP" -s 0 "pcapfile:$TMP/ref3.pcap" "${ins[@]}" 2>/dev/null
		records "$TMP/ref3.pcap" >"$TMP/ref3.rec"
		ref=$TMP/ref3.rec
	fi
	# shellcheck disable=SC2086
	run_ng "$how" -s 0 $how -B "pcapng:$R" "${ins[@]}" || continue
	mapfile -t files < <(by_seq "$R")
	[ "${#files[@]}" -ge 3 ] || fail "$how: ${#files[@]} files, want at least 3"
	names=$NAMES
	[ "$how" = "-S 1" ] && names="$names,$D/big.pcap"
	check_run "$how" "--ifaces ${#ins[@]} --names $names --tsresol 6 $NEED" "${files[@]}"
	same_records "$how" "$ref" "${files[@]}"
	if [ "$how" = "-S 1" ]; then
		for f in "${files[@]}"; do
			[ "$(stat -c %s "$f")" -le $((1 << 20)) ] ||
			    fail "-S 1: ${f##*/} has $(stat -c %s "$f") bytes, over 1 MiB"
		done
	fi
	no_tmp "$R"
done
passed "-G 1 and -S 1: whole sections, every interface, the merge across files, statistics cumulative"

# -N, -W and --post-rotate: as with pcap, whatever the format
section
NW=$TMP/nw
mkdir -p "$NW"
echo 41 >"$TMP/seq"
touch "$TMP/watch"
cat >"$TMP/hook.sh" <<'EOF'
#!/bin/sh
# the hook gets the final name: the file is whole pcapng by then
tshark -r "$1" -w /dev/null 2>/dev/null && echo "$1" >>"$0.log"
EOF
chmod +x "$TMP/hook.sh"
run_ng "-N -W --post-rotate" -s 0 -G 1 -N "$TMP/seq" -W "$TMP/watch" \
    --post-rotate "$TMP/hook.sh" -B "pcapng:$NW" "${IN[@]}" || true
mapfile -t files < <(by_seq "$NW")
[ "${#files[@]}" -ge 3 ] || fail "-N: ${#files[@]} files, want at least 3"
# the seqfile holds the last number used
[ "$(seq_of "${files[0]}")" = 42 ] ||
    fail "-N: the first file is numbered $(seq_of "${files[0]}"), want 42"
[ "$(cat "$TMP/seq")" = $((41 + ${#files[@]})) ] ||
    fail "-N: seqfile says $(cat "$TMP/seq"), want $((41 + ${#files[@]}))"
printf '%s\n' "${files[@]}" >"$TMP/want.hook"
sort "$TMP/hook.sh.log" 2>/dev/null >"$TMP/got.hook"
cmp -s "$TMP/want.hook" "$TMP/got.hook" ||
    fail "--post-rotate: the hook read $(wc -l <"$TMP/got.hook") of ${#files[@]} files whole"
check_run "-N -W --post-rotate" "--ifaces ${#IN[@]} --names $NAMES --tsresol 6 $NEED" "${files[@]}"
no_tmp "$NW"
passed "-N, -W and --post-rotate with -B pcapng: numbered files, each whole when the hook runs"

# SIGHUP: a new file now, also a whole section; nothing fed is lost.
# The feeder writes 1200 packets and then keeps the pipe open, silent:
# SIGTERM comes once all are in the pipe, so every one must be in the
# files, also those mtracecap had not read yet (a stop reads what the
# pipe holds; before that fix, this test failed now and then, the last
# packet or two lost).  (Nanosecond stamps: if_tsresol 9;
# pcapng_ifaces.sh checks 6 for a microsecond stream.)
section
HB=$TMP/hup
mkdir -p "$HB"
FEED_FIFO=$TMP/feed.fifo FEED_REF=$TMP/fed.pcap
start_feed --count 1200 --burst 200 --gap 0.01 --step 0.001 --size 123 \
    --nsec --idle 3600
start_mtc -v -B "pcapng:$HB"
if wait_ready && wait_fed 400; then
	kill -HUP "$MTC_PID"
	wait_fed 800 || true
	kill -HUP "$MTC_PID"
	wait_fed 1200 || fail "SIGHUP: the feeder wrote $(fed) of 1200 packets"
fi
kill -TERM "$MTC_PID" 2>/dev/null || true
reap "SIGHUP" 5
[ "$RC" -eq 0 ] || fail "SIGHUP: exit $RC: $(head -c 300 "$TMP/stderr")"
mapfile -t files < <(by_seq "$HB")
[ "${#files[@]}" -eq 3 ] || fail "SIGHUP twice: ${#files[@]} files, want 3: $(ls "$HB")"
check_run "SIGHUP" "--ifaces 1 --names $FEED_FIFO $NEED" "${files[@]}"
records "$FEED_REF" >"$TMP/fed.rec"
same_records "SIGHUP" "$TMP/fed.rec" "${files[@]}"
no_tmp "$HB"
passed "SIGHUP with -B pcapng: three whole sections, every packet fed"

# --- compressed: -Z gz, --pipeout, --file-ext ------------------------------------
section
Z=$TMP/gz
mkdir -p "$Z"
if run_ng "-Z gz" -s 0 -Z gz -G 1 --file-ext=.pcapng.gz -B "pcapng:$Z" "${IN[@]}"; then
	mapfile -t files < <(by_seq "$Z")
	[ "${#files[@]}" -ge 3 ] || fail "-Z gz -G 1: ${#files[@]} files, want at least 3"
	plains=()
	for f in "${files[@]}"; do
		case $f in *.pcapng.gz) ;; *) fail "--file-ext=.pcapng.gz: ${f##*/}" ;; esac
		[ "$(head -c2 "$f" | od -An -tx1 | tr -d ' ')" = 1f8b ] ||
		    fail "-Z gz: ${f##*/} is not gzip"
		plain "$f" "$TMP/p.${f##*/}"
		mv "$TMP/p.${f##*/}" "$TMP/p.${f##*/}.ng"
		plains+=("$TMP/p.${f##*/}.ng")
	done
	# the file names -v gives are the compressed ones
	sed -i "s|^mtracecap: file $Z/\\(.*\\):|mtracecap: file $TMP/p.\\1.ng:|" "$TMP/stderr"
	check_run "-Z gz" "--ifaces 2 --names $NAMES --tsresol 6,6" "${plains[@]}"
	same_records "-Z gz" "$TMP/ref.rec" "${plains[@]}"
	no_tmp "$Z"
fi
rc=0
"$MTRACECAP" -s 0 --pipeout='gzip -c' "pcapng:$TMP/pipe.pcapng.gz" "${IN[@]}" \
    2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "--pipeout='gzip -c': exit $rc: $(head -c 300 "$TMP/stderr")"
if gzip -dc "$TMP/pipe.pcapng.gz" >"$TMP/pipe.pcapng" 2>/dev/null; then
	ng_check "--pipeout='gzip -c'" "$TMP/pipe.pcapng" --ifaces 2 --names "$NAMES" \
	    --tsresol 6,6 --counts "$NA,$NB" &&
	    same_records "--pipeout='gzip -c'" "$TMP/ref.rec" "$TMP/pipe.pcapng"
else
	fail "--pipeout='gzip -c': the output is not gzip"
fi
R=$TMP/ext
mkdir -p "$R"
if run_ng "--file-ext" -s 0 -G 1 --file-ext=.pcapng -B "pcapng:$R" "${IN[@]}"; then
	mapfile -t files < <(by_seq "$R")
	for f in "${files[@]}"; do
		case $f in *.pcapng) ;; *) fail "--file-ext=.pcapng: ${f##*/}" ;; esac
	done
	check_run "--file-ext" "--ifaces 2 --tsresol 6,6" "${files[@]}"
fi
passed "-Z gz, --pipeout='gzip -c', --file-ext: decompressed, whole sections with every record"

# --- stamps: nanoseconds to the digit; microsecond inputs keep 6 ---------------
# a pcap-ns input and a pcapng input with if_tsresol 9, both with odd
# nanosecond digits: tshark shows each packet's stamp, all 9 digits, as
# the input had it; both interfaces say if_tsresol 9
section
$NG "$D/ns.pcap" --classic --tsresol 9 --count 300 --id 6 --start $S
$NG "$D/ns.pcapng" --tsresol 9 --count 200 --id 7 --start $S.0004 --step-ns 1700001
if run_ng "nanoseconds" -s 0 "pcapng:$TMP/ns.out.pcapng" "pcapfile:$D/ns.pcap" \
    "pcapfile:$D/ns.pcapng"; then
	ng_check "nanoseconds" "$TMP/ns.out.pcapng" --ifaces 2 --tsresol 9,9 \
	    --counts 300,200 || :
	tshark -r "$TMP/ns.out.pcapng" -T fields -e ip.src -e frame.time_epoch \
	    2>/dev/null >"$TMP/ns.got"
	for spec in "6:--classic --tsresol 9 --count 300 --id 6 --start $S" \
	    "7:--tsresol 9 --count 200 --id 7 --start $S.0004 --step-ns 1700001"; do
		# shellcheck disable=SC2086
		$NG - --stamps ${spec#*:} >"$TMP/ns.want"
		awk -v ip="198.18.${spec%%:*}.1" '$1 == ip { print $2 }' "$TMP/ns.got" >"$TMP/ns.have"
		cmp -s "$TMP/ns.want" "$TMP/ns.have" ||
		    fail "nanoseconds: input id ${spec%%:*}: tshark's frame.time_epoch differs from the input's stamps (- want, + got): $(diff -u "$TMP/ns.want" "$TMP/ns.have" | grep '^[-+][0-9]' | head -4 | tr '\n' ' ')"
	done
	grep -qvE '\.[0-9]{9}$' <(cut -f2 "$TMP/ns.got") &&
	    fail "nanoseconds: tshark shows stamps without 9 digits"
fi
passed "nanoseconds of pcap-ns and pcapng inputs survive, to the digit; if_tsresol 9"

# --- link types: mixed in pcapng (one warning), refused in pcap -----------------
section
$NG "$D/raw.pcap" --classic --tsresol 6 --linktype 101 --count 80 --id 5 \
    --start $S.0011 --step-ns 9000001
if run_ng "mixed link types" -s 0 "pcapng:$TMP/mix.pcapng" "pcapfile:$D/a.pcap" \
    "pcapfile:$D/raw.pcap"; then
	ng_check "mixed link types" "$TMP/mix.pcapng" --ifaces 2 --linktypes 1,101 \
	    --counts "$NA,80" --tsresol 6,6 || :
	readers "mixed link types" "$TMP/mix.pcapng" $((NA + 80))
	by_iface "mixed link types" "$TMP/mix.pcapng" "0:$D/a.pcap" "5:$D/raw.pcap"
	n=$(grep -ci 'link type' "$TMP/stderr" || true)
	[ "$n" = 1 ] || fail "mixed link types: $n warnings naming link types, want 1: $(head -c 400 "$TMP/stderr")"
	# at start-up: before the first file is done
	head -1 "$TMP/stderr" | grep -qi 'link type' ||
	    fail "mixed link types: the warning is not the first line (start-up): $(head -2 "$TMP/stderr")"
fi
rc=0
"$MTRACECAP" -s 0 "pcapfile:$TMP/mix.pcap" "pcapfile:$D/a.pcap" "pcapfile:$D/raw.pcap" \
    2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 1 ] && grep -q "has link type 101 but an earlier input has 1" "$TMP/stderr" ||
    fail "mixed link types into pcapfile:: exit $rc, want 1 and the refusal: $(head -c 300 "$TMP/stderr")"
[ -e "$TMP/mix.pcap" ] && fail "mixed link types into pcapfile:: an output file was left"
passed "mixed link types: pcapng holds both (one warning), pcapfile: still refuses them"

finish
