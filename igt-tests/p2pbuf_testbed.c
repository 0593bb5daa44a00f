// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_testbed - does the test bed give the topology it claims?
 *
 * Every other p2pbuf test trusts $P2PBUF_EXPECT and $P2PBUF_DATA, the bed's
 * description of the P2P route between its exporter (ivshmem BAR2) and
 * importer (edu) devices.  This test checks that description against the
 * kernel: it loads the bed's probe module (tools/testbed/probe/), which binds
 * both devices, maps a BAR page for edu through a dma-buf and has edu write
 * into it, then compares the probe's debugfs report with the description.
 * The probe is unloaded at the end: it holds the devices the real drivers
 * bind to.  For the same reason it must run before the tests that load
 * those drivers (run-in-guest.sh runs it first).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"

IGT_TEST_DESCRIPTION("Checks that the test bed's topology gives the P2P route "
		     "and data path its description ($P2PBUF_EXPECT, "
		     "$P2PBUF_DATA) claims.");

/* The bed's exporter (ivshmem) and importer (edu), vendor << 16 | device. */
#define PROBE_EXP_ID	0x1af41110
#define PROBE_IMP_ID	0x123411e8
#define PROBE_MODULE	"p2pbuf_probe"
#define PROBE_REPORT	"p2pbuf_probe/report"
/* $P2PBUF_EXPECT where the kernel knows no P2P route (mapping: -EINVAL). */
#define ROUTE_NONE	"none"

static char report[4096];
/* The bed's description; set in a fixture, so not on main's stack. */
static const char *bed_expect, *bed_data;

static const char *report_str(const char *key)
{
	static char val[128];

	igt_assert_f(p2pbuf_kv_get(report, key, val, sizeof(val)),
		     "no \"%s\" line in the probe report:\n%s", key, report);
	return val;
}

static long report_long(const char *key)
{
	long val;

	igt_assert_f(p2pbuf_kv_get_long(report, key, &val),
		     "no numeric \"%s\" line in the probe report:\n%s",
		     key, report);
	return val;
}

/* Also when a fixture failed or skipped and the final one does not run. */
static void probe_unload_at_exit(int sig)
{
	if (!sig && igt_kmod_is_loaded(PROBE_MODULE))
		igt_kmod_unload(PROBE_MODULE);
}

/* "exporter 0000:03:00.0 bound to p2pbuf_exporter" or "no exporter ...". */
static void device_state(uint32_t id, const char *role, char *buf, size_t size)
{
	char bdf[32], driver[64];

	if (p2pbuf_pci_find(id >> 16, id & 0xffff, bdf, sizeof(bdf), driver,
			    sizeof(driver)))
		snprintf(buf, size, "no %s %04x:%04x", role, id >> 16,
			 id & 0xffff);
	else
		snprintf(buf, size, "%s %s bound to %s", role, bdf,
			 driver[0] ? driver : "no driver");
}

/* Load the probe afresh: its report is made when both devices bind. */
static void probe_load(void)
{
	char exp[128], imp[128];
	int ret;

	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	igt_install_exit_handler(probe_unload_at_exit);
	ret = igt_kmod_load(PROBE_MODULE, NULL);
	igt_skip_on_f(ret == -ENOENT && !p2pbuf_bed_expect(),
		      "module %s is not installed (build it with tools/testbed/build.sh)\n",
		      PROBE_MODULE);
	igt_assert_f(ret == 0, "loading %s failed: %s\n", PROBE_MODULE,
		     strerror(-ret));

	ret = p2pbuf_debugfs_read(PROBE_REPORT, report, sizeof(report));
	igt_assert_f(ret > 0, "cannot read debugfs %s: %s\n", PROBE_REPORT,
		     strerror(-ret));
	igt_info("probe report:\n%s", report);

	/* The report is complete once both devices are bound. */
	if (p2pbuf_kv_get(report, "distance", NULL, 0))
		return;
	device_state(PROBE_EXP_ID, "exporter", exp, sizeof(exp));
	device_state(PROBE_IMP_ID, "importer", imp, sizeof(imp));
	/* In the bed that is a failure; elsewhere the devices may not exist. */
	igt_assert_f(!p2pbuf_bed_expect(),
		     "the probe did not get both devices (%s; %s)\n", exp, imp);
	igt_skip("no test bed devices: %s; %s\n", exp, imp);
}

