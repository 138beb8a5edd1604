/* test-pycfg.c: the Python-subset evaluator of domain config files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "pycfg.h"

static json_t *
eval_ov(const char *text, size_t len, const struct domcfg_override *ov,
    size_t nov)
{
	json_t	*vars = NULL;
	char	*cause = NULL;

	if (pycfg_eval(text, len, "cfg", ov, nov, &vars, NULL, &cause) != 0)
		fail_msg("unexpected error: %s\n--- for ---\n%s", cause, text);
	assert_non_null(vars);
	return (vars);
}

static json_t *
eval_ok(const char *text)
{
	return (eval_ov(text, strlen(text), NULL, 0));
}

/* The variables of text must equal the JSON want. */
static void
assert_vars_ov(const char *text, const struct domcfg_override *ov,
    size_t nov, const char *want)
{
	json_t		*vars = eval_ov(text, strlen(text), ov, nov), *w;
	json_error_t	 jerr;
	char		*got, *exp;

	if ((w = json_loads(want, JSON_DECODE_ANY, &jerr)) == NULL)
		fail_msg("bad expected JSON: %s: %s", want, jerr.text);
	if (!json_equal(vars, w)) {
		got = json_dumps(vars, JSON_COMPACT | JSON_ENCODE_ANY);
		exp = json_dumps(w, JSON_COMPACT | JSON_ENCODE_ANY);
		fail_msg("for:\n%s\ngot:  %s\nwant: %s", text, got, exp);
	}
	json_decref(w);
	json_decref(vars);
}

static void
assert_vars(const char *text, const char *want)
{
	assert_vars_ov(text, NULL, 0, want);
}

/* x = <expr> must give the JSON value want. */
static void
assert_value(const char *expr, const char *want)
{
	char	*text, *w;

	xasprintf(&text, "x = %s\n", expr);
	xasprintf(&w, "{\"x\": %s}", want);
	assert_vars(text, w);
	free(text);
	free(w);
}

static void
assert_error_len_ov(const char *text, size_t len,
    const struct domcfg_override *ov, size_t nov, const char *want)
{
	json_t	*vars = NULL;
	char	*cause = NULL;

	if (pycfg_eval(text, len, "cfg", ov, nov, &vars, NULL, &cause) == 0) {
		char	*got = json_dumps(vars, JSON_COMPACT);

		fail_msg("expected an error for:\n%s\ngot %s", text, got);
	}
	assert_null(vars);
	assert_non_null(cause);
	if (strcmp(cause, want) != 0)
		fail_msg("for:\n%s\ngot:  %s\nwant: %s", text, cause, want);
	free(cause);
}

static void
assert_error(const char *text, const char *want)
{
	assert_error_len_ov(text, strlen(text), NULL, 0, want);
}

/* ---- the manual's configs ---- */

static void
test_manual_ttylinux(void **state)
{
	/* Xen 2.0 manual, "Example: ttylinux", verbatim. */
	assert_vars(
	    "kernel = \"/boot/vmlinuz-2.6.9-xenU\"\n"
	    "memory = 64\n"
	    "name = \"ttylinux\"\n"
	    "nics = 1\n"
	    "ip = \"\"\n"
	    "disk = ['file:/path/to/ttylinux/rootfs,sda1,w']\n"
	    "root = \"/dev/sda1 ro\"\n",
	    "{\"kernel\": \"/boot/vmlinuz-2.6.9-xenU\", \"memory\": 64, "
	    "\"name\": \"ttylinux\", \"nics\": 1, \"ip\": \"\", "
	    "\"disk\": [\"file:/path/to/ttylinux/rootfs,sda1,w\"], "
	    "\"root\": \"/dev/sda1 ro\"}");
}

