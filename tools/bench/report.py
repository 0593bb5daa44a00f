#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the benchmark's raw guest results into bench.csv, spread.csv,
iotlb.csv, bench.md, bench.rst and bench.png (tools/bench/bench.sh calls
it).

    report.py OUT TOPOLOGY...

OUT/raw/<topology>/boot<i>/bench.csv and env.txt come from the guests (one
directory per boot), OUT/raw/rootports-iommu-count/ from the IOTLB
counting boot (its bench.csv frames every timed run with markers, two
runs of K and 2K iterations per line,
qemu-trace.log holds QEMU's vtd_inv_desc_iotlb_* and pci_cfg_write
events), OUT/host.txt describes the host.

Ratios are to way "sgt" (p2pbuf's exporter maps, dma_buf_map_attachment())
on the same point of the same boot; a point's time is the median over the
boots of its per-boot medians, its spread (max - min) / median over the
boots; a ratio is "stable" when every boot's ratio is within 10 % of the
boots' median ratio.
"""
import csv
import glob
import os
import re
import statistics
import sys

WAYS = ["sgt", "pal", "per-range", "vfio"]
LABEL = {"sgt": "p2pbuf sg_table", "pal": "importer PAL (two-step)",
         "per-range": "importer per-range", "vfio": "VFIO sg_table"}
SHORT = {"sgt": "sg_table", "pal": "PAL", "per-range": "per-range",
         "vfio": "VFIO"}
FIELDS = ["way", "range_size", "n", "k", "nents", "first_ns", "map_med_ns",
          "map_p99_ns", "unmap_med_ns", "unmap_p99_ns", "total_med_ns",
          "total_p99_ns", "status"]
STABLE = 0.10


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
        try:
            for k in FIELDS[1:-1]:
                r[k] = int(r[k])
        except ValueError:
            continue
        r["marker"] = None if marker in (None, "-") else int(marker)
        rows.append(r)
    return rows


def size_name(b):
    return "%d MiB" % (b >> 20) if b >= 1 << 20 else "%d KiB" % (b >> 10)


def us(ns):
    return "%.1f" % (ns / 1000.0)


def iotlb_counts(trace, rows):
    """Per framed run: page-selective and domain/global IOTLB
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
            # The tool frames run i with 2i+1 and 2i+2 (a byte: mod 256);
            # the kernel also writes the register once at boot.
            v = int(m.group(1), 16)
            if v % 2 == 1:
                cur = {"psi": 0, "dsi": 0, "start": v}
            elif cur is not None and v == (cur["start"] + 1) % 256:
                frames.append(cur)
                cur = None
            continue
        if cur is None:
            continue
        if "vtd_inv_desc_iotlb_pages" in line or \
                "vtd_inv_desc_iotlb_pasid_pages" in line:
            cur["psi"] += 1
        elif "vtd_inv_desc_iotlb_domain" in line or \
                "vtd_inv_desc_iotlb_global" in line or \
                "vtd_inv_desc_iotlb_pasid " in line:
            cur["dsi"] += 1
    # Every counted line has two frames, K and 2K iterations: their
    # difference is K iterations, without what one call does once.
    out = {}
    framed = [r for r in rows if r["marker"] is not None]
    for i, r in enumerate(framed):
        if 2 * i + 1 >= len(frames):
            break
        a, b = frames[2 * i], frames[2 * i + 1]
        out[(r["way"], r["range_size"], r["n"])] = (
            {"psi": b["psi"] - a["psi"], "dsi": b["dsi"] - a["dsi"]}, r["k"])
    return out


def boots_of(out, t):
    """[(boot number, rows)] of a topology, oldest layout included."""
    res = []
    for d in sorted(glob.glob(os.path.join(out, "raw", t, "boot*"))):
        m = re.search(r"boot(\d+)$", d)
        if m:
            res.append((int(m.group(1)),
                        read_points(os.path.join(d, "bench.csv"))))
    res.sort()
    return res


def spread_of(boots):
    """Per (way, size, n): the boots' medians and ratios to "sgt"."""
    acc = {}
    for _, rows in boots:
        ref = {(r["range_size"], r["n"]): r for r in rows
               if r["way"] == "sgt" and r["status"] == "ok"}
        for r in rows:
            key = (r["way"], r["range_size"], r["n"])
            a = acc.setdefault(key, {"t": [], "ratio": [], "first": [],
                                     "nents": r["nents"],
                                     "status": r["status"]})
            if r["status"] != "ok":
                a["status"] = r["status"]
                continue
            a["t"].append(r["total_med_ns"])
            a["first"].append(r["first_ns"])
            a["nents"] = r["nents"]
            h = ref.get((r["range_size"], r["n"]))
            if h and h["total_med_ns"]:
                a["ratio"].append(r["total_med_ns"] / h["total_med_ns"])
    for a in acc.values():
        if a["t"]:
            a["status"] = "ok"
            med = statistics.median(a["t"])
            a["med"] = med
            a["min"], a["max"] = min(a["t"]), max(a["t"])
            a["spread"] = (a["max"] - a["min"]) / med if med else 0.0
        if a["ratio"]:
            rm = statistics.median(a["ratio"])
            a["rmed"] = rm
            a["rmin"], a["rmax"] = min(a["ratio"]), max(a["ratio"])
            a["stable"] = all(abs(x - rm) <= STABLE * rm for x in a["ratio"])
    return acc


def cell(a, way, with_ratio=True):
    """A table cell: median µs, and the ratio (or the entries)."""
    if not a:
        return "—"
    if a["status"] != "ok":
        return a["status"].replace("error: map ", "fails: ")
    if way == "sgt" or not with_ratio or "rmed" not in a:
        return "%s (%d)" % (us(a["med"]), a["nents"])
    return "%s (%.2f×%s)" % (us(a["med"]), a["rmed"],
                             "" if a["stable"] else ", unstable")


def count_cell(counts, way, s, n):
    c = counts.get((way, s, n))
    if not c:
        return "—"
    return "%g" % ((c[0]["psi"] + c[0]["dsi"]) / c[1])


def table_rows(t, acc, counts):
    """Header and rows of one topology's table."""
    keys = sorted({(s, n) for (_, s, n) in acc})
    ways = [w for w in WAYS
            if any(acc.get((w, s, n), {}).get("status", "").startswith(("ok", "error"))
                   for s, n in keys)]
    hdr = ["ranges"] + ["%s µs (%s)" % (LABEL[w], "entries" if w == "sgt" else "ratio")
                        for w in ways]
    hdr.append("spread")
    with_counts = t == "rootports-iommu" and counts
    if with_counts:
        hdr.append("IOTLB inval. " + " / ".join(SHORT[w] for w in ways))
    rows = []
    for s, n in keys:
        cells = ["%d × %s" % (n, size_name(s))]
        worst = 0.0
        for w in ways:
            a = acc.get((w, s, n))
            cells.append(cell(a, w))
            if a and "spread" in a:
                worst = max(worst, a["spread"])
        cells.append("%.1f %%" % (100 * worst))
        if with_counts:
            cells.append(" / ".join(count_cell(counts, w, s, n) for w in ways))
        rows.append(cells)
    return hdr, rows


def main():
    out = sys.argv[1]
    topos = sys.argv[2:]
    host = kv_file(os.path.join(out, "host.txt"))
    boots, acc, envs = {}, {}, {}
    for t in topos:
        boots[t] = boots_of(out, t)
        acc[t] = spread_of(boots[t])
        envs[t] = kv_file(os.path.join(out, "raw", t, "boot1", "env.txt"))

    # bench.csv: every point of every boot with its ratio to way sgt.
    with open(os.path.join(out, "bench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "boot"] + FIELDS + ["ratio_total_med_to_sgt"])
        for t in topos:
            for b, rows in boots[t]:
                ref = {(r["range_size"], r["n"]): r for r in rows
                       if r["way"] == "sgt" and r["status"] == "ok"}
                for r in rows:
                    h = ref.get((r["range_size"], r["n"]))
                    ratio = ""
                    if h and r["status"] == "ok" and h["total_med_ns"]:
                        ratio = "%.3f" % (r["total_med_ns"] / h["total_med_ns"])
                    w.writerow([t, b] + [r[k] for k in FIELDS] + [ratio])

    # spread.csv: over the boots.
    with open(os.path.join(out, "spread.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topology", "way", "range_size", "n", "boots", "nents",
                    "total_med_ns_min", "total_med_ns_median",
                    "total_med_ns_max", "spread", "first_ns_median",
                    "ratio_min", "ratio_median", "ratio_max",
                    "ratio_stable_10pct", "status"])
        for t in topos:
            for (way, s, n), a in sorted(acc[t].items(),
                                         key=lambda x: (WAYS.index(x[0][0]) if x[0][0] in WAYS else 9,
                                                        x[0][1], x[0][2])):
                if a["status"] != "ok":
                    w.writerow([t, way, s, n, 0, "", "", "", "", "", "", "",
                                "", "", "", a["status"]])
                    continue
                r = ["%.3f" % a[k] if k in a else ""
                     for k in ("rmin", "rmed", "rmax")]
                w.writerow([t, way, s, n, len(a["t"]), a["nents"], a["min"],
                            "%d" % a["med"], a["max"], "%.4f" % a["spread"],
                            "%d" % statistics.median(a["first"])] + r +
                           ["yes" if a.get("stable") else ("no" if "stable" in a else ""),
                            "ok"])

    count_dir = os.path.join(out, "raw", "rootports-iommu-count")
    crow = read_points(os.path.join(count_dir, "bench.csv"), counted=True)
    counts = iotlb_counts(os.path.join(count_dir, "qemu-trace.log"), crow)
    if counts:
        with open(os.path.join(out, "iotlb.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["way", "range_size", "n", "k",
                        "psi_per_iteration", "dsi_or_global_per_iteration"])
            for (e, s, n), (fr, k) in sorted(counts.items()):
                w.writerow([e, s, n, k, "%.2f" % (fr["psi"] / k),
                            "%.2f" % (fr["dsi"] / k)])

    env0 = next((envs[t] for t in topos if envs[t]), {})
    md = []
    md.append("Measured %s on: host %s (%s cores), %s, accelerator %s, "
              "guest clock %s; guest kernel %s (%s), guest CPU model %s; "
              "exporter BAR %s; K up to %s iterations per point; %s boots "
              "per topology (commit %s)." % (
                  host.get("date", "?"), host.get("host-cpu", "?"),
                  host.get("host-cores", "?"), host.get("qemu", "?"),
                  host.get("accel", "?"), host.get("clock", "?"),
                  env0.get("kernel", "?"), host.get("kernel", "?"),
                  env0.get("guest-cpu", "?"), host.get("bar-size", "?"),
                  host.get("k-max", "?").split(" ")[0],
                  host.get("boots", "?"), host.get("commit", "?")))
    md.append("")
    md.append("Median time of one map + unmap (µs, the median over the "
              "boots of each boot's median) through "
              "`DRM_IOCTL_P2PBUF_IMP_BENCH_MAP`; in brackets the ratio to "
              "p2pbuf's sg_table (the boots' median; \"unstable\" when a "
              "boot's ratio is more than 10 % off it) or, for the "
              "sg_table, the DMA entries; spread: the largest (max - min) / "
              "median over the boots in the row.")
    rst = []
    for t in topos:
        hdr, rows = table_rows(t, acc[t], counts)
        md += ["", "**%s** (route %s)" % (t, envs[t].get("route", "?")), ""]
        md.append("| " + " | ".join(hdr) + " |")
        md.append("|---" * len(hdr) + "|")
        for c in rows:
            md.append("| " + " | ".join(c) + " |")
        rst += [".. list-table:: %s" % t, "   :header-rows: 1", ""]
        for c in [hdr] + rows:
            rst.append("   * - " + "\n     - ".join(c))
        rst.append("")
    if counts:
        md += ["", "**IOTLB invalidations per map + unmap** (rootports-iommu, "
               "QEMU vIOMMU in caching mode, descriptors QEMU traced: "
               "page-selective / domain or global)", ""]
        md.append("| ranges | " + " | ".join(LABEL[w] for w in WAYS) + " |")
        md.append("|---|" + "---|" * len(WAYS))
        for s, n in sorted({(s, n) for (_, s, n) in counts}):
            cells = []
            for w in WAYS:
                c = counts.get((w, s, n))
                cells.append("%.1f / %.1f" % (c[0]["psi"] / c[1], c[0]["dsi"] / c[1])
                             if c else "—")
            md.append("| %d × %s | %s |" % (n, size_name(s), " | ".join(cells)))
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, "bench.rst"), "w") as f:
        f.write("\n".join(rst) + "\n")
    print("\n".join(md))

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
        a = acc[t]
        sizes = sorted({s for (_, s, _) in a})
        ax.axhline(1.0, color="black", lw=1, label="%s (= 1)" % LABEL["sgt"])
        for w, style in (("pal", "-o"), ("per-range", "-^"), ("vfio", "--s")):
            for s in sizes:
                pts = sorted((n, x) for (ww, ss, n), x in a.items()
                             if ww == w and ss == s and "rmed" in x)
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                ys = [p[1]["rmed"] for p in pts]
                lo = [p[1]["rmed"] - p[1]["rmin"] for p in pts]
                hi = [p[1]["rmax"] - p[1]["rmed"] for p in pts]
                ax.errorbar(xs, ys, yerr=[lo, hi], fmt=style, capsize=2,
                            label="%s, %s ranges" % (LABEL[w], size_name(s)))
        ax.set_xscale("log", base=2)
        ns = sorted({n for (_, _, n) in a})
        if ns:
            ax.set_xticks(ns)
            ax.set_xticklabels([str(n) for n in ns])
        ax.set_yscale("log")
        ax.set_xlabel("ranges per dma-buf (N)")
        ax.set_ylabel("map+unmap time / p2pbuf sg_table")
        ax.set_title("%s (%s)" % (t, envs[t].get("route", "?")))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("%s, %s (clock %s), guest %s, %s boots" % (
        host.get("qemu", "?").split("(")[0].strip(), host.get("accel", "?"),
        host.get("clock", "?"), env0.get("kernel", "?"),
        host.get("boots", "?")), fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "bench.png"), dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
