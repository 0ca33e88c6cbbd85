# lib.sh - helpers shared by the benchmark parts (sourced by bench/run).
#
# Measuring: every timed command runs under /usr/bin/time (user+sys of all
# threads and children, peak RSS) with the wall clock taken from bash's
# EPOCHREALTIME; one line per run goes to a TSV file, and the tables are
# built from medians of those lines.  Peers run interleaved, round by
# round, so a noisy neighbour hurts every tool alike.

BENCH_SRC=$(cd "$BENCH_HOME/.." && pwd)

# Cleanup actions, run last-registered-first on any exit.
_cleanups=()
on_exit() { _cleanups=("$*" "${_cleanups[@]}"); }
_run_cleanups() {
	local rc=$?
	set +e
	for c in "${_cleanups[@]}"; do eval "$c" >/dev/null 2>&1; done
	exit "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '%s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# --- tools ------------------------------------------------------------

# command -> Debian package that provides it
_pkg_of() {
	case $1 in
	hyperfine) echo hyperfine ;;
	valgrind|callgrind_annotate) echo valgrind ;;
	perf) echo linux-perf ;;
	mergecap|capinfos|dumpcap) echo tshark ;;
	tracemerge|tracesplit) echo libtrace-tools ;;
	tcpdump) echo tcpdump ;;
	tcpreplay) echo tcpreplay ;;
	trafgen) echo netsniff-ng ;;
	/usr/bin/time) echo time ;;
	python3) echo python3 ;;
	gzip) echo gzip ;;
	zstd) echo zstd ;;
	lz4) echo lz4 ;;
	xz) echo xz-utils ;;
	bzip2) echo bzip2 ;;
	ip) echo iproute2 ;;
	trafgen) echo netsniff-ng ;;
	esac
}