static const char xmexample2[] =
    "#  -*- mode: python; -*-\n"
    "#==========================================================\n"
    "# Python configuration setup for 'xm create'.\n"
    "# This script sets the parameters used when a domain is created\n"
    "# using 'xm create'.  Use it with vmid=N on the command line.\n"
    "#==========================================================\n"
    "\n"
    "kernel = \"/boot/vmlinuz-2.6.10-xenU\"\n"
    "\n"
    "# Optional ramdisk.\n"
    "#ramdisk = \"/boot/initrd.gz\"\n"
    "\n"
    "memory = 64\n"
    "\n"
    "# A name for the new domain. All domains have to have different\n"
    "# names, so we use the vmid to create a name.\n"
    "name = \"VM%d\" % vmid\n"
    "\n"
    "#cpu = -1   # leave to Xen to pick\n"
    "cpu = vmid  # set based on vmid (mod number of CPUs)\n"
    "\n"
    "#vif = [ 'mac=aa:00:00:00:00:11, bridge=xen-br0' ]\n"
    "\n"
    "base_partition_number = 6\n"
    "disk = [ 'phy:sda%d,sda1,w' % (base_partition_number + vmid),\n"
    "         'phy:sda6,sda6,r' ]\n"
    "\n"
    "#dhcp=\"dhcp\"\n"
    "#hostname= \"vm%d\" % vmid\n"
    "\n"
    "root = \"/dev/sda1 ro\"\n"
    "extra = \"4 VMID=%d usr=/dev/sda6\" % vmid\n"
    "\n"
    "#restart = 'onreboot'\n";

static void
test_manual_xmexample2(void **state)
{
	struct domcfg_override	 ov[] = { { "vmid", "1" } };

	assert_vars_ov(xmexample2, ov, 1,
	    "{\"vmid\": 1, \"kernel\": \"/boot/vmlinuz-2.6.10-xenU\", "
	    "\"memory\": 64, \"name\": \"VM1\", \"cpu\": 1, "
	    "\"base_partition_number\": 6, "
	    "\"disk\": [\"phy:sda7,sda1,w\", \"phy:sda6,sda6,r\"], "
	    "\"root\": \"/dev/sda1 ro\", "
	    "\"extra\": \"4 VMID=1 usr=/dev/sda6\"}");

	/* Without vmid the file cannot run. */
	assert_error(xmexample2, "cfg:17: name 'vmid' is not defined");
}

/* ---- syntax ---- */

static void
test_empty_and_comments(void **state)
{
	assert_vars("", "{}");
	assert_vars("\n\n# only comments\n   # indented comment\n\n", "{}");
	assert_vars("\"\"\"A docstring.\"\"\"\nx = 1\n", "{\"x\": 1}");
	assert_vars("x = 1 # trailing\n#\ny = 2", "{\"x\": 1, \"y\": 2}");
	assert_vars("a = 1; b = 2;\nc = 3 ;", "{\"a\": 1, \"b\": 2, \"c\": 3}");
	assert_vars("  x = 1\n", "{\"x\": 1}");	/* indentation tolerated */
	assert_vars("x = 1\r\ny = 'a'\r\n", "{\"x\": 1, \"y\": \"a\"}");
}

static void
test_continuation(void **state)
{
	assert_vars("disk = [\n  'a',   # first\n\n  'b',\n]\nx = 1\n",
	    "{\"disk\": [\"a\", \"b\"], \"x\": 1}");
	assert_vars("x = 1 + \\\n  2\n", "{\"x\": 3}");
	assert_vars("x = (1 +\n 2 *\n 3)\n", "{\"x\": 7}");
	assert_vars("s = ('abc'\n     'def')\n", "{\"s\": \"abcdef\"}");
}

static void
test_strings(void **state)
{
	assert_value("'single'", "\"single\"");
	assert_value("\"double\"", "\"double\"");
	assert_value("'it\\'s ' \"say \\\"hi\\\"\"", "\"it's say \\\"hi\\\"\"");
	assert_value("'\\n\\t\\r\\\\\\a\\b\\f\\v\\101\\x41\\q'",
	    "\"\\n\\t\\r\\\\\\u0007\\b\\f\\u000bAA\\\\q\"");
	assert_value("'\\u00e9\\U0001F600\\xe9'",
	    "\"\\u00e9\\ud83d\\ude00\\u00e9\"");
	assert_value("'caf\xc3\xa9'", "\"caf\\u00e9\"");
	assert_value("r'C:\\new\\x' R\"\\d\"", "\"C:\\\\new\\\\x\\\\d\"");
	assert_value("r'a\\'b'", "\"a\\\\'b\"");
	assert_value("u'unicode' U'x'", "\"unicodex\"");
	assert_value("'''tri'ple\n\"x\"''' \"\"\"two\nlines\"\"\"",
	    "\"tri'ple\\n\\\"x\\\"two\\nlines\"");
	assert_value("'a' 'b' \"c\"", "\"abc\"");
	assert_value("'line \\\ncontinued'", "\"line continued\"");
	assert_value("''", "\"\"");
	assert_value("''''''", "\"\"");
}

