/*
 * pycfg.c: evaluate the Python subset of domain configuration files.
 *
 * A hand-written lexer and recursive-descent evaluator: 'name = expr'
 * statements, strings, numbers, lists, tuples, + - * / // %, '%'
 * formatting, str() and int().  Anything else is refused with file:line
 * and the construct, never half-understood.  Every size is bounded (input,
 * strings, lists, nesting, total value size) so arbitrary bytes cannot
 * crash or exhaust the caller.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "pycfg.h"

#define PYCFG_MAX_INPUT	(1024 * 1024)	/* bytes of config text */
#define PYCFG_MAX_DEPTH	64		/* expression and value nesting */
#define PYCFG_MAX_STR	65536		/* bytes in one string */
#define PYCFG_MAX_LIST	4096		/* items in one list or tuple */
#define PYCFG_MAX_VARS	4096		/* variables in one file */
#define PYCFG_MAX_NAME	256		/* bytes in one name */
#define PYCFG_MAX_COST	(4 * 1024 * 1024)	/* expanded size of a value */
#define PYCFG_MAX_TOTAL	(16 * 1024 * 1024)	/* ... of all variables */
#define PYCFG_MAX_WORK	(16 * 1024 * 1024)	/* bytes made or scanned */
#define PYCFG_COST_NODE	16


enum tok_type { T_EOF, T_NEWLINE, T_NAME, T_INT, T_FLOAT, T_STR, T_OP };

struct tok {
	enum tok_type	 type;
	int		 line;
	char		 text[24];	/* as written, for messages */
	char		*s;		/* T_NAME, T_STR (decoded) */
	size_t		 slen;
	long long	 ival;
	double		 fval;
};

/* A value being computed: the JSON plus what the bounds need. */
struct pv {
	json_t		*j;
	int		 tuple;		/* an array written as a tuple */
	int		 depth;		/* nesting of arrays, 0 for scalars */
	size_t		 cost;		/* expanded size, bounded */
};

struct var {
	char		*name;
	struct pv	 v;
	int		 line;
	int		 used;
	int		 override;
};

struct pycfg {
	const char	*p;
	const char	*end;
	const char	*file;
	int		 line;
	int		 depth;		/* open brackets: newlines do not count */
	int		 bol;		/* nothing on this logical line yet */
	int		 nest;		/* parser recursion */
	struct tok	 tok;
	struct tok	 la;
	int		 has_la;
	struct var	*vars;
	size_t		 nvars;
	json_t		*index;		/* name -> index into vars */
	size_t		 total;
	size_t		 work;
	char		*cause;
};

struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 size;
	int	 over;		/* went past PYCFG_MAX_STR */
};

enum kind { K_INT, K_REAL, K_STR, K_LIST, K_TUPLE, K_BOOL, K_NONE };

static int	expr(struct pycfg *, struct pv *);
static int	factor(struct pycfg *, struct pv *);
static void	repr_value(struct sbuf *, const json_t *, int);

static const char *const pycfg_stmt_keywords[] = {
	"assert", "async", "await", "break", "class", "continue", "def",
	"del", "elif", "else", "except", "exec", "finally", "for", "from",
	"global", "if", "import", "nonlocal", "pass", "print", "raise",
	"return", "try", "while", "with", "yield",
};
static const char *const pycfg_expr_keywords[] = {
	"and", "in", "is", "lambda", "not", "or",
};

static int
word_in(const char *w, const char *const *list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(w, list[i]) == 0)
			return (1);
	}
	return (0);
}

static int
is_stmt_keyword(const char *w)
{
	return (word_in(w, pycfg_stmt_keywords, nitems(pycfg_stmt_keywords)));
}

static int
is_keyword(const char *w)
{
	return (is_stmt_keyword(w) || word_in(w, pycfg_expr_keywords,
	    nitems(pycfg_expr_keywords)) || strcmp(w, "True") == 0 ||
	    strcmp(w, "False") == 0 || strcmp(w, "None") == 0);
}

static int
is_alpha(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_');
}

static int
is_digit(int c)
{
	return (c >= '0' && c <= '9');
}

static int
is_alnum(int c)
{
	return (is_alpha(c) || is_digit(c));
}

static int printflike(3, 4)
pc_error(struct pycfg *pc, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (pc->cause != NULL)
		return (-1);
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	pc->cause = xsprintf("%s:%d: %s", pc->file, line, msg);
	free(msg);
	return (-1);
}

/*
 * Counts work done for one evaluation, so that a legal but hostile file
 * (thousands of 64 KB string operations) cannot keep the caller busy.
 */
static int
pc_work(struct pycfg *pc, int line, size_t n)
{
	pc->work += n;
	if (pc->work > PYCFG_MAX_WORK)
		return (pc_error(pc, line, "configuration too complex to "
		    "evaluate"));
	return (0);
}

