# compress.sh - part 2: throughput of mtracecap writing compressed output.
# The same merge as the offline part (K pcap files into one, -s 0) written
# uncompressed (the baseline), through libwandio in process (-Z gz -z 1),
# and through a compressor child (--pipeout 'gzip -1', 'zstd -1', 'lz4').
# The slow in-process compressors (-Z xz/bz2 -z 1) run on smaller inputs
# next to a baseline of their own.  Every mode runs once per round, rounds
# interleaved; CPU is user+sys of mtracecap and its compressor child.  In
# round 1 each output is decompressed and compared with the baseline's.
# With $MTRACECAP_REF that second mtracecap runs every mode too, right
# after mtracecap (labels ref-MODE), its outputs compared with mtracecap's.
# Sourced by bench/run; writes $RES/compress.{tsv,txt}, compress-sizes.tsv
# (output bytes per run), compress-na.tsv (modes this machine cannot run)
# and compress-versions.txt.

# compress_mode MODE: set c_args (mtracecap flags), c_ext (file name
# suffix), c_dec (command decompressing stdin to stdout) and c_name.
compress_mode() {
	case $1 in
	none) c_args=() c_ext=pcap c_dec=cat c_name="none (uncompressed)" ;;
	gz) c_args=(-Z gz -z 1) c_ext=pcap.gz c_dec="gzip -dc"
	    c_name="-Z gz -z 1 (libwandio)" ;;
	pgz) c_args=(--pipeout='gzip -1') c_ext=pcap.gz c_dec="gzip -dc"
	    c_name="--pipeout='gzip -1'" ;;
	pzstd) c_args=(--pipeout='zstd -1') c_ext=pcap.zst c_dec="zstd -dcq"
	    c_name="--pipeout='zstd -1'" ;;
	plz4) c_args=(--pipeout=lz4) c_ext=pcap.lz4 c_dec="lz4 -dcq"
	    c_name="--pipeout='lz4'" ;;
	xz) c_args=(-Z xz -z 1) c_ext=pcap.xz c_dec="xz -dc"
	    c_name="-Z xz -z 1 (libwandio)" ;;
	bz2) c_args=(-Z bz2 -z 1) c_ext=pcap.bz2 c_dec="bzip2 -dc"
	    c_name="-Z bz2 -z 1 (libwandio)" ;;
	lzo) c_args=(-Z lzo -z 1) c_ext=pcap.lzo c_dec="lzop -dc"
	    c_name="-Z lzo -z 1" ;;
	*) die "compress: unknown mode '$1'" ;;
	esac
}

# compress_data N: directory of the 4 inputs of N packets (offline's when
# the counts agree, so they are made once)
compress_data() {
	if [ "$1" = "$OFFLINE_PACKETS" ]; then
		echo "$WORK/offline"
	else
		echo "$WORK/compress$1"
	fi
}

bench_compress() {
	local n=$COMPRESS_PACKETS ns=$COMPRESS_SLOW_PACKETS k=4
	local runs=$COMPRESS_RUNS tsv=$RES/compress.tsv sizes=$RES/compress-sizes.tsv
	local na=$RES/compress-na.tsv err=$RES/compress.stderr
	local fast="none gz pgz pzstd plz4" slow="" grp mode label r i d j
	local ins=() sins=() todo=() skip

	[ -n "$COMPRESS_SLOW" ] && slow="none $COMPRESS_SLOW"
	say "== compress: $k x $n packets${slow:+ (-Z ${COMPRESS_SLOW// /,}: $k x $ns)}, $runs runs"
	need_tools gzip zstd lz4 ||
	    say "bench: compress: some compressors are missing: their rows say n/a"
	[ -z "$slow" ] || need_tools xz bzip2 ||
	    say "bench: compress: xz or bzip2 missing: their rows say n/a"
	d=$(compress_data "$n")
	mkinputs "$d" "$n" "$k"
	for ((i = 0; i < k; i++)); do ins+=("$d/in$i.pcap"); done
	if [ -n "$slow" ]; then
		d=$(compress_data "$ns")
		mkinputs "$d" "$ns" "$k"
		for ((i = 0; i < k; i++)); do sins+=("$d/in$i.pcap"); done
	fi
	: >"$tsv"
	: >"$sizes"
	: >"$na"
	{
		echo "$(gzip --version 2>/dev/null | head -n 1)," \
		    "zstd $(zstd --version 2>/dev/null | grep -o 'v[0-9.]*' | head -n 1)," \
		    "lz4 $(lz4 --version 2>/dev/null | grep -o 'v[0-9.]*' | head -n 1)," \
		    "libwandio $(dpkg-query -W -f '${Version}' libwandio1 2>/dev/null || echo '?')"
	} >"$RES/compress-versions.txt"

	# Which modes run here at all: a 1000-packet probe per mode, whose
	# output must decompress to the baseline's.
	d=$WORK/compress-probe
	mkinputs "$d" 1000 1
	"$MTRACECAP" -s 0 "pcapfile:$d/ref.pcap" "$d/in0.pcap" 2>"$d/err" ||
	    die "compress: mtracecap fails on a plain file: $(head -n 1 "$d/err")"
	local who bin
	for who in "" $(has_ref && echo ref-); do
		bin=$MTRACECAP
		[ -n "$who" ] && bin=$MTRACECAP_REF
		for mode in $fast $COMPRESS_SLOW; do
			compress_mode "$mode"
			rm -f "$d/out.$c_ext"
			if ! "$bin" -s 0 ${c_args[@]+"${c_args[@]}"} "pcapfile:$d/out.$c_ext" \
			    "$d/in0.pcap" 2>"$d/err"; then
				printf '%s\tn/a: %s\n' "$who$mode" "$(grep -v '^mtracecap: input=\|^mtracecap: total:' \
				    "$d/err" | head -n 1)" >>"$na"
			elif ! $c_dec <"$d/out.$c_ext" 2>/dev/null | cmp -s - "$d/ref.pcap"; then
				printf '%s\tn/a: a 1000-packet probe does not decompress (%s) to the plain output\n' \
				    "$who$mode" "$c_dec" >>"$na"
			fi
		done
	done
	skip=$(cut -f1 "$na" | tr '\n' ' ')
	for mode in $fast; do
		for who in "" $(has_ref && echo ref-); do
			case " $skip " in *" $who$mode "*) ;; *) todo+=("$who$mode:fast") ;; esac
		done
	done
	for mode in $slow; do
		for who in "" $(has_ref && echo ref-); do
			case " $skip " in *" $who$mode "*) ;; *) todo+=("$who$mode:slow") ;; esac
		done
	done

	# warm the page cache once, untimed
	cat "${ins[@]}" ${sins[@]+"${sins[@]}"} >/dev/null
	for ((r = 1; r <= runs; r++)); do
		say "   round $r/$runs"
		for j in "${todo[@]}"; do
			mode=${j%:*} grp=${j#*:}
			label=$mode
			[ "$grp" = slow ] && label=$mode-s
			compress_one "$mode" "$label" "$grp" "$r" || true
		done
	done
	rm -f "$WORK"/compress-out.* "$WORK"/compress-ref*.pcap
	compress_table "$tsv" "$n" "$ns" "$k" "$runs" >"$RES/compress.txt"
}

