# SPDX-License-Identifier: MIT
"""wrk --latency output (file argv[1]) -> "req/s p50_ms p99_ms non2xx connect read write timeout":
what every benchmark script prints its table from (through bench_wrk in lib.sh, which marks
the run invalid when any of the last five is not 0). wrk prints the "Non-2xx or 3xx
responses" and "Socket errors" lines only when they are not zero."""
import re
import sys

t = open(sys.argv[1]).read()


def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % label, t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v


rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
print("%.0f %.2f %.2f %s %s" % (rps, ms("50%"), ms("99%"), bad.group(1) if bad else "0",
                                " ".join(sock.groups()) if sock else "0 0 0 0"))