/* String buffers that refuse to grow past PYCFG_MAX_STR. */
static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->over || b->len + n > PYCFG_MAX_STR) {
		b->over = 1;
		return;
	}
	if (b->len + n + 1 > b->size) {
		while (b->len + n + 1 > b->size)
			b->size = b->size == 0 ? 64 : b->size * 2;
		b->s = xrealloc(b->s, b->size);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_addc(struct sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

static void
sb_adds(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_utf8(struct sbuf *b, unsigned long cp)
{
	char	 u[4];

	if (cp < 0x80) {
		sb_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		sb_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		sb_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		sb_add(b, u, 4);
	}
}

/* ---- values ---- */

static struct pv
pv_scalar(json_t *j)
{
	struct pv	 v = { j, 0, 0, PYCFG_COST_NODE };

	if (json_is_string(j))
		v.cost += json_string_length(j);
	return (v);
}

static void
pv_clear(struct pv *v)
{
	json_decref(v->j);
	memset(v, 0, sizeof *v);
}

static enum kind
pv_kind(const json_t *j, int tuple)
{
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		return (K_INT);
	case JSON_REAL:
		return (K_REAL);
	case JSON_STRING:
		return (K_STR);
	case JSON_ARRAY:
		return (tuple ? K_TUPLE : K_LIST);
	case JSON_TRUE:
	case JSON_FALSE:
		return (K_BOOL);
	default:
		return (K_NONE);
	}
}

static const char *
kind_name(enum kind k)
{
	static const char *const names[] = {
		"int", "float", "str", "list", "tuple", "bool", "NoneType"
	};

	return (names[k]);
}

static const char *
pv_type(const struct pv *v)
{
	return (kind_name(pv_kind(v->j, v->tuple)));
}

/* A new string value; NULL bytes and bad UTF-8 are refused. */
static int
make_string(struct pycfg *pc, int line, const char *s, size_t len,
    struct pv *out)
{
	json_t	*j;

	if (len > PYCFG_MAX_STR)
		return (pc_error(pc, line, "string too long (more than %d "
		    "bytes)", PYCFG_MAX_STR));
	if (pc_work(pc, line, len) != 0)
		return (-1);
	if (memchr(s, '\0', len) != NULL)
		return (pc_error(pc, line, "NUL character in string"));
	if ((j = json_stringn(s, len)) == NULL)
		return (pc_error(pc, line, "string is not valid UTF-8"));
	*out = pv_scalar(j);
	return (0);
}

static int
make_real(struct pycfg *pc, int line, double d, struct pv *out)
{
	if (!isfinite(d))
		return (pc_error(pc, line, "float overflow"));
	*out = pv_scalar(json_real(d));
	return (0);
}

/* Checks the bounds of an array about to be made from items. */
static int
check_array(struct pycfg *pc, int line, size_t n, int depth, size_t cost)
{
	if (n > PYCFG_MAX_LIST)
		return (pc_error(pc, line, "list too long (more than %d items)",
		    PYCFG_MAX_LIST));
	if (depth > PYCFG_MAX_DEPTH)
		return (pc_error(pc, line, "value nested too deeply"));
	if (cost > PYCFG_MAX_COST)
		return (pc_error(pc, line, "value too large"));
	return (0);
}

/* Python's repr() of a float: shortest form that reads back the same. */
static void
float_repr(double d, char *out, size_t len)
{
	char	 buf[64], digits[32];
	int	 p, ex, nd = 0, neg, i;
	char	*e, *q;

	if (d == 0) {
		snprintf(out, len, "%s", signbit(d) ? "-0.0" : "0.0");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*e", p - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	neg = buf[0] == '-';
	e = strchr(buf, 'e');
	ex = atoi(e + 1);
	for (q = buf + neg; q < e; q++) {
		if (is_digit((unsigned char)*q))
			digits[nd++] = *q;
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';

	if (ex >= -4 && ex < 16) {
		struct sbuf	 b = { NULL, 0, 0, 0 };

		if (neg)
			sb_addc(&b, '-');
		if (ex >= 0) {
			for (i = 0; i <= ex; i++)
				sb_addc(&b, i < nd ? digits[i] : '0');
			sb_addc(&b, '.');
			if (nd > ex + 1)
				sb_adds(&b, digits + ex + 1);
			else
				sb_addc(&b, '0');
		} else {
			sb_adds(&b, "0.");
			for (i = 0; i < -ex - 1; i++)
				sb_addc(&b, '0');
			sb_adds(&b, digits);
		}
		snprintf(out, len, "%s", b.s);
		free(b.s);
		return;
	}
	snprintf(out, len, "%s%c%s%se%c%02d", neg ? "-" : "", digits[0],
	    nd > 1 ? "." : "", digits + 1, ex < 0 ? '-' : '+',
	    ex < 0 ? -ex : ex);
}

static void
repr_string(struct sbuf *b, const char *s)
{
	char	 q = '\'', hex[8];

	if (strchr(s, '\'') != NULL && strchr(s, '"') == NULL)
		q = '"';
	sb_addc(b, q);
	for (; *s != '\0' && !b->over; s++) {
		if (*s == q || *s == '\\') {
			sb_addc(b, '\\');
			sb_addc(b, *s);
		} else if (*s == '\n')
			sb_adds(b, "\\n");
		else if (*s == '\r')
			sb_adds(b, "\\r");
		else if (*s == '\t')
			sb_adds(b, "\\t");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(hex, sizeof hex, "\\x%02x", (unsigned char)*s);
			sb_adds(b, hex);
		} else
			sb_addc(b, *s);
	}
	sb_addc(b, q);
}

/* str() (asrepr 0) or repr() (asrepr 1) of a value, as Python prints it. */
static void
repr_value(struct sbuf *b, const json_t *j, int asrepr)
{
	char	 num[64];
	size_t	 i;

	if (b->over)
		return;
	switch (json_typeof(j)) {
	case JSON_STRING:
		if (asrepr)
			repr_string(b, json_string_value(j));
		else
			sb_add(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%lld",
		    (long long)json_integer_value(j));
		sb_adds(b, num);
		break;
	case JSON_REAL:
		float_repr(json_real_value(j), num, sizeof num);
		sb_adds(b, num);
		break;
	case JSON_TRUE:
		sb_adds(b, "True");
		break;
	case JSON_FALSE:
		sb_adds(b, "False");
		break;
	case JSON_NULL:
		sb_adds(b, "None");
		break;
	case JSON_ARRAY:
		/* Nested tuples print as lists: the flag lives on top only. */
		sb_addc(b, '[');
		for (i = 0; i < json_array_size(j) && !b->over; i++) {
			if (i > 0)
				sb_adds(b, ", ");
			repr_value(b, json_array_get(j, i), 1);
		}
		sb_addc(b, ']');
		break;
	case JSON_OBJECT:
		sb_adds(b, "{}");
		break;
	}
}

static void
repr_pv(struct sbuf *b, const struct pv *v, int asrepr)
{
	size_t	 i, n;

	if (!v->tuple) {
		repr_value(b, v->j, asrepr);
		return;
	}
	n = json_array_size(v->j);
	sb_addc(b, '(');
	for (i = 0; i < n && !b->over; i++) {
		if (i > 0)
			sb_adds(b, ", ");
		repr_value(b, json_array_get(v->j, i), 1);
	}
	if (n == 1)
		sb_addc(b, ',');
	sb_addc(b, ')');
}

/* Numbers as long long or double; bool counts as int, as in Python. */
static int
pv_number(const struct pv *v, long long *iv, double *dv, int *isreal)
{
	switch (json_typeof(v->j)) {
	case JSON_INTEGER:
		*iv = json_integer_value(v->j);
		*dv = (double)*iv;
		*isreal = 0;
		return (0);
	case JSON_TRUE:
	case JSON_FALSE:
		*iv = json_is_true(v->j);
		*dv = (double)*iv;
		*isreal = 0;
		return (0);
	case JSON_REAL:
		*dv = json_real_value(v->j);
		*isreal = 1;
		return (0);
	default:
		return (-1);
	}
}

static int
pv_is_seq(const struct pv *v)
{
	return (json_is_string(v->j) || json_is_array(v->j));
}

static int
binop_error(struct pycfg *pc, int line, const char *op, const struct pv *a,
    const struct pv *b)
{
	return (pc_error(pc, line, "unsupported operand type(s) for %s: '%s' "
	    "and '%s'", op, pv_type(a), pv_type(b)));
}

/* seq * n for strings, lists and tuples. */
static int
repeat(struct pycfg *pc, int line, const struct pv *seq, long long n,
    struct pv *out)
{
	size_t		 len, i, cost;
	struct sbuf	 b = { NULL, 0, 0, 0 };
	json_t		*arr;

	if (n < 0 || (json_is_string(seq->j) ? json_string_length(seq->j) :
	    json_array_size(seq->j)) == 0)
		n = 0;
	if (json_is_string(seq->j)) {
		len = json_string_length(seq->j);
		if (len != 0 && (unsigned long long)n > PYCFG_MAX_STR / len)
			return (pc_error(pc, line, "string too long (more "
			    "than %d bytes)", PYCFG_MAX_STR));
		if (pc_work(pc, line, len * n) != 0)
			return (-1);
		sb_add(&b, "", 0);
		for (i = 0; i < (size_t)n; i++)
			sb_add(&b, json_string_value(seq->j), len);
		*out = pv_scalar(json_stringn_nocheck(b.s, b.len));
		free(b.s);
		return (0);
	}
	len = json_array_size(seq->j);
	if (len != 0 && (unsigned long long)n > PYCFG_MAX_LIST / len)
		return (check_array(pc, line, PYCFG_MAX_LIST + 1, 0, 0));
	cost = PYCFG_COST_NODE + (size_t)n * (seq->cost - PYCFG_COST_NODE);
	if (check_array(pc, line, len * n, seq->depth, cost) != 0 ||
	    pc_work(pc, line, len * n * PYCFG_COST_NODE) != 0)
		return (-1);
	arr = json_array();
	for (i = 0; i < (size_t)n; i++)
		json_array_extend(arr, seq->j);
	out->j = arr;
	out->tuple = seq->tuple;
	out->depth = seq->depth;
	out->cost = cost;
	return (0);
}

static int
int_divmod(struct pycfg *pc, int line, long long a, long long b, int wantmod,
    long long *out)
{
	long long	 q, m;

	if (b == 0)
		return (pc_error(pc, line, "division by zero"));
	if (a == LLONG_MIN && b == -1)
		return (pc_error(pc, line, "integer overflow"));
	q = a / b;
	m = a % b;
	if (m != 0 && ((m < 0) != (b < 0))) {
		q--;
		m += b;
	}
	*out = wantmod ? m : q;
	return (0);
}

static int	format_string(struct pycfg *, int, const struct pv *,
		    const struct pv *, struct pv *);

/* floor() without libm, which the programs do not link. */
static double
py_floor(double d)
{
	long long	 t;

	if (!(d > -4503599627370496.0 && d < 4503599627370496.0))
		return (d);	/* 2^52 and beyond: already integral */
	t = (long long)d;
	if ((double)t > d)
		t--;
	return ((double)t);
}

/* a <op> b for the arithmetic operators; consumes neither operand. */
static int
binop(struct pycfg *pc, int line, const char *op, const struct pv *a,
    const struct pv *b, struct pv *out)
{
	long long	 ia = 0, ib = 0, r;
	double		 da, db, dr;
	int		 ra, rb, bad = 0;
	struct sbuf	 sb = { NULL, 0, 0, 0 };
	size_t		 cost;
	json_t		*arr;

	memset(out, 0, sizeof *out);
	if (strcmp(op, "%") == 0 && json_is_string(a->j))
		return (format_string(pc, line, a, b, out));

	if (pv_number(a, &ia, &da, &ra) != 0 ||
	    pv_number(b, &ib, &db, &rb) != 0) {
		/* Sequences: str + str, list + list, seq * int, int * seq. */
		if (strcmp(op, "+") == 0 && pv_is_seq(a) &&
		    json_typeof(a->j) == json_typeof(b->j) &&
		    a->tuple == b->tuple) {
			if (json_is_string(a->j)) {
				if (pc_work(pc, line, json_string_length(a->j) +
				    json_string_length(b->j)) != 0)
					return (-1);
				sb_add(&sb, json_string_value(a->j),
				    json_string_length(a->j));
				sb_add(&sb, json_string_value(b->j),
				    json_string_length(b->j));
				if (sb.over) {
					free(sb.s);
					return (pc_error(pc, line, "string too "
					    "long (more than %d bytes)",
					    PYCFG_MAX_STR));
				}
				*out = pv_scalar(json_stringn_nocheck(
				    sb.s == NULL ? "" : sb.s, sb.len));
				free(sb.s);
				return (0);
			}
			cost = a->cost + b->cost - PYCFG_COST_NODE;
			if (check_array(pc, line, json_array_size(a->j) +
			    json_array_size(b->j), a->depth > b->depth ?
			    a->depth : b->depth, cost) != 0 ||
			    pc_work(pc, line, PYCFG_COST_NODE *
			    (json_array_size(a->j) + json_array_size(b->j))) != 0)
				return (-1);
			arr = json_array();
			json_array_extend(arr, a->j);
			json_array_extend(arr, b->j);
			out->j = arr;
			out->tuple = a->tuple;
			out->depth = a->depth > b->depth ? a->depth : b->depth;
			out->cost = cost;
			return (0);
		}
		if (strcmp(op, "*") == 0) {
			if (pv_is_seq(a) &&
			    pv_number(b, &ib, &db, &rb) == 0 && !rb)
				return (repeat(pc, line, a, ib, out));
			if (pv_is_seq(b) &&
			    pv_number(a, &ia, &da, &ra) == 0 && !ra)
				return (repeat(pc, line, b, ia, out));
		}
		return (binop_error(pc, line, op, a, b));
	}

	if (ra || rb) {
		switch (op[0]) {
		case '+':
			dr = da + db;
			break;
		case '-':
			dr = da - db;
			break;
		case '*':
			dr = da * db;
			break;
		case '/':
			if (db == 0)
				return (pc_error(pc, line, "division by zero"));
			dr = op[1] == '/' ? py_floor(da / db) : da / db;
			break;
		case '%':
			if (db == 0)
				return (pc_error(pc, line, "division by zero"));
			dr = da - db * py_floor(da / db);
			break;
		default:
			abort();
		}
		return (make_real(pc, line, dr, out));
	}

	switch (op[0]) {
	case '+':
		bad = __builtin_add_overflow(ia, ib, &r);
		break;
	case '-':
		bad = __builtin_sub_overflow(ia, ib, &r);
		break;
	case '*':
		bad = __builtin_mul_overflow(ia, ib, &r);
		break;
	case '/':	/* integers divide as in Python 2: floor division */
		if (int_divmod(pc, line, ia, ib, 0, &r) != 0)
			return (-1);
		break;
	case '%':
		if (int_divmod(pc, line, ia, ib, 1, &r) != 0)
			return (-1);
		break;
	default:
		abort();
	}
	if (bad)
		return (pc_error(pc, line, "integer overflow"));
	*out = pv_scalar(json_integer(r));
	return (0);
}

/* ---- '%' formatting ---- */

struct fmtspec {
	int	 minus, plus, space, alt, zero;
	int	 width;		/* -1: none */
	int	 prec;		/* -1: none */
	char	 conv;
};

static size_t
utf8_chars(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

/* Byte length of the first n characters of s. */
static size_t
utf8_prefix(const char *s, size_t len, size_t n)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == 0)
				break;
			n--;
		}
	}
	return (i);
}

