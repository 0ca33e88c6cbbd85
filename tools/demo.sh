#!/bin/sh
# tools/demo.sh - show mtracecap at work on a built tree: three synthetic
# captures (plain, gzip, pcapng) merged into files rotated every second
# with a sequence file, the same gzip-compressed and cut by size with a
# post-rotate command, a filter to standard output, and (as root, where
# network namespaces and veth pairs work) a live capture on both ends of
# a veth pair.  Everything happens in a temp dir, removed at exit.
#
#   sh tools/demo.sh      needs build/mtracecap (and python3, gzip,
#                         capinfos, editcap, tcpdump, tcpreplay, ip):
#                         `sh tools/setup.sh demo` installs, builds and
#                         runs this
#
# Environment: MTRACECAP, the binary to show (default build/mtracecap).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MTC=${MTRACECAP:-$ROOT/build/mtracecap}
case $MTC in /*) ;; *) MTC=$PWD/$MTC ;; esac	# the demo runs in a temp dir

say() { printf '%s\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

DEMO_TMP=""
DEMO_NS=""
DEMO_PID=""

demo_cleanup() {
	if [ -n "$DEMO_PID" ]; then
		kill -KILL "$DEMO_PID" 2>/dev/null || true
		wait "$DEMO_PID" 2>/dev/null || true
	fi
	[ -z "$DEMO_NS" ] || ip netns del "$DEMO_NS" 2>/dev/null || true
	[ -z "$DEMO_TMP" ] || rm -rf "$DEMO_TMP"
}

# npackets FILE: packets in a capture file (0 if unreadable)
npackets() {
	capinfos -M -c "$1" 2>/dev/null |
	    awk -F': *' '/Number of packets/ { n = $2 + 0 } END { print n + 0 }'
}

show_files() {
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		printf '   %-36s %9s bytes %6s packets\n' "${f##*/}" \
		    "$(wc -c <"$f")" "$(npackets "$f")"
	done
}

demo_live() {
	if [ "$(id -u)" -ne 0 ]; then
		say "== live capture: skipped (needs root for a network namespace)"
		return 0
	fi
	DEMO_NS=mtcdemo$$
	if ! ip netns add "$DEMO_NS" 2>/dev/null; then
		DEMO_NS=""
		say "== live capture: skipped (cannot create a network namespace here)"
		return 0
	fi
	nsx() { ip netns exec "$DEMO_NS" "$@"; }
	if ! { nsx ip link add mtca type veth peer name mtcb &&
	    nsx ip link set lo up && nsx ip link set mtca up &&
	    nsx ip link set mtcb up; } 2>/dev/null; then
		say "== live capture: skipped (no veth pairs here)"
		return 0
	fi
	nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
	say "== live capture: a veth pair mtca<->mtcb inside network namespace" \
	    "$DEMO_NS; tcpreplay sends 198.18.0.0/15 frames into mtca,"
	say "   mtracecap captures both ends (pcapint:mtca ring:mtcb), so each" \
	    "frame appears twice, in timestamp order"
	python3 "$ROOT/tests/tools/mkpcap.py" "$DEMO_TMP/replay.pcap" \
	    --count 300 --id 9 --size 200
	mkdir "$DEMO_TMP/live"
	say "   \$ mtracecap -v -s 0 -G 2 -w 5 -B pcapfile:live --file-ext=.pcap" \
	    "pcapint:mtca ring:mtcb"
	# started directly (not through a function or subshell) so that $!
	# is mtracecap itself; stopped with SIGTERM because a background job
	# of a non-interactive shell starts with SIGINT ignored
	ip netns exec "$DEMO_NS" "$MTC" -v -s 0 -G 2 -w 5 \
	    -B "pcapfile:$DEMO_TMP/live" --file-ext=.pcap \
	    pcapint:mtca ring:mtcb 2>"$DEMO_TMP/live.err" &
	DEMO_PID=$!
	sleep 1
	if ! kill -0 "$DEMO_PID" 2>/dev/null; then
		sed 's/^/   /' "$DEMO_TMP/live.err"
		DEMO_PID=""
		say "== live capture: mtracecap did not start"
		return 0
	fi
	say "   \$ tcpreplay -i mtca --pps 200 replay.pcap   (300 frames)"
	nsx tcpreplay -q -i mtca --pps 200 "$DEMO_TMP/replay.pcap" \
	    >"$DEMO_TMP/tcpreplay.out" 2>&1 ||
	    sed 's/^/   /' "$DEMO_TMP/tcpreplay.out"
	sleep 1
	say "   \$ kill -TERM <pid>"
	kill -TERM "$DEMO_PID" 2>/dev/null || true
	i=0
	while kill -0 "$DEMO_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$DEMO_PID" 2>/dev/null && say "   (did not stop in 10 s)"
	rc=0
	wait "$DEMO_PID" || rc=$?
	DEMO_PID=""
	sed 's/^/   /' "$DEMO_TMP/live.err"
	say "   mtracecap exited with status $rc; files (a quiet interval gets a" \
	    "header-only file):"
	show_files "$DEMO_TMP/live"
	first=""
	for f in "$DEMO_TMP"/live/*; do
		[ "$(npackets "$f")" -gt 0 ] || continue
		first=${f##*/}
		break
	done
	if [ -n "$first" ]; then
		say "   \$ tcpdump -nn -e -r $first | head -n 4"
		tcpdump -nn -e -r "$DEMO_TMP/live/$first" 2>/dev/null |
		    head -n 4 | sed 's/^/   /'
	fi
	ip netns del "$DEMO_NS" 2>/dev/null || true
	DEMO_NS=""
}