static void
test_numbers(void **state)
{
	assert_value("42", "42");
	assert_value("-7", "-7");
	assert_value("+7", "7");
	assert_value("- - 7", "7");
	assert_value("0", "0");
	assert_value("000", "0");
	assert_value("0x1F", "31");
	assert_value("0o17", "15");
	assert_value("0b101", "5");
	assert_value("9223372036854775807", "9223372036854775807");
	assert_value("-9223372036854775807 - 1", "-9223372036854775808");
	assert_value("1.5", "1.5");
	assert_value("1e3", "1000.0");
	assert_value(".5", "0.5");
	assert_value("2.", "2.0");
	assert_value("True", "true");
	assert_value("False", "false");
	assert_value("None", "null");
}

static void
test_lists_tuples(void **state)
{
	assert_value("[]", "[]");
	assert_value("[1, 'a', [2, []], (3,)]", "[1, \"a\", [2, []], [3]]");
	assert_value("[1, 2, ]", "[1, 2]");
	assert_value("()", "[]");
	assert_value("(1,)", "[1]");
	assert_value("(1, 2,)", "[1, 2]");
	assert_value("(1)", "1");
	assert_value("((1, 2))", "[1, 2]");
	assert_value("1, 2", "[1, 2]");
	assert_value("1,", "[1]");
	assert_value("[(1, 2), 3]", "[[1, 2], 3]");
}

static void
test_arithmetic(void **state)
{
	assert_value("1 + 2 * 3", "7");
	assert_value("(1 + 2) * 3", "9");
	assert_value("10 - 4 - 3", "3");
	assert_value("7 / 2", "3");		/* Python 2 integer division */
	assert_value("-7 / 2", "-4");
	assert_value("7 // 2", "3");
	assert_value("-7 // 2", "-4");
	assert_value("7 % 3", "1");
	assert_value("-7 % 3", "2");
	assert_value("7 % -3", "-2");
	assert_value("2 * -3", "-6");
	assert_value("True + 1", "2");
	assert_value("7.0 / 2", "3.5");
	assert_value("7 // 2.0", "3.0");
	assert_value("-7.5 % 2", "0.5");
	assert_value("1.5 * 2", "3.0");
	assert_value("1 + 0.5", "1.5");
	assert_value("'ab' + 'cd'", "\"abcd\"");
	assert_value("'ab' * 3", "\"ababab\"");
	assert_value("3 * 'ab'", "\"ababab\"");
	assert_value("'ab' * 0", "\"\"");
	assert_value("'ab' * -1", "\"\"");
	assert_value("[1] + [2, 3]", "[1, 2, 3]");
	assert_value("[0] * 3", "[0, 0, 0]");
	assert_value("(1,) + (2,)", "[1, 2]");
	assert_value("[] * 1000000000", "[]");
	assert_value("'' * 9223372036854775807", "\"\"");
}

static void
test_arithmetic_errors(void **state)
{
	assert_error("x = 1 + 'a'", "cfg:1: unsupported operand type(s) for "
	    "+: 'int' and 'str'");
	assert_error("\nx = 'a' - 'b'", "cfg:2: unsupported operand type(s) "
	    "for -: 'str' and 'str'");
	assert_error("x = [1] + (2,)", "cfg:1: unsupported operand type(s) "
	    "for +: 'list' and 'tuple'");
	assert_error("x = 'a' * 'b'", "cfg:1: unsupported operand type(s) "
	    "for *: 'str' and 'str'");
	assert_error("x = 'a' * 1.5", "cfg:1: unsupported operand type(s) "
	    "for *: 'str' and 'float'");
	assert_error("x = None + 1", "cfg:1: unsupported operand type(s) "
	    "for +: 'NoneType' and 'int'");
	assert_error("x = [1] % 2", "cfg:1: unsupported operand type(s) "
	    "for %: 'list' and 'int'");
	assert_error("x = 1 / 0", "cfg:1: division by zero");
	assert_error("x = 1 // 0", "cfg:1: division by zero");
	assert_error("x = 1 % 0", "cfg:1: division by zero");
	assert_error("x = 1.0 / 0", "cfg:1: division by zero");
	assert_error("x = 9223372036854775807 + 1", "cfg:1: integer overflow");
	assert_error("x = 4611686018427387904 * 2", "cfg:1: integer overflow");
	assert_error("x = -(-9223372036854775807 - 1)",
	    "cfg:1: integer overflow");
	assert_error("x = (-9223372036854775807 - 1) / -1",
	    "cfg:1: integer overflow");
	assert_error("x = 1e308 * 10", "cfg:1: float overflow");
	assert_error("x = -'a'", "cfg:1: bad operand type for unary -: "
	    "'str'");
	assert_error("x = 9223372036854775808", "cfg:1: integer literal too "
	    "large");
	assert_error("x = 0x10000000000000000", "cfg:1: integer literal too "
	    "large");
	assert_error("x = 1e999", "cfg:1: float literal out of range");
	assert_error("x = 012", "cfg:1: leading zeros in decimal integer "
	    "literals are not permitted");
	assert_error("x = 0x", "cfg:1: invalid number literal");
	assert_error("x = 12abc", "cfg:1: invalid number literal");
	assert_error("x = 1.2.3", "cfg:1: invalid number literal");
}

