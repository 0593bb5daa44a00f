// SPDX-License-Identifier: GPL-2.0
/*
 * p2pbuf_mesa - Mesa, an importer nobody here wrote, against p2pbuf's
 * dma-bufs.
 *
 * Mesa in the guest renders with llvmpipe (no GPU), and it imports
 * dma-bufs (EGL_EXT_image_dma_buf_import) in two ways, both tested:
 *
 *   llvmpipe    the "swrast" driver of EGL's software device
 *               (EGL_MESA_device_software): it mmap()s the dma-buf and
 *               uses the mapping as the texture's memory; it never
 *               attaches to the dma-buf.
 *   kms_swrast  llvmpipe on the vgem render node: the import goes through
 *               vgem (DRM_IOCTL_PRIME_FD_TO_HANDLE), a static importer
 *               without P2P support, which attaches and maps the dma-buf;
 *               Mesa then maps vgem's object for the CPU (vgem passes the
 *               mmap on to the exporter).
 *
 * Each imported image is bound as a GLES2 texture
 * (glEGLImageTargetTexture2DOES), read back through a framebuffer
 * (glReadPixels), sampled by a shader into a renderbuffer and read back,
 * and rendered into, with the CPU checking the bytes through the dma-buf's
 * own mapping.  A vgem buffer is the control (system memory, must work); a
 * fixed BAR buffer (exported ranges, or an allocated object without
 * P2PBUF_EXP_ALLOC_MIGRATABLE) must be refused with a defined EGL error and
 * leave no attachment; a migratable object must import, the bytes written
 * through its mmap must be the pixels Mesa reads, and an import through
 * vgem must move it to system memory.  Documentation/interop.rst has what
 * Mesa in the guest can do and why.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <drm_fourcc.h>
#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "igt.h"
#include "igt_kmod.h"

#include "p2pbuf_igt.h"

#include "../include/uapi/linux/p2pbuf_exporter.h"
#include "../include/uapi/linux/p2pbuf_pattern.h"

IGT_TEST_DESCRIPTION("Mesa (EGL, GLES2, llvmpipe and kms_swrast on vgem) "
		     "imports p2pbuf dma-bufs with "
		     "EGL_EXT_image_dma_buf_import: fixed BAR buffers are "
		     "refused cleanly, migratable objects import and Mesa "
		     "reads the pixels written through their mapping.");

#define EXP_MODULE	"p2pbuf_exporter"
#define PROBE_MODULE	"p2pbuf_probe"
#define EXP_BAR		2
#define PAGE		4096ULL

/* The image: 64 x 64 pixels of DRM_FORMAT_ABGR8888 (bytes R, G, B, A). */
#define W		64
#define H		64
#define PITCH		(W * 4)
#define IMG_SIZE	((uint64_t)PITCH * H)

/*
 * A fixed range nobody writes: the refusals below move no byte, so it may
 * overlap what bar-max-ranges maps (it writes none of these pages).
 */
#define FIXED_OFFSET	((12ULL << 20) + (256ULL << 10))

/* The two ways Mesa imports a dma-buf here. */
enum mesa_path { PATH_LLVMPIPE, PATH_KMS_SWRAST };

static const char * const path_name[] = {
	[PATH_LLVMPIPE] = "llvmpipe",
	[PATH_KMS_SWRAST] = "kms-swrast-vgem",
};

/* The EGL driver (EGL_MESA_query_driver) each path must get. */
static const char * const path_driver[] = {
	[PATH_LLVMPIPE] = "swrast",
	[PATH_KMS_SWRAST] = "kms_swrast",
};

static struct {
	int exp_fd;		/* the exporter's character device */
	char exp_bdf[32];
	struct p2pbuf_exp_query q;
	int vgem_fd;		/* vgem's primary node (dumb buffers) */
} t = { .exp_fd = -1, .vgem_fd = -1 };

/* One EGL display with a current GLES2 context. */
struct gl {
	EGLDisplay dpy;
	EGLContext ctx;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;
	GLuint prog;
};

static char report[1 << 16];

/* ---- the exporter --------------------------------------------------- */

static int exp_find(void)
{
	char driver[64];
	int ret;

	ret = p2pbuf_pci_find(0x1af4, 0x1110, t.exp_bdf, sizeof(t.exp_bdf),
			      driver, sizeof(driver));
	if (ret)
		return ret;
	return strcmp(driver, EXP_MODULE) ? -ENODEV : 0;
}

