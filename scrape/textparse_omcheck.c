/*
 * textparse_omcheck.c - TEXTPARSE_STRICT: an OpenMetrics 1.0 validator on
 * top of the lenient parser. Prometheus's own OpenMetrics parser checks
 * syntax only; the rules here are the spec's (prometheus/OpenMetrics
 * specification/OpenMetrics.md), as the reference parser that the
 * upstream parser suite (tests/testdata/parsers, 211 cases) was built
 * against applies them (prometheus/client_python openmetrics/parser.py):
 *
 *  1. Families: metadata (HELP, TYPE, UNIT: each at most once) comes
 *     before the family's samples; a sample whose name is not one of its
 *     family's (name + the type's suffixes: counter _total/_created,
 *     summary ""/_count/_sum/_created, histogram _bucket/_count/_sum/
 *     _created, gaugehistogram _bucket/_gcount/_gsum, info _info, others
 *     "") starts a new family of type unknown. A name (with its type's
 *     suffixes) may not belong to two families. "untyped" is not a type;
 *     info and stateset take no unit.
 *  2. Samples: no trailing comma, no label twice (__name__ included),
 *     no other label name starting with "__" (exemplars' included);
 *     counter-like values (_total, _sum, _count, _bucket, _gcount, _gsum)
 *     not NaN and, but _gsum, not negative; _bucket and _count/_gcount
 *     integers; le present, not NaN, "+Inf" spelt so; a summary's
 *     quantile in [0, 1] and its value not negative; stateset values 0 or
 *     1 with the family's name as a label; info values 1.
 *  3. Groups (the label set minus le / quantile / the stateset label; one
 *     group for info) are contiguous within a family; within a group
 *     timestamps are all present or all absent and do not go backwards
 *     (info aside).
 *  4. Exemplars only on histogram/gaugehistogram buckets and counter
 *     _total samples, at most 128 runes of label names and values.
 *  5. Histograms, per group and timestamp: buckets in increasing le order
 *     with non-decreasing counts, a +Inf bucket, _count equal to it,
 *     _sum/_gsum and _count/_gcount together, no _sum with negative
 *     buckets, a negative _gsum only with negative buckets.
 */
#include "scrape/textparse_int.h"

#include <math.h>

#include "lib/hash.h"
#include "lib/map.h"

typedef struct u64e {
	uint32_t tag; /* 1: used */
	uint32_t pad; /* unused */
	uint64_t h;   /* the hash stored */
} u64e;

static uint64_t u64e_hash(const void *e) { return ((const u64e *)e)->h; }
static bool u64e_eq(const void *e, const void *k) { return ((const u64e *)e)->h == *(const uint64_t *)k; }
static const map_type u64_set = {sizeof(u64e), 16, u64e_hash, u64e_eq};

/* Add h to m: 1 if new, 0 if there, FL_ENOMEM. */
static int set_add(map *m, uint64_t h)
{
	u64e *e = map_slot(m, &u64_set, h, &h);
	if (!e)
		return FL_ENOMEM;
	if (map_used(e))
		return 0;
	*e = (u64e){1, 0, h};
	map_added(m, e);
	return 1;
}

enum { SFX_OTHER, SFX_BUCKET, SFX_COUNT, SFX_GCOUNT, SFX_SUM, SFX_GSUM };

typedef struct hsample {
	int sfx;       /* SFX_* */
	uint64_t group; /* group hash */
	bool has_ts;   /* timestamp given */
	double ts;     /* timestamp, seconds */
	double le;     /* _bucket: the bound */
	double v;      /* value */
} hsample;

struct tp_omcheck {
	buf name;          /* current family's name; len 0 with !in_family */
	bool in_family;    /* a family is open */
	int typ;           /* -1 none yet, else textparse_mtype */
	bool has_help;     /* HELP seen */
	bool has_unit;     /* UNIT seen */
	bool unit_nonempty; /* UNIT was not "" */
	bool typed;        /* allowed names come from a TYPE line */
	size_t n_samples;  /* samples in the family */
	bool has_group;    /* group below is set */
	uint64_t group;    /* last sample's group */
	bool group_has_ts; /* last sample had a timestamp */
	double group_ts;   /* its timestamp */
	map groups;        /* group hashes seen in this family */
	map names;         /* family names (with suffixes) seen so far */
	hsample *hs;       /* histogram samples of the family */
	size_t n_hs, hs_cap; /* count, capacity */
	buf key;           /* scratch */
	buf cand;          /* a metadata line's family name */
};