static void test_route(const char *expect)
{
	const char *path = report_str("path");
	long map_errno = report_long("map-errno");
	long distance = report_long("distance");
	unsigned long long phys, dma;

	igt_assert_f(!strcmp(path, expect),
		     "the kernel took route %s, the topology claims %s\n",
		     path, expect);
	if (!strcmp(expect, ROUTE_NONE)) {
		igt_assert_eq(map_errno, -EINVAL);
		igt_assert_eq(distance, -1);
		return;
	}
	igt_assert_eq(map_errno, 0);
	igt_assert_lte(0, distance);

	/*
	 * Through the host bridge the importer gets either the BAR's CPU
	 * physical address itself or an IOVA the IOMMU maps to it.
	 */
	phys = strtoull(report_str("bar-phys"), NULL, 0);
	dma = strtoull(report_str("dma-addr"), NULL, 0);
	if (!strcmp(expect, "host-bridge-direct"))
		igt_assert_eq_u64(dma, phys);
	else if (!strcmp(expect, "host-bridge-iova"))
		igt_assert_neq_u64(dma, phys);
}

static void test_data(const char *expect, const char *data_env)
{
	const char *data = report_str("data");

	if (!strcmp(expect, ROUTE_NONE)) {
		/* No mapping, so the probe must not have started any DMA. */
		igt_assert_f(!strcmp(data, "skipped"),
			     "the probe moved data (\"%s\") without a P2P mapping\n",
			     data);
		return;
	}
	if (strcmp(data_env, "ok")) {
		/*
		 * The topology claims DMA carries no data here (the data
		 * checks of other tests skip for it): the probe's DMA must
		 * have run and its bytes must not have arrived.  If they did,
		 * the claim is wrong and those skips hide passing checks.
		 */
		igt_assert_f(strcmp(data, "ok") && strcmp(data, "skipped") &&
			     strcmp(data, "no-memory"),
			     "the topology says DMA carries no data (%s), but the probe's DMA through the P2P mapping gave \"%s\"\n",
			     data_env, data);
		igt_info("no data, as the topology says (%s): the probe's DMA gave \"%s\"\n",
			 data_env, data);
		return;
	}
	igt_assert_f(!strcmp(data, "ok"),
		     "edu's DMA to the BAR through the P2P mapping: %s\n", data);
}

int igt_main()
{
	igt_fixture() {
		probe_load();
		bed_expect = p2pbuf_bed_expect();
		bed_data = p2pbuf_bed_data();
	}

	igt_describe("The P2P route the kernel picks between the bed's exporter "
		     "and importer (map type, distance, map errno, and through "
		     "the host bridge a direct or IOVA address) is the one "
		     "$P2PBUF_EXPECT names.");
	igt_subtest("probe-route") {
		igt_require_f(bed_expect, "$P2PBUF_EXPECT is not set: not in the p2pbuf test bed\n");
		test_route(bed_expect);
	}

	igt_describe("Device DMA through the P2P mapping carries data where "
		     "$P2PBUF_DATA says it does and none where it says it "
		     "does not, and no DMA happens without a route.");
	igt_subtest("probe-data") {
		igt_require_f(bed_expect && bed_data,
			      "$P2PBUF_EXPECT or $P2PBUF_DATA is not set: not in the p2pbuf test bed\n");
		test_data(bed_expect, bed_data);
	}

	igt_fixture() {
		/* The real drivers must find the devices free. */
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	}
}
