#!/usr/bin/env python3
"""feed.py - feed a paced pcap stream into a named pipe, for the tests that
need an input which goes on (or stays open) while they signal, kill or
starve mtracecap.

The stream is a pcap header (microsecond stamps unless --nsec, snaplen 262144,
Ethernet), then --count records.  Packet I (from 0) is an Ethernet frame
02:00:00:00:00:01 -> 02:00:00:00:00:02, ethertype 0x88b5, whose first
4 payload bytes are I (big-endian), padded to --size bytes.

  feed.py --fifo FIFO --count N [--size BYTES] [--random-payload]
          [--start SEC] [--step SEC | --step-us US] [--nsec]
          [--group N] [--burst N] [--gap SEC] [--interval SEC | --rate PPS]
          [--pause-after N] [--pause SEC] [--pause-flag FILE] [--idle SEC]
          [--ref FILE] [--ref-first] [--log FILE] [--log-style lines|total]

What goes into the pipe:
  --fifo FIFO      the named pipe to write; opening it waits for a reader.
                   REF and LOG are created only once it is open.
  --count N        the number of packets.
  --size BYTES     the frame length, at least 60 (default 60).
  --random-payload pad with random bytes (compressors cannot shrink
                   them) instead of zeros.
  --start SEC      the first packet's stamp, whole seconds since the epoch
                   (default 1700000000).
  --step-us US     packet I is stamped START + I * US microseconds (an
                   exact integer; default 1000 if --step is not given).
  --step SEC       packet I is stamped START + int(I * SEC * 1e6)
                   microseconds, the float product truncated: for
                   SEC = 0.01 some stamps are 1 us short of I * 10000.
  --nsec           nanosecond stamps (magic 0xa1b23c4d): packet I is
                   stamped (I * 7919) % 1000 ns after its microsecond
                   stamp, so that every stamp has nanosecond digits.

How it is paced (nothing is paced by default: as fast as the pipe takes
it).  After each write of --group packets, in this order:
  --group N        packets per write(2) (default 1): the records of a
                   group go into the pipe in one write, and REF and LOG
                   are updated once per group.
  --gap SEC        sleep SEC seconds after each write (a relative sleep:
                   time spent writing adds to it) ...
  --burst N        ... except after the writes that end within the first
                   N packets (index < N) (default 0: after every write).
  --interval SEC   deadline pacing: after packet N (counting from 1) is
                   written, sleep until SEC * N seconds after the header
                   was written (the deadline accumulates: SEC is added
                   once per packet); a writer that fell behind catches up
                   without sleeping.
  --rate PPS       the same with the deadline N / PPS seconds after the
                   header, computed anew for each packet.
  --pause-after N  once N packets are written: create --pause-flag FILE
                   (if given), sleep --pause SEC seconds (default 2), and
                   move the --interval/--rate deadline that much later.
  --idle SEC       after the last packet keep the pipe open, silent, for
                   SEC seconds (default 0: close it at once, EOF for the
                   reader).

What is recorded (for the test to compare and to wait on):
  --ref FILE       a pcap file of what was fed: the header once it is in
                   the pipe, then each write's records once the whole
                   write went into the pipe (flushed each time) ...
  --ref-first      ... or each write's records before they go into the
                   pipe: REF then also holds the packets of a write that
                   a reader which went away read only in part.
  --log FILE       after each write (and REF), the progress:
  --log-style lines  (default) one line per packet written, its index I,
                   appended and flushed: `wc -l <LOG` is the number of
                   packets in the pipe so far.
  --log-style total  the number of packets written so far, one line,
                   replaced atomically (written to LOG.tmp, renamed): `cat
                   LOG` never sees a partial number.  The file is not
                   created before the first write: the caller may seed it.

When the reader goes away (EPIPE) the feeder stops quietly, exit status 0:
REF and LOG then hold what was written before.  SIGTERM (kill) ends it at
once (Python's default): REF and LOG are flushed after every write, so
they are complete up to the write it was killed in.
"""
import argparse
import os
import struct
import sys
import time

HEADER_US = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
HEADER_NS = struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1)
ETH = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xB5])


