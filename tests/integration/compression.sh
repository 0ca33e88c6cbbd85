#!/usr/bin/env bash
# compression.sh - compressed output (issue #3).  Every -Z type (gz, zlib,
# bz2, xz, lzo, none) with and without -z, to one file, to stdout and to
# -B files rotated by -G and -S: the right magic and level, decompressed by
# the independent tool (zcat, bzcat, xzcat, lzop -dc) byte for byte the
# uncompressed output of the same inputs, read directly by tracestats.
# --pipeout round trips ('gzip -1', 'xz -1', 'zstd -1', 'lz4').  Failing
# compressors: not found, exiting non-zero, killed by SIGKILL, closing
# their input early, exiting 0 having written nothing: the segment is kept
# as NAME.failed, never under its final name, its packets are counted as
# lost, later segments get a fresh compressor, exit status 1, no tmp- file.
# SIGTERM while piping: the last file is complete.  The compressor's fds
# and environment, no zombies.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "compressors and the output's children"
need_cmd python3 tcpdump capinfos tracestats tracemerge gzip zcat bzip2 bzcat \
    xz xzcat od pgrep ps readlink
export LC_ALL=C		# globs sort file names bytewise: time, then sequence
shopt -s nullglob

use_mkpcap

# have_opt CMD WHAT: CMD is installed.  zstd and lz4 are not in every
# image: without them WHAT is skipped with a line saying so, except in CI
# (CI=true), whose image must have them: there it is a failure.
have_opt() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		fail "$2: needs $1, which CI (CI=true) must have installed"
	else
		echo "SKIP: $TEST_NAME: $2: needs $1 (not installed)" >&2
	fi
	return 1
}

# pcaptool.py: record-level checks the other tools cannot express.
#   count FILE         records in FILE; exit 1 unless FILE is a pcap made
#                      of whole records
#   prefix FILE K      FILE's header and its first K records, to stdout
#   first FILE         the timestamp (seconds) of FILE's first record
#   subseq FILE A...   the records of A... (in that order) are FILE's
#                      records with some left out, none added, duplicated
#                      or reordered; prints how many there are
cat >"$TMP/pcaptool.py" <<'EOF'
import struct, sys

def records(path):
    d = open(path, "rb").read()
    if len(d) < 24 or d[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        sys.exit("%s: not a little-endian pcap file" % path)
    recs, o = [], 24
    while o < len(d):
        if o + 16 > len(d):
            sys.exit("%s: partial record header at %d" % (path, o))
        cl = struct.unpack("<I", d[o + 8:o + 12])[0]
        if o + 16 + cl > len(d):
            sys.exit("%s: partial record at %d" % (path, o))
        recs.append(d[o:o + 16 + cl])
        o += 16 + cl
    return d[:24], recs

cmd = sys.argv[1]
if cmd == "count":
    print(len(records(sys.argv[2])[1]))
elif cmd == "prefix":
    hdr, recs = records(sys.argv[2])
    k = int(sys.argv[3])
    if k > len(recs):
        sys.exit("%s has only %d records, not %d" % (sys.argv[2], len(recs), k))
    sys.stdout.buffer.write(hdr + b"".join(recs[:k]))
elif cmd == "first":
    recs = records(sys.argv[2])[1]
    if not recs:
        sys.exit("%s: no records" % sys.argv[2])
    print(struct.unpack("<I", recs[0][:4])[0])
elif cmd == "subseq":
    _, ref = records(sys.argv[2])
    i, n = 0, 0
    for p in sys.argv[3:]:
        for r in records(p)[1]:
            while i < len(ref) and ref[i] != r:
                i += 1
            if i == len(ref):
                sys.exit("%s: record %d of %s is not in the reference "
                         "after the ones before it" % (cmd, n, p))
            i += 1
            n += 1
    print(n)
EOF
PT="python3 $TMP/pcaptool.py"

# hexhead FILE N: the first N bytes of FILE in hex
hexhead() { od -An -tx1 -N "$2" "$1" | tr -d ' \n'; }
# byte_at FILE OFFSET: one byte of FILE in hex
byte_at() { od -An -tx1 -j "$2" -N 1 "$1" | tr -d ' \n'; }

# The independent decompressor and the magic of each kind of stream.
# decomp TYPE [FILE]: FILE (or stdin) decompressed to stdout
decomp() {
	local t=$1
	shift
	case $t in
	gz|zlib|gzip) zcat "$@" ;;
	bz2)	bzcat "$@" ;;
	xz)	xzcat "$@" ;;
	lzo)	lzop -dc "$@" ;;
	zstd)	zstd -dcq "$@" ;;
	lz4)	lz4 -dc "$@" ;;
	none|cat) cat "$@" ;;
	esac
}
magic() {
	case $1 in
	gz|zlib|gzip) echo 1f8b08 ;;
	bz2)	echo 425a68 ;;			# BZh
	xz)	echo fd377a585a00 ;;
	lzo)	echo 894c5a4f000d0a1a0a ;;	# lzop's, not LZO's raw format
	zstd)	echo 28b52ffd ;;
	lz4)	echo 04224d18 ;;
	none|cat) echo d4c3b2a1 ;;		# an uncompressed pcap
	esac
}
# Does this libtrace (libwandio) read such files?  Debian's libwandio1
# 3.x reads neither lzop, zstd nor lz4: probed once with a file the tool
# itself compressed, so that it is libwandio, not mtracecap, that is
# found wanting.
declare -A TS_READS
ts_reads() {
	local t=$1 f
	if [ -z "${TS_READS[$t]:-}" ]; then
		TS_READS[$t]=no
		f=$TMP/probe.$t
		case $t in
		gz|zlib|gzip) gzip -c "$D/small.pcap" >"$f" ;;
		bz2)	bzip2 -c "$D/small.pcap" >"$f" ;;
		xz)	xz -c "$D/small.pcap" >"$f" ;;
		lzo)	lzop -c "$D/small.pcap" >"$f" ;;
		zstd)	zstd -qc "$D/small.pcap" >"$f" ;;
		lz4)	lz4 -c "$D/small.pcap" >"$f" ;;
		*)	cp "$D/small.pcap" "$f" ;;
		esac 2>/dev/null
		if [ "$(tracestats "pcapfile:$f" 2>&1 | awk '/Total:/ {print $2}')" = 20 ]; then
			TS_READS[$t]=yes
		else
			echo "note: this libtrace cannot read $t files: the tracestats check is not run for them" >&2
		fi
	fi
	[ "${TS_READS[$t]}" = yes ]
}