static void
fmt_pad(struct sbuf *b, const struct fmtspec *fs, const char *body,
    size_t len, size_t chars)
{
	size_t	 i;

	if (fs->width > 0 && chars < (size_t)fs->width && !fs->minus) {
		for (i = chars; i < (size_t)fs->width; i++)
			sb_addc(b, ' ');
	}
	sb_add(b, body, len);
	if (fs->width > 0 && chars < (size_t)fs->width && fs->minus) {
		for (i = chars; i < (size_t)fs->width; i++)
			sb_addc(b, ' ');
	}
}

static void
fmt_int(struct sbuf *b, const struct fmtspec *fs, long long v)
{
	unsigned long long	 u;
	char			 digits[80];
	const char		*sign = "", *prefix = "";
	size_t			 nd, total, i;
	int			 zeros = 0;

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	switch (fs->conv) {
	case 'x':
		snprintf(digits, sizeof digits, "%llx", u);
		prefix = fs->alt ? "0x" : "";
		break;
	case 'X':
		snprintf(digits, sizeof digits, "%llX", u);
		prefix = fs->alt ? "0X" : "";
		break;
	case 'o':
		snprintf(digits, sizeof digits, "%llo", u);
		prefix = fs->alt ? "0o" : "";
		break;
	default:
		snprintf(digits, sizeof digits, "%llu", u);
		break;
	}
	if (v < 0)
		sign = "-";
	else if (fs->plus)
		sign = "+";
	else if (fs->space)
		sign = " ";
	nd = strlen(digits);
	if (fs->prec > 0 && (size_t)fs->prec > nd)
		zeros = fs->prec - (int)nd;
	total = strlen(sign) + strlen(prefix) + zeros + nd;
	if (fs->zero && !fs->minus && fs->width > 0 &&
	    (size_t)fs->width > total) {
		zeros += fs->width - (int)total;
		total = fs->width;
	}
	if (!fs->minus && fs->width > 0 && (size_t)fs->width > total) {
		for (i = total; i < (size_t)fs->width; i++)
			sb_addc(b, ' ');
	}
	sb_adds(b, sign);
	sb_adds(b, prefix);
	for (i = 0; i < (size_t)zeros; i++)
		sb_addc(b, '0');
	sb_adds(b, digits);
	if (fs->minus && fs->width > 0 && (size_t)fs->width > total) {
		for (i = total; i < (size_t)fs->width; i++)
			sb_addc(b, ' ');
	}
}

static void
fmt_float(struct sbuf *b, const struct fmtspec *fs, double d)
{
	char	 spec[32], out[512];
	int	 n;

	n = snprintf(spec, sizeof spec, "%%%s%s%s%s%s", fs->minus ? "-" : "",
	    fs->plus ? "+" : "", fs->space ? " " : "", fs->alt ? "#" : "",
	    fs->zero ? "0" : "");
	if (fs->width >= 0)
		n += snprintf(spec + n, sizeof spec - n, "%d", fs->width);
	if (fs->prec >= 0)
		n += snprintf(spec + n, sizeof spec - n, ".%d", fs->prec);
	snprintf(spec + n, sizeof spec - n, "%c", fs->conv);
	snprintf(out, sizeof out, spec, d);
	sb_adds(b, out);
}

static int
fmt_one(struct pycfg *pc, int line, struct sbuf *b, const struct fmtspec *fs,
    const json_t *arg)
{
	struct pv	 v = { (json_t *)arg, 0, 0, 0 };
	long long	 iv;
	double		 dv;
	int		 isreal;
	struct sbuf	 s = { NULL, 0, 0, 0 };
	size_t		 len;

	switch (fs->conv) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
		if (pv_number(&v, &iv, &dv, &isreal) != 0)
			return (pc_error(pc, line, "%%%c format: a number is "
			    "required, not %s", fs->conv, pv_type(&v)));
		if (isreal) {
			if (fs->conv == 'x' || fs->conv == 'X' ||
			    fs->conv == 'o')
				return (pc_error(pc, line, "%%%c format: an "
				    "integer is required, not float",
				    fs->conv));
			if (!(dv > -9.2e18 && dv < 9.2e18))
				return (pc_error(pc, line, "integer overflow"));
			iv = (long long)dv;
		}
		fmt_int(b, fs, iv);
		return (0);
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
		if (pv_number(&v, &iv, &dv, &isreal) != 0)
			return (pc_error(pc, line, "must be real number, not "
			    "%s", pv_type(&v)));
		fmt_float(b, fs, dv);
		return (0);
	case 's': case 'r': case 'a':
		repr_value(&s, arg, fs->conv != 's');
		if (s.over) {
			free(s.s);
			return (pc_error(pc, line, "string too long (more "
			    "than %d bytes)", PYCFG_MAX_STR));
		}
		if (s.s == NULL)
			s.s = xstrdup("");
		len = s.len;
		if (fs->prec >= 0)
			len = utf8_prefix(s.s, s.len, fs->prec);
		fmt_pad(b, fs, s.s, len, utf8_chars(s.s, len));
		free(s.s);
		return (0);
	}
	abort();
}

