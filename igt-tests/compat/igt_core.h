/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pbuf's own declarations of the core of IGT's test API, for building the
 * p2pbuf IGT tests against a distribution's libigt.so, which ships without
 * headers.  Written for, and checked against, the ABI of IGT GPU Tools 2.5
 * (the pinned version: see igt-tests/Makefile); nothing here is taken from
 * IGT's sources.  Only the part of the API that p2pbuf tests use is
 * declared; "make -C igt-tests abi-check" verifies that libigt.so defines
 * every function and object named below.
 *
 * How the block macros work.  libigt.so keeps the state machine of a test
 * binary: it parses --run-subtest, --list-subtests and friends, decides
 * whether a fixture or subtest block runs at all, and prints the result
 * lines igt_runner parses.  A block is a one-shot for loop whose condition
 * asks libigt whether to enter it and then arms a jump buffer exported by
 * libigt; igt_skip(), igt_fail() and failed assertions siglongjmp() back to
 * that buffer with a non-zero value, which ends the loop.  A block that
 * runs to its end reports success in the loop's step expression.  The
 * calls, their order and the jump buffers used must therefore be exactly
 * those IGT 2.5's own macros use.
 *
 * Test code written against these headers must also build with IGT's real
 * headers (make IGT_SRC=...): use only what is declared here, include
 * "igt.h" (and "igt_kmod.h" for the module helpers) as IGT tests do, and
 * keep the igt_, __igt_ and drm_ prefixes out of the test's own names.
 */
#ifndef P2PBUF_COMPAT_IGT_CORE_H
#define P2PBUF_COMPAT_IGT_CORE_H

#include <assert.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Exit statuses of a test binary, as igt_runner interprets them. */
#define IGT_EXIT_SUCCESS	0
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_INVALID	79
#define IGT_EXIT_FAILURE	98
#define IGT_EXIT_ABORT		112

/* The log domain printed in front of messages; NULL means the binary's. */
#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN (NULL)
#endif

#define __igt_compat_cat2(a, b)	a##b
#define __igt_compat_cat(a, b)	__igt_compat_cat2(a, b)
/* A name private to one macro expansion (one per source line). */
#define __igt_compat_local(name) \
	__igt_compat_cat(__igt_compat_cat(__igt_compat_, name), __LINE__)

/* ---- test binary description -------------------------------------------- */

/* libigt prints this for --help-description; it looks the symbol up weakly. */
extern const char *__igt_test_description __attribute__((weak));
#define IGT_TEST_DESCRIPTION(str) const char *__igt_test_description = str

__attribute__((format(printf, 1, 2)))
void igt_describe_f(const char *fmt, ...);
/* Describes the next igt_subtest or igt_subtest_group(), for --describe. */
#define igt_describe(text) igt_describe_f("%s", text)

/* ---- main() of a test binary ---------------------------------------------- */

struct option;
typedef int (*igt_opt_handler_t)(int opt, int opt_index, void *data);
#define IGT_OPT_HANDLER_SUCCESS	0
#define IGT_OPT_HANDLER_ERROR	-2

int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);
void igt_simple_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);
__attribute__((noreturn)) void igt_exit(void);

/*
 * "int igt_main() { ... }" is a test binary with subtests: the braces become
 * the body of a static function that main() calls between libigt's option
 * parsing and igt_exit().  The leading "int" is the test's, as in IGT 2.5.
 */
#define igt_main_args(short_opts, long_opts, help_str, handler, data)	\
	main(int argc, char **argv);					\
	static void __igt_compat_local(main)(void);			\
	int main(int argc, char **argv)					\
	{								\
		igt_subtest_init_parse_opts(&argc, argv, short_opts,	\
					    long_opts, help_str,	\
					    handler, data);		\
		__igt_compat_local(main)();				\
		igt_exit();						\
	}								\
	static void __igt_compat_local(main)(void)
#define igt_main() igt_main_args(NULL, NULL, NULL, NULL, NULL)

