/* test-sxp.c: the S-expression parser and printer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "sxp.h"

static struct sxp *
parse_ok(const char *text)
{
	struct sxp	*x = NULL;
	char		*cause = NULL;

	if (sxp_parse(text, strlen(text), "t.sxp", &x, &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	assert_non_null(x);
	return (x);
}

static void
assert_parse_error(const char *text, size_t len, const char *want)
{
	struct sxp	*x = NULL;
	char		*cause = NULL;

	assert_int_equal(sxp_parse(text, len, "t.sxp", &x, &cause), -1);
	assert_null(x);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static char *
reprint(const char *text, int pretty)
{
	struct sxp	*x = parse_ok(text);
	char		*s;

	assert_int_equal(x->n, 1);
	s = sxp_print(x->items[0], pretty);

	sxp_free(x);
	return (s);
}

static void
test_empty(void **state)
{
	struct sxp	*x = parse_ok("");

	assert_int_equal(x->type, SXP_LIST);
	assert_int_equal(x->n, 0);
	assert_null(sxp_name(x));
	sxp_free(x);

	x = parse_ok("  # only a comment\n ; and another\n\n");
	assert_int_equal(x->n, 0);
	sxp_free(x);
}

static void
test_atoms_and_lists(void **state)
{
	struct sxp	*x = parse_ok("(vm (name ttylinux) (memory 64)\n"
	    "  (image (linux (kernel /boot/vmlinuz) (root '/dev/sda1 ro'))))\n"
	    "bare\n");
	struct sxp	*vm, *image;

	assert_int_equal(x->n, 2);
	vm = x->items[0];
	assert_int_equal(vm->type, SXP_LIST);
	assert_int_equal(vm->line, 1);
	assert_string_equal(sxp_name(vm), "vm");
	assert_string_equal(sxp_child_value(vm, "name", NULL), "ttylinux");
	assert_string_equal(sxp_child_value(vm, "memory", NULL), "64");
	assert_string_equal(sxp_child_value(vm, "missing", "dflt"), "dflt");
	assert_null(sxp_child_value(vm, "image", NULL));	/* not an atom */
	image = sxp_child(vm, "image");
	assert_non_null(image);
	assert_int_equal(image->line, 2);
	assert_string_equal(sxp_child_value(sxp_child(image, "linux"), "root",
	    NULL), "/dev/sda1 ro");
	assert_null(sxp_child(vm, "nothing"));
	assert_null(sxp_child(x->items[1], "x"));	/* an atom */
	assert_int_equal(x->items[1]->type, SXP_ATOM);
	assert_string_equal(x->items[1]->atom, "bare");
	assert_int_equal(x->items[1]->line, 3);
	sxp_free(x);
}

static void
test_quoting(void **state)
{
	struct sxp	*x = parse_ok("(a \"double \\\"q\\\"\" 'it\\'s' "
	    "'tab\\there' 'nl\\n' '' \"multi\nline\")");
	struct sxp	*a = x->items[0];

	assert_int_equal(a->n, 7);
	assert_string_equal(a->items[1]->atom, "double \"q\"");
	assert_string_equal(a->items[2]->atom, "it's");
	assert_string_equal(a->items[3]->atom, "tab\there");
	assert_string_equal(a->items[4]->atom, "nl\n");
	assert_string_equal(a->items[5]->atom, "");
	assert_string_equal(a->items[6]->atom, "multi\nline");
	sxp_free(x);
}

static void
test_comments_and_lines(void **state)
{
	struct sxp	*x = parse_ok("# header\n(a 1) ; trailing\n\n(b # in\n"
	    " 2)\n");

	assert_int_equal(x->n, 2);
	assert_int_equal(x->items[0]->line, 2);
	assert_int_equal(x->items[1]->line, 4);
	assert_string_equal(sxp_child_value(x, "b", NULL), "2");
	assert_int_equal(x->items[1]->items[1]->line, 5);
	sxp_free(x);
}

static void
test_errors(void **state)
{
	assert_parse_error("(a\n(b c)\n", 9, "t.sxp:1: unbalanced '(': "
	    "missing ')'");
	assert_parse_error("(a)\n)", 5, "t.sxp:2: unbalanced ')'");
	assert_parse_error("(a\n 'open", 9, "t.sxp:2: unterminated string");
	assert_parse_error("(a \"x\\0y\")", 10, "t.sxp:1: NUL byte in atom");
	assert_parse_error("(a b\0c)", 7, "t.sxp:1: NUL byte in atom");
}