tp_omcheck *tp__omcheck_new(void)
{
	tp_omcheck *c = fl_calloc(1, sizeof *c);
	if (!c)
		return NULL;
	buf_init(&c->name);
	buf_init(&c->key);
	buf_init(&c->cand);
	map_init(&c->groups);
	map_init(&c->names);
	c->typ = -1;
	return c;
}

void tp__omcheck_free(tp_omcheck *c)
{
	if (!c)
		return;
	buf_reset(&c->name);
	buf_reset(&c->key);
	buf_reset(&c->cand);
	map_free(&c->groups);
	map_free(&c->names);
	fl_free(c->hs);
	fl_free(c);
}

static const char *const *suffixes(int typ)
{
	static const char *const counter[] = {"_total", "_created", NULL};
	static const char *const summary[] = {"", "_count", "_sum", "_created", NULL};
	static const char *const histogram[] = {"_count", "_sum", "_bucket", "_created", NULL};
	static const char *const gaugehistogram[] = {"_gcount", "_gsum", "_bucket", NULL};
	static const char *const info[] = {"_info", NULL};
	static const char *const plain[] = {"", NULL};
	switch (typ) {
	case TEXTPARSE_MT_COUNTER: return counter;
	case TEXTPARSE_MT_SUMMARY: return summary;
	case TEXTPARSE_MT_HISTOGRAM: return histogram;
	case TEXTPARSE_MT_GAUGEHISTOGRAM: return gaugehistogram;
	case TEXTPARSE_MT_INFO: return info;
	default: return plain;
	}
}

static bool is_hist(int typ) { return typ == TEXTPARSE_MT_HISTOGRAM || typ == TEXTPARSE_MT_GAUGEHISTOGRAM; }

static int hist_group_check(const hsample *h, size_t n, err *e)
{
	bool has_bucket = false, neg = false, sum = false, gsum = false, neg_gsum = false, has_count = false;
	double bucket = 0, value = 0, count = 0;
	for (size_t k = 0; k < n; k++) {
		switch (h[k].sfx) {
		case SFX_BUCKET:
			if (h[k].le < 0)
				neg = true;
			if (has_bucket && h[k].le <= bucket)
				return err_set(e, FL_EPARSE, "buckets out of order");
			if (h[k].v < value)
				return err_set(e, FL_EPARSE, "bucket values out of order");
			has_bucket = true, bucket = h[k].le, value = h[k].v;
			break;
		case SFX_COUNT:
		case SFX_GCOUNT: has_count = true, count = h[k].v; break;
		case SFX_SUM: sum = true; break;
		case SFX_GSUM: gsum = true, neg_gsum |= h[k].v < 0; break;
		}
	}
	if (!has_bucket || !(isinf(bucket) && bucket > 0))
		return err_set(e, FL_EPARSE, "+Inf bucket missing");
	if (has_count && value != count)
		return err_set(e, FL_EPARSE, "count does not match +Inf bucket");
	if ((sum || gsum) && !has_count)
		return err_set(e, FL_EPARSE, "_count/_gcount must be present if _sum/_gsum is");
	if (!(sum || gsum) && has_count)
		return err_set(e, FL_EPARSE, "_sum/_gsum must be present if _count/_gcount is");
	if (neg && sum)
		return err_set(e, FL_EPARSE, "cannot have _sum with negative buckets");
	if (!neg && neg_gsum)
		return err_set(e, FL_EPARSE, "cannot have negative _gsum with non-negative buckets");
	return 0;
}