demo_main() {
	DEMO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtracecap-demo.XXXXXX")
	trap demo_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	cd "$DEMO_TMP"

	say "== $("$MTC" --version), demo files in $DEMO_TMP"
	say "== three synthetic captures of 3 s each (198.18.0.0/15 UDP):"
	say "   a.pcap (1 ms apart), b.pcap.gz (gzip, 0-700 us jitter)," \
	    "c.pcapng (every 5th timestamp repeated)"
	python3 "$ROOT/tests/tools/mkpcap.py" a.pcap --count 3000 --id 1
	python3 "$ROOT/tests/tools/mkpcap.py" b.pcap --count 3000 --id 2 \
	    --jitter-us 700 --seed 7
	gzip -f b.pcap
	python3 "$ROOT/tests/tools/mkpcap.py" c.pcap --count 3000 --id 3 \
	    --tie-every 5 --nsec
	if command -v editcap >/dev/null 2>&1; then
		editcap -F pcapng c.pcap c.pcapng && rm c.pcap
		c=c.pcapng
	else
		c=c.pcap
	fi

	mkdir out
	say ""
	say "== merge into files rotated every second, with a sequence file:"
	say "   \$ mtracecap -v -s 0 -G 1 -N seq -B pcapfile:out --file-ext=.pcap" \
	    "a.pcap b.pcap.gz $c"
	rc=0
	"$MTC" -v -s 0 -G 1 -N seq -B pcapfile:out --file-ext=.pcap \
	    a.pcap b.pcap.gz "$c" 2>&1 | sed 's/^/   /' || rc=$?
	say "   files (mode 0640, named by interval start and sequence number):"
	ls -l out | sed 's/^/   /'
	say "   seq holds the last number used: $(cat seq)"
	first=$(ls out | head -n 1)
	say "   \$ capinfos -c -a -e out/$first"
	capinfos -c -a -e "out/$first" | sed 's/^/   /'
	say "   \$ tcpdump -nn -r out/$first -c 6   (ties go to the earlier input)"
	tcpdump -nn -r "out/$first" -c 6 2>/dev/null | sed 's/^/   /'
	say "   \$ capinfos -o out/*   (are the merged files in time order?)"
	capinfos -o -M out/* | grep -E 'File name|Strict time order' |
	    sed 's/^/   /'

	mkdir gz
	say ""
	say "== the same, gzip-compressed, cut at 1 MiB of pcap, with a command run"
	say "   on every completed file:"
	say "   \$ mtracecap -s 0 -S 1 -Z gz -z 1 --file-ext=.pcap.gz" \
	    "--post-rotate='echo completed:' -B pcapfile:gz a.pcap b.pcap.gz $c"
	"$MTC" -s 0 -S 1 -Z gz -z 1 --file-ext=.pcap.gz \
	    --post-rotate='echo completed:' \
	    -B pcapfile:gz a.pcap b.pcap.gz "$c" 2>&1 | sed 's/^/   /'
	show_files gz

	say ""
	say "== to standard output, into tcpdump:"
	say "   \$ mtracecap -F 'src 198.18.2.1' pcapfile:- a.pcap b.pcap.gz |" \
	    "tcpdump -nn -r - | head -n 3"
	"$MTC" -F 'src 198.18.2.1' pcapfile:- a.pcap b.pcap.gz 2>/dev/null |
	    tcpdump -nn -r - 2>/dev/null | head -n 3 | sed 's/^/   /'

	say ""
	demo_live
	say ""
	say "== demo done; see man/mtracecap.8 (man -l man/mtracecap.8)"
}

[ -x "$MTC" ] || die "no $MTC: build first (sh tools/setup.sh demo does)"
demo_main