static void setup_exporter(void)
{
	char path[64];
	int ret;

	if (igt_kmod_is_loaded(PROBE_MODULE))
		igt_assert_eq(igt_kmod_unload(PROBE_MODULE), 0);
	ret = igt_kmod_load(EXP_MODULE, NULL);
	igt_skip_on_f(ret == -ENOENT, "module %s is not installed\n",
		      EXP_MODULE);
	igt_assert_f(ret == 0, "loading %s: %s\n", EXP_MODULE, strerror(-ret));
	igt_require_f(exp_find() == 0,
		      "no ivshmem-plain device bound to %s\n", EXP_MODULE);
	snprintf(path, sizeof(path), "/dev/p2pbuf-exp-%s", t.exp_bdf);
	t.exp_fd = open(path, O_RDWR | O_CLOEXEC);
	igt_assert_f(t.exp_fd >= 0, "open %s: %s\n", path, strerror(errno));
	igt_assert_eq(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_QUERY, &t.q), 0);
	igt_require_f(t.q.bar_mask & (1u << EXP_BAR), "BAR%d is not exported\n",
		      EXP_BAR);
	igt_assert_lte_u64(FIXED_OFFSET + IMG_SIZE, t.q.bar_size[EXP_BAR]);
}

static int export_fixed(void)
{
	struct p2pbuf_exp_range r = { FIXED_OFFSET, IMG_SIZE };
	struct p2pbuf_exp_export x = {
		.bar = EXP_BAR, .ranges = (uintptr_t)&r, .nr_ranges = 1,
		.open_flags = O_RDWR | O_CLOEXEC,
	};

	igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_EXPORT, &x) == 0,
		     "export: %s\n", strerror(errno));
	return x.fd;
}

/*
 * Whether the exporter implements allocation: a request with every flag
 * set is refused as invalid (EINVAL) by an exporter that does, as unknown
 * (ENOTTY) by one that does not.
 */
static bool alloc_supported(void)
{
	struct p2pbuf_exp_alloc a = { .flags = ~0u, .bar = EXP_BAR,
				      .size = PAGE };

	return !(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) && errno == ENOTTY);
}

#define ALLOC_MISSING \
	"the exporter does not implement P2PBUF_EXP_IOCTL_ALLOC (ENOTTY): no BAR objects to import yet (issue 5)\n"

/*
 * Allocate an object of the image's size from the BAR: a dma-buf fd.  Skips
 * while the exporter does not implement allocation (ENOTTY).
 */
static int alloc_object(uint32_t flags)
{
	struct p2pbuf_exp_alloc a = {
		.flags = flags, .bar = EXP_BAR, .size = IMG_SIZE,
		.open_flags = O_RDWR | O_CLOEXEC,
	};
	int ret;

	ret = ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_ALLOC, &a) ? -errno : 0;
	igt_skip_on_f(ret == -ENOTTY, ALLOC_MISSING);
	igt_assert_f(ret == 0, "alloc of %" PRIu64 " bytes, flags %#x: %s\n",
		     IMG_SIZE, flags, strerror(-ret));
	return a.fd;
}

static void exp_info(int dmabuf, struct p2pbuf_exp_info *info)
{
	memset(info, 0, sizeof(*info));
	info->fd = dmabuf;
	igt_assert_f(ioctl(t.exp_fd, P2PBUF_EXP_IOCTL_INFO, info) == 0,
		     "info: %s\n", strerror(errno));
}

/* The exporter's debugfs block of dma-buf @dmabuf, in report[]. */
static const char *exp_block(int dmabuf)
{
	char rel[96], head[64];
	char *start, *next;
	struct stat st;
	int ret;

	igt_assert_eq(fstat(dmabuf, &st), 0);
	snprintf(rel, sizeof(rel), EXP_MODULE "/%s/buffers", t.exp_bdf);
	ret = p2pbuf_debugfs_read(rel, report, sizeof(report));
	igt_assert_f(ret > 0, "cannot read debugfs %s\n", rel);
	snprintf(head, sizeof(head), " ino %llu ", (unsigned long long)st.st_ino);
	start = strstr(report, head);
	igt_assert_f(start, "dma-buf %s not listed in %s:\n%s", head, rel,
		     report);
	while (start > report && start[-1] != '\n')
		start--;
	next = strstr(start + 1, "\nbuffer ");
	if (next)
		next[1] = '\0';
	return start;
}

/* Whether the debugfs block says the buffer is active (not revoked). */
static bool block_active(const char *block)
{
	const char *p = strstr(block, " state active");

	return p && (p[13] == ' ' || p[13] == '\n');
}

/* ---- system memory: vgem ---------------------------------------------- */

/* A vgem dumb buffer of the image's size, exported: its dma-buf fd. */
static int vgem_dmabuf(void)
{
	struct drm_mode_create_dumb cd = { .width = W, .height = H, .bpp = 32 };
	int dmabuf;

	igt_assert_eq(drmIoctl(t.vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd), 0);
	igt_assert_eq(cd.pitch, PITCH);
	igt_assert_eq(drmPrimeHandleToFD(t.vgem_fd, cd.handle,
					 DRM_CLOEXEC | DRM_RDWR, &dmabuf), 0);
	return dmabuf;
}