static void
test_depth(void **state)
{
	char		 buf[512];
	struct sxp	*x;
	char		*cause = NULL;
	int		 i, n = 0;

	for (i = 0; i < SXP_MAX_DEPTH; i++)
		buf[n++] = '(';
	for (i = 0; i < SXP_MAX_DEPTH; i++)
		buf[n++] = ')';
	assert_int_equal(sxp_parse(buf, n, "t.sxp", &x, &cause), 0);
	sxp_free(x);

	n = 0;
	for (i = 0; i < SXP_MAX_DEPTH + 1; i++)
		buf[n++] = '(';
	for (i = 0; i < SXP_MAX_DEPTH + 1; i++)
		buf[n++] = ')';
	assert_parse_error(buf, n, "t.sxp:1: nested too deeply");
}

static void
test_print(void **state)
{
	char	*s;

	s = reprint("(vm (name x) (root '/dev/sda1 ro') (e '') "
	    "(q \"it's\") (p 'a(b)') (h 'x#y'))", 0);
	assert_string_equal(s, "(vm (name x) (root '/dev/sda1 ro') (e '') "
	    "(q 'it\\'s') (p 'a(b)') (h 'x#y'))");
	free(s);

	s = reprint("(vm (name x) (image (linux (kernel /k))) (device (vbd "
	    "(dev sda1))))", 1);
	assert_string_equal(s,
	    "(vm\n"
	    "    (name x)\n"
	    "    (image\n"
	    "        (linux\n"
	    "            (kernel /k)))\n"
	    "    (device\n"
	    "        (vbd\n"
	    "            (dev sda1))))");
	free(s);

	s = reprint("()", 0);
	assert_string_equal(s, "()");
	free(s);
}

/* print(parse(print(parse(x)))) == print(parse(x)), for awkward atoms. */
static void
test_print_roundtrip(void **state)
{
	static const char *const inputs[] = {
		("(a 'with space' \"dq\\\"\" 'back\\\\slash' 'nl\\nx' 'tab\\t' "
		"'semi;colon' 'x\\ry' '\\'' \"\")"),
		"(a (b (c (d))) () (e ()))",
		"(utf8 'caf\xc3\xa9' h\xc3\xa9llo)",
	};
	size_t	 i;
	char	*one, *two;

	for (i = 0; i < nitems(inputs); i++) {
		one = reprint(inputs[i], 0);
		two = reprint(one, 0);
		assert_string_equal(one, two);
		free(two);
		two = reprint(one, 1);
		free(one);
		one = reprint(two, 0);
		free(two);
		two = reprint(inputs[i], 0);
		assert_string_equal(one, two);
		free(one);
		free(two);
	}
}

/* A terminal reading xm list -l never sees a raw control character. */
static void
test_print_control_chars(void **state)
{
	struct sxp	*s = sxp_list_new("domain"), *back;
	char		*text;

	sxp_add_pair(s, "vcpus_online", "\x1b[2J\x1b]0;pwned\x07 \x7f");
	text = sxp_print(s, 0);
	assert_string_equal(text, "(domain (vcpus_online "
	    "'\\x1b[2J\\x1b]0;pwned\\x07 \\x7f'))");
	back = parse_ok(text);
	assert_string_equal(back->items[0]->items[1]->items[1]->atom,
	    "\x1b[2J\x1b]0;pwned\x07 \x7f");
	sxp_free(back);
	free(text);
	sxp_free(s);
	/* \x without two hex digits is an x, as before. */
	back = parse_ok("'a\\xg'");
	assert_string_equal(back->items[0]->atom, "axg");
	sxp_free(back);
	assert_parse_error("'a\\x00'", 7, "t.sxp:1: NUL byte in atom");
}

static void
test_build(void **state)
{
	struct sxp	*vm = sxp_list_new("vm"), *dev, *empty;
	char		*s;

	sxp_add_pair(vm, "name", "a b");
	dev = sxp_add(vm, sxp_list_new("device"));
	sxp_add_pair(sxp_add(dev, sxp_list_new("vif")), "mac",
	    "00:16:3e:00:00:01");
	empty = sxp_add(vm, sxp_list_new(NULL));
	assert_null(sxp_name(empty));
	sxp_add(vm, sxp_atom_new("tail"));
	s = sxp_print(vm, 0);
	assert_string_equal(s, "(vm (name 'a b') (device (vif (mac "
	    "00:16:3e:00:00:01))) () tail)");
	free(s);
	assert_string_equal(sxp_child_value(vm, "name", NULL), "a b");
	sxp_free(vm);
	sxp_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_atoms_and_lists),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_comments_and_lines),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_print_control_chars),
		cmocka_unit_test(test_build),
	};

	return (cmocka_run_group_tests_name("sxp", tests, NULL, NULL));
}