static void
test_format(void **state)
{
	assert_value("'VM%d' % 3", "\"VM3\"");
	assert_value("'phy:hda%d,sda1,w' % (2 + 3)", "\"phy:hda5,sda1,w\"");
	assert_value("'%s-%s' % ('a', 1)", "\"a-1\"");
	assert_value("'%i|%x|%X|%o|%%' % (10, 255, 255, 8)",
	    "\"10|ff|FF|10|%\"");
	assert_value("'%05d|%-4d|%4d|%+d|% d' % (42, 7, 7, 7, 7)",
	    "\"00042|7   |   7|+7| 7\"");
	assert_value("'%x|%#x|%#o|%.3d' % (-255, 255, 8, 5)",
	    "\"-ff|0xff|0o10|005\"");
	assert_value("'%5s|%-5s|%.2s|%5.1s' % ('ab', 'ab', 'abc', 'xyz')",
	    "\"   ab|ab   |ab|    x\"");
	assert_value("'%.2f|%e|%g|%d' % (3.14159, 1.5, 0.5, 2.9)",
	    "\"3.14|1.500000e+00|0.5|2\"");
	assert_value("'%s %s %s %s' % (True, None, 1.5, 2.0)",
	    "\"True None 1.5 2.0\"");
	assert_value("'%s' % [1, 'a']", "\"[1, 'a']\"");
	assert_value("'%r|%r' % ('it\\'s', 'x')", "\"\\\"it's\\\"|'x'\"");
	assert_value("'%s' % 'caf\xc3\xa9'", "\"caf\\u00e9\"");
	assert_value("'%5s|' % 'caf\xc3\xa9'", "\" caf\\u00e9|\"");
	assert_value("'%.3s|' % 'caf\xc3\xa9'", "\"caf|\"");
	assert_value("'%ld' % 5", "\"5\"");
	assert_value("'100%%' % ()", "\"100%\"");
	assert_value("'%s' % 10000000000000000.0", "\"1e+16\"");
	assert_value("'%s|%s|%s' % (0.1, 123.0, 1e-05)",
	    "\"0.1|123.0|1e-05\"");

	assert_error("x = '%d %d' % (1,)", "cfg:1: not enough arguments for "
	    "format string");
	assert_error("x = '%d' % (1, 2)", "cfg:1: not all arguments "
	    "converted during string formatting");
	assert_error("x = 'abc' % 1", "cfg:1: not all arguments converted "
	    "during string formatting");
	assert_error("x = '%d' % 'a'", "cfg:1: %d format: a number is "
	    "required, not str");
	assert_error("x = '%x' % 1.5", "cfg:1: %x format: an integer is "
	    "required, not float");
	assert_error("x = '%f' % 'a'", "cfg:1: must be real number, not str");
	assert_error("x = '%q' % 1", "cfg:1: unsupported format character "
	    "'q' (0x71) at index 1");
	assert_error("x = '%(a)s' % 1", "cfg:1: '%(name)s' formatting is not "
	    "supported");
	assert_error("x = '%*d' % (1, 2)", "cfg:1: '*' width is not "
	    "supported in format strings");
	assert_error("x = 'abc%' % ()", "cfg:1: incomplete format");
	assert_error("x = '%999d' % 1", "cfg:1: format width too large");
}