def options():
    ap = argparse.ArgumentParser(
        description="Feed a paced pcap stream into a named pipe; "
        "see the docstring of this file for every option.")
    ap.add_argument("--fifo", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, default=60)
    ap.add_argument("--random-payload", action="store_true")
    ap.add_argument("--start", type=int, default=1700000000)
    st = ap.add_mutually_exclusive_group()
    st.add_argument("--step", type=float)
    st.add_argument("--step-us", type=int)
    ap.add_argument("--nsec", action="store_true")
    ap.add_argument("--group", type=int, default=1)
    ap.add_argument("--burst", type=int, default=0)
    ap.add_argument("--gap", type=float, default=0.0)
    dl = ap.add_mutually_exclusive_group()
    dl.add_argument("--interval", type=float)
    dl.add_argument("--rate", type=float)
    ap.add_argument("--pause-after", type=int)
    ap.add_argument("--pause", type=float, default=2.0)
    ap.add_argument("--pause-flag")
    ap.add_argument("--idle", type=float, default=0.0)
    ap.add_argument("--ref")
    ap.add_argument("--ref-first", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--log-style", choices=("lines", "total"),
                    default="lines")
    a = ap.parse_args()
    if a.count < 0 or a.group < 1 or a.burst < 0 or a.gap < 0 or a.idle < 0:
        ap.error("--count, --burst, --gap and --idle must be >= 0, "
                 "--group >= 1")
    if (a.interval is not None and a.interval < 0) or \
            (a.rate is not None and a.rate <= 0):
        ap.error("--interval must be >= 0, --rate > 0")
    if a.pause_after is not None and a.pause_after < 1:
        ap.error("--pause-after must be >= 1")
    if a.ref_first and not a.ref:
        ap.error("--ref-first needs --ref")
    if a.step is None and a.step_us is None:
        a.step_us = 1000
    return a


def recorder(a):
    """A function of I that returns the pcap record (header and frame) of
    packet I."""
    t0 = a.start * 10**6
    step_us, step = a.step_us, a.step
    pad = max(a.size, 60) - len(ETH) - 4
    zeros = bytes(pad)
    rnd = a.random_payload
    nsec = a.nsec
    pack_i, pack_hdr = struct.Struct("!I").pack, struct.Struct("<IIII").pack

    def record(i):
        if step_us is not None:
            us = t0 + i * step_us
        else:
            us = t0 + int(i * step * 1e6)
        fr = ETH + pack_i(i) + (os.urandom(pad) if rnd else zeros)
        if nsec:
            return pack_hdr(us // 10**6, us % 10**6 * 1000 + i * 7919 % 1000,
                            len(fr), len(fr)) + fr
        return pack_hdr(us // 10**6, us % 10**6, len(fr), len(fr)) + fr
    return record


def main():
    a = options()
    record = recorder(a)
    header = HEADER_NS if a.nsec else HEADER_US
    fd = os.open(a.fifo, os.O_WRONLY)
    ref = open(a.ref, "wb") if a.ref else None
    lines = open(a.log, "w") if a.log and a.log_style == "lines" else None

    def put(b):
        while b:
            b = b[os.write(fd, b):]

    def to_ref(b):
        ref.write(b)
        ref.flush()

    try:
        put(header)
        if ref:
            to_ref(header)
        start = nxt = time.monotonic()
        paused = False
        done = 0
        while done < a.count:
            first = done
            n = min(a.group, a.count - first)
            if n == 1:
                recs = record(first)
            else:
                recs = b"".join(record(i) for i in range(first, first + n))
            if ref and a.ref_first:
                to_ref(recs)
            put(recs)
            if ref and not a.ref_first:
                to_ref(recs)
            done = first + n
            if lines:
                for i in range(first, done):
                    lines.write("%d\n" % i)
                lines.flush()
            elif a.log:
                with open(a.log + ".tmp", "w") as lg:
                    lg.write("%d\n" % done)
                os.rename(a.log + ".tmp", a.log)
            if a.gap and done - 1 >= a.burst:
                time.sleep(a.gap)
            if a.interval is not None:
                for _ in range(n):
                    nxt += a.interval
                d = nxt - time.monotonic()
                if d > 0:
                    time.sleep(d)
            elif a.rate is not None:
                ahead = done / a.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            if a.pause_after is not None and not paused and \
                    done >= a.pause_after:
                paused = True
                if a.pause_flag:
                    open(a.pause_flag, "w").close()
                time.sleep(a.pause)
                start += a.pause
                nxt += a.pause
        if a.idle:
            time.sleep(a.idle)
    except BrokenPipeError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
