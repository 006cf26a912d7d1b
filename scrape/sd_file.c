/*
 * sd_file.c - file_sd_configs (Prometheus discovery/file): every file
 * matching the globs holds target groups, JSON (.json) or YAML (.yml,
 * .yaml); each group gets __meta_filepath. Prometheus watches the files
 * with fsnotify and re-reads them every refresh_interval; flint polls a
 * stamp of names, sizes and mtimes every second (discovery.c) and re-reads
 * on a change or at the interval. A file that fails to read or parse is
 * logged, counted in prometheus_sd_file_read_errors_total, and keeps its
 * previous groups (discovery.c logs the first error of a pass); a file
 * that disappeared loses them.
 */
#include <glob.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/hash.h"
#include "scrape/sd_int.h"

void sd_parts_free(sd_parts *p)
{
	for (size_t i = 0; i < p->n; i++) {
		fl_free(p->keys[i]);
		sd_groups_reset(&p->v[i]);
	}
	fl_free(p->keys);
	fl_free(p->v);
	memset(p, 0, sizeof *p);
}

size_t sd_parts_targets(const sd_parts *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += sd_groups_targets(&p->v[i]);
	return n;
}

int sd_parts_set_one(sd_parts *p, sd_groups *g)
{
	sd_parts np = {fl_calloc(1, sizeof *np.keys), fl_calloc(1, sizeof *np.v), 1};
	if (!np.keys || !np.v) {
		fl_free(np.keys);
		fl_free(np.v);
		return FL_ENOMEM;
	}
	sd_groups_init(&np.v[0]);
	sd_groups_move(&np.v[0], g);
	sd_parts_free(p);
	*p = np;
	return 0;
}

static bool is_json(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && (!strcmp(dot, ".json") || !strcmp(dot, ".JSON"));
}

static int read_one(const char *path, sd_groups *g, err *e)
{
	buf b;
	buf_init(&b);
	int rc = scrape_read_file(&b, path, e);
	if (!rc)
		rc = sd_groups_parse(g, (const char *)b.p, b.len, path, !is_json(path), "__meta_filepath", path, e);
	buf_reset(&b);
	return rc;
}

/* Each glob's matches, in glob order, duplicates skipped. */
static char **list_files(const scrape_file_sd *f, size_t *n)
{
	char **out = NULL;
	size_t cnt = 0, cap = 0;
	for (size_t i = 0; i < f->n_files; i++) {
		glob_t gl;
		if (glob(f->files[i], 0, NULL, &gl))
			continue;
		for (size_t k = 0; k < gl.gl_pathc; k++) {
			bool dup = false;
			for (size_t m = 0; m < cnt; m++)
				dup |= !strcmp(out[m], gl.gl_pathv[k]);
			if (dup)
				continue;
			if (cnt == cap) {
				char **no = fl_realloc(out, (cap = cap ? cap * 2 : 8) * sizeof *no);
				if (!no)
					break;
				out = no;
			}
			out[cnt] = fl_strdup(gl.gl_pathv[k]);
			if (out[cnt])
				cnt++;
		}
		globfree(&gl);
	}
	*n = cnt;
	return out;
}

uint64_t sd_file_stamp(const scrape_file_sd *f)
{
	size_t n;
	char **files = list_files(f, &n);
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int64_t v[3] = {0, 0, 0};
		if (!stat(files[i], &st))
			v[0] = st.st_mtim.tv_sec, v[1] = st.st_mtim.tv_nsec, v[2] = st.st_size;
		h = h * 31 + hash_xxh64(files[i], strlen(files[i])) + hash_xxh64(v, sizeof v);
		fl_free(files[i]);
	}
	fl_free(files);
	return h;
}

int sd_file_refresh(const scrape_file_sd *f, sd_parts *parts, uint64_t *n_errors, err *e)
{
	size_t n;
	char **files = list_files(f, &n);
	sd_parts np = {n ? fl_calloc(n, sizeof *np.keys) : NULL, n ? fl_calloc(n, sizeof *np.v) : NULL, 0};
	int first = 0;
	if (n && (!np.keys || !np.v)) {
		for (size_t i = 0; i < n; i++)
			fl_free(files[i]);
		fl_free(files), fl_free(np.keys), fl_free(np.v);
		return err_set(e, FL_ENOMEM, "file_sd: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		sd_groups_init(&np.v[i]);
		np.keys[i] = files[i];
		np.n++;
		err fe;
		if (!read_one(files[i], &np.v[i], &fe))
			continue;
		(*n_errors)++;
		if (!first)
			first = err_set(e, fe.code, "%s", fe.msg);
		sd_groups_reset(&np.v[i]);
		for (size_t k = 0; k < parts->n; k++) /* keep the file's previous groups */
			if (parts->keys[k] && !strcmp(parts->keys[k], files[i]))
				sd_groups_move(&np.v[i], &parts->v[k]);
	}
	fl_free(files);
	sd_parts_free(parts);
	*parts = np;
	return first;
}