# compress_one MODE LABEL GROUP ROUND: one timed run; records the output
# size, and in round 1 keeps the baseline (GROUP's none) or checks the
# output against it.  MODE ref-X: mode X with $MTRACECAP_REF (its none
# compared with mtracecap's).
compress_one() {
	local mode=$1 label=$2 grp=$3 r=$4 out ref want sz rc=0 bin=$MTRACECAP
	local files=("${ins[@]}")
	[ "$grp" = slow ] && files=("${sins[@]}")
	case $mode in ref-*) mode=${mode#ref-} bin=$MTRACECAP_REF ;; esac
	compress_mode "$mode"
	out=$WORK/compress-out.$c_ext
	ref=$WORK/compress-ref-$grp.pcap
	rm -f "$out"
	measure "$tsv" "$label" "$bin" -s 0 ${c_args[@]+"${c_args[@]}"} \
	    "pcapfile:$out" "${files[@]}" 2>>"$err" || rc=$?
	sz=$(stat -c %s "$out" 2>/dev/null || echo 0)
	[ "$rc" -eq 0 ] && printf '%s\t%s\n' "$label" "$sz" >>"$sizes"
	if [ "$r" -eq 1 ]; then
		if [ "$mode" = none ]; then
			want=$((24 + ${#files[@]} * (16 + 128) *
			    $([ "$grp" = slow ] && echo "$ns" || echo "$n")))
			[ "$sz" -eq "$want" ] || echo "$label: output has $sz bytes, expected $want" \
			    >>"$RES/compress.errors"
			if [ "${label#ref-}" != "$label" ] && [ -f "$ref" ]; then
				cmp -s "$out" "$ref" || echo "$label: output differs from mtracecap's" \
				    >>"$RES/compress.errors"
			else
				mv -f "$out" "$ref"
			fi
		elif [ ! -f "$ref" ]; then
			echo "$label: no baseline output to compare with" >>"$RES/compress.errors"
		elif ! $c_dec <"$out" 2>/dev/null | cmp -s - "$ref"; then
			echo "$label: '$c_dec' of the output differs from the uncompressed output" \
			    >>"$RES/compress.errors"
		fi
	fi
	rm -f "$out"
	return "$rc"
}

# compress_table TSV N NSLOW K RUNS: the table, from compress.tsv and
# compress-sizes.tsv (and compress-na.tsv) next to TSV
compress_table() {
	local tsv=$1 n=$2 ns=$3 k=$4 runs=$5 dir grp pkts modes
	dir=$(dirname "$tsv")
	printf 'COMPRESSED OUTPUT: merge of %d inputs of 128-byte packets into one file, data and output in %s\n' \
	    "$k" "$WORK_FS"
	printf 'median of %d runs, run interleaved; CPU = user+sys of mtracecap and its compressor child;\n' "$runs"
	printf 'MB/s = MB of pcap (uncompressed size) per wall second; ratio = pcap size / output size;\n'
	printf 'x none = median / uncompressed median (wall x < 1: faster than writing plain pcap)\n'
	[ -s "$dir/compress-versions.txt" ] && echo "tools: $(cat "$dir/compress-versions.txt")"
	printf 'wall range = fastest-slowest run, to show the noise behind the medians\n'
	has_ref && printf 'rows (ref) = the second binary in the header, x none over its own none; wall/ref, CPU/ref = mtracecap / ref (> 1: mtracecap worse)\n'
	printf '%-30s %7s %11s %7s %7s %6s %7s %6s %6s %6s%s %s\n' mode "wall s" \
	    "wall range" "CPU s" Mpkt/s "MB/s" "out MB" ratio "wall x" "CPU x" \
	    "$(has_ref && printf ' %8s %8s' wall/ref CPU/ref)" note
	for grp in fast slow; do
		if [ "$grp" = fast ]; then
			pkts=$n modes="none gz pgz pzstd plz4"
		else
			[ -n "$COMPRESS_SLOW" ] || continue
			pkts=$ns modes="none $COMPRESS_SLOW"
		fi
		printf -- '-- %d x %s packets (%s MB of pcap)\n' "$k" "$(fmt_si "$pkts")" \
		    "$(calc "(24 + $k * $pkts * 144) / 1e6" %.0f)"
		compress_rows "$tsv" "$dir" "$grp" "$pkts" "$k" "$modes"
	done
	echo "note: the synthetic payloads repeat, so ratios (and the speed of gzip, xz, bz2)"
	echo "are far above what real traffic gives; compare modes with each other."
	[ -s "$dir/compress.errors" ] && sed 's/^/ERROR: /' "$dir/compress.errors"
	return 0
}

compress_rows() {
	local tsv=$1 dir=$2 grp=$3 pkts=$4 k=$5 modes=$6 mode label sfx=""
	local bw bc bsz w c sz f nr note reason who x mbw
	[ "$grp" = slow ] && sfx=-s
	mbw=$(median "$tsv" "none$sfx" 2)
	for mode in $modes; do
		for who in "" $(has_ref && echo ref-); do
			label=$who$mode$sfx
			bw=$(median "$tsv" "${who}none$sfx" 2)
			bc=$(median "$tsv" "${who}none$sfx" 3)
			bsz=$(median "$dir/compress-sizes.tsv" "${who}none$sfx" 2)
			# no baseline file size (baseline failed): the nominal one
			[ "$bsz" = nan ] && bsz=$((24 + k * pkts * 144))
			compress_mode "$mode"
			[ -n "$who" ] && c_name="(ref) $c_name"
			reason=$(awk -F'\t' -v m="$who$mode" '$1 == m { print $2; exit }' \
			    "$dir/compress-na.tsv" 2>/dev/null)
			if [ -n "$reason" ]; then
				printf '%-30s %s\n' "$c_name" "$reason"
				continue
			fi
			nr=$(awk -F'\t' -v l="$label" '$1 == l { n++ } END { print n + 0 }' "$tsv")
			f=$(failures "$tsv" "$label")
			if [ "$nr" -eq 0 ] || [ "$f" -eq "$nr" ]; then
				printf '%-30s FAILED %d of %d runs (see compress.stderr)\n' \
				    "$c_name" "$f" "$nr"
				continue
			fi
			w=$(median "$tsv" "$label" 2)
			c=$(median "$tsv" "$label" 3)
			sz=$(median "$dir/compress-sizes.tsv" "$label" 2)
			note=""
			[ "$f" -gt 0 ] && note="FAILED $f runs"
			x=""
			[ -n "$who" ] && x=$(printf ' %8s %8s' \
			    "$(ratio "$(median "$tsv" "$mode$sfx" 2)" "$w")" \
			    "$(ratio "$(median "$tsv" "$mode$sfx" 3)" "$c")")
			printf '%-30s %7.2f %11s %7.2f %7s %6s %7s %6s %6s %6s%s %s\n' "$c_name" \
			    "$w" "$(awk -F'\t' -v l="$label" '$1 == l && $5 == 0 {
				if (n++ == 0 || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
				END { printf "%.2f-%.2f", lo, hi }' "$tsv")" \
			    "$c" "$(calc "$k * $pkts / $w / 1e6" %.2f)" \
			    "$(calc "$bsz / $w / 1e6" %.0f)" "$(calc "$sz / 1e6" %.1f)" \
			    "$(ratio "$bsz" "$sz")" \
			    "$([ "$mode" = none ] && echo 1.00 || ratio "$w" "$bw")" \
			    "$([ "$mode" = none ] && echo 1.00 || ratio "$c" "$bc")" "$x" "$note"
		done
	done
	# start-up and exit (which waits for a tick of up to 0.1 s) are a
	# fixed cost that a short baseline cannot amortise
	awk -v w="$mbw" 'BEGIN { exit !(w != "nan" && w < 0.25) }' &&
	    echo "  (baseline under 0.25 s: fixed start-up/exit cost inflates wall x; compare MB/s)"
	return 0
}