static int
format_string(struct pycfg *pc, int line, const struct pv *fmt,
    const struct pv *rhs, struct pv *out)
{
	const char	*f = json_string_value(fmt->j);
	size_t		 n = json_string_length(fmt->j), i;
	size_t		 argi = 0, nargs;
	struct sbuf	 b = { NULL, 0, 0, 0 };
	struct fmtspec	 fs;
	const json_t	*arg;
	int		 r;

	nargs = rhs->tuple ? json_array_size(rhs->j) : 1;
	sb_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (f[i] != '%') {
			sb_addc(&b, f[i]);
			continue;
		}
		i++;
		if (i < n && f[i] == '%') {
			sb_addc(&b, '%');
			continue;
		}
		memset(&fs, 0, sizeof fs);
		fs.width = fs.prec = -1;
		if (i < n && f[i] == '(') {
			free(b.s);
			return (pc_error(pc, line, "'%%(name)s' formatting is "
			    "not supported"));
		}
		for (; i < n && strchr("-+ #0", f[i]) != NULL; i++) {
			switch (f[i]) {
			case '-': fs.minus = 1; break;
			case '+': fs.plus = 1; break;
			case ' ': fs.space = 1; break;
			case '#': fs.alt = 1; break;
			case '0': fs.zero = 1; break;
			}
		}
		if (i < n && f[i] == '*') {
			free(b.s);
			return (pc_error(pc, line, "'*' width is not "
			    "supported in format strings"));
		}
		for (; i < n && is_digit((unsigned char)f[i]); i++) {
			fs.width = (fs.width < 0 ? 0 : fs.width * 10) +
			    (f[i] - '0');
			if (fs.width > 200) {
				free(b.s);
				return (pc_error(pc, line, "format width too "
				    "large"));
			}
		}
		if (i < n && f[i] == '.') {
			fs.prec = 0;
			for (i++; i < n && is_digit((unsigned char)f[i]); i++) {
				fs.prec = fs.prec * 10 + (f[i] - '0');
				if (fs.prec > 100) {
					free(b.s);
					return (pc_error(pc, line, "format "
					    "precision too large"));
				}
			}
		}
		while (i < n && (f[i] == 'h' || f[i] == 'l' || f[i] == 'L'))
			i++;
		if (i >= n) {
			free(b.s);
			return (pc_error(pc, line, "incomplete format"));
		}
		fs.conv = f[i];
		if (strchr("diuxXoeEfFgGsra", fs.conv) == NULL) {
			free(b.s);
			if ((unsigned char)fs.conv >= 0x20 &&
			    (unsigned char)fs.conv < 0x7f)
				return (pc_error(pc, line, "unsupported format "
				    "character '%c' (0x%x) at index %zu",
				    fs.conv, (unsigned char)fs.conv, i));
			return (pc_error(pc, line, "unsupported format "
			    "character 0x%x at index %zu",
			    (unsigned char)fs.conv, i));
		}
		if (argi >= nargs) {
			free(b.s);
			return (pc_error(pc, line, "not enough arguments for "
			    "format string"));
		}
		arg = rhs->tuple ? json_array_get(rhs->j, argi) : rhs->j;
		argi++;
		r = fmt_one(pc, line, &b, &fs, arg);
		if (r != 0) {
			free(b.s);
			return (-1);
		}
	}
	if (argi < nargs) {
		free(b.s);
		return (pc_error(pc, line, "not all arguments converted during "
		    "string formatting"));
	}
	if (b.over) {
		free(b.s);
		return (pc_error(pc, line, "string too long (more than %d "
		    "bytes)", PYCFG_MAX_STR));
	}
	if (pc_work(pc, line, n + b.len) != 0) {
		free(b.s);
		return (-1);
	}
	*out = pv_scalar(json_stringn_nocheck(b.s, b.len));
	free(b.s);
	return (0);
}

/* ---- lexer ---- */

static void
tok_clear(struct tok *t)
{
	free(t->s);
	memset(t, 0, sizeof *t);
}

static void
tok_text(struct tok *t, const char *s, size_t n)
{
	if (n >= sizeof t->text - 4) {
		memcpy(t->text, s, sizeof t->text - 4);
		strcpy(t->text + sizeof t->text - 4, "...");
	} else {
		memcpy(t->text, s, n);
		t->text[n] = '\0';
	}
}

static int
lex_string(struct pycfg *pc, struct tok *t, int raw)
{
	char		 q = *pc->p, c, e;
	int		 triple = 0, start = pc->line, i, d, nd;
	unsigned long	 cp;
	struct sbuf	 b = { NULL, 0, 0, 0 };

	if (pc->end - pc->p >= 3 && pc->p[1] == q && pc->p[2] == q) {
		triple = 1;
		pc->p += 3;
	} else
		pc->p++;
	sb_add(&b, "", 0);
	for (;;) {
		if (b.over) {
			free(b.s);
			return (pc_error(pc, start, "string too long (more "
			    "than %d bytes)", PYCFG_MAX_STR));
		}
		if (pc->p >= pc->end) {
			free(b.s);
			return (pc_error(pc, start, "unterminated %sstring",
			    triple ? "triple-quoted " : ""));
		}
		c = *pc->p++;
		if (c == q) {
			if (!triple)
				break;
			if (pc->end - pc->p >= 2 && pc->p[0] == q &&
			    pc->p[1] == q) {
				pc->p += 2;
				break;
			}
			sb_addc(&b, c);
			continue;
		}
		if (c == '\n') {
			if (!triple) {
				free(b.s);
				return (pc_error(pc, start, "unterminated "
				    "string"));
			}
			pc->line++;
			sb_addc(&b, c);
			continue;
		}
		if (c == '\0') {
			free(b.s);
			return (pc_error(pc, pc->line, "NUL character in "
			    "string"));
		}
		if (c != '\\') {
			sb_addc(&b, c);
			continue;
		}
		if (pc->p >= pc->end)
			continue;	/* reported as unterminated above */
		e = *pc->p++;
		if (e == '\n')
			pc->line++;
		if (raw) {
			sb_addc(&b, '\\');
			if (e == '\0') {
				free(b.s);
				return (pc_error(pc, pc->line, "NUL character "
				    "in string"));
			}
			sb_addc(&b, e);
			continue;
		}
		switch (e) {
		case '\n':
			break;		/* continuation */
		case '\r':
			if (pc->p < pc->end && *pc->p == '\n') {
				pc->p++;
				pc->line++;
			}
			break;
		case '\\': case '\'': case '"':
			sb_addc(&b, e);
			break;
		case 'a': sb_addc(&b, '\a'); break;
		case 'b': sb_addc(&b, '\b'); break;
		case 'f': sb_addc(&b, '\f'); break;
		case 'n': sb_addc(&b, '\n'); break;
		case 'r': sb_addc(&b, '\r'); break;
		case 't': sb_addc(&b, '\t'); break;
		case 'v': sb_addc(&b, '\v'); break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			cp = e - '0';
			for (i = 0; i < 2 && pc->p < pc->end &&
			    *pc->p >= '0' && *pc->p <= '7'; i++)
				cp = cp * 8 + (*pc->p++ - '0');
			goto codepoint;
		case 'x':
		case 'u':
		case 'U':
			nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
			cp = 0;
			for (i = 0; i < nd; i++) {
				if (pc->p >= pc->end ||
				    (d = hex_value((unsigned char)*pc->p)) < 0) {
					free(b.s);
					return (pc_error(pc, pc->line, "invalid "
					    "\\%c escape in string", e));
				}
				cp = cp * 16 + d;
				pc->p++;
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				free(b.s);
				return (pc_error(pc, pc->line, "invalid \\%c "
				    "escape in string", e));
			}
			goto codepoint;
		case 'N':
			free(b.s);
			return (pc_error(pc, pc->line, "\\N{...} escapes are "
			    "not supported"));
		case '\0':
			free(b.s);
			return (pc_error(pc, pc->line, "NUL character in "
			    "string"));
		default:
			sb_addc(&b, '\\');
			sb_addc(&b, e);
			break;
		}
		continue;
codepoint:
		if (cp == 0) {
			free(b.s);
			return (pc_error(pc, pc->line, "NUL character in "
			    "string"));
		}
		sb_utf8(&b, cp);
	}
	if (b.over) {
		free(b.s);
		return (pc_error(pc, start, "string too long (more than %d "
		    "bytes)", PYCFG_MAX_STR));
	}
	t->type = T_STR;
	t->line = start;
	t->s = b.s;
	t->slen = b.len;
	strcpy(t->text, "string");
	return (0);
}

