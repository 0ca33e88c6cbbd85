# mem.sh - part 4: peak RSS of mtracecap with 1, 4 and 8 file inputs and
# several --queue-size values, next to the configured bound
# (inputs x queue size), and the peers' peak RSS on the same inputs.
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
	local tsv=$1 n=$2 runs=$3 k q m bound over f
	printf 'MEMORY: peak RSS (/usr/bin/time %%M), merge of k inputs x %s packets into /dev/null, median of %d runs\n' \
	    "$(fmt_si "$n")" "$runs"
	printf '%-24s %6s %10s %10s %10s %10s\n' tool inputs "queue MiB" \
	    "k x queue" "RSS MiB" "RSS - kxq"
	for k in 1 4 8; do
		for q in $MEM_QUEUES; do
			m=$(calc "$(median "$tsv" "mtc-$k-$q" 4) / 1024" %.1f)
			bound=$((k * q))
			over=$(calc "$m - $bound" %.1f)
			f=$(failures "$tsv" "mtc-$k-$q")
			printf '%-24s %6d %10s %10d %10s %10s %s\n' \
			    "mtracecap --queue-size" "$k" "$q" "$bound" "$m" "$over" \
			    "$([ "$f" -gt 0 ] && echo "FAILED $f runs")"
		done
		printf '%-24s %6d %10s %10s %10s\n' mergecap "$k" - - \
		    "$(calc "$(median "$tsv" "mc-$k" 4) / 1024" %.1f)"
		printf '%-24s %6d %10s %10s %10s\n' tracemerge "$k" - - \
		    "$(calc "$(median "$tsv" "tm-$k" 4) / 1024" %.1f)"
	done
}
