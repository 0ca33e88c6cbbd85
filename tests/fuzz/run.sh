#!/bin/bash
# tests/fuzz/run.sh - build the libFuzzer harnesses and run each for a
# bounded time over a copy of its seed corpus.
#
# Usage: tests/fuzz/run.sh [TARGET...]     (default: every harness)
#
# Environment:
#   FUZZ_SECONDS    fuzzing time per harness (default 20)
#   FUZZ_JOBS       harnesses fuzzed at once (default: number of CPUs, max 4)
#   FUZZ_BUILD_DIR  where to build and work (default: a new temp dir,
#                   removed at exit unless something was found)
#   FUZZ_CONFIG_H   a config.h from a configured build (default: the one
#                   beside $MTRACECAP, else configure runs here with clang)
#   FUZZ_CC         a clang that knows -fsanitize=fuzzer (default clang;
#                   not $CC, which often names the gcc of the build)
#
# Every harness links the real sources (src/*.c but main.c) built with
# -fsanitize=fuzzer-no-link,address,undefined.  Each file under
# regressions/TARGET/ (a past crash) is replayed first.  Then each harness
# fuzzes a copy of corpus/TARGET/ (with TARGET.dict if present) for
# FUZZ_SECONDS, its own logging silenced (-close_fd_mask=2).  Exit status:
# 0 nothing found, 1 a crash, leak, timeout or out-of-memory (the
# reproducer is printed and kept), 77 no usable clang.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../../src" && pwd)
ALL_TARGETS="options words naming seqfile recover input pcapng ctlproto pktparse anon"
TARGETS=${*:-$ALL_TARGETS}
SECONDS_PER=${FUZZ_SECONDS:-20}
CC=${FUZZ_CC:-clang}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$JOBS" -gt 4 ] && JOBS=4
[ "$JOBS" -lt 1 ] && JOBS=1

for t in $TARGETS; do
	[ -f "$HERE/fuzz_$t.c" ] || { echo "run.sh: no harness '$t'" >&2; exit 2; }
done

if [ -n "${FUZZ_BUILD_DIR:-}" ]; then
	B=$FUZZ_BUILD_DIR
	mkdir -p "$B"
	KEEP=1
else
	B=$(mktemp -d "${TMPDIR:-/tmp}/mtc-fuzz-build.XXXXXX")
	KEEP=0
fi
B=$(cd "$B" && pwd)
# the harnesses' scratch files (tmpfs if possible: recovery fsyncs a lot)
SCRATCH=$(mktemp -d /dev/shm/mtc-fuzz-run.XXXXXX 2>/dev/null ||
    mktemp -d "${TMPDIR:-/tmp}/mtc-fuzz-run.XXXXXX")