static void
test_calls(void **state)
{
	assert_value("str(12)", "\"12\"");
	assert_value("str('a')", "\"a\"");
	assert_value("str(None) + str(True) + str([1, 'a'])",
	    "\"NoneTrue[1, 'a']\"");
	assert_value("str((1,))", "\"(1,)\"");
	assert_value("str()", "\"\"");
	assert_value("str(1.5)", "\"1.5\"");
	assert_value("int('42')", "42");
	assert_value("int(' -42\\n')", "-42");
	assert_value("int('010')", "10");
	assert_value("int(3.9)", "3");
	assert_value("int(-3.9)", "-3");
	assert_value("int(True)", "1");
	assert_value("int()", "0");
	assert_value("int('ff', 16)", "255");
	assert_value("int('0x1f', 16)", "31");
	assert_value("int('0x1f', 0)", "31");
	assert_value("int('z', 36)", "35");
	assert_value("int(str(7)) * 2", "14");

	assert_error("x = int('abc')", "cfg:1: invalid literal for int() "
	    "with base 10: 'abc'");
	assert_error("x = int('')", "cfg:1: invalid literal for int() with "
	    "base 10: ''");
	assert_error("x = int('010', 0)", "cfg:1: invalid literal for int() "
	    "with base 0: '010'");
	assert_error("x = int('99999999999999999999')",
	    "cfg:1: integer overflow");
	assert_error("x = int([1])", "cfg:1: int() argument must be a string "
	    "or a number, not 'list'");
	assert_error("x = int(1, 2)", "cfg:1: int() can't convert non-string "
	    "with explicit base");
	assert_error("x = int('1', 99)", "cfg:1: int() base must be >= 2 and "
	    "<= 36, or 0");
	assert_error("x = int('1', 2, 3)", "cfg:1: int() takes at most 2 "
	    "arguments");
	assert_error("x = str(1, 2)", "cfg:1: str() takes at most 1 "
	    "argument");
	assert_error("x = int(base=2)", "cfg:1: keyword arguments are not "
	    "supported");
	assert_error("x = len('abc')", "cfg:1: function calls are not "
	    "supported ('len()'; only str() and int())");
	assert_error("x = str(1\n", "cfg:1: '(' was never closed");
}

static void
test_variables(void **state)
{
	assert_vars("a = 1\nb = a + 1\na = 10\n", "{\"a\": 10, \"b\": 2}");
	assert_vars("extra = 'a'\nextra += ' b'\nn = 2\nn *= 3\nn -= 1\n"
	    "n //= 2\nn %= 2\nm = 7\nm /= 2\n",
	    "{\"extra\": \"a b\", \"n\": 0, \"m\": 3}");
	assert_vars("_helper = 5\nmemory = _helper * 16\n",
	    "{\"_helper\": 5, \"memory\": 80}");
	assert_vars("t = (1, 2)\ns = '%d-%d' % t\n",
	    "{\"t\": [1, 2], \"s\": \"1-2\"}");
	assert_error("t = (1, 2)\ns = '%s' % (t)\n", "cfg:2: not all "
	    "arguments converted during string formatting");

	assert_error("x = 1\ny = z\n", "cfg:2: name 'z' is not defined");
	assert_error("x += 1\n", "cfg:1: name 'x' is not defined");
	assert_error("x = [\n 1,\n y]\n", "cfg:3: name 'y' is not defined");
}

