// SPDX-License-Identifier: GPL-2.0
/*
 * igt_summary - one line per IGT subtest from igt_runner's results.json
 *
 *   igt_summary [-a REGEX]... RESULTS_JSON [REQUESTED]
 *
 * prints, for every subtest and dynamic subtest in RESULTS_JSON,
 *
 *   <binary>@<subtest>[@<dynamic>] TAB <pass|fail|skip> TAB <reason>
 *
 * A skip's reason is the message the test skipped with; a failure's is its
 * first failed assertion, or what igt_runner saw (crash, timeout, a kernel
 * warning in dmesg, ...).  Only "pass" passes and only "skip" skips: every
 * other runner verdict (warn, dmesg-warn, crash, timeout, incomplete,
 * abort, notrun, ...) is a failure.  REQUESTED, the runner's test list
 * ("igt@binary@subtest" lines), makes every requested subtest that has no
 * result a failure too.
 *
 * -a REGEX (POSIX extended, repeatable) names kernel messages that do not
 * fail a subtest: a dmesg-warn or dmesg-fail verdict all of whose flagged
 * messages (the runner's "dmesg-warnings") match one is replaced by the
 * verdict the subtest itself gave.
 *
 * The test bed's guest has no python: this is a small self-contained JSON
 * reader.  Exit status 0 when the summary was written, 1 when RESULTS_JSON
 * cannot be read or parsed, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH	64
#define MAX_REASON	300
#define MAX_ALLOW	64

/* Kernel messages that do not fail a subtest (-a). */
static regex_t allow[MAX_ALLOW];
static int nr_allow;

/* ---- a minimal JSON reader (RFC 8259) ------------------------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	char *str;		/* J_STR: decoded text; J_NUM, J_BOOL: literal */
	size_t n;		/* J_ARR, J_OBJ: number of members */
	char **keys;		/* J_OBJ: member names */
	struct jval *items;	/* J_ARR, J_OBJ: members */
};

struct parser {
	const char *p, *end;
	const char *err;
};

static void *xrealloc(void *ptr, size_t size)
{
	ptr = realloc(ptr, size ? size : 1);
	if (!ptr) {
		fprintf(stderr, "igt_summary: out of memory\n");
		exit(1);
	}
	return ptr;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool fail(struct parser *ps, const char *why)
{
	if (!ps->err)
		ps->err = why;
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool read_hex4(struct parser *ps, unsigned int *cp)
{
	int i, v;

	if (ps->end - ps->p < 4)
		return fail(ps, "short \\u escape");
	*cp = 0;
	for (i = 0; i < 4; i++) {
		v = hexval(ps->p[i]);
		if (v < 0)
			return fail(ps, "bad \\u escape");
		*cp = *cp << 4 | v;
	}
	ps->p += 4;
	return true;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* The one-character escapes of JSON strings and what they stand for. */
static const char simple_escapes[] = "\"\\/bfnrt";
static const char simple_values[] = "\"\\/\b\f\n\r\t";

/* At the opening quote; decodes into a new string (never longer). */
static bool parse_string(struct parser *ps, char **out)
{
	const char *start = ++ps->p, *esc;
	unsigned int cp, lo;
	char *s;
	size_t len = 0;

	while (ps->p < ps->end && *ps->p != '"')
		ps->p += *ps->p == '\\' ? 2 : 1;
	if (ps->p >= ps->end)
		return fail(ps, "unterminated string");
	s = xrealloc(NULL, ps->p - start + 1);
	ps->p = start;
	while (*ps->p != '"') {
		if (*ps->p != '\\') {
			s[len++] = *ps->p++;
			continue;
		}
		ps->p++;
		esc = strchr(simple_escapes, *ps->p);
		if (esc && *esc) {
			s[len++] = simple_values[esc - simple_escapes];
			ps->p++;
			continue;
		}
		switch (*ps->p++) {
		case 'u':
			if (!read_hex4(ps, &cp))
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 &&
			    ps->p[0] == '\\' && ps->p[1] == 'u') {
				ps->p += 2;
				if (!read_hex4(ps, &lo))
					goto bad;
				if (lo >= 0xdc00 && lo < 0xe000)
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				else
					cp = 0xfffd;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			/* \u0000 would cut the C string: show it as a space. */
			len += put_utf8(s + len, cp ? cp : ' ');
			break;
		default:
			fail(ps, "bad escape");
			goto bad;
		}
	}
	ps->p++;
	s[len] = '\0';
	*out = s;
	return true;
bad:
	free(s);
	return false;
}

static bool parse_value(struct parser *ps, struct jval *v, int depth);

static bool parse_members(struct parser *ps, struct jval *v, int depth,
			  bool object)
{
	char close = object ? '}' : ']';
	size_t cap = 0;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return true;
	}
	for (;;) {
		if (v->n == cap) {
			cap = cap ? 2 * cap : 8;
			v->items = xrealloc(v->items, cap * sizeof(*v->items));
			if (object)
				v->keys = xrealloc(v->keys, cap * sizeof(*v->keys));
		}
		if (object) {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a member name");
			if (!parse_string(ps, &v->keys[v->n]))
				return false;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(v->keys[v->n]);
				return fail(ps, "expected ':'");
			}
			ps->p++;
		}
		if (!parse_value(ps, &v->items[v->n], depth + 1)) {
			if (object)
				free(v->keys[v->n]);
			return false;
		}
		v->n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return true;
		}
		return fail(ps, object ? "expected ',' or '}'" :
				 "expected ',' or ']'");
	}
}