static int
lex_number(struct pycfg *pc, struct tok *t)
{
	const char		*s = pc->p, *q;
	unsigned long long	 v = 0;
	int			 base = 10, d, isfloat = 0;
	char			 buf[128];

	if (*s == '0' && pc->end - s >= 2 && strchr("xXoObB", s[1]) != NULL) {
		base = (s[1] == 'x' || s[1] == 'X') ? 16 :
		    (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
		q = s + 2;
		if (q >= pc->end || (d = hex_value((unsigned char)*q)) < 0 ||
		    d >= base)
			return (pc_error(pc, pc->line, "invalid number "
			    "literal"));
		for (; q < pc->end && (d = hex_value((unsigned char)*q)) >= 0 &&
		    d < base; q++) {
			if (v > (unsigned long long)LLONG_MAX / base ||
			    v * base + d > (unsigned long long)LLONG_MAX)
				return (pc_error(pc, pc->line, "integer "
				    "literal too large"));
			v = v * base + d;
		}
	} else {
		for (q = s; q < pc->end && is_digit((unsigned char)*q); q++)
			;
		if (q < pc->end && *q == '.') {
			isfloat = 1;
			for (q++; q < pc->end && is_digit((unsigned char)*q);
			    q++)
				;
		}
		if (q < pc->end && (*q == 'e' || *q == 'E')) {
			const char	*r = q + 1;

			if (r < pc->end && (*r == '+' || *r == '-'))
				r++;
			if (r < pc->end && is_digit((unsigned char)*r)) {
				isfloat = 1;
				for (q = r; q < pc->end &&
				    is_digit((unsigned char)*q); q++)
					;
			}
		}
		if ((size_t)(q - s) >= sizeof buf)
			return (pc_error(pc, pc->line, "number literal too "
			    "long"));
		memcpy(buf, s, q - s);
		buf[q - s] = '\0';
		if (isfloat) {
			t->fval = strtod(buf, NULL);
			if (!isfinite(t->fval))
				return (pc_error(pc, pc->line, "float literal "
				    "out of range"));
		} else {
			if (buf[0] == '0' && strspn(buf, "0") != strlen(buf))
				return (pc_error(pc, pc->line, "leading zeros "
				    "in decimal integer literals are not "
				    "permitted"));
			errno = 0;
			v = strtoull(buf, NULL, 10);
			if (errno != 0 || v > (unsigned long long)LLONG_MAX)
				return (pc_error(pc, pc->line, "integer "
				    "literal too large"));
		}
	}
	if (q < pc->end && (is_alnum((unsigned char)*q) || *q == '.'))
		return (pc_error(pc, pc->line, "invalid number literal"));
	t->type = isfloat ? T_FLOAT : T_INT;
	t->ival = (long long)v;
	tok_text(t, s, q - s);
	pc->p = q;
	return (0);
}

static int
lex(struct pycfg *pc, struct tok *t)
{
	static const char *const ops[] = {
		"**=", "//=", ">>=", "<<=", "**", "//", "+=", "-=", "*=", "/=",
		"%=", "==", "!=", "<=", ">=", "<<", ">>", "->", ":=", "<>",
	};
	const char	*s;
	unsigned char	 c;
	size_t		 i, n;
	int		 raw, bad;

	memset(t, 0, sizeof *t);
	while (pc->p < pc->end) {
		c = *pc->p;
		if (c == ' ' || c == '\t' || c == '\f' || c == '\r')
			pc->p++;
		else if (c == '#') {
			while (pc->p < pc->end && *pc->p != '\n')
				pc->p++;
		} else if (c == '\\' && pc->end - pc->p >= 2 &&
		    pc->p[1] == '\n') {
			pc->p += 2;
			pc->line++;
		} else if (c == '\\' && pc->end - pc->p >= 3 &&
		    pc->p[1] == '\r' && pc->p[2] == '\n') {
			pc->p += 3;
			pc->line++;
		} else if (c == '\n') {
			pc->p++;
			if (pc->depth == 0 && !pc->bol) {
				t->type = T_NEWLINE;
				t->line = pc->line++;
				strcpy(t->text, "end of line");
				pc->bol = 1;
				return (0);
			}
			pc->line++;
		} else
			break;
	}
	t->line = pc->line;
	if (pc->p >= pc->end) {
		t->type = T_EOF;
		strcpy(t->text, "end of file");
		return (0);
	}
	pc->bol = 0;
	c = *pc->p;

	if (is_alpha(c)) {
		s = pc->p;
		while (pc->p < pc->end && is_alnum((unsigned char)*pc->p))
			pc->p++;
		n = pc->p - s;
		if (n <= 2 && pc->p < pc->end &&
		    (*pc->p == '\'' || *pc->p == '"')) {
			raw = bad = 0;
			for (i = 0; i < n; i++) {
				switch (s[i]) {
				case 'r': case 'R': raw = 1; break;
				case 'u': case 'U': break;
				case 'b': case 'B': bad = 'b'; break;
				case 'f': case 'F': bad = 'f'; break;
				default: bad = '?'; break;
				}
			}
			if (bad == 'b')
				return (pc_error(pc, pc->line, "bytes literals "
				    "are not supported"));
			if (bad == 'f')
				return (pc_error(pc, pc->line, "f-strings are "
				    "not supported"));
			if (bad == 0)
				return (lex_string(pc, t, raw));
		}
		if (n > PYCFG_MAX_NAME)
			return (pc_error(pc, pc->line, "name too long"));
		t->type = T_NAME;
		t->s = xstrndup(s, n);
		t->slen = n;
		tok_text(t, s, n);
		return (0);
	}
	if (is_digit(c) || (c == '.' && pc->end - pc->p >= 2 &&
	    is_digit((unsigned char)pc->p[1])))
		return (lex_number(pc, t));
	if (c == '\'' || c == '"')
		return (lex_string(pc, t, 0));

	t->type = T_OP;
	for (i = 0; i < nitems(ops); i++) {
		n = strlen(ops[i]);
		if ((size_t)(pc->end - pc->p) >= n &&
		    memcmp(pc->p, ops[i], n) == 0) {
			strcpy(t->text, ops[i]);
			pc->p += n;
			return (0);
		}
	}
	if (c != 0 && strchr("+-*/%()[]{},=;.:<>&|^~@!", c) != NULL) {
		t->text[0] = c;
		pc->p++;
		if (c == '(' || c == '[' || c == '{')
			pc->depth++;
		else if ((c == ')' || c == ']' || c == '}') && pc->depth > 0)
			pc->depth--;
		return (0);
	}
	if (c >= 0x20 && c < 0x7f)
		return (pc_error(pc, pc->line, "invalid character '%c'", c));
	return (pc_error(pc, pc->line, "invalid character 0x%02x", c));
}

/* ---- parser and evaluator ---- */

static int
advance(struct pycfg *pc)
{
	tok_clear(&pc->tok);
	if (pc->has_la) {
		pc->tok = pc->la;
		memset(&pc->la, 0, sizeof pc->la);
		pc->has_la = 0;
		return (0);
	}
	return (lex(pc, &pc->tok));
}

static int
peek(struct pycfg *pc)
{
	if (!pc->has_la) {
		if (lex(pc, &pc->la) != 0)
			return (-1);
		pc->has_la = 1;
	}
	return (0);
}

static int
is_op(const struct tok *t, const char *op)
{
	return (t->type == T_OP && strcmp(t->text, op) == 0);
}

/* Explains why the current token cannot continue an expression. */
static int
syntax_error(struct pycfg *pc)
{
	struct tok	*t = &pc->tok;

	if (t->type == T_NAME && is_keyword(t->s))
		return (pc_error(pc, t->line, "'%s' is not supported", t->s));
	if (t->type == T_OP) {
		if (is_op(t, "["))
			return (pc_error(pc, t->line, "subscripts are not "
			    "supported"));
		if (is_op(t, "."))
			return (pc_error(pc, t->line, "attribute access is not "
			    "supported"));
		if (is_op(t, "("))
			return (pc_error(pc, t->line, "function calls are not "
			    "supported (only str() and int())"));
		if (is_op(t, "=") || (t->text[1] == '=' && t->text[0] != '='
		    && t->text[0] != '!' && t->text[0] != '<' &&
		    t->text[0] != '>'))
			return (pc_error(pc, t->line, "invalid syntax at '%s': "
			    "only one 'name = value' per statement",
			    t->text));
		if (strchr("=!<>&|^~@", t->text[0]) != NULL ||
		    is_op(t, "**") || is_op(t, "<<") || is_op(t, ">>"))
			return (pc_error(pc, t->line, "operator '%s' is not "
			    "supported", t->text));
	}
	if (t->type == T_EOF)
		return (pc_error(pc, t->line, "unexpected end of file"));
	if (t->type == T_NEWLINE)
		return (pc_error(pc, t->line, "unexpected end of line"));
	return (pc_error(pc, t->line, "invalid syntax at '%s'", t->text));
}

static int
lookup(struct pycfg *pc, const char *name)
{
	json_t	*i = json_object_get(pc->index, name);

	return (i == NULL ? -1 : (int)json_integer_value(i));
}

/* Why the current token cannot follow an item inside open...close. */
static int
close_error(struct pycfg *pc, const char *open, int line)
{
	struct tok	*t = &pc->tok;

	if (t->type == T_EOF)
		return (pc_error(pc, line, "'%s' was never closed", open));
	if (t->type == T_NAME && strcmp(t->s, "for") == 0)
		return (pc_error(pc, t->line, "comprehensions are not "
		    "supported"));
	if (t->type == T_OP && t->text[1] == '\0' &&
	    strchr(")]}", t->text[0]) != NULL)
		return (pc_error(pc, t->line, "'%s' does not match '%s' on "
		    "line %d", t->text, open, line));
	return (syntax_error(pc));
}

/*
 * Items up to the closing bracket, which is consumed.  first, if not
 * NULL, is an item already parsed (ownership moves here) and the current
 * token follows it.
 */
static int
items(struct pycfg *pc, const char *open, const char *close, int line,
    struct pv *first, struct pv *out)
{
	json_t		*arr = json_array();
	struct pv	 v;
	int		 depth = 0;
	size_t		 cost = PYCFG_COST_NODE;

	if (first != NULL) {
		depth = first->depth;
		cost += first->cost;
		json_array_append_new(arr, first->j);
		memset(first, 0, sizeof *first);
		goto separator;
	}
	for (;;) {
		if (is_op(&pc->tok, close))
			break;
		if (pc->tok.type == T_EOF) {
			json_decref(arr);
			return (close_error(pc, open, line));
		}
		if (expr(pc, &v) != 0) {
			json_decref(arr);
			return (-1);
		}
		if (v.depth > depth)
			depth = v.depth;
		cost += v.cost;
		json_array_append_new(arr, v.j);
separator:
		if (check_array(pc, line, json_array_size(arr), depth + 1,
		    cost) != 0) {
			json_decref(arr);
			return (-1);
		}
		if (is_op(&pc->tok, ",")) {
			if (advance(pc) != 0) {
				json_decref(arr);
				return (-1);
			}
			continue;
		}
		if (is_op(&pc->tok, close))
			break;
		json_decref(arr);
		return (close_error(pc, open, line));
	}
	if (advance(pc) != 0) {
		json_decref(arr);
		return (-1);
	}
	out->j = arr;
	out->tuple = 0;
	out->depth = depth + 1;
	out->cost = cost;
	return (0);
}

/* Python's int() of a string. */
static int
parse_int_string(const char *s, int base, long long *out)
{
	const char		*p = s, *e;
	int			 neg = 0, d, any = 0;
	unsigned long long	 v = 0, lim;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
	    *p == '\f' || *p == '\v')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r' || e[-1] == '\f' || e[-1] == '\v'))
		e--;
	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (e - p >= 2 && p[0] == '0') {
		int	 pfx = p[1] | 0x20;
		int	 pb = pfx == 'x' ? 16 : pfx == 'o' ? 8 : pfx == 'b' ? 2 : 0;

		if (pb != 0 && (base == 0 || base == pb)) {
			base = pb;
			p += 2;
		}
	}
	if (base == 0) {
		base = 10;
		if (e - p >= 2 && p[0] == '0' && strspn(p, "0") <
		    (size_t)(e - p))
			return (-1);
	}
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; p < e; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
			d = (*p | 0x20) - 'a' + 10;
		else
			return (-1);
		if (d >= base)
			return (-1);
		if (v > (lim - d) / base)
			return (-2);
		v = v * base + d;
		any = 1;
	}
	if (!any)
		return (-1);
	*out = neg ? (long long)(0ULL - v) : (long long)v;
	return (0);
}