/* "int igt_simple_main() { ... }": a test binary without subtests. */
#define igt_simple_main_args(short_opts, long_opts, help_str, handler, data) \
	main(int argc, char **argv);					\
	static void __igt_compat_local(main)(void);			\
	int main(int argc, char **argv)					\
	{								\
		igt_simple_init_parse_opts(&argc, argv, short_opts,	\
					   long_opts, help_str,		\
					   handler, data);		\
		__igt_compat_local(main)();				\
		igt_exit();						\
	}								\
	static void __igt_compat_local(main)(void)
#define igt_simple_main() igt_simple_main_args(NULL, NULL, NULL, NULL, NULL)

/* ---- fixtures, subtests, groups, dynamic subtests ------------------------- */

/* libigt siglongjmp()s here to leave the current fixture or subtest ... */
extern jmp_buf igt_subtest_jmpbuf;
/* ... and here to leave the current dynamic subtest. */
extern jmp_buf igt_dynamic_jmpbuf;

bool __igt_fixture(void);
void __igt_fixture_complete(void);
__attribute__((noreturn)) void __igt_fixture_end(void);
bool __igt_run_subtest(const char *subtest_name, const char *file,
		       const int line);
bool __igt_enter_dynamic_container(void);
bool __igt_run_dynamic_subtest(const char *dynamic_subtest_name);
void __igt_subtest_group_save(int *save, int *desc);
void __igt_subtest_group_restore(int save, int desc);
void igt_success(void);

/*
 * igt_fixture() { ... }: set-up or tear-down code shared by the subtests
 * around it.  libigt skips it when only listing subtests and after a
 * fixture before it skipped or failed.
 */
#define igt_fixture()							\
	for (volatile int __igt_compat_local(once) = 0;			\
	     __igt_compat_local(once) == 0 && __igt_fixture() &&	\
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0;			\
	     __igt_compat_local(once) = 1, __igt_fixture_complete())

/* igt_subtest("name") { ... }: runs when selected by --run-subtest. */
#define igt_subtest(name)						\
	for (; __igt_run_subtest((name), __FILE__, __LINE__) &&	\
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0;			\
	     igt_success())

#define __igt_compat_subtest_f(buf, fmt...)				\
	for (char buf[256];						\
	     snprintf(buf, sizeof(buf), fmt),				\
	     __igt_run_subtest(buf, __FILE__, __LINE__) &&		\
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0;			\
	     igt_success())
/* igt_subtest_f("fmt", ...) { ... }: a subtest with a printf-made name. */
#define igt_subtest_f(fmt...) \
	__igt_compat_subtest_f(__igt_compat_local(name), fmt)

/*
 * igt_subtest_with_dynamic("name") { ... igt_dynamic("x") { ... } ... }:
 * a subtest whose result is made of the dynamic subtests run inside it.
 * Its own body may skip but must not assert: only igt_dynamic blocks do.
 */
#define igt_subtest_with_dynamic(name)					\
	for (; __igt_run_subtest((name), __FILE__, __LINE__) &&	\
	       __igt_enter_dynamic_container() &&			\
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0;			\
	     igt_success())

#define __igt_compat_subtest_with_dynamic_f(buf, fmt...)		\
	for (char buf[256];						\
	     snprintf(buf, sizeof(buf), fmt),				\
	     __igt_run_subtest(buf, __FILE__, __LINE__) &&		\
	     __igt_enter_dynamic_container() &&				\
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0;			\
	     igt_success())
#define igt_subtest_with_dynamic_f(fmt...) \
	__igt_compat_subtest_with_dynamic_f(__igt_compat_local(name), fmt)

#define igt_dynamic(name)						\
	for (; __igt_run_dynamic_subtest(name) &&			\
	       sigsetjmp(igt_dynamic_jmpbuf, 1) == 0;			\
	     igt_success())

#define __igt_compat_dynamic_f(buf, fmt...)				\
	for (char buf[256];						\
	     snprintf(buf, sizeof(buf), fmt),				\
	     __igt_run_dynamic_subtest(buf) &&				\
	     sigsetjmp(igt_dynamic_jmpbuf, 1) == 0;			\
	     igt_success())
