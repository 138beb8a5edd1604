/*
 * settings.c: what the user chose, kept across runs in
 * $XDG_CONFIG_HOME/xm-top/settings (default ~/.config/xm-top/settings):
 * "key value" lines for delay, columns, sort, reverse and cpu.  A bad line
 * is reported and skipped; the rest still applies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xen-common.h"
#include "top.h"

char *
settings_default_path(void)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg != NULL && *xdg == '/')
		return (xsprintf("%s/xm-top/settings", xdg));
	if (home != NULL && *home != '\0')
		return (xsprintf("%s/.config/xm-top/settings", home));
	return (NULL);
}

int
settings_parse_columns(struct top_view *v, const char *list, char **cause)
{
	int	 seen[COL_COUNT] = { 0 }, cols[COL_COUNT], n = 0, id;
	char	*copy, *tok, *save = NULL;

	copy = xstrdup(list);
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if ((id = column_find(tok)) == -1) {
			*cause = xsprintf("unknown column '%s'", tok);
			free(copy);
			return (-1);
		}
		if (!seen[id] && id != COL_NAME)
			cols[n++] = id;
		seen[id] = 1;
	}
	free(copy);
	/* The name always shows, first; the rest in the order given. */
	memmove(cols + 1, cols, n * sizeof cols[0]);
	cols[0] = COL_NAME;
	n++;
	memcpy(v->cols, cols, sizeof cols);
	v->ncols = n;
	return (0);
}

int
settings_load(struct top *top, const char *path, char **cause)
{
	char		*text, *line, *save = NULL, *val, *why, *err = NULL;
	double		 d;
	int		 id, lineno = 0;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return (0);		/* first run: the defaults */
	if (file_read(path, &text, NULL, &why) != 0) {
		*cause = why;
		return (-1);
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		line += strspn(line, " \t");
		if (*line == '#' || *line == '\0')
			continue;
		val = line + strcspn(line, " \t");
		if (*val != '\0')
			*val++ = '\0';
		val += strspn(val, " \t");
		why = NULL;
		if (strcmp(line, "delay") == 0) {
			d = strtod(val, NULL);
			if (d >= 0.1 && d <= 3600)
				top->delay = d;
			else
				why = xsprintf("bad delay '%s'", val);
		} else if (strcmp(line, "columns") == 0)
			settings_parse_columns(&top->view, val, &why);
		else if (strcmp(line, "sort") == 0) {
			if ((id = column_find(val)) != -1)
				top->view.sort_col = id;
			else
				why = xsprintf("unknown column '%s'", val);
		} else if (strcmp(line, "reverse") == 0)
			top->view.sort_reverse = strcmp(val, "1") == 0 ||
			    strcmp(val, "yes") == 0;
		else if (strcmp(line, "cpu") == 0)
			top->view.cpu_host = strcmp(val, "host") == 0;
		else
			why = xsprintf("unknown setting '%s'", line);
		if (why != NULL && err == NULL)
			err = xsprintf("%s:%d: %s", path, lineno, why);
		free(why);
	}
	free(text);
	if (err != NULL) {
		*cause = err;
		return (-1);
	}
	return (0);
}

int
settings_save(const struct top *top, const char *path, char **cause)
{
	char	*dir, *slash, *text = NULL, *cols = NULL, *tmp;
	int	 i, rc;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir, 0755, cause) != 0) {
			free(dir);
			return (-1);
		}
	}
	free(dir);
	for (i = 0; i < top->view.ncols; i++) {
		xasprintf(&tmp, "%s%s%s", cols != NULL ? cols : "",
		    cols != NULL ? "," : "", top_columns[top->view.cols[i]].key);
		free(cols);
		cols = tmp;
	}
	xasprintf(&text, "# xm top settings, rewritten on exit\n"
	    "delay %g\ncolumns %s\nsort %s\nreverse %d\ncpu %s\n", top->delay,
	    cols != NULL ? cols : "name", top_columns[top->view.sort_col].key,
	    top->view.sort_reverse, top->view.cpu_host ? "host" : "one");
	rc = file_write_atomic(path, text, strlen(text), 0644, cause);
	free(text);
	free(cols);
	return (rc);
}