static bool parse_literal(struct parser *ps, struct jval *v)
{
	const char *start = ps->p;

	while (ps->p < ps->end && !strchr(" \t\r\n,]}", *ps->p))
		ps->p++;
	if (ps->p == start)
		return fail(ps, "expected a value");
	v->str = strndup(start, ps->p - start);
	if (!v->str)
		return fail(ps, "out of memory");
	if (!strcmp(v->str, "null"))
		v->type = J_NULL;
	else if (!strcmp(v->str, "true") || !strcmp(v->str, "false"))
		v->type = J_BOOL;
	else if (strchr("-0123456789", v->str[0]))
		v->type = J_NUM;
	else
		return fail(ps, "bad literal");
	return true;
}

static bool parse_value(struct parser *ps, struct jval *v, int depth)
{
	memset(v, 0, sizeof(*v));
	if (depth > MAX_DEPTH)
		return fail(ps, "nested too deeply");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end");
	switch (*ps->p) {
	case '"':
		v->type = J_STR;
		return parse_string(ps, &v->str);
	case '{':
		v->type = J_OBJ;
		return parse_members(ps, v, depth, true);
	case '[':
		v->type = J_ARR;
		return parse_members(ps, v, depth, false);
	default:
		return parse_literal(ps, v);
	}
}

