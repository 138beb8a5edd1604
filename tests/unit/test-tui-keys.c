/*
 * test-tui-keys.c: xm top's widgets (panel, slider, text field, check
 * grid) and the key table, driven without a terminal: dialogs open, take
 * keys and act; with xend unreachable an action fails onto its row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen-common.h"
#include "top.h"

static void
test_panel(void **state)
{
	struct panel	 p;

	memset(&p, 0, sizeof p);
	p.height = 3;
	panel_set_count(&p, 10);
	assert_int_equal(panel_key(&p, KEY_DOWN), WIDGET_HANDLED);
	assert_int_equal(p.selected, 1);
	panel_key(&p, KEY_END);
	assert_int_equal(p.selected, 9);
	assert_int_equal(p.top, 7);		/* the selection is visible */
	panel_key(&p, KEY_DOWN);
	assert_int_equal(p.selected, 9);	/* stops at the end */
	panel_key(&p, KEY_PPAGE);
	assert_int_equal(p.selected, 7);
	panel_key(&p, KEY_HOME);
	assert_int_equal(p.selected, 0);
	assert_int_equal(p.top, 0);
	assert_int_equal(panel_key(&p, 'x'), WIDGET_IGNORED);
	/* Shrinking keeps the selection inside. */
	panel_select(&p, 8);
	panel_set_count(&p, 4);
	assert_int_equal(p.selected, 3);
	assert_int_equal(p.top, 1);
	panel_set_count(&p, 0);
	assert_int_equal(p.selected, 0);
}

static void
test_slider(void **state)
{
	struct slider	 s;

	slider_init(&s, 16, 96, 96, 4, 32);
	slider_key(&s, KEY_LEFT);
	assert_int_equal(s.value, 92);
	slider_key(&s, KEY_NPAGE);
	assert_int_equal(s.value, 60);
	slider_key(&s, KEY_NPAGE);
	slider_key(&s, KEY_NPAGE);
	assert_int_equal(s.value, 16);		/* clamped to min */
	slider_key(&s, KEY_END);
	assert_int_equal(s.value, 96);
	slider_key(&s, KEY_PPAGE);
	assert_int_equal(s.value, 96);		/* clamped to max */
	/* Typing: "64" passes through 6 (below min) and lands on 64. */
	slider_key(&s, '6');
	assert_int_equal(s.value, 6);
	slider_key(&s, '4');
	assert_int_equal(s.value, 64);
	slider_key(&s, '9');
	assert_int_equal(s.value, 9);		/* 649 > max: starts again */
	assert_int_equal(slider_clamp(&s), 16);
	slider_revert(&s);
	assert_int_equal(s.value, 96);
	assert_int_equal(slider_key(&s, 'q'), WIDGET_IGNORED);
	slider_init(&s, 0, 10, 50, 1, 1);
	assert_int_equal(s.value, 10);
}

static void
test_textfield(void **state)
{
	struct textfield	 t;
	const char		*p;

	textfield_set(&t, "");
	for (p = "web 01"; *p != '\0'; p++)
		textfield_key(&t, *p);
	assert_string_equal(t.buf, "web 01");
	textfield_key(&t, KEY_LEFT);
	textfield_key(&t, KEY_BACKSPACE);
	assert_string_equal(t.buf, "web 1");
	textfield_key(&t, KEY_HOME);
	textfield_key(&t, 'x');
	assert_string_equal(t.buf, "xweb 1");
	textfield_key(&t, KEY_END);
	textfield_key(&t, TOP_KEY_CTRL('w'));
	assert_string_equal(t.buf, "xweb ");
	textfield_key(&t, TOP_KEY_CTRL('u'));
	assert_string_equal(t.buf, "");
	assert_int_equal(textfield_key(&t, KEY_F(5)), WIDGET_IGNORED);
}

