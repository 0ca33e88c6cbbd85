# cpp.sh - part 3: cost per packet, counted in instructions (callgrind's
# Ir), so regressions show up without timing noise.  Each tool merges
# 4 x N1 and 4 x N2 packets into /dev/null; the difference divided by the
# extra packets is the marginal cost of one packet (start-up and exit cost
# cancel out), and the top functions of mtracecap's larger run are listed.
# With $MTRACECAP_REF that second mtracecap runs too (tool mtracecap-ref),
# so the marginal cost compares with it (its ratio: mtracecap / ref).
# When mtracecap writes pcapng, tool mtracecap-ng is the same merge
# written as pcapng (pcapng:-): its ratio is pcapng / pcap, and its heap
# allocations are counted too (cpp-heap-ng.tsv).
# Issue 18: tool mtracecap-hdrs is the same merge with --headers-only
# (each packet parsed, cut to its 42 bytes of headers); its ratio is
# hdrs / mtracecap.  Plain capture must not pay for it: with
# $MTRACECAP_REF a build without #18, mtracecap-ref's ratio shows that.
# Counter sessions (issue 16): rows mtracecap-sN run the same merge with
# --control and N sessions (CPP_SESSIONS, default 0 1 8): the inputs are
# FIFOs (pcapfile:FIFO), so that the sessions can be made with
# mtracecapctl once the inputs are open and before any packet comes
# (each FIFO gets its file's pcap header, the records after the last
# `new`, by head and tail); the counts are read back from the
# --metrics-file written at exit.  Their ratio is sN / s0, and s0's is s0 /
# mtracecap-fifo, the same FIFO merge without --control (the control
# socket idle: 1.00 within noise); mtracecap-fifo's is fifo / mtracecap
# (a FIFO is read through libpcap, a file through mtracecap's own reader).
# The same two merges run once more under memcheck, whose "total heap
# usage" gives mtracecap's heap allocations: their difference over the
# extra packets must be 0 (no allocation per packet on the hot path).
# Sourced by bench/run; writes $RES/cpp.{tsv,txt}, $RES/cpp-heap.tsv,
# $RES/callgrind.* and $RES/memcheck.*.log.


# callgrind_row TSV TOOL N OUT CMD...: CMD under callgrind (its output to
# OUT), and a row "TOOL N instructions" in TSV.
callgrind_row() {
	local tsv=$1 tool=$2 n=$3 cg=$4
	shift 4
	valgrind --tool=callgrind --callgrind-out-file="$cg" \
	    "$@" >/dev/null 2>"$cg.log" ||
	    die "cpp: $tool failed under callgrind: see $cg.log"
	printf '%s\t%s\t%s\n' "$tool" "$n" \
	    "$(awk '/^(summary|totals):/ { print $2; exit }' "$cg")" >>"$tsv"
}

bench_cpp() {
	local n1=$CPP_PACKETS n2=$((2 * CPP_PACKETS)) k=4 tool n d i
	local tsv=$RES/cpp.tsv

	say "== cost per packet: callgrind, $k x $n1 and $k x $n2 packets"
	need_tools valgrind callgrind_annotate mergecap tracemerge ||
	    die "cpp: need valgrind, mergecap, tracemerge"
	has_sessions || true
	: >"$tsv"
	: >"$RES/cpp-heap.tsv"
	: >"$RES/cpp-heap-ng.tsv"
	for n in "$n1" "$n2"; do
		d=$WORK/cpp$n
		mkinputs "$d" "$n" "$k"
		local ins=() pins=()
		for ((i = 0; i < k; i++)); do
			ins+=("$d/in$i.pcap")
			pins+=("pcapfile:$d/in$i.pcap")
		done
		has_pcapng "${ins[0]}" || true
		for tool in $(cpp_tools); do
			local cg=$RES/callgrind.$tool.$n cmd
			case $tool in
			mtracecap-fifo|mtracecap-s*) continue ;;	# below
			mtracecap) cmd=("$MTRACECAP" -s 0 pcapfile:- "${ins[@]}") ;;
			mtracecap-ng) cmd=("$MTRACECAP" -s 0 pcapng:- "${ins[@]}") ;;
			mtracecap-hdrs) cmd=("$MTRACECAP" -s 0 --headers-only pcapfile:- "${ins[@]}") ;;
			mtracecap-ref) cmd=("$MTRACECAP_REF" -s 0 pcapfile:- "${ins[@]}") ;;
			mergecap) cmd=(mergecap -F pcap -w - "${ins[@]}") ;;
			tracemerge) cmd=(tracemerge pcapfile:- "${pins[@]}") ;;
			esac
			say "   $tool $k x $n"
			callgrind_row "$tsv" "$tool" "$n" "$cg" "${cmd[@]}"
		done
		if has_sessions; then
			for i in none ${CPP_SESSIONS:-0 1 8}; do
				cpp_sessions "$n" "$d" "$k" "$i" >>"$tsv"
			done
		fi
		cpp_heap "$n" "$RES/memcheck.mtracecap.$n.log" \
		    "$MTRACECAP" -s 0 pcapfile:- "${ins[@]}"
		[ "${HAS_PCAPNG:-}" != yes ] ||
		    HEAP_TSV=$RES/cpp-heap-ng.tsv cpp_heap "$n" \
		    "$RES/memcheck.mtracecap-ng.$n.log" \
		    "$MTRACECAP" -s 0 pcapng:- "${ins[@]}"
	done
	cpp_anon "$n1" "$n2"
	cpp_table "$tsv" "$n1" "$n2" "$k" >"$RES/cpp.txt"
}

