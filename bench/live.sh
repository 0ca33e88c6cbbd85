# live.sh - part 2: live capture on veth pairs between two network
# namespaces created here (sender side and capture side; nothing on the
# host's own interfaces, no IP addresses, frames from 198.18.0.0/15 only,
# so no packet can leave the machine).  tcpreplay injects 64/128-byte
# frames at fixed rates and at top speed on 1, 2 and 4 interfaces, and
# trafgen (netsniff-ng; steps SIZE:tg, SIZE:tgall) at its top speed; the
# capturers are one mtracecap per libtrace format (ring:, int:, pcapint:)
# taking all interfaces in one process, one tcpdump per interface, and one
# dumpcap with all interfaces; with $MTRACECAP_REF, that second mtracecap
# per format too (ref-ring, ...).  Saved packets are counted with capinfos.
# Then the fan-out rows (issue 15): one interface at the highest rate
# (LIVE_FANOUT_STEP), mtracecap ring: without --fanout and with --fanout=N
# for each N of LIVE_FANOUT, and tcpdump, in the same rounds.
# Sourced by bench/run; writes $RES/live.{tsv,txt}, live-detail.txt and
# live-fanout.{tsv,txt}.

# live_caps: the capturers, in table order
live_caps() {
	local ref=""
	has_ref && ref="ref-ring ref-int ref-pcapint"
	echo mtc-ring mtc-int mtc-pcapint $ref tcpdump dumpcap
}

live_skip() {
	say "== live: SKIPPED: $*"
	printf 'LIVE CAPTURE: skipped: %s\n' "$*" >"$RES/live.txt"
}

bench_live() {
	local maxif=0 nif step cap i
	LIVE_PIDS=()

	say "== live: ${LIVE_IFS// /,} interfaces, steps $LIVE_STEPS"
	[ "$(id -u)" -eq 0 ] || { live_skip "needs root (network namespaces)"; return 0; }
	need_tools ip tcpreplay tcpdump dumpcap capinfos pgrep ||
	    { live_skip "needs ip, tcpreplay, tcpdump, dumpcap, capinfos"; return 0; }
	for nif in $LIVE_IFS; do [ "$nif" -gt "$maxif" ] && maxif=$nif; done

	# unique names: namespaces mtcb<pid>s/c, interfaces mtcb<pid>t<i>/r<i>
	LTAG=mtcb$$
	LNS_S=${LTAG}s
	LNS_C=${LTAG}c
	ip netns add "$LNS_S" 2>/dev/null ||
	    { live_skip "cannot create a network namespace"; return 0; }
	on_exit ip netns del "$LNS_S"
	ip netns add "$LNS_C" || die "live: cannot create namespace $LNS_C"
	on_exit ip netns del "$LNS_C"
	for ns in "$LNS_S" "$LNS_C"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		    net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
	done
	for ((i = 0; i < maxif; i++)); do
		# both ends are created inside the namespaces: the host never
		# sees these interfaces
		ip -n "$LNS_S" link add "${LTAG}t$i" type veth \
		    peer name "${LTAG}r$i" netns "$LNS_C" ||
		    { live_skip "cannot create veth pairs"; return 0; }
		ip -n "$LNS_S" link set "${LTAG}t$i" up
		ip -n "$LNS_C" link set "${LTAG}r$i" up
	done
	on_exit live_stop_all	# runs before the namespaces go

	for size in $(for s in $LIVE_STEPS; do echo "${s%%:*}"; done | sort -un); do
		python3 "$BENCH_SRC/tests/tools/mkpcap.py" "$WORK/live$size.pcap" \
		    --count 100000 --size "$size" --id 1 --step-us 10
		# trafgen sends the first frame of it over and over
		python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
n = int.from_bytes(d[32:36], "little")
print("{ " + ", ".join("0x%02x" % b for b in d[40:40 + n]) + " }")' \
		    "$WORK/live$size.pcap" >"$WORK/live$size.cfg"
	done
	case " $LIVE_STEPS " in
	*:tg" "*|*:tgall" "*) need_tools trafgen ||
	    say "   no trafgen (netsniff-ng): the SIZE:tg and SIZE:tgall steps are skipped" ;;
	esac

	local tsv=$RES/live.tsv
	printf 'cap\tnif\tsize\trate\tsent\tsent_pps\tsaved\tdropped\tveth_drop\tcpu_s\tdisorders\tstatus\n' >"$tsv"
	# each cell runs the capturers in a shuffled order (seeded by the
	# cell's number, so a rerun repeats it): in a fixed order the one
	# after dumpcap's heavy trial paid for it (mtracecap ring: measured
	# 20-50% more CPU than int: and pcapint:, which run the same code)
	local caps=($(live_caps)) order nc k j t cell=0
	nc=${#caps[@]}
	for ((r = 1; r <= LIVE_RUNS; r++)); do
		for nif in $LIVE_IFS; do
			for step in $LIVE_STEPS; do
				order=("${caps[@]}")
				RANDOM=$((cell + 1))
				for ((k = nc - 1; k > 0; k--)); do
					j=$((RANDOM % (k + 1)))
					t=${order[k]} order[k]=${order[j]} order[j]=$t
				done
				for k in "${order[@]}"; do
					live_trial "$k" "$nif" "${step%%:*}" \
					    "${step#*:}" >>"$tsv"
				done
				cell=$((cell + 1))
			done
			# what a capturer costs without packets (start,
			# rings, stop): the idle rows, one trial a run
			[ "${LIVE_IDLE:-1}" = 1 ] || continue
			for k in "${caps[@]}"; do
				live_trial "$k" "$nif" 64 idle >>"$tsv"
			done
		done
	done
	live_table "$tsv" >"$RES/live.txt"
	column -t -s $'\t' "$tsv" >"$RES/live-detail.txt"
	live_fanout
}

