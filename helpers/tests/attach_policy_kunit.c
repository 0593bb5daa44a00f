// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the attach and placement decision table of helpers/attach_policy.c.
 *
 * Every row is an importer (static or dynamic, peer-to-peer or not,
 * revocable or not), a client device (the bed's edu, which shares a P2P
 * path with the ivshmem BAR in every topology that has one, or a KUnit
 * device, which is no PCI device and so has no path) and whether the
 * buffer can migrate.  The attachment is a plain struct
 * dma_buf_attachment filled as dma_buf_dynamic_attach() fills it: the
 * policy reads nothing else.
 */
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/errno.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include <p2pbuf/attach_policy.h>

#include "p2pbuf_kunit.h"

static void p2pbuf_kunit_invalidate(struct dma_buf_attachment *attach)
{
}

/* A dynamic importer that does P2P but cannot be revoked. */
static const struct dma_buf_attach_ops p2p_only_ops = {
	.allow_peer2peer = true,
};

/* A dynamic importer that does P2P and is revocable (p2pbuf_imp's kind). */
static const struct dma_buf_attach_ops revocable_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = p2pbuf_kunit_invalidate,
};

/* A dynamic importer that is revocable but refuses P2P. */
static const struct dma_buf_attach_ops no_p2p_ops = {
	.invalidate_mappings = p2pbuf_kunit_invalidate,
};

enum attach_client {
	CLIENT_PEER,		/* the bed's edu: a PCI path to the BAR */
	CLIENT_NOT_PCI,		/* a KUnit device: no PCI path at all */
};

struct attach_row {
	const char *name;
	const struct dma_buf_attach_ops *ops;	/* NULL: a static importer */
	enum attach_client client;
	bool can_migrate;
	int ret;
	enum p2pbuf_attach_verdict verdict;
	enum p2pbuf_attach_outcome outcome;
};

static const struct attach_row attach_rows[] = {
	{ "static-fixed", NULL, CLIENT_PEER, false,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NO_PEER2PEER, P2PBUF_OUTCOME_REJECT },
	{ "static-migratable", NULL, CLIENT_PEER, true,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NO_PEER2PEER, P2PBUF_OUTCOME_SYSTEM },
	/* peer2peer is looked at first: a static non-PCI importer says so. */
	{ "static-not-pci", NULL, CLIENT_NOT_PCI, false,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NO_PEER2PEER, P2PBUF_OUTCOME_REJECT },
	{ "revocable-no-p2p-fixed", &no_p2p_ops, CLIENT_PEER, false,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NO_PEER2PEER, P2PBUF_OUTCOME_REJECT },
	{ "p2p-not-revocable-fixed", &p2p_only_ops, CLIENT_PEER, false,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NOT_REVOCABLE, P2PBUF_OUTCOME_REJECT },
	{ "p2p-not-revocable-migratable", &p2p_only_ops, CLIENT_PEER, true,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NOT_REVOCABLE, P2PBUF_OUTCOME_SYSTEM },
	/* revocability is looked at before the path. */
	{ "p2p-not-revocable-not-pci", &p2p_only_ops, CLIENT_NOT_PCI, false,
	  -EOPNOTSUPP, P2PBUF_ATTACH_NOT_REVOCABLE, P2PBUF_OUTCOME_REJECT },
	{ "unreachable-fixed", &revocable_ops, CLIENT_NOT_PCI, false,
	  -EOPNOTSUPP, P2PBUF_ATTACH_UNREACHABLE, P2PBUF_OUTCOME_REJECT },
	{ "unreachable-migratable", &revocable_ops, CLIENT_NOT_PCI, true,
	  -EOPNOTSUPP, P2PBUF_ATTACH_UNREACHABLE, P2PBUF_OUTCOME_SYSTEM },
	{ "p2p-fixed", &revocable_ops, CLIENT_PEER, false,
	  0, P2PBUF_ATTACH_P2P, P2PBUF_OUTCOME_P2P },
	/* A buffer that could move stays in device memory when P2P works. */
	{ "p2p-migratable", &revocable_ops, CLIENT_PEER, true,
	  0, P2PBUF_ATTACH_P2P, P2PBUF_OUTCOME_P2P },
};

KUNIT_ARRAY_PARAM_DESC(attach_rows, attach_rows, name);

static void attach_policy_table(struct kunit *test)
{
	const struct attach_row *row = test->param_value;
	struct p2pbuf_attach_decision decision;
	struct dma_buf_attachment attach = {};
	enum p2pbuf_attach_outcome outcome;
	struct pci_dev *provider;
	int ret;

	provider = p2pbuf_kunit_pci_dev(test, P2PBUF_KUNIT_EXP_VENDOR,
					P2PBUF_KUNIT_EXP_DEVICE);
	if (row->client == CLIENT_PEER) {
		attach.dev = &p2pbuf_kunit_pci_dev(test, P2PBUF_KUNIT_IMP_VENDOR,
						   P2PBUF_KUNIT_IMP_DEVICE)->dev;
		/* Only where the PCI core finds a path (not rootports-noallow). */
		if (row->verdict == P2PBUF_ATTACH_P2P &&
		    pci_p2pdma_distance(provider, attach.dev, false) < 0)
			kunit_skip(test, "no P2P path between the bed's devices in this topology");
	} else {
		attach.dev = p2pbuf_kunit_device(test);
	}
	/* As dma_buf_attach() / dma_buf_dynamic_attach() set them. */
	attach.importer_ops = row->ops;
	attach.peer2peer = row->ops && row->ops->allow_peer2peer;

	decision.verdict = -1;
	decision.distance = -2;
	ret = p2pbuf_attach_decide(provider, &attach, &decision);
	KUNIT_EXPECT_EQ(test, ret, row->ret);
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_verdict_name(decision.verdict),
			   p2pbuf_attach_verdict_name(row->verdict));
	if (row->verdict == P2PBUF_ATTACH_P2P)
		KUNIT_EXPECT_GE(test, decision.distance, 0);
	else
		KUNIT_EXPECT_EQ(test, decision.distance, -1);

	decision.verdict = -1;
	outcome = p2pbuf_attach_place(provider, &attach, row->can_migrate,
				      &decision);
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_outcome_name(outcome),
			   p2pbuf_attach_outcome_name(row->outcome));
	/* place() explains itself with decide()'s verdict. */
	KUNIT_EXPECT_EQ(test, decision.verdict, row->verdict);
}

static void attach_policy_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_verdict_name(P2PBUF_ATTACH_P2P), "p2p");
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_verdict_name(P2PBUF_ATTACH_UNREACHABLE),
			   "unreachable");
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_verdict_name(P2PBUF_ATTACH_UNREACHABLE + 1),
			   "unknown");
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_outcome_name(P2PBUF_OUTCOME_SYSTEM),
			   "system");
	KUNIT_EXPECT_STREQ(test, p2pbuf_attach_outcome_name(P2PBUF_OUTCOME_REJECT + 1),
			   "unknown");
}

static struct kunit_case attach_policy_cases[] = {
	KUNIT_CASE_PARAM(attach_policy_table, attach_rows_gen_params),
	KUNIT_CASE(attach_policy_names),
	{}
};

static struct kunit_suite attach_policy_suite = {
	.name = "p2pbuf_attach_policy",
	.test_cases = attach_policy_cases,
};

kunit_test_suite(attach_policy_suite);