/* ---- CPU access through the dma-buf ----------------------------------- */

static void cpu_sync(int dmabuf, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	igt_assert_f(drmIoctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s) == 0,
		     "DMA_BUF_IOCTL_SYNC %#" PRIx64 ": %s\n", flags,
		     strerror(errno));
}

static uint8_t *cpu_map(int dmabuf)
{
	uint8_t *ptr = mmap(NULL, IMG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			    dmabuf, 0);

	igt_assert_f(ptr != MAP_FAILED, "mmap of the dma-buf: %s\n",
		     strerror(errno));
	return ptr;
}

static void cpu_fill(int dmabuf, uint8_t *ptr, uint32_t seed)
{
	cpu_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (uint64_t k = 0; k < IMG_SIZE; k++)
		ptr[k] = p2pbuf_pattern_byte(seed, k);
	cpu_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/* @got (@what) must hold pattern @seed: report the first wrong byte. */
static void check_pattern(const char *what, const uint8_t *got, uint32_t seed)
{
	for (uint64_t k = 0; k < IMG_SIZE; k++)
		igt_assert_f(got[k] == p2pbuf_pattern_byte(seed, k),
			     "%s: byte %" PRIu64 " (pixel %" PRIu64 ",%" PRIu64
			     ") is 0x%02x, pattern %u has 0x%02x\n", what, k,
			     k % PITCH / 4, k / PITCH, got[k], seed,
			     p2pbuf_pattern_byte(seed, k));
}

/* The CPU reads pattern @seed through the dma-buf's mapping @ptr. */
static void cpu_check(int dmabuf, const uint8_t *ptr, uint32_t seed)
{
	cpu_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern("the dma-buf's CPU mapping", ptr, seed);
	cpu_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * vgem imports dma-buf @dmabuf but will not map the import for the CPU:
 * drm_gem_dumb_map_offset() refuses imported objects with EINVAL.
 */
static void vgem_map_refused(int dmabuf)
{
	struct drm_mode_map_dumb md = {};
	struct drm_gem_close gc = {};
	uint32_t handle;

	igt_assert_eq(drmPrimeFDToHandle(t.vgem_fd, dmabuf, &handle), 0);
	md.handle = handle;
	igt_assert_eq(drmIoctl(t.vgem_fd, DRM_IOCTL_MODE_MAP_DUMB, &md), -1);
	igt_assert_eq(errno, EINVAL);
	gc.handle = handle;
	igt_assert_eq(drmIoctl(t.vgem_fd, DRM_IOCTL_GEM_CLOSE, &gc), 0);
}

/* ---- EGL and GLES2 ------------------------------------------------------ */

static bool has_ext(const char *list, const char *ext)
{
	size_t len = strlen(ext);
	const char *p = list;

	while (p && (p = strstr(p, ext))) {
		if ((p == list || p[-1] == ' ') && (!p[len] || p[len] == ' '))
			return true;
		p += len;
	}
	return false;
}

static void *egl_proc(const char *name)
{
	void *f = (void *)eglGetProcAddress(name);

	igt_assert_f(f, "eglGetProcAddress(%s) found nothing\n", name);
	return f;
}

/* The name of the DRM driver behind device node @path, or "". */
static void drm_driver_of(const char *path, char *name, size_t size)
{
	drmVersionPtr ver;
	int fd;

	name[0] = '\0';
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	ver = drmGetVersion(fd);
	if (ver) {
		snprintf(name, size, "%s", ver->name);
		drmFreeVersion(ver);
	}
	close(fd);
}

/* The EGL device of @path: the software device, or vgem's render node. */
static EGLDeviceEXT egl_device(enum mesa_path path)
{
	PFNEGLQUERYDEVICESEXTPROC query_devices;
	PFNEGLQUERYDEVICESTRINGEXTPROC query_string;
	const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	EGLDeviceEXT devs[16];
	EGLint n = 0;

	igt_require_f(client, "EGL has no client extensions (libEGL: %#x)\n",
		      eglGetError());
	igt_info("EGL client extensions: %s\n", client);
	igt_require_f(has_ext(client, "EGL_EXT_device_enumeration") &&
		      has_ext(client, "EGL_EXT_platform_device"),
		      "EGL cannot enumerate devices (no EGL_EXT_device_enumeration, EGL_EXT_platform_device)\n");
	query_devices = egl_proc("eglQueryDevicesEXT");
	query_string = egl_proc("eglQueryDeviceStringEXT");
	igt_assert(query_devices(16, devs, &n));

	for (EGLint i = 0; i < n; i++) {
		const char *ext = query_string(devs[i], EGL_EXTENSIONS);
		const char *node = NULL;
		char driver[64] = "";

		if (has_ext(ext, "EGL_EXT_device_drm_render_node"))
			node = query_string(devs[i],
					    EGL_DRM_RENDER_NODE_FILE_EXT);
		if (node)
			drm_driver_of(node, driver, sizeof(driver));
		igt_info("EGL device %d: %s%s%s [%s]\n", i,
			 node ?: "(no render node)", driver[0] ? " driver " : "",
			 driver, ext ?: "");
		if (path == PATH_LLVMPIPE &&
		    has_ext(ext, "EGL_MESA_device_software"))
			return devs[i];
		if (path == PATH_KMS_SWRAST && !strcmp(driver, "vgem"))
			return devs[i];
	}
	igt_skip("no EGL device for %s among %d: %s\n", path_name[path], n,
		 path == PATH_LLVMPIPE ?
		 "no EGL_MESA_device_software device" :
		 "no device on vgem's render node");
	return EGL_NO_DEVICE_EXT;
}

static GLuint compile(GLenum type, const char *src)
{
	GLuint sh = glCreateShader(type);
	GLint ok = 0;
	char log[512] = "";

	glShaderSource(sh, 1, &src, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	if (!ok)
		glGetShaderInfoLog(sh, sizeof(log), NULL, log);
	igt_assert_f(ok, "shader: %s\n", log);
	return sh;
}

/* A full-screen quad sampling texture unit 0, texel for pixel. */
static GLuint make_program(void)
{
	static const char vs[] =
		"attribute vec2 pos;\n"
		"varying vec2 uv;\n"
		"void main() {\n"
		"	uv = pos * 0.5 + 0.5;\n"
		"	gl_Position = vec4(pos, 0.0, 1.0);\n"
		"}\n";
	static const char fs[] =
		"precision highp float;\n"
		"uniform sampler2D tex;\n"
		"varying vec2 uv;\n"
		"void main() {\n"
		"	gl_FragColor = texture2D(tex, uv);\n"
		"}\n";
	GLuint prog = glCreateProgram();
	GLint ok = 0;

	glAttachShader(prog, compile(GL_VERTEX_SHADER, vs));
	glAttachShader(prog, compile(GL_FRAGMENT_SHADER, fs));
	glBindAttribLocation(prog, 0, "pos");
	glLinkProgram(prog);
	glGetProgramiv(prog, GL_LINK_STATUS, &ok);
	igt_assert_f(ok, "program does not link\n");
	return prog;
}

static void gl_check(const char *what)
{
	GLenum err = glGetError();

	igt_assert_f(err == GL_NO_ERROR, "%s: GL error %#x\n", what, err);
}

/* An EGL display of @path with a current GLES2 context and no surface. */
static void gl_init(struct gl *gl, enum mesa_path path)
{
	PFNEGLGETPLATFORMDISPLAYEXTPROC get_display;
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE
	};
	PFNEGLGETDISPLAYDRIVERNAMEPROC driver_name;
	const char *ext, *name;
	EGLDeviceEXT dev;
	EGLint major, minor;

	/* The root file system is read-only: no shader cache. */
	setenv("MESA_SHADER_CACHE_DISABLE", "true", 1);
	dev = egl_device(path);
	get_display = egl_proc("eglGetPlatformDisplayEXT");
	gl->dpy = get_display(EGL_PLATFORM_DEVICE_EXT, dev, NULL);
	igt_assert_f(gl->dpy != EGL_NO_DISPLAY, "no EGL display: %#x\n",
		     eglGetError());
	igt_assert_f(eglInitialize(gl->dpy, &major, &minor),
		     "eglInitialize: %#x\n", eglGetError());
	ext = eglQueryString(gl->dpy, EGL_EXTENSIONS);
	igt_info("EGL %d.%d, %s, extensions: %s\n", major, minor,
		 eglQueryString(gl->dpy, EGL_VENDOR), ext);
	if (has_ext(ext, "EGL_MESA_query_driver")) {
		driver_name = egl_proc("eglGetDisplayDriverName");
		name = driver_name(gl->dpy);
		igt_info("EGL driver: %s\n", name ?: "?");
		igt_assert_f(name && !strcmp(name, path_driver[path]),
			     "%s runs on EGL driver %s, not %s\n",
			     path_name[path], name ?: "?", path_driver[path]);
	}
	igt_require_f(has_ext(ext, "EGL_EXT_image_dma_buf_import"),
		      "Mesa's %s driver has no EGL_EXT_image_dma_buf_import\n",
		      path_driver[path]);
	igt_require_f(has_ext(ext, "EGL_KHR_surfaceless_context") &&
		      has_ext(ext, "EGL_KHR_no_config_context"),
		      "no surfaceless, configless contexts\n");

	igt_assert(eglBindAPI(EGL_OPENGL_ES_API));
	gl->ctx = eglCreateContext(gl->dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT,
				   ctx_attr);
	igt_assert_f(gl->ctx != EGL_NO_CONTEXT, "eglCreateContext: %#x\n",
		     eglGetError());
	igt_assert(eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE,
				  gl->ctx));
	igt_info("GL renderer: %s, version %s\n",
		 (const char *)glGetString(GL_RENDERER),
		 (const char *)glGetString(GL_VERSION));
	igt_require_f(has_ext((const char *)glGetString(GL_EXTENSIONS),
			      "GL_OES_EGL_image"),
		      "no GL_OES_EGL_image\n");

	gl->create_image = egl_proc("eglCreateImageKHR");
	gl->destroy_image = egl_proc("eglDestroyImageKHR");
	gl->image_target_texture = egl_proc("glEGLImageTargetTexture2DOES");
	gl->prog = make_program();
}

static void gl_fini(struct gl *gl)
{
	glDeleteProgram(gl->prog);
	eglMakeCurrent(gl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroyContext(gl->dpy, gl->ctx);
	eglTerminate(gl->dpy);
	eglReleaseThread();
}

/* Import dma-buf @dmabuf as a W x H ABGR8888 image; its EGL error if not. */
static EGLImageKHR import(struct gl *gl, int dmabuf, EGLint *error)
{
	const EGLint attr[] = {
		EGL_WIDTH, W,
		EGL_HEIGHT, H,
		EGL_LINUX_DRM_FOURCC_EXT, DRM_FORMAT_ABGR8888,
		EGL_DMA_BUF_PLANE0_FD_EXT, dmabuf,
		EGL_DMA_BUF_PLANE0_OFFSET_EXT, 0,
		EGL_DMA_BUF_PLANE0_PITCH_EXT, PITCH,
		EGL_NONE
	};
	EGLImageKHR img;

	img = gl->create_image(gl->dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT,
			       NULL, attr);
	*error = eglGetError();
	return img;
}

static GLuint image_texture(struct gl *gl, EGLImageKHR img)
{
	GLuint tex;

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	gl->image_target_texture(GL_TEXTURE_2D, img);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	gl_check("glEGLImageTargetTexture2DOES");
	return tex;
}

static GLuint texture_fbo(GLuint tex)
{
	GLuint fbo;

	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
			       GL_TEXTURE_2D, tex, 0);
	igt_assert_eq(glCheckFramebufferStatus(GL_FRAMEBUFFER),
		      GL_FRAMEBUFFER_COMPLETE);
	return fbo;
}

static void read_pixels(uint8_t *out)
{
	glPixelStorei(GL_PACK_ALIGNMENT, 4);
	glReadPixels(0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, out);
	gl_check("glReadPixels");
}

/*
 * Mesa reads image @img, which holds pattern @seed: straight from a
 * framebuffer made of it, and through a shader sampling it into a
 * renderbuffer of Mesa's own.
 */
static void gl_read_back(struct gl *gl, GLuint tex, uint32_t seed)
{
	static const GLfloat quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
	uint8_t *px = malloc(IMG_SIZE);
	GLuint fbo, rb;

	igt_assert(px);
	/* 1. The image as a framebuffer, read with glReadPixels. */
	fbo = texture_fbo(tex);
	memset(px, 0, IMG_SIZE);
	read_pixels(px);
	check_pattern("glReadPixels of the imported image", px, seed);
	glDeleteFramebuffers(1, &fbo);

	/* 2. Sampled by a fragment shader, texel for pixel. */
	glGenRenderbuffers(1, &rb);
	glBindRenderbuffer(GL_RENDERBUFFER, rb);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8_OES, W, H);
	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
				  GL_RENDERBUFFER, rb);
	igt_assert_eq(glCheckFramebufferStatus(GL_FRAMEBUFFER),
		      GL_FRAMEBUFFER_COMPLETE);
	glViewport(0, 0, W, H);
	glDisable(GL_BLEND);
	glUseProgram(gl->prog);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, tex);
	glUniform1i(glGetUniformLocation(gl->prog, "tex"), 0);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, quad);
	glEnableVertexAttribArray(0);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	gl_check("draw");
	memset(px, 0, IMG_SIZE);
	read_pixels(px);
	check_pattern("the imported image sampled by a shader", px, seed);
	glDeleteFramebuffers(1, &fbo);
	glDeleteRenderbuffers(1, &rb);
	free(px);
}

