#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the benchmark's raw guest results into bench.csv, iotlb.csv,
bench.md and bench.png (tools/bench/bench.sh calls it).

    report.py OUT TOPOLOGY...

OUT/raw/<topology>/bench.csv and env.txt come from the guests,
OUT/raw/rootports-iommu-count/ from the IOTLB counting boot (its
bench.csv frames every point with markers, qemu-trace.log holds QEMU's
vtd_inv_desc_iotlb_* and pci_cfg_write events), OUT/host.txt describes
the host.  Ratios are to p2pbuf's helper mode on the same point of the
same boot.
"""
import csv
import os
import re
import sys

EXPORTERS = ["helper", "legacy", "vfio"]
LABEL = {"helper": "p2pbuf helper", "legacy": "p2pbuf legacy",
         "vfio": "VFIO"}
FIELDS = ["exporter", "range_size", "n", "k", "nents", "map_med_ns",
          "map_p99_ns", "unmap_med_ns", "unmap_p99_ns", "total_med_ns",
          "total_p99_ns", "status"]


def kv_file(path):
    """'key value' lines into a dict (first occurrence wins)."""
    d = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition(" ")
                d.setdefault(k, v)
    except OSError:
        pass
    return d


def read_points(path, counted=False):
    """The guest's CSV; the status (last field) may hold commas."""
    rows = []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return rows
    for line in lines[1:]:
        marker = None
        if counted:
            if not line.startswith("count,"):
                continue
            _, marker, line = line.split(",", 2)
        parts = line.split(",", len(FIELDS) - 1)
        if len(parts) != len(FIELDS):
            continue
        r = dict(zip(FIELDS, parts))
        for k in FIELDS[1:-1]:
            r[k] = int(r[k])
        r["marker"] = None if marker in (None, "-") else int(marker)
        rows.append(r)
    return rows


def size_name(b):
    return "%d MiB" % (b >> 20) if b >= 1 << 20 else "%d KiB" % (b >> 10)


def us(ns):
    return "%.1f" % (ns / 1000.0)