static int hist_check(tp_omcheck *c, err *e)
{
	size_t from = 0;
	for (size_t k = 1; k <= c->n_hs; k++) {
		const hsample *a = &c->hs[from], *b = &c->hs[k];
		if (k < c->n_hs && a->group == b->group && a->has_ts == b->has_ts && (!a->has_ts || a->ts == b->ts))
			continue;
		int rc = hist_group_check(a, k - from, e);
		if (rc)
			return err_wrap(e, "histogram %s", buf_cstr(&c->name)), rc;
		from = k;
	}
	return 0;
}

/* Claim the family's name + sfx; a name two families claim clashes. */
static int name_add(tp_omcheck *c, const char *sfx, err *e)
{
	buf_clear(&c->key);
	buf_put(&c->key, c->name.p, c->name.len);
	buf_put_str(&c->key, sfx);
	int rc = set_add(&c->names, hash_xxh64(c->key.p, c->key.len));
	if (rc < 0)
		return err_set(e, rc, "out of memory");
	return rc == 0 ? err_set(e, FL_EPARSE, "clashing name: %s", buf_cstr(&c->key)) : 0;
}

/* Close the open family (python's build_metric). */
static int finish(tp_omcheck *c, err *e)
{
	if (!c->in_family)
		return 0;
	int typ = c->typ < 0 ? TEXTPARSE_MT_UNKNOWN : c->typ;
	bool plain = false;
	for (const char *const *s = suffixes(typ); *s; s++) {
		plain |= !**s;
		int rc = name_add(c, *s, e);
		if (rc)
			return rc;
	}
	if (!plain && name_add(c, "", e))
		return FL_EPARSE;
	if (c->unit_nonempty && (typ == TEXTPARSE_MT_INFO || typ == TEXTPARSE_MT_STATESET))
		return err_set(e, FL_EPARSE, "units not allowed for this metric type: %s", buf_cstr(&c->name));
	if (is_hist(typ) && hist_check(c, e))
		return FL_EPARSE;
	c->in_family = false;
	return 0;
}

static void start(tp_omcheck *c, slice name, int typ)
{
	buf_clear(&c->name);
	buf_put(&c->name, name.p, name.len);
	c->in_family = true;
	c->typ = typ;
	c->has_help = c->has_unit = c->unit_nonempty = false;
	c->typed = false;
	c->n_samples = 0;
	c->has_group = false;
	c->n_hs = 0;
	map_free(&c->groups);
}

static int meta(textparse *p, tp_omcheck *c, textparse_entry kind, err *e)
{
	buf_clear(&c->cand);
	tp__unescape(&c->cand, p->meta_name, false);
	slice name = {(const char *)c->cand.p, c->cand.len};
	bool same = c->in_family && slice_eq(name, (slice){(const char *)c->name.p, c->name.len});
	if (same && c->n_samples)
		return err_set(e, FL_EPARSE, "metadata for %s after its samples", buf_cstr(&c->cand));
	if (!same) {
		int rc = finish(c, e);
		if (rc)
			return rc;
		start(c, name, -1);
	}
	const char *dup = NULL;
	switch (kind) {
	case TEXTPARSE_HELP:
		dup = c->has_help ? "HELP" : NULL;
		c->has_help = true;
		break;
	case TEXTPARSE_TYPE:
		dup = c->typ >= 0 ? "TYPE" : NULL;
		c->typ = (int)p->meta_type;
		c->typed = true;
		break;
	default:
		dup = c->has_unit ? "UNIT" : NULL;
		c->has_unit = true;
		c->unit_nonempty = p->meta_text.len > 0;
		break;
	}
	if (dup)
		return err_set(e, FL_EPARSE, "more than one %s for metric %s", dup, buf_cstr(&c->name));
	return 0;
}

/* Is the sample's name one of the family's? The suffix in *sfx. */
static bool allowed(const tp_omcheck *c, const char *sname, const char **sfx)
{
	if (!c->in_family || strncmp(sname, (const char *)c->name.p, c->name.len))
		return false;
	*sfx = sname + c->name.len;
	if (!c->typed)
		return !**sfx;
	for (const char *const *s = suffixes(c->typ); *s; s++)
		if (!strcmp(*s, *sfx))
			return true;
	return false;
}