/* Colours Mesa renders into the image: exact in 8-bit unorm. */
static const uint8_t back_rgba[4] = { 0x10, 0x80, 0xf0, 0xff };
static const uint8_t box_rgba[4] = { 0xc3, 0x3c, 0x5a, 0xa5 };
#define BOX_X	8
#define BOX_Y	16
#define BOX_W	24
#define BOX_H	32

static void clear_to(const uint8_t *c)
{
	glClearColor(c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f,
		     c[3] / 255.0f);
	glClear(GL_COLOR_BUFFER_BIT);
}

/* Mesa renders into image @tex; the CPU reads it through @ptr. */
static void gl_render_into(GLuint tex, int dmabuf, const uint8_t *ptr)
{
	GLuint fbo = texture_fbo(tex);

	glViewport(0, 0, W, H);
	glDisable(GL_SCISSOR_TEST);
	clear_to(back_rgba);
	glEnable(GL_SCISSOR_TEST);
	glScissor(BOX_X, BOX_Y, BOX_W, BOX_H);
	clear_to(box_rgba);
	glDisable(GL_SCISSOR_TEST);
	glFinish();
	gl_check("rendering into the image");
	glDeleteFramebuffers(1, &fbo);

	cpu_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			bool in = x >= BOX_X && x < BOX_X + BOX_W &&
				  y >= BOX_Y && y < BOX_Y + BOX_H;
			const uint8_t *want = in ? box_rgba : back_rgba;
			const uint8_t *got = ptr + y * PITCH + x * 4;

			igt_assert_f(!memcmp(got, want, 4),
				     "pixel %d,%d rendered by Mesa reads %02x%02x%02x%02x through the mapping, not %02x%02x%02x%02x\n",
				     x, y, got[0], got[1], got[2], got[3],
				     want[0], want[1], want[2], want[3]);
		}
	cpu_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