static int
call_int(struct pycfg *pc, int line, struct pv *args, size_t nargs,
    struct pv *out)
{
	long long	 iv, base = 10;
	double		 dv;
	int		 isreal, r;
	struct sbuf	 b = { NULL, 0, 0, 0 };

	if (nargs == 0) {
		*out = pv_scalar(json_integer(0));
		return (0);
	}
	if (nargs > 2)
		return (pc_error(pc, line, "int() takes at most 2 arguments"));
	if (nargs == 2) {
		if (!json_is_string(args[0].j))
			return (pc_error(pc, line, "int() can't convert "
			    "non-string with explicit base"));
		if (!json_is_integer(args[1].j) ||
		    ((base = json_integer_value(args[1].j)) != 0 &&
		    (base < 2 || base > 36)))
			return (pc_error(pc, line, "int() base must be >= 2 "
			    "and <= 36, or 0"));
	}
	if (json_is_string(args[0].j)) {
		if (pc_work(pc, line, json_string_length(args[0].j)) != 0)
			return (-1);
		r = parse_int_string(json_string_value(args[0].j), (int)base,
		    &iv);
		if (r == -2)
			return (pc_error(pc, line, "integer overflow"));
		if (r != 0) {
			repr_string(&b, json_string_value(args[0].j));
			if (b.len > 60)
				strcpy(b.s + 56, "...'");
			pc_error(pc, line, "invalid literal for int() with "
			    "base %lld: %s", base, b.s);
			free(b.s);
			return (-1);
		}
		*out = pv_scalar(json_integer(iv));
		return (0);
	}
	if (pv_number(&args[0], &iv, &dv, &isreal) != 0)
		return (pc_error(pc, line, "int() argument must be a string or "
		    "a number, not '%s'", pv_type(&args[0])));
	if (isreal) {
		if (!(dv > -9.2e18 && dv < 9.2e18))
			return (pc_error(pc, line, "integer overflow"));
		iv = (long long)dv;
	}
	*out = pv_scalar(json_integer(iv));
	return (0);
}

static int
call(struct pycfg *pc, const char *fn, int line, struct pv *out)
{
	struct pv	 args[3];
	size_t		 nargs = 0, i;
	int		 r = -1;
	struct sbuf	 b = { NULL, 0, 0, 0 };

	if (strcmp(fn, "str") != 0 && strcmp(fn, "int") != 0)
		return (pc_error(pc, line, "function calls are not supported "
		    "('%s()'; only str() and int())", fn));
	if (advance(pc) != 0 || advance(pc) != 0)	/* name, '(' */
		return (-1);
	memset(args, 0, sizeof args);
	while (!is_op(&pc->tok, ")")) {
		if (pc->tok.type == T_EOF) {
			pc_error(pc, line, "'(' was never closed");
			goto out;
		}
		if (nargs == nitems(args)) {
			pc_error(pc, line, "%s", fn[0] == 's' ?
			    "str() takes at most 1 argument" :
			    "int() takes at most 2 arguments");
			goto out;
		}
		if (pc->tok.type == T_NAME) {
			if (peek(pc) != 0)
				goto out;
			if (is_op(&pc->la, "=")) {
				pc_error(pc, pc->tok.line, "keyword arguments "
				    "are not supported");
				goto out;
			}
		}
		if (expr(pc, &args[nargs]) != 0)
			goto out;
		nargs++;
		if (is_op(&pc->tok, ",")) {
			if (advance(pc) != 0)
				goto out;
		} else if (!is_op(&pc->tok, ")")) {
			if (pc->tok.type == T_EOF)
				pc_error(pc, line, "'(' was never closed");
			else
				syntax_error(pc);
			goto out;
		}
	}
	if (advance(pc) != 0)
		goto out;
	if (fn[0] == 'i')
		r = call_int(pc, line, args, nargs, out);
	else if (nargs > 1)
		r = pc_error(pc, line, "str() takes at most 1 argument");
	else {
		if (nargs == 1)
			repr_pv(&b, &args[0], 0);
		if (b.over)
			r = pc_error(pc, line, "string too long (more than %d "
			    "bytes)", PYCFG_MAX_STR);
		else if (pc_work(pc, line, b.len) != 0)
			r = -1;
		else {
			*out = pv_scalar(json_stringn_nocheck(
			    b.s == NULL ? "" : b.s, b.len));
			r = 0;
		}
		free(b.s);
	}
out:
	for (i = 0; i < nargs; i++)
		pv_clear(&args[i]);
	return (r);
}

/* Moves past a value's last token; on failure the value is dropped. */
static int
atom_next(struct pycfg *pc, struct pv *out)
{
	if (advance(pc) != 0) {
		pv_clear(out);
		return (-1);
	}
	return (0);
}