/* True for "+Inf" and every other float spelling but infinities other than "+Inf". */
static bool canonical_float(const char *s, double *f)
{
	if (tp__float(slice_of(s), f, false, NULL))
		return false;
	return !(isinf(*f) && *f > 0) || !strcmp(s, "+Inf");
}

static int label_checks(tp_omcheck *c, labels ls, const char *sfx, err *e)
{
	const char *name = buf_cstr(&c->name);
	int typ = c->typ;
	if (typ == TEXTPARSE_MT_STATESET && !labels_get(ls, name))
		return err_set(e, FL_EPARSE, "stateset %s: missing label %s", name, name);
	double f;
	if (!strcmp(sfx, "_bucket")) {
		const char *le = labels_get(ls, "le");
		if (!le || !strcmp(le, "NaN") || !canonical_float(le, &f))
			return err_set(e, FL_EPARSE, "invalid le label");
	}
	if (typ == TEXTPARSE_MT_SUMMARY && !*sfx) {
		const char *q = labels_get(ls, "quantile");
		if (!q || !canonical_float(q, &f) || !(f >= 0 && f <= 1))
			return err_set(e, FL_EPARSE, "invalid quantile label");
	}
	return 0;
}

static int value_checks(textparse *p, tp_omcheck *c, const char *sfx, err *e)
{
	double v = p->v;
	int typ = c->typ;
	bool is_bucket = !strcmp(sfx, "_bucket"), is_count = !strcmp(sfx, "_count") || !strcmp(sfx, "_gcount");
	if ((is_bucket || is_count) && !(isfinite(v) && v == floor(v)))
		return err_set(e, FL_EPARSE, "%s value must be an integer", is_bucket ? "bucket" : "count");
	if (typ == TEXTPARSE_MT_STATESET && v != 0 && v != 1)
		return err_set(e, FL_EPARSE, "stateset samples can only have values zero and one");
	if (typ == TEXTPARSE_MT_INFO && v != 1)
		return err_set(e, FL_EPARSE, "info samples can only have value one");
	if (typ == TEXTPARSE_MT_SUMMARY && !*sfx && v < 0)
		return err_set(e, FL_EPARSE, "quantile values cannot be negative");
	static const char *const counterish[] = {"_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"};
	for (size_t k = 0; k < FL_ARRAY_LEN(counterish); k++)
		if (!strcmp(sfx, counterish[k])) {
			if (isnan(v))
				return err_set(e, FL_EPARSE, "counter-like samples cannot be NaN");
			if (v < 0 && k != 5)
				return err_set(e, FL_EPARSE, "counter-like samples cannot be negative");
		}
	if (p->has_ex) {
		bool ok = (is_hist(typ) && is_bucket) || (typ == TEXTPARSE_MT_COUNTER && !strcmp(sfx, "_total"));
		if (!ok)
			return err_set(e, FL_EPARSE, "only histogram/gaugehistogram buckets and counters can have exemplars");
		if (p->ex_runes > 128)
			return err_set(e, FL_EPARSE, "exemplar labels are too long");
	}
	return 0;
}

/* The group's hash: labels but __name__ and the one the type sets aside. */
static uint64_t group_of(tp_omcheck *c, labels ls, const char *sfx)
{
	const char *skip = NULL;
	int typ = c->typ;
	if (typ == TEXTPARSE_MT_INFO)
		return 0;
	if (typ == TEXTPARSE_MT_SUMMARY && !*sfx)
		skip = "quantile";
	else if (typ == TEXTPARSE_MT_STATESET)
		skip = buf_cstr(&c->name);
	else if (is_hist(typ) && !strcmp(sfx, "_bucket"))
		skip = "le";
	buf_clear(&c->key);
	for (size_t k = 0; k < ls.n; k++) {
		if (!strcmp(ls.v[k].name, LABEL_NAME) || (skip && !strcmp(ls.v[k].name, skip)))
			continue;
		buf_put_str(&c->key, ls.v[k].name);
		buf_put_byte(&c->key, 0xff);
		buf_put_str(&c->key, ls.v[k].value);
		buf_put_byte(&c->key, 0xff);
	}
	return hash_xxh64(c->key.p, c->key.len);
}

