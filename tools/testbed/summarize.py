#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of a p2pbuf test run.

For every topology results directory given, adds the host's own verdicts to
the guest's summary.tsv (the kernel log scan, the byte checks on the
exporter BAR's backing file, the guest's exit), then prints one table
(test x topology -> pass / FAIL / skip), the skip and failure reasons, what
ran in each topology, and the closing line "N passed, N failed, N skipped".  Exit status 1 if any
test failed or nothing ran.

Usage: summarize.py RESULTS_ROOT TOPOLOGY...   (RESULTS_ROOT/TOPOLOGY/...)
       static results come from RESULTS_ROOT/static/summary.tsv if present.
       summarize.py --kernel-log DIR   only the kernel log scan of one run
                                       directory (make demo): prints the
                                       first bad line, exit status 1 then.
"""
import os
import re
import sys

from host_checks import host_checks_verdict

# Kernel log lines that fail a run.  The taint of loading our own
# out-of-tree, unsigned modules is expected and allowed; so is VFIO's
# noiommu taint where there is no IOMMU (below).
BAD = re.compile(r"WARNING:|BUG:|Oops|KASAN|lockdep is turned off|"
                 r"inconsistent lock state|possible recursive locking|"
                 r"bad unlock balance|possible circular|"
                 r"general protection|Call Trace:|kernel BUG|UBSAN|"
                 r"taints kernel|tainting kernel|kernel taint|hung_task|"
                 r"soft lockup|RCU stall|detected stalls? on|refcount_t:|"
                 r"list_add corruption")
# An IOMMU fault is a failure where the topology's DMA should work (a DMA to
# a stale or wrong address); where the emulator cannot route P2P DMA it is
# the known limit the tests skip over.
IOMMU_FAULT = re.compile(r"DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault")
ALLOWED = re.compile(r"loading out-of-tree module taints kernel|"
                     r"module verification failed: signature and/or "
                     r"required key missing - tainting kernel|"
                     # IGT logging a subtest's regex of expected messages
                     # (the kernel log, the runner's output)
                     r"\[IGT\] add ignored dmesg regex: |"
                     r"igt_resultgen: Added ignore regex ")
# Without an IOMMU, p2pbuf_vfio's subtests hand the ivshmem device to
# vfio-pci in VFIO's unsafe noiommu mode (the proving kernel): vfio taints
# the kernel (TAINT_USER) for the group and the cdev it makes for the
# device (drivers/vfio/group.c, vfio_main.c), once per bind.
NOIOMMU_TAINT = re.compile(r"vfio-pci [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]: "
                           r"Adding kernel taint for vfio-noiommu "
                           r"(group on device|cdev)$")


# WARNs a proof subtest provokes on purpose (Documentation/upstream.rst):
# the whole dump, from "cut here" to "end trace", is left out when the
# message after "cut here" matches one for the run's kernel and topology.
# dma-direct refusing a BAR address above the importer's DMA mask (warned
# once per boot; p2pbuf_vfio@vfio-map-error-unwind on the direct route),
# and on the unpatched kernel the DMA-API reports of the bugs of patches
# 0003 and 0007 (the subtests count them and end as expected failures).
EXPECTED_WARNS = [
    (lambda k, t: t == "rootports-direct",
     re.compile(r"DMA addr 0x[0-9a-f]+\+[0-9]+ overflow \(mask")),
    (lambda k, t: k == "unpatched",
     re.compile(r"DMA-API: p2pbuf_importer [0-9a-f:.]+: device driver tries "
                r"to free DMA memory it has not allocated \[device "
                r"address=0x0+\] \[size=0 bytes\]")),
    (lambda k, t: k == "unpatched",
     re.compile(r"DMA-API: p2pbuf_importer [0-9a-f:.]+: mapping sg segment "
                r"longer than device claims to support")),
]
CUT_HERE = "------------[ cut here ]------------"
END_TRACE = re.compile(r"---\[ end trace [0-9a-f]+ \]---")


def run_env(d):
    """The kernel and topology of a run, from its cmd.sh."""
    try:
        with open(os.path.join(d, "cmd.sh")) as f:
            text = f.read()
    except OSError:
        return ("stock", "")
    k = re.search(r"P2PBUF_KERNEL=(\S+)", text)
    t = re.search(r"P2PBUF_TOPO=(\S+)", text)
    return (k.group(1) if k else "stock", t.group(1) if t else "")


def without_expected_warns(lines, kernel, topo):
    allowed = [r for cond, r in EXPECTED_WARNS if cond(kernel, topo)]
    out, i = [], 0
    while i < len(lines):
        if CUT_HERE in lines[i] and i + 1 < len(lines) and \
                any(r.search(lines[i + 1]) for r in allowed):
            while i < len(lines) and not END_TRACE.search(lines[i]):
                i += 1
            i += 1
            continue
        out.append(lines[i])
        i += 1
    return out


EXPECTED_FAILURE = "expected failure on a kernel without upstream/linux-"


def unpatched_verdict(test, verdict, reason):
    """On the unpatched kernel only the series' proofs run (check.sh), and
    each must see its bug: anything but an expected failure fails.  The
    bed's own checks (bed@..., <binary>@debug-...) keep their verdicts."""
    if test.startswith("bed@") or "@debug-" in test:
        return (verdict, reason)
    if verdict == "skip" and reason.startswith(EXPECTED_FAILURE):
        return (verdict, reason)
    return ("fail", "on the unpatched kernel a proof must end as an "
            "expected failure, not %s%s" % (verdict, ": " + reason if reason else ""))