# Install the Debian packages providing any missing command among "$@"
# (root and apt-get only; BENCH_NO_INSTALL=1 turns it off).
need_tools() {
	local missing=() pkgs=() c p
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	for c in "${missing[@]}"; do
		p=$(_pkg_of "$c")
		[ -n "$p" ] && pkgs+=("$p")
	done
	if [ "${BENCH_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" -eq 0 ] &&
	    command -v apt-get >/dev/null 2>&1 && [ ${#pkgs[@]} -gt 0 ]; then
		say "bench: installing ${pkgs[*]} (for ${missing[*]})"
		if [ -z "${_apt_updated:-}" ]; then
			apt-get update -qq >&2 || true
			_apt_updated=1
		fi
		# dumpcap asks whether non-root users may capture: answer no
		echo "wireshark-common wireshark-common/install-setuid boolean false" |
		    debconf-set-selections 2>/dev/null || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends "${pkgs[@]}" >&2 || true
	fi
	for c in "${missing[@]}"; do
		command -v "$c" >/dev/null 2>&1 || return 1
	done
	return 0
}

# Set MTRACECAP: $MTRACECAP if given, else build out of tree in
# $BENCH_BUILD (never inside the source tree).
find_mtracecap() {
	if [ -n "${MTRACECAP:-}" ]; then
		[ -x "$MTRACECAP" ] || die "MTRACECAP=$MTRACECAP is not executable"
		return
	fi
	local build=${BENCH_BUILD:-${TMPDIR:-/tmp}/mtracecap-bench-build}
	local src=$BENCH_SRC
	mkdir -p "$build"
	if [ ! -x "$src/configure" ]; then
		# fresh clone: bootstrap a copy, so the work tree stays clean
		say "bench: no configure in $src: bootstrapping a copy in $build/src"
		rm -rf "$build/src"
		mkdir -p "$build/src"
		tar -C "$src" --exclude=.git --exclude=bench --exclude='./build*' \
		    -cf - . | tar -C "$build/src" -xf -
		(cd "$build/src" && autoreconf -fi >&2) ||
		    die "autoreconf failed in $build/src"
		src=$build/src
	fi
	say "bench: building mtracecap in $build"
	(cd "$build" &&
	    { [ -f Makefile ] || "$src/configure" -q >&2; } &&
	    make -j"$(nproc)" mtracecap mtracecapctl >"$build/make.log" 2>&1) ||
	    die "build failed: see $build/make.log"
	MTRACECAP=$build/mtracecap
}

# has_pcapng FILE: true when $MTRACECAP writes pcapng output (pcapng:-)
# from the pcap FILE; asked once, the answer kept in HAS_PCAPNG.  Parts
# cpp and offline then measure pcapng output beside pcap output.
has_pcapng() {
	if [ -z "${HAS_PCAPNG:-}" ]; then
		local m
		# od reads the first block type and goes: SIGPIPE ends mtracecap
		m=$("$MTRACECAP" -s 0 pcapng:- "$1" 2>/dev/null | od -An -N4 -tx1) || true
		HAS_PCAPNG=no
		[ "${m// /}" = 0a0d0d0a ] && HAS_PCAPNG=yes
		[ "$HAS_PCAPNG" = yes ] ||
		    say "bench: $MTRACECAP writes no pcapng: pcapng rows not run"
	fi
	[ "$HAS_PCAPNG" = yes ]
}

# has_ref: true when a second mtracecap ($MTRACECAP_REF, e.g. 1.0.0's
# build) runs next to $MTRACECAP as one more peer, labelled ref-* in the
# TSVs and "mtracecap (ref)" in the tables
has_ref() { [ -n "${MTRACECAP_REF:-}" ]; }

# describe_bin PATH: "PATH (version, built DATE, sha256 HASH)"
describe_bin() {
	echo "$1 ($("$1" --version 2>&1 | head -n 1)," \
	    "built $(date -r "$1" '+%F %T'), sha256 $(sha256sum "$1" | cut -c1-12))"
}

# --- measuring --------------------------------------------------------

# warm_memory: write and free BENCH_WARM_MB MiB in $WORK, untimed, so
# that the command timed next finds that much memory just freed.  In a
# VM that hands freed memory back to its host (free page reporting, as
# here) memory freed more than a couple of seconds ago costs about 2.5 ms
# per MiB at its first touch again (0.75 s for 300 MB, 15 times the
# copy), while memory freed just before costs nothing extra: without
# this, whichever tool ran right after another's output was deleted got
# its pages for free, and two builds with the same code differed by up
# to 4x in the same run.  0 turns it off.
warm_memory() {
	[ "${BENCH_WARM_MB:-0}" -gt 0 ] || return 0
	head -c "${BENCH_WARM_MB}M" /dev/zero >"$WORK/warm" 2>/dev/null || true
	rm -f "$WORK/warm"
}

# measure TSV LABEL CMD...: run CMD once; append
# "LABEL wall_s cpu_s rss_kib status" to TSV.  Redirections given to the
# call apply to CMD.
measure() {
	local tsv=$1 label=$2 tf t0 t1 rc=0 u s m
	shift 2
	tf=$WORK/time.out
	warm_memory
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M' -o "$tf" "$@" || rc=$?
	t1=$EPOCHREALTIME
	read -r u s m < <(tail -n 1 "$tf")
	awk -v l="$label" -v t0="$t0" -v t1="$t1" -v u="$u" -v s="$s" \
	    -v m="$m" -v rc="$rc" 'BEGIN {
		printf "%s\t%.4f\t%.2f\t%d\t%d\n", l, t1 - t0, u + s, m, rc }' \
	    >>"$tsv"
	return "$rc"
}

# median TSV LABEL COLUMN: median of COLUMN over the rows of LABEL
median() {
	awk -F'\t' -v l="$2" -v c="$3" '$1 == l { print $c }' "$1" | sort -g |
	    awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# failures TSV LABEL: number of runs of LABEL with a non-zero status
failures() {
	awk -F'\t' -v l="$2" '$1 == l && $5 != 0 { n++ } END { print n + 0 }' "$1"
}

# ratio A B -> "A/B" with two decimals, or "-" when not computable
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "nan" || b == "nan" || a == "-" || b == "-" || b + 0 == 0)
			print "-"
		else printf "%.2f\n", a / b }'
}

# calc EXPR: awk arithmetic, printed with %.Nf when a format is given
calc() { awk "BEGIN { printf \"${2:-%s}\\n\", $1 }"; }

# Number of packets in a capture file (pcap or pcapng), per capinfos.
npackets() {
	capinfos -M -c "$1" 2>/dev/null |
	    awk -F': *' '/Number of packets/ { print $2 + 0; f = 1 }
		END { if (!f) print 0 }'
}

# --- test data --------------------------------------------------------

# mkinputs DIR N K: K pcap files DIR/inI.pcap of N 128-byte packets each,
# interleaved timestamps with jitter and ties (tests/tools/mkpcap.py),
# made in parallel; kept when already there with the right size.
mkinputs() {
	local dir=$1 n=$2 k=$3 i pids=() want
	want=$((24 + n * (16 + 128)))
	mkdir -p "$dir"
	for ((i = 0; i < k; i++)); do
		if [ -f "$dir/in$i.pcap" ] &&
		    [ "$(stat -c %s "$dir/in$i.pcap")" -eq "$want" ]; then
			continue
		fi
		python3 "$BENCH_SRC/tests/tools/mkpcap.py" "$dir/in$i.pcap" \
		    --count "$n" --id "$i" --step-us 4 --jitter-us 8 \
		    --tie-every 50 --seed "$i" --size 128 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || die "mkpcap.py failed"; done
}

# fmt_si N: 1234567 -> 1.23M
fmt_si() {
	awk -v n="$1" 'BEGIN {
		if (n == "nan" || n == "-") { print "-"; exit }
		if (n >= 1e6) printf "%.2fM\n", n / 1e6
		else if (n >= 1e3) printf "%.0fk\n", n / 1e3
		else printf "%d\n", n }'
}
