// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the revoke reasons of helpers/revoke.c, on a real dma-buf with a
 * real dynamic attachment.  The exporter side is the smallest that uses
 * the helper as p2pbuf's exporter does (map_get / map_put around a
 * mapping); the importer side counts invalidations and, like a revocable
 * importer must, unmaps from its invalidate_mappings callback.
 */
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <p2pbuf/revoke.h>

#include "p2pbuf_kunit.h"

#define REASON_USER	BIT(0)
#define REASON_RESET	BIT(1)

/* Freed by the dma-buf's release, which may run after the test ends. */
struct kunit_exp {
	struct p2pbuf_revoke rv;
};

struct kunit_imp {
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;		/* the live mapping, or NULL */
	unsigned int invalidations;
};

static struct sg_table *kunit_exp_map(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir)
{
	struct kunit_exp *exp = attach->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	ret = p2pbuf_revoke_map_get(&exp->rv);
	if (ret)
		return ERR_PTR(ret);
	sgt = kzalloc_obj(*sgt);
	if (!sgt || sg_alloc_table(sgt, 1, GFP_KERNEL)) {
		kfree(sgt);
		p2pbuf_revoke_map_put(&exp->rv);
		return ERR_PTR(-ENOMEM);
	}
	/* A made-up bus address: nobody DMAs to it. */
	sg_dma_address(sgt->sgl) = 0xfe000000;
	sg_dma_len(sgt->sgl) = SZ_4K;
	return sgt;
}

static void kunit_exp_unmap(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	struct kunit_exp *exp = attach->dmabuf->priv;

	sg_free_table(sgt);
	kfree(sgt);
	p2pbuf_revoke_map_put(&exp->rv);
}

static void kunit_exp_release(struct dma_buf *dmabuf)
{
	struct kunit_exp *exp = dmabuf->priv;

	p2pbuf_revoke_fini(&exp->rv);
	kfree(exp);
}

static const struct dma_buf_ops kunit_exp_ops = {
	.map_dma_buf = kunit_exp_map,
	.unmap_dma_buf = kunit_exp_unmap,
	.release = kunit_exp_release,
};

/* Called with the reservation lock held, as dma_buf_invalidate_mappings() does. */
static void kunit_imp_invalidate(struct dma_buf_attachment *attach)
{
	struct kunit_imp *imp = attach->importer_priv;

	imp->invalidations++;
	if (imp->sgt) {
		dma_buf_unmap_attachment(attach, imp->sgt, DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
	}
}

static const struct dma_buf_attach_ops kunit_imp_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = kunit_imp_invalidate,
};

struct revoke_ctx {
	struct dma_buf *dmabuf;
	struct kunit_exp *exp;
	struct kunit_imp imp;
};

static void revoke_ctx_exit(struct kunit *test)
{
	struct revoke_ctx *ctx = test->priv;

	if (!ctx)
		return;
	if (ctx->imp.sgt)
		dma_buf_unmap_attachment_unlocked(ctx->imp.attach, ctx->imp.sgt,
						  DMA_BIDIRECTIONAL);
	if (!IS_ERR_OR_NULL(ctx->imp.attach))
		dma_buf_detach(ctx->dmabuf, ctx->imp.attach);
	dma_buf_put(ctx->dmabuf);
}

/* A dma-buf that starts revoked for @reasons, with one importer attached. */
static struct revoke_ctx *revoke_ctx_new(struct kunit *test, unsigned int reasons)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct revoke_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct device *dev = p2pbuf_kunit_device(test);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->exp = kzalloc_obj(*ctx->exp);
	KUNIT_ASSERT_NOT_NULL(test, ctx->exp);
	info.ops = &kunit_exp_ops;
	info.size = SZ_4K;
	info.flags = O_RDWR;
	info.priv = ctx->exp;
	ctx->dmabuf = dma_buf_export(&info);
	if (IS_ERR(ctx->dmabuf))
		kfree(ctx->exp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->dmabuf);
	p2pbuf_revoke_init(&ctx->exp->rv, ctx->dmabuf, reasons);
	test->priv = ctx;

	ctx->imp.attach = dma_buf_dynamic_attach(ctx->dmabuf, dev,
						 &kunit_imp_ops, &ctx->imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->imp.attach);
	return ctx;
}

