/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which importers may attach to a dma-buf of PCI BAR memory.
 */
#ifndef _P2PBUF_ATTACH_POLICY_H
#define _P2PBUF_ATTACH_POLICY_H

#include <linux/types.h>

struct dma_buf_attachment;
struct pci_dev;

/**
 * enum p2pbuf_attach_verdict - outcome of p2pbuf_attach_decide()
 * @P2PBUF_ATTACH_P2P: accepted: the importer does P2P, can be revoked and
 *	reaches the BAR
 * @P2PBUF_ATTACH_NO_PEER2PEER: rejected: the importer did not set
 *	&dma_buf_attach_ops.allow_peer2peer (every static importer)
 * @P2PBUF_ATTACH_NOT_REVOCABLE: rejected: the importer has no
 *	&dma_buf_attach_ops.invalidate_mappings, so its mappings could not
 *	be revoked in bounded time
 * @P2PBUF_ATTACH_UNREACHABLE: rejected: pci_p2pdma_distance() found no
 *	P2P path from the importer to the BAR (not a PCI device, or a host
 *	bridge that is not on the kernel's P2P allowlist)
 */
enum p2pbuf_attach_verdict {
	P2PBUF_ATTACH_P2P,
	P2PBUF_ATTACH_NO_PEER2PEER,
	P2PBUF_ATTACH_NOT_REVOCABLE,
	P2PBUF_ATTACH_UNREACHABLE,
};

/**
 * struct p2pbuf_attach_decision - what p2pbuf_attach_decide() found
 * @verdict: accepted or why not
 * @distance: pci_p2pdma_distance() between the BAR's device and the
 *	importer; -1 when it was not computed or found no path
 */
struct p2pbuf_attach_decision {
	enum p2pbuf_attach_verdict verdict;
	int distance;
};

/**
 * enum p2pbuf_attach_outcome - what an exporter does with an attachment
 * @P2PBUF_OUTCOME_P2P: map the device memory peer-to-peer
 * @P2PBUF_OUTCOME_SYSTEM: move the buffer to system memory and map that
 *	(only for buffers that can move)
 * @P2PBUF_OUTCOME_REJECT: refuse the attachment
 */
enum p2pbuf_attach_outcome {
	P2PBUF_OUTCOME_P2P,
	P2PBUF_OUTCOME_SYSTEM,
	P2PBUF_OUTCOME_REJECT,
};

int p2pbuf_attach_decide(struct pci_dev *provider,
			 struct dma_buf_attachment *attach,
			 struct p2pbuf_attach_decision *decision);
const char *p2pbuf_attach_verdict_name(enum p2pbuf_attach_verdict verdict);
enum p2pbuf_attach_outcome
p2pbuf_attach_place(struct pci_dev *provider, struct dma_buf_attachment *attach,
		    bool can_migrate, struct p2pbuf_attach_decision *decision);
const char *p2pbuf_attach_outcome_name(enum p2pbuf_attach_outcome outcome);

#endif /* _P2PBUF_ATTACH_POLICY_H */
