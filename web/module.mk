# web/module.mk - generated protobuf-c code for remote write/read.
# protoc-c turns web/proto/*.proto into build/gen/web/proto/*.pb-c.{c,h};
# the .c files join libflint.a (both flavours) through GEN_SRCS, and every
# object depends on GEN_HDRS so the headers exist before anything compiles.
WEB_PROTOS := $(wildcard web/proto/*.proto)
WEB_PB_C := $(patsubst web/proto/%.proto,build/gen/web/proto/%.pb-c.c,$(WEB_PROTOS))
WEB_PB_H := $(WEB_PB_C:.c=.h)
GEN_SRCS += $(WEB_PB_C)
GEN_HDRS += $(WEB_PB_H)

build/gen/web/proto/%.pb-c.c build/gen/web/proto/%.pb-c.h: web/proto/%.proto
	@mkdir -p build/gen/web/proto
	protoc-c --c_out=build/gen/web/proto -Iweb/proto $<

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
