/* forms.c: dialogs (forms made of ui/field.c state machines, a menu, the search line)
 * and the actions behind them.  Every action calls the same desk_* function as its
 * command-line verb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "clip.h"
#include "publish.h"
#include "ui.h"

#define FORM_MAX 12

struct ui_form {
	char title[160];
	char note[3][240];
	char err[512]; /* why the last submit was refused, shown in the form */
	field fields[FORM_MAX];
	fieldset fm;
	/* 0 closes the form, or turns it into *view when the action sets one; -1 keeps
	 * it open with the error. */
	int (*submit)(ui *u, ui_form *f, ui_text **view);
	char user[128];
	char placeholder[FORM_MAX][96]; /* what the fields' placeholders point to */
	int reason, now_forced;
	int modal, result; /* a modal form (the passphrase) ends with result 1 or -1 */
	int busy;          /* its action runs: hidden, so a passphrase dialog shows alone */
};

static ui_form *ui_form_new(const char *title, const char *user)
{
	ui_form *f = cd_malloc(sizeof *f);

	memset(f, 0, sizeof *f);
	snprintf(f->title, sizeof f->title, "%s", title);
	snprintf(f->user, sizeof f->user, "%s", user ? user : "");
	return f;
}

static field *ui_form_add(ui_form *f, const char *name, const char *label, int flags,
		       field_check_fn check, const char *value)
{
	field *fl = &f->fields[f->fm.nfields++];

	fl->name = name;
	fl->label = label;
	fl->flags = flags;
	fl->check = check;
	if (value)
		field_set(fl, value);
	return fl;
}

static void ui_form_wipe(ui_form *f)
{
	/* A passphrase may have been typed here. A memset before free() is a dead store
	 * the compiler removes; OPENSSL_cleanse is not. */
	OPENSSL_cleanse(f, sizeof *f);
	free(f);
}

/* The rows the error takes (at most 2), wrapped to w columns. */
static int ui_form_err_rows(ui_form *f, int w)
{
	char *lines[1] = {f->err};
	size_t n = f->err[0] ? ui_text_draw_lines(lines, 1, 0, 0, 0, 0, w, 0) : 0;

	return n > 2 ? 2 : (int)n;
}

/* The first field shown: all of them when they fit, else a window around the focus. */
static size_t ui_form_first(ui_form *f, int shown)
{
	size_t n = (size_t)shown;

	return f->fm.focus < n ? 0 : f->fm.focus - n + 1;
}

static void ui_form_draw_error(ui_form *f, int y, int x, int w, int rows)
{
	char *lines[1] = {f->err};

	attrset(ui_attr(UI_ERROR));
	ui_text_draw_lines(lines, 1, 0, y, x, rows, w, 0);
	attrset(A_NORMAL);
}

/* The longest key reminder that fits: Esc must never be cut off. */
static const char *ui_form_keys_hint(int w)
{
	static const char *const hints[] = {
		"Tab/Enter next  Enter on the last or Ctrl-X submits  Esc cancels",
		"Tab next  Ctrl-X submits  Esc cancels",
		"^X submit  Esc cancel",
	};
	size_t i;

	for (i = 0; i + 1 < sizeof hints / sizeof *hints; i++)
		if ((int)strlen(hints[i]) <= w)
			break;
	return hints[i];
}

/* A field's text, or greyed while it is empty its placeholder: what empty stands for. */
static void ui_form_draw_field(field *fl, int y, int x, int w, int *col)
{
	char view[FIELD_CAP * 4 + 8];

	field_view(fl, w, view, sizeof view, col);
	attrset(A_UNDERLINE | ((fl->flags & FIELD_READONLY) ? A_DIM : 0));
	ui_put(y, x, view, w, 1);
	if (!fl->len && fl->placeholder) {
		attrset(A_UNDERLINE | ui_attr((fl->flags & FIELD_WARN_EMPTY) ? UI_WINDOW : UI_DIM));
		ui_put(y, x, fl->placeholder, w, 0);
	}
	attrset(A_NORMAL);
}

