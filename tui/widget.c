/*
 * widget.c: the widgets' state and key handling (screen.c draws them).
 * Pure logic, so the unit tests drive them without a terminal.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "xen-common.h"
#include "top.h"

/* ---- panel: a list with a selection and a scroll offset. ------------- */

void
panel_scroll(struct panel *p)
{
	size_t	 h = p->height > 0 ? (size_t)p->height : 1;

	if (p->count == 0) {
		p->selected = p->top = 0;
		return;
	}
	if (p->selected >= p->count)
		p->selected = p->count - 1;
	if (p->selected < p->top)
		p->top = p->selected;
	if (p->selected >= p->top + h)
		p->top = p->selected - h + 1;
	/* No empty space below the list when it could be filled. */
	if (p->top + h > p->count)
		p->top = p->count > h ? p->count - h : 0;
}

void
panel_set_count(struct panel *p, size_t n)
{
	p->count = n;
	panel_scroll(p);
}

void
panel_select(struct panel *p, size_t i)
{
	p->selected = i;
	panel_scroll(p);
}

int
panel_key(struct panel *p, int key)
{
	size_t	 h = p->height > 1 ? (size_t)p->height - 1 : 1;

	if (p->count == 0)
		return (key == KEY_UP || key == KEY_DOWN || key == KEY_PPAGE ||
		    key == KEY_NPAGE || key == KEY_HOME || key == KEY_END ?
		    WIDGET_HANDLED : WIDGET_IGNORED);
	switch (key) {
	case KEY_UP:
		if (p->selected > 0)
			p->selected--;
		break;
	case KEY_DOWN:
		if (p->selected + 1 < p->count)
			p->selected++;
		break;
	case KEY_PPAGE:
		p->selected = p->selected > h ? p->selected - h : 0;
		p->top = p->top > h ? p->top - h : 0;
		break;
	case KEY_NPAGE:
		p->selected += h;
		if (p->selected >= p->count)
			p->selected = p->count - 1;
		p->top += h;
		break;
	case KEY_HOME:
		p->selected = 0;
		break;
	case KEY_END:
		p->selected = p->count - 1;
		break;
	default:
		return (WIDGET_IGNORED);
	}
	panel_scroll(p);
	return (WIDGET_HANDLED);
}

/* ---- slider: a number in [min, max], stepped; Esc reverts. ----------- */

void
slider_init(struct slider *s, long min, long max, long value, long step,
    long big)
{
	s->min = min;
	s->max = max < min ? min : max;
	if (value < s->min)
		value = s->min;
	if (value > s->max)
		value = s->max;
	s->value = s->orig = value;
	s->step = step > 0 ? step : 1;
	s->big = big > s->step ? big : s->step;
	s->typing = 0;
}

void
slider_revert(struct slider *s)
{
	s->value = s->orig;
	s->typing = 0;
}

long
slider_clamp(struct slider *s)
{
	if (s->value < s->min)
		s->value = s->min;
	if (s->value > s->max)
		s->value = s->max;
	s->typing = 0;
	return (s->value);
}

int
slider_key(struct slider *s, int key)
{
	long	 v = s->value;

	switch (key) {
	case KEY_RIGHT:
	case KEY_UP:
	case '+':
		v += s->step;
		break;
	case KEY_LEFT:
	case KEY_DOWN:
	case '-':
		v -= s->step;
		break;
	case KEY_PPAGE:
		v += s->big;
		break;
	case KEY_NPAGE:
		v -= s->big;
		break;
	case KEY_HOME:
		v = s->min;
		break;
	case KEY_END:
		v = s->max;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		s->value /= 10;
		s->typing = 1;
		return (WIDGET_HANDLED);
	default:
		if (key >= '0' && key <= '9') {
			/*
			 * Typing a number: the first digit starts it, the
			 * next ones append.  Below min is allowed while
			 * typing ("64" passes through 6); slider_clamp
			 * settles it.
			 */
			if (!s->typing || v > (s->max - (key - '0')) / 10)
				v = 0;
			v = v * 10 + (key - '0');
			if (v > s->max)
				v = s->max;
			s->value = v;
			s->typing = 1;
			return (WIDGET_HANDLED);
		}
		return (WIDGET_IGNORED);
	}
	s->typing = 0;
	if (v < s->min)
		v = s->min;
	if (v > s->max)
		v = s->max;
	s->value = v;
	return (WIDGET_HANDLED);
}

/* ---- text field: one line of ASCII with a cursor. -------------------- */