static void
test_checkgrid(void **state)
{
	struct checkgrid	 g;

	memset(&g, 0, sizeof g);
	checkgrid_init(&g, 2, 4);
	checkgrid_key(&g, ' ');
	assert_true(checkgrid_get(&g, 0, 0));
	checkgrid_key(&g, KEY_DOWN);
	checkgrid_key(&g, KEY_RIGHT);
	checkgrid_key(&g, ' ');
	assert_true(checkgrid_get(&g, 1, 1));
	checkgrid_key(&g, 'a');			/* the whole row */
	assert_true(checkgrid_get(&g, 1, 0) && checkgrid_get(&g, 1, 3));
	checkgrid_key(&g, 'a');			/* and none */
	assert_false(checkgrid_get(&g, 1, 1));
	checkgrid_key(&g, KEY_DOWN);
	assert_int_equal(g.row, 1);
	assert_false(checkgrid_get(&g, 5, 5));
	checkgrid_free(&g);
}

/* A dashboard with three domains and no xend. */
static struct top *
fixture(void)
{
	struct top	*top = xcalloc(1, sizeof *top);
	const char	*list = "[{\"domid\":0,\"name\":\"Domain-0\",\"state\":"
	    "\"r-----\",\"memory\":1000},{\"domid\":1,\"name\":\"web\",\"state\":"
	    "\"-b----\",\"memory\":96,\"memory_target\":96,\"maxmem\":128},"
	    "{\"domid\":2,\"name\":\"db\",\"state\":\"--p---\",\"memory\":64,"
	    "\"maxmem\":64}]";
	char		*cause;

	top_init(top);
	top->cfg.unix_path = xstrdup("/nonexistent/xend.sock");
	top->cfg.dir = xstrdup("/nonexistent");
	top->conn = conn_new(&top->cfg);
	assert_int_equal(model_update_list(&top->model, list, list +
	    strlen(list), 1, -1, &cause), 0);
	top_rows(top);
	return (top);
}

static void
teardown(struct top *top)
{
	top_free(top);
	free(top);
}

static void
test_action_table(void **state)
{
	size_t			 i, j;
	const struct top_action	*a;

	/* No key means two things in one mode. */
	for (i = 0; i < top_nactions; i++)
		for (j = i + 1; j < top_nactions; j++)
			assert_false(top_actions[i].key == top_actions[j].key &&
			    (top_actions[i].modes & top_actions[j].modes));
	a = action_find(MODE_LIST, 'q');
	assert_non_null(a);
	assert_non_null(action_find(MODE_DETAIL, TOP_KEY_ESC));
	assert_null(action_find(MODE_LIST, TOP_KEY_ESC));
	assert_null(action_find(MODE_LIST, 'Z'));
	/* Every bar entry has help, every handler is set. */
	for (i = 0; i < top_nactions; i++) {
		assert_non_null(top_actions[i].fn);
		if (top_actions[i].bar != NULL)
			assert_non_null(top_actions[i].help);
	}
}

static void
test_keys_move_sort_and_quit(void **state)
{
	struct top	*top = fixture();
	int		 rd;

	assert_int_equal(top_selected(top)->domid, 0);
	rd = top_key(top, KEY_DOWN);
	assert_true(rd & RD_ROWS);
	assert_int_equal(top->sel_domid, 1);
	top_key(top, 'j');
	assert_int_equal(top->sel_domid, 2);
	/* Sort by the next column: the selection stays on db. */
	top_key(top, '<');
	assert_int_equal(top->view.sort_col, COL_NAME);
	assert_int_equal(top_selected(top)->domid, 2);
	assert_string_equal(top->rows[0]->name, "db");
	top_key(top, 'I');
	assert_string_equal(top->rows[0]->name, "web");
	assert_int_equal(top_selected(top)->domid, 2);
	top_key(top, '%');
	assert_true(top->view.cpu_host);
	assert_true(top_key(top, 'q') & RD_QUIT);
	assert_int_equal(top_key(top, 'Z'), RD_NONE);
	teardown(top);
}

static void
test_filter_prompt(void **state)
{
	struct top	*top = fixture();

	top_key(top, '/');
	assert_non_null(top->dialog);
	top_key(top, 'W');
	/* Narrows as it is typed. */
	assert_int_equal(top->nrows, 1);
	assert_string_equal(top->rows[0]->name, "web");
	top_key(top, TOP_KEY_ENTER);
	assert_null(top->dialog);
	assert_string_equal(top->view.filter, "W");
	top_key(top, '/');
	top_key(top, TOP_KEY_ESC);		/* Esc clears */
	assert_int_equal(top->nrows, 3);
	teardown(top);
}