static void ui_form_draw(ui *u, void *st)
{
	ui_form *f = st;
	int w = COLS - 4 < 76 ? COLS - 4 : 76, notes = 0, h, y, x, i, fx = 14, ccol = 0, cy = -1;
	int errs = ui_form_err_rows(f, w - 4), shown = (int)f->fm.nfields;
	size_t first;

	if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS || f->busy)
		return;
	while (notes < 3 && f->note[notes][0])
		notes++;
	/* A short terminal loses the notes first, then shows the fields around the focus. */
	if (shown + notes + 4 + errs > LINES)
		notes = 0;
	if (shown + 4 + errs > LINES)
		shown = LINES - 4 - errs > 1 ? LINES - 4 - errs : 1;
	first = ui_form_first(f, shown);
	h = shown + notes + 4 + errs;
	y = (LINES - h) / 2 > 0 ? (LINES - h) / 2 : 0;
	x = (COLS - w) / 2;
	ui_box(y, x, h, w, f->title);
	for (i = 0; i < notes; i++)
		ui_put(y + 1 + i, x + 2, f->note[i], w - 4, 0);
	for (i = 0; i < shown; i++) {
		field *fl = &f->fields[first + (size_t)i];
		int row = y + 1 + notes + (notes > 0) + i, col;

		attrset(first + (size_t)i == f->fm.focus ? A_BOLD : A_NORMAL);
		ui_put(row, x + 2, fl->label, fx - 3, 1);
		ui_form_draw_field(fl, row, x + fx, w - fx - 2, &col);
		if (first + (size_t)i == f->fm.focus) {
			cy = row;
			ccol = x + fx + col;
		}
	}
	if (errs)
		ui_form_draw_error(f, y + h - 2 - errs, x + 2, w - 4, errs);
	ui_put(y + h - 2, x + 2, ui_form_keys_hint(w - 4), w - 4, 0);
	if (cy >= 0) {
		move(cy, ccol);
		curs_set(1);
	}
}

static void ui_form_close(ui *u, void *st)
{
	ui_form_wipe(st);
}

/* The form stays on the stack while its action runs, so a refusal finds it as it was;
 * then it leaves, or becomes the action's result. */
static int ui_form_submit(ui *u, ui_form *f)
{
	ui_text *view = NULL;
	int rc;

	f->busy = 1;
	rc = f->submit(u, f, &view);
	f->busy = 0;
	if (rc < 0)
		snprintf(f->err, sizeof f->err, "%s", cd_errmsg());
	else if (view)
		ui_text_replace(u, view);
	else
		screen_pop(u);
	return 0;
}

static int ui_form_keyh(ui *u, void *st, int key)
{
	ui_form *f = st;

	if (key == KEY_RESIZE)
		return key;
	f->err[0] = '\0'; /* the error stays until the operator acts on it */
	switch (fieldset_key(&f->fm, key)) {
	case FIELDSET_SUBMIT:
		if (f->modal)
			f->result = 1;
		else
			return ui_form_submit(u, f);
		break;
	case FIELDSET_ASK:
		snprintf(f->err, sizeof f->err, "Discard the changes? Esc or y: discard; any other "
			 "key: keep editing");
		break;
	case FIELDSET_CANCEL:
		if (f->modal) {
			f->result = -1;
		} else {
			screen_pop(u);
			ui_msg(u, 0, "cancelled");
		}
		break;
	case FIELDSET_INVALID:
		snprintf(f->err, sizeof f->err, "%s", cd_errmsg());
		break;
	case FIELDSET_CONTINUE:
		break;
	}
	return 0;
}

static const char *ui_form_bar(ui *u, void *st, int *more)
{
	ui_form *f = st;

	*more = 0;
	return f->fm.asking ? "Esc/y discard the changes  any other key keep editing"
			    : "Tab next  S-Tab back  ^X submit  Esc cancel";
}

static const ui_screen_ops ui_form_ops = {"form", ui_form_draw, ui_form_keyh, ui_form_close,
					  ui_form_bar};

/* Esc asks before it drops what was typed, except in a modal dialog (a passphrase). */
static void ui_form_setup(ui_form *f)
{
	fieldset_setup(&f->fm, f->fields, f->fm.nfields);
	f->fm.ask_cancel = !f->modal;
}

static int ui_form_open(ui *u, ui_form *f)
{
	ui_form_setup(f);
	return screen_push(u, &ui_form_ops, f);
}

/* In place of the top screen: the menu that led to the form. */
static void ui_form_replace(ui *u, ui_form *f)
{
	ui_form_setup(f);
	screen_replace(u, &ui_form_ops, f);
}