export MTC_FUZZ_TMPDIR=$SCRATCH
cleanup() { rm -rf "$SCRATCH"; [ "$KEEP" = 1 ] || rm -rf "$B"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- can this compiler fuzz? ----------------------------------------------
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$B/probe.c"
if ! command -v "$CC" >/dev/null 2>&1 ||
    ! "$CC" -fsanitize=fuzzer $SAN -o "$B/probe" "$B/probe.c" >"$B/probe.log" 2>&1 ||
    ! "$B/probe" -runs=1 >>"$B/probe.log" 2>&1; then
	echo "run.sh: '$CC' cannot build and run a libFuzzer harness" \
	    "with $SAN (Debian: apt-get install clang libclang-rt-dev):" >&2
	tail -n 5 "$B/probe.log" >&2 || true
	exit 77
fi

# --- config.h -------------------------------------------------------------
if [ -z "${FUZZ_CONFIG_H:-}" ] && [ -n "${MTRACECAP:-}" ] &&
    [ -f "$(dirname "$MTRACECAP")/config.h" ]; then
	FUZZ_CONFIG_H=$(dirname "$MTRACECAP")/config.h
fi
mkdir -p "$B/cfg"
if [ -n "${FUZZ_CONFIG_H:-}" ]; then
	cp "$FUZZ_CONFIG_H" "$B/cfg/config.h"
elif [ ! -f "$B/cfg/config.h" ]; then
	echo "run.sh: configuring for config.h" >&2
	(cd "$B/cfg" && CC=$CC "$SRC/../configure" -q >configure.log 2>&1) || {
		echo "run.sh: configure failed, see $B/cfg/configure.log" >&2
		KEEP=1
		exit 1
	}
fi

# --- build (a generated Makefile: parallel and incremental) ---------------
LIB_SRCS=$(cd "$SRC" && ls *.c | grep -vx -e main.c -e mtracecapctl.c)
{
	echo "CC = $CC"
	echo "CFLAGS = -std=gnu11 -g -O1 -pthread -fno-omit-frame-pointer $SAN -Wall -Wextra -Wno-unused-parameter"
	echo "CPPFLAGS = -I$B/cfg -I$SRC"
	# manifest.c: jansson and libcrypto, as configure found them
	echo "LIBS = -ltrace -lwandio -lpcap $(pkg-config --libs jansson libcrypto) -lpthread"
	printf 'OBJS ='
	for s in $LIB_SRCS; do printf ' obj/%s' "${s%.c}.o"; done
	echo
	printf 'all:'
	for t in $TARGETS; do printf ' fuzz_%s' "$t"; done
	echo
	for s in $LIB_SRCS; do
		printf 'obj/%s: %s/%s %s/*.h cfg/config.h\n' "${s%.c}.o" "$SRC" "$s" "$SRC"
		printf '\t@mkdir -p obj\n\t$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<\n'
	done
	echo 'libmtc.a: $(OBJS)'
	printf '\trm -f $@ && ar rcs $@ $(OBJS)\n'
	for t in $ALL_TARGETS; do
		printf 'fuzz_%s: %s/fuzz_%s.c %s/fuzz_common.h libmtc.a\n' "$t" "$HERE" "$t" "$HERE"
		printf '\t$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< libmtc.a $(LIBS)\n'
	done
} >"$B/Makefile"
echo "run.sh: building in $B" >&2
if ! make -s -C "$B" -j"$JOBS" >"$B/build.log" 2>&1; then
	cat "$B/build.log" >&2
	echo "FAIL: fuzz: the harnesses do not build" >&2
	exit 1
fi

# Sanitizer settings: ours first, the caller's next (they win), except
# that the fast unwinder stays on: `make check` asks for the slow one
# (for libtrace's frames, see tests/lsan.supp), which would cost the
# fuzzers most of their speed, and the harnesses never reach libtrace.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:fast_unwind_on_malloc=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$HERE/../lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}:fast_unwind_on_malloc=1"

FAILED=0

# Print everything needed to reproduce artifact $2 of target $1.
report() {
	local t=$1 a=$2
	echo "---- fuzz_$t found $(basename "$a" | cut -d- -f1): $a" >&2
	echo "reproduce: make -C $B fuzz_$t && $B/fuzz_$t $a" >&2
	echo "input ($(stat -c %s "$a") bytes):" >&2
	od -A d -t x1z -v "$a" | head -n 32 >&2
	echo "output of a replay:" >&2
	"$B/fuzz_$t" -error_exitcode=1 -timeout=10 "$a" 2>&1 | tail -n 60 >&2 || true
	echo "to keep it as a regression test: cp $a $HERE/regressions/$t/" >&2
}

# --- replay every known crash first ---------------------------------------
for t in $TARGETS; do
	set -- "$HERE/regressions/$t"/*
	[ -e "$1" ] || continue
	if "$B/fuzz_$t" -error_exitcode=1 -timeout=10 -rss_limit_mb=2048 \
	    "$@" >"$B/replay-$t.log" 2>&1; then
		echo "ok: fuzz_$t replays $# regression input(s)"
	else
		tail -n 60 "$B/replay-$t.log" >&2
		echo "FAIL: fuzz_$t fails on a regression input (above)" >&2
		FAILED=1
	fi
done

# --- fuzz, JOBS targets at once -------------------------------------------
fuzz_one() {
	local t=$1 w=$B/work/$t dict=()
	rm -rf "$w"
	mkdir -p "$w/corpus" "$w/artifacts"
	if [ -d "$HERE/corpus/$t" ]; then
		cp "$HERE/corpus/$t"/* "$w/corpus/" 2>/dev/null || true
	fi
	[ -f "$HERE/$t.dict" ] && dict=(-dict="$HERE/$t.dict")
	"$B/fuzz_$t" "${dict[@]}" -max_total_time="$SECONDS_PER" \
	    -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 \
	    -timeout_exitcode=1 -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$w/artifacts/" "$w/corpus" >"$w/log" 2>&1
}

pids=()
names=()
for t in $TARGETS; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
	fuzz_one "$t" &
	pids+=($!)
	names+=("$t")
done
for i in "${!pids[@]}"; do
	t=${names[$i]}
	rc=0
	wait "${pids[$i]}" || rc=$?
	w=$B/work/$t
	found=$(find "$w/artifacts" -type f | sort)
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$w/log")
	if [ -n "$found" ]; then
		FAILED=1
		for a in $found; do report "$t" "$a"; done
	elif [ "$rc" -ne 0 ]; then
		FAILED=1
		tail -n 40 "$w/log" >&2
		echo "FAIL: fuzz_$t exited with status $rc (log above)" >&2
	else
		echo "ok: fuzz_$t: ${execs:-?} runs in ${SECONDS_PER}s," \
		    "corpus $(ls "$HERE/corpus/$t" 2>/dev/null | wc -l) ->" \
		    "$(ls "$w/corpus" | wc -l) inputs"
	fi
done

if [ "$FAILED" -ne 0 ]; then
	KEEP=1
	echo "FAIL: fuzzing found problems; artifacts kept in $B/work" >&2
	exit 1
fi
exit 0
