/*
 * cli.c - flinttool's command table (cmd/cli.h): kingpin's parser, errors
 * and help templates over one tree of cli_cmd.
 *
 * "@file" words (before "--") are replaced by the file's lines, as kingpin
 * expands them. Parsing walks argv once. A word names a subcommand while
 * the current command has subs, else it fills the next positional
 * argument; flags are looked up innermost command first, then its
 * parents, then the root and the built-in root flags. As in kingpin, the
 * pre-actions matched before a parse error (the help command,
 * --help-long, --version) still run, the first one winning; otherwise a
 * parse error wins over --help, and --help wins over missing arguments.
 * Text is wrapped at 80 columns, as kingpin does when stdout is not a
 * terminal, with go/doc's least-raggedness breaks.
 */
#include "cmd/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/fl.h"

#define MAX_DEPTH 8
#define MAX_AT_FILES 16             /* @file arguments expanded */
#define AT_FILE_LIMIT (1u << 20)    /* bytes of one @file */
#define WIDTH 80

typedef struct elem {
	const cli_flag *flag; /* a flag's value, or */
	const cli_arg *arg;   /* a positional argument's */
	const char *value;
} elem;

typedef struct keep {
	struct keep *next;
	const char *v[];
} keep;

struct cli_ctx {
	const char *prog;                /* root->name */
	const cli_cmd *path[MAX_DEPTH];  /* path[0] is the root */
	size_t depth;                    /* commands in path */
	elem *el;                        /* argv's values, in order */
	size_t n_el, cap_el;             /* (a word gives at most one per byte, "-qrv") */
	bool experimental;
	bool http_done;                  /* cli_http_client loaded (or failed) */
	scrape_config *http_owner;       /* holds http */
	const scrape_http_client *http;  /* NULL after a failed load */
	keep **kept;                     /* cli_strs/cli_args arrays, freed at exit */
	char *files[MAX_AT_FILES];       /* texts of @file arguments (argv points into them) */
	size_t n_files;
	char **argv;                     /* argv with @files expanded, or NULL */
};

/* Flags every command accepts (prepended to the root's). */
static const cli_flag builtin_flags[] = {
	{"help", 'h', NULL, "Show context-sensitive help (also try --help-long and --help-man).", NULL, 0},
	{"help-long", 0, NULL, "Generate long help.", NULL, CLI_HIDDEN},
	{"help-man", 0, NULL, "Generate a man page.", NULL, CLI_HIDDEN},
	{"version", 0, NULL, "Show application version.", NULL, 0},
	{"experimental", 0, NULL, "Enable experimental commands.", NULL, 0},
	{"enable-feature", 0, "", "Comma separated feature names to enable. Valid options: "
	 "promql-experimental-functions, promql-delayed-name-removal, promql-extended-range-selectors. "
	 "See https://prometheus.io/docs/prometheus/latest/feature_flags/ for more details", NULL, CLI_REPEAT},
	{"http.config.file", 0, "<filename>", "HTTP client configuration file, see details at "
	 "https://prometheus.io/docs/prometheus/latest/configuration/promtool", NULL, 0},
	{0},
};

static const cli_arg help_args[] = {{"command", "Show help on command.", CLI_REPEAT}, {0}};
static const cli_cmd help_cmd = {"help", "Show help.", NULL, help_args, NULL, NULL, 0};

/* --enable-feature names: promtool 3.x's, and 2.42's no-default-scrape-port;
 * the two promoted in 2.x still warn as 2.42 does. */
static const char *const known_features[] = {
	"promql-experimental-functions", "promql-delayed-name-removal", "promql-duration-expr",
	"promql-extended-range-selectors", "promql-binop-fill-modifiers", "no-default-scrape-port", NULL,
};
static const char *const promoted_features[] = {"promql-at-modifier", "promql-negative-offset", NULL};

/* ---- text layout (kingpin's usage.go over go/doc's ToText) ---- */

#define MAX_WORDS 256 /* per paragraph; help texts are short */

/* go/doc/comment's wrap: the breaks of words[0..n) (lengths len[]) into
 * lines of at most width that minimize the sum of the squared slack of
 * every line but the last; a word longer than width gets a line of its
 * own. next[i] receives the first word of the line after the one
 * starting at word i. (Go ranks the number of overlong lines first; a
 * line is overlong here only when it is one long word, so that ranking
 * never decides.) */
