/*
 * options_usage.c - the --help text.  The options themselves, their
 * parsing and checks are options.c's; man/mtracecap.8 says the same at
 * length; packaging.sh checks that --help, the man page and the table of
 * options name the same options.
 */
#include "config.h"

#include <stdio.h>

#include "options.h"

void
options_usage(FILE *fp)
{
	fprintf(fp,
"Usage: mtracecap [flags] outputuri traceuri [traceuri...]\n"
"       mtracecap [flags] -B baseuri traceuri [traceuri...]\n"
"       mtracecap --list-time-stamp-types traceuri [traceuri...]\n"
"\n"
"Capture from every traceuri (any libtrace URI: ring:eth0, int:eth0,\n"
"pcapint:eth0, pcapfile:trace.pcap, erf:trace.erf, ...), merge the packets\n"
"in timestamp order and write them as pcap to outputuri (pcapfile:FILE,\n"
"pcapfile:- for stdout) or to rotated files in the directory of -B; as\n"
"pcapng, with every input's interfaces and statistics, with pcapng:FILE,\n"
"pcapng:- or -B pcapng:DIR.\n"
"\n"
"  -B, --baseuri pcapfile:DIR     write DIR/YYYYMMDD-HHMMSS-NNNNNNNN[ext] files\n"
"                                 (pcapng:DIR: as pcapng)\n"
"  -F, --filter BPF               keep only packets matching the filter\n"
"  -G, --rotate-seconds N         start a new file every N seconds (-B only)\n"
"  -S, --rotate-sizemb N          start a new file before one exceeds N MiB (-B only)\n"
"  -s, --snaplen BYTES            keep at most BYTES of each packet (default 64;\n"
"                                 0 = whole packets, up to 262144)\n"
"  -U, --use-utc                  name files in UTC instead of local time\n"
"  -v, --verbose                  per-file and exit statistics (twice: debug)\n"
"  -W, --watchfile FILE           before each new file, wait until FILE exists\n"
"  -w, --maxwait_ms MS            longest a silent live input may hold back\n"
"                                 the others (default 1)\n"
"  -z, --compress-level 0-9       compression level (-Z gz if no -Z)\n"
"  -Z, --compress-type TYPE       gz|zlib, bz2, lzo, xz, zstd, lz4 or none\n"
"                                 (zstd, lz4: libwandio >= 4.2)\n"
"  -N, --seqfile FILE             keep the file sequence number in FILE\n"
"      --file-ext=EXT             append EXT to every file name (-B only)\n"
"      --relinquish-privileges=USER  drop root to USER once inputs are open\n"
"      --pipeout=COMMAND          pipe each file through COMMAND (no shell)\n"
"      --post-rotate=COMMAND      run COMMAND FILE after each file is complete\n"
"      --manifest                 write FILE.json (size, SHA-256, packets, times,\n"
"                                 per-input counts) before each FILE (-B only)\n"
"      --queue-size=MB            buffer per input (default %u MiB)\n"
"      --capture-buffer=MB        kernel ring per live input (default %u MiB)\n"
"      --libtrace-live            read ring:, int:, pcapint: with libtrace's own\n"
"                                 readers instead of libpcap's TPACKET_V3 ring\n"
"      --fanout=N[,MODE][,defrag] read each live input with N sockets (1-64) in\n"
"                                 one PACKET_FANOUT group; MODE hash (default),\n"
"                                 lb, cpu or qm\n"
"      --wait-for-inputs          open a live interface missing at start once\n"
"                                 it appears\n"
"      --time-stamp-precision=P   micro (default) or nano: pcap files with\n"
"                                 microsecond or nanosecond stamps\n"
"      --time-stamp-type=TYPE     live stamps from host (default), host_lowprec,\n"
"                                 host_hiprec, adapter or adapter_unsynced\n"
"                                 (the NIC's clock); host where refused\n"
"      --list-time-stamp-types    print the types each ring:/int:/pcapint:\n"
"                                 interface offers, and exit\n"
"      --metrics-listen=[ADDR:]PORT  serve Prometheus metrics at GET /metrics\n"
"                                 (ADDR: IPv4 or [IPv6]; default 127.0.0.1)\n"
"      --metrics-file=PATH        write the metrics to PATH every 10 s and at\n"
"                                 exit (node_exporter's textfile collector)\n"
"      --control=PATH             a control socket at PATH (see mtracecapctl(8)):\n"
"                                 status, stats, rotate, counter sessions\n"
"      --control-group=GROUP      members of GROUP may use it too (besides root\n"
"                                 and the user mtracecap runs as)\n"
"  -H, --libtrace-help            list libtrace's input formats\n"
"  -h, --help                     this help\n"
"      --version                  print the version\n"
"\n"
"Exit status: 0 after a clean stop, 1 on an input, output or runtime\n"
"error, 2 on a usage error.  See mtracecap(8).\n",
	    OPTIONS_QUEUE_MB_DEFAULT, OPTIONS_CAPBUF_MB_DEFAULT);
}