# cpp_tools [TSV]: the tools measured, in table order (mtracecap-ng when
# this run measures pcapng, or, given TSV, when it holds its rows; the
# session rows mtracecap-sN likewise)
cpp_tools() {
	local ref="" ng="" ses="" i hdrs=""
	has_ref && ref=mtracecap-ref
	if [ -n "${1:-}" ]; then
		grep -q '^mtracecap-ng	' "$1" && ng=mtracecap-ng
		grep -q '^mtracecap-hdrs	' "$1" && hdrs=mtracecap-hdrs
		ses=$(awk -F'\t' '$1 ~ /^mtracecap-(fifo|s[0-9]+)$/ && !seen[$1]++ { print $1 }' "$1")
	else
		[ "${HAS_PCAPNG:-}" = yes ] && ng=mtracecap-ng
		"$MTRACECAP" --help 2>&1 | grep -q -- '--headers-only' &&
		    hdrs=mtracecap-hdrs
		if has_sessions; then
			ses=mtracecap-fifo
			for i in ${CPP_SESSIONS:-0 1 8}; do ses="$ses mtracecap-s$i"; done
		fi
	fi
	echo mtracecap ${ng:+"$ng"} ${hdrs:+"$hdrs"} ${ref:+"$ref"} $ses mergecap tracemerge
}

# has_sessions: true when $MTRACECAP has --control and mtracecapctl is
# beside it (asked once, the answer kept in HAS_SESSIONS)
has_sessions() {
	if [ -z "${HAS_SESSIONS:-}" ]; then
		HAS_SESSIONS=no
		[ -x "$(dirname "$MTRACECAP")/mtracecapctl" ] &&
		    "$MTRACECAP" --help 2>&1 | grep -q -- '--control=' &&
		    HAS_SESSIONS=yes
		[ "$HAS_SESSIONS" = yes ] ||
		    say "bench: no --control or no mtracecapctl beside $MTRACECAP: session rows not run"
	fi
	[ "$HAS_SESSIONS" = yes ]
}

# the filters of the sessions, in order: each matches some of mkinputs'
# packets (ids 0-3: src 198.18.I.1 port 40000+I, dst port 9, 128 bytes),
# the first one all of them
CPP_FILTERS=("udp" "host 198.18.0.1" "src net 198.18.0.0/16"
	"udp dst port 9" "ip and greater 100"
	"src host 198.18.1.1 or src host 198.18.2.1" "not tcp"
	"udp and src port 40003")