static void
test_unsupported(void **state)
{
	assert_error("x = 1\n\n\n\nimport os\n", "cfg:5: 'import' statements "
	    "are not supported");
	assert_error("from os import path", "cfg:1: 'from' statements are not "
	    "supported");
	assert_error("def f(x):\n  return x\n", "cfg:1: 'def' statements are "
	    "not supported");
	assert_error("if vmid > 1:\n  x = 1\n", "cfg:1: 'if' statements are "
	    "not supported");
	assert_error("for i in [1]: pass", "cfg:1: 'for' statements are not "
	    "supported");
	assert_error("while 1: pass", "cfg:1: 'while' statements are not "
	    "supported");
	assert_error("class A: pass", "cfg:1: 'class' statements are not "
	    "supported");
	assert_error("print 'x'", "cfg:1: 'print' statements are not "
	    "supported");
	assert_error("x = lambda: 1", "cfg:1: 'lambda' is not supported");
	assert_error("x = 1 if 2 else 3", "cfg:1: 'if' is not supported");
	assert_error("x = 1 and 2", "cfg:1: 'and' is not supported");
	assert_error("x = not 1", "cfg:1: 'not' is not supported");
	assert_error("x = [i for i in y]", "cfg:1: comprehensions are not "
	    "supported");
	assert_error("x = [1 for i in y]", "cfg:1: comprehensions are not "
	    "supported");
	assert_error("x = 1 == 1", "cfg:1: operator '==' is not supported");
	assert_error("x = 1 < 2", "cfg:1: operator '<' is not supported");
	assert_error("x = 2 ** 3", "cfg:1: operator '**' is not supported");
	assert_error("x = ~1", "cfg:1: operator '~' is not supported");
	assert_error("x = {'a': 1}", "cfg:1: dictionaries and sets are not "
	    "supported");
	assert_error("x = os.path", "cfg:1: attribute access is not supported "
	    "('os.')");
	assert_error("x = 'a'.upper()", "cfg:1: attribute access is not "
	    "supported");
	assert_error("y = [1]\nx = y[0]", "cfg:2: subscripts are not "
	    "supported ('y[')");
	assert_error("x = [1][0]", "cfg:1: subscripts are not supported");
	assert_error("x = f(1)", "cfg:1: function calls are not supported "
	    "('f()'; only str() and int())");
	assert_error("xm_vars.check()", "cfg:1: only 'name = value' statements "
	    "are supported (got 'xm_vars.')");
	assert_error("foo(1)", "cfg:1: only 'name = value' statements are "
	    "supported (got 'foo(')");
	assert_error("a, b = 1, 2", "cfg:1: only 'name = value' statements "
	    "are supported (one name on the left)");
	assert_error("a = b = 1", "cfg:1: chained assignment is not "
	    "supported");
	assert_error("x", "cfg:1: invalid syntax: expected '=' after 'x'");
	assert_error("x 1", "cfg:1: invalid syntax: expected '=' after 'x'");
	assert_error("1 = x", "cfg:1: invalid syntax at '1': expected "
	    "'name = value'");
	assert_error("@dec\nx = 1", "cfg:1: decorators are not supported");
	assert_error("True = 1", "cfg:1: cannot assign to True");
	assert_error("x = f'{y}'", "cfg:1: f-strings are not supported");
	assert_error("x = b'y'", "cfg:1: bytes literals are not supported");
	assert_error("x = '\\N{DASH}'", "cfg:1: \\N{...} escapes are not "
	    "supported");
}

static void
test_syntax_errors(void **state)
{
	assert_error("x = ", "cfg:1: expected a value, got 'end of file'");
	assert_error("x =\ny = 1", "cfg:1: expected a value, got 'end of "
	    "line'");
	assert_error("x = 1 2", "cfg:1: invalid syntax at '2'");
	assert_error("x = 1 'a'", "cfg:1: invalid syntax at 'string'");
	assert_error("x = (1, 2]", "cfg:1: ']' does not match '(' on line 1");
	assert_error("x = [1,\n2\n", "cfg:1: '[' was never closed");
	assert_error("x = (1,\n2\n", "cfg:1: '(' was never closed");
	assert_error("x = [1 2]", "cfg:1: invalid syntax at '2'");
	assert_error("x = [,]", "cfg:1: expected a value, got ','");
	assert_error("x = 1)", "cfg:1: invalid syntax at ')'");
	assert_error("x = 1 = 2", "cfg:1: chained assignment is not "
	    "supported");
	assert_error("x = 'abc", "cfg:1: unterminated string");
	assert_error("x = 'abc\ny = 1", "cfg:1: unterminated string");
	assert_error("\n\nx = '''abc\n\n", "cfg:3: unterminated triple-quoted "
	    "string");
	assert_error("x = 'a\\x4'", "cfg:1: invalid \\x escape in string");
	assert_error("x = '\\ud800'", "cfg:1: invalid \\u escape in string");
	assert_error("x = '\\U00110000'", "cfg:1: invalid \\U escape in "
	    "string");
	assert_error("x = 1 $ 2", "cfg:1: invalid character '$'");
	assert_error("x = `1`", "cfg:1: invalid character '`'");
	assert_error("x = 1\x01", "cfg:1: invalid character 0x01");
	assert_error("x = caf\xc3\xa9", "cfg:1: invalid character 0xc3");
	assert_error("x = '\xff'", "cfg:1: string is not valid UTF-8");
	assert_error("x = '\\0'", "cfg:1: NUL character in string");
	assert_error("x = '\\x00'", "cfg:1: NUL character in string");
	assert_error_len_ov("x = 'a\0b'", 9, NULL, 0, "cfg:1: NUL character "
	    "in string");
	assert_error_len_ov("x = 1\0", 6, NULL, 0, "cfg:1: invalid character "
	    "0x00");
}