/* Map as a dynamic importer does: under the reservation lock. */
static int imp_map(struct revoke_ctx *ctx)
{
	struct sg_table *sgt;

	dma_resv_lock(ctx->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(ctx->imp.attach, DMA_BIDIRECTIONAL);
	if (!IS_ERR(sgt))
		ctx->imp.sgt = sgt;
	dma_resv_unlock(ctx->dmabuf->resv);
	return PTR_ERR_OR_ZERO(sgt);
}

static void imp_unmap(struct revoke_ctx *ctx)
{
	dma_buf_unmap_attachment_unlocked(ctx->imp.attach, ctx->imp.sgt,
					  DMA_BIDIRECTIONAL);
	ctx->imp.sgt = NULL;
}

static void revoke_map_unmap(struct kunit *test)
{
	struct revoke_ctx *ctx = revoke_ctx_new(test, 0);

	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(&ctx->exp->rv), 0);
	KUNIT_ASSERT_EQ(test, imp_map(ctx), 0);
	/* One reference of the object's own, one of the mapping. */
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->exp->rv.mappings), 2);
	imp_unmap(ctx);
	KUNIT_EXPECT_EQ(test, kref_read(&ctx->exp->rv.mappings), 1);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 0);
}

/*
 * The first reason invalidates, and returns only when the importer has
 * unmapped; maps fail with -ENODEV while any reason is left; the last
 * clear invalidates again so the importer remaps.
 */
static void revoke_reasons_stack(struct kunit *test)
{
	struct revoke_ctx *ctx = revoke_ctx_new(test, 0);
	struct p2pbuf_revoke *rv = &ctx->exp->rv;

	KUNIT_ASSERT_EQ(test, imp_map(ctx), 0);

	p2pbuf_revoke_set(rv, REASON_USER);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), REASON_USER);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 1);
	KUNIT_EXPECT_NULL(test, ctx->imp.sgt);
	/* Re-armed: the object's reference again, no mapping. */
	KUNIT_EXPECT_EQ(test, kref_read(&rv->mappings), 1);
	KUNIT_EXPECT_EQ(test, imp_map(ctx), -ENODEV);

	/* A second reason is only recorded. */
	p2pbuf_revoke_set(rv, REASON_RESET);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), REASON_USER | REASON_RESET);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 1);

	/* The end of the reset does not undo the user's revoke. */
	p2pbuf_revoke_clear(rv, REASON_RESET);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), REASON_USER);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 1);
	KUNIT_EXPECT_EQ(test, imp_map(ctx), -ENODEV);

	p2pbuf_revoke_clear(rv, REASON_USER);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), 0);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 2);
	KUNIT_ASSERT_EQ(test, imp_map(ctx), 0);

	/* Revocable again after the restore. */
	p2pbuf_revoke_set(rv, REASON_RESET);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 3);
	KUNIT_EXPECT_NULL(test, ctx->imp.sgt);
	KUNIT_EXPECT_EQ(test, kref_read(&rv->mappings), 1);
	p2pbuf_revoke_clear(rv, REASON_RESET);
}

/* Setting a reason twice, or clearing one that is not set, changes nothing. */
static void revoke_idempotent(struct kunit *test)
{
	struct revoke_ctx *ctx = revoke_ctx_new(test, 0);
	struct p2pbuf_revoke *rv = &ctx->exp->rv;

	p2pbuf_revoke_clear(rv, REASON_USER);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), 0);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 0);

	p2pbuf_revoke_set(rv, REASON_USER);
	p2pbuf_revoke_set(rv, REASON_USER);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), REASON_USER);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 1);
	p2pbuf_revoke_clear(rv, REASON_RESET);
	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), REASON_USER);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 1);
	p2pbuf_revoke_clear(rv, REASON_USER);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 2);
	KUNIT_EXPECT_EQ(test, imp_map(ctx), 0);
}

/* A buffer created revoked refuses maps until its reason is cleared. */
static void revoke_starts_revoked(struct kunit *test)
{
	struct revoke_ctx *ctx = revoke_ctx_new(test, REASON_RESET);
	struct p2pbuf_revoke *rv = &ctx->exp->rv;

	KUNIT_EXPECT_EQ(test, p2pbuf_revoke_state(rv), REASON_RESET);
	KUNIT_EXPECT_EQ(test, imp_map(ctx), -ENODEV);
	p2pbuf_revoke_clear(rv, REASON_RESET);
	KUNIT_EXPECT_EQ(test, ctx->imp.invalidations, 1);
	KUNIT_EXPECT_EQ(test, imp_map(ctx), 0);
}

static struct kunit_case revoke_cases[] = {
	KUNIT_CASE(revoke_map_unmap),
	KUNIT_CASE(revoke_reasons_stack),
	KUNIT_CASE(revoke_idempotent),
	KUNIT_CASE(revoke_starts_revoked),
	{}
};

static struct kunit_suite revoke_suite = {
	.name = "p2pbuf_revoke",
	.exit = revoke_ctx_exit,
	.test_cases = revoke_cases,
};

kunit_test_suite(revoke_suite);
