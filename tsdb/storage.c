/* storage.c - trivial series sets shared by every storage implementation. */
#include "tsdb/storage.h"

#include <stdio.h>

typedef struct err_set {
	series_set base; /* must be first */
	int code;        /* 0 for the empty set */
	char msg[256];   /* error text */
} err_set_t;

static bool es_next(series_set *s) { (void)s; return false; }
static labels es_labels(series_set *s) { (void)s; labels l = {NULL, 0}; return l; }
static sample_iter *es_iter(series_set *s, sample_iter *r) { (void)s; (void)r; return NULL; }
static int es_err(series_set *s, err *e)
{
	err_set_t *x = (err_set_t *)s;
	if (x->code)
		return err_set(e, x->code, "%s", x->msg);
	return 0;
}
static void es_close(series_set *s)
{
	fl_free(s);
}

static const struct series_set_ops es_ops = {es_next, es_labels, es_iter, es_err, es_close, NULL};

series_set *series_set_error(int code, const char *msg)
{
	err_set_t *x = fl_calloc(1, sizeof *x);
	if (!x)
		return series_set_empty();
	x->base.ops = &es_ops;
	x->code = code;
	snprintf(x->msg, sizeof x->msg, "%s", msg ? msg : "");
	return &x->base;
}

series_set *series_set_empty(void)
{
	err_set_t *x = fl_calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->base.ops = &es_ops;
	return &x->base;
}