static void wrap_breaks(const int *len, int n, int width, int *next)
{
	long long best[MAX_WORDS + 1];
	best[n] = 0;
	for (int i = n - 1; i >= 0; i--) {
		best[i] = -1;
		int line = -1;
		for (int j = i + 1; j <= n; j++) {
			line += len[j - 1] + 1;
			if (line > width && j > i + 1)
				break;
			long long slack = line > width ? 0 : width - line;
			long long cost = (j == n ? 0 : slack * slack) + best[j];
			if (best[i] < 0 || cost < best[i]) {
				best[i] = cost;
				next[i] = j;
			}
		}
	}
}

/* Wrap text to width columns, each line after prefix (go/doc's ToText as
 * kingpin calls it); paragraphs (split at blank lines) are wrapped
 * separately and separated by an empty line. The first line's prefix is
 * first (NULL: prefix). */
static void wrap(FILE *f, const char *first, const char *prefix, int width, const char *text)
{
	const char *p = text;
	bool any_line = false;
	while (*p) {
		const char *end = strstr(p, "\n\n");
		if (!end)
			end = p + strlen(p);
		const char *word[MAX_WORDS];
		int len[MAX_WORDS], next[MAX_WORDS], n = 0;
		for (const char *w = p; w < end && n < MAX_WORDS;) {
			while (w < end && (*w == ' ' || *w == '\n' || *w == '\t'))
				w++;
			if (w == end)
				break;
			const char *we = w;
			while (we < end && *we != ' ' && *we != '\n' && *we != '\t')
				we++;
			word[n] = w;
			len[n++] = (int)(we - w);
			w = we;
		}
		wrap_breaks(len, n, width, next);
		for (int i = 0; i < n; i = next[i]) {
			fputs(any_line ? prefix : first ? first : prefix, f);
			any_line = true;
			for (int k = i; k < next[i]; k++)
				fprintf(f, "%s%.*s", k > i ? " " : "", len[k], word[k]);
			fputc('\n', f);
		}
		p = end;
		if (*p) {
			while (*p == '\n')
				p++;
			if (*p)
				fputc('\n', f);
		}
	}
}

typedef struct row {
	char left[160];
	const char *right;
} row;

/* kingpin's formatTwoColumns: the left column as wide as its widest entry
 * under 30; wider ones put the text on the next line. */
static void two_columns(FILE *f, int indent, int padding, const row *rows, size_t n)
{
	int s = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (int)strlen(rows[i].left);
		if (c > s && c < 30)
			s = c;
	}
	char ind[64], off[128];
	snprintf(ind, sizeof ind, "%*s", indent, "");
	snprintf(off, sizeof off, "%s%*s", ind, s + padding, "");
	for (size_t i = 0; i < n; i++) {
		char first[256];
		int c = (int)strlen(rows[i].left);
		if (c >= 30)
			snprintf(first, sizeof first, "%s%-*s%*s\n%s", ind, s, rows[i].left, padding, "", off);
		else
			snprintf(first, sizeof first, "%s%-*s%*s", ind, s, rows[i].left, padding, "");
		if (!rows[i].right || !*rows[i].right)
			fprintf(f, "%s\n", first);
		else
			wrap(f, first, off, WIDTH - s - padding - indent, rows[i].right);
	}
}

static bool is_bool(const cli_flag *fl)
{
	return fl->placeholder == NULL;
}

static void flag_left(char *out, size_t cap, bool have_short, const cli_flag *fl)
{
	int n;
	if (fl->short_name)
		n = snprintf(out, cap, "-%c, --%s", fl->short_name, fl->name);
	else
		n = snprintf(out, cap, "%s--%s", have_short ? "    " : "", fl->name);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (!is_bool(fl))
		n += snprintf(out + n, cap - (size_t)n, "=%s", fl->placeholder);
	if ((fl->flags & CLI_REPEAT) && (size_t)n < cap)
		snprintf(out + n, cap - (size_t)n, " ...");
}

/* The flags in scope of path[0..depth): built-ins, then each command's. */
static size_t scope_flags(const cli_cmd *const *path, size_t depth, const cli_flag **out, size_t cap)
{
	size_t n = 0;
	for (const cli_flag *fl = builtin_flags; fl->name && n < cap; fl++)
		out[n++] = fl;
	for (size_t d = 0; d < depth; d++)
		for (const cli_flag *fl = path[d]->flags; fl && fl->name && n < cap; fl++)
			out[n++] = fl;
	return n;
}