/* Empty optional values mean "not given": the setting's default, or the old value. */
static const char *opt_value(ui_form *f, const char *name)
{
	const char *v = fieldset_value(&f->fm, name);

	return v && *v ? v : NULL;
}

/* ---- the passphrase, asked in the middle of an action ---- */

ui_form *ui_open_passphrase(ui *u, int pin)
{
	ui_form *f = ui_form_new("CA key", NULL);

	f->modal = 1;
	snprintf(f->note[0], sizeof f->note[0], "%s", pin ? "The CA key is on a PKCS#11 token." :
		 "The CA key is passphrase-protected.");
	/* The core's prompt is worded for a terminal line; the label column is narrow. */
	ui_form_add(f, "pass", pin ? "Token PIN" : "Passphrase", FIELD_REQUIRED | FIELD_SECRET,
		    NULL, NULL);
	return ui_form_open(u, f) < 0 ? NULL : f;
}

int ui_form_answer(ui_form *f, char *buf, size_t size)
{
	const char *pass = fieldset_value(&f->fm, "pass");

	if (f->result <= 0 || !buf)
		return f->result;
	if (strlen(pass) >= size)
		return -1;
	snprintf(buf, size, "%s", pass);
	return 1;
}

/* ---- create and renew ---- */

static int check_days(const char *v)
{
	long n;

	return !*v ? 0 : cd_parse_int("days", v, 1, CA_CERT_DAYS_MAX, &n);
}

static int check_country(const char *v)
{
	return !*v ? 0 : cd_check_country(v);
}

/* Greyed in the empty field: the default it stands for (the core's), or "none". */
static void placeholder_default(ui *u, ui_form *f, field *fl)
{
	char *v = desk_field_default(u->d, fl->name);
	char *ph = f->placeholder[fl - f->fields];

	snprintf(ph, sizeof f->placeholder[0], "%s%s", *v ? "default: " : "no default", v);
	fl->placeholder = ph;
	free(v);
}

/* The person's details; p NULL for a new user, whose empty fields take the defaults.
 * A renewal keeps a detail left as it was, so only its days have a default. */
static void person_fields(ui *u, ui_form *f, const store_row *r)
{
	const store_user *p = r ? &r->u : NULL;
	char *dir = desk_out_dir(u->d, r);
	field *fl, *deflt[4];
	size_t i;

	ui_form_add(f, "name", "Name", FIELD_REQUIRED, NULL, p ? p->full_name : NULL);
	ui_form_add(f, "email", "Email", FIELD_REQUIRED, cd_check_email, p ? p->email : NULL);
	fl = ui_form_add(f, "phone", "Phone (SMS)", FIELD_WARN_EMPTY, NULL, p ? p->phone : NULL);
	fl->placeholder = "none: the password cannot go by SMS";
	deflt[0] = ui_form_add(f, "location", "Location", 0, NULL, p ? p->location : NULL);
	deflt[1] = ui_form_add(f, "org", "Org", 0, NULL, p ? p->org : NULL);
	deflt[2] = ui_form_add(f, "ou", "Unit", 0, NULL, p ? p->ou : NULL);
	deflt[3] = ui_form_add(f, "country", "Country", 0, check_country, p ? p->country : NULL);
	placeholder_default(u, f, ui_form_add(f, "days", "Days", 0, check_days, NULL));
	for (i = 0; !p && i < sizeof deflt / sizeof *deflt; i++)
		placeholder_default(u, f, deflt[i]);
	ui_form_add(f, "out", "Output dir", FIELD_REQUIRED, NULL, dir);
	ui_form_add(f, "csr", "CSR file", 0, NULL, NULL);
	free(dir);
}

/* A new user's empty detail takes its default; a renewal's is emptied, as the command
 * line's --location "" empties it (the form shows the current details to change). */
static const char *detail_value(ui_form *f, const char *name, int renew)
{
	return renew ? fieldset_value(&f->fm, name) : opt_value(f, name);
}

static desk_fields fields_of(ui_form *f, int renew)
{
	desk_fields df = {0};
	const char *days = opt_value(f, "days");

	df.full_name = fieldset_value(&f->fm, "name");
	df.email = fieldset_value(&f->fm, "email");
	df.phone = fieldset_value(&f->fm, "phone");
	df.location = detail_value(f, "location", renew);
	df.org = detail_value(f, "org", renew);
	df.ou = detail_value(f, "ou", renew);
	df.country = detail_value(f, "country", renew);
	df.days = days ? strtol(days, NULL, 10) : 0;
	df.csr = opt_value(f, "csr");
	df.out_dir = opt_value(f, "out");
	return df;
}