/* ---- command-line overrides ---- */

static void
test_overrides(void **state)
{
	struct domcfg_override	 ov[] = {
		{ "vmid", "3" }, { "memory", "128" }, { "name", "web" },
		{ "neg", "-5" }, { "hex", "0x10" }, { "big",
		    "99999999999999999999" }, { "empty", "" },
	};
	struct domcfg_override	 twice[] = {
		{ "x", "1" }, { "x", "two" },
	};
	struct domcfg_override	 bad[] = { { "foo-bar", "1" } };
	struct domcfg_override	 kw[] = { { "import", "1" } };
	struct domcfg_override	 utf[] = { { "x", "\xff" } };

	/* The file can use vmid; the command line wins over memory = 64. */
	assert_vars_ov("memory = 64\nname = 'VM%d' % vmid\nx = memory\n",
	    ov, nitems(ov),
	    "{\"vmid\": 3, \"memory\": 128, \"name\": \"web\", \"neg\": -5, "
	    "\"hex\": \"0x10\", \"big\": \"99999999999999999999\", "
	    "\"empty\": \"\", \"x\": 128}");
	/* The overridden assignment is still evaluated (and checked). */
	assert_error_len_ov("memory = undefined_name\n", 24, ov, nitems(ov),
	    "cfg:1: name 'undefined_name' is not defined");
	/* vmid = int(vmid) as in the real xmexample2. */
	assert_vars_ov("vmid = int(vmid)\n", ov, 1, "{\"vmid\": 3}");
	assert_vars_ov("", twice, 2, "{\"x\": \"two\"}");
	assert_vars_ov("x = 5\n", twice, 2, "{\"x\": \"two\"}");
	assert_error_len_ov("", 0, bad, 1, "cfg: 'foo-bar' on the command "
	    "line is not a valid variable name");
	assert_error_len_ov("", 0, kw, 1, "cfg: 'import' on the command line "
	    "is not a valid variable name");
	assert_error_len_ov("", 0, utf, 1, "cfg: x on the command line: value "
	    "is not valid UTF-8");
}

/* ---- bounds ---- */

