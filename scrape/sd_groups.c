/*
 * sd_groups.c - target groups (Prometheus discovery/targetgroup.Group) and
 * the one parser of the documents file_sd and http_sd read:
 *
 *   [ { "targets": ["host:port", ...], "labels": {"name": "value", ...} }, ... ]
 *
 * JSON is a subset of the YAML libyaml reads, so one parser serves both
 * (Prometheus uses encoding/json for .json files and http_sd, yaml for
 * .yml/.yaml). Each target becomes the label set {__address__: target};
 * label names must be non-empty valid UTF-8 (3.x's default validation),
 * values valid UTF-8.
 */
#include <stdio.h>
#include <yaml.h>

#include "scrape/sd_int.h"
#include "tsdb/relabel.h"

void sd_groups_init(sd_groups *g)
{
	memset(g, 0, sizeof *g);
	arena_init(&g->a);
}

void sd_groups_reset(sd_groups *g)
{
	arena_reset(&g->a);
	sd_groups_init(g);
}

void sd_groups_move(sd_groups *dst, sd_groups *src)
{
	arena_reset(&dst->a);
	*dst = *src;
	sd_groups_init(src);
}

size_t sd_groups_targets(const sd_groups *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n; i++)
		n += g->v[i].n_targets;
	return n;
}

static sd_group *add_group(sd_groups *g)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		sd_group *v = arena_calloc(&g->a, cap, sizeof *v);
		if (!v)
			return NULL;
		if (g->n)
			memcpy(v, g->v, g->n * sizeof *v);
		g->v = v, g->cap = cap;
	}
	sd_group *grp = &g->v[g->n++];
	memset(grp, 0, sizeof *grp);
	return grp;
}

/* Valid UTF-8 ("" is valid), 3.x's LabelValue.IsValid. */
static bool utf8_ok(const char *s) { return !*s || relabel_valid_label_name(s, false); }

typedef struct gp {
	yaml_document_t *doc; /* the parsed document */
	sd_groups *out;       /* being filled */
	const char *name;     /* for messages */
	err *e;               /* the error */
} gp;

static int bad(gp *p, yaml_node_t *n, const char *fmt, const char *arg)
{
	char msg[300];
	snprintf(msg, sizeof msg, fmt, arg);
	return err_set(p->e, FL_EINVAL, "%s:%d: %s", p->name, n ? (int)n->start_mark.line + 1 : 0, msg);
}

static const char *str(gp *p, yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return arena_strndup(&p->out->a, (const char *)n->data.scalar.value, n->data.scalar.length);
}

static bool null_node(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

static int group_labels(gp *p, yaml_node_t *n, sd_group *g, const char *meta_name, const char *meta_value)
{
	labels_builder b;
	labels_builder_init(&b);
	int rc = 0;
	if (n && !null_node(n)) {
		if (n->type != YAML_MAPPING_NODE)
			rc = bad(p, n, "%slabels must be a mapping of names to values", "");
		for (yaml_node_pair_t *pr = rc ? NULL : n->data.mapping.pairs.start; pr && pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(p->doc, pr->key), *v = yaml_document_get_node(p->doc, pr->value);
			const char *name = str(p, k), *val = null_node(v) ? "" : str(p, v);
			if (!name || !val) {
				rc = bad(p, k, "%slabel names and values must be strings", "");
				break;
			}
			if (!*name || !utf8_ok(name)) {
				rc = bad(p, k, "\"%s\" is not a valid label name", name);
				break;
			}
			if (!utf8_ok(val)) {
				rc = bad(p, v, "\"%s\" is not a valid label value", val);
				break;
			}
			labels_builder_set(&b, name, val);
		}
	}
	if (!rc && meta_name)
		labels_builder_set(&b, meta_name, meta_value);
	if (!rc) {
		g->labels = labels_copy(&p->out->a, labels_builder_labels(&b));
		if (b.oom || (labels_builder_labels(&b).n && !g->labels.v))
			rc = err_set(p->e, FL_ENOMEM, "out of memory");
	}
	labels_builder_free(&b);
	return rc;
}

static int group_targets(gp *p, yaml_node_t *n, sd_group *g)
{
	if (!n || null_node(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(p, n, "%stargets must be a list of strings", "");
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	g->targets = arena_calloc(&p->out->a, cnt + 1, sizeof *g->targets);
	if (!g->targets)
		return err_set(p->e, FL_ENOMEM, "out of memory");
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *t = yaml_document_get_node(p->doc, n->data.sequence.items.start[i]);
		const char *addr = str(p, t);
		label *l = arena_alloc(&p->out->a, sizeof *l);
		if (!addr)
			return bad(p, t, "%stargets must be a list of strings", "");
		if (!l)
			return err_set(p->e, FL_ENOMEM, "out of memory");
		*l = (label){"__address__", addr};
		g->targets[g->n_targets++] = (labels){l, 1};
	}
	return 0;
}

int sd_groups_parse(sd_groups *out, const char *text, size_t len, const char *name, bool strict, const char *meta_name,
		    const char *meta_value, err *e)
{
	yaml_parser_t yp;
	yaml_document_t doc;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &doc)) {
		int rc = err_set(e, FL_EINVAL, "%s:%d: %s", name, (int)yp.problem_mark.line + 1,
				 yp.problem ? yp.problem : "syntax error");
		yaml_parser_delete(&yp);
		return rc;
	}
	gp p = {&doc, out, name, e};
	int rc = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && !null_node(root) && root->type != YAML_SEQUENCE_NODE)
		rc = bad(&p, root, "%sexpected a list of target groups", "");
	for (yaml_node_item_t *it = rc || !root || root->type != YAML_SEQUENCE_NODE ? NULL : root->data.sequence.items.start;
	     it && it < root->data.sequence.items.top && !rc; it++) {
		yaml_node_t *gn = yaml_document_get_node(&doc, *it);
		if (!gn || null_node(gn)) {
			rc = bad(&p, gn, "%snil target group item found", "");
			break;
		}
		if (gn->type != YAML_MAPPING_NODE) {
			rc = bad(&p, gn, "%sa target group must be a mapping with targets and labels", "");
			break;
		}
		yaml_node_t *targets = NULL, *lbls = NULL;
		for (yaml_node_pair_t *pr = gn->data.mapping.pairs.start; pr < gn->data.mapping.pairs.top && !rc; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
			const char *key = k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
			if (!strcmp(key, "targets"))
				targets = yaml_document_get_node(&doc, pr->value);
			else if (!strcmp(key, "labels"))
				lbls = yaml_document_get_node(&doc, pr->value);
			else if (strict)
				rc = bad(&p, k, "field %s not found in type struct { Targets []string \"yaml:\\\"targets\\\"\"; Labels model.LabelSet \"yaml:\\\"labels\\\"\" }", key);
		}
		sd_group *g = rc ? NULL : add_group(out);
		if (!rc && !g)
			rc = err_set(e, FL_ENOMEM, "out of memory");
		if (!rc)
			rc = group_targets(&p, targets, g);
		if (!rc)
			rc = group_labels(&p, lbls, g, meta_name, meta_value);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	return rc;
}
