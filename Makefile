# flint - a Prometheus-compatible TSDB in C.
#
#   make run     install missing Debian packages, build, start flint on 127.0.0.1:9090
#   make test    install missing packages, build with ASan+UBSan, run every test
#   make bench   benchmarks (figures and ratios against Prometheus)
#   make fuzz    run each libFuzzer target for FUZZ_SECONDS
#   make install PREFIX=/usr/local DESTDIR=
#
# Sources are picked up by wildcard: every module's .c goes into libflint.a,
# every tests/unit/test_*.c into the unit runner, every tests/fuzz/fuzz_*.c
# becomes a fuzz target. Module-specific rules (generated protobuf code) live
# in <module>/module.mk.

# A bare `make` builds flint and flinttool (module.mk files included below
# define rules of their own; none of them may become the default).
.DEFAULT_GOAL := all

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
FUZZ_SECONDS ?= 60
# libFuzzer's per-input limit: an input slower than this is reported as a hang
FUZZ_TIMEOUT ?= 10
# The shared test data beside the clone; tests/paths.bash makes it absolute.
SHARED   ?= ../shared

MODULES  := lib tsdb promql scrape rules remote web
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation
BASEFLAGS := -std=c11 -D_GNU_SOURCE -g -pthread -I. -Ibuild/gen $(WARN)
LIBS     := -lpcre2-8 -lsnappy -lmicrohttpd -lprotobuf-c -lcurl -lyaml -lz -lxxhash -lcrypt -lresolv -lm -pthread

# Two flavours: rel (optimized, for run and bench) and asan (for test).
REL_CFLAGS  := $(BASEFLAGS) -O2
ASAN_CFLAGS := $(BASEFLAGS) -DFL_SLOW_CHECKS -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_LDFLAGS := -fsanitize=address,undefined

GEN_SRCS :=
GEN_HDRS :=
-include $(foreach m,$(MODULES),$(wildcard $(m)/module.mk))

LIB_SRCS := $(foreach m,$(MODULES),$(wildcard $(m)/*.c)) $(GEN_SRCS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRCS := $(wildcard bench/bench_*.c)
CMDS := flint flinttool

.SECONDARY:
.PHONY: all deps build-rel build-asan test run bench fuzz clean install unit

all: build-rel

deps:
	@bash tests/deps.sh

# ---- object rules for both flavours ----
define flavour
OBJS_$(1) := $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRCS))
build/$(1)/%.o: %.c $$(GEN_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(2)) -MMD -MP -c $$< -o $$@
build/$(1)/libflint.a: $$(OBJS_$(1))
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/flint: build/$(1)/cmd/flint.o build/$(1)/libflint.a
	$$(CC) $$($(2)) $$^ -o $$@ $$(LIBS) $(3)
build/$(1)/flinttool: $$(patsubst %.c,build/$(1)/%.o,$$(wildcard cmd/flinttool*.c) cmd/cli.c) build/$(1)/libflint.a
	$$(CC) $$($(2)) $$^ -o $$@ $$(LIBS) $(3)
-include $$(OBJS_$(1):.o=.d)
endef
$(eval $(call flavour,rel,REL_CFLAGS,))
$(eval $(call flavour,asan,ASAN_CFLAGS,$(ASAN_LDFLAGS)))
# Header dependencies of the programs, tests, fuzz targets and benches too
# (a changed struct in a header must rebuild every object that embeds it).
-include $(wildcard build/*/cmd/*.d build/asan/tests/unit/*.d build/asan/tests/fuzz/*.d build/rel/bench/*.d)

build-rel: $(addprefix build/rel/,$(CMDS))
build-asan: $(addprefix build/asan/,$(CMDS)) build/asan/unit $(patsubst tests/fuzz/%.c,build/asan/fuzz/%,$(FUZZ_SRCS)) $(EXTRA_ASAN_TARGETS)

# ---- unit tests ----
build/gen/tests/unit/all_tests.h: $(UNIT_SRCS) Makefile
	@mkdir -p $(dir $@)
	@{ for f in $(UNIT_SRCS); do n=$$(basename $$f .c | sed 's/^test_//'); echo "extern const struct test tests_$$n[];"; done; \
	   echo "static const struct { const char *file; const struct test *t; } all_tests[] = {"; \
	   for f in $(UNIT_SRCS); do n=$$(basename $$f .c | sed 's/^test_//'); echo "  {\"$$n\", tests_$$n},"; done; \
	   echo "};"; } > $@.tmp && mv $@.tmp $@

build/asan/tests/unit/runner.o: build/gen/tests/unit/all_tests.h
build/asan/unit: $(patsubst %.c,build/asan/%.o,$(UNIT_SRCS) tests/unit/runner.c) build/asan/libflint.a
	$(CC) $(ASAN_CFLAGS) $^ -o $@ $(LIBS) $(ASAN_LDFLAGS)

unit: build/asan/unit
	./build/asan/unit

# ---- fuzz targets: replay mains (ASan, part of make test) and libFuzzer builds ----
build/asan/fuzz/%: build/asan/tests/fuzz/%.o build/asan/tests/fuzz/replay_main.o build/asan/libflint.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $^ -o $@ $(LIBS) $(ASAN_LDFLAGS)

FUZZ_CFLAGS := $(BASEFLAGS) -DFL_SLOW_CHECKS -Wno-unknown-warning-option -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# Fuzzing runs with the slow cross-checks on (FL_SLOW_ASSERT), as make test.
# The library is compiled once for all targets (fuzzer-no-link), then each
# target links it.
FUZZLIB_CFLAGS := $(BASEFLAGS) -DFL_SLOW_CHECKS -Wno-unknown-warning-option -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
build/fuzzlib/%.o: %.c $(GEN_HDRS)
	@mkdir -p $(dir $@)
	clang $(FUZZLIB_CFLAGS) -c $< -o $@
build/fuzzlib/libflint.a: $(patsubst %.c,build/fuzzlib/%.o,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzzlib/libflint.a
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -DFL_LIBFUZZER $< build/fuzzlib/libflint.a -o $@ $(LIBS)
build/fuzz/fuzz_cli_argv: cmd/cli.c cmd/cli.h # compiled into the target (not in libflint)

fuzz: deps $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
	@for t in $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS)); do \
	  mkdir -p build/fuzz-corpus/$$t; \
	  echo "== $$t ($(FUZZ_SECONDS)s)"; \
	  ./build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_TIMEOUT) -max_len=65536 build/fuzz-corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# ---- top level ----
test: deps
	@$(MAKE) --no-print-directory build-asan -j2
	@SHARED=$(SHARED) BUILD=build/asan bash tests/run_all.sh

run: deps build-rel
	@mkdir -p data
	./build/rel/flint --config.file=cmd/flint.yml --storage.tsdb.path=./data --web.listen-address=127.0.0.1:9090

bench: deps build-rel $(patsubst bench/%.c,build/rel/bench/%,$(BENCH_SRCS))
	@SHARED=$(SHARED) BUILD=build/rel bash bench/run.sh

build/rel/bench/%: build/rel/bench/%.o build/rel/libflint.a
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) $^ -o $@ $(LIBS)

install: build-rel
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 build/rel/flint build/rel/flinttool $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build
