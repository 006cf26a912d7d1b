/* log.c - logfmt/json log lines on stderr (see log.h). */
#include "lib/log.h"
#include "lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level level = LOG_INFO;
static int json_format;

void log_set_level(enum log_level l) { level = l; }
enum log_level log_get_level(void) { return level; }

int log_set_level_name(const char *n)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(n, names[i])) {
			level = (enum log_level)i;
			return 0;
		}
	return -1;
}

int log_set_format_name(const char *n)
{
	if (!strcmp(n, "logfmt"))
		json_format = 0;
	else if (!strcmp(n, "json"))
		json_format = 1;
	else
		return -1;
	return 0;
}

static void put_val(buf *b, const char *v)
{
	bool quote = json_format || !*v;
	for (const char *p = v; *p && !quote; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20)
			quote = true;
	if (!quote) {
		buf_put_str(b, v);
		return;
	}
	buf_put_byte(b, '"');
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf_put_byte(b, '\\');
			buf_put_byte(b, c);
		} else if (c == '\n') {
			buf_put_str(b, "\\n");
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_put_byte(b, c);
		}
	}
	buf_put_byte(b, '"');
}

static void put_kv(buf *b, const char *k, const char *v, bool first)
{
	if (json_format) {
		buf_put_str(b, first ? "{" : ",");
		put_val(b, k);
		buf_put_byte(b, ':');
	} else {
		if (!first)
			buf_put_byte(b, ' ');
		buf_put_str(b, k);
		buf_put_byte(b, '=');
	}
	put_val(b, v);
}

void log_kv(enum log_level l, const char *component, const char *msg, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (l < level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char tbuf[64];
	snprintf(tbuf, sizeof tbuf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	buf b;
	buf_init(&b);
	put_kv(&b, "ts", tbuf, true);
	put_kv(&b, "level", names[l], false);
	if (component)
		put_kv(&b, "component", component, false);
	put_kv(&b, "msg", msg, false);
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		const char *v = va_arg(ap, const char *);
		put_kv(&b, k, v ? v : "", false);
	}
	va_end(ap);
	if (json_format)
		buf_put_byte(&b, '}');
	buf_put_byte(&b, '\n');
	if (!b.oom) {
		ssize_t r = write(2, b.p, b.len);
		(void)r;
	}
	buf_reset(&b);
}