void
textfield_set(struct textfield *t, const char *s)
{
	snprintf(t->buf, sizeof t->buf, "%s", s != NULL ? s : "");
	t->len = t->cursor = strlen(t->buf);
}

int
textfield_key(struct textfield *t, int key)
{
	size_t	 i;

	switch (key) {
	case KEY_LEFT:
		if (t->cursor > 0)
			t->cursor--;
		return (WIDGET_HANDLED);
	case KEY_RIGHT:
		if (t->cursor < t->len)
			t->cursor++;
		return (WIDGET_HANDLED);
	case KEY_HOME:
	case TOP_KEY_CTRL('a'):
		t->cursor = 0;
		return (WIDGET_HANDLED);
	case KEY_END:
	case TOP_KEY_CTRL('e'):
		t->cursor = t->len;
		return (WIDGET_HANDLED);
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (t->cursor == 0)
			return (WIDGET_HANDLED);
		memmove(t->buf + t->cursor - 1, t->buf + t->cursor,
		    t->len - t->cursor + 1);
		t->cursor--;
		t->len--;
		return (WIDGET_HANDLED);
	case KEY_DC:
		if (t->cursor < t->len) {
			memmove(t->buf + t->cursor, t->buf + t->cursor + 1,
			    t->len - t->cursor);
			t->len--;
		}
		return (WIDGET_HANDLED);
	case TOP_KEY_CTRL('u'):
		memmove(t->buf, t->buf + t->cursor, t->len - t->cursor + 1);
		t->len -= t->cursor;
		t->cursor = 0;
		return (WIDGET_HANDLED);
	case TOP_KEY_CTRL('w'):
		i = t->cursor;
		while (i > 0 && t->buf[i - 1] == ' ')
			i--;
		while (i > 0 && t->buf[i - 1] != ' ')
			i--;
		memmove(t->buf + i, t->buf + t->cursor, t->len - t->cursor + 1);
		t->len -= t->cursor - i;
		t->cursor = i;
		return (WIDGET_HANDLED);
	}
	if (key < 0x20 || key > 0x7e)
		return (WIDGET_IGNORED);
	if (t->len + 1 >= sizeof t->buf)
		return (WIDGET_HANDLED);
	memmove(t->buf + t->cursor + 1, t->buf + t->cursor,
	    t->len - t->cursor + 1);
	t->buf[t->cursor++] = key;
	t->len++;
	return (WIDGET_HANDLED);
}

/* ---- check grid: vCPUs x host CPUs. ---------------------------------- */

void
checkgrid_init(struct checkgrid *g, int rows, int cols)
{
	g->rows = rows > 0 ? rows : 0;
	g->cols = cols > 0 ? cols : 0;
	free(g->cells);
	g->cells = xcalloc((size_t)g->rows * g->cols + 1, 1);
	g->row = g->col = 0;
}

void
checkgrid_free(struct checkgrid *g)
{
	free(g->cells);
	g->cells = NULL;
	g->rows = g->cols = 0;
}

int
checkgrid_get(const struct checkgrid *g, int r, int c)
{
	if (r < 0 || r >= g->rows || c < 0 || c >= g->cols)
		return (0);
	return (g->cells[r * g->cols + c]);
}

void
checkgrid_set(struct checkgrid *g, int r, int c, int on)
{
	if (r < 0 || r >= g->rows || c < 0 || c >= g->cols)
		return;
	g->cells[r * g->cols + c] = on != 0;
}

int
checkgrid_key(struct checkgrid *g, int key)
{
	int	 c;

	if (g->rows == 0 || g->cols == 0)
		return (WIDGET_IGNORED);
	switch (key) {
	case KEY_UP:
		if (g->row > 0)
			g->row--;
		break;
	case KEY_DOWN:
		if (g->row + 1 < g->rows)
			g->row++;
		break;
	case KEY_LEFT:
		if (g->col > 0)
			g->col--;
		break;
	case KEY_RIGHT:
		if (g->col + 1 < g->cols)
			g->col++;
		break;
	case ' ':
		checkgrid_set(g, g->row, g->col, !checkgrid_get(g, g->row,
		    g->col));
		break;
	case 'a':
		/* The whole row: all CPUs, or none if all were set. */
		for (c = 0; c < g->cols && checkgrid_get(g, g->row, c); c++)
			;
		for (int i = 0; i < g->cols; i++)
			checkgrid_set(g, g->row, i, c < g->cols);
		break;
	default:
		return (WIDGET_IGNORED);
	}
	return (WIDGET_HANDLED);
}