/*
 * The whole round trip on dma-buf @dmabuf: the CPU writes pattern @seed
 * through its mapping, Mesa imports it and reads the pattern back, renders
 * into it, and the CPU reads that through the same mapping.
 */
static void import_and_render(struct gl *gl, int dmabuf, uint32_t seed)
{
	uint8_t *ptr = cpu_map(dmabuf);
	EGLImageKHR img;
	EGLint error;
	GLuint tex;

	cpu_fill(dmabuf, ptr, seed);
	img = import(gl, dmabuf, &error);
	igt_assert_f(img != EGL_NO_IMAGE_KHR,
		     "eglCreateImageKHR refused the dma-buf: EGL error %#x\n",
		     error);
	tex = image_texture(gl, img);
	gl_read_back(gl, tex, seed);
	gl_render_into(tex, dmabuf, ptr);
	glDeleteTextures(1, &tex);
	igt_assert(gl->destroy_image(gl->dpy, img));
	munmap(ptr, IMG_SIZE);
}

/* ---- subtests ------------------------------------------------------------ */

/* The control: vgem's system memory imports on both paths. */
static void test_system_memory(enum mesa_path path)
{
	struct gl gl;
	int dmabuf;

	gl_init(&gl, path);
	dmabuf = vgem_dmabuf();
	import_and_render(&gl, dmabuf, 0x31 + path);
	close(dmabuf);
	gl_fini(&gl);
}