static void
test_bounds(void **state)
{
	char		*text;
	size_t		 n, i;
	json_t		*vars;
	char		*cause = NULL;

	/* Nesting: 63 brackets inside the statement's expression are fine. */
	text = xmalloc(1024);
	n = (size_t)snprintf(text, 1024, "x = ");
	for (i = 0; i < 63; i++)
		text[n++] = '[';
	for (i = 0; i < 63; i++)
		text[n++] = ']';
	text[n] = '\0';
	vars = eval_ok(text);
	json_decref(vars);
	n = (size_t)snprintf(text, 1024, "x = ");
	for (i = 0; i < 64; i++)
		text[n++] = '(';
	text[n++] = '1';
	for (i = 0; i < 64; i++)
		text[n++] = ')';
	text[n] = '\0';
	assert_error(text, "cfg:1: expression nested too deeply");
	n = (size_t)snprintf(text, 1024, "x = ");
	for (i = 0; i < 100; i++)
		text[n++] = '-';
	text[n++] = '1';
	text[n] = '\0';
	assert_error(text, "cfg:1: expression nested too deeply");
	free(text);

	/* Values nested through variables. */
	text = xstrdup("a = 1\n");
	for (i = 0; i < 70; i++) {
		char	*t = xsprintf("%sa = [a]\n", text);

		free(text);
		text = t;
	}
	assert_error(text, "cfg:66: value nested too deeply");
	free(text);

	assert_error("x = 'a' * 65537", "cfg:1: string too long (more than "
	    "65536 bytes)");
	assert_error("x = 'ab' * 32768\ny = x + 'c'", "cfg:2: string too long "
	    "(more than 65536 bytes)");
	assert_error("x = [1] * 4097", "cfg:1: list too long (more than 4096 "
	    "items)");
	assert_error("x = [1] * 4096 + [2]", "cfg:1: list too long (more than "
	    "4096 items)");
	assert_error("x = 'a' * 60000\ny = [x] * 100", "cfg:2: value too "
	    "large");
	assert_error("x = [1] * 9223372036854775807", "cfg:1: list too long "
	    "(more than 4096 items)");
	assert_vars("x = '%s' % ('a' * 65536)\nx = 1\n", "{\"x\": 1}");
	assert_error("x = '%s!' % ('a' * 65536)", "cfg:1: string too "
	    "long (more than 65536 bytes)");

	/* Many variables. */
	n = 4097 * 12;
	text = xmalloc(n + 1);
	for (i = 0, n = 0; i < 4097; i++)
		n += (size_t)sprintf(text + n, "v%05zu = 1\n", i);
	assert_error(text, "cfg:4097: too many variables (more than 4096)");
	free(text);

	/* Total size across variables. */
	text = xstrdup("a = 'x' * 60000\nb = [a] * 60\n");
	for (i = 0; i < 10; i++) {
		char	*t = xsprintf("%sc%zu = b\n", text, i);

		free(text);
		text = t;
	}
	assert_error(text, "cfg:6: configuration too large");
	free(text);

	/* Total work: many legal 64 KB operations. */
	text = xstrdup("a = 'x' * 65536\n");
	for (i = 0; i < 300; i++) {
		char	*t = xsprintf("%sb = a + ''\n", text);

		free(text);
		text = t;
	}
	assert_error(text, "cfg:256: configuration too complex to evaluate");
	free(text);

	/* The file itself. */
	n = 1024 * 1024 + 1;
	text = xmalloc(n);
	memset(text, '#', n);
	assert_int_equal(pycfg_eval(text, n, "big", NULL, 0, &vars, NULL, &cause),
	    -1);
	assert_string_equal(cause, "big: file too large (more than 1048576 "
	    "bytes)");
	free(cause);
	free(text);

	/* A long name. */
	text = xmalloc(300);
	memset(text, 'n', 299);
	text[299] = '\0';
	assert_error(text, "cfg:1: name too long");
	free(text);
}

/* ---- what domcfg needs besides the values ---- */

static void
test_meta(void **state)
{
	struct domcfg_override	 ov[] = { { "vmid", "2" }, { "flag", "x" } };
	json_t			*vars, *meta, *lines, *helpers;
	char			*cause = NULL;
	const char		*text = "base = 6\n\nname = 'VM%d' % vmid\n"
	    "disk = ['phy:sda%d,sda1,w' % (base + vmid)]\n"
	    "unused = 1\nflag = 'y'\n";

	(void)state;
	if (pycfg_eval(text, strlen(text), "cfg", ov, nitems(ov), &vars, &meta,
	    &cause) != 0)
		fail_msg("unexpected error: %s", cause);
	assert_non_null(meta);
	lines = json_object_get(meta, "lines");
	helpers = json_object_get(meta, "helpers");
	assert_int_equal(json_integer_value(json_object_get(lines, "base")), 1);
	assert_int_equal(json_integer_value(json_object_get(lines, "name")), 3);
	assert_int_equal(json_integer_value(json_object_get(lines, "disk")), 4);
	assert_int_equal(json_integer_value(json_object_get(lines, "unused")),
	    5);
	assert_null(json_object_get(lines, "vmid"));	/* command line */
	assert_null(json_object_get(lines, "flag"));
	assert_non_null(json_object_get(helpers, "vmid"));
	assert_non_null(json_object_get(helpers, "base"));
	assert_non_null(json_object_get(helpers, "flag"));
	assert_null(json_object_get(helpers, "unused"));
	assert_null(json_object_get(helpers, "name"));
	json_decref(meta);
	json_decref(vars);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manual_ttylinux),
		cmocka_unit_test(test_manual_xmexample2),
		cmocka_unit_test(test_empty_and_comments),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_lists_tuples),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_arithmetic_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_calls),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_meta),
	};

	return (cmocka_run_group_tests_name("pycfg", tests, NULL, NULL));
}
