#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check, on the host, the bytes a guest run left in the exporter BAR.

The guest's tests append lines to RESULTS/host-checks.txt (format in
tools/testbed/README.md); run-guest.sh copies the BAR's backing file to
RESULTS/devmem.bin when the guest has powered off.

Usage: host_checks.py RESULTS_DIR   (prints the verdict; exit 1 on failure)
"""
import os
import sys


def pattern_byte(seed, k):
    """Must match p2pbuf_pattern_byte() in include/uapi/linux/p2pbuf_pattern.h."""
    return (seed + 7 * k + (k >> 8)) & 0xff


def host_checks_verdict(d):
    """Verify host-checks.txt against devmem.bin; None if there are none."""
    checks = os.path.join(d, "host-checks.txt")
    if not os.path.exists(checks):
        return None
    mem_path = os.path.join(d, "devmem.bin")
    if not os.path.exists(mem_path):
        return ("fail", "devmem.bin missing")
    with open(mem_path, "rb") as f:
        mem = f.read()
    n = 0
    with open(checks) as f:
        for lineno, line in enumerate(f, 1):
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            try:
                kind, off, length, arg = w[0], int(w[1], 0), int(w[2], 0), int(w[3], 0)
                start = int(w[4], 0) if len(w) > 4 else 0
            except (IndexError, ValueError):
                return ("fail", "host-checks.txt:%d: malformed" % lineno)
            if off < 0 or length <= 0 or off + length > len(mem):
                return ("fail", "host-checks.txt:%d: out of the BAR" % lineno)
            for k in range(length):
                want = pattern_byte(arg, start + k) if kind == "pattern" else arg & 0xff
                if kind not in ("pattern", "fill"):
                    return ("fail", "host-checks.txt:%d: unknown check" % lineno)
                if mem[off + k] != want:
                    return ("fail", "host-checks.txt:%d: BAR byte 0x%x is 0x%02x, "
                            "expected 0x%02x" % (lineno, off + k, mem[off + k], want))
            n += 1
    return ("pass", "%d ranges verified in the BAR backing file" % n)



def main():
    v = host_checks_verdict(sys.argv[1])
    if v is None:
        print("host byte checks: none requested")
        return 0
    print("host byte checks: %s %s" % (v[0], v[1]))
    return 0 if v[0] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
