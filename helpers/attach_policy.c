// SPDX-License-Identifier: GPL-2.0
/*
 * The attach policy of a dma-buf whose memory is a PCI BAR.
 *
 * Such memory can only be reached by DMA from another PCI device, through
 * a path the PCI core approves, and it disappears when its driver unbinds
 * or the device resets: every mapping must be revocable.  The policy
 * decides at attach time, so that an importer learns at dma_buf_attach()
 * (rather than at its first map) that it cannot use the buffer, and so
 * that a mapping the exporter could not take back is never made.
 *
 * An exporter whose buffer can also live in system memory (a GPU's VRAM
 * object, p2pbuf's migratable objects) does not refuse: it moves the
 * buffer.  p2pbuf_attach_place() gives that three-way answer, the choice
 * amdgpu and xe make in their attach callbacks, as one reusable rule.
 */
#include <linux/dma-buf.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#include <p2pbuf/attach_policy.h>

static const char *const verdict_names[] = {
	[P2PBUF_ATTACH_P2P] = "p2p",
	[P2PBUF_ATTACH_NO_PEER2PEER] = "no-peer2peer",
	[P2PBUF_ATTACH_NOT_REVOCABLE] = "not-revocable",
	[P2PBUF_ATTACH_UNREACHABLE] = "unreachable",
};

/**
 * p2pbuf_attach_verdict_name() - name of a verdict, as shown in debugfs
 * @verdict: the verdict
 *
 * Return: a static string, "unknown" for an out-of-range value.
 */
const char *p2pbuf_attach_verdict_name(enum p2pbuf_attach_verdict verdict)
{
	if (verdict >= ARRAY_SIZE(verdict_names))
		return "unknown";
	return verdict_names[verdict];
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_attach_verdict_name, "P2PBUF");

/**
 * p2pbuf_attach_decide() - may an importer attach to BAR memory of a device
 * @provider: the PCI device whose BAR backs the dma-buf
 * @attach: the attachment being made, as passed to &dma_buf_ops.attach
 * @decision: filled with the verdict and the P2P distance
 *
 * The checks, in order: the importer allows peer-to-peer mappings
 * (@attach->peer2peer), it is revocable (dma_buf_attach_revocable()), and
 * pci_p2pdma_distance() finds a path from @provider to @attach->dev.  The
 * distance is computed quietly; the caller reports the verdict.
 *
 * Context: process context, the dma-buf's reservation lock not held
 * (pci_p2pdma_distance() does not sleep, but the dma-buf core calls
 * &dma_buf_ops.attach unlocked and the policy does not need the lock).
 *
 * Return: 0 if the attachment is accepted, -EOPNOTSUPP if not.
 */
int p2pbuf_attach_decide(struct pci_dev *provider,
			 struct dma_buf_attachment *attach,
			 struct p2pbuf_attach_decision *decision)
{
	decision->distance = -1;

	if (!attach->peer2peer) {
		decision->verdict = P2PBUF_ATTACH_NO_PEER2PEER;
		return -EOPNOTSUPP;
	}
	if (!dma_buf_attach_revocable(attach)) {
		decision->verdict = P2PBUF_ATTACH_NOT_REVOCABLE;
		return -EOPNOTSUPP;
	}
	decision->distance = pci_p2pdma_distance(provider, attach->dev, false);
	if (decision->distance < 0) {
		decision->verdict = P2PBUF_ATTACH_UNREACHABLE;
		return -EOPNOTSUPP;
	}
	decision->verdict = P2PBUF_ATTACH_P2P;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_attach_decide, "P2PBUF");

static const char *const outcome_names[] = {
	[P2PBUF_OUTCOME_P2P] = "p2p",
	[P2PBUF_OUTCOME_SYSTEM] = "system",
	[P2PBUF_OUTCOME_REJECT] = "reject",
};

/**
 * p2pbuf_attach_outcome_name() - name of an outcome, as shown in debugfs
 * @outcome: the outcome
 *
 * Return: a static string, "unknown" for an out-of-range value.
 */
const char *p2pbuf_attach_outcome_name(enum p2pbuf_attach_outcome outcome)
{
	if (outcome >= ARRAY_SIZE(outcome_names))
		return "unknown";
	return outcome_names[outcome];
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_attach_outcome_name, "P2PBUF");

/**
 * p2pbuf_attach_place() - P2P, system memory or reject, for one attachment
 * @provider: the PCI device whose BAR backs the dma-buf
 * @attach: the attachment being made, as passed to &dma_buf_ops.attach
 * @can_migrate: the buffer's memory can move to system memory
 * @decision: filled as by p2pbuf_attach_decide()
 *
 * An attachment that passes p2pbuf_attach_decide() (peer-to-peer capable,
 * revocable, reachable) gets the device memory.  Any other attachment gets
 * %P2PBUF_OUTCOME_SYSTEM when the buffer can migrate, and is refused when
 * it cannot: device memory that may vanish on reset or unbind is never
 * handed to an importer that could not give it back.
 *
 * The outcome depends only on the importer and the topology, so it holds
 * for the attachment's whole life: an exporter decides once, at attach.
 *
 * Context: as p2pbuf_attach_decide().
 * Return: the outcome; @decision tells why.
 */
enum p2pbuf_attach_outcome
p2pbuf_attach_place(struct pci_dev *provider, struct dma_buf_attachment *attach,
		    bool can_migrate, struct p2pbuf_attach_decision *decision)
{
	if (!p2pbuf_attach_decide(provider, attach, decision))
		return P2PBUF_OUTCOME_P2P;
	return can_migrate ? P2PBUF_OUTCOME_SYSTEM : P2PBUF_OUTCOME_REJECT;
}
EXPORT_SYMBOL_NS_GPL(p2pbuf_attach_place, "P2PBUF");