static void
test_actions_fail_onto_the_row(void **state)
{
	struct top	*top = fixture();
	struct dom	*web = model_find(&top->model, 1);

	/* Domain-0 is refused. */
	top_key(top, 'p');
	assert_non_null(strstr(top->status, "Domain-0"));
	assert_true(top->status_error);
	top_select_domid(top, 1);
	top_key(top, 'p');
	assert_null(web->busy);
	assert_non_null(web->error);
	assert_string_equal(web->error, "not connected to xend");
	assert_non_null(strstr(top->status, "pause web"));
	teardown(top);
}

static void
test_balloon_dialog(void **state)
{
	struct top	*top = fixture();
	struct dom	*web = model_find(&top->model, 1);

	top_select_domid(top, 1);
	top_key(top, 'b');
	assert_non_null(top->dialog);
	assert_ptr_equal(top->dialog->ops, &dialog_balloon_ops);
	assert_int_equal(top->dialog->slider.value, 96);
	assert_int_equal(top->dialog->slider.max, 128);
	top_key(top, KEY_NPAGE);
	assert_int_equal(top->dialog->slider.value, 64);
	/* Esc reverts and closes: nothing sent. */
	top_key(top, TOP_KEY_ESC);
	assert_null(top->dialog);
	assert_null(web->error);
	top_key(top, 'b');
	top_key(top, KEY_NPAGE);
	top_key(top, TOP_KEY_ENTER);
	assert_null(top->dialog);
	assert_string_equal(web->error, "not connected to xend");
	assert_non_null(strstr(top->status, "mem-set web"));
	/* Without memory figures there is no slider to show. */
	web->memory = web->memory_target = NAN;
	top_key(top, 'b');
	assert_null(top->dialog);
	assert_true(top->status_error);
	teardown(top);
}

static void
test_destroy_asks_for_the_name(void **state)
{
	struct top	*top = fixture();
	struct dom	*web = model_find(&top->model, 1);
	const char	*p;

	top_select_domid(top, 1);
	top_key(top, 'X');
	assert_non_null(top->dialog);
	for (p = "we"; *p != '\0'; p++)
		top_key(top, *p);
	top_key(top, TOP_KEY_ENTER);
	/* Not the name: still open, says why, nothing sent. */
	assert_non_null(top->dialog);
	assert_non_null(strstr(top->dialog->message, "type web exactly"));
	assert_null(web->error);
	top_key(top, 'b');
	top_key(top, TOP_KEY_ENTER);
	assert_null(top->dialog);
	assert_string_equal(web->error, "not connected to xend");
	assert_non_null(strstr(top->status, "destroy web"));
	teardown(top);
}

