# accord — top-level build. Plain GNU make; everything is discovered by wildcard so that
# a new module is a new file pair, not a Makefile edit.
#
#   make            build libraries, services, tools into $(BUILD)
#   make test       build and run every test; ends with "N passed, N failed, N skipped"
#   make run        create a demo node under var/demo (if none) and run it
#   make bench      benchmarks; figures to stdout and $(BUILD)/bench.json
#   make deps       install the Debian packages the build needs (as root)
#   make fuzz       build the libFuzzer targets (clang)
#   make SANITIZE=address,undefined test

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD ?= build
else
BUILD ?= build/sanitize
endif
WERROR ?= 1
CC ?= cc
PROTOC_C ?= protoc-c

PKGS := libzmq libprotobuf-c lmdb libconfig libsodium libidn2 jansson libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -lpthread -lm

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
        -Wvla -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARN += -Werror
endif
OPT ?= -O2
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) -fno-strict-aliasing
SAN_FLAGS :=
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
INCLUDES = -Icommon -I$(BUILD)/gen -Iservices -Itools/accordctl -Itests/support
CFLAGS_ALL = $(BASE_CFLAGS) $(SAN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(LDFLAGS)

# --- sources -------------------------------------------------------------------------
PROTOS := $(wildcard proto/accord/v1/*.proto)
GEN_C := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)
GEN_O := $(GEN_C:.c=.o)

COMMON_SRC := $(wildcard common/*.c)
COMMON_O := $(patsubst %.c,$(BUILD)/obj/%.o,$(COMMON_SRC))

SERVICES := $(filter-out node,$(notdir $(wildcard services/*)))
SVC_LIB_SRC := $(filter-out %/main.c,$(wildcard $(foreach s,$(SERVICES),services/$(s)/*.c)))
SVC_LIB_O := $(patsubst %.c,$(BUILD)/obj/%.o,$(SVC_LIB_SRC))

CTL_LIB_SRC := $(filter-out %/main.c,$(wildcard tools/accordctl/*.c))
CTL_LIB_O := $(patsubst %.c,$(BUILD)/obj/%.o,$(CTL_LIB_SRC))

LIB := $(BUILD)/lib/libaccord.a
BINS := $(BUILD)/bin/accord-node $(BUILD)/bin/accordctl \
        $(foreach s,$(SERVICES),$(BUILD)/bin/accord-$(s))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SUPPORT_O := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT_SRC))

TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

BENCH_SRC := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all deps deps-check test unit run bench fuzz clean format demo
.SECONDARY:

all: deps-check $(BINS) $(TOOL_BINS)

deps:
	@scripts/deps.sh install

deps-check:
	@scripts/deps.sh ensure

# --- generated protobuf-c ------------------------------------------------------------
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	$(PROTOC_C) --proto_path=proto --c_out=$(BUILD)/gen $<

# Generated code is compiled without -Werror: it is not ours to edit.
$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(GEN_H)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) -w -c $< -o $@

# --- our objects ---------------------------------------------------------------------
$(BUILD)/obj/%.o: %.c $(GEN_H) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(WARN) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

$(LIB): $(GEN_O) $(COMMON_O) $(SVC_LIB_O) $(CTL_LIB_O)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/accord-node: $(BUILD)/obj/services/node/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bin/accord-%: $(BUILD)/obj/services/%/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bin/accordctl: $(BUILD)/obj/tools/accordctl/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# --- tests ---------------------------------------------------------------------------
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(TEST_SUPPORT_O) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka)

unit: deps-check $(UNIT_BINS)

# Test tools (tests/tools/*.c): helper programs the integration scripts drive.
$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# Test copies of the node binaries with live fault points (common/acc_fault.h): the same
# objects, with tests/fault/acc_fault_env.o linked ahead of the library so that its
# acc_fault_point replaces the library's no-op. Built for `make test` only, never installed.
FAULT_ENV_O := $(BUILD)/obj/tests/fault/acc_fault_env.o
FAULT_BINS := $(BUILD)/tests/bin/accord-node $(foreach s,$(SERVICES),$(BUILD)/tests/bin/accord-$(s))

$(BUILD)/tests/bin/accord-%: $(BUILD)/obj/services/%/main.o $(FAULT_ENV_O) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

test: deps-check $(BINS) $(UNIT_BINS) $(TOOL_BINS) $(FAULT_BINS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

# --- run a demo node -----------------------------------------------------------------
run: deps-check $(BINS)
	@BUILD=$(BUILD) scripts/run-demo.sh

# --- three nodes, one report through the whole flow -----------------------------------
demo: deps-check $(BINS)
	@BUILD=$(BUILD) scripts/demo.sh

# --- benchmarks ----------------------------------------------------------------------
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lpq -lcurl

$(BUILD)/obj/bench/%.o: bench/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I/usr/include/postgresql $(WARN) -MMD -MP -c $< -o $@

bench: deps-check $(BINS) $(BENCH_BINS)
	@BUILD=$(BUILD) bench/run.sh

# --- fuzzing (clang, libFuzzer) --------------------------------------------------------
fuzz:
	@BUILD=$(BUILD) tests/fuzz/build.sh

format:
	clang-format -i $(wildcard common/*.[ch] services/*/*.[ch] tools/*/*.[ch] tests/unit/*.c bench/*.c tests/fuzz/*.c)

clean:
	rm -rf build
