#!/usr/bin/env bash
# cli_errors.sh - every bad invocation fails the same way: the exact exit
# status (2 usage, 1 input/output/runtime), exactly one line on stderr that
# starts with "mtracecap: " and names the offending value, nothing on
# stdout, and no file at all in the output directory (not even a tmp-).
# Then the good invocations: -h/--help, --version, -H.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "bad invocations, messages and exit statuses"
need_cmd python3
need_cmd gzip

IN=$TMP/in.pcap
python3 "$TESTS_SRCDIR/tools/mkpcap.py" "$IN" --count 20
OUT=$TMP/out		# recreated empty before every case
RUNDIR=$TMP/cwd		# the working directory of every case
SEQ=$TMP/seq		# a seqfile
mkdir -p "$RUNDIR"

# Inputs that are not pcap, or not quite.
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$TMP/text.txt"
: >"$TMP/empty.bin"
head -c 10 "$IN" >"$TMP/trunc.pcap"
python3 - "$TMP/raw.pcap" <<'EOF'
import struct, sys
# LINKTYPE_RAW (101): cannot go into one file with Ethernet packets
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    f.write(struct.pack("<IIII", 1700000000, 0, 20, 20) + b"\x45" + bytes(19))
EOF
python3 - "$TMP/fcs16.pcap" <<'EOF'
import struct, sys
# a link-type field with its top bit set (an FCS of 8 16-bit words):
# kept as read or refused, never written with the bits dropped
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 0x84000001))
    f.write(struct.pack("<IIII", 1700000000, 0, 60, 60) + bytes(60))
EOF
mkdir -p "$TMP/a_dir"
NOTDIR=$TMP/text.txt
# Compressed inputs whose data is corrupt: cut short, or garbage after
# the gzip magic.
gzip -c "$IN" | head -c 60 >"$TMP/cut.pcap.gz"
printf '\037\213\010\000garbage-garbage-garbage' >"$TMP/junk.gz"

# A read-only directory: root ignores the mode bits, so use a read-only
# bind mount (an empty directory, remounted ro).
RO=$TMP/ro
mkdir -p "$TMP/ro_src" "$RO"
ro_ok=false
if mount --bind "$TMP/ro_src" "$RO" 2>/dev/null; then
	on_exit "umount -l '$RO'"
	if mount -o remount,bind,ro "$RO" 2>/dev/null &&
	    ! touch "$RO/probe" 2>/dev/null; then
		ro_ok=true
	fi
fi
$ro_ok || echo "note: no read-only bind mount here (needs root and" \
    "CAP_SYS_ADMIN): the read-only directory cases are not run" >&2

ncases=0

