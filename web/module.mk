# web/module.mk - build pieces that belong to the web module.

# The remote-write load generator, also built with sanitizers for
# tests/e2e/remote_write.sh (`make test` builds only the asan flavour).
EXTRA_ASAN_TARGETS += build/asan/bench/bench_remote
build/asan/bench/bench_remote: build/asan/bench/bench_remote.o build/asan/libflint.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $^ -o $@ $(LIBS) $(ASAN_LDFLAGS)

# Header dependencies of the objects the Makefile's flavour rules do not
# -include .d files for (unit tests, fuzz targets, programs, benchmarks):
# without them a changed header such as web/web.h (struct web_env) leaves
# stale test objects that disagree with libflint.a about struct layouts.
# Make also rebuilds a deleted intermediate .o when a header listed here is
# newer than the binary.
-include $(wildcard build/asan/tests/unit/*.d build/asan/tests/fuzz/*.d build/asan/cmd/*.d build/asan/bench/*.d \
	build/rel/cmd/*.d build/rel/bench/*.d)