#define igt_dynamic_f(fmt...) \
	__igt_compat_dynamic_f(__igt_compat_local(name), fmt)

/*
 * igt_subtest_group() { ... }: fixtures and subtests whose set-up skips or
 * fails only the subtests of the group.
 */
#define igt_subtest_group()						\
	for (int __igt_compat_local(once) = 0,				\
	     __igt_compat_local(save) = 0,				\
	     __igt_compat_local(desc) = 0;				\
	     __igt_compat_local(once) == 0 &&				\
	     (__igt_subtest_group_save(&__igt_compat_local(save),	\
				       &__igt_compat_local(desc)), 1);	\
	     __igt_compat_local(once) = 1,				\
	     __igt_subtest_group_restore(__igt_compat_local(save),	\
					 __igt_compat_local(desc)))

const char *igt_test_name(void);
const char *igt_subtest_name(void);
const char *igt_dynamic_subtest_name(void);
bool igt_only_list_subtests(void);
bool igt_can_fail(void);

/* ---- skips ---------------------------------------------------------------- */

__attribute__((noreturn, format(printf, 1, 2)))
void igt_skip(const char *fmt, ...);
__attribute__((noreturn, format(printf, 5, 6)))
void __igt_skip_check(const char *file, const int line, const char *func,
		      const char *check, const char *fmt, ...);