/* Where the files went and who gets the SMS; the password waits for its key. */
static ui_text *show_issued(ui *u, const char *verb, const char *user, const desk_issued *is)
{
	char title[160], end[16], moved[256];
	ui_text *t;

	cd_format_date(is->not_after, end);
	snprintf(title, sizeof title, "%s %s", verb, user);
	t = ui_text_new(title);
	ui_text_add(t, "%s %s: serial %s, expires %s", verb, user, is->serial, end);
	if (*is->changed)
		ui_text_add(t, "  changed: %s", is->changed);
	if (is->crt_path) {
		ui_text_add(t, "  .crt   %s", is->crt_path);
		ui_text_add(t, "  chain  %s", is->chain_path);
		ui_text_add(t, "%s", "  the user keeps the key: send both files back");
		u->last_pw[0] = '\0'; /* no password to show: not the last bundle's either */
	} else {
		ui_text_add(t, "  .p12  %s", is->p12_path);
		ui_text_add(t, "  .pw   %s", is->pw_path);
		if (is->phone && *is->phone)
			ui_text_add(t, "  send the password by SMS to: %s", is->phone);
		else
			ui_text_add(t, "%s", "  no phone number on record: send the password by "
				    "another channel");
		ui_text_add(t, "%s", "  press P to show the password (it is never shown unasked)");
		snprintf(u->last_pw, sizeof u->last_pw, "%s", is->pw_path);
	}
	if (strcmp(verb, "renewed") == 0)
		ui_text_add(t, "  the old certificate's revocation is held until %s applies the new "
			    "one (key a) or it expires", user);
	snprintf(u->last_user, sizeof u->last_user, "%s", user);
	snprintf(t->user, sizeof t->user, "%s", user);
	if (strcmp(verb, "created") == 0) {
		ui_load_after(u, user, moved, sizeof moved);
		ui_select_user(u, user); /* a new user: shown where it went */
	} else if (ui_load_after(u, user, moved, sizeof moved) == 0 && moved[0]) {
		ui_text_add(t, "  the list keeps its place%s; keys here act on %s", moved, user);
	}
	return t;
}

static int create_submit(ui *u, ui_form *f, ui_text **view)
{
	desk_fields df = fields_of(f, 0);
	const char *user = fieldset_value(&f->fm, "user");
	desk_issued is;

	if (desk_create(u->d, user, &df, &is) < 0)
		return -1;
	*view = show_issued(u, "created", user, &is);
	desk_issued_free(&is);
	return 0;
}

int ui_open_create(ui *u)
{
	ui_form *f = ui_form_new("create a user's certificate", NULL);

	snprintf(f->note[0], sizeof f->note[0], "An empty field takes the default greyed in it.");
	ui_form_add(f, "user", "User", FIELD_REQUIRED, cd_check_user, NULL);
	person_fields(u, f, NULL);
	f->submit = create_submit;
	return ui_form_open(u, f);
}

static int renew_submit(ui *u, ui_form *f, ui_text **view)
{
	desk_fields df = fields_of(f, 1);
	desk_issued is;

	if (desk_renew(u->d, f->user, &df, &is) < 0)
		return -1;
	*view = show_issued(u, "renewed", f->user, &is);
	desk_issued_free(&is);
	return 0;
}

int ui_open_renew(ui *u)
{
	const char *user = ui_row_user(u, ui_selected(u));
	ui_form *f;
	desk_row row;
	char title[160];

	if (desk_get_existing(u->d, user, &row) < 0)
		return -1;
	snprintf(title, sizeof title, "renew %s", user);
	f = ui_form_new(title, user);
	snprintf(f->note[0], sizeof f->note[0], "The current details, filled in: change what changed.");
	ui_form_add(f, "user", "User", FIELD_READONLY, NULL, user);
	person_fields(u, f, &row.r);
	desk_row_free(&row);
	f->submit = renew_submit;
	return ui_form_open(u, f);
}

/* ---- revoke: a reason, then the user name typed as confirmation ---- */

/* The menu's items: the CRL reasons (from the CA's table), then, mid-renewal, the old
 * certificate's revocation at once. */