static const struct jval *obj_get(const struct jval *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

static const char *obj_str(const struct jval *obj, const char *key)
{
	const struct jval *v = obj_get(obj, key);

	return v && v->type == J_STR ? v->str : "";
}

/* ---- reasons ------------------------------------------------------------- */

struct reason {
	char text[MAX_REASON + 1];
	size_t len;
};

/*
 * Append @pfx (only when @r is not empty) and up to @n bytes of @s: tabs
 * and line breaks become spaces, runs of spaces one, no trailing space.
 */
static void reason_add_pfx(struct reason *r, const char *pfx, const char *s,
			   size_t n)
{
	size_t old = r->len, text;
	const char *p;

	if (r->len && pfx)
		for (p = pfx; *p && r->len < MAX_REASON; p++)
			r->text[r->len++] = *p;
	text = r->len;
	for (; n && *s && r->len < MAX_REASON; s++, n--) {
		char c = *s;

		if (c == '\t' || c == '\n' || c == '\r')
			c = ' ';
		if (c == ' ' && (r->len == text || r->text[r->len - 1] == ' '))
			continue;
		r->text[r->len++] = c;
	}
	while (r->len > text && r->text[r->len - 1] == ' ')
		r->len--;
	if (r->len == text)	/* nothing added: no prefix either */
		r->len = old;
	r->text[r->len] = '\0';
}

static void reason_add(struct reason *r, const char *s, size_t n)
{
	reason_add_pfx(r, NULL, s, n);
}

static void __attribute__((format(printf, 2, 3)))
reason_addf(struct reason *r, const char *fmt, ...)
{
	char buf[MAX_REASON + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reason_add(r, buf, sizeof(buf));
}

/* The lines of a text: line i is [start[i], start[i] + len[i]). */
struct lines {
	const char **start;
	size_t *len;
	size_t n;
};

static void split_lines(const char *text, struct lines *l)
{
	size_t cap = 0;
	const char *end;

	l->n = 0;
	l->start = NULL;
	l->len = NULL;
	while (*text) {
		end = strchr(text, '\n');
		if (!end)
			end = text + strlen(text);
		if (l->n == cap) {
			cap = cap ? 2 * cap : 64;
			l->start = xrealloc(l->start, cap * sizeof(*l->start));
			l->len = xrealloc(l->len, cap * sizeof(*l->len));
		}
		l->start[l->n] = text;
		l->len[l->n++] = end - text;
		text = *end ? end + 1 : end;
	}
}

static void free_lines(struct lines *l)
{
	free(l->start);
	free(l->len);
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	return len >= plen && !strncmp(s, prefix, plen);
}

/* Whether line [s, s + len) contains @needle. */
static bool contains(const char *s, size_t len, const char *needle)
{
	size_t nlen = strlen(needle);

	for (; len >= nlen; s++, len--)
		if (!strncmp(s, needle, nlen))
			return true;
	return false;
}

/* A result line of libigt: "Subtest X: SKIP (...)", "Dynamic subtest ...". */
static bool is_result_line(const char *s, size_t len)
{
	return starts(s, len, "Subtest ") || starts(s, len, "Dynamic subtest ");
}

static bool is_start_line(const char *s, size_t len)
{
	return starts(s, len, "Starting subtest: ") ||
	       starts(s, len, "Starting dynamic subtest: ");
}

/*
 * igt_require() and friends print
 *   Test requirement not met in function F, file FILE:LINE:
 *   Test requirement: EXPRESSION
 *   [the _f variants' message]
 *   Last errno: N, TEXT
 * Find such a block in lines [from, to) and add its message to @r, or the
 * expression and function when there is no message.
 */
static bool requirement_reason(const struct lines *l, size_t from, size_t to,
			       struct reason *r)
{
	struct reason msg = { .len = 0 };
	const char *fn = NULL, *t;
	size_t i, k, fnlen = 0;

	for (i = from; i < to; i++) {
		if (starts(l->start[i], l->len[i], "Test requirement not met in function ")) {
			fn = l->start[i] + strlen("Test requirement not met in function ");
			fnlen = l->len[i] - strlen("Test requirement not met in function ");
			t = memchr(fn, ',', fnlen);
			if (t)
				fnlen = t - fn;
			continue;
		}
		if (!starts(l->start[i], l->len[i], "Test requirement: "))
			continue;
		for (k = i + 1; k < to; k++) {
			if (starts(l->start[k], l->len[k], "Last errno: ") ||
			    starts(l->start[k], l->len[k], "Test requirement not met") ||
			    is_result_line(l->start[k], l->len[k]))
				break;
			reason_add_pfx(&msg, " ", l->start[k], l->len[k]);
		}
		if (!msg.len) {
			reason_add(&msg, l->start[i], l->len[i]);
			if (fn) {
				reason_add_pfx(&msg, " in ", fn, fnlen);
				reason_add(&msg, "()", 2);
			}
		}
		reason_add_pfx(r, " ", msg.text, msg.len);
		return true;
	}
	return false;
}

/*
 * The message a subtest skipped with, from its stdout: the requirement
 * block or igt_skip()'s message printed just before the first "Subtest X:
 * SKIP" or "Dynamic subtest X: SKIP" line (a fixture's skip is printed
 * before the subtests it skips).  The first: the output of a container's
 * last dynamic subtest goes on with the container's own result, and a
 * container whose dynamic subtests all skipped is best explained by the
 * first one's reason.  When that says nothing (a dynamic container that
 * ran no dynamic subtest), a requirement printed after the result line
 * explains it.
 */
static void skip_reason(const char *out, struct reason *r)
{
	struct lines l;
	size_t i, skip_at, from, to;
	bool found = false;

	split_lines(out, &l);
	for (i = 0; i < l.n; i++) {
		if (is_result_line(l.start[i], l.len[i]) &&
		    contains(l.start[i], l.len[i], ": SKIP")) {
			found = true;
			break;
		}
	}
	skip_at = found ? i : l.n;
	/* The skip's own lines start after the previous start/result line. */
	for (from = skip_at; from > 0; from--)
		if (is_start_line(l.start[from - 1], l.len[from - 1]) ||
		    is_result_line(l.start[from - 1], l.len[from - 1]))
			break;
	if (requirement_reason(&l, from, skip_at, r))
		goto out;

	/* igt_skip(): the last line printed before the result line. */
	for (i = skip_at; i-- > from;) {
		if (!l.len[i] || starts(l.start[i], l.len[i], "Last errno: "))
			continue;
		reason_add(r, l.start[i], l.len[i]);
		break;
	}
	if (!found || (r->len && strcmp(r->text, "No dynamic tests executed.")))
		goto out;
	for (to = skip_at + 1; to < l.n; to++)
		if (is_start_line(l.start[to], l.len[to]) ||
		    is_result_line(l.start[to], l.len[to]))
			break;
	requirement_reason(&l, skip_at + 1, to, r);
out:
	free_lines(&l);
}

/* Strip the "[time] (binary:pid) LEVEL: " prefix of a libigt log line. */
static const char *log_text(const char *s, size_t len, const char *level,
			    size_t *tlen)
{
	const char *p;
	size_t llen = strlen(level);

	for (p = s; p + llen <= s + len; p++) {
		if (!strncmp(p, level, llen)) {
			*tlen = len - (p + llen - s);
			return p + llen;
		}
	}
	return NULL;
}

/*
 * The first failed assertion in a subtest's stderr, with the message that
 * follows it:
 *   (binary:pid) CRITICAL: Test assertion failure function F, file FILE:LINE:
 *   (binary:pid) CRITICAL: Failed assertion: EXPRESSION
 *   (binary:pid) CRITICAL: Last errno: N, TEXT
 *   (binary:pid) CRITICAL: MESSAGE or "error: A != B"
 */
static bool fail_reason(const char *err, struct reason *r)
{
	const char *t, *where = NULL;
	size_t i, k, tlen, wlen = 0;
	struct lines l;
	bool found = false;

	split_lines(err, &l);
	for (i = 0; i < l.n && !found; i++) {
		t = log_text(l.start[i], l.len[i], "CRITICAL: ", &tlen);
		if (!t)
			continue;
		if (starts(t, tlen, "Test assertion failure function ")) {
			where = t + strlen("Test assertion failure function ");
			wlen = tlen - strlen("Test assertion failure function ");
			continue;
		}
		if (!starts(t, tlen, "Failed assertion: "))
			continue;
		found = true;
		reason_add(r, t, tlen);
		for (k = i + 1; k < l.n; k++) {
			t = log_text(l.start[k], l.len[k], "CRITICAL: ", &tlen);
			if (!t)
				break;
			if (starts(t, tlen, "Last errno: "))
				continue;
			reason_add_pfx(r, " -- ", t, tlen);
			break;
		}
		if (where) {
			/* "F, file FILE:LINE:" -> "FILE:LINE" */
			t = log_text(where, wlen, "file ", &tlen);
			if (t && tlen && t[tlen - 1] == ':')
				tlen--;
			reason_add_pfx(r, " (", t ? t : where, t ? tlen : wlen);
			reason_add(r, ")", 1);
		}
	}
	free_lines(&l);
	return found;
}

/* The first line of @text containing one of @needles (NULL-terminated). */
static bool first_line_with(const char *text, const char *const *needles,
			    struct reason *r)
{
	struct lines l;
	size_t i, k;

	split_lines(text, &l);
	for (i = 0; i < l.n; i++) {
		for (k = 0; needles[k]; k++) {
			if (contains(l.start[i], l.len[i], needles[k])) {
				reason_add(r, l.start[i], l.len[i]);
				free_lines(&l);
				return true;
			}
		}
	}
	free_lines(&l);
	return false;
}

/* The first igt_warn() message: "[time] (binary:pid) WARNING: TEXT". */
static bool warn_reason(const char *err, struct reason *r)
{
	bool found = false;
	struct lines l;
	const char *t;
	size_t i, tlen;

	split_lines(err, &l);
	for (i = 0; i < l.n && !found; i++) {
		t = log_text(l.start[i], l.len[i], "WARNING: ", &tlen);
		if (t) {
			reason_add(r, t, tlen);
			found = true;
		}
	}
	free_lines(&l);
	return found;
}

/* How many lines of a kernel report make a failure's reason. */
#define REPORT_LINES	3

/* The text of kernel log line @s ("<level> [time] text"), @end its end. */
static const char *log_body(const char *s, const char *end)
{
	if (s < end && *s == '<')
		while (s < end && *s++ != '>')
			;
	while (s < end && *s == ' ')
		s++;
	if (s < end && *s == '[')
		while (s < end && *s++ != ']')
			;
	while (s < end && *s == ' ')
		s++;
	return s;
}

/*
 * Whether kernel log line @s (@n bytes) is a report's frame, not its
 * content: a blank line, KASAN's and lockdep's "=====..." rules, WARN's
 * "------------[ cut here ]------------".
 */
static bool frame_line(const char *s, size_t n)
{
	const char *end = s + n, *p = log_body(s, end);

	if (memmem(p, end - p, "[ cut here ]", 12))
		return true;
	while (p < end && (*p == '=' || *p == '-'))
		p++;
	return p == end;
}

/*
 * Add line @s to @r if it is a report's content and @r holds fewer than
 * REPORT_LINES of them (@shown); a frame line only when nothing else is
 * there (@frame: whether @r holds one).
 */
static void report_add(struct reason *r, const char *s, size_t n,
		       int *shown, bool *frame)
{
	if (frame_line(s, n)) {
		if (!*shown && !*frame) {
			reason_add(r, s, n);
			*frame = true;
		}
		return;
	}
	if (*shown >= REPORT_LINES)
		return;
	if (*frame) {
		r->len = 0;
		*frame = false;
	}
	if (*shown) {	/* the first line's level and time are enough */
		const char *body = log_body(s, s + n);

		n -= body - s;
		s = body;
	}
	reason_add_pfx(r, " | ", s, n);
	(*shown)++;
}

/*
 * The first lines of the kernel's first report at warning level or worse
 * ("<0>" to "<4>"), its frame lines left out.
 */
static bool dmesg_reason(const char *dmesg, struct reason *r)
{
	static const char *const levels[] = { "<0>", "<1>", "<2>", "<3>", "<4>",
					      NULL };
	bool frame = false;
	struct lines l;
	int shown = 0;
	size_t i, k;

	split_lines(dmesg, &l);
	for (i = 0; i < l.n && shown < REPORT_LINES; i++)
		for (k = 0; levels[k]; k++)
			if (starts(l.start[i], l.len[i], levels[k])) {
				report_add(r, l.start[i], l.len[i], &shown,
					   &frame);
				break;
			}
	free_lines(&l);
	return shown || frame;
}

/*
 * Whether every kernel message the runner flagged matches an -a pattern;
 * if not, the first REPORT_LINES that do not (frame lines left out) go to
 * @r.
 */
static bool dmesg_allowed(const struct jval *t, struct reason *r)
{
	const struct jval *w = obj_get(t, "dmesg-warnings");
	bool ok = true, frame = false;
	struct lines l;
	int shown = 0;
	size_t i;
	int k;

	if (!w || w->type != J_STR || !w->str[0])
		return false;
	split_lines(w->str, &l);
	for (i = 0; i < l.n && shown < REPORT_LINES; i++) {
		char *line = strndup(l.start[i], l.len[i]);

		if (!line) {
			ok = false;
			break;
		}
		if (*line) {
			for (k = 0; k < nr_allow; k++)
				if (!regexec(&allow[k], line, 0, NULL, 0))
					break;
			if (k == nr_allow) {
				report_add(r, line, l.len[i], &shown, &frame);
				ok = false;
			}
		}
		free(line);
	}
	free_lines(&l);
	return ok;
}

/* ---- main ---------------------------------------------------------------- */

static const char *verdict(const struct jval *t, struct reason *r)
{
	static const char *const crash_lines[] = { "Received signal", NULL };
	const char *result = obj_str(t, "result");
	const char *out = obj_str(t, "out");
	const char *err = obj_str(t, "err");
	const char *dmesg = obj_str(t, "dmesg");
	struct reason sub = { .len = 0 };

	if (!strcmp(result, "pass"))
		return "pass";
	if (!strcmp(result, "skip")) {
		skip_reason(out, r);
		if (!r->len)
			reason_add(r, "skipped without a message", MAX_REASON);
		return "skip";
	}
	if (!strcmp(result, "fail")) {
		if (!fail_reason(err, r))
			reason_add(r, "failed without an assertion message (see igt/)",
				   MAX_REASON);
		return "fail";
	}

	if (!strcmp(result, "dmesg-warn") || !strcmp(result, "dmesg-fail")) {
		/* Only allowed messages: the subtest's own verdict stands. */
		if (dmesg_allowed(t, &sub)) {
			if (!strcmp(result, "dmesg-fail")) {
				if (!fail_reason(err, r))
					reason_add(r, "failed without an assertion message (see igt/)",
						   MAX_REASON);
				return "fail";
			}
			if (!warn_reason(err, &sub))
				return "pass";
			reason_addf(r, "warn: %s", sub.text);
			return "fail";
		}
		if (!sub.len)
			dmesg_reason(dmesg, &sub);
		reason_addf(r, "%s: %s", result, sub.len ? sub.text : "(see igt/)");
		sub.len = 0;
		if (!strcmp(result, "dmesg-fail") && fail_reason(err, &sub))
			reason_addf(r, "; %s", sub.text);
		return "fail";
	}

	/* Everything else fails: say what the runner saw, then any detail. */
	reason_addf(r, "%s", result[0] ? result : "no result");
	if (!strcmp(result, "crash")) {
		if (first_line_with(out, crash_lines, &sub) ||
		    first_line_with(err, crash_lines, &sub) ||
		    fail_reason(err, &sub))
			reason_addf(r, ": %s", sub.text);
	} else if (!strcmp(result, "warn")) {
		if (warn_reason(err, &sub))
			reason_addf(r, ": %s", sub.text);
	} else if (fail_reason(err, &sub)) {
		reason_addf(r, ": %s", sub.text);
	}
	return "fail";
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n;
	char *buf;

	if (!f)
		return NULL;
	buf = xrealloc(NULL, cap);
	*len = 0;
	while ((n = fread(buf + *len, 1, cap - *len - 1, f)) > 0) {
		*len += n;
		if (cap - *len - 1 == 0) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* Whether requested "igt@binary@subtest" (or "igt@binary") has a result. */
static bool has_result(const struct jval *tests, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < tests->n; i++) {
		const char *k = tests->keys[i];

		if (!strncmp(k, name, len) && (k[len] == '\0' || k[len] == '@'))
			return true;
	}
	return false;
}

static void missing_results(const struct jval *tests, const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "igt_summary: %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#' || has_result(tests, line))
			continue;
		printf("%s\tfail\t%s\n", strncmp(line, "igt@", 4) ? line : line + 4,
		       "no result: igt_runner stopped before it ran (see igt/ and the console log)");
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct parser ps = { 0 };
	const struct jval *tests;
	struct jval root;
	const char *json, *requested;
	size_t len, i;
	char *text;
	int opt;

	while ((opt = getopt(argc, argv, "a:")) != -1) {
		if (opt != 'a' || nr_allow == MAX_ALLOW)
			goto usage;
		if (regcomp(&allow[nr_allow], optarg, REG_EXTENDED | REG_NOSUB)) {
			fprintf(stderr, "igt_summary: bad regex '%s'\n", optarg);
			return 2;
		}
		nr_allow++;
	}
	if (argc - optind < 1 || argc - optind > 2)
		goto usage;
	json = argv[optind];
	requested = argv[optind + 1];

	text = read_all(json, &len);
	if (!text) {
		fprintf(stderr, "igt_summary: %s: %s\n", json, strerror(errno));
		return 1;
	}
	ps.p = text;
	ps.end = text + len;
	if (!parse_value(&ps, &root, 0)) {
		fprintf(stderr, "igt_summary: %s: %s at byte %td\n", json,
			ps.err ? ps.err : "parse error", ps.p - text);
		return 1;
	}
	tests = obj_get(&root, "tests");
	if (!tests || tests->type != J_OBJ) {
		fprintf(stderr, "igt_summary: %s: no \"tests\" object\n", json);
		return 1;
	}
	for (i = 0; i < tests->n; i++) {
		const char *name = tests->keys[i];
		struct reason r = { .len = 0 };
		const char *status = verdict(&tests->items[i], &r);

		if (!strncmp(name, "igt@", 4))
			name += 4;
		printf("%s\t%s\t%s\n", name, status, r.text);
	}
	if (requested)
		missing_results(tests, requested);
	/* The process exits here: the tree is not worth freeing. */
	return fflush(stdout) ? 1 : 0;
usage:
	fprintf(stderr, "usage: igt_summary [-a REGEX]... RESULTS_JSON [REQUESTED]\n");
	return 2;
}