static void flags_columns(FILE *f, const cli_flag *const *fls, size_t n, int indent, int padding)
{
	row *rows = fl_calloc(n ? n : 1, sizeof *rows);
	if (!rows)
		return;
	bool have_short = false;
	for (size_t i = 0; i < n; i++)
		have_short |= fls[i]->short_name != 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (fls[i]->flags & CLI_HIDDEN)
			continue;
		flag_left(rows[k].left, sizeof rows[k].left, have_short, fls[i]);
		rows[k++].right = fls[i]->help;
	}
	two_columns(f, indent, padding, rows, k);
	fl_free(rows);
}

/* FlagSummary + the argument summary of a command (kingpin's FormatCommand). */
static void command_summary(FILE *f, const cli_cmd *c, bool is_root)
{
	size_t count = is_root ? 1 : 0, req = 0; /* the root's --help does not count */
	const cli_flag *flags = is_root ? builtin_flags : c->flags;
	for (int pass = 0; pass < (is_root ? 2 : 1); pass++) {
		for (const cli_flag *fl = flags; fl && fl->name; fl++) {
			if (strcmp(fl->name, "help"))
				count++;
			if (fl->flags & CLI_REQUIRED) {
				req++;
				if (is_bool(fl))
					fprintf(f, " --[no-]%s", fl->name);
				else
					fprintf(f, " --%s=%s", fl->name, fl->placeholder);
			}
		}
		flags = c->flags;
	}
	if (is_root)
		count--;
	if (count != req)
		fprintf(f, " [<flags>]");
	for (const cli_arg *a = c->args; a && a->name; a++)
		fprintf(f, " %s<%s>%s%s", a->flags & CLI_REQUIRED ? "" : "[", a->name,
			a->flags & CLI_REPEAT ? "..." : "", a->flags & CLI_REQUIRED ? "" : "]");
}

/* FlattenedCommands: every leaf under c, depth first, with its full name. */
static void commands_list(FILE *f, const cli_cmd *c, const char *prefix, bool long_help)
{
	for (const cli_cmd *s = c->subs; s && s->name; s++) {
		if (s->opts & CLI_HIDDEN)
			continue;
		char full[256];
		snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? " " : "", s->name);
		if (!s->subs || !s->subs->name) {
			fprintf(f, "%s", full);
			command_summary(f, s, false);
			fprintf(f, "\n");
			wrap(f, NULL, "    ", WIDTH - 4, s->help);
			if (long_help) {
				fprintf(f, "\n");
				const cli_flag *fls[64];
				size_t n = 0;
				for (const cli_flag *fl = s->flags; fl && fl->name && n < 64; fl++)
					fls[n++] = fl;
				if (n)
					flags_columns(f, fls, n, 4, 2);
			}
			fprintf(f, "\n");
		}
		commands_list(f, s, full, long_help);
	}
}

static bool has_subs(const cli_cmd *c)
{
	return c->subs && c->subs->name;
}

/* "tsdb create-blocks-from": the names of path[1..depth). */
static const char *full_name(const cli_cmd *const *path, size_t depth, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t d = 1; d < depth; d++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", d > 1 ? " " : "", path[d]->name);
	return out;
}

/* kingpin's usage template for the command path[depth-1] (the app when
 * depth is 1); long_help lists every command's flags. */
