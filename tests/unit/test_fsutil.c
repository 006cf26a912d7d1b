/* test_fsutil.c - lib/fsutil.c: remove and measure trees. */
#include "tests/unit/test.h"
#include "lib/fsutil.h"

#include <sys/stat.h>
#include <unistd.h>

static void put(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	ASSERT(f != NULL);
	for (size_t i = 0; i < n; i++)
		fputc('x', f);
	fclose(f);
}

static void size_and_remove_tree(void)
{
	const char *dir = test_tmpdir();
	char root[1024], p[1200];
	snprintf(root, sizeof root, "%s/t", dir);
	ASSERT_EQ(mkdir(root, 0777), 0);
	snprintf(p, sizeof p, "%s/a", root);
	put(p, 10);
	snprintf(p, sizeof p, "%s/sub", root);
	ASSERT_EQ(mkdir(p, 0777), 0);
	snprintf(p, sizeof p, "%s/sub/b", root);
	put(p, 1000);
	snprintf(p, sizeof p, "%s/sub/link", root);
	ASSERT_EQ(symlink("/etc", p), 0); /* not followed, not counted */
	ASSERT_EQ(fsutil_dir_size(root), 1010);
	snprintf(p, sizeof p, "%s/a", root);
	ASSERT_EQ(fsutil_dir_size(p), 10);
	snprintf(p, sizeof p, "%s/missing", root);
	ASSERT_EQ(fsutil_dir_size(p), 0);
	err e;
	ASSERT_EQ(fsutil_remove_all(p, &e), 0); /* missing is fine */
	ASSERT_EQ(fsutil_remove_all(root, &e), 0);
	struct stat st;
	ASSERT(lstat(root, &st) != 0);
	ASSERT(stat("/etc", &st) == 0);
}

const struct test tests_fsutil[] = {
	{"size_and_remove_tree", size_and_remove_tree},
	{NULL, NULL},
};
