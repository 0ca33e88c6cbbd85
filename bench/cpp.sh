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
# The same two merges run once more under memcheck, whose "total heap
# usage" gives mtracecap's heap allocations: their difference over the
# extra packets must be 0 (no allocation per packet on the hot path).
# Sourced by bench/run; writes $RES/cpp.{tsv,txt}, $RES/cpp-heap.tsv,
# $RES/callgrind.* and $RES/memcheck.*.log.

bench_cpp() {
	local n1=$CPP_PACKETS n2=$((2 * CPP_PACKETS)) k=4 tool n d i
	local tsv=$RES/cpp.tsv

	say "== cost per packet: callgrind, $k x $n1 and $k x $n2 packets"
	need_tools valgrind callgrind_annotate mergecap tracemerge ||
	    die "cpp: need valgrind, mergecap, tracemerge"
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
			mtracecap) cmd=("$MTRACECAP" -s 0 pcapfile:- "${ins[@]}") ;;
			mtracecap-ng) cmd=("$MTRACECAP" -s 0 pcapng:- "${ins[@]}") ;;
			mtracecap-ref) cmd=("$MTRACECAP_REF" -s 0 pcapfile:- "${ins[@]}") ;;
			mergecap) cmd=(mergecap -F pcap -w - "${ins[@]}") ;;
			tracemerge) cmd=(tracemerge pcapfile:- "${pins[@]}") ;;
			esac
			say "   $tool $k x $n"
			valgrind --tool=callgrind --callgrind-out-file="$cg" \
			    "${cmd[@]}" >/dev/null 2>"$cg.log" ||
			    die "cpp: $tool failed under callgrind: see $cg.log"
			printf '%s\t%s\t%s\n' "$tool" "$n" \
			    "$(awk '/^(summary|totals):/ { print $2; exit }' "$cg")" \
			    >>"$tsv"
		done
		cpp_heap "$n" "$RES/memcheck.mtracecap.$n.log" \
		    "$MTRACECAP" -s 0 pcapfile:- "${ins[@]}"
		[ "${HAS_PCAPNG:-}" != yes ] ||
		    HEAP_TSV=$RES/cpp-heap-ng.tsv cpp_heap "$n" \
		    "$RES/memcheck.mtracecap-ng.$n.log" \
		    "$MTRACECAP" -s 0 pcapng:- "${ins[@]}"
	done
	cpp_table "$tsv" "$n1" "$n2" "$k" >"$RES/cpp.txt"
}

# cpp_tools [TSV]: the tools measured, in table order (mtracecap-ng when
# this run measures pcapng, or, given TSV, when it holds its rows)
cpp_tools() {
	local ref="" ng=""
	has_ref && ref=mtracecap-ref
	if [ -n "${1:-}" ]; then
		grep -q '^mtracecap-ng	' "$1" && ng=mtracecap-ng
	elif [ "${HAS_PCAPNG:-}" = yes ]; then
		ng=mtracecap-ng
	fi
	echo mtracecap ${ng:+"$ng"} ${ref:+"$ref"} mergecap tracemerge
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
	local tsv=$1 n1=$2 n2=$3 k=$4 tool b marg tot mref tw=12
	has_ref && tw=14
	printf 'COST PER PACKET: callgrind instructions (Ir), merge of %d inputs into /dev/null\n' "$k"
	printf 'marginal = (Ir(%d x %s) - Ir(%d x %s)) / %s extra packets; ratio = mtracecap / peer\n' \
	    "$k" "$(fmt_si "$n2")" "$k" "$(fmt_si "$n1")" "$(fmt_si $((k * (n2 - n1))))"
	has_ref && printf 'row mtracecap-ref = the second binary in the header: ratio > 1 means mtracecap costs more\n'
	grep -q '^mtracecap-ng	' "$tsv" &&
	    printf 'row mtracecap-ng = the same merge written as pcapng: its ratio is pcapng / pcap (target <= 1.10)\n'
	printf '%-*s %14s %14s %12s %10s\n' "$tw" tool "Ir total" "Ir/pkt total" \
	    "Ir/pkt marg" "ratio"
	mref=""
	for tool in $(cpp_tools "$tsv"); do
		b=$(cpp_ir "$tsv" "$tool" "$n2")
		marg=$(cpp_marginal "$tsv" "$tool" "$n1" "$n2" "$k" %.0f)
		tot=$(calc "$b / ($k * $n2)" %.0f)
		[ -z "$mref" ] && mref=$marg
		printf '%-*s %14s %14s %12s %10s\n' "$tw" "$tool" "$b" "$tot" "$marg" \
		    "$(case $tool in mtracecap) ;; mtracecap-ng) ratio "$marg" "$mref" ;;
		    *) ratio "$mref" "$marg" ;; esac)"
	done
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