# check_file WHAT TYPE FILE REF: FILE is a TYPE stream whose decompressed
# bytes are REF (an uncompressed pcap that holds the same packets), and a
# valid pcap to tcpdump; libtrace reads FILE itself and counts the same.
check_file() {
	local what=$1 t=$2 f=$3 ref=$4 m n ts
	m=$(magic "$t")
	if [ "$(hexhead "$f" $(( ${#m} / 2 )))" != "$m" ]; then
		fail "$what: ${f##*/} starts with $(hexhead "$f" 8), not the $t magic $m"
		return
	fi
	if ! decomp "$t" "$f" >"$TMP/dec.pcap" 2>"$TMP/dec.err"; then
		fail "$what: ${f##*/} does not decompress: $(head -c 200 "$TMP/dec.err")"
		return
	fi
	if ! cmp -s "$TMP/dec.pcap" "$ref"; then
		fail "$what: ${f##*/} decompressed ($(stat -c %s "$TMP/dec.pcap") bytes) is not ${ref##*/} ($(stat -c %s "$ref") bytes) byte for byte"
		return
	fi
	tcpdump -r "$TMP/dec.pcap" -w /dev/null 2>/dev/null ||
	    fail "$what: tcpdump cannot read ${f##*/} decompressed"
	n=$(npackets "$ref")
	if ts_reads "$t"; then
		ts=$(tracestats "pcapfile:$f" 2>&1 | awk '/Total:/ {print $2}')
		[ "$ts" = "$n" ] ||
		    fail "$what: tracestats pcapfile:${f##*/} counts '$ts' packets, want $n"
	fi
}

# check_dir WHAT TYPE DIR REFDIR EXT: the files of DIR are those of REFDIR
# (same names, plus EXT) and each is its REFDIR file as a TYPE stream; no
# tmp- and no .failed file
check_dir() {
	local what=$1 t=$2 dir=$3 refdir=$4 ext=$5 f b want got
	want=$(cd "$refdir" && printf '%s\n' * | sed "s/\$/$ext/")
	got=$(cd "$dir" && printf '%s\n' *)
	if [ "$want" != "$got" ]; then
		fail "$what: files differ from the uncompressed run (- want, + got): $(diff -u <(echo "$want") <(echo "$got") | grep '^[-+][^-+]' | head -8 | tr '\n' ' ')"
	fi
	for f in "$dir"/*; do
		b=${f##*/}
		case $b in
		tmp-*|*.failed) fail "$what: $b left in the directory"; continue ;;
		esac
		b=${b%"$ext"}
		[ -e "$refdir/$b" ] || continue
		check_file "$what" "$t" "$f" "$refdir/$b"
	done
}

# total_line: the totals line of $TMP/stderr
total_line() { grep '^mtracecap: total: ' "$TMP/stderr" | tail -n 1; }
# run WHAT ARGS...: mtracecap -s 0 ARGS with stderr in $TMP/stderr; exit
# 0 and the totals line, or a failure
run() {
	local what=$1 rc=0
	shift
	"$MTRACECAP" -s 0 "$@" 2>"$TMP/stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$what: exit $rc: $(head -c 400 "$TMP/stderr")"
		return 1
	fi
	[ "$(total_line)" = "mtracecap: total: files=$WANT_FILES written=$WANT_PACKETS lost=0 disorders=0 dropped_by_kernel=0" ] ||
	    fail "$what: totals '$(total_line)', want files=$WANT_FILES written=$WANT_PACKETS lost=0 disorders=0"
}

# --- inputs and uncompressed references ---------------------------------------
$MK "$D/a.pcap" --count 500 --start $S --step-us 10000 --jitter-us 9000 --id 1
$MK "$D/b.pcap" --count 400 --start $S.003 --step-us 13000 --size 300 --id 2 \
    --seed 2
$MK "$D/small.pcap" --count 20 --id 5
# about 3 MB over 2.3 s: -G 1 and -S 1 both cut
$MK "$D/big1.pcap" --count 2000 --start $S --step-us 1000 --size 1000 --id 3
$MK "$D/big2.pcap" --count 1500 --start $S.25 --step-us 1500 --size 700 --id 4
IN=("$D/a.pcap" "pcapfile:$D/b.pcap")
BIN=("pcapfile:$D/big1.pcap" "$D/big2.pcap")
ROT=(-G 1 -S 1 -U)
NIN=900
NBIN=3500

section
REF=$TMP/ref.pcap
WANT_FILES=1 WANT_PACKETS=$NIN
run "reference" "pcapfile:$REF" "${IN[@]}"
tracemerge "pcapfile:$TMP/tm.pcap" "${IN[@]}" 2>/dev/null
records "$REF" >"$TMP/ref.rec"
records "$TMP/tm.pcap" >"$TMP/tm.rec"
cmp -s "$TMP/ref.rec" "$TMP/tm.rec" ||
    fail "reference: mtracecap's merge differs from tracemerge's"
[ "$(npackets "$REF")" = $NIN ] || fail "reference: $(npackets "$REF") packets, want $NIN"
REFB=$TMP/refB
mkdir -p "$REFB"
rc=0
"$MTRACECAP" -s 0 "${ROT[@]}" -B "pcapfile:$REFB" "${BIN[@]}" \
    2>"$TMP/stderr" || rc=$?
