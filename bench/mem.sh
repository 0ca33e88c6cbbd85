# mem.sh - part 4: peak RSS of mtracecap with 1, 4 and 8 file inputs and
# several --queue-size values, next to the configured bound
# (inputs x queue size), and the peers' peak RSS on the same inputs; with
# $MTRACECAP_REF that second mtracecap too, after each mtracecap run.
# Sourced by bench/run; writes $RES/mem.{tsv,txt}.

bench_mem() {
	local n=$MEM_PACKETS runs=$MEM_RUNS tsv=$RES/mem.tsv data=$WORK/offline
	local r k q i

	say "== memory: 1/4/8 inputs x queue ${MEM_QUEUES// /,} MiB, $runs runs"
	need_tools mergecap tracemerge || die "mem: need mergecap, tracemerge"
	mkinputs "$data" "$n" 8
	: >"$tsv"
	for ((r = 1; r <= runs; r++)); do
		for k in 1 4 8; do
			local ins=() pins=()
			for ((i = 0; i < k; i++)); do
				ins+=("$data/in$i.pcap")
				pins+=("pcapfile:$data/in$i.pcap")
			done
			for q in $MEM_QUEUES; do
				measure "$tsv" "mtc-$k-$q" "$MTRACECAP" -s 0 \
				    --queue-size="$q" pcapfile:- "${ins[@]}" \
				    >/dev/null 2>>"$RES/mem.stderr" || true
				has_ref || continue
				measure "$tsv" "ref-$k-$q" "$MTRACECAP_REF" -s 0 \
				    --queue-size="$q" pcapfile:- "${ins[@]}" \
				    >/dev/null 2>>"$RES/mem.stderr" || true
			done
			measure "$tsv" "mc-$k" mergecap -F pcap -w - "${ins[@]}" \
			    >/dev/null 2>>"$RES/mem.stderr" || true
			measure "$tsv" "tm-$k" tracemerge pcapfile:- "${pins[@]}" \
			    >/dev/null 2>>"$RES/mem.stderr" || true
		done
	done
	mem_table "$tsv" "$n" "$runs" >"$RES/mem.txt"
}

mem_table() {
	local tsv=$1 n=$2 runs=$3 k q m bound over f l x tw=24 xh=""
	has_ref && tw=30 xh="RSS x ref"
	printf 'MEMORY: peak RSS (/usr/bin/time %%M), merge of k inputs x %s packets into /dev/null, median of %d runs\n' \
	    "$(fmt_si "$n")" "$runs"
	has_ref && printf 'rows mtracecap (ref) = the second binary in the header: RSS x ref = mtracecap / ref (> 1: mtracecap uses more)\n'
	printf '%-*s %6s %10s %10s %10s %10s%s\n' "$tw" tool inputs "queue MiB" \
	    "k x queue" "RSS MiB" "RSS - kxq" "${xh:+ $xh}"
	for k in 1 4 8; do
		for q in $MEM_QUEUES; do
			for l in mtc $(has_ref && echo ref); do
				m=$(calc "$(median "$tsv" "$l-$k-$q" 4) / 1024" %.1f)
				bound=$((k * q))
				over=$(calc "$m - $bound" %.1f)
				f=$(failures "$tsv" "$l-$k-$q")
				x=""
				[ "$l" = ref ] && x=$(printf ' %9s' "$(ratio \
				    "$(median "$tsv" "mtc-$k-$q" 4)" "$(median "$tsv" "ref-$k-$q" 4)")")
				printf '%-*s %6d %10s %10d %10s %10s%s %s\n' "$tw" \
				    "$([ "$l" = ref ] && echo "mtracecap (ref) --queue-size" ||
				    echo "mtracecap --queue-size")" "$k" "$q" "$bound" "$m" "$over" \
				    "$x" "$([ "$f" -gt 0 ] && echo "FAILED $f runs")"
			done
		done
		printf '%-*s %6d %10s %10s %10s\n' "$tw" mergecap "$k" - - \
		    "$(calc "$(median "$tsv" "mc-$k" 4) / 1024" %.1f)"
		printf '%-*s %6d %10s %10s %10s\n' "$tw" tracemerge "$k" - - \
		    "$(calc "$(median "$tsv" "tm-$k" 4) / 1024" %.1f)"
	done
}