# cpp_sessions N DIR K S: mtracecap-sS's row "tool N Ir": mtracecap -s 0
# --control under callgrind on K FIFOs fed from DIR/inI.pcap (N packets
# each) with S sessions made before the first record; the counts are
# checked in the --metrics-file written at exit (every session counted
# some packets, the first one all K x N).  S "none": row mtracecap-fifo,
# the same FIFOs without --control (a FIFO is read through libpcap, a
# file through mtracecap's own reader: this is s0's baseline)
cpp_sessions() {
	local n=$1 d=$2 k=$3 ns=$4 tool=mtracecap-s$4
	local fd=$WORK/cppses i t=0 vpid feeders=() ins=() sock m want ctl=()
	[ "$ns" != none ] || tool=mtracecap-fifo
	local cg=$RES/callgrind.$tool.$n
	rm -rf "$fd"
	mkdir -p "$fd"
	sock=$fd/ctl m=$fd/metrics.prom
	[ "$ns" = none ] || ctl=(--control="$sock" --metrics-file="$m")
	[ "$ns" = none ] || [ "$ns" -le ${#CPP_FILTERS[@]} ] ||
	    die "cpp: at most ${#CPP_FILTERS[@]} sessions"
	for ((i = 0; i < k; i++)); do
		mkfifo "$fd/f$i"
		ins+=("pcapfile:$fd/f$i")
	done
	say "   $tool $k x $n (FIFOs)"
	valgrind --tool=callgrind --callgrind-out-file="$cg" \
	    "$MTRACECAP" -s 0 "${ctl[@]}" pcapfile:- "${ins[@]}" \
	    >/dev/null 2>"$cg.log" &
	vpid=$!
	on_exit "kill $vpid"
	for ((i = 0; i < k; i++)); do
		{ head -c 24 "$d/in$i.pcap"
		  until [ -e "$fd/go" ]; do sleep 0.05; done
		  tail -c +25 "$d/in$i.pcap"; } >"$fd/f$i" &
		feeders+=($!)
		on_exit "kill $!"
	done
	# the inputs open (headers read) before a session can be made:
	# `stats` answers ok from then on
	[ "$ns" != none ] || touch "$fd/go"
	[ "$ns" = none ] || until "$(dirname "$MTRACECAP")/mtracecapctl" -s "$sock" stats >/dev/null 2>&1; do
		kill -0 "$vpid" 2>/dev/null || die "cpp: mtracecap ($ns sessions) ended early: see $cg.log"
		t=$((t + 1))
		[ $t -lt 600 ] || die "cpp: mtracecap ($ns sessions) never opened its inputs"
		sleep 0.1
	done
	[ "$ns" != none ] || ns=0
	for ((i = 0; i < ns; i++)); do
		"$(dirname "$MTRACECAP")/mtracecapctl" -s "$sock" new "s$i" filter \
		    "${CPP_FILTERS[$i]}" >/dev/null ||
		    die "cpp: mtracecapctl new s$i filter ${CPP_FILTERS[$i]} failed"
	done
	touch "$fd/go"
	for i in "${feeders[@]}"; do wait "$i" || die "cpp: a feeder failed"; done
	wait "$vpid" || die "cpp: mtracecap ($ns sessions) failed under callgrind: see $cg.log"
	# every session matched something, s0 (udp) all k x n
	want=$((k * n))
	for ((i = 0; i < ns; i++)); do
		t=$(awk -v s="s$i" '$1 ~ "^mtracecap_session_packets_total[{]session=\"" s "\"," { t += $2 }
		    END { print t + 0 }' "$m")
		[ "$t" -gt 0 ] || die "cpp: session s$i (${CPP_FILTERS[$i]}) counted nothing: see $m"
		[ "$i" -gt 0 ] || [ "$t" = "$want" ] ||
		    die "cpp: session s0 (udp) counted $t packets, want $want: see $m"
	done
	printf '%s\t%s\t%s\n' "$tool" "$n" \
	    "$(awk '/^(summary|totals):/ { print $2; exit }' "$cg")"
}

# cpp_heap N LOG CMD...: mtracecap's heap allocations and bytes under
# memcheck (its "total heap usage" line), appended to $HEAP_TSV
# (default cpp-heap.tsv)
cpp_heap() {
	local n=$1 log=$2
	shift 2
	say "   mtracecap $n: heap allocations (memcheck)"
	valgrind --tool=memcheck --leak-check=no "$@" >/dev/null 2>"$log" ||
	    die "cpp: mtracecap failed under memcheck: see $log"
	awk -v n="$n" '/total heap usage:/ {
		gsub(/,/, "")
		for (i = 1; i <= NF; i++) {
			if ($(i + 1) == "allocs") a = $i
			if ($(i + 1) == "bytes") b = $i
		}
		printf "mtracecap\t%s\t%s\t%s\n", n, a, b; f = 1 }
	    END { if (!f) exit 1 }' "$log" >>"${HEAP_TSV:-$RES/cpp-heap.tsv}" ||
	    die "cpp: no heap summary in $log"
}

# heap_marginal HEAPTSV K: "a1 n1 k a2 n2 allocs/pkt bytes/pkt" from the
# two rows of cpp-heap.tsv (K inputs each)
heap_marginal() {
	awk -F'\t' -v k="$2" 'NR == 1 { n1 = $2; a1 = $3; b1 = $4 }
	    NR == 2 { n2 = $2; a2 = $3; b2 = $4 }
	    END { printf "%d %d %d %d %d %.6f %.3f\n", a1, n1, k, a2, n2,
		(a2 - a1) / (k * (n2 - n1)), (b2 - b1) / (k * (n2 - n1)) }' "$1"
}

# cpp_ir TSV TOOL N: Ir of TOOL's run on K x N packets
cpp_ir() {
	awk -F'\t' -v t="$2" -v n="$3" '$1 == t && $2 == n { print $3 }' "$1"
}

# cpp_marginal TSV TOOL N1 N2 K FORMAT: TOOL's marginal Ir per packet
cpp_marginal() {
	calc "($(cpp_ir "$1" "$2" "$4") - $(cpp_ir "$1" "$2" "$3")) / ($5 * ($4 - $3))" "${6:-}"
}

cpp_table() {
	local tsv=$1 n1=$2 n2=$3 k=$4 tool b marg tot mref ms0 mfifo tw=12
	has_ref && tw=14
	grep -q '^mtracecap-hdrs	' "$tsv" && tw=14
	grep -q '^mtracecap-fifo	' "$tsv" && tw=14
	printf 'COST PER PACKET: callgrind instructions (Ir), merge of %d inputs into /dev/null\n' "$k"
	printf 'marginal = (Ir(%d x %s) - Ir(%d x %s)) / %s extra packets; ratio = mtracecap / peer\n' \
	    "$k" "$(fmt_si "$n2")" "$k" "$(fmt_si "$n1")" "$(fmt_si $((k * (n2 - n1))))"
	has_ref && printf 'row mtracecap-ref = the second binary in the header: ratio > 1 means mtracecap costs more\n'
	grep -q '^mtracecap-ng	' "$tsv" &&
	    printf 'row mtracecap-ng = the same merge written as pcapng: its ratio is pcapng / pcap (target <= 1.10)\n'
	grep -q '^mtracecap-hdrs	' "$tsv" &&
	    printf 'row mtracecap-hdrs = the same merge with --headers-only: its ratio is hdrs / mtracecap\n'
	grep -q '^mtracecap-fifo	' "$tsv" &&
	    printf 'row mtracecap-fifo = the merge from FIFOs (read through libpcap, not mtracecap'"'"'s file reader): ratio fifo / mtracecap\n'
	grep -q '^mtracecap-s0	' "$tsv" &&
	    printf 'rows mtracecap-sN = the FIFO merge with --control and N counter sessions: ratio sN / s0 (s0: s0 / fifo)\n'
	printf '%-*s %14s %14s %12s %10s\n' "$tw" tool "Ir total" "Ir/pkt total" \
	    "Ir/pkt marg" "ratio"
	mref="" ms0="" mfifo=""
	for tool in $(cpp_tools "$tsv"); do
		b=$(cpp_ir "$tsv" "$tool" "$n2")
		marg=$(cpp_marginal "$tsv" "$tool" "$n1" "$n2" "$k" %.0f)
		tot=$(calc "$b / ($k * $n2)" %.0f)
		[ -z "$mref" ] && mref=$marg
		printf '%-*s %14s %14s %12s %10s\n' "$tw" "$tool" "$b" "$tot" "$marg" \
		    "$(case $tool in mtracecap) ;; mtracecap-ng|mtracecap-hdrs) ratio "$marg" "$mref" ;;
		    mtracecap-fifo) ratio "$marg" "$mref" ;;
		    mtracecap-s0) ratio "$marg" "$mfifo" ;;
		    mtracecap-s*) ratio "$marg" "$ms0" ;;
		    *) ratio "$mref" "$marg" ;; esac)"
		[ "$tool" != mtracecap-fifo ] || mfifo=$marg
		[ "$tool" != mtracecap-s0 ] || ms0=$marg
	done
	if grep -q '^mtracecap-s0	' "$tsv" && grep -q '^mtracecap-fifo	' "$tsv"; then
		cpp_sessions_check "$tsv" "$n1" "$n2" "$k"
	fi
	if [ -s "${tsv%/*}/cpp-heap.tsv" ]; then
		echo
		heap_marginal "${tsv%/*}/cpp-heap.tsv" "$k" | awk '{
		    printf "heap allocations (memcheck): %d at %d x %d packets, %d at %d x %d; marginal %.4f per packet (%.1f bytes)\n",
			$1, $3, $2, $4, $3, $5, $6, $7 }'
	fi
	if [ -s "${tsv%/*}/cpp-heap-ng.tsv" ]; then
		heap_marginal "${tsv%/*}/cpp-heap-ng.tsv" "$k" | awk '{
		    printf "heap allocations, pcapng output: %d at %d x %d packets, %d at %d x %d; marginal %.4f per packet (%.1f bytes)\n",
			$1, $3, $2, $4, $3, $5, $6, $7 }'
	fi
	[ ! -s "${tsv%/*}/cpp-anon.tsv" ] || cpp_anon_table "${tsv%/*}/cpp-anon.tsv"
	echo
	echo "mtracecap top functions (self Ir, $k x $(fmt_si "$n2") packets):"
	callgrind_annotate "$RES/callgrind.mtracecap.$n2" 2>/dev/null |
	    awk '/file:function/ { on = 1; next }
		on && /^--/ { next }
		on && NF == 0 { if (seen) exit; next }
		on { seen = 1; print }' |
	    sed -E 's#[^ ]*/([^/ ]+:)#\1#; s#\[[^]]*/([^/]+)\]#[\1]#' |
	    head -n "${CPP_TOP:-15}" | sed 's/^/  /' || true
}