/* Skip unless @cond holds; the _f forms add a printf-made reason. */
#define igt_require(cond)						\
	do {								\
		if (!(cond))						\
			__igt_skip_check(__FILE__, __LINE__, __func__,	\
					 #cond, NULL);			\
	} while (0)
#define igt_require_f(cond, fmt...)					\
	do {								\
		if (!(cond))						\
			__igt_skip_check(__FILE__, __LINE__, __func__,	\
					 #cond, fmt);			\
	} while (0)
#define igt_skip_on(cond)						\
	do {								\
		if (cond)						\
			__igt_skip_check(__FILE__, __LINE__, __func__,	\
					 "!(" #cond ")", NULL);		\
	} while (0)
#define igt_skip_on_f(cond, fmt...)					\
	do {								\
		if (cond)						\
			__igt_skip_check(__FILE__, __LINE__, __func__,	\
					 "!(" #cond ")", fmt);		\
	} while (0)
#define igt_require_fd(fd) \
	igt_require_f((fd) >= 0, "file descriptor " #fd " failed\n")

/* ---- failures ------------------------------------------------------------- */

__attribute__((noreturn)) void igt_fail(int exitcode);
__attribute__((noreturn, format(printf, 6, 7)))
void __igt_fail_assert(const char *domain, const char *file, const int line,
		       const char *func, const char *assertion,
		       const char *fmt, ...);

#define igt_assert(cond)						\
	do {								\
		if (!(cond))						\
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__,	\
					  __LINE__, __func__, #cond,	\
					  NULL);			\
	} while (0)
#define igt_assert_f(cond, fmt...)					\
	do {								\
		if (!(cond))						\
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__,	\
					  __LINE__, __func__, #cond,	\
					  fmt);				\
	} while (0)
#define igt_fail_on(cond)		igt_assert(!(cond))
#define igt_fail_on_f(cond, fmt...)	igt_assert_f(!(cond), fmt)

/*
 * Comparisons that print both values on failure.  @type is the type both
 * sides are converted to, @pfmt how a value is printed, @op the comparison
 * and @nop its negation (for the message).
 */
#define __igt_compat_assert_cmp(type, pfmt, a, op, nop, b)		\
	do {								\
		type __igt_compat_a = (a), __igt_compat_b = (b);	\
		if (!(__igt_compat_a op __igt_compat_b))		\
			__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__,	\
					  __LINE__, __func__,		\
					  #a " " #op " " #b,		\
					  "error: " pfmt " " #nop " "	\
					  pfmt "\n", __igt_compat_a,	\
					  __igt_compat_b);		\
	} while (0)

#define igt_assert_cmpint(a, op, nop, b) \
	__igt_compat_assert_cmp(int, "%d", a, op, nop, b)
#define igt_assert_cmpuint(a, op, nop, b) \
	__igt_compat_assert_cmp(uint32_t, "%#x", a, op, nop, b)
#define igt_assert_cmps64(a, op, nop, b) \
	__igt_compat_assert_cmp(long long, "%lld", a, op, nop, b)
#define igt_assert_cmpu64(a, op, nop, b) \
	__igt_compat_assert_cmp(unsigned long long, "%#llx", a, op, nop, b)

#define igt_assert_eq(a, b)		igt_assert_cmpint(a, ==, !=, b)
#define igt_assert_neq(a, b)		igt_assert_cmpint(a, !=, ==, b)
#define igt_assert_lt(a, b)		igt_assert_cmpint(a, <, >=, b)
#define igt_assert_lte(a, b)		igt_assert_cmpint(a, <=, >, b)
#define igt_assert_eq_u32(a, b)		igt_assert_cmpuint(a, ==, !=, b)
#define igt_assert_neq_u32(a, b)	igt_assert_cmpuint(a, !=, ==, b)
#define igt_assert_eq_s64(a, b)		igt_assert_cmps64(a, ==, !=, b)
#define igt_assert_eq_u64(a, b)		igt_assert_cmpu64(a, ==, !=, b)
#define igt_assert_neq_u64(a, b)	igt_assert_cmpu64(a, !=, ==, b)
#define igt_assert_lt_u64(a, b)		igt_assert_cmpu64(a, <, >=, b)
#define igt_assert_lte_u64(a, b)	igt_assert_cmpu64(a, <=, >, b)
#define igt_assert_fd(fd) \
	igt_assert_f((fd) >= 0, "file descriptor " #fd " failed\n")

/* ---- logging -------------------------------------------------------------- */

enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,		/* a warning turns a passing subtest into "warn" */
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

extern enum igt_log_level igt_log_level;

__attribute__((format(printf, 3, 4)))
void igt_log(const char *domain, enum igt_log_level level,
	     const char *fmt, ...);
__attribute__((format(printf, 3, 0)))
void igt_vlog(const char *domain, enum igt_log_level level,
	      const char *fmt, va_list args);
/* Writes "[IGT] ..." into the kernel log; @fmt starts with a KERN_ level. */
__attribute__((format(printf, 1, 2)))
void igt_kmsg(const char *fmt, ...);
/*
 * Tells igt_runner that from now on kernel messages matching @regex (GLib
 * regex syntax) are expected from this test: they do not make it
 * dmesg-warn or dmesg-fail.  For a negative test that provokes a driver's
 * warning on purpose.
 */
void igt_emit_ignore_dmesg_regex(const char *regex);

#define igt_debug(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, fmt)
#define igt_info(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, fmt)
#define igt_warn(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, fmt)
#define igt_critical(fmt...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_CRITICAL, fmt)

/* ---- time and exit handlers ----------------------------------------------- */

/* SIGALRM the test after @seconds (0 disarms); @op names what timed out. */
void igt_set_timeout(unsigned int seconds, const char *op);
void igt_reset_timeout(void);
int igt_gettime(struct timespec *ts);
uint64_t igt_nsec_elapsed(struct timespec *start);

typedef void (*igt_exit_handler_t)(int sig);
/* Runs @fn at exit, also when the test dies of a signal (@sig then set). */
void igt_install_exit_handler(igt_exit_handler_t fn);

/* ---- child processes ------------------------------------------------------ */

bool __igt_fork(void);
/* igt_fork(i, n) { ... }: run the block in @n children, numbered @i. */
#define igt_fork(child, num_children)					\
	for (int child = 0; child < (num_children); child++)		\
		for (; __igt_fork(); exit(0))
/* Waits for igt_fork() children; fails the test if one failed. */
void igt_waitchildren(void);
int __igt_waitchildren(void);
void igt_waitchildren_timeout(int seconds, const char *reason);
void igt_kill_children(int signal);

int igt_system(const char *command);
int igt_system_quiet(const char *command);

#endif /* P2PBUF_COMPAT_IGT_CORE_H */
