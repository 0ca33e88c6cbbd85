# offline.sh - part 1: merge K pcap files into one, mtracecap against
# tracemerge, mergecap and a plain read/write copy (dd), into a file and
# into /dev/null; with $MTRACECAP_REF, that second mtracecap too (labels
# ref-*), as one more peer; and mtracecap writing pcapng (labels mtc-ng-*:
# the same inputs into pcapng:FILE and pcapng:-) beside its pcap, with the
# ratio pcapng / pcap; and mtracecap with MTRACECAP_WRITE=sync (label
# mtc-sync-file: the merging thread writes each buffer itself), with the
# ratio write-behind / sync.  Sourced by bench/run; writes
# $RES/offline.{tsv,txt}.

# the main merge's number of inputs (the TARGETS lines count by it too)
OFFLINE_INPUTS=4

bench_offline() {
	local n=$OFFLINE_PACKETS k=$OFFLINE_INPUTS runs=$OFFLINE_RUNS r i
	local data=$WORK/offline out=$WORK/offline-out.pcap tsv=$RES/offline.tsv
	local ins=() pins=() ins16=() ins64=() want labels kk

	say "== offline: $k x $n packets, $runs runs"
	need_tools mergecap tracemerge capinfos || die "offline: need mergecap, tracemerge"
	mkinputs "$data" "$n" "$k"
	for ((i = 0; i < k; i++)); do
		ins+=("$data/in$i.pcap")
		pins+=("pcapfile:$data/in$i.pcap")
	done
	want=$((24 + k * n * (16 + 128)))
	# issue 19: the same total in 16 and 64 inputs (rows "16 inputs",
	# "64 inputs"; their ratio is their packet rate / the 4-input rate)
	for kk in 16 64; do
		mkinputs "$WORK/offline$kk" $((k * n / kk)) "$kk"
	done
	for ((i = 0; i < 16; i++)); do ins16+=("$WORK/offline16/in$i.pcap"); done
	for ((i = 0; i < 64; i++)); do ins64+=("$WORK/offline64/in$i.pcap"); done
	: >"$tsv"
	# warm the page cache and the binaries once, untimed
	cat "${ins[@]}" >/dev/null

	local ref=""
	has_ref && ref=ref
	local ng=""
	has_pcapng "${ins[0]}" && ng=ng
	labels="mtc-file mtc-sync-file mtc-k16-file mtc-k64-file ${ng:+mtc-ng-file }${ref:+ref-file }tm-file mc-file dd-file"
	labels="$labels mtc-null ${ng:+mtc-ng-null }${ref:+ref-null }tm-null mc-null dd-null"
	[ "$BENCH_GZ" = 1 ] && labels="$labels mtc-gz ${ref:+ref-gz }tm-gz mc-gz"
	local order=($labels) nl
	nl=${#order[@]}
	for ((r = 1; r <= runs; r++)); do
		say "   round $r/$runs"
		# each round starts one tool later: whatever state the round
		# before left (page cache, memory just freed) meets every tool
		for ((i = 0; i < nl; i++)); do
			l=${order[(i + r - 1) % nl]}
			rm -f "$out"
			offline_one "$l" "$tsv" "$out" || true
			if [ "$r" -eq 1 ] && [ "$l" = mtc-ng-file ]; then
				# pcapng: blocks, not a size known beforehand
				local np
				np=$(npackets "$out")
				[ "$np" -eq $((k * n)) ] ||
				    echo "$l: output has $np packets, expected $((k * n))" \
				    >>"$RES/offline.errors"
			elif [ "$r" -eq 1 ] && [ "${l%-file}" != "$l" ]; then
				local sz
				sz=$(stat -c %s "$out" 2>/dev/null || echo 0)
				# dd copies the four file headers too
				[ "$sz" -eq "$want" ] || { [ "$l" = dd-file ] &&
				    [ "$sz" -eq $((want + (k - 1) * 24)) ]; } ||
				    echo "$l: output has $sz bytes, expected $want" \
				    >>"$RES/offline.errors"
			fi
		done
	done
	rm -f "$out"
	offline_table "$tsv" "$n" "$k" "$runs" >"$RES/offline.txt"
}

# offline_one LABEL TSV OUT: one timed run of LABEL (ref-X: mtc-X with
# $MTRACECAP_REF)
offline_one() {
	local l=$1 tsv=$2 out=$3 err=$RES/offline.stderr mtc=$MTRACECAP kind=$1
	case $l in ref-*) mtc=$MTRACECAP_REF kind=mtc-${l#ref-} ;; esac
	case $kind in
	mtc-file) measure "$tsv" "$l" "$mtc" -s 0 "pcapfile:$out" \
	    "${ins[@]}" 2>>"$err" ;;
	tm-file) measure "$tsv" "$l" tracemerge "pcapfile:$out" "${pins[@]}" \
	    2>>"$err" ;;
	mc-file) measure "$tsv" "$l" mergecap -F pcap -w "$out" "${ins[@]}" \
	    2>>"$err" ;;
	# read/write copy: dd, because cat may copy_file_range (no data moved)
	dd-file) measure "$tsv" "$l" bash -c \
	    'o=$1; shift; for f; do dd if="$f" bs=1M status=none; done >"$o"' \
	    dd "$out" "${ins[@]}" 2>>"$err" ;;
	mtc-sync-file) measure "$tsv" "$l" env MTRACECAP_WRITE=sync "$mtc" \
	    -s 0 "pcapfile:$out" "${ins[@]}" 2>>"$err" ;;
	mtc-k16-file) measure "$tsv" "$l" "$mtc" -s 0 "pcapfile:$out" \
	    "${ins16[@]}" 2>>"$err" ;;
	mtc-k64-file) measure "$tsv" "$l" "$mtc" -s 0 "pcapfile:$out" \
	    "${ins64[@]}" 2>>"$err" ;;
	mtc-ng-file) measure "$tsv" "$l" "$mtc" -s 0 "pcapng:$out" \
	    "${ins[@]}" 2>>"$err" ;;
	mtc-ng-null) measure "$tsv" "$l" "$mtc" -s 0 pcapng:- \
	    "${ins[@]}" >/dev/null 2>>"$err" ;;
	mtc-null) measure "$tsv" "$l" "$mtc" -s 0 pcapfile:- \
	    "${ins[@]}" >/dev/null 2>>"$err" ;;
	tm-null) measure "$tsv" "$l" tracemerge pcapfile:- "${pins[@]}" \
	    >/dev/null 2>>"$err" ;;
	mc-null) measure "$tsv" "$l" mergecap -F pcap -w - "${ins[@]}" \
	    >/dev/null 2>>"$err" ;;
	dd-null) measure "$tsv" "$l" bash -c \
	    'for f; do dd if="$f" bs=1M status=none; done >/dev/null' \
	    dd "${ins[@]}" 2>>"$err" ;;
	mtc-gz) measure "$tsv" "$l" "$mtc" -s 0 --pipeout='gzip -1' \
	    "pcapfile:$out" "${ins[@]}" 2>>"$err" ;;
	tm-gz) measure "$tsv" "$l" tracemerge -Z gzip -z 1 "pcapfile:$out" \
	    "${pins[@]}" 2>>"$err" ;;
	mc-gz) measure "$tsv" "$l" bash -c \
	    'o=$1; shift; mergecap -F pcap -w - "$@" | gzip -1 >"$o"' \
	    mc "$out" "${ins[@]}" 2>>"$err" ;;
	esac
}

