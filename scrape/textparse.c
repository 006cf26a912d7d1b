/*
 * textparse.c - the scraper's parser entry point over both formats.
 * Today it dispatches to the OpenMetrics parser only; text 0.0.4 comes with
 * the scrape issue (see textparse.h).
 */
#include "scrape/textparse.h"

#include <strings.h>

struct textparse {
	textparse_format f;
	textparse_om om;
};

textparse *textparse_new(textparse_format f, const char *text, size_t len, unsigned flags)
{
	(void)flags;
	textparse *p = fl_calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->f = f;
	textparse_om_init(&p->om, text, len);
	return p;
}

void textparse_free(textparse *p)
{
	if (!p)
		return;
	textparse_om_free(&p->om);
	fl_free(p);
}

int textparse_next(textparse *p, textparse_entry *kind, err *e)
{
	if (p->f != TEXTPARSE_OM)
		return err_set(e, FL_EPARSE, "text format 0.0.4 is not parsed yet");
	return textparse_om_next(&p->om, kind, e);
}

slice textparse_series(const textparse *p) { return p->om.series; }
labels textparse_labels(textparse *p, err *e) { return textparse_om_labels(&p->om, e); }

void textparse_sample(const textparse *p, double *v, bool *has_ts, int64_t *ts_ms)
{
	*v = p->om.value;
	*has_ts = p->om.has_ts;
	*ts_ms = p->om.ts_ms;
}

void textparse_meta(const textparse *p, slice *name, slice *text, textparse_mtype *type)
{
	*name = p->om.meta_name;
	*text = p->om.meta_text;
	if (type)
		*type = TEXTPARSE_MT_UNKNOWN;
}

size_t textparse_line(const textparse *p) { return p->om.line; }

bool textparse_format_for(const char *content_type, const textparse_format *fallback, textparse_format *out)
{
	if (content_type && !strncasecmp(content_type, "application/openmetrics-text", 28)) {
		*out = TEXTPARSE_OM;
		return true;
	}
	if (content_type && !strncasecmp(content_type, "text/plain", 10)) {
		*out = TEXTPARSE_PROM;
		return true;
	}
	if (fallback) {
		*out = *fallback;
		return true;
	}
	return false;
}
