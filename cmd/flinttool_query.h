/*
 * flinttool_query.h - pieces shared by flinttool's query commands
 * (flinttool_query.c) and tested on their own: Go-style times and the
 * bucket statistics of `query analyze` (flinttool_analyze.c).
 */
#ifndef FL_CMD_FLINTTOOL_QUERY_H
#define FL_CMD_FLINTTOOL_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "web/api_value.h"

/* A Go time.Time: Unix seconds and nanoseconds in [0, 1e9). */
typedef struct ft_time {
	int64_t sec;  /* Unix seconds */
	int64_t nsec; /* 0 .. 999999999 */
} ft_time;

void ft_time_now(ft_time *t);
/* t += ns (normalised). */
void ft_time_add(ft_time *t, int64_t ns);
/* promtool's parseTime: a float of Unix seconds (strconv.ParseFloat, then
 * math.Modf into seconds and nanoseconds) or RFC 3339. -1 with
 * `cannot parse "s" to a valid timestamp` in msg. */
int ft_time_parse(const char *s, ft_time *t, buf *msg);
/* client_golang's formatTime: seconds as float64, 'f' -1. */
void ft_time_format(const ft_time *t, buf *b);
bool ft_time_before(const ft_time *a, const ft_time *b);

/* metaStatistics' distribution of one statistic over series. */
typedef struct ft_dist {
	int64_t min, max, count; /* min starts at INT64_MAX */
	double avg;              /* running mean, updated as Go does */
} ft_dist;

/* The state of one `query analyze` run: output goes to out. */
typedef struct ft_analyze {
	buf *out;                             /* borrowed */
	ft_dist min_pop, avg_pop, max_pop, total; /* classic histograms */
} ft_analyze;

/* Print the header. */
void ft_analyze_begin(ft_analyze *an, buf *out);
/* One matcher's matrix: classic histogram series grouped by their labels
 * without le, one stats line per group. -1 with msg on promtool's errors
 * ("matrix result is not time aligned"). */
int ft_analyze_matrix(ft_analyze *an, const api_value *m, buf *msg);
/* Print the footer and the aggregated statistics. */
void ft_analyze_end(ft_analyze *an);

#endif