# bad STATUS NEEDLE ARGS...: run mtracecap ARGS and check the contract.
# NEEDLE is mtracecap's own wording around the offending value; the one
# stderr line must contain it literally.
bad() {
	local want=$1 needle=$2 rc lines line listing
	shift 2
	ncases=$((ncases + 1))
	rm -rf "$OUT"
	mkdir -p "$OUT"
	rc=0
	(cd "$RUNDIR" && exec timeout 20 "$MTRACECAP" "$@") \
	    >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
	local what="mtracecap $*"
	if [ "$rc" -ne "$want" ]; then
		fail "$what: exit $rc, want $want (stderr: $(head -c 300 "$TMP/stderr"))"
	fi
	lines=$(wc -l <"$TMP/stderr")
	line=$(head -n 1 "$TMP/stderr")
	if [ "$lines" -ne 1 ] || [ -n "$(tail -c 1 "$TMP/stderr")" ]; then
		fail "$what: stderr has $lines lines, want exactly 1: $(head -c 500 "$TMP/stderr")"
	fi
	case $line in
	"mtracecap: "*) ;;
	*) fail "$what: stderr does not start with 'mtracecap: ': $line" ;;
	esac
	if [[ $line != *"$needle"* ]]; then
		fail "$what: stderr '$line' does not contain '$needle'"
	fi
	if [ -s "$TMP/stdout" ]; then
		fail "$what: wrote $(wc -c <"$TMP/stdout") bytes to stdout"
	fi
	listing=$(find "$OUT" "$RUNDIR" "$TMP/a_dir" "$TMP/ro_src" \
	    -mindepth 1 2>/dev/null)
	if [ -n "$listing" ]; then
		fail "$what: created files: $listing"
		rm -rf "${RUNDIR:?}"/* "${TMP:?}/a_dir"/* "${TMP:?}/ro_src"/*
	fi
}

O=pcapfile:$OUT/o.pcap		# a single output file
B=pcapfile:$OUT			# a -B directory

# --- usage errors: exit 2 ---------------------------------------------
# -s/--snaplen
bad 2 "invalid value 'abc' for -s/--snaplen" -s abc "$O" "$IN"
bad 2 "invalid value '-1' for -s/--snaplen" -s -1 "$O" "$IN"
bad 2 "invalid value '99999999999999999999' for -s/--snaplen" \
    -s 99999999999999999999 "$O" "$IN"
bad 2 "invalid value '262145' for -s/--snaplen" -s 262145 "$O" "$IN"
bad 2 "invalid value '4294967360' for -s/--snaplen" -s 4294967360 "$O" "$IN"
bad 2 "empty value for -s/--snaplen" --snaplen= "$O" "$IN"
bad 2 "invalid value ' 64' for -s/--snaplen" -s ' 64' "$O" "$IN"
bad 2 "invalid value '+64' for -s/--snaplen" -s +64 "$O" "$IN"
bad 2 "invalid value '0x40' for -s/--snaplen" -s 0x40 "$O" "$IN"
bad 2 "invalid value '64k' for -s/--snaplen" --snaplen=64k "$O" "$IN"
# -G/--rotate-seconds
bad 2 "invalid value '0' for -G/--rotate-seconds" -G 0 -B "$B" "$IN"
bad 2 "invalid value 'abc' for -G/--rotate-seconds" -G abc -B "$B" "$IN"
bad 2 "invalid value '-5' for -G/--rotate-seconds" -G -5 -B "$B" "$IN"
bad 2 "invalid value '99999999999999999999' for -G/--rotate-seconds" \
    -G 99999999999999999999 -B "$B" "$IN"
bad 2 "invalid value '18446744073709551616' for -G/--rotate-seconds" \
    --rotate-seconds=18446744073709551616 -B "$B" "$IN"
bad 2 "invalid value '316224001' for -G/--rotate-seconds" \
    -G 316224001 -B "$B" "$IN"
bad 2 "invalid value '5s' for -G/--rotate-seconds" -G 5s -B "$B" "$IN"
bad 2 "empty value for -G/--rotate-seconds" -G '' -B "$B" "$IN"
# -S/--rotate-sizemb
bad 2 "invalid value '0' for -S/--rotate-sizemb" -S 0 -B "$B" "$IN"
bad 2 "invalid value '1.5' for -S/--rotate-sizemb" -S 1.5 -B "$B" "$IN"
bad 2 "invalid value '-1' for -S/--rotate-sizemb" -S -1 -B "$B" "$IN"
bad 2 "invalid value '1048577' for -S/--rotate-sizemb" \
    -S 1048577 -B "$B" "$IN"
bad 2 "invalid value '99999999999999999999' for -S/--rotate-sizemb" \
    --rotate-sizemb=99999999999999999999 -B "$B" "$IN"
# -w/--maxwait_ms
bad 2 "invalid value '-1' for -w/--maxwait_ms" -w -1 "$O" "$IN"
bad 2 "invalid value '60001' for -w/--maxwait_ms" -w 60001 "$O" "$IN"
bad 2 "invalid value '1ms' for -w/--maxwait_ms" --maxwait_ms=1ms "$O" "$IN"
# -z/-Z: bad values and combinations
bad 2 "invalid value '10' for -z/--compress-level" -z 10 "$O" "$IN"
bad 2 "invalid value '-1' for -z/--compress-level" -z -1 "$O" "$IN"
bad 2 "invalid value 'fast' for -z/--compress-level" -z fast "$O" "$IN"
bad 2 "invalid value 'foo' for -Z/--compress-type" -Z foo "$O" "$IN"
bad 2 "invalid value '' for -Z/--compress-type" -Z '' "$O" "$IN"
bad 2 "-z/--compress-level 3 conflicts with -Z none" -z 3 -Z none "$O" "$IN"
bad 2 "-z/--compress-level 0" -z 0 -B "$B" "$IN"
bad 2 "-z/--compress-level 0" -Z bz2 -z 0 "$O" "$IN"
bad 2 "--pipeout 'gzip -1'" -z 1 --pipeout='gzip -1' "$O" "$IN"
bad 2 "--pipeout 'xz'" -Z xz --pipeout=xz -B "$B" "$IN"
# --queue-size
bad 2 "invalid value '0' for --queue-size" --queue-size=0 "$O" "$IN"
bad 2 "invalid value '4097' for --queue-size" --queue-size=4097 "$O" "$IN"
bad 2 "invalid value '8M' for --queue-size" --queue-size=8M "$O" "$IN"
# --capture-buffer
bad 2 "invalid value '0' for --capture-buffer" --capture-buffer=0 "$O" "$IN"
bad 2 "invalid value '2048' for --capture-buffer" --capture-buffer=2048 "$O" "$IN"
bad 2 "invalid value '99999999999999999999' for --capture-buffer" \
    --capture-buffer=99999999999999999999 "$O" "$IN"
bad 2 "invalid value '1g' for --capture-buffer" --capture-buffer=1g "$O" "$IN"
# --max-files, --max-bytes, --min-free (SIZE: binary k/M/G/T; PCT%: 1-99)
SZ="expected a size in bytes, with k, M, G or T after it for KiB, MiB, GiB or TiB"
bad 2 "invalid value '0' for --max-files: must be at least 1" \
    --max-files=0 -B "$B" "$IN"
bad 2 "invalid value '4294967296' for --max-files: larger than 4294967295" \
    --max-files=4294967296 -B "$B" "$IN"
bad 2 "invalid value '5k' for --max-files: not a non-negative whole number" \
    --max-files 5k -B "$B" "$IN"
bad 2 "empty value for --max-files" --max-files= -B "$B" "$IN"
bad 2 "invalid value '0' for --max-bytes: must be at least 1 byte" \
    --max-bytes=0 -B "$B" "$IN"
bad 2 "invalid value '1m' for --max-bytes: $SZ" --max-bytes=1m -B "$B" "$IN"
bad 2 "invalid value '1.5G' for --max-bytes: $SZ" --max-bytes=1.5G -B "$B" "$IN"
bad 2 "invalid value '10GB' for --max-bytes: $SZ" --max-bytes 10GB -B "$B" "$IN"
bad 2 "invalid value '-1' for --max-bytes: $SZ" --max-bytes=-1 -B "$B" "$IN"
bad 2 "invalid value '' for --max-bytes: $SZ" --max-bytes= -B "$B" "$IN"
bad 2 "invalid value '16777216T' for --max-bytes: larger than 2^64 bytes" \
    --max-bytes=16777216T -B "$B" "$IN"
bad 2 "invalid value '99999999999999999999999999999999999' for --max-bytes: larger than 2^64 bytes" \
    --max-bytes=99999999999999999999999999999999999 -B "$B" "$IN"
bad 2 "invalid value '0' for --min-free: must be at least 1 byte" \
    --min-free=0 -B "$B" "$IN"
bad 2 "invalid value '8m' for --min-free: $SZ" --min-free=8m -B "$B" "$IN"
for pct in 0% 100% % 1.5% -5% 5%%; do
	bad 2 "invalid value '$pct' for --min-free: a percentage must be a whole number from 1% to 99%" \
	    --min-free="$pct" -B "$B" "$IN"
done
bad 2 "--max-files needs -B: it is about the files in a directory" \
    --max-files=5 "$O" "$IN"
bad 2 "--max-bytes needs -B: it is about the files in a directory" \
    --max-bytes=1G "$O" "$IN"
bad 2 "--min-free needs -B: it is about the files in a directory" \
    --min-free=10% "$O" "$IN"
# --post-rotate-timeout (1 s to a week), --rotate-align
bad 2 "invalid value '0' for --post-rotate-timeout: must be at least 1" \
    --post-rotate-timeout=0 --post-rotate=true -B "$B" "$IN"
bad 2 "invalid value '604801' for --post-rotate-timeout: larger than 604800" \
    --post-rotate-timeout=604801 --post-rotate=true -B "$B" "$IN"
bad 2 "invalid value '5m' for --post-rotate-timeout: not a non-negative whole number" \
    --post-rotate-timeout=5m --post-rotate=true -B "$B" "$IN"
bad 2 "empty value for --post-rotate-timeout" \
    --post-rotate-timeout= --post-rotate=true -B "$B" "$IN"
bad 2 "--post-rotate-timeout 60 needs --post-rotate" \
    --post-rotate-timeout=60 -B "$B" "$IN"
bad 2 "--rotate-align needs -G/--rotate-seconds: it aligns -G's intervals" \
    --rotate-align -B "$B" "$IN"
bad 2 "--rotate-align needs -G/--rotate-seconds: it aligns -G's intervals" \
    --rotate-align -S 1 -B "$B" "$IN"
bad 2 "option '--rotate-align' takes no value: '--rotate-align=yes'" \
    --rotate-align=yes -G 5 -B "$B" "$IN"
# --stop-after=KIND:VALUE[,KIND:VALUE...]
bad 2 "invalid value '' for --stop-after: an empty condition" \
    --stop-after= "$O" "$IN"
bad 2 "invalid value 'packets:5,' for --stop-after: an empty condition" \
    --stop-after=packets:5, "$O" "$IN"
bad 2 "invalid value 'packets' for --stop-after: 'packets' is not KIND:VALUE (duration, packets, files, bytes)" \
    --stop-after=packets "$O" "$IN"
bad 2 "invalid value 'time:5' for --stop-after: unknown condition 'time' (expected duration, packets, files or bytes)" \
    --stop-after=time:5 "$O" "$IN"
bad 2 "invalid value 'packets:1,packets:2' for --stop-after: packets is given twice" \
    --stop-after=packets:1,packets:2 "$O" "$IN"
bad 2 "invalid value '0' for --stop-after packets: must be at least 1" \
    --stop-after=packets:0 "$O" "$IN"
bad 2 "empty value for --stop-after files" --stop-after=files: -B "$B" "$IN"
bad 2 "invalid value '316224001' for --stop-after duration: larger than 316224000" \
    --stop-after=duration:316224001 "$O" "$IN"
bad 2 "invalid value '10s' for --stop-after duration: not a non-negative whole number" \
    --stop-after duration:10s "$O" "$IN"
bad 2 "invalid value '1x' for --stop-after bytes: $SZ" \
    --stop-after=packets:9,bytes:1x "$O" "$IN"
bad 2 "invalid value '0' for --stop-after bytes: must be at least 1 byte" \
    --stop-after=bytes:0 "$O" "$IN"
bad 2 "--stop-after files: needs -B: it is about the files in a directory" \
    --stop-after=packets:9,files:2 "$O" "$IN"
# empty string values
bad 2 "empty value for -F/--filter" -F '' "$O" "$IN"
bad 2 "empty value for -W/--watchfile" -W '' "$O" "$IN"
bad 2 "empty value for -N/--seqfile" -N '' -B "$B" "$IN"
bad 2 "empty value for --relinquish-privileges" \
    --relinquish-privileges= "$O" "$IN"
bad 2 "invalid value '' for --pipeout" --pipeout= "$O" "$IN"
bad 2 "invalid value ''gzip' for --pipeout" "--pipeout='gzip" "$O" "$IN"
bad 2 "invalid value '' for --post-rotate" --post-rotate= -B "$B" "$IN"
# (a backslash is escaped too, as vis(3) does: one shows as two)
bad 2 "invalid value 'ls \\\\' for --post-rotate" '--post-rotate=ls \' -B "$B" "$IN"
bad 2 "invalid value 'a/b' for --file-ext" --file-ext=a/b -B "$B" "$IN"
# names must fit NAME_MAX (255) with "tmp-PID-": found at start, not at
# the first file (1.0.0 lost the packets then)
# (240 bytes: 1.0.0 failed at the first file; 217: a pid of 10 digits
# would not fit)
for n in 239 216; do
	LONGEXT=.$(printf "%0${n}d" 0)
	bad 2 "invalid value '$LONGEXT' for --file-ext: $((n + 1)) bytes, more than the 216" \
	    --file-ext="$LONGEXT" -B "$B" "$IN"
done
# unknown options and missing values
bad 2 "unknown option '-x'" -x "$O" "$IN"
bad 2 "unknown option '--bogus'" --bogus "$O" "$IN"
bad 2 "unknown option '--snaplen-max=1'" --snaplen-max=1 "$O" "$IN"
bad 2 "'--libtrace-live=3'" --libtrace-live=3 "$O" "$IN"
bad 2 "invalid value 'milli' for --time-stamp-precision: expected micro or nano" \
    --time-stamp-precision=milli "$O" "$IN"
bad 2 "invalid value '' for --time-stamp-precision: expected micro or nano" \
    --time-stamp-precision= "$O" "$IN"
bad 2 "invalid value 'NANO' for --time-stamp-precision: expected micro or nano" \
    --time-stamp-precision NANO "$O" "$IN"
bad 2 "option '--time-stamp-precision' needs a value" "$O" "$IN" \
    --time-stamp-precision
bad 2 "option '-w' needs a value" "$O" "$IN" -w
bad 2 "option '--filter' needs a value" "$O" "$IN" --filter
# missing operands
bad 2 "missing outputuri and traceuri"
bad 2 "missing traceuri" "$O"
bad 2 "missing traceuri" -B "$B"
bad 2 "empty traceuri (argument 2)" "$O" ''
# options that need -B, and -B misuse
bad 2 "-G/--rotate-seconds needs -B" -G 5 "$O" "$IN"
bad 2 "-S/--rotate-sizemb needs -B" -S 1 "$O" "$IN"
bad 2 "-N/--seqfile '$SEQ' needs -B" -N "$SEQ" "$O" "$IN"
bad 2 "--file-ext '.pcap' needs -B" --file-ext=.pcap "$O" "$IN"
bad 2 "-B/--baseuri needs a directory, not stdout: 'pcapfile:-'" \
    -B pcapfile:- "$IN"
bad 2 "empty path in -B/--baseuri ''" -B '' "$IN"
bad 2 "empty path in -B/--baseuri 'pcapfile:'" -B pcapfile: "$IN"
bad 2 "unsupported output format in -B/--baseuri 'erf:$OUT'" \
    -B "erf:$OUT" "$IN"
bad 2 "unsupported output format in outputuri 'erf:$OUT/o.erf'" \
    "erf:$OUT/o.erf" "$IN"
bad 2 "empty path in outputuri 'pcapfile:'" pcapfile: "$IN"

# --- runtime errors: exit 1 -------------------------------------------
# output place
bad 1 "output directory '$TMP/nosuchdir': No such file or directory" \
    -B "pcapfile:$TMP/nosuchdir" "$IN"
bad 1 "output directory '$NOTDIR': not a directory" -B "pcapfile:$NOTDIR" "$IN"
bad 1 "output directory '$TMP/nosuchdir'" "pcapfile:$TMP/nosuchdir/o.pcap" "$IN"
bad 1 "output file '$TMP/a_dir/' names a directory" "pcapfile:$TMP/a_dir/" "$IN"
bad 1 "'$TMP/a_dir'" "pcapfile:$TMP/a_dir" "$IN"	# an existing directory
if $ro_ok; then
	bad 1 "output directory '$RO' is not writable" -B "pcapfile:$RO" "$IN"
	bad 1 "output directory '$RO' is not writable" -G 1 -S 1 \
	    -B "pcapfile:$RO" "$IN"
	bad 1 "output directory '$RO' is not writable" "pcapfile:$RO/o.pcap" "$IN"
fi
# inputs
bad 1 "cannot open input '$TMP/missing.pcap': No such file or directory" \
    "$O" "$TMP/missing.pcap"
bad 1 "cannot open input 'pcapfile:$TMP/missing.pcap'" \
    "$O" "$IN" "pcapfile:$TMP/missing.pcap"
bad 1 "cannot open input 'pcapfile:'" "$O" pcapfile:
bad 1 "cannot open input 'nosuchformat:x'" "$O" nosuchformat:x
bad 1 "cannot open input 'nosuchformat:x'" -B "$B" "$IN" nosuchformat:x
bad 1 "cannot read input 'pcapfile:$TMP/text.txt'" "$O" "pcapfile:$TMP/text.txt"
# control characters in names are escaped as vis(3) does, in every
# message (1.0.0 printed them raw: a newline made two lines)
NL=$'\n' ESC=$'\033' TAB=$'\t'
bad 1 "cannot open input '$TMP/a\\nb\\033[31m\\tc\\\\d.pcap': No such file or directory" \
    "$O" "$TMP/a${NL}b${ESC}[31m${TAB}c\\d.pcap"
bad 1 "cannot open input 'pcapfile:$TMP/x\\ny.pcap'" "$O" "pcapfile:$TMP/x${NL}y.pcap"
bad 1 "output directory '$TMP/no\\ndir': No such file or directory" \
    -B "pcapfile:$TMP/no${NL}dir" "$IN"
bad 1 "output directory '$TMP/no\\ndir'" "pcapfile:$TMP/no${NL}dir/o.pcap" "$IN"
bad 1 "cannot use seqfile '$TMP/no\\ndir/seq': directory '$TMP/no\\ndir'" \
    -N "$TMP/no${NL}dir/seq" -B "$B" "$IN"
bad 1 "filter 'tcp port \\n' does not compile" -F "tcp port $NL" "$O" "$IN"
bad 1 "cannot open input '$TMP/text.txt'" "$O" "$TMP/text.txt"
bad 1 "cannot read input 'pcapfile:$TMP/empty.bin'" "$O" "pcapfile:$TMP/empty.bin"
bad 1 "cannot read input 'pcapfile:$TMP/trunc.pcap'" "$O" "pcapfile:$TMP/trunc.pcap"
bad 1 "input '$TMP/raw.pcap' has link type" -B "$B" "$IN" "$TMP/raw.pcap"
# corrupt compressed inputs: the decompressor's failure is the one line
# (1.0.0 added libtrace's "Unable to guess format" for a bare path)
bad 1 "cannot read compressed input '$TMP/cut.pcap.gz': 'gzip -dc' failed" \
    "$O" "$TMP/cut.pcap.gz"
bad 1 "cannot read compressed input '$TMP/junk.gz': 'gzip -dc' failed" \
    -B "$B" "$TMP/junk.gz"
bad 1 "cannot read compressed input 'pcapfile:$TMP/cut.pcap.gz'" \
    "$O" "pcapfile:$TMP/cut.pcap.gz"
bad 1 "cannot read input '$TMP/fcs16.pcap': link-type field 0x84000001 is not supported" \
    "$O" "$TMP/fcs16.pcap"
# filters
bad 1 "filter 'tcp port notaport' does not compile" \
    -F 'tcp port notaport' "$O" "$IN"
bad 1 "filter 'ip and and' does not compile" -F 'ip and and' -B "$B" "$IN"
bad 1 "filter 'tcp port notaport' does not compile" \
    -F 'tcp port notaport' "$O" nosuchformat:x
# seqfile
for content in 'abc\n' '5' '100000000\n' 'x1\n' '12 \n' '\n' '1\n2\n' \
    '00000000000000000000000000000000001\n'; do
	printf '%b' "$content" >"$SEQ"
	cp "$SEQ" "$SEQ.orig"
	bad 1 "corrupt seqfile '$SEQ'" -N "$SEQ" -B "$B" "$IN"
	cmp -s "$SEQ" "$SEQ.orig" || fail "corrupt seqfile '$content' was rewritten"
done
rm -f "$SEQ" "$SEQ.orig"
bad 1 "cannot read seqfile '$TMP/a_dir': a directory, not a regular file" \
    -N "$TMP/a_dir" -B "$B" "$IN"
# a seqfile that is not a regular file: 1.0.0 blocked in open() on a FIFO
mkfifo "$TMP/seq.fifo"
bad 1 "cannot read seqfile '$TMP/seq.fifo': a FIFO, not a regular file" \
    -N "$TMP/seq.fifo" -B "$B" "$IN"
# a character device of our own (a null device): 1.0.0 renamed its
# seqfile over whatever -N named, so never point this at /dev/null
if mknod "$TMP/seq.chr" c 1 3 2>/dev/null; then
	bad 1 "cannot read seqfile '$TMP/seq.chr': a character device, not a regular file" \
	    -N "$TMP/seq.chr" -B "$B" "$IN"
	[ -c "$TMP/seq.chr" ] || fail "the character device seqfile was replaced"
fi
printf '5\n' >"$TMP/seq.target"
ln -s "$TMP/seq.target" "$TMP/seq.link"
bad 1 "cannot read seqfile '$TMP/seq.link': a symbolic link, not a regular file" \
    -N "$TMP/seq.link" -B "$B" "$IN"
[ "$(cat "$TMP/seq.target")" = 5 ] || fail "the seqfile link's target changed"
# where its temporary file cannot be made: found at start, not at the
# first file (1.0.0 lost the packets then)
bad 1 "cannot use seqfile '$TMP/nosuchdir/seq': directory '$TMP/nosuchdir': No such file or directory" \
    -N "$TMP/nosuchdir/seq" -B "$B" "$IN"
bad 1 "cannot use seqfile '$NOTDIR/seq': '$NOTDIR' is not a directory" \
    -N "$NOTDIR/seq" -B "$B" "$IN"
bad 1 "cannot use seqfile '$OUT/$(printf '%0241d' 0)': its name is too long" \
    -N "$OUT/$(printf '%0241d' 0)" -B "$B" "$IN"
if $ro_ok; then
	bad 1 "cannot use seqfile '$RO/seq': directory '$RO' is not writable" \
	    -N "$RO/seq" -B "$B" "$IN"
fi
# writable for root but not for the --relinquish-privileges user, who
# saves it: checked again after the drop
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$TMP"
	mkdir -m 1777 "$TMP/pub"
	mkdir -m 755 "$TMP/rootonly"
	bad 1 "cannot use seqfile '$TMP/rootonly/seq': directory '$TMP/rootonly' is not writable: Permission denied" \
	    --relinquish-privileges=nobody -N "$TMP/rootonly/seq" \
	    -B "pcapfile:$TMP/pub" "$IN"
	made=$(find "$TMP/pub" "$TMP/rootonly" -mindepth 1)
	[ -z "$made" ] || fail "seqfile not writable by nobody: files made: $made"
	rm -rf "${TMP:?}/pub"/* "${TMP:?}/rootonly"
fi
# --pipeout, --relinquish-privileges
bad 1 "--pipeout" --pipeout=mtc-no-such-command "$O" "$IN"
bad 1 "'mtc-no-such-command' not found in PATH" \
    --pipeout=mtc-no-such-command "$O" "$IN"
bad 1 "'$TMP/text.txt' is not an executable file" \
    --pipeout="$TMP/text.txt -9" -B "$B" "$IN"
bad 1 "--post-rotate" --post-rotate=mtc-no-such-command -B "$B" "$IN"
bad 1 "'mtc-no-such-command' not found in PATH" \
    --post-rotate='mtc-no-such-command --flag' -B "$B" "$IN"
bad 1 "'$TMP/text.txt' is not an executable file" \
    --post-rotate="$TMP/text.txt" -B "$B" "$IN"
bad 1 "unknown user 'mtc-no-such-user' for --relinquish-privileges" \
    --relinquish-privileges=mtc-no-such-user "$O" "$IN"
if [ "$FAILS" -eq 0 ]; then pass "$ncases bad invocations"; fi
bad_fails=$FAILS

# --- good invocations ---------------------------------------------------
for h in -h --help; do
	rc=0
	"$MTRACECAP" "$h" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 0 ] || fail "$h: exit $rc"
	[ -s "$TMP/stderr" ] && fail "$h: wrote to stderr: $(cat "$TMP/stderr")"
	grep -q '^Usage: mtracecap ' "$TMP/stdout" ||
	    fail "$h: no usage text on stdout"
	for o in -B -F -G -S -s -U -v -W -w -z -Z -N --file-ext \
	    --relinquish-privileges --pipeout --queue-size --version \
	    --post-rotate --capture-buffer --libtrace-live \
	    --time-stamp-precision --max-files --max-bytes --min-free \
	    --post-rotate-timeout --rotate-align --stop-after; do
		grep -qF -e "$o" "$TMP/stdout" || fail "$h: usage does not mention $o"
	done
done
rc=0
"$MTRACECAP" --version >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "--version: exit $rc"
[ -s "$TMP/stderr" ] && fail "--version: wrote to stderr"
if ! grep -Eqx 'mtracecap [0-9]+(\.[0-9]+)+.*' "$TMP/stdout" ||
    [ "$(wc -l <"$TMP/stdout")" -ne 1 ]; then
	fail "--version: want one line 'mtracecap X.Y', got: $(cat "$TMP/stdout")"
fi
rc=0
"$MTRACECAP" -H >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "-H: exit $rc"
if [ "$FAILS" -eq "$bad_fails" ]; then pass "-h, --help, --version, -H"; fi
finish