static int group_checks(textparse *p, tp_omcheck *c, uint64_t g, err *e)
{
	if (c->has_group && g != c->group) {
		int rc = set_add(&c->groups, g);
		if (rc < 0)
			return err_set(e, rc, "out of memory");
		if (rc == 0)
			return err_set(e, FL_EPARSE, "invalid metric grouping");
	} else if (c->has_group) {
		if (p->has_ts != c->group_has_ts)
			return err_set(e, FL_EPARSE, "mix of timestamp presence within a group");
		if (p->has_ts && c->group_ts > p->ts_sec && c->typ != TEXTPARSE_MT_INFO)
			return err_set(e, FL_EPARSE, "timestamps went backwards within a group");
	} else if (set_add(&c->groups, g) < 0) {
		return err_set(e, FL_ENOMEM, "out of memory");
	}
	c->has_group = true;
	c->group = g;
	c->group_has_ts = p->has_ts;
	c->group_ts = p->ts_sec;
	return 0;
}

static int hist_add(textparse *p, tp_omcheck *c, labels ls, const char *sfx, uint64_t g, err *e)
{
	static const struct {
		const char *s;
		int sfx;
	} kinds[] = {{"_bucket", SFX_BUCKET}, {"_count", SFX_COUNT}, {"_gcount", SFX_GCOUNT}, {"_sum", SFX_SUM}, {"_gsum", SFX_GSUM}};
	int k = SFX_OTHER;
	for (size_t i = 0; i < FL_ARRAY_LEN(kinds); i++)
		if (!strcmp(sfx, kinds[i].s))
			k = kinds[i].sfx;
	if (k == SFX_OTHER)
		return 0;
	if (!fl_grow((void **)&c->hs, &c->hs_cap, c->n_hs + 1, sizeof *c->hs))
		return err_set(e, FL_ENOMEM, "out of memory");
	double le = 0;
	if (k == SFX_BUCKET)
		tp__float(slice_of(labels_get(ls, "le")), &le, false, NULL);
	c->hs[c->n_hs++] = (hsample){k, g, p->has_ts, p->ts_sec, le, p->v};
	return 0;
}

static int sample(textparse *p, tp_omcheck *c, err *e)
{
	if (p->trailing_comma)
		return err_set(e, FL_EPARSE, "trailing comma in label set");
	if (tp__build_labels(p, false, e))
		return FL_ENOMEM;
	labels ls = {p->lv, p->n_lv};
	if (!labels_valid_order(ls))
		return err_set(e, FL_EPARSE, "label name given twice");
	for (size_t k = 0; k < ls.n; k++)
		if (!strncmp(ls.v[k].name, "__", 2) && strcmp(ls.v[k].name, LABEL_NAME))
			return err_set(e, FL_EPARSE, "reserved label name %s", ls.v[k].name);
	if (p->reserved)
		return err_set(e, FL_EPARSE, "reserved label name in exemplar");
	const char *sname = labels_get(ls, LABEL_NAME), *sfx;
	if (!*sname)
		return err_set(e, FL_EPARSE, "metric name cannot be empty");
	if (!allowed(c, sname, &sfx)) {
		int rc = finish(c, e);
		if (rc)
			return rc;
		start(c, slice_of(sname), TEXTPARSE_MT_UNKNOWN);
		c->typed = true;
		sfx = sname + c->name.len;
	}
	c->n_samples++;
	int rc = label_checks(c, ls, sfx, e);
	uint64_t g = rc ? 0 : group_of(c, ls, sfx);
	if (rc == 0)
		rc = group_checks(p, c, g, e);
	if (rc == 0 && is_hist(c->typ))
		rc = hist_add(p, c, ls, sfx, g, e);
	if (rc == 0)
		rc = value_checks(p, c, sfx, e);
	return rc;
}

int tp__omcheck_entry(textparse *p, textparse_entry kind, err *e)
{
	tp_omcheck *c = p->chk;
	switch (kind) {
	case TEXTPARSE_SERIES: return sample(p, c, e);
	case TEXTPARSE_EOF: return finish(c, e);
	default: return meta(p, c, kind, e);
	}
}