/*
 * Mesa accepted image @img but cannot map its memory for the CPU: the
 * first read of it fails with GL_OUT_OF_MEMORY and returns no pixel.  The
 * image is destroyed.  (Rendering into such an image crashes Mesa 25.0.7,
 * SIGSEGV in glClear/glFinish, Documentation/interop.rst: not done here.)
 */
static void unmappable_read(struct gl *gl, EGLImageKHR img)
{
	uint8_t *px;
	GLuint tex, fbo;
	GLenum err;

	tex = image_texture(gl, img);
	fbo = texture_fbo(tex);
	px = malloc(IMG_SIZE);
	igt_assert(px);
	memset(px, 0x77, IMG_SIZE);
	glReadPixels(0, 0, W, H, GL_RGBA, GL_UNSIGNED_BYTE, px);
	err = glGetError();
	igt_info("glReadPixels of an image Mesa cannot map: GL error %#x\n",
		 err);
	igt_assert_f(err == GL_OUT_OF_MEMORY,
		     "reading an image Mesa cannot map gave GL error %#x, not GL_OUT_OF_MEMORY\n",
		     err);
	for (uint64_t k = 0; k < IMG_SIZE; k++)
		igt_assert_f(px[k] == 0x77,
			     "a failed glReadPixels wrote byte %" PRIu64 "\n", k);
	free(px);
	glDeleteFramebuffers(1, &fbo);
	glDeleteTextures(1, &tex);
	igt_assert(gl->destroy_image(gl->dpy, img));
}

/*
 * llvmpipe's import of a buffer it cannot mmap().  Mesa 25.0's swrast
 * accepts the image without checking its CPU mapping; the failure shows at
 * the first access (unmappable_read()).  A Mesa that checks the mapping at
 * import refuses the image with EGL_BAD_ALLOC.
 */
static void llvmpipe_unmappable(struct gl *gl, EGLImageKHR img, EGLint error)
{
	if (img == EGL_NO_IMAGE_KHR) {
		igt_assert_f(error == EGL_BAD_ALLOC,
			     "refused with EGL error %#x, not EGL_BAD_ALLOC\n",
			     error);
		return;
	}
	igt_assert_eq(error, EGL_SUCCESS);
	unmappable_read(gl, img);
}