static void usage(FILE *f, const cli_cmd *const *path, size_t depth, bool long_help)
{
	const cli_cmd *c = path[depth - 1];
	char full[256];
	fprintf(f, "usage: %s%s%s", path[0]->name, depth > 1 ? " " : "", full_name(path, depth, full, sizeof full));
	command_summary(f, c, depth == 1);
	if (has_subs(c) || (depth == 1))
		fprintf(f, " <command> [<args> ...]");
	fprintf(f, "\n");
	if (c->help && *c->help) {
		fprintf(f, "\n");
		wrap(f, NULL, "", WIDTH, c->help);
	}
	fprintf(f, "\n");
	const cli_flag *fls[128];
	size_t n = scope_flags(path, long_help ? 1 : depth, fls, 128);
	if (n) {
		fprintf(f, "Flags:\n");
		flags_columns(f, fls, n, 2, 2);
		fprintf(f, "\n");
	}
	if (!long_help && c->args && c->args->name) {
		row rows[32];
		size_t k = 0;
		for (const cli_arg *a = c->args; a->name && k < 32; a++, k++) {
			snprintf(rows[k].left, sizeof rows[k].left, "%s<%s>%s", a->flags & CLI_REQUIRED ? "" : "[", a->name,
				 a->flags & CLI_REQUIRED ? "" : "]");
			rows[k].right = a->help;
		}
		fprintf(f, "Args:\n");
		two_columns(f, 2, 2, rows, k);
		fprintf(f, "\n");
	}
	if (depth > 1 && !long_help) {
		if (has_subs(c)) {
			fprintf(f, "Subcommands:\n");
			char prefix[256];
			commands_list(f, c, full_name(path, depth, prefix, sizeof prefix), false);
			fprintf(f, "\n");
		}
	} else {
		fprintf(f, "Commands:\n");
		fprintf(f, "help [<command>...]\n");
		wrap(f, NULL, "    ", WIDTH - 4, help_cmd.help);
		fprintf(f, "\n");
		if (long_help)
			fprintf(f, "\n");
		commands_list(f, path[0], "", long_help);
		fprintf(f, "\n");
	}
}

/* ---- errors ---- */

static const char *g_prog = "flinttool";

int cli_usage_error(const char *fmt, ...)
{
	fflush(stdout);
	fprintf(stderr, "%s: error: ", g_prog);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ", try --help\n");
	return 1;
}

/* ---- parsing ---- */

static const cli_flag *find_long(const cli_cmd *const *path, size_t depth, const char *name, size_t len)
{
	for (size_t d = depth; d-- > 0;)
		for (const cli_flag *fl = path[d]->flags; fl && fl->name; fl++)
			if (strlen(fl->name) == len && !strncmp(fl->name, name, len))
				return fl;
	for (const cli_flag *fl = builtin_flags; fl->name; fl++)
		if (strlen(fl->name) == len && !strncmp(fl->name, name, len))
			return fl;
	return NULL;
}

static const cli_flag *find_short(const cli_cmd *const *path, size_t depth, char s)
{
	for (size_t d = depth; d-- > 0;)
		for (const cli_flag *fl = path[d]->flags; fl && fl->name; fl++)
			if (fl->short_name == s)
				return fl;
	for (const cli_flag *fl = builtin_flags; fl->name; fl++)
		if (fl->short_name == s)
			return fl;
	return NULL;
}