offline_table() {
	local tsv=$1 n=$2 k=$3 runs=$4 total group l name w c m f pps
	local mw mc wr cr
	total=$((n * k))
	printf 'OFFLINE MERGE: %d inputs x %s packets of 128 bytes (%d MB), data in %s\n' \
	    "$k" "$(fmt_si "$n")" $((total * 144 / 1000000)) "$WORK_FS"
	printf 'median of %d runs, run interleaved; ratio = mtracecap / peer (< 1: mtracecap better)\n' "$runs"
	has_ref && printf 'row mtracecap (ref) = the second binary in the header: ratio > 1 means mtracecap is worse\n'
	grep -q '^mtc-ng-' "$tsv" &&
	    printf 'row mtracecap pcapng = the same merge written as pcapng: its ratio is pcapng / pcap (target <= 1.10)\n'
	grep -q '^mtc-sync-' "$tsv" &&
	    printf 'row mtracecap write sync = MTRACECAP_WRITE=sync: its ratio is mtracecap / it (< 1: write-behind wins)\n'
	printf '%-6s %-26s %8s %8s %8s %9s %8s %8s %s\n' output tool "wall s" \
	    "CPU s" Mpkt/s "RSS MiB" "wall x" "CPU x" note
	for group in file null gz; do
		if [ "$group" = gz ] && [ "$BENCH_GZ" != 1 ]; then
			printf '%-6s %-26s %s\n' "gz" "(BENCH_GZ=1)" \
			    "not run; 'bench/run compress' compares -Z gz and --pipeout"
			continue
		fi
		mw=$(median "$tsv" "mtc-$group" 2)
		mc=$(median "$tsv" "mtc-$group" 3)
		for l in mtc mtc-sync mtc-k16 mtc-k64 mtc-ng $(has_ref && echo ref) tm mc dd; do
			[ "$group" = gz ] && [ "$l" = dd ] && continue
			case $l in mtc-ng|mtc-k*|mtc-sync)
				grep -q "^$l-$group	" "$tsv" || continue ;;
			esac
			case $l in
			mtc) name=mtracecap ;;
			mtc-ng) name="mtracecap pcapng" ;;
			mtc-sync) name="mtracecap write sync" ;;
			mtc-k16) name="mtracecap 16 inputs" ;;
			mtc-k64) name="mtracecap 64 inputs" ;;
			ref) name="mtracecap (ref)" ;;
			tm) name=tracemerge ;;
			mc) name=mergecap ;;
			dd) name="dd copy (reference)" ;;
			esac
			[ "$group" = gz ] && case $l in
			mtc) name="mtracecap --pipeout gzip-1" ;;
			ref) name="(ref) --pipeout gzip-1" ;;
			tm) name="tracemerge -Z gzip -z1" ;;
			mc) name="mergecap | gzip -1" ;;
			esac
			w=$(median "$tsv" "$l-$group" 2)
			c=$(median "$tsv" "$l-$group" 3)
			m=$(median "$tsv" "$l-$group" 4)
			f=$(failures "$tsv" "$l-$group")
			pps=$(calc "$total / $w / 1e6" %.2f)
			if [ "$l" = mtc ]; then wr="" cr=""
			elif [ "${l#mtc-k}" != "$l" ]; then
				# rate / 4-input rate: the same packets, so mw / w
				wr=$(ratio "$mw" "$w"); cr=$(ratio "$mc" "$c")
			elif [ "$l" = mtc-ng ]; then
				wr=$(ratio "$w" "$mw"); cr=$(ratio "$c" "$mc")
			else
				wr=$(ratio "$mw" "$w"); cr=$(ratio "$mc" "$c"); fi
			printf '%-6s %-26s %8.2f %8.2f %8s %9.1f %8s %8s %s\n' \
			    "$group" "$name" "$w" "$c" "$pps" "$(calc "$m / 1024")" \
			    "$wr" "$cr" "$([ "$f" -gt 0 ] && echo "FAILED $f runs")"
		done
	done
	[ -s "$RES/offline.errors" ] && sed 's/^/ERROR: /' "$RES/offline.errors"
	return 0
}