/*
 * A fixed BAR buffer: it cannot be mapped by the CPU (the exporter has no
 * mmap for it) nor reached by a device without P2P.  kms_swrast's import
 * through vgem is refused at attach (EOPNOTSUPP): eglCreateImageKHR fails
 * with EGL_BAD_ALLOC.  llvmpipe never attaches; it cannot map the buffer
 * (llvmpipe_unmappable()).  Either way nothing stays attached, and Mesa
 * still imports a good buffer afterwards.
 */
static void refuse_fixed(enum mesa_path path, int dmabuf)
{
	long rejected_before = 0, rejected_after = 0;
	const char *block, *p;
	EGLImageKHR img;
	struct gl gl;
	EGLint error;
	void *ptr;

	/* The CPU cannot map it: what llvmpipe runs into. */
	ptr = mmap(NULL, IMG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf,
		   0);
	igt_assert_f(ptr == MAP_FAILED, "a fixed BAR buffer has an mmap\n");
	igt_info("mmap of the fixed buffer: %s\n", strerror(errno));

	gl_init(&gl, path);
	block = exp_block(dmabuf);
	p = strstr(block, "  rejected ");
	if (p)
		rejected_before = strtol(p + 11, NULL, 10);

	img = import(&gl, dmabuf, &error);
	igt_info("%s: eglCreateImageKHR of a fixed BAR buffer: %s, EGL error %#x\n",
		 path_name[path],
		 img == EGL_NO_IMAGE_KHR ? "refused" : "accepted", error);
	if (path == PATH_LLVMPIPE) {
		llvmpipe_unmappable(&gl, img, error);
	} else {
		igt_assert_f(img == EGL_NO_IMAGE_KHR,
			     "Mesa imported a fixed BAR buffer through vgem\n");
		igt_assert_f(error == EGL_BAD_ALLOC,
			     "refused with EGL error %#x, not EGL_BAD_ALLOC\n",
			     error);
	}

	block = exp_block(dmabuf);
	igt_info("%s", block);
	igt_assert_f(!strstr(block, "  attach "),
		     "an importer is still attached:\n%s", block);
	igt_assert_f(block_active(block), "%s", block);
	p = strstr(block, "  rejected ");
	if (p)
		rejected_after = strtol(p + 11, NULL, 10);
	if (path == PATH_KMS_SWRAST)
		/* The refusal was the exporter's: vgem tried to attach. */
		igt_assert_f(p && rejected_after == rejected_before + 1 &&
			     strstr(p, " last vgem "),
			     "vgem's attach was not refused by the exporter:\n%s",
			     block);
	else
		/* llvmpipe never attaches. */
		igt_assert_eq(rejected_after, rejected_before);

	/* Mesa is still fine: a good import works on the same display. */
	{
		int good = vgem_dmabuf();

		import_and_render(&gl, good, 0x41 + path);
		close(good);
	}
	gl_fini(&gl);
}

static void test_fixed_ranges(enum mesa_path path)
{
	int dmabuf = export_fixed();

	refuse_fixed(path, dmabuf);
	close(dmabuf);
}

static void test_fixed_object(enum mesa_path path)
{
	struct p2pbuf_exp_info info;
	int dmabuf = alloc_object(0);

	exp_info(dmabuf, &info);
	igt_assert_eq(info.kind, P2PBUF_EXP_KIND_OBJECT);
	refuse_fixed(path, dmabuf);
	exp_info(dmabuf, &info);
	igt_assert_eq(info.placement, P2PBUF_EXP_PLACEMENT_BAR);
	igt_assert_eq(info.attachments, 0);
	close(dmabuf);
}

/*
 * A migratable object: the bytes written through its mmap are what Mesa
 * reads, and what Mesa renders is what the mapping reads.  llvmpipe only
 * maps it for the CPU, so it stays in the BAR; through vgem (no P2P) it
 * moves to system memory first.
 */