static const cli_cmd *find_sub(const cli_cmd *c, const char *name)
{
	for (const cli_cmd *s = c->subs; s && s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* What kingpin runs as a pre-action, before it reports a parse error:
 * the first of them matched wins. */
typedef enum pre_action { PRE_NONE, PRE_VERSION, PRE_HELP_LONG, PRE_HELP_CMD } pre_action;

typedef struct parse_state {
	cli_ctx *c;
	bool help;       /* --help / -h seen (acted on after a clean parse only) */
	bool help_cmd;   /* the help command: words are its arguments */
	pre_action pre;  /* the first pre-action matched */
	size_t n_args;   /* positional arguments matched for path[depth-1] */
	bool args_only;  /* after "--" */
	char err[512];   /* the first usage error */
} parse_state;

static void push(cli_ctx *c, const cli_flag *fl, const cli_arg *a, const char *v)
{
	if (c->n_el >= c->cap_el)
		return; /* cannot happen: cap_el counts every byte of argv */
	c->el[c->n_el].flag = fl;
	c->el[c->n_el].arg = a;
	c->el[c->n_el].value = v;
	c->n_el++;
}

static void set_err(parse_state *ps, const char *fmt, const char *a)
{
	if (!ps->err[0])
		snprintf(ps->err, sizeof ps->err, fmt, a);
}

/* A flag matched with its value; the built-in ones take effect at once. */
static void matched_flag(parse_state *ps, const cli_flag *fl, const char *v)
{
	if (fl >= builtin_flags && fl < builtin_flags + sizeof builtin_flags / sizeof builtin_flags[0]) {
		bool on = !strcmp(v, "true");
		if (!strcmp(fl->name, "help"))
			ps->help |= on;
		else if ((!strcmp(fl->name, "help-long") || !strcmp(fl->name, "help-man")) && on && !ps->pre)
			ps->pre = PRE_HELP_LONG;
		else if (!strcmp(fl->name, "version") && on && !ps->pre)
			ps->pre = PRE_VERSION;
		else if (!strcmp(fl->name, "experimental"))
			ps->c->experimental = on;
	}
	push(ps->c, fl, NULL, v);
}

/* One "--name[=v]" token at argv[*i]. */
static void parse_long(parse_state *ps, int argc, char **argv, int *i)
{
	cli_ctx *c = ps->c;
	const char *tok = argv[*i] + 2;
	const char *eq = strchr(tok, '=');
	size_t len = eq ? (size_t)(eq - tok) : strlen(tok);
	const cli_flag *fl = find_long(c->path, c->depth, tok, len);
	bool invert = false;
	if (!fl && len > 3 && !strncmp(tok, "no-", 3)) {
		fl = find_long(c->path, c->depth, tok + 3, len - 3);
		invert = fl != NULL;
	}
	char shown[300];
	snprintf(shown, sizeof shown, "--%.*s", (int)len, tok);
	if (!fl || (invert && !is_bool(fl))) {
		set_err(ps, "unknown long flag '%s'", shown);
		return;
	}
	if (is_bool(fl)) {
		matched_flag(ps, fl, invert ? "false" : "true");
		if (eq) /* kingpin pushes the "=value" back as an argument */
			argv[*i] = (char *)eq + 1, (*i)--;
		return;
	}
	if (eq) {
		matched_flag(ps, fl, eq + 1);
		return;
	}
	if (*i + 1 >= argc || (!ps->args_only && argv[*i + 1][0] == '-' && argv[*i + 1][1])) {
		set_err(ps, "expected argument for flag '%s'", shown);
		return;
	}
	matched_flag(ps, fl, argv[++*i]);
}

/* "-abc" / "-fVALUE" / "-f VALUE" at argv[*i]. */
static void parse_short(parse_state *ps, int argc, char **argv, int *i)
{
	cli_ctx *c = ps->c;
	for (const char *p = argv[*i] + 1; *p && !ps->err[0]; p++) {
		const cli_flag *fl = find_short(c->path, c->depth, *p);
		char shown[3] = {'-', *p, 0};
		if (!fl) {
			set_err(ps, "unknown short flag '%s'", shown);
			return;
		}
		if (is_bool(fl)) {
			matched_flag(ps, fl, "true");
			continue;
		}
		if (p[1]) {
			matched_flag(ps, fl, p + 1);
			return;
		}
		if (*i + 1 >= argc || (argv[*i + 1][0] == '-' && argv[*i + 1][1])) {
			set_err(ps, "expected argument for flag '%s'", shown);
			return;
		}
		matched_flag(ps, fl, argv[++*i]);
		return;
	}
}

static void parse_word(parse_state *ps, const char *w)
{
	cli_ctx *c = ps->c;
	const cli_cmd *cur = c->path[c->depth - 1];
	if (ps->help_cmd) {
		push(c, NULL, help_args, w);
		return;
	}
	if (has_subs(cur)) {
		if (c->depth == 1 && !strcmp(w, "help")) {
			ps->help_cmd = true;
			if (!ps->pre)
				ps->pre = PRE_HELP_CMD;
			return;
		}
		const cli_cmd *s = find_sub(cur, w);
		if (!s || c->depth >= MAX_DEPTH) {
			set_err(ps, "expected command but got \"%s\"", w);
			return;
		}
		c->path[c->depth++] = s;
		ps->n_args = 0;
		return;
	}
	const cli_arg *a = cur->args;
	size_t k = 0;
	for (; a && a->name && k < ps->n_args; a++, k++)
		;
	if (a && a->name) {
		push(c, NULL, a, w);
		if (!(a->flags & CLI_REPEAT))
			ps->n_args++;
		return;
	}
	set_err(ps, "unexpected %s", w);
}

static int parse(parse_state *ps, int argc, char **argv)
{
	for (int i = 1; i < argc && !ps->err[0]; i++) {
		const char *a = argv[i];
		if (!ps->args_only && !strcmp(a, "--"))
			ps->args_only = true;
		else if (!ps->args_only && a[0] == '-' && a[1] == '-')
			parse_long(ps, argc, argv, &i);
		else if (!ps->args_only && a[0] == '-' && !a[1])
			set_err(ps, "unknown short flag '%s'", "-");
		else if (!ps->args_only && a[0] == '-')
			parse_short(ps, argc, argv, &i);
		else
			parse_word(ps, a);
	}
	return ps->err[0] ? 1 : 0;
}

/* Required flags and arguments, repeated flags, a command without its
 * subcommand: kingpin's order of checks. */
static int validate(parse_state *ps)
{
	cli_ctx *c = ps->c;
	const cli_flag *fls[128];
	size_t n = scope_flags(c->path, c->depth, fls, 128);
	for (size_t k = 0; k < c->n_el; k++) {
		if (!c->el[k].flag || (c->el[k].flag->flags & CLI_REPEAT))
			continue;
		for (size_t j = 0; j < k; j++)
			if (c->el[j].flag == c->el[k].flag)
				return cli_usage_error("flag '%s' cannot be repeated", c->el[k].flag->name);
	}
	const cli_cmd *cur = c->path[c->depth - 1];
	if (has_subs(cur)) {
		if (c->depth == 1)
			return -1;
		char full[256];
		return cli_usage_error("must select a subcommand of '%s'", full_name(c->path, c->depth, full, sizeof full));
	}
	for (size_t i = 0; i < n; i++)
		if ((fls[i]->flags & CLI_REQUIRED) && !cli_given(c, fls[i]->name))
			return cli_usage_error("required flag --%s not provided", fls[i]->name);
	for (const cli_arg *a = cur->args; a && a->name; a++)
		if ((a->flags & CLI_REQUIRED) && !cli_arg_value(c, a->name))
			return cli_usage_error("required argument '%s' not provided", a->name);
	return 0;
}

/* `help [command...]`: the help of the named command. */
static int help_command(cli_ctx *c, FILE *f)
{
	const cli_cmd *path[MAX_DEPTH] = {c->path[0]};
	size_t depth = 1;
	for (size_t k = 0; k < c->n_el; k++) {
		if (c->el[k].arg != help_args)
			continue;
		if (depth == 1 && !strcmp(c->el[k].value, "help")) {
			path[depth++] = &help_cmd;
			break;
		}
		if (!has_subs(path[depth - 1]))
			break; /* kingpin ignores words after a leaf */
		const cli_cmd *s = find_sub(path[depth - 1], c->el[k].value);
		if (!s || depth >= MAX_DEPTH) {
			fflush(stdout);
			fprintf(stderr, "%s: error: expected command but got \"%s\"\n", g_prog, c->el[k].value);
			return 1;
		}
		path[depth++] = s;
	}
	usage(f, path, depth, false);
	return 0;
}

static bool in_list(const char *const *list, const char *s, size_t len)
{
	for (size_t k = 0; list[k]; k++)
		if (strlen(list[k]) == len && !strncmp(list[k], s, len))
			return true;
	return false;
}

/* promtool 2.42's warnings for --enable-feature values, on stdout. */
static void warn_features(const cli_ctx *c)
{
	size_t n;
	const char *const *v = cli_strs(c, "enable-feature", &n);
	for (size_t i = 0; i < n; i++) {
		for (const char *p = v[i]; *p;) {
			size_t len = strcspn(p, ",");
			if (in_list(promoted_features, p, len))
				printf("  WARNING: Option for --enable-feature is a no-op after promotion to a stable feature: "
				       "\"%.*s\"\n", (int)len, p);
			else if (len && !in_list(known_features, p, len))
				printf("  WARNING: Unknown option for --enable-feature: \"%.*s\"\n", (int)len, p);
			p += len + (p[len] == ',');
		}
	}
}

/* Go's error text for errno (strerror's, lower-cased as Go's table reads). */
static void go_errno(char *out, size_t cap, int errnum)
{
	snprintf(out, cap, "%s", strerror(errnum));
	if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
		out[0] = (char)(out[0] - 'A' + 'a');
}

/* kingpin's "@file" arguments (before "--"): the file's lines replace the
 * word, lines starting with '#' dropped. One level (a line "@x" is a plain
 * word). 0, or 1 after the usage error. */
static int expand_at_files(cli_ctx *c, int *argc, char ***argv)
{
	int n = *argc, at = 0;
	for (int i = 1; i < n && strcmp((*argv)[i], "--"); i++)
		at += (*argv)[i][0] == '@';
	if (!at)
		return 0;
	size_t cap = (size_t)n + 1;
	char **out = fl_malloc(cap * sizeof *out);
	if (!out)
		return cli_usage_error("out of memory");
	int k = 0;
	bool dashes = false;
	out[k++] = (*argv)[0];
	for (int i = 1; i < n; i++) {
		char *a = (*argv)[i];
		dashes |= !strcmp(a, "--");
		if (dashes || a[0] != '@') {
			out[k++] = a;
			continue;
		}
		char why[128];
		if (!a[1]) {
			fl_free(out);
			return cli_usage_error("expected @ file to expand arguments from");
		}
		FILE *f = fopen(a + 1, "r");
		char *text = f && c->n_files < MAX_AT_FILES ? fl_malloc(AT_FILE_LIMIT + 1) : NULL;
		size_t len = text ? fread(text, 1, AT_FILE_LIMIT, f) : 0;
		int rerr = f && ferror(f) ? errno : 0;
		if (!f || !text || rerr) {
			go_errno(why, sizeof why, !f || rerr ? errno : ENOMEM);
			if (f)
				fclose(f);
			fl_free(text);
			fl_free(out);
			return !f ? cli_usage_error("failed to open arguments file \"%s\": open %s: %s", a + 1, a + 1, why)
				  : cli_usage_error("failed to read arguments from \"%s\": read %s: %s", a + 1, a + 1, why);
		}
		fclose(f);
		text[len] = 0;
		c->files[c->n_files++] = text;
		size_t lines = 1;
		for (size_t j = 0; j < len; j++)
			lines += text[j] == '\n';
		char **grown = fl_realloc(out, (cap + lines) * sizeof *out);
		if (!grown) {
			fl_free(out);
			return cli_usage_error("out of memory");
		}
		out = grown;
		cap += lines;
		for (char *p = text; *p || p < text + len;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = 0;
			size_t l = strlen(p);
			if (l && p[l - 1] == '\r') /* bufio.ScanLines drops it */
				p[l - 1] = 0;
			if (p[0] != '#')
				out[k++] = p;
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	out[k] = NULL;
	c->argv = out;
	*argc = k;
	*argv = out;
	return 0;
}

int cli_main(const cli_cmd *root, const char *version, int argc, char **argv)
{
	cli_ctx c;
	memset(&c, 0, sizeof c);
	keep *kept = NULL;
	c.kept = &kept;
	c.prog = root->name;
	g_prog = root->name;
	c.path[0] = root;
	c.depth = 1;
	if (expand_at_files(&c, &argc, &argv)) {
		for (size_t i = 0; i < c.n_files; i++)
			fl_free(c.files[i]);
		return 1;
	}
	c.cap_el = (size_t)argc + 1;
	for (int i = 1; i < argc; i++)
		c.cap_el += strlen(argv[i]);
	c.el = fl_calloc(c.cap_el, sizeof *c.el);
	parse_state ps = {.c = &c};
	int rc = c.el ? parse(&ps, argc, argv) : 1;
	if (!c.el) {
		rc = cli_usage_error("out of memory");
	} else if (ps.pre == PRE_VERSION) {
		printf("%s\n", version);
		rc = 0;
	} else if (ps.pre == PRE_HELP_LONG) {
		usage(stdout, c.path, 1, true);
		rc = 0;
	} else if (ps.pre == PRE_HELP_CMD) {
		rc = help_command(&c, stdout);
	} else if (ps.help && !rc) {
		usage(stdout, c.path, c.depth, false);
		rc = 0;
	} else if (rc) {
		rc = cli_usage_error("%s", ps.err);
	} else if ((rc = validate(&ps)) < 0) { /* no command: the app's help */
		usage(stdout, c.path, 1, false);
		rc = 0;
	} else if (rc == 0) {
		const cli_cmd *cur = c.path[c.depth - 1];
		bool experimental = false;
		for (size_t d = 0; d < c.depth; d++)
			experimental |= (c.path[d]->opts & CLI_EXPERIMENTAL) != 0;
		warn_features(&c);
		if (experimental && !c.experimental) {
			fflush(stdout);
			fprintf(stderr, "This command is experimental and requires the --experimental flag to be set.\n");
			rc = 1;
		} else if (!cur->run) {
			rc = cli_usage_error("command '%s' cannot run", cur->name);
		} else {
			fflush(stdout);
			rc = cur->run(&c);
		}
	}
	fflush(stdout);
	while (kept) {
		keep *nx = kept->next;
		fl_free(kept);
		kept = nx;
	}
	scrape_config_free(c.http_owner);
	for (size_t i = 0; i < c.n_files; i++)
		fl_free(c.files[i]);
	fl_free(c.argv);
	fl_free(c.el);
	return rc;
}

/* ---- lookups for run() ---- */

static const cli_flag *scope_flag(const cli_ctx *c, const char *name)
{
	return find_long(c->path, c->depth, name, strlen(name));
}

bool cli_given(const cli_ctx *c, const char *flag)
{
	const cli_flag *fl = scope_flag(c, flag);
	for (size_t k = 0; fl && k < c->n_el; k++)
		if (c->el[k].flag == fl)
			return true;
	return false;
}

const char *cli_str(const cli_ctx *c, const char *flag)
{
	const cli_flag *fl = scope_flag(c, flag);
	if (!fl)
		return NULL;
	for (size_t k = c->n_el; k-- > 0;)
		if (c->el[k].flag == fl)
			return c->el[k].value;
	return fl->def;
}

bool cli_bool(const cli_ctx *c, const char *flag)
{
	const char *v = cli_str(c, flag);
	return v && !strcmp(v, "true");
}

/* The values of elements matching (fl, a) in a fresh NULL-terminated
 * array kept until cli_main returns. */
static const char *const *collect(const cli_ctx *c, const cli_flag *fl, const cli_arg *a, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n_el; i++)
		k += (fl && c->el[i].flag == fl) || (a && c->el[i].arg == a);
	keep *kp = fl_malloc(sizeof *kp + (k + 1) * sizeof(char *));
	*n = 0;
	if (!kp)
		return NULL;
	kp->next = *c->kept;
	*c->kept = kp;
	for (size_t i = 0; i < c->n_el; i++)
		if ((fl && c->el[i].flag == fl) || (a && c->el[i].arg == a))
			kp->v[(*n)++] = c->el[i].value;
	kp->v[*n] = NULL;
	return kp->v;
}

const char *const *cli_strs(const cli_ctx *c, const char *flag, size_t *n)
{
	const cli_flag *fl = scope_flag(c, flag);
	*n = 0;
	return fl ? collect(c, fl, NULL, n) : NULL;
}

static const cli_arg *find_arg(const cli_ctx *c, const char *name)
{
	for (const cli_arg *a = c->path[c->depth - 1]->args; a && a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

const char *cli_arg_value(const cli_ctx *c, const char *arg)
{
	const cli_arg *a = find_arg(c, arg);
	for (size_t k = 0; a && k < c->n_el; k++)
		if (c->el[k].arg == a)
			return c->el[k].value;
	return NULL;
}

const char *const *cli_args(const cli_ctx *c, const char *arg, size_t *n)
{
	const cli_arg *a = find_arg(c, arg);
	*n = 0;
	return a ? collect(c, NULL, a, n) : NULL;
}

bool cli_feature(const cli_ctx *c, const char *name)
{
	size_t n, len = strlen(name);
	const char *const *v = cli_strs(c, "enable-feature", &n);
	for (size_t i = 0; i < n; i++)
		for (const char *p = v[i]; *p;) {
			size_t l = strcspn(p, ",");
			if (l == len && !strncmp(p, name, len))
				return true;
			p += l + (p[l] == ',');
		}
	return false;
}

const scrape_http_client *cli_http_client(const cli_ctx *c)
{
	cli_ctx *m = (cli_ctx *)c; /* the load is cached: logically const */
	if (m->http_done)
		return m->http;
	m->http_done = true;
	err e;
	err_clear(&e);
	m->http_owner = scrape_http_client_load(cli_str(c, "http.config.file"), &m->http, &e);
	if (!m->http_owner) {
		m->http = NULL;
		fflush(stdout);
		fprintf(stderr, "Failed to load HTTP config file: %s\n", e.msg);
	}
	return m->http;
}