static int
atom(struct pycfg *pc, struct pv *out)
{
	struct tok	*t = &pc->tok;
	struct sbuf	 b = { NULL, 0, 0, 0 };
	int		 line = t->line, i;
	char		*name;
	struct var	*var;
	struct pv	 first;

	memset(out, 0, sizeof *out);
	switch (t->type) {
	case T_INT:
		*out = pv_scalar(json_integer(t->ival));
		return (atom_next(pc, out));
	case T_FLOAT:
		if (make_real(pc, line, t->fval, out) != 0)
			return (-1);
		return (atom_next(pc, out));
	case T_STR:
		sb_add(&b, "", 0);
		while (t->type == T_STR) {	/* 'a' 'b' is 'ab' */
			sb_add(&b, t->s, t->slen);
			if (b.over) {
				free(b.s);
				return (pc_error(pc, line, "string too long "
				    "(more than %d bytes)", PYCFG_MAX_STR));
			}
			if (advance(pc) != 0) {
				free(b.s);
				return (-1);
			}
		}
		i = make_string(pc, line, b.s, b.len, out);
		free(b.s);
		return (i);
	case T_NAME:
		if (strcmp(t->s, "True") == 0 || strcmp(t->s, "False") == 0 ||
		    strcmp(t->s, "None") == 0) {
			*out = pv_scalar(t->s[0] == 'T' ? json_true() :
			    t->s[0] == 'F' ? json_false() : json_null());
			return (atom_next(pc, out));
		}
		if (is_keyword(t->s))
			return (pc_error(pc, line, "'%s' is not supported",
			    t->s));
		if (peek(pc) != 0)
			return (-1);
		if (is_op(&pc->la, "(")) {
			name = xstrdup(t->s);
			i = call(pc, name, line, out);
			free(name);
			return (i);
		}
		if (is_op(&pc->la, "."))
			return (pc_error(pc, line, "attribute access is not "
			    "supported ('%s.')", t->s));
		if (is_op(&pc->la, "["))
			return (pc_error(pc, line, "subscripts are not "
			    "supported ('%s[')", t->s));
		if (is_op(&pc->la, "="))
			return (pc_error(pc, line, "chained assignment is not "
			    "supported"));
		if ((i = lookup(pc, t->s)) < 0) {
			if (pc->la.type == T_NAME &&
			    strcmp(pc->la.s, "for") == 0)
				return (pc_error(pc, line, "comprehensions are "
				    "not supported"));
			return (pc_error(pc, line, "name '%s' is not defined",
			    t->s));
		}
		var = &pc->vars[i];
		var->used = 1;
		*out = var->v;
		json_incref(out->j);
		return (atom_next(pc, out));
	case T_OP:
		if (is_op(t, "[")) {
			if (advance(pc) != 0)
				return (-1);
			return (items(pc, "[", "]", line, NULL, out));
		}
		if (is_op(t, "(")) {
			if (advance(pc) != 0)
				return (-1);
			if (is_op(&pc->tok, ")")) {	/* () */
				out->j = json_array();
				out->tuple = 1;
				out->depth = 1;
				out->cost = PYCFG_COST_NODE;
				return (atom_next(pc, out));
			}
			if (expr(pc, &first) != 0)
				return (-1);
			if (is_op(&pc->tok, ")")) {	/* (x) is x */
				*out = first;
				return (atom_next(pc, out));
			}
			if (!is_op(&pc->tok, ",")) {
				pv_clear(&first);
				return (close_error(pc, "(", line));
			}
			if (items(pc, "(", ")", line, &first, out) != 0)
				return (-1);
			out->tuple = 1;
			return (0);
		}
		if (is_op(t, "{"))
			return (pc_error(pc, line, "dictionaries and sets are "
			    "not supported"));
		break;
	default:
		break;
	}
	if (t->type == T_NEWLINE || t->type == T_EOF ||
	    (t->type == T_OP && strchr(")],;=", t->text[0]) != NULL))
		return (pc_error(pc, line, "expected a value, got '%s'",
		    t->text));
	return (syntax_error(pc));
}

static int
primary(struct pycfg *pc, struct pv *out)
{
	if (atom(pc, out) != 0)
		return (-1);
	if (is_op(&pc->tok, "(") || is_op(&pc->tok, "[") ||
	    is_op(&pc->tok, ".")) {
		pv_clear(out);
		return (syntax_error(pc));
	}
	return (0);
}

static int
factor(struct pycfg *pc, struct pv *out)
{
	struct pv	 v;
	long long	 iv;
	double		 dv;
	int		 isreal, line = pc->tok.line, r;
	char		 op;

	if (!is_op(&pc->tok, "-") && !is_op(&pc->tok, "+") &&
	    !is_op(&pc->tok, "~"))
		return (primary(pc, out));
	op = pc->tok.text[0];
	if (op == '~')
		return (pc_error(pc, line, "operator '~' is not supported"));
	if (++pc->nest > PYCFG_MAX_DEPTH) {
		pc->nest--;
		return (pc_error(pc, line, "expression nested too deeply"));
	}
	r = advance(pc) != 0 ? -1 : factor(pc, &v);
	pc->nest--;
	if (r != 0)
		return (-1);
	if (pv_number(&v, &iv, &dv, &isreal) != 0) {
		r = pc_error(pc, line, "bad operand type for unary %c: '%s'",
		    op, pv_type(&v));
		pv_clear(&v);
		return (r);
	}
	pv_clear(&v);
	if (isreal)
		return (make_real(pc, line, op == '-' ? -dv : dv, out));
	if (op == '-') {
		if (iv == LLONG_MIN)
			return (pc_error(pc, line, "integer overflow"));
		iv = -iv;
	}
	*out = pv_scalar(json_integer(iv));
	return (0);
}

static int
term(struct pycfg *pc, struct pv *out)
{
	struct pv	 a, b, r;
	char		 op[3];
	int		 line;

	if (factor(pc, &a) != 0)
		return (-1);
	while (is_op(&pc->tok, "*") || is_op(&pc->tok, "/") ||
	    is_op(&pc->tok, "//") || is_op(&pc->tok, "%")) {
		strcpy(op, pc->tok.text);
		line = pc->tok.line;
		if (advance(pc) != 0 || factor(pc, &b) != 0) {
			pv_clear(&a);
			return (-1);
		}
		if (binop(pc, line, op, &a, &b, &r) != 0) {
			pv_clear(&a);
			pv_clear(&b);
			return (-1);
		}
		pv_clear(&a);
		pv_clear(&b);
		a = r;
	}
	*out = a;
	return (0);
}

static int
expr(struct pycfg *pc, struct pv *out)
{
	struct pv	 a, b, r;
	char		 op[2];
	int		 line, rc = -1;

	if (++pc->nest > PYCFG_MAX_DEPTH) {
		pc->nest--;
		return (pc_error(pc, pc->tok.line, "expression nested too "
		    "deeply"));
	}
	if (term(pc, &a) != 0)
		goto out;
	while (is_op(&pc->tok, "+") || is_op(&pc->tok, "-")) {
		op[0] = pc->tok.text[0];
		op[1] = '\0';
		line = pc->tok.line;
		if (advance(pc) != 0 || term(pc, &b) != 0) {
			pv_clear(&a);
			goto out;
		}
		if (binop(pc, line, op, &a, &b, &r) != 0) {
			pv_clear(&a);
			pv_clear(&b);
			goto out;
		}
		pv_clear(&a);
		pv_clear(&b);
		a = r;
	}
	*out = a;
	rc = 0;
out:
	pc->nest--;
	return (rc);
}

/* The right-hand side: an expression, or a bare tuple 'a, b'. */
static int
expr_list(struct pycfg *pc, struct pv *out)
{
	struct pv	 v;
	json_t		*arr;
	int		 depth, line = pc->tok.line;
	size_t		 cost;

	if (expr(pc, out) != 0)
		return (-1);
	if (!is_op(&pc->tok, ","))
		return (0);
	arr = json_array();
	json_array_append_new(arr, out->j);
	depth = out->depth;
	cost = PYCFG_COST_NODE + out->cost;
	memset(out, 0, sizeof *out);
	while (is_op(&pc->tok, ",")) {
		if (advance(pc) != 0)
			goto fail;
		if (pc->tok.type == T_NEWLINE || pc->tok.type == T_EOF ||
		    is_op(&pc->tok, ";"))
			break;
		if (expr(pc, &v) != 0)
			goto fail;
		if (v.depth > depth)
			depth = v.depth;
		cost += v.cost;
		json_array_append_new(arr, v.j);
		if (check_array(pc, line, json_array_size(arr), depth + 1,
		    cost) != 0)
			goto fail;
	}
	out->j = arr;
	out->tuple = 1;
	out->depth = depth + 1;
	out->cost = cost;
	return (0);
fail:
	json_decref(arr);
	return (-1);
}