static int nreasons(void)
{
	int n = 0;

	while (ca_reason_names[n])
		n++;
	return n;
}

typedef struct {
	char user[128];
	int sel, n, renewing;
} ui_menu;

static void menu_draw(ui *u, void *st)
{
	ui_menu *m = st;
	int w = 60 < COLS - 4 ? 60 : COLS - 4, h = m->n + 5, y = (LINES - h) / 2, x = (COLS - w) / 2, i;
	char title[200];

	if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS)
		return;
	snprintf(title, sizeof title, "revoke %s: why?", m->user);
	ui_box(y, x, h, w, title);
	for (i = 0; i < m->n; i++) {
		char item[160];

		if (i < nreasons())
			snprintf(item, sizeof item, "%s", ca_reason_names[i]);
		else
			snprintf(item, sizeof item, "keyCompromise, the old certificate at once");
		attrset(i == m->sel ? ui_attr(UI_SELECTED) : A_NORMAL);
		ui_put(y + 2 + i, x + 2, item, w - 4, 1);
	}
	attrset(A_NORMAL);
	ui_put(y + h - 2, x + 2, "j/k choose  Enter next  Esc cancel", w - 4, 0);
}

static void menu_close(ui *u, void *st)
{
	free(st);
}

static int revoke_submit(ui *u, ui_form *f, ui_text **view)
{
	char moved[256];

	if (strcmp(fieldset_value(&f->fm, "confirm"), f->user) != 0)
		return cd_err("the name typed does not match '%s': nothing revoked", f->user);
	if (desk_revoke(u->d, f->user, f->reason, f->now_forced) < 0)
		return -1;
	ui_load_after(u, f->user, moved, sizeof moved);
	ui_msg(u, 0, "%s: revocation scheduled (%s); p publishes what is ready%s", f->user,
	       ca_reason_name(f->reason), moved);
	return 0;
}

static void revoke_confirm(ui *u, ui_menu *m)
{
	char title[160];
	ui_form *f;

	snprintf(title, sizeof title, "revoke %s", m->user);
	f = ui_form_new(title, m->user);
	f->now_forced = m->sel >= nreasons();
	ca_reason_parse(f->now_forced ? "keyCompromise" : ca_reason_names[m->sel], &f->reason);
	snprintf(f->note[0], sizeof f->note[0], "Reason: %s%s.", ca_reason_name(f->reason),
		 f->now_forced ? ", the old certificate revoked at once" : "");
	snprintf(f->note[1], sizeof f->note[1], "Type the user name to confirm.");
	ui_form_add(f, "confirm", "User name", FIELD_REQUIRED, NULL, NULL);
	f->submit = revoke_submit;
	ui_form_replace(u, f);
}

static int menu_key(ui *u, void *st, int key)
{
	ui_menu *m = st;

	switch (key) {
	case KEY_RESIZE: return key;
	case 'j': case KEY_DOWN: m->sel += m->sel + 1 < m->n; break;
	case 'k': case KEY_UP: m->sel -= m->sel > 0; break;
	case 27: case 'q':
		screen_pop(u);
		ui_msg(u, 0, "cancelled");
		break;
	case '\n': case '\r': case KEY_ENTER:
		revoke_confirm(u, m); /* the menu becomes the confirmation */
		break;
	}
	return 0;
}

static const char *menu_bar(ui *u, void *st, int *more)
{
	*more = 0;
	return "j/k choose  Enter next  Esc cancel";
}

static const ui_screen_ops menu_ops = {"menu", menu_draw, menu_key, menu_close, menu_bar};

int ui_open_revoke(ui *u)
{
	const ui_row *r = ui_selected(u);
	ui_menu *m = cd_malloc(sizeof *m);

	memset(m, 0, sizeof *m);
	snprintf(m->user, sizeof m->user, "%s", ui_row_user(u, r));
	m->renewing = !!(r->flags & UI_ROW_RENEWING);
	m->n = nreasons() + m->renewing;
	return screen_push(u, &menu_ops, m);
}

/* ---- notify, task, applied ---- */

