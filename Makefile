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
# INC is set per object below (which part it belongs to decides what it may include).
CFLAGS_ALL = $(BASE_CFLAGS) $(SAN_FLAGS) $(INC) $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN_FLAGS) $(LDFLAGS)

# --- the parts and their folders -------------------------------------------------------
# Three parts, each compiled with only the include paths it needs:
#   common    the library every program links (store, stream, link, parsers, ...); sees
#             itself and the generated protobuf-c headers, nothing else
#   services  services/<svc>/ (node is only a main.c); see common, and services/ so that
#             "intake/intake.h" names one service's header from another
#   CLI       accordctl; sees common (and its own folder); not in libaccord.a
# A new folder of common code is one word added to COMMON_DIRS: its *.c join the library
# and it joins the include path of everything that sees common.
COMMON_DIRS := common
CTL_DIRS := tools/accordctl
SERVICES := $(filter-out node,$(notdir $(wildcard services/*)))

GEN_INC := -I$(BUILD)/gen
COMMON_INC := $(addprefix -I,$(COMMON_DIRS)) $(GEN_INC)
SVC_INC := $(COMMON_INC) -Iservices
CTL_INC := $(COMMON_INC) $(addprefix -I,$(CTL_DIRS))
TEST_INC := $(SVC_INC) -Itests/support

# --- sources -------------------------------------------------------------------------
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PROTOS := $(wildcard proto/accord/v1/*.proto)
GEN_C := $(patsubst proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)
GEN_O := $(GEN_C:.c=.o)

COMMON_SRC := $(wildcard $(addsuffix /*.c,$(COMMON_DIRS)))
COMMON_O := $(call obj,$(COMMON_SRC))

SVC_SRC := $(wildcard services/*/*.c)
SVC_O := $(call obj,$(SVC_SRC))
SVC_LIB_O := $(call obj,$(filter-out %/main.c,$(SVC_SRC)))

CTL_SRC := $(wildcard $(addsuffix /*.c,$(CTL_DIRS)))
CTL_O := $(call obj,$(CTL_SRC))
CTL_LIB_O := $(filter-out %/main.o,$(CTL_O))

LIB := $(BUILD)/lib/libaccord.a
CTL_LIB := $(BUILD)/lib/libaccordctl.a
BINS := $(BUILD)/bin/accord-node $(BUILD)/bin/accordctl \
        $(foreach s,$(SERVICES),$(BUILD)/bin/accord-$(s))

# Unit tests named test_ctl_* test the CLI's own code: they alone see its headers and link
# its archive.
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_O := $(call obj,$(UNIT_SRC))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
CTL_UNIT_BINS := $(filter $(BUILD)/tests/test_ctl_%,$(UNIT_BINS))
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SUPPORT_O := $(call obj,$(TEST_SUPPORT_SRC))

TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_O := $(call obj,$(TOOL_SRC))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

BENCH_SRC := $(wildcard bench/*.c)
BENCH_O := $(call obj,$(BENCH_SRC))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

# Which include paths each object sees (see "the parts" above). Every object list needs a
# line here: an object with none is compiled without any -I and fails at its first include.
$(COMMON_O): INC := $(COMMON_INC)
$(SVC_O): INC := $(SVC_INC)
$(CTL_O): INC := $(CTL_INC)
$(UNIT_O) $(TEST_SUPPORT_O): INC := $(TEST_INC)
$(call obj,$(filter tests/unit/test_ctl_%,$(UNIT_SRC))): INC := $(CTL_INC) -Itests/support
$(TOOL_O): INC := $(COMMON_INC)
$(BENCH_O): INC := $(COMMON_INC) -I/usr/include/postgresql

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
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(GEN_INC) $(PKG_CFLAGS) -w -c $< -o $@

# --- our objects ---------------------------------------------------------------------
# Header dependencies come from the compiler (-MMD -MP writes a .d beside each object,
# read below): an object is rebuilt when any header it includes, ours or generated,
# changes. The generated headers are order-only here: they must exist before the first
# compile, but a changed .proto rebuilds only the objects whose .d names its header.
$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(WARN) -MMD -MP -c $< -o $@

-include $(wildcard $(patsubst %.o,%.d,$(COMMON_O) $(SVC_O) $(CTL_O) $(UNIT_O) \
                    $(TEST_SUPPORT_O) $(TOOL_O) $(BENCH_O)))

$(LIB): $(GEN_O) $(COMMON_O) $(SVC_LIB_O)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CTL_LIB): $(CTL_LIB_O)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/accord-%: $(BUILD)/obj/services/%/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bin/accordctl: $(call obj,$(filter %/main.c,$(CTL_SRC))) $(CTL_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# --- tests ---------------------------------------------------------------------------
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(TEST_SUPPORT_O) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs cmocka)

$(CTL_UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_O) $(CTL_LIB) $(LIB)
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
$(FAULT_ENV_O): INC := $(COMMON_INC)
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

bench: deps-check $(BINS) $(BENCH_BINS)
	@BUILD=$(BUILD) bench/run.sh

# --- fuzzing (clang, libFuzzer) --------------------------------------------------------
# The script compiles common with common's include paths, the targets with the services'
# (fuzz_http_json includes an intake source).
fuzz:
	@BUILD=$(BUILD) FUZZ_COMMON_SRC="$(COMMON_SRC)" FUZZ_COMMON_INC="$(COMMON_INC)" \
	    FUZZ_TARGET_INC="$(SVC_INC)" tests/fuzz/build.sh

format:
	clang-format -i $(wildcard $(foreach d,$(COMMON_DIRS) services/* $(CTL_DIRS),$(d)/*.[ch]) \
	    tests/unit/*.c tests/support/*.[ch] tests/tools/*.c bench/*.c tests/fuzz/*.[ch])

clean:
	rm -rf build
