/* test_ui.c: screen tests.  The dashboard reads keys from a script and draws into an
 * invisible screen (newterm on /dev/null); the screen is dumped to text and compared
 * with tests/golden/NAME.txt.
 *
 * Stable screens: the home is built through the real binary, with certificates valid for
 * a fixed number of days from now, and the dashboard judges them as of today + 5 days,
 * so days left and stages never change.  Calendar dates and serials do change: both the
 * screen and the golden file have every YYYY-MM-DD date replaced by "YYYY-MM-DD", every
 * time of day by "HH:MM:SS" and every run of 16+ hexadecimal digits (serials) by
 * "SERIAL" before comparing.  CERTDESK_GOLDEN_UPDATE=1 rewrites the golden files. */
#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "conf.h"
#include "testlib.h"
#include "ui.h"

static char home[700], outdir[800];
static int64_t as_of;
/* The day the dashboard is opened with (--as-of): as_of for the screens that only show;
 * 0 (the clock) for those that open forms and act, which a plan view refuses. */
static int64_t view_day;

/* Runs a test's body on the clock instead of as_of. */
#define ON_THE_CLOCK(body) do { view_day = 0; body; view_day = as_of; } while (0)

static void must(tl_result r)
{
	if (r.status != 0)
		fprintf(stderr, "certdesk failed: %s\n", r.err);
	CU_ASSERT_EQUAL_FATAL(r.status, 0);
	tl_free(&r);
}

static void create(const char *h, const char *user, const char *name, const char *days)
{
	char email[128];

	snprintf(email, sizeof email, "%s@example.org", user);
	must(tl_cd(h, "create", user, "--name", name, "--email", email, "--phone", "+41 79 555 01 01",
		   "--days", days, "--out", outdir, NULL));
}

/* The judging day: five days after the day alice's certificate (3 days) was issued, as
 * its end date says, so a fixture made across midnight judges as one made before it. */
static void judge_from_fixture(void)
{
	tl_result r = tl_sh("sqlite3 '%s/certdesk.db' \"SELECT c.not_after FROM certs c JOIN "
			    "users u ON u.id = c.user_id WHERE u.name = 'alice'\"", home);
	char day[16];

	if (r.status == 0 && atoll(r.out) > 0) {
		cd_format_date((int64_t)atoll(r.out) + 2 * CD_DAY, day);
		cd_parse_date(day, &as_of);
		view_day = as_of;
	}
	tl_free(&r);
}

/* Every stage once, a UTF-8 name, and a name with control characters put in behind
 * certdesk's back (it refuses them itself). */
static const char *fixture(void)
{
	tl_result r;

	if (home[0])
		return home;
	snprintf(home, sizeof home, "%s", tl_home());
	snprintf(outdir, sizeof outdir, "%s/out", home);
	must(tl_sh("mkdir -p '%s'", outdir));
	create(home, "alice", "Alice Expired", "3");
	create(home, "bob", "Bob Expiring", "12");
	create(home, "eve", "Eve Notified", "10");
	create(home, "dave", "Dave Renewed", "15");
	create(home, "carol", "Carol Active", "200");
	create(home, "zoe", "Zoë Łukasz 山田", "40");
	create(home, "frank", "Frank Left", "90");
	create(home, "mallory", "Mallory", "60");
	must(tl_cd(home, "notify", "eve", "--task", "T100001", NULL));
	must(tl_cd(home, "renew", "dave", "--days", "380", "--out", outdir, NULL));
	must(tl_cd(home, "revoke", "frank", "--reason", "affiliationChanged", NULL));
	r = tl_sh("python3 -c \"import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
		  "c.execute(\\\"UPDATE users SET full_name='Mal\\x1b]0;pwned\\x07\\x1b[31mlory' "
		  "WHERE name='mallory'\\\"); c.commit()\" '%s/certdesk.db'", home);
	must(r);
	judge_from_fixture();
	return home;
}

/* Whether the text at p follows a box's vertical or corner line (UTF-8, 3 bytes). */
static int after_box(const char *start, const char *p)
{
	static const char *const borders[] = {"│", "┐", "┘", "┤"};
	size_t i;

	for (i = 0; p - start >= 3 && i < sizeof borders / sizeof *borders; i++)
		if (memcmp(p - 3, borders[i], 3) == 0)
			return 1;
	return 0;
}

/* On the clock, the days left behind a form depend on the time of day the fixture was
 * made (a run across midnight): "YYYY-MM-DD    7 " reads "YYYY-MM-DD    N ". */
static char *mask_days(char *cur)
{
	char *p = cur;

	while ((p = strstr(p, "YYYY-MM-DD "))) {
		char *q = p + 11;

		while (*q == ' ')
			q++;
		q += *q == '-';
		if (*q < '0' || *q > '9') {
			p = q;
			continue;
		}
		while (*q >= '0' && *q <= '9')
			*q++ = 'N';
		p = q;
	}
	return cur;
}

static char *mask(const char *s)
{
	static const struct {
		const char *re, *with;
	} rules[] = {
		{"[0-9]{4}-[0-9]{2}-[0-9]{2}", "YYYY-MM-DD"},
		{"[0-9]{2}:[0-9]{2}:[0-9]{2}", "HH:MM:SS"},
		{"[0-9A-F]{16,}", "SERIAL"},
		/* The form's output directory is under the test's temporary directory. */
		{"Output dir  [^ ]+ *", "Output dir  OUTDIR "},
		/* What a box drawn over a line leaves of a date at its right edge: the
		 * digits after the box's right border (kept) at the end of a line. */
		{"[-0-9]{1,9}$", "~"},
	};
	char *cur = strdup(s);
	size_t i;

	for (i = 0; i < sizeof rules / sizeof *rules; i++) {
		regex_t re;
		regmatch_t m;
		const char *p = cur;
		cd_buf b = {0};

		regcomp(&re, rules[i].re, REG_EXTENDED | REG_NEWLINE);
		while (regexec(&re, p, 1, &m, p == cur ? 0 : REG_NOTBOL) == 0) {
			if (rules[i].with[0] == '~' && !after_box(cur, p + m.rm_so)) {
				cd_buf_add(&b, p, (size_t)m.rm_eo);
				p += m.rm_eo;
				if (!*p)
					break;
				continue;
			}
			cd_buf_add(&b, p, (size_t)m.rm_so);
			cd_buf_puts(&b, rules[i].with);
			p += m.rm_eo;
		}
		cd_buf_puts(&b, p);
		regfree(&re);
		free(cur);
		cur = cd_buf_take(&b);
	}
	return view_day ? cur : mask_days(cur);
}

static void golden(const char *name, const char *screen)
{
	char path[512], got[600];
	char *norm = mask(screen), *want;
	const char *dir = getenv("CERTDESK_GOLDEN_DIR");
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s.txt", dir && *dir ? dir : "tests/golden", name);
	if (getenv("CERTDESK_GOLDEN_UPDATE") && (fp = fopen(path, "w"))) {
		fputs(norm, fp);
		fclose(fp);
	}
	want = tl_read(path);
	CU_ASSERT_PTR_NOT_NULL(want);
	if (want && strcmp(norm, want) != 0) {
		snprintf(got, sizeof got, "%s/%s.got", tl_tmpdir(), name);
		if ((fp = fopen(got, "w"))) {
			fputs(norm, fp);
			fclose(fp);
		}
		fprintf(stderr, "\n%s differs: diff -u %s %s\n", name, path, got);
	}
	CU_ASSERT(want && strcmp(norm, want) == 0);
	free(want);
	free(norm);
}

/* The keys of a step <name>, e.g. "Enter", "C-x" or "Resize 30x8"; -1 when unknown. */
static int named_key(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int key;
	} keys[] = {
		{"Enter", '\r'}, {"Esc", 27}, {"Tab", '\t'}, {"S-Tab", KEY_BTAB},
		{"Down", KEY_DOWN}, {"Up", KEY_UP}, {"Left", KEY_LEFT}, {"Right", KEY_RIGHT},
		{"PgDn", KEY_NPAGE}, {"PgUp", KEY_PPAGE}, {"Home", KEY_HOME}, {"End", KEY_END},
		{"Backspace", KEY_BACKSPACE}, {"Tick", UI_KEY_TICK}, {"Lt", '<'},
		{"F1", KEY_F(1)}, {"F10", KEY_F(10)},
	};
	int c, r;
	size_t i;

	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		if (strlen(keys[i].name) == len && strncmp(name, keys[i].name, len) == 0)
			return keys[i].key;
	if (len == 3 && strncmp(name, "C-", 2) == 0 && name[2] >= 'a' && name[2] <= 'z')
		return name[2] & 0x1f;
	if (sscanf(name, "Resize %dx%d", &c, &r) == 2)
		return UI_KEY_SIZE(c, r);
	return -1;
}