# cpp_sessions_check TSV N1 N2 K: the sessions' lines under the table:
# what S sessions add per packet over s0, and each of them; a WARNING
# when the figures are not sane (sN must cost more than s0, more
# sessions more; s0 within 2% of mtracecap-fifo, the control socket idle)
cpp_sessions_check() {
	local tsv=$1 n1=$2 n2=$3 k=$4 mref s0 tool m prev prevn=0 n
	mref=$(cpp_marginal "$tsv" mtracecap-fifo "$n1" "$n2" "$k" %.1f)
	s0=$(cpp_marginal "$tsv" mtracecap-s0 "$n1" "$n2" "$k" %.1f)
	prev=$s0
	for tool in $(awk -F'\t' '$1 ~ /^mtracecap-s[0-9]+$/ && !seen[$1]++ { print $1 }' "$tsv" |
	    sort -V); do
		n=${tool#mtracecap-s}
		[ "$n" -gt 0 ] || continue
		m=$(cpp_marginal "$tsv" "$tool" "$n1" "$n2" "$k" %.1f)
		printf 'sessions: %d add %s Ir/pkt over s0 (%s each)\n' "$n" \
		    "$(calc "$m - $s0" %.1f)" "$(calc "($m - $s0) / $n" %.1f)"
		awk -v a="$m" -v b="$prev" 'BEGIN { exit !(a > b) }' ||
		    printf 'WARNING: %s costs %s Ir/pkt, not more than %d sessions (%s)\n' \
			"$tool" "$m" "$prevn" "$prev"
		prev=$m prevn=$n
	done
	awk -v a="$s0" -v b="$mref" 'BEGIN { exit !(b > 0 && a / b <= 1.02 && a / b >= 0.98) }' ||
	    printf 'WARNING: mtracecap-s0 (%s Ir/pkt) is not within 2%% of mtracecap-fifo (%s): the idle control socket costs per packet?\n' \
		"$s0" "$mref"
}

# --- address anonymisation (issue 18): a block of its own ------------------
# cpp_anon N1 N2: one file of N1, then N2 packets made by
# tests/tools/mkanon.py --kinds plain (IPv4 TCP, UDP, ICMP echo and two
# ICMP errors quoting UDP; two new addresses every 5 packets, so
# CryptoPAn's cache misses often) through, under callgrind: mtracecap -s 0
# plain (anon-plain), with --anonymize=prefix:24,48 (anon-prefix), with
# --anonymize=cryptopan:KEY (anon-cryptopan), and libtrace's traceanon -s
# -d -f KEY (anon-traceanon, the same key file), each into /dev/null.
# Rows "tool N Ir" in $RES/cpp-anon.tsv; the table (cpp_anon_table) goes
# under cpp.txt's.
cpp_anon() {
	local n1=$1 n2=$2 n tool d=$WORK/cppanon key cg cmd
	local tsv=$RES/cpp-anon.tsv
	need_tools traceanon || say "cpp: no traceanon: its anon row is not run"
	mkdir -p "$d"
	key=$d/key
	printf 'bench-cryptopan-key-0123456789ab' >"$key"	# no zero byte
	chmod 600 "$key"
	: >"$tsv"
	for n in "$n1" "$n2"; do
		python3 "$BENCH_SRC/tests/tools/mkanon.py" "$d/in$n.pcap" \
		    --kinds plain --count $((n / 5)) ||
		    die "cpp: mkanon.py failed"
		for tool in anon-plain anon-prefix anon-cryptopan anon-traceanon; do
			cg=$RES/callgrind.$tool.$n
			case $tool in
			anon-plain) cmd=("$MTRACECAP" -s 0 pcapfile:- "$d/in$n.pcap") ;;
			anon-prefix) cmd=("$MTRACECAP" -s 0 --anonymize=prefix:24,48
			    pcapfile:- "$d/in$n.pcap") ;;
			anon-cryptopan) cmd=("$MTRACECAP" -s 0
			    --anonymize=cryptopan:"$key" pcapfile:- "$d/in$n.pcap") ;;
			anon-traceanon)
				command -v traceanon >/dev/null 2>&1 || continue
				cmd=(traceanon -s -d -f "$key" "pcapfile:$d/in$n.pcap"
				    pcapfile:-) ;;
			esac
			say "   $tool $n"
			callgrind_row "$tsv" "$tool" "$n" "$cg" "${cmd[@]}"
		done
	done
}

