# remote/module.mk - generated protobuf-c code for remote write/read.
# protoc-c turns remote/proto/*.proto into build/gen/remote/proto/*.pb-c.{c,h};
# the .c files join libflint.a (both flavours) through GEN_SRCS, and every
# object depends on GEN_HDRS so the headers exist before anything compiles.
REMOTE_PROTOS := $(wildcard remote/proto/*.proto)
REMOTE_PB_C := $(patsubst remote/proto/%.proto,build/gen/remote/proto/%.pb-c.c,$(REMOTE_PROTOS))
REMOTE_PB_H := $(REMOTE_PB_C:.c=.h)
GEN_SRCS += $(REMOTE_PB_C)
GEN_HDRS += $(REMOTE_PB_H)

build/gen/remote/proto/%.pb-c.c build/gen/remote/proto/%.pb-c.h: remote/proto/%.proto
	@mkdir -p build/gen/remote/proto
	protoc-c --c_out=build/gen/remote/proto -Iremote/proto $<


# The SigV4 header printer that tests/conformance/sigv4_botocore.sh compares with
# botocore (issue 18).
EXTRA_ASAN_TARGETS += build/asan/tests/sigv4_sign
build/asan/tests/sigv4_sign: build/asan/tests/conformance/sigv4_sign.o build/asan/libflint.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $^ -o $@ $(LIBS) $(ASAN_LDFLAGS)