# has_fanout: $MTRACECAP knows --fanout (a usage error about the file
# input, not an unknown option)
has_fanout() {
	local e
	e=$("$MTRACECAP" --fanout=1 pcapfile:/dev/null /dev/null 2>&1) || true
	case $e in *"unknown option"*) return 1 ;; esac
	return 0
}

# live_fanout: the fan-out rows.  One interface at LIVE_FANOUT_STEP
# (default 64:tgall, the most this machine sends; 64:top without
# trafgen), LIVE_FANOUT_RUNS rounds of mtracecap ring: without --fanout,
# with --fanout=N for each N of LIVE_FANOUT, and tcpdump, shuffled in
# each round; $RES/live-fanout.tsv (live.tsv's columns) and its table.
live_fanout() {
	local tsv=$RES/live-fanout.tsv caps=(mtc-ring) order k j t r n step
	step=${LIVE_FANOUT_STEP:-}
	if [ -z "$step" ]; then
		step=64:tgall
		command -v trafgen >/dev/null 2>&1 || step=64:top
	fi
	if ! has_fanout; then
		say "== live fan-out: skipped: $MTRACECAP has no --fanout"
		printf '\nFAN-OUT: skipped: this mtracecap has no --fanout\n' >"$RES/live-fanout.txt"
		return 0
	fi
	for n in $LIVE_FANOUT; do caps+=("mtc-fan$n"); done
	caps+=(tcpdump)
	say "== live fan-out: 1 interface, step $step, ${caps[*]}, $LIVE_FANOUT_RUNS round(s)"
	printf 'cap\tnif\tsize\trate\tsent\tsent_pps\tsaved\tdropped\tveth_drop\tcpu_s\tdisorders\tstatus\n' >"$tsv"
	for ((r = 1; r <= LIVE_FANOUT_RUNS; r++)); do
		order=("${caps[@]}")
		RANDOM=$((1000 + r))
		for ((k = ${#order[@]} - 1; k > 0; k--)); do
			j=$((RANDOM % (k + 1)))
			t=${order[k]} order[k]=${order[j]} order[j]=$t
		done
		for k in "${order[@]}"; do
			live_trial "$k" 1 "${step%%:*}" "${step#*:}" >>"$tsv"
		done
	done
	live_fanout_table "$tsv" >"$RES/live-fanout.txt"
}

# live_fanout_table TSV: per capturer the medians over its rounds of the
# rate sent, the packets saved (% of sent), the CPU seconds per million
# packets saved, and that CPU over tcpdump's and over mtracecap's without
# --fanout
live_fanout_table() {
	local tsv=$1
	awk -F'\t' '
	    function med(a, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	    NR == 1 { next }
	    { c = $1; if (!(c in n)) order[++nc] = c
	      k = ++n[c]; step = $3 ":" $4
	      pps[c, k] = $6; sv[c, k] = $5 > 0 ? $7 / $5 * 100 : 0
	      cpm[c, k] = $7 > 0 ? $10 / ($7 / 1e6) : 1e9
	      if ($12 != "ok") bad[c] = $12 }
	    END {
		printf "\nFAN-OUT (issue 15): one veth at %s, mtracecap ring: with --fanout=N and without, tcpdump;\n", step
		printf "median of %d round(s); saved %% of sent (capinfos); CPU = user+sys per million packets saved\n", n["tcpdump"]
		printf "(on 2 cores fan-out cannot show a gain: the rows show what it costs)\n"
		printf "%-22s %10s %9s %10s %9s %9s %s\n", "capturer", "sent pps", "saved %", "CPU s/Mp", "x tcpdump", "x no fan", ""
		for (i = 1; i <= nc; i++) {
			c = order[i]
			for (k = 1; k <= n[c]; k++) { a[k] = pps[c, k] } P[c] = med(a, n[c])
			for (k = 1; k <= n[c]; k++) { a[k] = sv[c, k] } S[c] = med(a, n[c])
			for (k = 1; k <= n[c]; k++) { a[k] = cpm[c, k] } C[c] = med(a, n[c])
		}
		# rows: no fan-out, --fanout=N by N, tcpdump
		m = 0
		if ("mtc-ring" in n) row[++m] = "mtc-ring"
		for (i = 1; i <= nc; i++) if (order[i] ~ /^mtc-fan/) {
			row[++m] = order[i]
			for (j = m; j > 1 && substr(row[j - 1], 1, 7) == "mtc-fan" &&
			    substr(row[j - 1], 8) + 0 > substr(row[j], 8) + 0; j--) {
				t = row[j]; row[j] = row[j - 1]; row[j - 1] = t }
		}
		if ("tcpdump" in n) row[++m] = "tcpdump"
		for (i = 1; i <= m; i++) {
			c = row[i]
			if (c == "mtc-ring") lab = "mtracecap (no fanout)"
			else if (c ~ /^mtc-fan/) lab = "mtracecap --fanout=" substr(c, 8)
			else lab = c
			xt = ("tcpdump" in C && C["tcpdump"] > 0) ? sprintf("%.2f", C[c] / C["tcpdump"]) : "-"
			xr = ("mtc-ring" in C && C["mtc-ring"] > 0) ? sprintf("%.2f", C[c] / C["mtc-ring"]) : "-"
			printf "%-22s %10.0f %9.3f %10.3f %9s %9s %s\n", lab, P[c], S[c], C[c], xt, xr, \
			    (c in bad) ? "(" bad[c] ")" : ""
		} }' "$tsv"
}

# Kill what is still running of ours (by pid), on exit or timeout.
live_stop_all() {
	local p
	for p in "${LIVE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
}

# Sum of one statistics counter over the first N veths of a namespace.
veth_counter() {
	local ns=$1 side=$2 n=$3 what=$4 i sum=0 v
	for ((i = 0; i < n; i++)); do
		v=$(ip netns exec "$ns" cat \
		    "/sys/class/net/${LTAG}$side$i/statistics/$what" 2>/dev/null || echo 0)
		sum=$((sum + v))
	done
	echo "$sum"
}

# live_trial CAP NIF SIZE RATE: one capture; prints one TSV line.
live_trial() {
	local cap=$1 nif=$2 size=$3 rate=$4 o=$WORK/live i j
	local tpids=() cpids=() sp=() status=ok fmt ifs=() n mode v0 v1
	local sender=tcpreplay st0 st1 tgprocs=1
	LIVE_PIDS=()	# all of the previous trial were waited for
	rm -rf "$o"
	mkdir -p "$o"
	for ((i = 0; i < nif; i++)); do ifs+=("${LTAG}r$i"); done
	case $rate in
	idle) sender=none; n=0 ;;
	tg|tgall) sender=trafgen; n=$LIVE_TOP_PKTS
	    # tgall: one sender per CPU on each interface (-P 1 is pinned
	    # to CPU 0, so tg's senders all share one core)
	    [ "$rate" = tgall ] && tgprocs=$(nproc)
	    command -v trafgen >/dev/null 2>&1 || status=nosender ;;
	top) mode=(--topspeed); n=$LIVE_TOP_PKTS ;;
	*k) rate=$((${rate%k} * 1000)) ;&
	*) [ "$rate" = top ] || { mode=(--pps="$rate" --pps-multi=16)
		n=$(calc "$rate * $LIVE_SECONDS" %.0f); } ;;
	esac
	# the sender shares the machine: cap the packets per trial
	[ $((n * nif)) -gt "$LIVE_MAX_PKTS" ] && n=$((LIVE_MAX_PKTS / nif))

	# start the capture process(es)
	case $cap in
	mtc-*|ref-*)
		fmt=${cap#*-}
		local uris=() mtc=$MTRACECAP fan=()
		[ "${cap%%-*}" = ref ] && mtc=$MTRACECAP_REF
		# mtc-fanN: ring: read by N sockets of a fan-out group
		case $fmt in fan*) fan=("--fanout=${fmt#fan}") fmt=ring ;; esac
		for i in "${ifs[@]}"; do uris+=("$fmt:$i"); done
		# LIVE_MTC_OPTS: extra options, split on blanks (e.g. -w 10);
		# LIVE_MTC_CPUS: run it under taskset -c (exec: same pid)
		local pin=()
		[ -n "${LIVE_MTC_CPUS:-}" ] && pin=(taskset -c "$LIVE_MTC_CPUS")
		# shellcheck disable=SC2086
		live_start "$o" 0 ${pin[@]+"${pin[@]}"} "$mtc" \
		    -s "$LIVE_SNAP" $LIVE_MTC_OPTS ${fan[@]+"${fan[@]}"} \
		    "pcapfile:$o/out.pcap" "${uris[@]}" ;;
	tcpdump)
		for ((i = 0; i < nif; i++)); do
			live_start "$o" "$i" tcpdump -i "${ifs[$i]}" -s "$LIVE_SNAP" \
			    -n -w "$o/out$i.pcap"
		done ;;
	dumpcap)
		local dargs=()
		for i in "${ifs[@]}"; do dargs+=(-i "$i"); done
		live_start "$o" 0 dumpcap -q -s "$LIVE_SNAP" "${dargs[@]}" \
		    -w "$o/out.pcapng" ;;
	esac
	sleep "$LIVE_WARMUP"
	for ((j = 0; j < ${#tpids[@]}; j++)); do
		cpids[j]=$(pgrep -P "${tpids[j]}" | head -n 1)
		[ -n "${cpids[j]}" ] && kill -0 "${cpids[j]}" 2>/dev/null ||
		    status=nostart
		[ -n "${cpids[j]}" ] && LIVE_PIDS+=("${cpids[j]}")
	done

	v0=$(( $(veth_counter "$LNS_S" t "$nif" tx_dropped) +
	    $(veth_counter "$LNS_C" r "$nif" rx_dropped) ))
	# optional CPU hogs: a busy host, where buffer headroom decides
	local hogs=()
	for ((i = 0; i < ${LIVE_HOGS:-0}; i++)); do
		bash -c 'while :; do :; done' &
		hogs+=($!)
		LIVE_PIDS+=($!)
	done
	st0=$EPOCHREALTIME
	if [ "$sender" = none ]; then
		sleep "$LIVE_SECONDS"
	elif [ "$status" = ok ]; then
		for ((i = 0; i < nif; i++)); do
			if [ "$sender" = trafgen ]; then
				# -P processes, TX rings, no qdisc
				ip netns exec "$LNS_S" trafgen -P "$tgprocs" -C \
				    -i "$WORK/live$size.cfg" -o "${LTAG}t$i" \
				    -n "$n" >"$o/tr.$i" 2>&1 &
			else
				ip netns exec "$LNS_S" tcpreplay -i "${LTAG}t$i" -K \
				    --loop=0 --limit="$n" "${mode[@]}" \
				    "$WORK/live$size.pcap" >"$o/tr.$i" 2>&1 &
			fi
			sp+=($!)
			LIVE_PIDS+=($!)
		done
		for i in "${sp[@]}"; do wait "$i" || status=sendfail; done
	fi
	st1=$EPOCHREALTIME
	for i in ${hogs[@]+"${hogs[@]}"}; do
		kill -TERM "$i" 2>/dev/null
		wait "$i" 2>/dev/null || true
	done
	sleep "$LIVE_DRAIN"
	v1=$(( $(veth_counter "$LNS_S" t "$nif" tx_dropped) +
	    $(veth_counter "$LNS_C" r "$nif" rx_dropped) ))

	# stop: SIGTERM to the capture processes, then wait for /usr/bin/time
	for ((j = 0; j < ${#tpids[@]}; j++)); do
		[ -n "${cpids[j]:-}" ] && kill -TERM "${cpids[j]}" 2>/dev/null
	done
	for ((j = 0; j < ${#tpids[@]}; j++)); do
		local k=0
		while kill -0 "${tpids[j]}" 2>/dev/null && [ $k -lt 300 ]; do
			sleep 0.1
			k=$((k + 1))
		done
		if kill -0 "${tpids[j]}" 2>/dev/null; then
			status=hung
			[ -n "${cpids[j]:-}" ] && kill -KILL "${cpids[j]}" 2>/dev/null
		fi
		wait "${tpids[j]}" 2>/dev/null || true
	done

	# count
	local sent=0 pps=0 saved=0 dropped=0 cpu=0 dis=- f
	for ((i = 0; i < ${#sp[@]}; i++)); do
		if [ "$sender" = trafgen ]; then
			# "N packets outgoing" (after progress lines ending in
			# carriage returns); the rate over the senders' wall time
			local tn
			tn=$(awk '{ gsub(/\r/, " ") }
			    /packets outgoing/ { print $(NF - 2) + 0; f = 1 }
			    END { if (!f) print 0 }' "$o/tr.$i")
			sent=$((sent + tn))
			pps=$(calc "$pps + $tn / ($st1 - $st0)" %.0f)
		else
			sent=$((sent + $(awk '/Successful packets:/ { print $3 + 0; f = 1 }
			    END { if (!f) print 0 }' "$o/tr.$i")))
			pps=$(calc "$pps + $(awk '/^Rated:/ { v = $(NF - 1) } END { print v + 0 }' "$o/tr.$i")" %.0f)
		fi
	done
	for f in "$o"/out*; do
		[ -e "$f" ] && saved=$((saved + $(npackets "$f")))
	done
	for ((j = 0; j < ${#tpids[@]}; j++)); do
		cpu=$(calc "$cpu + $(tail -n 1 "$o/time.$j" 2>/dev/null |
		    awk '{ print $1 + $2 }')" %.2f)
	done
	case $cap in
	mtc-*|ref-*)
		# the input rows only: the total line repeats their sum
		dropped=$(cat "$o"/err.* | awk '
		    / total: / { next }
		    { for (i = 1; i <= NF; i++) {
			if ($i ~ /^dropped_by_kernel=/) { sub(/.*=/, "", $i); d += $i }
			else if ($i ~ /^lost=/) { sub(/.*=/, "", $i); d += $i } } }
		    END { print d + 0 }')
		dis=$(awk '/total:/ { for (i = 1; i <= NF; i++)
		    if ($i ~ /^disorders=/) { sub(/.*=/, "", $i); print $i } }' \
		    "$o"/err.* | head -n 1)
		[ -n "$dis" ] || dis=- ;;
	tcpdump)
		dropped=$(cat "$o"/err.* | awk '/packets dropped by kernel/ { d += $1 }
		    END { print d + 0 }') ;;
	dumpcap)
		dropped=$(cat "$o"/err.* | awk -F'[ /:]+' '/received\/dropped on interface/ {
		    for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/ && $(i+1) ~ /^[0-9]+$/) {
			d += $(i + 1); break } } END { print d + 0 }') ;;
	esac
	[ "$status" = ok ] || { sed "s/^/  $cap: /" "$o"/err.* >>"$RES/live.errors" 2>/dev/null || true; }
	say "   $cap nif=$nif ${size}B rate=$4: sent $sent ($(fmt_si "$pps") pps) saved $saved dropped $dropped cpu ${cpu}s $status"
	printf '%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n' "$cap" "$nif" \
	    "$size" "$4" "$sent" "$pps" "$saved" "$dropped" $((v1 - v0)) "$cpu" \
	    "$dis" "$status"
}

# live_start DIR J CMD...: run CMD in the capture namespace under
# /usr/bin/time, in the background; its time goes to DIR/time.J.
live_start() {
	local o=$1 j=$2
	shift 2
	/usr/bin/time -f '%U %S' -o "$o/time.$j" \
	    ip netns exec "$LNS_C" "$@" >"$o/stdout.$j" 2>"$o/err.$j" &
	tpids[j]=$!
	LIVE_PIDS+=($!)
}

# live_cpm TSV CAP NIF [net]: CAP's CPU seconds per million packets
# saved, over all its trials with traffic on NIF interfaces; with net,
# less the median CPU time of its idle trials for each (the cost per
# packet without the fixed cost of starting, sizing rings and stopping)
live_cpm() {
	local idle=0
	if [ -n "${4:-}" ]; then
		idle=$(live_idle "$1" "$2" "$3")
		[ "$idle" != - ] || { echo nan; return; }
	fi
	awk -F'\t' -v c="$2" -v n="$3" -v idle="$idle" '
	    $1 == c && $2 == n && $4 != "idle" { cc += $10 - idle; s += $7 }
	    END { if (s > 0) printf "%.3f", cc / (s / 1e6); else print "nan" }' "$1"
}

# live_idle TSV CAP NIF: the median CPU seconds of CAP's idle trials
live_idle() {
	awk -F'\t' -v c="$2" -v n="$3" '$1 == c && $2 == n && $4 == "idle" { print $10 }' "$1" |
	    sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

live_table() {
	local tsv=$1 nif cap step hdr cell best cpu saved tdcpm cpm lw=19 x
	local tdncpm ncpm
	has_ref && lw=24
	printf 'LIVE CAPTURE: veth pairs between two namespaces, tcpreplay or trafgen senders, snaplen %s%s\n' \
	    "$LIVE_SNAP" "$([ "${LIVE_HOGS:-0}" -gt 0 ] && echo ", $LIVE_HOGS CPU hogs while sending")"
	[ -n "${LIVE_MTC_OPTS:-}" ] &&
	    printf 'mtracecap runs with the extra options: %s\n' "$LIVE_MTC_OPTS"
	[ -n "${LIVE_MTC_CPUS:-}" ] &&
	    printf 'mtracecap runs under taskset -c %s (the other capturers and the senders do not)\n' "$LIVE_MTC_CPUS"
	printf 'cells: loss %% = (sent - saved) / sent, saved counted by capinfos; "best" = highest aggregate\n'
	printf 'pps sent with loss < 0.1%%; CPU = capture process(es) user+sys per million packets saved\n'
	printf 'idle s = median CPU s of a trial without packets (start, kernel rings, stop); net = CPU less\n'
	printf 'that per trial, per million packets saved (the cost per packet alone)\n'
	printf '%d run(s) per cell (median over runs; LIVE_RUNS sets it); per-trial detail in live-detail.txt\n' "$LIVE_RUNS"
	has_ref && printf 'rows mtracecap (ref) = the second binary in the header: CPU x ref = mtracecap / ref, same format (> 1: mtracecap worse)\n'
	for nif in $LIVE_IFS; do
		printf '\n%d interface(s)\n' "$nif"
		printf '%-*s' "$lw" "step (B:pps/if)"
		for step in $LIVE_STEPS; do printf ' %10s' "$step"; done
		printf ' %9s %9s %8s %7s %9s %8s%s\n' "best pps" "CPU s/Mp" "CPU x td" \
		    "idle s" "net s/Mp" "net x td" \
		    "$(has_ref && printf ' %9s' "CPU x ref")"
		printf '%-*s' "$lw" "sent pps (sum)"
		for step in $LIVE_STEPS; do
			printf ' %10s' "$(fmt_si "$(awk -F'\t' -v n="$nif" \
			    -v s="${step%%:*}" -v r="${step#*:}" \
			    '$2 == n && $3 == s && $4 == r { print $6 }' "$tsv" |
			    sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "nan" }')")"
		done
		printf '\n'
		tdcpm=$(live_cpm "$tsv" tcpdump "$nif")
		tdncpm=$(live_cpm "$tsv" tcpdump "$nif" net)
		for cap in $(live_caps); do
			case $cap in
			mtc-*) printf '%-*s' "$lw" "mtracecap ${cap#mtc-}:" ;;
			ref-*) printf '%-*s' "$lw" "mtracecap (ref) ${cap#ref-}:" ;;
			*) printf '%-*s' "$lw" "$cap" ;;
			esac
			for step in $LIVE_STEPS; do
				cell=$(awk -F'\t' -v c="$cap" -v n="$nif" \
				    -v s="${step%%:*}" -v r="${step#*:}" '
				    $1 == c && $2 == n && $3 == s && $4 == r {
					k++; if ($12 != "ok") bad = $12
					l = $5 > 0 ? ($5 - $7) / $5 * 100 : 100
					if (l < 0) l = 0
					v[k] = l }
				    END {
					if (bad != "") { print bad; exit }
					if (!k) { print "-"; exit }
					# median over runs
					for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
						if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
					m = (k % 2) ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
					printf "%.3f\n", m }' "$tsv")
				printf ' %10s' "$cell"
			done
			best=$(awk -F'\t' -v c="$cap" -v n="$nif" '
			    $1 == c && $2 == n && $12 == "ok" && $5 > 0 &&
			    ($5 - $7) / $5 < 0.001 && $6 > b { b = $6 }
			    END { print b + 0 }' "$tsv")
			cpm=$(live_cpm "$tsv" "$cap" "$nif")
			x=""
			[ "${cap%%-*}" = ref ] && x=$(printf ' %9s' "$(ratio \
			    "$(live_cpm "$tsv" "mtc-${cap#ref-}" "$nif")" "$cpm")")
			ncpm=$(live_cpm "$tsv" "$cap" "$nif" net)
			printf ' %9s %9s %8s %7s %9s %8s%s\n' "$(fmt_si "$best")" "$cpm" \
			    "$(ratio "$cpm" "$tdcpm")" \
			    "$(live_idle "$tsv" "$cap" "$nif")" "$ncpm" \
			    "$(ratio "$ncpm" "$tdncpm")" "$x"
		done
	done
	[ -s "$RES/live.errors" ] && { echo; echo "errors:"; head -n 20 "$RES/live.errors"; }
	return 0
}