REFB_NAMES=()
for f in "$REFB"/*; do REFB_NAMES+=("${f##*/}"); done
NREFB=${#REFB_NAMES[@]}
if [ "$rc" -ne 0 ] || [ "$(total_line)" != "mtracecap: total: files=$NREFB written=$NBIN lost=0 disorders=0 dropped_by_kernel=0" ]; then
	fail "-B reference: exit $rc, totals '$(total_line)' for $NREFB files"
fi
# the same inputs into one file: the -B files together must be it
"$MTRACECAP" -s 0 "pcapfile:$TMP/refBone.pcap" "${BIN[@]}" 2>/dev/null
: >"$TMP/union.rec"
for f in "$REFB"/*; do records "$f" >>"$TMP/union.rec"; done
records "$TMP/refBone.pcap" >"$TMP/refBone.rec"
cmp -s "$TMP/union.rec" "$TMP/refBone.rec" ||
    fail "-B reference: the files together are not the single-file merge"
[ "$NREFB" -ge 4 ] || fail "-B reference: $NREFB files, want at least 4 (-G 1 -S 1 over 2.3 s and 3 MB)"
[ -n "$(printf '%s\n' "${REFB_NAMES[@]}" | cut -c1-15 | uniq -d)" ] ||
    fail "-B reference: no two files in the same second: -S 1 did not cut"
passed "uncompressed references: tracemerge's order, $NREFB -B files"

# --- -Z TYPE [-z LEVEL] into one file -------------------------------------------
HAVE_LZOP=true
if ! command -v lzop >/dev/null 2>&1; then
	HAVE_LZOP=false
	if [ "${CI:-}" = true ]; then
		fail "-Z lzo: needs lzop, which CI (CI=true) must have installed"
	else
		echo "SKIP: $TEST_NAME: -Z lzo round trips: needs lzop (not installed)" >&2
	fi
	# without lzop, Debian's libwandio cannot write lzo: refused (2)
	rc=0
	"$MTRACECAP" -Z lzo "pcapfile:$TMP/nolzop.pcap" "${IN[@]}" \
	    2>"$TMP/stderr" || rc=$?
	{ [ "$rc" -eq 2 ] && grep -q 'lzop' "$TMP/stderr"; } ||
	    fail "-Z lzo without lzop: exit $rc, want 2 naming lzop: $(cat "$TMP/stderr")"
fi
TYPES=(gz zlib bz2 xz)
$HAVE_LZOP && TYPES+=(lzo)
# zstd and lz4: written by libwandio >= 4.2 (then tested as every type);
# an older libwandio must refuse them up front, exit 2, no file, and say
# to use --pipeout instead
mkdir -p "$TMP/probe"
for t in zstd lz4; do
	rc=0
	"$MTRACECAP" -s 0 -Z $t "pcapfile:$TMP/probe/$t.out" "${IN[@]}" \
	    2>"$TMP/stderr" || rc=$?
	if [ "$rc" -eq 0 ]; then
		check_file "-Z $t (libwandio writes it)" $t "$TMP/probe/$t.out" "$REF"
		TYPES+=($t)
	elif [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/stderr")" -eq 1 ] &&
	    grep -q "^mtracecap: invalid value '$t' for -Z/--compress-type: this libwandio cannot write $t; use --pipeout='$t -1'" "$TMP/stderr"; then
		[ ! -e "$TMP/probe/$t.out" ] || fail "-Z $t refused, yet a file exists"
	else
		fail "-Z $t: exit $rc, want 0 or 2 with one line naming $t: $(head -c 300 "$TMP/stderr")"
	fi
done
no_tmp "$TMP/probe"

# check_level WHAT TYPE FILE LEVEL: the stream header says LEVEL where it
# can (gzip XFL: 4 for 1, 2 for 9, 0 between; bzip2 'BZhN'; lzop's
# level byte), and the file is much smaller than the pcap: compressed,
# not stored
check_level() {
	local what=$1 t=$2 f=$3 l=$4 want got
	case $t in
	gz|zlib)
		case $l in 1) want=04 ;; 9) want=02 ;; *) want=00 ;; esac
		got=$(byte_at "$f" 8)
		[ "$got" = "$want" ] ||
		    fail "$what: gzip XFL is $got, want $want for level $l"
		# FLG 0: the deflate stream starts at 10; BTYPE 00 is stored
		if [ "$(byte_at "$f" 3)" = 00 ] &&
		    [ $(( 0x$(byte_at "$f" 10) & 6 )) -eq 0 ]; then
			fail "$what: the first deflate block is stored, not compressed"
		fi ;;
	bz2)
		got=$(byte_at "$f" 3)
		[ "$got" = "3$l" ] || fail "$what: bzip2 header says level 0x$got, want '$l'"
		;;
	lzo)
		got=$(byte_at "$f" 16)
		[ "$got" = "0$l" ] || fail "$what: lzop header says level 0x$got, want $l"
		;;
	esac
	[ $(( $(stat -c %s "$f") * 2 )) -lt "$(stat -c %s "$REF")" ] ||
	    fail "$what: $(stat -c %s "$f") bytes for $(stat -c %s "$REF") of pcap: not compressed"
}

section
O=$TMP/one
mkdir -p "$O"
WANT_FILES=1 WANT_PACKETS=$NIN
for t in "${TYPES[@]}"; do
	case $t in gz|zlib|xz) def=6 ;; bz2) def=9 ;; lzo) def=1 ;; esac
	for z in "" 1 9; do
		what="-Z $t${z:+ -z $z}"
		f=$O/$t$z.pcap.$t
		run "$what" -Z "$t" ${z:+-z "$z"} "pcapfile:$f" "${IN[@]}" || continue
		[ -e "$f" ] || { fail "$what: no ${f##*/}"; continue; }
		grep -q 'warning' "$TMP/stderr" &&
		    fail "$what: a warning: $(grep warning "$TMP/stderr")"
		check_file "$what" "$t" "$f" "$REF"
		check_level "$what" "$t" "$f" "${z:-$def}"
	done