static void
test_confirm_and_dialogs(void **state)
{
	struct top	*top = fixture();
	struct dom	*db = model_find(&top->model, 2);
	const char	**lines;

	top_select_domid(top, 2);
	top_key(top, 's');
	assert_ptr_equal(top->dialog->ops, &dialog_confirm_ops);
	top_key(top, 'n');
	assert_null(top->dialog);
	assert_null(db->error);
	top_key(top, 'r');
	top_key(top, 'y');
	assert_string_equal(db->error, "not connected to xend");
	/* The scheduler dialog says it could not read. */
	top_key(top, 'w');
	assert_ptr_equal(top->dialog->ops, &dialog_sched_ops);
	assert_non_null(top->dialog->message);
	assert_non_null(strstr(top->dialog->message, "not connected"));
	top_key(top, TOP_KEY_ESC);
	top_key(top, 'v');
	assert_ptr_equal(top->dialog->ops, &dialog_pin_ops);
	assert_non_null(strstr(top->dialog->message, "domain.vcpu_list"));
	top_key(top, TOP_KEY_ESC);
	/* Columns: hide MEM, sort by it. */
	top_key(top, 'c');
	assert_ptr_equal(top->dialog->ops, &dialog_columns_ops);
	while (top->dialog->order[top->dialog->list.selected] != COL_MEM)
		top_key(top, KEY_DOWN);
	top_key(top, ' ');
	top_key(top, 's');
	top_key(top, TOP_KEY_ESC);
	assert_int_equal(top->view.sort_col, COL_MEM);
	for (int i = 0; i < top->view.ncols; i++)
		assert_int_not_equal(top->view.cols[i], COL_MEM);
	/* Move STATE (third) up twice: it stops below NAME, which stays. */
	top_key(top, 'c');
	assert_int_equal(top->view.cols[0], COL_NAME);
	assert_int_equal(top->view.cols[2], COL_STATE);
	top_key(top, KEY_DOWN);
	top_key(top, KEY_DOWN);
	assert_int_equal(top->dialog->order[top->dialog->list.selected],
	    COL_STATE);
	top_key(top, '<');
	top_key(top, '<');
	top_key(top, TOP_KEY_ESC);
	assert_int_equal(top->view.cols[0], COL_NAME);
	assert_int_equal(top->view.cols[1], COL_STATE);
	assert_int_equal(top->view.cols[2], COL_ID);
	/* The order survives the settings' column list. */
	{
		struct top_view	 w;
		char		*cause = NULL;

		memset(&w, 0, sizeof w);
		assert_int_equal(settings_parse_columns(&w, "mem,state,name,"
		    "id,state", &cause), 0);
		assert_int_equal(w.ncols, 4);
		assert_int_equal(w.cols[0], COL_NAME);
		assert_int_equal(w.cols[1], COL_MEM);
		assert_int_equal(w.cols[2], COL_STATE);
		assert_int_equal(w.cols[3], COL_ID);
	}
	/* Help lists every documented key. */
	assert_true(help_lines(&lines) > 20);
	top_key(top, '?');
	assert_ptr_equal(top->dialog->ops, &dialog_help_ops);
	top_key(top, 'x');
	assert_null(top->dialog);
	/* Enter opens the detail view, Esc goes back. */
	top_key(top, TOP_KEY_ENTER);
	assert_int_equal(top->mode, MODE_DETAIL);
	top_key(top, TOP_KEY_ESC);
	assert_int_equal(top->mode, MODE_LIST);
	/* The delay prompt takes seconds only. */
	top_key(top, 'd');
	top_key(top, TOP_KEY_CTRL('u'));
	top_key(top, 'x');
	top_key(top, TOP_KEY_ENTER);
	assert_non_null(top->dialog);
	top_key(top, KEY_BACKSPACE);
	top_key(top, '2');
	top_key(top, TOP_KEY_ENTER);
	assert_null(top->dialog);
	assert_true(top->delay == 2);
	teardown(top);
}

static void
test_mouse(void **state)
{
	struct top	*top = fixture();

	top->list_y = 6;
	top->list.height = 10;
	top_click(top, 8, 3, 0);		/* the third row */
	assert_int_equal(top->sel_domid, 2);
	top_click(top, 5, 2, 0);		/* the NAME title */
	assert_int_equal(top->view.sort_col, COL_NAME);
	assert_int_equal(top->view.sort_reverse, 0);
	top_click(top, 5, 2, 0);
	assert_int_equal(top->view.sort_reverse, 1);
	top_click(top, 5, top_columns[COL_NAME].width + 2, 0);
	assert_int_equal(top->view.sort_col, COL_ID);
	top_click(top, 0, 0, 1);		/* wheel down */
	assert_int_equal(top->list.selected, 2);
	teardown(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_panel),
		cmocka_unit_test(test_slider),
		cmocka_unit_test(test_textfield),
		cmocka_unit_test(test_checkgrid),
		cmocka_unit_test(test_action_table),
		cmocka_unit_test(test_keys_move_sort_and_quit),
		cmocka_unit_test(test_filter_prompt),
		cmocka_unit_test(test_actions_fail_onto_the_row),
		cmocka_unit_test(test_balloon_dialog),
		cmocka_unit_test(test_destroy_asks_for_the_name),
		cmocka_unit_test(test_confirm_and_dialogs),
		cmocka_unit_test(test_mouse),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