/*
 * A key script as steps, as tig's tests write them: plain text is typed as it is, one
 * key per character (as get_wch() delivers it), and <Name> is one key: <Enter> <Esc>
 * <Tab> <S-Tab> <Down> <Up> <Left> <Right> <PgDn> <PgUp> <Home> <End> <Backspace>,
 * <C-x> for Ctrl and a letter, <Tick> for an input timeout (the live-reload poll),
 * <Resize 30x8> for a resize to 30 columns and 8 rows, <Lt> for a '<'.
 */
static size_t keys_of(const char *script, int *keys, size_t cap)
{
	const char *p = script, *end;
	size_t n = 0;
	wchar_t wc;
	int len;

	while (*p && n < cap) {
		if (*p == '<' && (end = strchr(p, '>'))) {
			keys[n] = named_key(p + 1, (size_t)(end - p - 1));
			if (keys[n++] == -1) {
				fprintf(stderr, "\nkey script '%s': no key %.*s\n", script,
					(int)(end - p + 1), p);
				CU_FAIL_FATAL("a key script names an unknown key");
			}
			p = end + 1;
			continue;
		}
		if ((len = mbtowc(&wc, p, MB_CUR_MAX)) <= 0)
			CU_FAIL_FATAL("a key script is not UTF-8");
		keys[n++] = wc < KEY_MIN ? (int)wc : FIELD_CHAR(wc);
		p += len;
	}
	if (*p)
		CU_FAIL_FATAL("a key script is too long");
	return n;
}

/* Runs a key script (see keys_of) on the fixture or on h; the final screen, malloc'd. */
static char *run(const char *h, int ro, const char *script, int cols, int rows)
{
	desk d;
	ui_opts o = {ro, 1, view_day};
	char *screen = NULL;
	int keys[512];
	size_t n = keys_of(script, keys, sizeof keys / sizeof *keys);

	if (desk_open(&d, h, ro ? DESK_READONLY : 0) < 0) {
		fprintf(stderr, "desk_open: %s\n", cd_errmsg());
		CU_FAIL_FATAL("desk_open");
	}
	if (ui_run_script(&d, &o, keys, n, cols, rows, &screen) < 0)
		fprintf(stderr, "ui_run_script: %s\n", cd_errmsg());
	CU_ASSERT_PTR_NOT_NULL_FATAL(screen);
	CU_ASSERT_EQUAL(d.signing, ro ? 0 : d.signing); /* read-only never loads the key */
	desk_close(&d);
	return screen;
}

static void check(const char *name, int ro, const char *keys, int cols, int rows)
{
	char *s = run(fixture(), ro, keys, cols, rows);

	golden(name, s);
	free(s);
}

/* The line of the screen holding needle, or -1. */
static int line_of(const char *screen, const char *needle)
{
	const char *p = strstr(screen, needle), *q;
	int n = 0;

	if (!p)
		return -1;
	for (q = screen; q < p; q++)
		n += *q == '\n';
	return n;
}

static void test_first_screen(void)
{
	check("first-80x24", 0, "", 80, 24);
	check("first-200x50", 0, "", 200, 50);
}

static void test_default_order(void)
{
	char *s = run(fixture(), 0, "", 80, 24);

	/* by expiry: alice (-2), eve (5), bob (7), mallory (55), zoe (35)... */
	CU_ASSERT(line_of(s, "alice ") < line_of(s, "eve "));
	CU_ASSERT(line_of(s, "eve ") < line_of(s, "bob "));
	CU_ASSERT(line_of(s, "bob ") < line_of(s, "zoe "));
	CU_ASSERT(line_of(s, "zoe ") < line_of(s, "carol "));
	CU_ASSERT(tl_contains(s, "sort: expiry"));
	free(s);
}

static void test_sort(void)
{
	char *s;

	check("sort-stage-80x24", 0, "s", 80, 24);
	s = run(fixture(), 0, "ss", 80, 24);
	CU_ASSERT(tl_contains(s, "sorted by user"));
	CU_ASSERT(line_of(s, "alice ") < line_of(s, "bob "));
	CU_ASSERT(line_of(s, "bob ") < line_of(s, "carol "));
	CU_ASSERT(line_of(s, "mallory ") < line_of(s, "zoe "));
	free(s);
	s = run(fixture(), 0, "sssj", 80, 24); /* the message goes at the next key */
	CU_ASSERT(tl_contains(s, "sort: expiry"));
	free(s);
}