done
# -Z none: the pcap itself
run "-Z none" -Z none "pcapfile:$O/none.pcap" "${IN[@]}" &&
    check_file "-Z none" none "$O/none.pcap" "$REF"
no_tmp "$O"
passed "-Z ${TYPES[*]} (default level, -z 1, -z 9) and none: one file"

section
# -z without -Z: gzip, as mtracecap 0.6 did, and a notice saying so
for z in 1 5; do
	f=$O/z$z.gz
	run "-z $z" -z $z "pcapfile:$f" "${IN[@]}" || continue
	check_file "-z $z without -Z" gz "$f" "$REF"
	check_level "-z $z without -Z" gz "$f" $z
	grep -q '^mtracecap: .*-z .*without -Z.*gzip' "$TMP/stderr" ||
	    fail "-z $z without -Z: no notice about gzip on stderr: $(head -c 300 "$TMP/stderr")"
done
passed "-z without -Z: gzip with a notice"

section
# to standard output
for t in "${TYPES[@]}"; do
	rc=0
	"$MTRACECAP" -s 0 -Z "$t" pcapfile:- "${IN[@]}" 2>"$TMP/stderr" \
	    >"$TMP/stdout.$t" || rc=$?
	[ "$rc" -eq 0 ] || fail "-Z $t pcapfile:-: exit $rc: $(head -c 300 "$TMP/stderr")"
	check_file "-Z $t pcapfile:-" "$t" "$TMP/stdout.$t" "$REF"
done
passed "-Z to standard output"

# --- -Z with -B, -G and -S --------------------------------------------------------
section
WANT_FILES=$NREFB WANT_PACKETS=$NBIN
for t in "${TYPES[@]}" none; do
	for z in "" 1; do
		[ "$t" = none ] && [ -n "$z" ] && continue
		what="-B -Z $t${z:+ -z $z} -G 1 -S 1"
		dir=$TMP/B$t$z
		mkdir -p "$dir"
		run "$what" -Z "$t" ${z:+-z "$z"} "${ROT[@]}" --file-ext=".$t" \
		    -B "pcapfile:$dir" "${BIN[@]}" || continue
		check_dir "$what" "$t" "$dir" "$REFB" ".$t"
	done
done
dir=$TMP/Bz
mkdir -p "$dir"
if run "-B -z 2" -z 2 "${ROT[@]}" -B "pcapfile:$dir" "${BIN[@]}"; then
	check_dir "-B -z 2 without -Z" gz "$dir" "$REFB" ""
	grep -q '^mtracecap: .*-z .*without -Z.*gzip' "$TMP/stderr" ||
	    fail "-B -z 2 without -Z: no notice about gzip on stderr"
fi
passed "-Z ${TYPES[*]} none with -B -G 1 -S 1: the same files, compressed"

# --- --pipeout round trips ------------------------------------------------------
section
P=$TMP/pipe
mkdir -p "$P"
for spec in 'gzip -1:gzip' 'xz -1:xz' 'zstd -1:zstd' 'lz4:lz4'; do
	cmd=${spec%:*} t=${spec##*:}
	have_opt "${cmd%% *}" "--pipeout='$cmd'" || continue
	WANT_FILES=1 WANT_PACKETS=$NIN
	f=$P/one.$t
	run "--pipeout='$cmd'" --pipeout="$cmd" "pcapfile:$f" "${IN[@]}" &&
	    check_file "--pipeout='$cmd'" "$t" "$f" "$REF"
	# stdout, piped into the decompressor
	rc=0
	"$MTRACECAP" -s 0 --pipeout="$cmd" pcapfile:- "${IN[@]}" \
	    2>"$TMP/stderr" | decomp "$t" >"$TMP/stdout.pcap" ||
	    rc="${PIPESTATUS[0]}/${PIPESTATUS[1]}"
	[ "$rc" = 0 ] || fail "--pipeout='$cmd' pcapfile:- | decompress: exit $rc: $(head -c 300 "$TMP/stderr")"
	cmp -s "$TMP/stdout.pcap" "$REF" ||
	    fail "--pipeout='$cmd' pcapfile:-: decompressed it is not the reference"
	[ "$(total_line)" = "mtracecap: total: files=1 written=$NIN lost=0 disorders=0 dropped_by_kernel=0" ] ||
	    fail "--pipeout='$cmd' pcapfile:-: totals '$(total_line)'"
	# -B: several files, each complete, together every packet once
	WANT_FILES=$NREFB WANT_PACKETS=$NBIN
	dir=$P/B$t
	mkdir -p "$dir"
	run "--pipeout='$cmd' -B" --pipeout="$cmd" "${ROT[@]}" \
	    -B "pcapfile:$dir" "${BIN[@]}" &&
	    check_dir "--pipeout='$cmd' -B -G 1 -S 1" "$t" "$dir" "$REFB" ""
done
passed "--pipeout round trips: one file, stdout, -B"

# --- failing compressors ----------------------------------------------------------
# victim.sh MODE SEQ CMD...: a --pipeout that is CMD for every segment but
# the one with sequence number SEQ (told by the name of its temp file, its
# stdout), for which it
#   exit  exits 3 without reading anything
#   head  keeps the first 1000 bytes and exits 0 (closes its input early)
#   kill  passes 64 KiB to gzip and dies of SIGKILL while mtracecap writes
cat >"$TMP/victim.sh" <<'EOF'
#!/bin/sh
mode=$1 seq=$2
shift 2
case $(readlink /proc/$$/fd/1) in
*-"$seq"|*-"$seq".*) ;;
*) exec "$@" ;;
esac
case $mode in
exit) exit 3 ;;
head) exec head -c 1000 ;;
kill) head -c 65536 | gzip -1; kill -KILL $$ ;;
esac
exit 99
EOF
chmod +x "$TMP/victim.sh"