def iotlb_counts(trace, rows):
    """Per framed point: page-selective and domain/global IOTLB
    invalidation descriptors QEMU saw between its two markers."""
    frames = []
    try:
        with open(trace, errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return {}
    cfg = re.compile(r"pci_cfg_write edu .*@0x3c <- 0x([0-9a-f]+)")
    cur = None
    for line in lines:
        m = cfg.search(line)
        if m:
            # The tool frames point i with 2i+1 and 2i+2; the kernel also
            # writes the register once at boot (the interrupt line).
            v = int(m.group(1), 16)
            if v % 2 == 1:
                cur = {"psi": 0, "dsi": 0, "start": v}
            elif cur is not None and v == cur["start"] + 1:
                frames.append(cur)
                cur = None
            continue
        if cur is None:
            continue
        if "vtd_inv_desc_iotlb_pages" in line or "vtd_inv_desc_iotlb_pasid_pages" in line:
            cur["psi"] += 1
        elif "vtd_inv_desc_iotlb_domain" in line or "vtd_inv_desc_iotlb_global" in line \
                or "vtd_inv_desc_iotlb_pasid " in line:
            cur["dsi"] += 1
    out = {}
    framed = [r for r in rows if r["marker"] is not None]
    for r, fr in zip(framed, frames):
        out[(r["exporter"], r["range_size"], r["n"])] = (fr, r["k"])
    return out


def write_rst(out, topos, data, counts):
    """bench.rst: the tables as list-tables, for Documentation/
    benchmarks.rst."""
    lines = []
    for t in topos:
        rows = {(r["exporter"], r["range_size"], r["n"]): r for r in data[t]}
        keys = sorted({(r["range_size"], r["n"]) for r in data[t]})
        # A VFIO column where VFIO ran (not where it skipped).
        vfio = any(r["status"] == "ok" or r["status"].startswith("error")
                   for r in data[t] if r["exporter"] == "vfio")
        hdr = ["ranges", "helper µs (entries)", "legacy µs (ratio)"]
        if vfio:
            hdr.append("VFIO µs (ratio)")
        if t == "rootports-iommu" and counts:
            hdr.append("IOTLB inval. helper / legacy")
        lines += [".. list-table:: %s" % t, "   :header-rows: 1", ""]
        lines.append("   * - " + "\n     - ".join(hdr))
        for s, n in keys:
            h = rows.get(("helper", s, n))
            if not h or h["status"] != "ok":
                continue
            cells = ["%d × %s" % (n, size_name(s)),
                     "%s (%d)" % (us(h["total_med_ns"]), h["nents"])]
            for e in ["legacy"] + (["vfio"] if vfio else []):
                r = rows.get((e, s, n))
                if r and r["status"] == "ok":
                    cells.append("%s (%.2f×)" % (
                        us(r["total_med_ns"]),
                        r["total_med_ns"] / h["total_med_ns"]))
                else:
                    cells.append(r["status"].replace("error: map ", "fails: ")
                                 if r else "—")
            if t == "rootports-iommu" and counts:
                c = [counts.get((e, s, n)) for e in ("helper", "legacy")]
                cells.append(" / ".join(
                    "%g" % ((x[0]["psi"] + x[0]["dsi"]) / x[1]) if x else "—"
                    for x in c))
            lines.append("   * - " + "\n     - ".join(cells))
        lines.append("")
    with open(os.path.join(out, "bench.rst"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    out = sys.argv[1]
    topos = sys.argv[2:]
    host = kv_file(os.path.join(out, "host.txt"))
    data = {}
    envs = {}
    for t in topos:
        data[t] = read_points(os.path.join(out, "raw", t, "bench.csv"))
        envs[t] = kv_file(os.path.join(out, "raw", t, "env.txt"))

    # bench.csv: every point with its ratio to the helper mode.
    with open(os.path.join(out, "bench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology"] + FIELDS + ["ratio_total_med_to_helper"])
        for t in topos:
            helper = {(r["range_size"], r["n"]): r for r in data[t]
                      if r["exporter"] == "helper" and r["status"] == "ok"}
            for r in data[t]:
                h = helper.get((r["range_size"], r["n"]))
                ratio = ""
                if h and r["status"] == "ok" and h["total_med_ns"]:
                    ratio = "%.3f" % (r["total_med_ns"] / h["total_med_ns"])
                w.writerow([t] + [r[k] for k in FIELDS] + [ratio])

    count_dir = os.path.join(out, "raw", "rootports-iommu-count")
    crow = read_points(os.path.join(count_dir, "bench.csv"), counted=True)
    counts = iotlb_counts(os.path.join(count_dir, "qemu-trace.log"), crow)
    if counts:
        with open(os.path.join(out, "iotlb.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["exporter", "range_size", "n", "k",
                        "psi_per_iteration", "dsi_or_global_per_iteration"])
            for (e, s, n), (fr, k) in sorted(counts.items()):
                w.writerow([e, s, n, k, "%.2f" % (fr["psi"] / k),
                            "%.2f" % (fr["dsi"] / k)])

    md = []
    env0 = next((envs[t] for t in topos if envs[t]), {})
    md.append("Measured %s on: host %s (%s cores), %s, accelerator %s; "
              "guest kernel %s, guest CPU model %s; exporter BAR %s; "
              "K up to %s iterations per point (commit %s)." % (
                  host.get("date", "?"), host.get("host-cpu", "?"),
                  host.get("host-cores", "?"), host.get("qemu", "?"),
                  host.get("accel", "?"), env0.get("kernel", "?"),
                  env0.get("guest-cpu", "?"), host.get("bar-size", "?"),
                  host.get("k-max", "?").split(" ")[0],
                  host.get("commit", "?")))
    md.append("")
    md.append("Median time of one map + unmap (µs) through "
              "`DRM_IOCTL_P2PBUF_IMP_BENCH_MAP`; in brackets the ratio to "
              "p2pbuf's helper mode and the DMA entries of the mapping.")
    notes = []

    def note(text):
        """A footnote mark for a long status, shared by equal texts."""
        if len(text) <= 30:
            return text
        if text not in notes:
            notes.append(text)
        return "%s [%d]" % (text.split(":")[0], notes.index(text) + 1)

    for t in topos:
        rows = {(r["exporter"], r["range_size"], r["n"]): r for r in data[t]}
        keys = sorted({(r["range_size"], r["n"]) for r in data[t]})
        md.append("")
        md.append("**%s** (route %s)" % (t, envs[t].get("route", "?")))
        md.append("")
        md.append("| ranges | " + " | ".join(LABEL[e] for e in EXPORTERS) + " |")
        md.append("|---|" + "---|" * len(EXPORTERS))
        for s, n in keys:
            h = rows.get(("helper", s, n))
            cells = []
            for e in EXPORTERS:
                r = rows.get((e, s, n))
                if not r:
                    cells.append("—")
                elif r["status"] != "ok":
                    cells.append(note(r["status"]))
                elif e == "helper":
                    cells.append("%s (%d)" % (us(r["total_med_ns"]), r["nents"]))
                elif h and h["status"] == "ok":
                    cells.append("%s (%.2f×, %d)" % (
                        us(r["total_med_ns"]),
                        r["total_med_ns"] / h["total_med_ns"], r["nents"]))
                else:
                    cells.append("%s (%d)" % (us(r["total_med_ns"]), r["nents"]))
            md.append("| %d × %s | %s |" % (n, size_name(s), " | ".join(cells)))
    if notes:
        md.append("")
        for i, text in enumerate(notes):
            md.append("[%d] %s  " % (i + 1, text))
    if counts:
        md.append("")
        md.append("**IOTLB invalidations per map + unmap** (rootports-iommu, "
                  "QEMU vIOMMU in caching mode, descriptors QEMU traced: "
                  "page-selective / domain or global)")
        md.append("")
        md.append("| ranges | " + " | ".join(LABEL[e] for e in EXPORTERS) + " |")
        md.append("|---|" + "---|" * len(EXPORTERS))
        for s, n in sorted({(s, n) for (_, s, n) in counts}):
            cells = []
            for e in EXPORTERS:
                c = counts.get((e, s, n))
                cells.append("%.1f / %.1f" % (c[0]["psi"] / c[1], c[0]["dsi"] / c[1])
                             if c else "—")
            md.append("| %d × %s | %s |" % (n, size_name(s), " | ".join(cells)))
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))

    write_rst(out, topos, data, counts)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: no matplotlib: no bench.png", file=sys.stderr)
        return 0
    fig, axes = plt.subplots(1, len(topos), figsize=(5 * len(topos), 4),
                             squeeze=False)
    for ax, t in zip(axes[0], topos):
        rows = {(r["exporter"], r["range_size"], r["n"]): r for r in data[t]}
        sizes = sorted({r["range_size"] for r in data[t]})
        ax.axhline(1.0, color="black", lw=1, label="p2pbuf helper (= 1)")
        for e, style in (("legacy", "-o"), ("vfio", "--s")):
            for s in sizes:
                xs, ys = [], []
                for (ee, ss, n), r in sorted(rows.items(), key=lambda x: x[0][2]):
                    h = rows.get(("helper", ss, n))
                    if ee == e and ss == s and r["status"] == "ok" and h \
                            and h["status"] == "ok":
                        xs.append(n)
                        ys.append(r["total_med_ns"] / h["total_med_ns"])
                if xs:
                    ax.plot(xs, ys, style, label="%s, %s ranges" % (LABEL[e], size_name(s)))
        ax.set_xscale("log", base=2)
        ns = sorted({r["n"] for r in data[t]})
        if ns:
            ax.set_xticks(ns)
            ax.set_xticklabels([str(n) for n in ns])
        ax.set_yscale("log")
        ax.set_xlabel("ranges per dma-buf (N)")
        ax.set_ylabel("map+unmap time / p2pbuf helper")
        ax.set_title("%s (%s)" % (t, envs[t].get("route", "?")))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("%s, %s, guest %s" % (host.get("qemu", "?").split("(")[0].strip(),
                                       host.get("accel", "?"),
                                       env0.get("kernel", "?")), fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench.png"), dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
