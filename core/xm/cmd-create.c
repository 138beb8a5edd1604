/* cmd-create.c: xm create [-c] [-n] [-p] [-F FILE | CONFIG] [VAR=VALUE ...] */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "domcfg.h"
#include "xm.h"

static int	cmd_create_exec(struct xm_ctx *, int, char **);

static const struct option cmd_create_longopts[] = {
	{ "console", no_argument, NULL, 'c' },
	{ "dryrun", no_argument, NULL, 'n' },
	{ "paused", no_argument, NULL, 'p' },
	{ "config", required_argument, NULL, 'F' },
	{ "defconfig", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

const struct xm_cmd cmd_create = {
	.name = "create",
	.args = "[-c] [-n] [-p] [-F SXPFILE | CONFIG] [VAR=VALUE ...]",
	.summary = "create a domain from a config file",
	.detail =
	"  -c, --console          attach to the domain's console (Ctrl-]\n"
	"                         detaches)\n"
	"  -n, --dryrun           print the domain's SXP config; create nothing\n"
	"  -p, --paused           leave the domain paused after creating it\n"
	"  -F, --config=FILE      the config is an SXP (vm ...) file\n"
	"  -f, --defconfig=FILE   the Python-like config file (or give it as\n"
	"                         CONFIG)\n"
	"  VAR=VALUE              set a variable before the file runs\n"
	"                         (vmid=1); it also overrides the file's own\n"
	"                         value\n"
	"\n"
	"CONFIG is looked up as given, then in $XEN_CONFIG_DIR (default\n"
	"/etc/xen); with no CONFIG, $XEN_CONFIG_DIR/xmdefconfig is used.\n",
	.options = "cnpF:f:",
	.longopts = cmd_create_longopts,
	.min_args = 0,
	.max_args = -1,
	.flags = 0,
	.exec = cmd_create_exec,
};

static char *
find_config(struct xm_ctx *ctx, const char *name)
{
	char	*path;

	if (access(name, F_OK) == 0 || strchr(name, '/') != NULL)
		return (xstrdup(name));
	xasprintf(&path, "%s/%s", ctx->cfg.dir, name);
	if (access(path, F_OK) == 0)
		return (path);
	free(path);
	return (xstrdup(name));
}

static void
print_warnings(struct xm_ctx *ctx, json_t *warnings)
{
	size_t	 i;
	json_t	*w;

	json_array_foreach(warnings, i, w)
		xm_warn(ctx, "%s", json_string_value(w));
}

static int
load_config(struct xm_ctx *ctx, const char *path, int sxp,
    struct domcfg_override *ov, size_t nov, json_t **config)
{
	char		*text, *cause, cwd[PATH_MAX];
	size_t		 len;
	json_t		*vars = NULL, *meta = NULL, *warnings = NULL;
	struct sxp	*top = NULL, *vm;
	int		 rc;

	if (file_read(path, &text, &len, &cause) != 0) {
		xm_err(ctx, "%s", cause);
		free(cause);
		return (-1);
	}
	if (getcwd(cwd, sizeof cwd) == NULL)
		strcpy(cwd, "/");
	if (sxp) {
		if (nov > 0)
			xm_warn(ctx, "VAR=VALUE settings do not apply to SXP "
			    "configs; ignored");
		rc = sxp_parse(text, len, path, &top, &cause);
		if (rc == 0) {
			/* (domain ...) is what xm list -l prints. */
			vm = top->n == 1 ? top->items[0] : NULL;
			if (vm != NULL && sxp_name(vm) != NULL &&
			    strcmp(sxp_name(vm), "domain") == 0) {
				free(vm->items[0]->atom);
				vm->items[0]->atom = xstrdup("vm");
			}
			if (vm == NULL || sxp_name(vm) == NULL ||
			    strcmp(sxp_name(vm), "vm") != 0) {
				cause = xsprintf("%s: expected one (vm ...) "
				    "expression", path);
				rc = -1;
			} else
				rc = domcfg_from_sxp(vm, path, config,
				    &warnings, &cause);
		}
		sxp_free(top);
	} else {
		rc = pycfg_eval(text, len, path, ov, nov, &vars, &meta,
		    &cause);
		if (rc == 0)
			rc = domcfg_build(vars, meta, path, cwd, config,
			    &warnings, &cause);
		json_decref(vars);
		json_decref(meta);
	}
	free(text);
	print_warnings(ctx, warnings);
	json_decref(warnings);
	if (rc != 0) {
		xm_err(ctx, "%s", cause);
		free(cause);
		return (rc == DOMCFG_REFUSED ? DOMCFG_REFUSED : -1);
	}
	return (0);
}

/* Like xm_call, with a hint when xend predates this xm's config keys. */
static json_t *
xen_call_create(struct xm_ctx *ctx, json_t *config, int paused)
{
	json_t	*dom;
	char	*cause;

	if (xm_connect(ctx, &cause) != 0 ||
	    xen_call(ctx->client, "domain.create", json_pack("{s:O, s:b}",
	    "config", config, "paused", paused), &dom, NULL, &cause) != 0) {
		xm_err(ctx, "%s", cause);
		if (strstr(cause, "unknown key") != NULL)
			fprintf(stderr, "(xend may be older than this xm: "
			    "'xend restart' runs the installed one)\n");
		free(cause);
		return (NULL);
	}
	return (dom);
}

static int
cmd_create_exec(struct xm_ctx *ctx, int argc, char **argv)
{
	int			 console = xm_has(ctx, 'c');
	int			 dryrun = xm_has(ctx, 'n');
	int			 paused = xm_has(ctx, 'p');
	int			 sxp = xm_has(ctx, 'F'), rc = 1, i = 0, lrc;
	const char		*file = xm_get(ctx, sxp ? 'F' : 'f');
	char			*path, *eq, *text;
	struct domcfg_override	*ov;
	size_t			 nov = 0;
	json_t			*config = NULL, *dom;
	struct sxp		*s;

	if (sxp && xm_has(ctx, 'f')) {
		xm_err(ctx, "-F and -f exclude each other");
		return (xm_usage(ctx));
	}
	/*
	 * The manual writes both "create -c CONFIG" and "create CONFIG -c";
	 * CONFIG is the first argument that is not a VAR=VALUE.
	 */
	if (file == NULL && argc > 0 && strchr(argv[0], '=') == NULL)
		file = argv[i++];
	ov = xcalloc(argc + 1, sizeof *ov);
	for (; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL || eq == argv[i]) {
			free(ov);
			xm_err(ctx, "unexpected argument '%s'", argv[i]);
			return (xm_usage(ctx));
		}
		*eq = '\0';
		ov[nov].name = argv[i];
		ov[nov].value = eq + 1;
		nov++;
	}
	if (file == NULL) {
		xasprintf(&path, "%s/xmdefconfig", ctx->cfg.dir);
		if (access(path, F_OK) != 0) {
			xm_err(ctx, "no config file given and %s does not "
			    "exist", path);
			free(path);
			free(ov);
			return (xm_usage(ctx));
		}
	} else
		path = find_config(ctx, file);

	/* A refused key (pci, driver domains) is not supported: exit 2. */
	if ((lrc = load_config(ctx, path, sxp, ov, nov, &config)) != 0) {
		if (lrc == DOMCFG_REFUSED)
			rc = 2;
		goto out;
	}
	if (dryrun) {
		s = domcfg_to_sxp(config);
		text = sxp_print(s, 1);
		printf("%s\n", text);
		free(text);
		sxp_free(s);
		rc = 0;
		goto out;
	}
	dom = xen_call_create(ctx, config, paused || console);
	if (dom == NULL)
		goto out;
	/* The manual's words, with the id that xm console also takes. */
	printf("Started domain %s (id %lld), console on port %lld\n",
	    json_string_value(json_object_get(dom, "name")),
	    (long long)json_integer_value(json_object_get(dom, "domid")),
	    (long long)json_integer_value(json_object_get(dom,
	    "console_port")));
	fflush(stdout);
	rc = 0;
	if (console)
		rc = xm_console_attach(ctx, dom, 1, 0, !paused);
	json_decref(dom);
out:
	json_decref(config);
	free(path);
	free(ov);
	return (rc);
}