static int
assign(struct pycfg *pc, const char *name, struct pv *v, int line)
{
	int		 i = lookup(pc, name);
	struct var	*var;

	if (i >= 0 && pc->vars[i].override) {
		pv_clear(v);		/* the command line wins */
		return (0);
	}
	if (i < 0) {
		if (pc->nvars >= PYCFG_MAX_VARS) {
			pv_clear(v);
			return (pc_error(pc, line, "too many variables (more "
			    "than %d)", PYCFG_MAX_VARS));
		}
		pc->vars = xreallocarray(pc->vars, pc->nvars + 1,
		    sizeof *pc->vars);
		i = (int)pc->nvars++;
		var = &pc->vars[i];
		memset(var, 0, sizeof *var);
		var->name = xstrdup(name);
		json_object_set_new(pc->index, name, json_integer(i));
	} else {
		var = &pc->vars[i];
		pc->total -= var->v.cost;
		pv_clear(&var->v);
	}
	var->v = *v;
	var->line = line;
	pc->total += v->cost;
	memset(v, 0, sizeof *v);
	if (pc->total > PYCFG_MAX_TOTAL)
		return (pc_error(pc, line, "configuration too large"));
	return (0);
}

static int
statement(struct pycfg *pc)
{
	struct tok	*t = &pc->tok;
	struct pv	 v, old, r;
	char		*name = NULL, op[3];
	int		 line = t->line, i, rc = -1;

	if (t->type == T_NEWLINE || is_op(t, ";"))
		return (advance(pc));
	if (t->type == T_STR) {		/* a docstring: evaluate, discard */
		if (expr_list(pc, &v) != 0)
			return (-1);
		pv_clear(&v);
		goto end;
	}
	if (t->type != T_NAME) {
		if (t->type == T_OP && is_op(t, "@"))
			return (pc_error(pc, line, "decorators are not "
			    "supported"));
		return (pc_error(pc, line, "invalid syntax at '%s': expected "
		    "'name = value'", t->text));
	}
	if (is_stmt_keyword(t->s))
		return (pc_error(pc, line, "'%s' statements are not supported",
		    t->s));
	if (strcmp(t->s, "True") == 0 || strcmp(t->s, "False") == 0 ||
	    strcmp(t->s, "None") == 0)
		return (pc_error(pc, line, "cannot assign to %s", t->s));
	if (is_keyword(t->s))
		return (pc_error(pc, line, "'%s' is not supported", t->s));
	if (peek(pc) != 0)
		return (-1);
	if (is_op(&pc->la, "(") || is_op(&pc->la, "."))
		return (pc_error(pc, line, "only 'name = value' statements are "
		    "supported (got '%s%s')", t->s, pc->la.text));
	if (is_op(&pc->la, ",") || is_op(&pc->la, "["))
		return (pc_error(pc, line, "only 'name = value' statements are "
		    "supported (one name on the left)"));
	if (!is_op(&pc->la, "=") && !(pc->la.type == T_OP &&
	    strlen(pc->la.text) >= 2 && pc->la.text[strlen(pc->la.text) - 1]
	    == '=' && strchr("+-*/%", pc->la.text[0]) != NULL))
		return (pc_error(pc, line, "invalid syntax: expected '=' after "
		    "'%s'", t->s));

	name = xstrdup(t->s);
	if (advance(pc) != 0)
		goto out;
	op[0] = '\0';
	if (!is_op(&pc->tok, "=")) {	/* augmented: x += y is x = x + y */
		snprintf(op, sizeof op, "%.*s", (int)strlen(pc->tok.text) - 1,
		    pc->tok.text);
	}
	if (advance(pc) != 0 || expr_list(pc, &v) != 0)
		goto out;
	if (is_op(&pc->tok, "=")) {
		pv_clear(&v);
		pc_error(pc, pc->tok.line, "chained assignment is not "
		    "supported");
		goto out;
	}
	if (op[0] != '\0') {
		if ((i = lookup(pc, name)) < 0) {
			pv_clear(&v);
			pc_error(pc, line, "name '%s' is not defined", name);
			goto out;
		}
		pc->vars[i].used = 1;
		old = pc->vars[i].v;
		if (binop(pc, line, op, &old, &v, &r) != 0) {
			pv_clear(&v);
			goto out;
		}
		pv_clear(&v);
		v = r;
	}
	if (assign(pc, name, &v, line) != 0)
		goto out;
	free(name);
	name = NULL;
end:
	if (pc->tok.type == T_NEWLINE || is_op(&pc->tok, ";"))
		return (advance(pc));
	if (pc->tok.type == T_EOF)
		return (0);
	return (syntax_error(pc));
out:
	free(name);
	return (rc);
}

static int
valid_name(const char *s)
{
	size_t	 i;

	if (!is_alpha((unsigned char)s[0]) || strlen(s) > PYCFG_MAX_NAME ||
	    is_keyword(s))
		return (0);
	for (i = 1; s[i] != '\0'; i++) {
		if (!is_alnum((unsigned char)s[i]))
			return (0);
	}
	return (1);
}

/* An override value: an integer if it reads as one, otherwise a string. */
static json_t *
override_value(const char *s)
{
	const char	*p = s;
	char		*end;
	long long	 v;

	if (*p == '-')
		p++;
	if (*p != '\0' && strspn(p, "0123456789") == strlen(p)) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return (json_integer(v));
	}
	return (json_string(s));
}

int
pycfg_eval(const char *text, size_t len, const char *file,
    const struct domcfg_override *ov, size_t nov, json_t **vars,
    json_t **metap, char **cause)
{
	struct pycfg	 pc;
	struct pv	 v;
	json_t		*out, *meta, *lines, *helpers, *j;
	size_t		 i;
	int		 k;

	if (file == NULL)
		file = "<config>";
	if (len > PYCFG_MAX_INPUT) {
		*cause = xsprintf("%s: file too large (more than %d bytes)",
		    file, PYCFG_MAX_INPUT);
		return (-1);
	}
	memset(&pc, 0, sizeof pc);
	pc.p = text;
	pc.end = text + len;
	pc.file = file;
	pc.line = 1;
	pc.bol = 1;
	pc.index = json_object();

	for (i = 0; i < nov; i++) {
		if (ov[i].name == NULL || !valid_name(ov[i].name)) {
			pc.cause = xsprintf("%s: '%s' on the command line is "
			    "not a valid variable name", file,
			    ov[i].name == NULL ? "" : ov[i].name);
			goto fail;
		}
		if (ov[i].value == NULL ||
		    (j = override_value(ov[i].value)) == NULL) {
			pc.cause = xsprintf("%s: %s on the command line: value "
			    "is not valid UTF-8", file, ov[i].name);
			goto fail;
		}
		v = pv_scalar(j);
		if ((k = lookup(&pc, ov[i].name)) >= 0)
			pc.vars[k].override = 0;	/* the last one wins */
		if (assign(&pc, ov[i].name, &v, 0) != 0)
			goto fail;
		pc.vars[lookup(&pc, ov[i].name)].override = 1;
	}

	if (advance(&pc) != 0)
		goto fail;
	while (pc.tok.type != T_EOF) {
		if (statement(&pc) != 0)
			goto fail;
	}

	out = json_object();
	meta = json_object();
	lines = json_object();
	helpers = json_object();
	for (i = 0; i < pc.nvars; i++) {
		json_object_set(out, pc.vars[i].name, pc.vars[i].v.j);
		if (!pc.vars[i].override)
			json_object_set_new(lines, pc.vars[i].name,
			    json_integer(pc.vars[i].line));
		if (pc.vars[i].override || pc.vars[i].used)
			json_object_set_new(helpers, pc.vars[i].name,
			    json_true());
	}
	json_object_set_new(meta, "lines", lines);
	json_object_set_new(meta, "helpers", helpers);
	*vars = out;
	if (metap != NULL)
		*metap = meta;
	else
		json_decref(meta);
	k = 0;
	goto done;

fail:
	*cause = pc.cause != NULL ? pc.cause : xsprintf("%s: invalid "
	    "configuration", file);
	pc.cause = NULL;
	k = -1;
done:
	tok_clear(&pc.tok);
	tok_clear(&pc.la);
	for (i = 0; i < pc.nvars; i++) {
		free(pc.vars[i].name);
		pv_clear(&pc.vars[i].v);
	}
	free(pc.vars);
	json_decref(pc.index);
	free(pc.cause);
	return (k);
}