static void test_filter(void)
{
	char *s;

	check("filter-80x24", 0, "/zo<Enter>", 80, 24);
	s = run(fixture(), 0, "/ZO<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "zoe ") && !tl_contains(s, "alice "));
	free(s);
	/* the task id is searched too; Esc gives back the earlier filter */
	s = run(fixture(), 0, "/T1000<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "eve ") && !tl_contains(s, "bob "));
	free(s);
	s = run(fixture(), 0, "/zo<Esc>", 80, 24);
	CU_ASSERT(tl_contains(s, "alice ") && tl_contains(s, "zoe "));
	free(s);
	/* f: needs action, then each stage */
	s = run(fixture(), 0, "f", 80, 24);
	CU_ASSERT(tl_contains(s, "stage: needs action"));
	CU_ASSERT(tl_contains(s, "alice ") && tl_contains(s, "dave ") && !tl_contains(s, "carol "));
	free(s);
	s = run(fixture(), 0, "ff", 80, 24);
	CU_ASSERT(tl_contains(s, "stage: expired") && tl_contains(s, "alice ") &&
		  !tl_contains(s, "bob "));
	free(s);
}

static void test_renew_form(void)
{
	char *s;

	check("renew-form-80x24", 0, "/bob<Enter>r", 80, 24);
	check("renew-form-200x50", 0, "/bob<Enter>r", 200, 50);
	s = run(fixture(), 0, "/bob<Enter>r", 80, 24);
	CU_ASSERT(tl_contains(s, "renew bob"));
	CU_ASSERT(tl_contains(s, "Bob Expiring"));
	CU_ASSERT(tl_contains(s, "bob@example.org"));
	CU_ASSERT(tl_contains(s, "+41 79 555 01 01"));
	free(s);
}

/* The status bar's last line. */
static const char *hints_of(const char *screen)
{
	const char *end = screen + strlen(screen), *p = end - 1;

	while (p > screen && p[-1] != '\n')
		p--;
	return p < end ? p : screen;
}

static void test_readonly(void)
{
	char *s;

	check("readonly-refusal-80x24", 1, "r", 80, 24);
	check("readonly-help-200x50", 1, "?", 200, 50);
	s = run(fixture(), 1, "x", 80, 24);
	CU_ASSERT(tl_contains(s, "READ-ONLY"));
	CU_ASSERT(tl_contains(s, "read-only view: 'revoke' changes the home"));
	CU_ASSERT(!tl_contains(s, "why?"));
	free(s);
	s = run(fixture(), 1, "c", 80, 24);
	CU_ASSERT(tl_contains(s, "read-only view: 'create'"));
	free(s);
	/* a secret is neither offered nor shown, whatever the file's permissions allow */
	s = run(fixture(), 1, "P", 200, 24);
	CU_ASSERT(tl_contains(s, "read-only view: secrets are never shown here"));
	CU_ASSERT(!tl_contains(s, "password of alice"));
	CU_ASSERT(!tl_contains(hints_of(s), "P password"));
	free(s);
	s = run(fixture(), 1, "?", 200, 50); /* nor in help */
	CU_ASSERT(!tl_contains(s, "P       show the last issued .pw password"));
	CU_ASSERT(!tl_contains(s, "[read-only"));
	CU_ASSERT(tl_contains(s, "greyed: not available in the read-only view"));
	free(s);
	s = run(fixture(), 0, "P", 200, 24); /* the operator's own view shows it */
	CU_ASSERT(tl_contains(s, "password of alice"));
	free(s);
	/* keys that change nothing still work */
	s = run(fixture(), 1, "<Enter>l", 80, 24);
	CU_ASSERT(tl_contains(s, "audit log of alice"));
	free(s);
}

/* Opened with --as-of, the dashboard plans: keys that write are refused with one line,
 * and publish shows its dry run without the question; the read-only view too. */
static void test_plan_view(void)
{
	char *s = run(fixture(), 0, "/bob<Enter>r", 80, 24);

	CU_ASSERT(tl_contains(s, " PLAN"));
	CU_ASSERT(tl_contains(s, "--as-of only judges: 'renew' would write"));
	CU_ASSERT(!tl_contains(s, "renew bob"));
	free(s);
	s = run(fixture(), 0, "py", 80, 24);
	CU_ASSERT(tl_contains(s, "publish: dry run"));
	CU_ASSERT(tl_contains(s, "READY"));
	CU_ASSERT(tl_contains(s, "--as-of only judges: cannot publish"));
	CU_ASSERT(!tl_contains(s, "y/N"));
	CU_ASSERT(!tl_contains(s, "publish failed") && !tl_contains(s, "published 1"));
	free(s);
	s = run(fixture(), 1, "p", 80, 24);
	CU_ASSERT(tl_contains(s, "READY"));
	CU_ASSERT(tl_contains(s, "read-only: cannot publish"));
	CU_ASSERT(!tl_contains(s, "y/N"));
	free(s);
}

static void test_help(void)
{
	char *s;

	check("help-80x24", 0, "?", 80, 24);
	check("help-200x50", 0, "?", 200, 50);
	s = run(fixture(), 0, "?", 200, 50);
	/* generated from the table: every dashboard command appears with its help text */
	CU_ASSERT(tl_contains(s, cmd_table[CMD_RENEW].help));
	CU_ASSERT(tl_contains(s, cmd_table[CMD_COPY_TASK].help));
	CU_ASSERT(!tl_contains(s, "[read-only"));
	free(s);
	s = run(fixture(), 0, "??", 80, 24); /* ? closes help */
	CU_ASSERT(!tl_contains(s, "help: keys"));
	free(s);
}

static void test_detail(void)
{
	char *s = run(fixture(), 0, "/dave<Enter><Enter>", 80, 24);

	CU_ASSERT(tl_contains(s, "Dave Renewed"));
	CU_ASSERT(tl_contains(s, "renewed: new certificate issued"));
	CU_ASSERT(tl_contains(s, "held: waiting for dave"));
	free(s);
	/* side pane from 120 columns: each link as what it opens, decoded */
	s = run(fixture(), 0, "/eve<Enter>", 200, 50);
	CU_ASSERT(tl_contains(s, "task  new task 'Renew the client certificate of Eve Notified"));
	CU_ASSERT(tl_contains(s, "on fundraising-tech-ops"));
	CU_ASSERT(tl_contains(s, "mail  to eve@example.org, subject 'Your client certificate"));
	CU_ASSERT(!tl_contains(s, "%20") && !tl_contains(s, "\u2026"));
	CU_ASSERT(tl_contains(s, "T100001"));
	free(s);
	/* u in a pager: the whole links, wrapped, for terminals where copying fails; again:
	 * back to what they open */
	s = run(fixture(), 0, "/zoe<Enter><Enter>u", 200, 50);
	CU_ASSERT(tl_contains(s, "task  https://phabricator.wikimedia.org/maniphest/task/edit/"));
	CU_ASSERT(tl_contains(s, "mail  mailto:zoe@example.org?subject="));
	free(s);
	s = run(fixture(), 0, "/zoe<Enter><Enter>uu", 80, 24);
	CU_ASSERT(tl_contains(s, "of Zo\u00eb \u0141ukasz \u5c71\u7530 (zoe)"));
	CU_ASSERT(!tl_contains(s, "https://"));
	free(s);
}

static void test_small_and_resize(void)
{
	char *s = run(fixture(), 0, "<Resize 30x8>", 80, 24);

	CU_ASSERT(tl_contains(s, "terminal too small: 30x8"));
	free(s);
	s = run(fixture(), 0, "<Resize 30x8><Resize 200x50>", 80, 24);
	CU_ASSERT(tl_contains(s, "Certificates (oldest first)")); /* the side pane */
	CU_ASSERT(tl_contains(s, "alice "));
	free(s);
}

static void test_sanitised(void)
{
	char *s = run(fixture(), 0, "/mallory<Enter>", 200, 50);

	CU_ASSERT(strchr(s, '\x1b') == NULL);
	CU_ASSERT(strchr(s, '\x07') == NULL);
	CU_ASSERT(tl_contains(s, "Mal?]0;pwned??[31mlory"));
	free(s);
}

/* The column after the name starts at the same display column on every row. */
static void test_utf8_alignment(void)
{
	char *s = run(fixture(), 0, "", 80, 24), *line, *save = NULL;
	int col = -1, rows = 0;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		regex_t re;
		regmatch_t m;
		wchar_t w[256];
		char prefix[256];

		regcomp(&re, "[0-9]{4}-[0-9]{2}-[0-9]{2} ", REG_EXTENDED);
		if (regexec(&re, line, 1, &m, 0) == 0 && m.rm_so < 200 && !strstr(line, "as of")) {
			memcpy(prefix, line, (size_t)m.rm_so);
			prefix[m.rm_so] = '\0';
			mbstowcs(w, prefix, 256);
			if (col < 0)
				col = wcswidth(w, 256);
			CU_ASSERT_EQUAL(wcswidth(w, 256), col);
			rows++;
		}
		regfree(&re);
	}
	CU_ASSERT(rows >= 8);
	free(s);
}

/* Only keys the core would accept for the row are offered; in a narrow read-only view
 * the keys that work come before the greyed ones. */
static void test_hints_per_row(void)
{
	char *s = run(fixture(), 0, "/frank<Enter>", 80, 24); /* revoked, nothing replaces it */

	CU_ASSERT(tl_contains(hints_of(s), "l log"));
	CU_ASSERT(!tl_contains(hints_of(s), "r renew"));
	CU_ASSERT(!tl_contains(hints_of(s), "x revoke"));
	CU_ASSERT(!tl_contains(hints_of(s), "n notify"));
	free(s);
	s = run(fixture(), 0, "/dave<Enter>", 200, 50);
	CU_ASSERT(tl_contains(hints_of(s), "a applied"));
	free(s);
	s = run(fixture(), 0, "/bob<Enter>", 200, 50);
	CU_ASSERT(!tl_contains(hints_of(s), "a applied"));
	CU_ASSERT(tl_contains(hints_of(s), "r renew"));
	free(s);
	s = run(fixture(), 1, "", 80, 24);
	CU_ASSERT(tl_contains(hints_of(s), "Enter detail"));
	CU_ASSERT(tl_contains(hints_of(s), "y copy task"));
	free(s);
}

/* Whether the bar of the screen starts with want. */
static int bar_starts(const char *screen, const char *want)
{
	const char *bar = hints_of(screen);

	if (strncmp(bar, want, strlen(want)) == 0)
		return 1;
	fprintf(stderr, "\nbar: '%s', want '%s...'\n", bar, want);
	return 0;
}

/* The bar begins with the next step of the row's stage (publish when something is
 * ready), help at the right; each view has its own keys. */
static void test_bar_per_stage_and_view(void)
{
	static const struct {
		const char *keys, *bar;
		int help; /* "? help" at the right: where the list's keys act */
	} cases[] = {
		{"/eve<Enter>", "y copy task  m copy mail  r renew  t task  p publish", 1},
		{"/bob<Enter>", "n notify  y copy task  m copy mail  r renew  p publish", 1},
		{"/dave<Enter>", "a applied  m copy mail  p publish", 1},
		{"/frank<Enter>", "c create  p publish", 1},
		{"/carol<Enter>", "p publish  / filter", 1},
		{"/eve<Enter><Enter>", "q back  j/k scroll  u links  y copy task  m copy mail", 1},
		{"?", "q/? back  j/k scroll  / search  n next match", 0},
		{"/bob<Enter>r", "Tab next  S-Tab back  ^X submit  Esc cancel", 0},
		{"x", "j/k choose  Enter next  Esc cancel", 0},
		{"/", "Enter keep the filter  Esc as before", 0},
		{"p", "y yes  n/Enter no", 0},
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		s = run(fixture(), 0, cases[i].keys, 80, 24);
		CU_ASSERT(bar_starts(s, cases[i].bar));
		CU_ASSERT_EQUAL(tl_contains(hints_of(s), "? help  q quit"), cases[i].help);
		free(s);
	}
}

/* In help and the other pagers, / searches the pager and n goes to the next match
 * (less, tig); the list behind does not move.  Esc on the list clears a filter. */
/* V: verify's report in a pager, as the command line prints it. */
static void test_verify_key(void)
{
	char *s = run(fixture(), 0, "V", 80, 24);

	CU_ASSERT(tl_contains(s, "verify: OK"));
	CU_ASSERT(tl_contains(s, "OK: the database, "));
	free(s);
	s = run(fixture(), 1, "V", 80, 24); /* read-only: the key checks are named as skipped */
	CU_ASSERT(tl_contains(s, "verify: SKIPPED") || tl_contains(s, "SKIPPED: the CA key checks"));
	free(s);
}

static void test_search_in_pagers(void)
{
	char *s = run(fixture(), 0, "?/revoke<Enter>", 80, 24);

	CU_ASSERT(tl_contains(s, "help: keys"));
	CU_ASSERT(tl_contains(s, "/revoke: line 4 of"));
	CU_ASSERT(!tl_contains(s, "filter: revoke"));
	free(s);
	s = run(fixture(), 0, "?/revoke<Enter>n", 80, 24);
	CU_ASSERT(tl_contains(s, "/revoke: line 35 of")); /* a stage's help line */
	free(s);
	s = run(fixture(), 0, "?/revoke<Enter>q", 80, 24);
	CU_ASSERT(tl_contains(s, "1/8  sort: expiry  stage: all\n"));
	free(s);
	s = run(fixture(), 0, "?n", 80, 24); /* not notify: help keeps its keys */
	CU_ASSERT(tl_contains(s, "help: keys") && !tl_contains(s, "notify alice"));
	free(s);
	s = run(fixture(), 0, "?/nothing like it<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "not found: nothing like it"));
	free(s);
	s = run(fixture(), 0, "<Enter>/mail<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "/mail: line"));
	CU_ASSERT(tl_contains(s, "keys of the list act on this user"));
	free(s);
	s = run(fixture(), 0, "/zo<Enter><Esc>", 80, 24);
	CU_ASSERT(tl_contains(s, "filter cleared"));
	CU_ASSERT(tl_contains(s, "alice ") && tl_contains(s, "zoe "));
	free(s);
	s = run(fixture(), 0, "ff<Esc>j", 80, 24);
	CU_ASSERT(tl_contains(s, "2/8  sort: expiry  stage: all\n"));
	free(s);
}

/* On a leaver, r x n y m are refused at the key, at once, with the core's reason and
 * the key that does apply; no form opens. */
static void test_refused_at_the_key(void)
{
	static const char *const keys[] = {"r", "x", "n", "y", "m"};
	char script[64], *s;
	size_t i;

	for (i = 0; i < sizeof keys / sizeof *keys; i++) {
		snprintf(script, sizeof script, "/frank<Enter>%s", keys[i]);
		s = run(fixture(), 0, script, 80, 24);
		CU_ASSERT(!tl_contains(s, "\u250c")); /* no box: no form, no menu */
		CU_ASSERT(!tl_contains(s, "copied"));
		free(s);
	}
	s = run(fixture(), 0, "/frank<Enter>r", 200, 24);
	CU_ASSERT(tl_contains(s, "\nc create applies: frank's certificate"));
	CU_ASSERT(tl_contains(s, "'certdesk create frank' issues a new one"));
	free(s);
}

/* Keys that do nothing say so once; F1 opens the help, F10 quits; the publish question
 * is y/N: Enter and n cancel, other keys are ignored. */
static void test_unknown_keys_and_defaults(void)
{
	char *s = run(fixture(), 0, "h", 80, 24);

	CU_ASSERT(tl_contains(s, "'h' is not a key here; ? for help"));
	free(s);
	s = run(fixture(), 0, "<Left>", 80, 24);
	CU_ASSERT(tl_contains(s, "LEFT is not a key here; ? for help"));
	free(s);
	s = run(fixture(), 0, "<F1>", 80, 24);
	CU_ASSERT(tl_contains(s, "help: keys"));
	free(s);
	s = run(fixture(), 0, "p", 80, 24);
	CU_ASSERT(tl_contains(s, "? y/N"));
	free(s);
	s = run(fixture(), 0, "pj", 80, 24);
	CU_ASSERT(tl_contains(s, "? y/N") && tl_contains(s, "y publishes; n or Enter cancels"));
	free(s);
	s = run(fixture(), 0, "pj<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "cancelled") && !tl_contains(s, "y/N"));
	free(s);
}

/* Monochrome: an expired row's urgency is not the selection's look; a name cut to fit
 * its column ends in an ellipsis. */
static void test_mono_and_cut_names(void)
{
	char *s = run(fixture(), 0, "", 60, 24);

	ui_theme_init(0);
	CU_ASSERT(ui_attr(UI_EXPIRED) != ui_attr(UI_SELECTED));
	CU_ASSERT((ui_attr(UI_EXPIRED) & A_REVERSE) == 0);
	CU_ASSERT(tl_contains(s, "Mal?]0;pwned??[31ml\u2026 "));
	CU_ASSERT(tl_contains(s, "Zo\u00eb \u0141ukasz \u5c71\u7530 "));
	free(s);
}

/* Pagers stop at their last page; G and End go there, and leave the list alone. */
static void test_text_scroll(void)
{
	char keys[80] = "<Enter>u"; /* the whole links: longer than a page */
	char *s, *t;

	memset(keys + 8, 'j', 60); /* far past the end of the detail */
	keys[68] = '\0';
	s = run(fixture(), 0, keys, 80, 24);
	t = run(fixture(), 0, "<Enter>uG", 80, 24);
	CU_ASSERT(tl_contains(s, "mail  mailto:alice"));
	CU_ASSERT_STRING_EQUAL(s, t);
	CU_ASSERT(tl_contains(t, "1/8  sort: expiry")); /* G scrolled; the selection stayed */
	free(t);
	strcat(keys, "k");
	t = run(fixture(), 0, keys, 80, 24);
	CU_ASSERT(strcmp(s, t) != 0); /* one k after too many j moves at once */
	free(t);
	free(s);
}

/* A refused submit says why inside the form; a short terminal still shows the whole
 * box with the focused field, the error and the keys. */
static void test_form_errors(void)
{
	char *s = run(fixture(), 0, "c<C-x>", 80, 24);
	int l = line_of(s, "User is required");

	CU_ASSERT(l > 0 && l < line_of(s, "Esc cancels"));
	free(s);
	check("create-error-60x12", 0, "cbob<Tab>Bob<Tab>not-an-email<C-x>", 60, 12);
	s = run(fixture(), 0, "cbob<Tab>Bob<Tab>b@example.org<Tab>p<Tab>l<Tab>o<Tab>u<Tab>c<Tab>d",
		60, 12);
	CU_ASSERT(tl_contains(s, "Days        d"));
	CU_ASSERT(tl_contains(s, "\u2514")); /* the box's bottom corner */
	free(s);
}

/* The next steps of each stage are the core's (cycle_next_steps); publish joins them
 * whatever the stage when revocations are ready, once. */
static void test_next_steps_core(void)
{
	static const struct {
		int stage, ready;
		cmd_id want[CYCLE_STEPS_MAX];
	} cases[] = {
		{STAGE_EXPIRING, 0, {CMD_NOTIFY, CMD_COPY_TASK, CMD_COPY_MAIL, CMD_RENEW}},
		{STAGE_NOTIFIED, 0, {CMD_COPY_TASK, CMD_COPY_MAIL, CMD_RENEW, CMD_TASK}},
		{STAGE_RENEWED, 0, {CMD_APPLIED, CMD_COPY_MAIL}},
		{STAGE_RENEWED, 2, {CMD_APPLIED, CMD_COPY_MAIL, CMD_PUBLISH}},
		{STAGE_APPLIED, 1, {CMD_PUBLISH}},
		{STAGE_EXPIRED, 0, {CMD_RENEW, CMD_REVOKE}},
		{STAGE_REVOKED, 0, {CMD_CREATE}},
		{STAGE_ACTIVE, 0, {CMD_INIT}},
		{STAGE_DONE, 1, {CMD_PUBLISH}},
		{-1, 0, {CMD_INIT}}, /* no user selected */
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		cmd_id got[CYCLE_STEPS_MAX];
		int n = cycle_next_steps(cases[i].stage, cases[i].ready, got), k;

		for (k = 0; k < n; k++)
			CU_ASSERT_EQUAL(got[k], cases[i].want[k]);
		CU_ASSERT_EQUAL(got[n], CMD_INIT);
		CU_ASSERT_EQUAL(cases[i].want[n], CMD_INIT);
		CU_ASSERT(!cycle_is_next_step(cases[i].stage, cases[i].ready, CMD_SORT));
	}
	CU_ASSERT(cycle_is_next_step(STAGE_ACTIVE, 1, CMD_PUBLISH));
	CU_ASSERT(!cycle_is_next_step(STAGE_ACTIVE, 0, CMD_PUBLISH));
}

/* 60x15: the counts and the CRL share a line, whole words only; ten rows of users. */
static void test_small_screen(void)
{
	char *s = run(fixture(), 0, "", 60, 15);

	golden("first-60x15", s);
	CU_ASSERT_EQUAL(line_of(s, "USER "), 2);
	CU_ASSERT(tl_contains(s, "CRL: none  ready 1  held 1"));
	free(s);
	s = run(fixture(), 0, "", 40, 15); /* narrower: stages give way, cut whole */
	CU_ASSERT(tl_contains(s, "expired 1  \u2026"));
	CU_ASSERT(!tl_contains(s, "expiring"));
	free(s);
	s = run(fixture(), 0, "", 80, 24); /* a tall terminal keeps both lines */
	CU_ASSERT(tl_contains(s, "\nCRL: never published  ready 1  held 1\n"));
	free(s);
}

/* The form's prompts: greyed defaults, the phone's warning, the output directory, and
 * Esc that asks once when something was typed. */
static void test_form_prompts(void)
{
	char *s = run(fixture(), 0, "c", 80, 24);

	CU_ASSERT(tl_contains(s, "Days        default: 365"));
	CU_ASSERT(tl_contains(s, "Location    no default"));
	CU_ASSERT(tl_contains(s, "Phone (SMS) none: the password cannot go by SMS"));
	CU_ASSERT(tl_contains(s, "Output dir  /")); /* out.dir, else $HOME */
	CU_ASSERT(tl_contains(s, "An empty field takes the default greyed in it."));
	golden("create-form-80x24", s);
	free(s);
	s = run(fixture(), 0, "cx<Esc>", 80, 24);
	CU_ASSERT(tl_contains(s, "Discard the changes? Esc or y: discard"));
	CU_ASSERT(tl_contains(s, "Esc/y discard the changes"));
	CU_ASSERT(tl_contains(s, "User        x")); /* still open, as typed */
	free(s);
	s = run(fixture(), 0, "cx<Esc>n", 80, 24); /* keeps editing: n is no text */
	CU_ASSERT(tl_contains(s, "User        x ") && !tl_contains(s, "Discard"));
	free(s);
	s = run(fixture(), 0, "cx<Esc><Esc>", 80, 24);
	CU_ASSERT(tl_contains(s, "cancelled") && !tl_contains(s, "create a user's"));
	free(s);
	s = run(fixture(), 0, "c<Esc>", 80, 24); /* nothing typed: no question */
	CU_ASSERT(tl_contains(s, "cancelled"));
	free(s);
	s = run(fixture(), 0, "/bob<Enter>r<Tab>x<Backspace><Esc>", 80, 24); /* typed back */
	CU_ASSERT(tl_contains(s, "cancelled"));
	free(s);
}

/* L: the whole trail, everyone's, as log shows it; l: the user's. */
static void test_whole_log(void)
{
	char *s = run(fixture(), 0, "L", 200, 50);

	CU_ASSERT(tl_contains(s, "audit log: the whole home"));
	CU_ASSERT(tl_contains(s, "create   alice"));
	CU_ASSERT(tl_contains(s, "renew    dave"));
	CU_ASSERT(tl_contains(s, "revoke   frank"));
	free(s);
	s = run(fixture(), 0, "l", 200, 50);
	CU_ASSERT(tl_contains(s, "audit log of alice  (L: every user's)"));
	CU_ASSERT(!tl_contains(s, "dave"));
	free(s);
}

/* Ctrl-C inside a form quits the dashboard like everywhere else. */
static void test_ctrl_c_in_form(void)
{
	char *s = run(fixture(), 0, "c<C-c>zz", 80, 24);

	CU_ASSERT(tl_contains(s, "create a user's certificate"));
	CU_ASSERT(!tl_contains(s, "User        zz")); /* nothing read after Ctrl-C */
	free(s);
}

/* The man page documents every command, every dashboard key and every setting, from
 * the same tables the program uses. */
static void test_man_page(void)
{
	char *man = tl_read("certdesk.1"), want[128], key[16];
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (c->verb && !(c->flags & CMD_UI)) {
			snprintf(want, sizeof want, "Cm %s", c->verb);
			if (!tl_contains(man, want))
				fprintf(stderr, "\nman page: no command %s\n", c->verb);
			CU_ASSERT(tl_contains(man, want));
		}
		if (c->key && !(c->flags & CMD_CLI)) {
			ui_key_name(c, key, sizeof key);
			key[strcspn(key, "/")] = '\0';
			snprintf(want, sizeof want, ".It Ic %s%s", strchr("?.", key[0]) ? "\\&" : "", key);
			if (!tl_contains(man, want))
				fprintf(stderr, "\nman page: no key %s\n", key);
			CU_ASSERT(tl_contains(man, want));
		}
	}
	for (i = 0; conf_table[i].key; i++) {
		snprintf(want, sizeof want, "Va %s", conf_table[i].key);
		CU_ASSERT(tl_contains(man, want));
	}
	CU_ASSERT(tl_contains(man, "certdesk/pending"));
	CU_ASSERT(tl_contains(man, "USER-YYYY-MM-DD.p12"));
	free(man);
}

/* ---- actions through the dashboard, judged by the command line ---- */

static char action_home[700];

static const char *fresh_home(void)
{
	tl_result r;

	snprintf(action_home, sizeof action_home, "%s", tl_home());
	r = tl_cd(action_home, "config", "out.dir", outdir, NULL);
	must(r);
	return action_home;
}

static void test_create_then_password(void)
{
	const char *h;
	char pwpath[900], *pw, *s;
	tl_result r;

	fixture();
	h = fresh_home();
	must(tl_sh("rm -f '%s/newbie.p12' '%s/newbie.pw'", outdir, outdir));
	s = run(h, 0, "cnewbie<Tab>New Bie<Tab>nb@example.org<Tab>+41 1 234"
		"<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter>", 80, 24);
	snprintf(pwpath, sizeof pwpath, "%s/newbie.pw", outdir);
	pw = tl_read(pwpath);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	pw[strcspn(pw, "\n")] = '\0';
	CU_ASSERT(tl_contains(s, "created newbie"));
	CU_ASSERT(tl_contains(s, "newbie.p12"));
	CU_ASSERT(tl_contains(s, "SMS to: +41 1 234"));
	CU_ASSERT(!tl_contains(s, pw)); /* never shown unasked */
	free(s);
	r = tl_cd(h, "list", "--format", "tsv", NULL);
	CU_ASSERT(tl_contains(r.out, "newbie\tNew Bie\tnb@example.org"));
	tl_free(&r);
	r = tl_sh("openssl pkcs12 -in '%s/newbie.p12' -passin 'file:%s' -nokeys 2>&1 | "
		  "openssl x509 -noout -subject", outdir, pwpath);
	CU_ASSERT(tl_contains(r.out, "newbie"));
	tl_free(&r);
	s = run(h, 0, "P", 200, 24);
	CU_ASSERT(tl_contains(s, pw));
	free(s);
	free(pw);
}

/* The form's last field takes a request: the certificate, its chain, no password. */
static void test_create_csr_form(void)
{
	const char *h = tl_home();
	char *keys, *s;
	tl_result r;

	must(tl_cd(h, "config", "out.dir", outdir, NULL));
	must(tl_sh("rm -f '%s'/keeper*; openssl req -new -newkey ec -pkeyopt "
		   "ec_paramgen_curve:P-256 -nodes -keyout '%s/keeper.key' -subj /CN=keeper "
		   "-out '%s/keeper.csr' 2>&1", outdir, outdir, outdir));
	keys = cd_asprintf("ckeeper<Tab>Kee Per<Tab>kp@example.org<Enter><Enter><Enter><Enter>"
			   "<Enter><Enter><Enter><Enter>%s/keeper.csr<Enter>", outdir);
	s = run(h, 0, keys, 200, 24);
	free(keys);
	CU_ASSERT(tl_contains(s, "created keeper") && tl_contains(s, "keeper.crt"));
	CU_ASSERT(!tl_contains(s, "SMS"));
	free(s);
	r = tl_sh("openssl verify -CAfile '%s/ca/ca.crt' '%s/keeper.crt'", h, outdir);
	CU_ASSERT(tl_contains(r.out, ": OK"));
	tl_free(&r);
}

/* Creates user through the form, answering the CA key's dialog with secret, never
 * echoed: with refusal, that line in the status bar and nothing issued; else a bundle
 * that verifies with the CA certificate of home h. */
static void dialog_create(const char *h, const char *user, const char *secret,
			  const char *refusal)
{
	char *keys = cd_asprintf("c%s<Tab>User %s<Tab>%s@example.org<Enter><Enter><Enter><Enter>"
				 "<Enter><Enter><Enter><Enter><Enter>%s<Enter>", user, user, user,
				 secret);
	char *s = run(h, 0, keys, 80, 24), *pw = cd_asprintf("%s/%s.pw", outdir, user);
	char *typed = cd_asprintf("%s\n", secret);
	tl_result r;

	CU_ASSERT(!tl_contains(s, refusal ? typed : secret));
	if (refusal) {
		CU_ASSERT(tl_contains(s, refusal));
		CU_ASSERT_EQUAL(tl_mode(pw), -1); /* nothing issued */
	} else {
		CU_ASSERT(tl_contains(s, "created") && tl_contains(s, user));
		r = tl_sh("openssl pkcs12 -in '%s/%s.p12' -passin 'file:%s' -nokeys 2>&1 | "
			  "openssl verify -CAfile '%s/ca/ca.crt'", outdir, user, pw, h);
		CU_ASSERT(tl_contains(r.out, "OK"));
		tl_free(&r);
	}
	free(typed);
	free(pw);
	free(s);
	free(keys);
}

/* A passphrase-protected CA key: the dashboard asks in a dialog, never echoes it, and
 * a wrong passphrase is an error in the status bar with nothing issued. */
static void test_encrypted_ca(void)
{
	char h[700], pass[800];

	snprintf(h, sizeof h, "%s/enc", tl_tmpdir());
	snprintf(pass, sizeof pass, "%s.pass", h);
	must(tl_sh("printf 'open sesame\\n' > '%s'", pass));
	must(tl_cd(h, "init", "--passphrase-file", pass, NULL));
	must(tl_cd(h, "config", "out.dir", outdir, NULL));
	must(tl_sh("rm -f '%s'/lock1.* '%s'/lock2.*", outdir, outdir));
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	dialog_create(h, "lock1", "wrong", "wrong CA passphrase");
	dialog_create(h, "lock2", "open sesame", NULL);
}

/* A CA key on a PKCS#11 token (a SoftHSM2 token made here): the dashboard asks for the
 * PIN in the same dialog, a wrong PIN is an error in the status bar with nothing issued,
 * and the right one signs. */
static void test_token_ca(void)
{
	const char *mod = "/usr/lib/softhsm/libsofthsm2.so";
	char h[700], dir[800], conf[900], pin[900];

	if (!cd_path_exists(mod)) {
		printf("\n  skipped: %s is missing (apt-get install softhsm2)\n", mod);
		return;
	}
	snprintf(h, sizeof h, "%s/tok", tl_tmpdir());
	snprintf(dir, sizeof dir, "%s.softhsm", h);
	snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
	snprintf(pin, sizeof pin, "%s/pin", dir);
	must(tl_sh("mkdir -p '%s/tokens' && printf 'directories.tokendir = %s/tokens\\n"
		   "objectstore.backend = file\\n' > '%s' && printf 'pin-2468\\n' > '%s' && "
		   "SOFTHSM2_CONF='%s' softhsm2-util --init-token --free --label uitok --pin pin-2468 "
		   "--so-pin 1357 >/dev/null", dir, dir, conf, pin, conf));
	setenv("SOFTHSM2_CONF", conf, 1);
	must(tl_cd(h, "init", "--pkcs11", "pkcs11:token=uitok;object=ca", "--pkcs11-module", mod,
		   "--passphrase-file", pin, NULL));
	must(tl_cd(h, "config", "out.dir", outdir, NULL));
	must(tl_sh("rm -f '%s'/tok1.* '%s'/tok2.*", outdir, outdir));
	unsetenv("CERTDESK_PASSPHRASE_FILE");
	dialog_create(h, "tok1", "bad-pin", "wrong PIN for token 'uitok'");
	dialog_create(h, "tok2", "pin-2468", NULL);
	unsetenv("SOFTHSM2_CONF");
}

static void test_revoke_confirm(void)
{
	const char *h = action_home;
	tl_result r;
	char *s;

	if (!h[0])
		return;
	s = run(h, 0, "x<Enter>newbiX<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "does not match 'newbie': nothing revoked"));
	free(s);
	r = tl_cd(h, "list", "--format", "tsv", NULL);
	CU_ASSERT(tl_contains(r.out, "\tactive\t"));
	tl_free(&r);
	s = run(h, 0, "xjj<Enter>newbie<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "newbie: revocation scheduled (affiliationChanged)"));
	free(s);
	r = tl_cd(h, "list", "--all", "--format", "tsv", NULL);
	CU_ASSERT(tl_contains(r.out, "\trevoked\t"));
	tl_free(&r);
	r = tl_cd(h, "log", "newbie", NULL);
	CU_ASSERT(tl_contains(r.out, "affiliationChanged"));
	tl_free(&r);
}

static void test_notify_task_applied(void)
{
	const char *h;
	tl_result r;
	char *s, *t;

	fixture();
	h = fresh_home();
	create(h, "ann", "Ann Soon", "9");
	s = run(h, 0, "nT424242<Enter>", 200, 40);
	CU_ASSERT(tl_contains(s, "notified ann"));
	CU_ASSERT(tl_contains(s, "mail  to ann@example.org, subject 'Your client certificate"));
	CU_ASSERT(tl_contains(s, "task  new task 'Renew the client certificate of Ann Soon"));
	CU_ASSERT(tl_contains(s, "y copy the task link  m copy the mail link  u whole links"));
	CU_ASSERT(!tl_contains(s, "%20"));
	free(s);
	r = tl_cd(h, "show", "ann", NULL);
	CU_ASSERT(tl_contains(r.out, "T424242"));
	tl_free(&r);
	s = run(h, 0, "t<C-u>T515151<Enter>", 80, 24); /* Ctrl-U clears the prefilled task */
	CU_ASSERT(tl_contains(s, "ann: task T515151 recorded"));
	free(s);
	/* pasted as the browser has it: blanks, the task's URL */
	s = run(h, 0, "t<C-u> https://phabricator.wikimedia.org/T616161 <Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "ann: task T616161 recorded"));
	free(s);
	s = run(h, 0, "t<C-u>https://elsewhere.example/T1<Enter>", 80, 24); /* the whole value */
	CU_ASSERT(tl_contains(s, "invalid task id 'https://elsewhere.example/T1'"));
	free(s);
	s = run(h, 0, "a", 80, 24); /* not renewed yet: refused by the core, shown */
	CU_ASSERT(tl_contains(s, "no pending renewal"));
	free(s);
	must(tl_sh("rm -f '%s/ann.p12' '%s/ann.pw'", outdir, outdir));
	/* renew with the details as they are */
	s = run(h, 0, "r<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "renewed ann"));
	free(s);
	s = run(h, 0, "a", 80, 24);
	CU_ASSERT(tl_contains(s, "ann: new certificate applied"));
	free(s);
	r = tl_cd(h, "list", "--format", "tsv", NULL);
	CU_ASSERT(tl_contains(r.out, "\tapplied\t"));
	tl_free(&r);
	s = run(h, 0, "p", 80, 24);
	CU_ASSERT(tl_contains(s, "READY"));
	CU_ASSERT(tl_contains(s, "y/N"));
	free(s);
	s = run(h, 0, "pn", 80, 24);
	CU_ASSERT(tl_contains(s, "cancelled"));
	free(s);
	/* the result views close on Esc: publish's report, and an issued certificate's */
	s = run(h, 0, "py", 80, 24); /* no CRL repository here: the report says so */
	CU_ASSERT(tl_contains(s, "\npublish\n publish failed: no CRL repository"));
	free(s);
	s = run(h, 0, "py<Esc>", 80, 24);
	t = run(h, 0, "", 80, 24);
	CU_ASSERT_STRING_EQUAL(s, t);
	free(t);
	free(s);
	s = run(h, 0, "czed<Tab>Zed Later<Tab>zed@example.org"
		"<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "created zed"));
	free(s);
	s = run(h, 0, "cyan<Tab>Yan Later<Tab>yan@example.org"
		"<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Esc>", 80, 24);
	CU_ASSERT(!tl_contains(s, "created yan") && tl_contains(s, "yan ") && tl_contains(s, "zed "));
	free(s);
}

/* After renewing the second user the selection stays second (the next in the queue),
 * the result says where the renewed user went, and its keys act on that user. */
static void test_selection_after_renew(void)
{
	const char *h;
	char pwpath[900], *pw, *s;

	fixture();
	h = fresh_home();
	must(tl_sh("rm -f '%s'/kai.* '%s'/lea.* '%s'/mio.* '%s'/ned.*", outdir, outdir, outdir,
		   outdir));
	create(h, "kai", "Ann First", "9");
	create(h, "lea", "Ben Second", "10");
	create(h, "mio", "Cid Third", "20");
	create(h, "ned", "Dan Fourth", "200");
	/* each run acts: the second user is lea, then mio */
	s = run(h, 0, "jr<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter>P", 200, 24);
	CU_ASSERT(tl_contains(s, "renewed lea"));
	CU_ASSERT(tl_contains(s, "lea moved to 4/4 (sort: expiry); keys here act on lea"));
	CU_ASSERT_FATAL(sscanf(strstr(s, ".pw   ") ? strstr(s, ".pw   ") : "", ".pw   %899s",
			       pwpath) == 1);
	pw = tl_read(pwpath); /* the renewal's own file, lea-DATE.pw */
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	pw[strcspn(pw, "\n")] = '\0';
	CU_ASSERT(tl_contains(s, "password of lea: ")); /* P on the result: lea's, not mio's */
	CU_ASSERT(tl_contains(s, pw));
	free(pw);
	free(s);
	s = run(h, 0, "jr<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter>q", 80, 24);
	CU_ASSERT(tl_contains(s, "2/4  sort: expiry"));
	CU_ASSERT(line_of(s, "ned ") < line_of(s, "lea ") && line_of(s, "lea ") < line_of(s, "mio "));
	free(s);
}

/* The screen without its last two lines (the status bar and the message). */
static char *list_part(char *s)
{
	char *end = s + strlen(s);
	int k;

	for (k = 0; k < 3 && end > s; k++)
		while (end > s && *--end != '\n')
			;
	*end = '\0';
	return s;
}

/* After each action only the user acted on is read again (a whole load takes over half
 * a second at a million users): the list and the header then equal those of a dashboard
 * that loads every user, in every order, with a filter on and a new user too. */
static void test_refresh_one_user(void)
{
	static const char *const orders[] = {"", "s", "ss"};
	char script[512], *s, *t;
	size_t o;

	fixture();
	for (o = 0; o < sizeof orders / sizeof *orders; o++) {
		const char *h = fresh_home();

		must(tl_sh("rm -f '%s'/r1.* '%s'/r2.* '%s'/r3.* '%s'/r4.* '%s'/ra.*", outdir,
			   outdir, outdir, outdir, outdir));
		create(h, "r1", "Ann Ahead", "9");
		create(h, "r2", "Ben Behind", "11");
		create(h, "r3", "Cid Center", "13");
		create(h, "r4", "Dan Done", "300");
		/* notify one, renew another and apply it (each found by a filter, so each
		 * refresh builds a filtered view), add a user; in each order, so that rows move
		 * in the sorted array */
		snprintf(script, sizeof script, "%s/r1<Enter>nT9%zu<Enter><Esc><Esc>/r2<Enter>r"
			 "<Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter><Enter>"
			 "<Esc>a<Esc>cra<Tab>Ann Added<Tab>ra@example.org<Enter><Enter><Enter>"
			 "<Enter><Enter><Enter><Enter><Enter><Enter><Esc>", orders[o], o);
		s = list_part(run(h, 0, script, 100, 24));
		t = list_part(run(h, 0, orders[o], 100, 24));
		CU_ASSERT(tl_contains(s, " notified ") && tl_contains(s, " applied "));
		CU_ASSERT(tl_contains(s, "ra ") && tl_contains(s, "5 users"));
		CU_ASSERT_STRING_EQUAL(s, t);
		if (strcmp(s, t))
			fprintf(stderr, "\nacted on, order %zu:\n%s\nloaded:\n%s\n", o, s, t);
		free(s);
		free(t);
	}
}

/* A renewal through the form that changes the email says so, and the audit trail has
 * the old and the new value; the files go where the last bundle went, not out.dir. */
static void test_renew_change_record(void)
{
	const char *h;
	char other[900], *s, *log;

	fixture();
	h = fresh_home();
	must(tl_sh("rm -f '%s'/uma.*", outdir));
	create(h, "uma", "Uma Change", "9");
	snprintf(other, sizeof other, "%s/elsewhere", tl_tmpdir());
	must(tl_sh("mkdir -p '%s'", other));
	must(tl_cd(h, "config", "out.dir", other, NULL));
	s = run(h, 0, "r", 80, 24);
	CU_ASSERT(tl_contains(s, "Output dir  ") && tl_contains(s, outdir));
	free(s);
	s = run(h, 0, "r<Tab><C-u>uma2@example.org<Tab><Tab>Bern<Enter><Enter><Enter><Enter>"
		"<Enter><Enter><Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "renewed uma"));
	CU_ASSERT(tl_contains(s, "  changed: email, location"));
	CU_ASSERT(tl_contains(s, outdir) && !tl_contains(s, other));
	free(s);
	log = tl_sh_out("'%s' --home '%s' --format tsv log uma", tl_bin(), h);
	CU_ASSERT(tl_contains(log, "changed: email \"uma@example.org\" -> \"uma2@example.org\", "
			      "location \"\" -> \"Bern\""));
	free(log);
	/* a detail emptied in the renew form is emptied, as --location "" does */
	s = run(h, 0, "r<Tab><Tab><Tab><C-u><Enter><Enter><Enter><Enter><Enter><Enter><Enter>",
		80, 24);
	CU_ASSERT(tl_contains(s, "  changed: location\n"));
	free(s);
	log = tl_sh_out("'%s' --home '%s' --format tsv log uma", tl_bin(), h);
	CU_ASSERT(tl_contains(log, "; changed: location \"Bern\" -> \"\"\n"));
	free(log);
}

/* Enter on an open detail opens no second copy: one q is back on the list, the side
 * pane's width too; a log opened over the detail does not open another either. */
static void test_enter_once(void)
{
	char *list = run(fixture(), 0, "", 80, 24), *s;
	char *wide = run(fixture(), 0, "", 200, 50);

	s = run(fixture(), 0, "<Enter><Enter><Enter>q", 80, 24);
	CU_ASSERT_STRING_EQUAL(s, list);
	free(s);
	s = run(fixture(), 0, "<Enter><Enter><Enter>q", 200, 50);
	CU_ASSERT_STRING_EQUAL(s, wide);
	free(s);
	s = run(fixture(), 0, "<Enter>l<Enter>", 80, 24);
	CU_ASSERT(tl_contains(s, "audit log of alice"));
	free(s);
	s = run(fixture(), 0, "<Enter>l<Enter>qq", 80, 24);
	CU_ASSERT_STRING_EQUAL(s, list);
	free(s);
	free(wide);
	free(list);
}

/* Esc closes the top view as q does: help, log, detail, the publish dry run, search. */
static void test_esc_closes(void)
{
	static const char *const opens[] = {"?", "l", "<Enter>", "p", "/", "<Enter>l<Esc>"};
	char *list = run(fixture(), 0, "", 80, 24), *s, keys[64];
	size_t i;

	for (i = 0; i < sizeof opens / sizeof *opens; i++) {
		snprintf(keys, sizeof keys, "%s<Esc>", opens[i]);
		s = run(fixture(), 0, keys, 80, 24);
		if (strcmp(s, list) != 0)
			fprintf(stderr, "\n'%s' left:\n%s\n", keys, s);
		CU_ASSERT_STRING_EQUAL(s, list);
		free(s);
	}
	free(list);
	/* the search gives back the earlier filter (the selection stays on what it found) */
	s = run(fixture(), 0, "/zo<Esc>", 80, 24);
	CU_ASSERT(tl_contains(s, "alice ") && tl_contains(s, "4/8  sort: expiry  stage: all\n"));
	free(s);
}

/* On the clock: the revoke menu, a form and the publish question cancel on Esc. */
static void test_esc_cancels(void)
{
	static const char *const opens[] = {"x", "c", "/bob<Enter>r", "n", "t", "p"};
	char keys[64], *s;
	size_t i;

	for (i = 0; i < sizeof opens / sizeof *opens; i++) {
		snprintf(keys, sizeof keys, "%s<Esc>", opens[i]);
		s = run(fixture(), 0, keys, 80, 24);
		CU_ASSERT(tl_contains(s, "cancelled"));
		CU_ASSERT(!tl_contains(s, "why?") && !tl_contains(s, "Esc cancel"));
		CU_ASSERT(!tl_contains(s, "publish: dry run"));
		CU_ASSERT(tl_contains(s, "bob ")); /* the list, under the message */
		free(s);
	}
}

/* The dashboard ends with screens open: each is closed once (a leak or a double free
 * shows under ASan); a full stack refuses the next screen and closes it at once. */
static void test_end_with_screens_open(void)
{
	static const char *const scripts[] = {
		"<Enter>l?", "x", "c", "cab<Tab>", "/zo", "p", "xj<Enter>", "<Enter>lllllll",
	};
	char *s;
	size_t i;

	for (i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		s = run(fixture(), 0, scripts[i], 80, 24);
		CU_ASSERT(!tl_contains(s, "too many screens"));
		free(s);
	}
	s = run(fixture(), 0, "<Enter>llllllll", 80, 24);
	CU_ASSERT(tl_contains(s, "too many screens open"));
	CU_ASSERT(tl_contains(s, "audit log of alice"));
	free(s);
}

/* ---- the screen stack, through the real module with a test screen ---- */

typedef struct {
	int closes;
	int closes_in_key;    /* its closes seen inside its own key handler, after leaving */
	void *next;           /* 'r' replaces it with this one */
} probe;

static void probe_draw(ui *u, void *st)
{
}

static void probe_close(ui *u, void *st)
{
	((probe *)st)->closes++;
}

static const ui_screen_ops probe_ops;

static int probe_key(ui *u, void *st, int key)
{
	probe *p = st;

	if (key == 'p')
		screen_pop(u);
	else if (key == 'r')
		screen_replace(u, &probe_ops, p->next);
	else
		return key;
	p->closes_in_key = p->closes; /* the state is still there, not yet closed */
	return 0;
}

static const ui_screen_ops probe_ops = {"probe", probe_draw, probe_key, probe_close};

static void test_stack_close_hooks(void)
{
	probe a = {0}, b = {0}, c = {0}, many[SCREEN_DEPTH + 1] = {{0}};
	ui u;
	int i;

	memset(&u, 0, sizeof u);
	CU_ASSERT_EQUAL(screen_push(&u, &probe_ops, &a), 0);
	screen_pop(&u);
	screen_pop(&u); /* an empty stack: nothing */
	CU_ASSERT_EQUAL(a.closes, 1);
	screen_push(&u, &probe_ops, &a);
	screen_replace(&u, &probe_ops, &b);
	CU_ASSERT_EQUAL(a.closes, 2);
	CU_ASSERT_EQUAL(screen_depth(&u), 1);
	/* from inside a key handler: closed once, after the handler returned */
	b.next = &c;
	CU_ASSERT_EQUAL(screen_key(&u, 'r'), 0);
	CU_ASSERT_EQUAL(b.closes_in_key, 0);
	CU_ASSERT_EQUAL(b.closes, 1);
	CU_ASSERT_EQUAL(screen_key(&u, 'x'), 'x'); /* c is on top and passes x on */
	CU_ASSERT_EQUAL(screen_key(&u, 'p'), 0);
	CU_ASSERT_EQUAL(c.closes_in_key, 0);
	CU_ASSERT_EQUAL(c.closes, 1);
	CU_ASSERT_EQUAL(screen_depth(&u), 0);
	/* a full stack closes the one too many at once; the end closes the rest once */
	for (i = 0; i <= SCREEN_DEPTH; i++)
		CU_ASSERT_EQUAL(screen_push(&u, &probe_ops, &many[i]), i < SCREEN_DEPTH ? 0 : -1);
	CU_ASSERT_EQUAL(many[SCREEN_DEPTH].closes, 1);
	CU_ASSERT(tl_contains(u.msg, "too many screens open"));
	CU_ASSERT(screen_is_open(&u, &probe_ops));
	screen_close_all(&u);
	for (i = 0; i <= SCREEN_DEPTH; i++)
		CU_ASSERT_EQUAL(many[i].closes, 1);
	CU_ASSERT_EQUAL(screen_depth(&u), 0);
	CU_ASSERT(!screen_is_open(&u, &probe_ops));
	CU_ASSERT_EQUAL(a.closes + b.closes + c.closes, 4);
}

/* Every command the dashboard offers has a handler; the command line's verbs none. */
static void test_every_key_handled(void)
{
	int i;

	for (i = 0; i < CMD_COUNT; i++) {
		const cmd_info *c = &cmd_table[i];

		if (ui_cmd_handled(c) != !(c->flags & CMD_CLI))
			fprintf(stderr, "\ncommand %d (%s): handled %d\n", i,
				c->verb ? c->verb : c->help, ui_cmd_handled(c));
		CU_ASSERT_EQUAL(ui_cmd_handled(c), !(c->flags & CMD_CLI));
	}
}

static void setup_env(void)
{
	char day[16];

	setlocale(LC_ALL, "C.UTF-8");
	/* The operator named in links and the log is whoever runs the tests; a sudo the
	 * tests were started under must not change what the screens show. */
	unsetenv("SUDO_USER");
	unsetenv("SUDO_UID");
	unsetenv("TMUX");
	cd_format_date(cd_now(), day);
	cd_parse_date(day, &as_of);
	as_of += 5 * CD_DAY;
	view_day = as_of;
}

/* The tests that open forms and act: on the clock. */
static void clock_form_prompts(void)
{
	ON_THE_CLOCK(test_form_prompts());
}

static void clock_renew_change_record(void)
{
	ON_THE_CLOCK(test_renew_change_record());
}

static void clock_help(void)
{
	ON_THE_CLOCK(test_help());
}

static void clock_renew_form(void)
{
	ON_THE_CLOCK(test_renew_form());
}

static void clock_form_errors(void)
{
	ON_THE_CLOCK(test_form_errors());
}

static void clock_ctrl_c_in_form(void)
{
	ON_THE_CLOCK(test_ctrl_c_in_form());
}

static void clock_create_then_password(void)
{
	ON_THE_CLOCK(test_create_then_password());
}

static void clock_create_csr_form(void)
{
	ON_THE_CLOCK(test_create_csr_form());
}

static void clock_encrypted_ca(void)
{
	ON_THE_CLOCK(test_encrypted_ca());
}

static void clock_token_ca(void)
{
	ON_THE_CLOCK(test_token_ca());
}

static void clock_revoke_confirm(void)
{
	ON_THE_CLOCK(test_revoke_confirm());
}

static void clock_esc_cancels(void)
{
	ON_THE_CLOCK(test_esc_cancels());
}

static void clock_end_with_screens_open(void)
{
	ON_THE_CLOCK(test_end_with_screens_open());
}

static void clock_refresh_one_user(void)
{
	ON_THE_CLOCK(test_refresh_one_user());
}

static void clock_selection_after_renew(void)
{
	ON_THE_CLOCK(test_selection_after_renew());
}

static void clock_notify_task_applied(void)
{
	ON_THE_CLOCK(test_notify_task_applied());
}

static void clock_refused_at_the_key(void)
{
	ON_THE_CLOCK(test_refused_at_the_key());
}

static void clock_unknown_keys_and_defaults(void)
{
	ON_THE_CLOCK(test_unknown_keys_and_defaults());
}

static void clock_bar_per_stage_and_view(void)
{
	ON_THE_CLOCK(test_bar_per_stage_and_view());
}

static CU_TestInfo screen_tests[] = {
	{"first screen 80x24 and 200x50", test_first_screen},
	{"sorted by expiry, then stage", test_default_order},
	{"s cycles the sort", test_sort},
	{"/ and f filter", test_filter},
	{"renew form filled in", clock_renew_form},
	{"read-only view refuses and greys out", test_readonly},
	{"help from the command table", clock_help},
	{"--as-of plans: writes refused, publish a dry run", test_plan_view},
	{"detail and side pane", test_detail},
	{"too small, then resized", test_small_and_resize},
	{"control characters never reach the screen", test_sanitised},
	{"UTF-8 names align", test_utf8_alignment},
	{"status bar hints follow the row", test_hints_per_row},
	{"monochrome expired is not the selection; cut names end in an ellipsis",
	 test_mono_and_cut_names},
	{"keys that do not apply are refused at the key", clock_refused_at_the_key},
	{"unknown keys say so; F1 help; the question is y/N", clock_unknown_keys_and_defaults},
	{"/ and n search help and pagers; Esc clears the list's filter", test_search_in_pagers},
	{"V shows verify's report", test_verify_key},
	{"the bar: the stage's next step first; each view its own keys",
	 clock_bar_per_stage_and_view},
	{"pagers stop at the end; G goes there", test_text_scroll},
	{"form errors inside the form, small terminals", clock_form_errors},
	{"Ctrl-C inside a form quits", clock_ctrl_c_in_form},
	{"the man page covers every command, key and setting", test_man_page},
	{"Enter on the detail opens no second copy", test_enter_once},
	{"Esc closes help, log, detail, dry run, search", test_esc_closes},
	{"Esc cancels the menu, the forms, the publish question", clock_esc_cancels},
	{"the end closes every open screen once", clock_end_with_screens_open},
	{"the stack runs the close hook on every pop and replace", test_stack_close_hooks},
	{"every dashboard command has a handler", test_every_key_handled},
	{"the next steps of a stage come from the core", test_next_steps_core},
	{"60x15: counts and CRL on one line, cut whole", test_small_screen},
	{"form prompts: defaults greyed, phone warned, output dir, Esc asks", clock_form_prompts},
	{"L opens the whole audit trail", test_whole_log},
	CU_TEST_INFO_NULL,
};

static CU_TestInfo action_tests[] = {
	{"create through the form; password on P only", clock_create_then_password},
	{"a passphrase-protected CA key asked in a dialog", clock_encrypted_ca},
	{"a CA key on a token: its PIN asked in the dialog", clock_token_ca},
	{"revoke needs the user name typed", clock_revoke_confirm},
	{"notify, task, renew, applied, publish dry run", clock_notify_task_applied},
	{"the selection keeps its place after a renewal", clock_selection_after_renew},
	{"after an action only its user is read again, as a whole load shows it",
	 clock_refresh_one_user},
	{"create through the form with a request file", clock_create_csr_form},
	{"a renewal through the form says what changed; the audit has both",
	 clock_renew_change_record},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const tl_suite suites[] = {
		{"screens", screen_tests},
		{"actions", action_tests},
		{NULL, NULL},
	};

	setup_env();
	return tl_main(suites);
}