def read_tsv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not parts[0]:
                continue
            rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return rows


def cmd_has(d, pattern, default):
    """Whether the run's cmd.sh (the topology's environment) matches."""
    try:
        with open(os.path.join(d, "cmd.sh")) as f:
            return re.search(pattern, f.read()) is not None
    except OSError:
        return default


def data_expected(d):
    return cmd_has(d, r"P2PBUF_DATA=ok\b", True)


def no_iommu(d):
    return cmd_has(d, r"P2PBUF_IOMMU=0\b", False)


def dmesg_verdict(d):
    path = os.path.join(d, "dmesg.txt")
    if not os.path.exists(path):
        path = os.path.join(d, "console.log")
    if not os.path.exists(path):
        return ("fail", "no kernel log")
    # The serial console also holds messages printed after dmesg.txt was
    # taken (e.g. a late splat during power-off): scan both.
    lines = []
    for p in (os.path.join(d, "dmesg.txt"), os.path.join(d, "console.log")):
        if os.path.exists(p):
            with open(p, errors="replace") as f:
                lines += f.read().splitlines()
    faults_bad = data_expected(d)
    noiommu_ok = no_iommu(d)
    for line in without_expected_warns(lines, *run_env(d)):
        if (BAD.search(line) or (faults_bad and IOMMU_FAULT.search(line))) \
                and not ALLOWED.search(line) \
                and not (noiommu_ok and NOIOMMU_TAINT.search(line.rstrip())):
            return ("fail", line.strip()[:160])
    return ("pass", "")


def read_placement():
    """The subtests placed in one topology: (glob, topology, why) rows."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "igt-tests", "placement.txt")
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split(None, 2)
                if len(parts) == 3 and not parts[0].startswith("#"):
                    rows.append((parts[0], parts[1], parts[2].strip()))
    return rows


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if sys.argv[1] == "--kernel-log":
        if len(sys.argv) != 3:
            print(__doc__)
            return 2
        verdict, reason = dmesg_verdict(sys.argv[2])
        print("kernel log: %s" % (reason if reason else "clean"))
        return 0 if verdict == "pass" else 1
    root, topos = sys.argv[1], sys.argv[2:]
    results = {}  # (test, column) -> (verdict, reason)
    columns = []
    static = read_tsv(os.path.join(root, "static", "summary.tsv"))
    if static:
        columns.append("static")
        for test, verdict, reason in static:
            results[(test, "static")] = (verdict, reason)
    for t in topos:
        d = os.path.join(root, t)
        columns.append(t)
        status = None
        if os.path.exists(os.path.join(d, "exit-status")):
            status = open(os.path.join(d, "exit-status")).read().strip()
        rows = read_tsv(os.path.join(d, "summary.tsv"))
        for test, verdict, reason in rows:
            if t.endswith("@unpatched"):
                verdict, reason = unpatched_verdict(test, verdict, reason)
            results[(test, t)] = (verdict, reason)
        if status is None or status != "0" or not rows:
            why = "guest exit %s" % status if status else "guest hung or never ran its command"
            if not rows:
                why += ", no results"
            results[("bed@guest-run", t)] = ("fail", why)
        else:
            results[("bed@guest-run", t)] = ("pass", "")
        results[("bed@dmesg-clean", t)] = dmesg_verdict(d)
        hc = host_checks_verdict(d)
        if hc:
            results[("bed@host-byte-checks", t)] = hc

    tests = sorted({k[0] for k in results})
    width = max([len(x) for x in tests] + [4])
    cw = [max(len(c), 4) for c in columns]
    short = {"pass": "pass", "fail": "FAIL", "skip": "skip"}
    print()
    print("%-*s  %s" % (width, "test", "  ".join(c.ljust(w) for c, w in zip(columns, cw))))
    counts = {"pass": 0, "fail": 0, "skip": 0}
    per_column = {c: {"pass": 0, "fail": 0, "skip": 0} for c in columns}
    notes = []
    for test in tests:
        cells = []
        for c, w in zip(columns, cw):
            v = results.get((test, c))
            if v is None:
                cells.append("-".ljust(w))
                continue
            verdict = v[0] if v[0] in counts else "fail"
            counts[verdict] += 1
            per_column[c][verdict] += 1
            cells.append(short[verdict].ljust(w))
            if verdict != "pass" and v[1]:
                notes.append("%s %s [%s]: %s" % (short[verdict], test, c, v[1]))
        print("%-*s  %s" % (width, test, "  ".join(cells)))
    if notes:
        print()
        for n in notes:
            print(n)
    # What ran in each topology ("-" in the table: not run there).
    placed = read_placement()
    if placed:
        print()
        print("Run in one topology only (igt-tests/placement.txt):")
        for glob, topo, why in placed:
            print("  %-30s %-10s %s" % (glob, topo, why))
    print()
    for c in columns:
        n = per_column[c]
        print("%s: %d results: %d passed, %d failed, %d skipped" %
              (c, n["pass"] + n["fail"] + n["skip"], n["pass"], n["fail"],
               n["skip"]))
    print()
    print("%d passed, %d failed, %d skipped" % (counts["pass"], counts["fail"], counts["skip"]))
    return 1 if counts["fail"] or not counts["pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