# check_failed WHAT DIR REF TOTAL RC VICTIM...: after a run that exited
# with RC and lost the packets of the VICTIM files (names in DIR, or
# NAME for a single output file): exit status 1 and not a signal; each
# victim kept as NAME.failed and not under NAME; no tmp-; every other file
# complete and valid (gzip, or uncompressed if the name ends in .pcap),
# named (-U) no later than its first packet as every -B file is; in
# sequence order they are REF with some packets left out; the totals line
# says written + lost = TOTAL with lost the packets not in the files.
# Sets GOOD_SEQ (the sequence numbers of the complete files).
check_failed() {
	local what=$1 dir=$2 ref=$3 total=$4 rc=$5 v f b good=() n lost
	local named first
	shift 5
	if [ "$rc" -ge 128 ]; then
		fail "$what: mtracecap died of signal $((rc - 128))"
	elif [ "$rc" -ne 1 ]; then
		fail "$what: exit $rc, want 1 (packets were lost)"
	fi
	for v in "$@"; do
		[ -e "$dir/$v.failed" ] || fail "$what: no $v.failed"
		[ -e "$dir/$v" ] && fail "$what: the failed segment is under its final name $v"
	done
	no_tmp "$dir"
	rm -rf "$TMP/good"
	mkdir -p "$TMP/good"
	GOOD_SEQ=()
	while read -r f; do
		b=${f##*/}
		case $b in
		*.failed) continue ;;
		*.pcap)	good+=("$f") ;;
		*)	if ! zcat -- "$f" >"$TMP/good/$b.pcap" 2>/dev/null; then
				fail "$what: $b does not decompress"
			fi
			good+=("$TMP/good/$b.pcap") ;;
		esac
		GOOD_SEQ+=("$(seq_of "$b")")
		f=${good[${#good[@]} - 1]}
		if ! tcpdump -r "$f" -w /dev/null 2>/dev/null; then
			fail "$what: tcpdump cannot read $b"
			continue
		fi
		[[ $b =~ ^([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})([0-9]{2})- ]] ||
		    continue
		named=$(date -u -d "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]} ${BASH_REMATCH[4]}:${BASH_REMATCH[5]}:${BASH_REMATCH[6]}" +%s)
		first=$($PT first "$f" 2>/dev/null) || continue
		[ "$named" -le "$first" ] ||
		    fail "$what: $b is named after $(date -u -d "@$named" +%FT%TZ), later than its first packet ($(date -u -d "@$first" +%FT%TZ)); the other files are named after packet time"
	done < <(by_seq "$dir")
	if [ "${#good[@]}" -gt 0 ]; then
		n=$($PT subseq "$ref" "${good[@]}" 2>"$TMP/pt.err") ||
		    { fail "$what: $(cat "$TMP/pt.err")"; n=0; }
	else
		n=0
	fi
	lost=$((total - n))
	[ "$lost" -gt 0 ] || fail "$what: no packet missing from the files"
	[[ "$(total_line)" == "mtracecap: total: files="*" written=$n lost=$lost disorders=0 dropped_by_kernel=0" ]] ||
	    fail "$what: totals '$(total_line)', want written=$n lost=$lost ($n packets in complete files of $total)"
}
# run_fail WHAT ARGS...: mtracecap -s 0 ARGS; sets RC
run_fail() {
	local what=$1
	shift
	RC=0
	timeout 60 "$MTRACECAP" -s 0 "$@" 2>"$TMP/stderr" || RC=$?
}
WANT_FILES=

section
# not found: one line naming it, exit 1, no file at all
for out in "-B pcapfile:$TMP/nf" "pcapfile:$TMP/nf/out.gz"; do
	rm -rf "$TMP/nf"
	mkdir -p "$TMP/nf"
	rc=0
	# shellcheck disable=SC2086
	"$MTRACECAP" --pipeout='mtc-no-such-binary -9' $out "${IN[@]}" \
	    >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 1 ] || fail "--pipeout=mtc-no-such-binary ($out): exit $rc, want 1"
	if [ "$(wc -l <"$TMP/stderr")" -ne 1 ] ||
	    ! grep -q "^mtracecap: .*--pipeout.*'mtc-no-such-binary'" "$TMP/stderr"; then
		fail "--pipeout=mtc-no-such-binary ($out): want one line 'mtracecap: ... --pipeout ... 'mtc-no-such-binary'', got: $(cat "$TMP/stderr")"
	fi
	[ -s "$TMP/stdout" ] && fail "--pipeout=mtc-no-such-binary: wrote to stdout"
	[ -z "$(ls -A "$TMP/nf")" ] ||
	    fail "--pipeout=mtc-no-such-binary ($out): created $(ls -A "$TMP/nf")"
done
passed "--pipeout command not found: one line, exit 1, no file"

section
# false: every segment fails, each with its own compressor
F=$TMP/false1
mkdir -p "$F"
run_fail "--pipeout=false" --pipeout=false "pcapfile:$F/out.gz" "${IN[@]}"
check_failed "--pipeout=false (one file)" "$F" "$REF" $NIN "$RC" out.gz
grep -q "^mtracecap: .*--pipeout command exited with status 1" "$TMP/stderr" ||
    fail "--pipeout=false: no log line with the exit status: $(head -c 300 "$TMP/stderr")"
F=$TMP/falseB
mkdir -p "$F"
run_fail "--pipeout=false -B" --pipeout=false "${ROT[@]}" -B "pcapfile:$F" "${BIN[@]}"
check_failed "--pipeout=false -B" "$F" "$TMP/refBone.pcap" $NBIN "$RC" \
    "${REFB_NAMES[@]}"
n=$(grep -c -- "--pipeout command exited with status 1" "$TMP/stderr")
[ "$n" -eq "$NREFB" ] ||
    fail "--pipeout=false -B: $n exit status lines for $NREFB segments (one compressor per segment)"
passed "--pipeout=false: .failed, packets lost, exit 1"

# victim_run MODE WHAT: -B -G 1 -S 1 with victim.sh MODE gzip -1 failing
# segment 00000001 only; the segments before and after it are complete
victim_run() {
	local mode=$1 what=$2 v dir=$TMP/v$1 f after=0
	mkdir -p "$dir"
	v=${REFB_NAMES[1]}
	run_fail "$what" --pipeout="$TMP/victim.sh $mode 00000001 gzip -1" \
	    "${ROT[@]}" --file-ext=.gz -B "pcapfile:$dir" "${BIN[@]}"
	check_failed "$what" "$dir" "$TMP/refBone.pcap" $NBIN "$RC" "$v.gz"
	# the first segment is untouched, later ones start afresh
	f=${REFB_NAMES[0]}
	if [ -e "$dir/$f.gz" ]; then
		check_file "$what: the segment before" gzip "$dir/$f.gz" "$REFB/$f"
	else
		fail "$what: the segment before, $f.gz, is missing"
	fi
	for f in "${GOOD_SEQ[@]}"; do
		if [ "$f" -gt 1 ]; then after=$((after + 1)); fi
	done
	[ "$after" -ge 1 ] ||
	    fail "$what: no complete segment after the failed one: $(ls "$dir" | tr '\n' ' ')"
}

section
victim_run exit "a compressor that exits 3"
grep -q "^mtracecap: .*--pipeout command exited with status 3" "$TMP/stderr" ||
    fail "exit 3: no log line with the exit status: $(head -c 300 "$TMP/stderr")"
passed "a compressor that fails: its segment .failed, the others complete"

section
victim_run kill "a compressor killed by SIGKILL"
grep -q "^mtracecap: .*--pipeout command was killed by signal 9" "$TMP/stderr" ||
    fail "SIGKILL: no log line naming the signal: $(head -c 300 "$TMP/stderr")"
passed "a compressor killed by SIGKILL: mtracecap goes on, .failed, the others complete"

section
victim_run head "a compressor that closes its input early"
# small streams fit in the pipe: the command's exit status 0 must not
# make a truncated file look complete
for cmd in 'head -c 1000' "sh -c 'head -c 100 >/dev/null; sleep 1'"; do
	for src in "$D/small.pcap" "${IN[*]}"; do
		F=$TMP/early$RANDOM
		mkdir -p "$F"
		# shellcheck disable=SC2086
		"$MTRACECAP" -s 0 "pcapfile:$F.ref" $src 2>/dev/null
		# shellcheck disable=SC2086
		run_fail "--pipeout=\"$cmd\"" --pipeout="$cmd" \
		    "pcapfile:$F/out.pcap" $src
		check_failed "--pipeout=\"$cmd\" ($(stat -c %s "$F.ref") bytes of pcap)" \
		    "$F" "$F.ref" "$($PT count "$F.ref")" "$RC" out.pcap
	done
done
passed "a compressor that closes its input early: .failed, never complete"

section
# a compressor that takes the whole stream, exits 0 and writes nothing:
# an empty file is no compressed form of a non-empty stream (issue 12)
cmd="sh -c 'cat >/dev/null'"
for src in "$D/small.pcap" "${IN[*]}"; do
	F=$TMP/mute$RANDOM
	mkdir -p "$F"
	# shellcheck disable=SC2086
	"$MTRACECAP" -s 0 "pcapfile:$F.ref" $src 2>/dev/null
	# shellcheck disable=SC2086
	run_fail "--pipeout=\"$cmd\"" --pipeout="$cmd" "pcapfile:$F/out.pcap" $src
	check_failed "--pipeout=\"$cmd\" ($(stat -c %s "$F.ref") bytes of pcap)" \
	    "$F" "$F.ref" "$($PT count "$F.ref")" "$RC" out.pcap
	grep -q "^mtracecap: '$F/out.pcap': --pipeout command wrote nothing for $(stat -c %s "$F.ref") bytes of pcap$" "$TMP/stderr" ||
	    fail "--pipeout=\"$cmd\": no line saying it wrote nothing: $(head -c 300 "$TMP/stderr")"
done
F=$TMP/muteB
mkdir -p "$F"
run_fail "--pipeout=\"$cmd\" -B" --pipeout="$cmd" "${ROT[@]}" -B "pcapfile:$F" "${BIN[@]}"
check_failed "--pipeout=\"$cmd\" -B" "$F" "$TMP/refBone.pcap" $NBIN "$RC" \
    "${REFB_NAMES[@]}"
passed "a compressor that writes nothing: .failed, packets lost, exit 1"

# --- a slow pipe as input: SIGTERM, zombies, SIGKILL from outside -------------
# start_feed and start_mtc (lib.sh): tests/tools/feed.py into the FIFO: a
# pcap header, then packets stamped 1 ms apart (--count of --size bytes),
# --group at a time with --gap seconds after each group.  Each group goes
# to $TMP/fifo.ref before it is written (what mtracecap reads of a group
# cut short by its exit is in REF too), the number fully written so far
# to $TMP/fed; mtracecap -s 0 ARGS pcapfile:FIFO, stderr in $TMP/stderr.
FEED_FIFO=$TMP/fifo
mkfifo "$FEED_FIFO"
FEED_LOG=$TMP/fed FEED_LOG_STYLE=total FEED_REF=$TMP/fifo.ref
FEED_OPTS=(--ref-first --step-us 1000)
# wait_files DIR N [SECONDS]: until DIR holds N complete (renamed) files
complete_files() { find "$1" -maxdepth 1 -type f ! -name 'tmp-*' | wc -l; }
wait_files() {
	local i=0 max=$(( ${3:-10} * 20 ))
	while [ "$(complete_files "$1")" -lt "$2" ] && [ $i -lt $max ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(complete_files "$1")" -ge "$2" ]
}
# zombies: children of mtracecap that exited and were not reaped.  One
# caught between its exit and waitpid is still there 0.3 s later only if
# it was never waited for.
CHILDREN=
check_zombies() {
	local z p
	CHILDREN="$CHILDREN $(pgrep -P "$MTC_PID" | tr '\n' ' ')"
	z=$(ps --ppid "$MTC_PID" -o pid=,stat= | awk '$2 ~ /^Z/ {print $1}')
	[ -n "$z" ] || return 0
	sleep 0.3
	for p in $z; do
		if ps --ppid "$MTC_PID" -o pid=,stat= | awk -v p="$p" '$1 == p && $2 ~ /^Z/ {f = 1} END {exit !f}'; then
			fail "$1: zombie child $p of mtracecap"
		fi
	done
}
# children_gone: every child seen during the run ended with mtracecap
children_gone() {
	local p left=
	for p in $CHILDREN; do
		kill -0 "$p" 2>/dev/null && left="$left $p($(cat /proc/"$p"/comm 2>/dev/null))"
	done
	[ -z "$left" ] || fail "$1: compressors outlive mtracecap:$left"
}

section
# SIGTERM, one file: gzip gets EOF, the file is renamed complete and holds
# everything fed before the signal
T=$TMP/term
mkdir -p "$T"
start_feed --count 100000 --group 20 --gap 0.05 --size 200
start_mtc --pipeout='gzip -1' "pcapfile:$T/out.pcap.gz"
if wait_ready; then
	i=0
	while [ "$(fed)" -lt 200 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
	before=$(fed)
	check_zombies "SIGTERM, one file"
	kill -TERM "$MTC_PID"
	reap "SIGTERM, one file" 5
	[ "$RC" -eq 0 ] || fail "SIGTERM, one file: exit $RC: $(head -c 300 "$TMP/stderr")"
	no_tmp "$T"
	if [ -e "$T/out.pcap.gz" ] && zcat "$T/out.pcap.gz" >"$T/out.pcap" 2>/dev/null; then
		k=$($PT count "$T/out.pcap") || k=0
		[ "$k" -ge "$before" ] || fail "SIGTERM, one file: $k packets, but $before were fed before the signal"
		cmp -s <(tail -c +25 "$T/out.pcap") \
		    <($PT prefix "$TMP/fifo.ref" "$k" | tail -c +25) ||
		    fail "SIGTERM, one file: the $k packets are not the first $k fed"
		[ "$(total_line)" = "mtracecap: total: files=1 written=$k lost=0 disorders=0 dropped_by_kernel=0" ] ||
		    fail "SIGTERM, one file: totals '$(total_line)', want files=1 written=$k lost=0"
	else
		fail "SIGTERM, one file: no complete out.pcap.gz: $(ls "$T")"
	fi
	children_gone "SIGTERM, one file"
fi
passed "SIGTERM while piping through gzip -1: the file is complete"

section
# -B -S 1 from the pipe (about a second per file): no zombie after
# rotations; SIGKILL to the gzip of a segment 0.3 s after it started; the
# later segments complete; SIGTERM at the end
T=$TMP/kill
mkdir -p "$T"
CHILDREN=
# newest_out: the temp file the newest child of mtracecap writes
newest_out() {
	local p
	p=$(pgrep -n -P "$MTC_PID") && readlink "/proc/$p/fd/1" 2>/dev/null
}
start_feed --count 100000 --group 150 --gap 0.15 --size 1000
start_mtc --pipeout='gzip -1' -S 1 -U -B "pcapfile:$T"
if wait_ready; then
	wait_files "$T" 2 || fail "-S 1 from a pipe: not 2 complete files within 10 s"
	check_zombies "-B -S 1 from a pipe"
	vname=
	for _ in 1 2 3; do
		# a fresh segment: its gzip is the newest child
		prev=$(newest_out || true)
		i=0
		while [ "$(newest_out || true)" = "$prev" ] && [ $i -lt 150 ]; do
			sleep 0.02
			i=$((i + 1))
		done
		victim=$(pgrep -n -P "$MTC_PID" || true)
		[ -n "$victim" ] || continue
		out=$(readlink "/proc/$victim/fd/1" 2>/dev/null || true)
		[ "$(cat "/proc/$victim/comm" 2>/dev/null)" = gzip ] || continue
		sleep 0.3	# mid-segment: a burst or two went to it already
		# still writing that segment (not done, not a zombie)?
		if [ -z "$out" ] ||
		    [ "$(readlink "/proc/$victim/fd/1" 2>/dev/null)" != "$out" ]; then
			continue
		fi
		kill -KILL "$victim" 2>/dev/null || continue
		vname=${out##*/tmp-"$MTC_PID"-}
		break
	done
	[ -n "$vname" ] ||
	    fail "SIGKILL from outside: found no gzip child mid-segment in 3 tries"
	n=$(complete_files "$T")
	wait_files "$T" $((n + 3)) || fail "after SIGKILL: not 3 more files within 10 s"
	check_zombies "-B -S 1 from a pipe, after SIGKILL"
	kill -TERM "$MTC_PID"
	reap "-B -S 1 from a pipe" 5
	grep -q "^mtracecap: .*--pipeout command was killed by signal 9" "$TMP/stderr" ||
	    fail "SIGKILL from outside: no log line naming the signal: $(head -c 300 "$TMP/stderr")"
	if [ -n "$vname" ]; then
		# the packets mtracecap read; the feeder's REF may hold more
		total=$(sed -n 's/^mtracecap: input=0 .*: read=\([0-9]*\) .*/\1/p' "$TMP/stderr")
		check_failed "SIGKILL from outside" "$T" "$TMP/fifo.ref" "${total:-0}" "$RC" "$vname"
		after=0
		for f in "${GOOD_SEQ[@]}"; do
			if [ "$f" -gt "$(seq_of "$vname")" ]; then after=$((after + 1)); fi
		done
		[ "$after" -ge 2 ] || fail "SIGKILL from outside: $after complete segments after $vname, want 2"
	fi
	children_gone "-B -S 1 from a pipe"
fi
passed "-S 1 from a pipe: no zombies, a killed gzip costs only its segment"

# --- the compressor's file descriptors and environment ----------------------
section
cat >"$TMP/fds.sh" <<'EOF'
#!/bin/sh
# fds.sh DIR: record what this --pipeout child got, then be cat
ls -l /proc/self/fd >"$1/fd.$$"
o=$(readlink /proc/$$/fd/1)
echo "$o" >"$1/out.$$"
env >"$1/env.$$"
exec cat
EOF
chmod +x "$TMP/fds.sh"
R=$TMP/fdrec
dir=$TMP/fdout
mkdir -p "$R" "$dir"
WANT_FILES=$NREFB WANT_PACKETS=$NBIN
MTC_TEST_SECRET=leak run "--pipeout=fds.sh" --pipeout="$TMP/fds.sh $R" \
    "${ROT[@]}" -B "pcapfile:$dir" "${BIN[@]}" &&
    check_dir "--pipeout=fds.sh (cat)" none "$dir" "$REFB" ""
n=0
for f in "$R"/fd.*; do
	pid=${f##*.}
	n=$((n + 1))
	fds=$(awk 'NR > 1 {print $9}' "$f" | sort -n | tr '\n' ' ')
	[ "$fds" = "0 1 2 3 " ] ||
	    fail "--pipeout child $pid has fds $fds, want 0 1 2 (and 3, ls's own): $(cat "$f")"
	awk '$9 == 0 {print $11}' "$f" | grep -q '^pipe:' ||
	    fail "--pipeout child $pid: stdin is not a pipe: $(cat "$f")"
	awk '$9 == 3 {print $11}' "$f" | grep -q '^/proc/[0-9]*/fd$' ||
	    fail "--pipeout child $pid: fd 3 is not ls's own: $(cat "$f")"
	grep -q "^$dir/tmp-[0-9]*-[0-9]\{8\}-[0-9]\{6\}-[0-9]\{8\}\$" "$R/out.$pid" ||
	    fail "--pipeout child $pid: stdout is $(cat "$R/out.$pid"), not a temp file in $dir"
	grep -q '^MTC_TEST_SECRET=' "$R/env.$pid" &&
	    fail "--pipeout child $pid: inherited mtracecap's environment"
	grep -qx 'LC_ALL=C' "$R/env.$pid" || fail "--pipeout child $pid: no LC_ALL=C"
done
[ "$n" -eq "$NREFB" ] || fail "--pipeout=fds.sh: $n children for $NREFB files"
passed "--pipeout children get fds 0-2 only and a clean environment"
# --- compressed inputs ---------------------------------------------------------
section
# each type is read through its decompressor: the same records as plain
CI_DIR=$TMP/cin
mkdir -p "$CI_DIR"
for c in gzip bzip2 xz lzop; do
	command -v $c >/dev/null 2>&1 || { [ "${CI:-}" != true ] && continue; }
	$c -c "$D/a.pcap" >"$CI_DIR/a.$c"
	rc=0
	"$MTRACECAP" -s 0 "pcapfile:$CI_DIR/out.$c.pcap" "$CI_DIR/a.$c" \
	    2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 0 ] || fail "$c input: exit $rc: $(head -c 300 "$TMP/stderr")"
	cmp -s "$CI_DIR/out.$c.pcap" "$D/a.pcap" ||
	    fail "$c input: output differs from the uncompressed input"
done
# truncated and corrupt: exit 1, one error naming the input and the tool,
# every packet that decompressed is written, the output is valid
gzip -c "$D/a.pcap" >"$CI_DIR/full.gz"
head -c $(( $(stat -c %s "$CI_DIR/full.gz") / 2 )) "$CI_DIR/full.gz" >"$CI_DIR/cut.gz"
for f in cut.gz "$TESTS_SRCDIR"/fuzz/regressions/input/wandio-corrupt-*; do
	case $f in /*) ;; *) f=$CI_DIR/$f ;; esac
	rm -f "$CI_DIR/bad.pcap"
	rc=0
	"$MTRACECAP" -s 0 "pcapfile:$CI_DIR/bad.pcap" "$f" 2>"$TMP/stderr" || rc=$?
	[ "$f" != "$CI_DIR/cut.gz" ] || cp "$TMP/stderr" "$TMP/cut.err"
	[ "$rc" -eq 1 ] || fail "corrupt input ${f##*/}: exit $rc, want 1: $(head -c 300 "$TMP/stderr")"
	# garbage may decode before gzip or xz notices the bad checksum:
	# then libpcap names what it found; either way the input is named
	grep -q "^mtracecap: .*input '$f'" "$TMP/stderr" ||
	    fail "corrupt input ${f##*/}: no error naming it: $(head -c 300 "$TMP/stderr")"
	# no file when not even the header was good, else a valid one
	if [ -e "$CI_DIR/bad.pcap" ]; then
		tcpdump -r "$CI_DIR/bad.pcap" -w /dev/null 2>/dev/null ||
		    fail "corrupt input ${f##*/}: output not readable"
	fi
done
grep -q "^mtracecap: input '$CI_DIR/cut.gz': 'gzip -dc' failed" "$TMP/cut.err" ||
    fail "truncated gzip input: no error naming it and gzip: $(head -c 300 "$TMP/cut.err")"
cut_n=$(gzip -dc "$CI_DIR/cut.gz" 2>/dev/null | tcpdump -r - 2>/dev/null | wc -l || true)
rm -f "$CI_DIR/bad.pcap"
"$MTRACECAP" -s 0 "pcapfile:$CI_DIR/bad.pcap" "$CI_DIR/cut.gz" 2>/dev/null || true
[ "$(npackets "$CI_DIR/bad.pcap")" = "$cut_n" ] ||
    fail "truncated gzip input: $(npackets "$CI_DIR/bad.pcap") packets written, gzip -dc | tcpdump reads $cut_n"
passed "compressed inputs: gzip, bzip2, xz, lzop; truncated and corrupt ones end cleanly"
finish