static int notify_submit(ui *u, ui_form *f, ui_text **view)
{
	char *tl, *ml, title[160], moved[256];
	ui_text *t;

	if (desk_notify(u->d, f->user, opt_value(f, "task"), &tl, &ml) < 0)
		return -1;
	snprintf(title, sizeof title, "notified %s", f->user);
	t = ui_text_new(title);
	snprintf(t->user, sizeof t->user, "%s", f->user); /* y and m copy this user's links */
	ui_load_after(u, f->user, moved, sizeof moved);
	ui_text_add(t, "%s is notified. Open the task, send the mail:", f->user);
	ui_text_add_link(t, "task  ", tl);
	ui_text_add_link(t, "mail  ", ml);
	snprintf(t->footer, sizeof t->footer,
		 "y copy the task link  m copy the mail link  u whole links  q back");
	free(tl);
	free(ml);
	*view = t;
	return 0;
}

/* The core reads the id as pasted (a number, a task URL) when the form is sent. */
static ui_form *task_form(ui *u, const char *verb, int required)
{
	const char *user = ui_row_user(u, ui_selected(u));
	const char *task = ui_row_task(u, ui_selected(u));
	char title[160];
	ui_form *f;

	snprintf(title, sizeof title, "%s %s", verb, user);
	f = ui_form_new(title, user);
	ui_form_add(f, "task", "Task id", required ? FIELD_REQUIRED : 0, NULL, *task ? task : NULL);
	return f;
}

int ui_open_notify(ui *u)
{
	ui_form *f = task_form(u, "notify", 0);

	snprintf(f->note[0], sizeof f->note[0],
		 "The task id (T123456, 123456 or the task's URL), or empty if none yet.");
	f->submit = notify_submit;
	return ui_form_open(u, f);
}

static int task_submit(ui *u, ui_form *f, ui_text **view)
{
	const char *task = fieldset_value(&f->fm, "task");

	char moved[256], id[32];

	if (desk_set_task(u->d, f->user, task) < 0 || desk_task_id(u->d, task, id, sizeof id) < 0)
		return -1;
	ui_load_after(u, f->user, moved, sizeof moved);
	ui_msg(u, 0, "%s: task %s recorded%s", f->user, id, moved);
	return 0;
}

int ui_open_task(ui *u)
{
	ui_form *f = task_form(u, "task of", 1);

	f->submit = task_submit;
	return ui_form_open(u, f);
}

int ui_do_applied(ui *u)
{
	char user[128], moved[256];

	snprintf(user, sizeof user, "%s", ui_row_user(u, ui_selected(u)));
	if (desk_applied(u->d, user, "operator", 0) < 0)
		return -1;
	ui_load_after(u, user, moved, sizeof moved);
	ui_msg(u, 0, "%s: new certificate applied; the old one's revocation is ready%s", user,
	       moved);
	return 0;
}

/* ---- copy a link, show the password ---- */

int ui_do_copy(ui *u, int mail)
{
	const char *user = ui_row_user(u, ui_selected(u));
	char *tl = NULL, *ml = NULL, how[128] = "";
	desk_row row;
	int rc;

	if (desk_get_existing(u->d, user, &row) < 0)
		return -1;
	rc = desk_links(u->d, &row.r, &tl, &ml);
	desk_row_free(&row);
	if (rc == 0)
		rc = clip_copy(mail ? ml : tl, how, sizeof how);
	free(tl);
	free(ml);
	if (rc < 0)
		return cd_err("copy failed: %s (Enter, then u shows the whole link)", cd_errmsg());
	clearok(curscr, TRUE); /* the clipboard write went straight to the terminal */
	ui_msg(u, 0, "copied the %s link of %s via %s", mail ? "mail" : "task", user, how);
	return 0;
}

int ui_do_password(ui *u)
{
	const char *user = ui_row_user(u, ui_selected(u));
	char *data = NULL, path[1024];
	size_t len;
	desk_row row;

	if (u->last_pw[0] && strcmp(u->last_user, user) == 0) {
		snprintf(path, sizeof path, "%s", u->last_pw);
	} else {
		if (desk_get_existing(u->d, user, &row) < 0)
			return -1;
		snprintf(path, sizeof path, "%s", row.r.cur.pw_path ? row.r.cur.pw_path : "");
		desk_row_free(&row);
	}
	if (!path[0])
		return cd_err("no .pw file is recorded for %s", user);
	if (cd_read_secret(path, &data, &len) < 0)
		return cd_err("%s (moved or sent already?)", cd_errmsg());
	data[strcspn(data, "\r\n")] = '\0';
	ui_msg(u, 0, "password of %s: %s   (cleared at the next key)", user, data);
	cd_secret_free(data, len);
	return 0;
}