# cpp_anon_table TSV: the anonymisation block (N1, N2 from its rows):
# marginal Ir per packet of each tool, its ratio to anon-plain (what
# anonymising adds), and traceanon's to anon-cryptopan
cpp_anon_table() {
	local tsv=$1 n1 n2 tool marg plain="" cp=""
	n1=$(awk -F'\t' 'NR == 1 { print $2 }' "$tsv")
	n2=$(awk -F'\t' '$2 != n { n = $2 } END { print n }' "$tsv")
	echo
	printf 'ADDRESS ANONYMISATION: callgrind Ir per packet, one file of IPv4 TCP/UDP/ICMP (errors quoting UDP)\n'
	printf 'marginal = (Ir(%s) - Ir(%s)) / %s packets; vs plain = tool / anon-plain\n' \
	    "$(fmt_si "$n2")" "$(fmt_si "$n1")" "$(fmt_si $((n2 - n1)))"
	printf '%-16s %14s %12s %10s\n' tool "Ir total" "Ir/pkt marg" "vs plain"
	for tool in anon-plain anon-prefix anon-cryptopan anon-traceanon; do
		grep -q "^$tool	" "$tsv" || continue
		marg=$(calc "($(cpp_ir "$tsv" "$tool" "$n2") - $(cpp_ir "$tsv" "$tool" "$n1")) / ($n2 - $n1)" %.0f)
		[ -n "$plain" ] || plain=$marg
		[ "$tool" != anon-cryptopan ] || cp=$marg
		printf '%-16s %14s %12s %10s\n' "$tool" "$(cpp_ir "$tsv" "$tool" "$n2")" \
		    "$marg" "$(calc "$marg / $plain" %.2f)"
	done
	[ -z "$cp" ] || ! grep -q '^anon-traceanon	' "$tsv" ||
	    printf 'traceanon / mtracecap --anonymize=cryptopan: %s\n' \
		"$(calc "$(cpp_ir "$tsv" anon-traceanon "$n2") / $(cpp_ir "$tsv" anon-cryptopan "$n2")" %.2f) (Ir total at $(fmt_si "$n2"))"
}