static void test_migratable(enum mesa_path path)
{
	struct p2pbuf_exp_info info;
	uint32_t migrations;
	struct gl gl;
	int dmabuf;

	dmabuf = alloc_object(P2PBUF_EXP_ALLOC_MIGRATABLE);
	exp_info(dmabuf, &info);
	igt_assert_eq(info.kind, P2PBUF_EXP_KIND_MIGRATABLE);
	igt_assert_eq(info.placement, P2PBUF_EXP_PLACEMENT_BAR);
	migrations = info.migrations;

	gl_init(&gl, path);
	{
		uint8_t *ptr = cpu_map(dmabuf);
		EGLImageKHR img;
		EGLint error;
		GLuint tex;

		cpu_fill(dmabuf, ptr, 0x51 + path);
		img = import(&gl, dmabuf, &error);
		igt_assert_f(img != EGL_NO_IMAGE_KHR,
			     "eglCreateImageKHR refused a migratable object: EGL error %#x\n",
			     error);
		exp_info(dmabuf, &info);
		igt_info("%s: placement %u, migrations %u, attachments %u (system %u), pins %u\n",
			 path_name[path], info.placement, info.migrations,
			 info.attachments, info.system_attachments, info.pins);
		if (path == PATH_KMS_SWRAST) {
			/* vgem attached: the object moved to system memory. */
			igt_assert_eq(info.placement,
				      P2PBUF_EXP_PLACEMENT_SYSTEM);
			igt_assert_lt(migrations, info.migrations);
			igt_assert_lte(1, info.system_attachments);
			/* The CPU mapping followed the move. */
			cpu_check(dmabuf, ptr, 0x51 + path);
			/*
			 * But kms_swrast maps vgem's object through
			 * DRM_IOCTL_MODE_MAP_DUMB, which the DRM core
			 * refuses for every imported object.
			 */
			vgem_map_refused(dmabuf);
			unmappable_read(&gl, img);
		} else {
			/* A CPU user only: the object stays in the BAR. */
			igt_assert_eq(info.placement, P2PBUF_EXP_PLACEMENT_BAR);
			igt_assert_eq(info.attachments, 0);
			tex = image_texture(&gl, img);
			gl_read_back(&gl, tex, 0x51 + path);
			gl_render_into(tex, dmabuf, ptr);
			glDeleteTextures(1, &tex);
			igt_assert(gl.destroy_image(gl.dpy, img));
		}
		munmap(ptr, IMG_SIZE);
	}
	gl_fini(&gl);

	/* Mesa let go: nothing stays attached. */
	exp_info(dmabuf, &info);
	igt_assert_eq(info.attachments, 0);
	igt_assert_f(!strstr(exp_block(dmabuf), "  attach "), "%s", report);
	close(dmabuf);
}

/* Left by siglongjmp() from a dynamic subtest: not a local. */
static unsigned int pi;

int igt_main()
{
	static const enum mesa_path paths[] = { PATH_LLVMPIPE,
						PATH_KMS_SWRAST };

	igt_fixture() {
		setup_exporter();
		igt_require_f(igt_kmod_load("vgem", NULL) == 0,
			      "vgem (the control's buffers, kms_swrast's device) cannot be loaded\n");
		t.vgem_fd = drm_open_driver(DRIVER_VGEM);
	}

	igt_describe("Control: a vgem buffer (system memory) imports into Mesa on each path (llvmpipe by mmap, kms_swrast through vgem); Mesa reads the bytes written by the CPU and the CPU reads what Mesa rendered.");
	igt_subtest_with_dynamic("interop-mesa-system-memory")
		for (pi = 0; pi < ARRAY_SIZE(paths); pi++)
			igt_dynamic(path_name[paths[pi]])
				test_system_memory(paths[pi]);

	igt_describe("A fixed BAR buffer (exported ranges) is refused on each path: through vgem (kms_swrast) eglCreateImageKHR fails with EGL_BAD_ALLOC after vgem's attach is refused (EOPNOTSUPP); llvmpipe cannot mmap it and its first read fails with GL_OUT_OF_MEMORY; nothing stays attached and Mesa still imports a good buffer.");
	igt_subtest_with_dynamic("interop-mesa-fixed-ranges")
		for (pi = 0; pi < ARRAY_SIZE(paths); pi++)
			igt_dynamic(path_name[paths[pi]])
				test_fixed_ranges(paths[pi]);

	igt_describe("An object allocated from the BAR without the migratable flag is refused by Mesa like exported ranges; it stays in the BAR with nothing attached.");
	igt_subtest_with_dynamic("interop-mesa-fixed-object") {
		igt_require_f(alloc_supported(), ALLOC_MISSING);
		for (pi = 0; pi < ARRAY_SIZE(paths); pi++)
			igt_dynamic(path_name[paths[pi]])
				test_fixed_object(paths[pi]);
	}

	igt_describe("A migratable object imports into Mesa. llvmpipe (a CPU user) leaves it in the BAR and the pixels it reads are the bytes written through the object's mmap, its rendering reads back through it. Through vgem (kms_swrast) the object moves to system memory and the mapping follows, but Mesa cannot read it: the DRM core refuses to dumb-map imported objects (EINVAL), so reads fail with GL_OUT_OF_MEMORY.");
	igt_subtest_with_dynamic("interop-mesa-migratable") {
		igt_require_f(alloc_supported(), ALLOC_MISSING);
		for (pi = 0; pi < ARRAY_SIZE(paths); pi++)
			igt_dynamic(path_name[paths[pi]])
				test_migratable(paths[pi]);
	}

	igt_fixture() {
		if (t.vgem_fd >= 0)
			drm_close_driver(t.vgem_fd);
		if (t.exp_fd >= 0)
			close(t.exp_fd);
	}
}