/* ---- publish: the dry run first, then the question ---- */

static void report_line(void *ctx, const char *line)
{
	ui_text_add_raw(ctx, line);
}

static int publish_yes(ui *u, ui_text *dry)
{
	publish_opts po = {0, report_line, NULL};
	publish_result res;
	ui_text *t = ui_text_new("publish");
	int rc;

	po.ctx = t;
	rc = publish_run(u->d, &po, &res);
	/* On success the report's own last lines already sum it up. */
	if (rc < 0)
		ui_text_add(t, "publish failed: %s", cd_errmsg());
	ui_load(u);
	ui_text_push(u, t);
	if (rc == 0)
		ui_msg(u, 0, "published %zu revocation%s", res.published, res.published == 1 ? "" : "s");
	return rc;
}

/* The state is the first column already: "held: waiting for..." would say it twice. */
static const char *why_text(const publish_item *it)
{
	const char *state = it->ready ? "ready: " : "held: ";

	return strncmp(it->why, state, strlen(state)) == 0 ? it->why + strlen(state) : it->why;
}

static void dry_plan(ui_text *t, const publish_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const publish_item *it = &p->items[i];

		ui_text_add(t, "%-5s %-12s %-8s %s", it->ready ? "READY" : "held", it->user,
			    it->task ? it->task : "-", it->serial);
		ui_text_add(t, "      %s", why_text(it));
	}
	if (p->n == 0)
		ui_text_add(t, "%s", "no revocation is scheduled");
}

int ui_open_publish(ui *u)
{
	char why[sizeof ((ui_text *)0)->footer] = "";
	ui_text *t;
	publish_plan p;

	/* The read-only view and --as-of see the dry run, without the question. */
	if (desk_writable(u->d, "publish") < 0)
		snprintf(why, sizeof why, "%s; this is the dry run only", cd_errmsg());
	t = ui_text_new(*why ? "publish: dry run" :
			"publish: dry run (nothing changes until you answer y)");
	if (publish_plan_get(u->d, &p) < 0) {
		free(t);
		return -1;
	}
	dry_plan(t, &p);
	if (*why)
		snprintf(t->footer, sizeof t->footer, "%s", why);
	else if ((t->yes = publish_yes) && p.ready)
		snprintf(t->footer, sizeof t->footer, "publish %zu ready revocation%s%s? y/N",
			 p.ready, p.ready == 1 ? "" : "s", p.held ? " (the held ones wait)" : "");
	else
		snprintf(t->footer, sizeof t->footer,
			 "nothing is ready (%zu held); publish anyway (re-signs the CRL if due)? y/N",
			 p.held);
	publish_plan_free(&p);
	ui_text_push(u, t);
	return 0;
}

/* ---- search: the filter typed on the status line, applied as it is typed ---- */

typedef struct {
	field f;
	char before[FIELD_CAP + 1];
} ui_search;

static void search_draw(ui *u, void *st)
{
	ui_draw_prompt("filter: ", &((ui_search *)st)->f);
}

static int search_key(ui *u, void *st, int key)
{
	ui_search *s = st;

	if (key == KEY_RESIZE)
		return key;
	if (key == 27 || key == '\n' || key == '\r' || key == KEY_ENTER) {
		if (key == 27)
			snprintf(u->filter, sizeof u->filter, "%s", s->before);
		ui_view_build(u);
		screen_pop(u);
		return 0;
	}
	field_key(&s->f, key);
	snprintf(u->filter, sizeof u->filter, "%s", field_value(&s->f));
	ui_view_build(u);
	return 0;
}

static void search_close(ui *u, void *st)
{
	free(st);
}

static const char *search_bar(ui *u, void *st, int *more)
{
	*more = 0;
	return "Enter keep the filter  Esc as before  ^U clear";
}

static const ui_screen_ops search_ops = {"search", search_draw, search_key, search_close,
					 search_bar};

int ui_open_search(ui *u)
{
	ui_search *s = cd_malloc(sizeof *s);

	memset(s, 0, sizeof *s);
	snprintf(s->before, sizeof s->before, "%s", u->filter);
	field_set(&s->f, u->filter);
	return screen_push(u, &search_ops, s);
}
