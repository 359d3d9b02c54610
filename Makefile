# Pulsora — one Makefile for everything.
#
# Default mode builds pulsorad, pulsora-cli, the unit tests and (through a
# recursive call of this same file in PGXS mode) the PostgreSQL extension.
# PGXS mode (PULSORA_PGXS=1) is entered only by those recursive calls: PGXS
# defines its own `check`, which would clash with ours.

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config

# Sources shared by the owner and the extension: no RocksDB, no PostgreSQL.
CLIENT_CORE_SRCS = src/core/ps_error.c src/core/ps_buf.c src/core/ps_types.c \
                   src/core/ps_time.c src/core/ps_time_format.c src/core/ps_tz.c src/core/ps_row.c
CLIENT_PROTO_SRCS = src/proto/ps_frame_io.c src/proto/ps_frame_prim.c src/proto/ps_frame_filter.c \
                    src/proto/ps_frame_msg.c src/proto/ps_frame_rows.c src/proto/ps_frame_agg.c \
                    src/proto/ps_frame_ops.c src/proto/ps_transport.c src/proto/ps_tls_client.c \
                    src/proto/ps_client.c src/proto/ps_client_call.c src/proto/ps_client_catalog.c \
                    src/proto/ps_client_scan.c src/proto/ps_client_load.c src/proto/ps_client_ops.c \
                    src/proto/ps_client_remote.c

ifdef PULSORA_PGXS
# ---------------------------------------------------------------- extension
MODULE_big = pulsora
EXTENSION = pulsora
DATA = sql/pulsora--0.1.sql
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/fdw/*.c)) $(CLIENT_CORE_SRCS) $(CLIENT_PROTO_SRCS))
PG_CPPFLAGS = -Isrc
# The protocol client's TLS (ps_tls_client.c).
SHLIB_LINK = -lgnutls
# PostgreSQL's headers are not -Wextra clean; everything else stays strict.
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
            -Wno-missing-field-initializers -Wno-clobbered
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
$(OBJS): $(wildcard src/*/*.h)
else
# ---------------------------------------------------------------- owner, tools, tests
CC ?= cc
BUILD = build
SANITIZE ?=
OPT ?= -O2
CFLAGS_BASE = -std=gnu11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror -fPIC -pthread -Isrc
ifeq ($(SANITIZE),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_SAN = -fsanitize=address,undefined
BUILD = build-san
endif
LIBS = -lrocksdb -lcsv -llz4 -lmicrohttpd -lgnutls -ljansson -lpthread -lm

CORE_SRCS = $(sort $(wildcard src/core/*.c))
PROTO_SRCS = $(sort $(wildcard src/proto/*.c))
SERVER_SRCS = $(filter-out src/server/cli_%.c,$(sort $(wildcard src/server/*.c)))
UNIT_SRCS = $(sort $(wildcard test/unit/test_*.c))

CORE_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS) $(PROTO_SRCS))
SERVER_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(SERVER_SRCS))
UNIT_BINS = $(patsubst test/unit/%.c,$(BUILD)/test/%,$(UNIT_SRCS))

PGBIN = $(shell $(PG_CONFIG) --bindir 2>/dev/null)

.PHONY: all deps build ext ext-install install deb check unit run stop bench fuzz soak clean
all: build ext

build: $(BUILD)/pulsorad $(BUILD)/pulsora-cli $(UNIT_BINS) $(BUILD)/test/gen_ticks $(BUILD)/test/bench_block \
       $(BUILD)/test/bench_time_format

$(BUILD)/%.o: %.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -c $< -o $@

$(BUILD)/libpulsora.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

# The owner's modules, less main(), for the unit tests.
$(BUILD)/libpulsora_server.a: $(filter-out $(BUILD)/src/server/main.o,$(SERVER_OBJS))
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pulsorad: $(SERVER_OBJS) $(BUILD)/libpulsora.a
	$(CC) $(LDFLAGS_SAN) -o $@ $(SERVER_OBJS) $(BUILD)/libpulsora.a $(LIBS)

# The CLI's aggregate and latest use REST's parsers and writers (pure modules).
CLI_OBJS = $(patsubst %.c,$(BUILD)/%.o,src/server/cli_main.c src/server/cli_groups.c src/server/cli_ops.c \
           src/server/cli_connect.c \
           src/server/ps_rest_params.c src/server/ps_rest_format.c src/server/ps_rest_groups.c)
$(BUILD)/pulsora-cli: $(CLI_OBJS) $(BUILD)/libpulsora.a
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(LIBS)

$(BUILD)/test/gen_ticks: test/bench/gen_ticks.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) -o $@ $< -lm

$(BUILD)/test/bench_block: test/bench/bench_block.c $(BUILD)/libpulsora.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(LDFLAGS_SAN) -o $@ $< $(BUILD)/libpulsora.a -lm

$(BUILD)/test/bench_time_format: test/bench/bench_time_format.c $(BUILD)/libpulsora.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(LDFLAGS_SAN) -o $@ $< $(BUILD)/libpulsora.a -lm

$(BUILD)/test/%: test/unit/%.c $(BUILD)/libpulsora_server.a $(BUILD)/libpulsora.a $(wildcard test/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(LDFLAGS_SAN) -o $@ $< $(BUILD)/libpulsora_server.a $(BUILD)/libpulsora.a $(LIBS) -lcmocka

ext:
	$(MAKE) PULSORA_PGXS=1 with_llvm=no all

# Installs the extension and pulsorad into PostgreSQL's directories (root).
ext-install: ext $(BUILD)/pulsorad
	$(MAKE) PULSORA_PGXS=1 with_llvm=no install
	install -m 0755 $(BUILD)/pulsorad $(PGBIN)/pulsorad

install: ext-install

# The Debian package postgresql-15-pulsora_VERSION_amd64.deb, into $(BUILD)
# (packaging/build-deb.sh).  Like ext-install, it takes pulsora.so from the
# source tree.
deb: ext $(BUILD)/pulsorad $(BUILD)/pulsora-cli
	@PG_CONFIG=$(PG_CONFIG) sh packaging/build-deb.sh $(BUILD)

deps:
	@sh test/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) ext-install
	@sh test/run_all.sh $(BUILD)

unit: build
	@sh test/run_all.sh $(BUILD) unit

run: deps
	$(MAKE) all
	$(MAKE) ext-install
	@bash test/run_demo.sh $(BUILD)

# libFuzzer targets: each test/fuzz/fuzz_X.c runs FUZZ_SECONDS on its seed
# corpus test/fuzz/corpus/X (new inputs go to build/fuzz/corpus-X, crashes
# to test/fuzz/artifacts/).
FUZZ_SECONDS ?= 60
FUZZ_SRCS = $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS = $(patsubst test/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB_SRCS = $(CORE_SRCS) $(PROTO_SRCS) $(filter-out src/server/main.c,$(SERVER_SRCS))

build/fuzz/%: test/fuzz/%.c $(FUZZ_LIB_SRCS) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Isrc \
		-o $@ $< $(FUZZ_LIB_SRCS) $(LIBS)

fuzz: deps $(FUZZ_BINS)
	@mkdir -p test/fuzz/artifacts
	@failed=0; for b in $(FUZZ_BINS); do \
		n=$$(basename $$b | sed 's/^fuzz_//'); mkdir -p build/fuzz/corpus-$$n; \
		echo "== fuzzing $$n for $(FUZZ_SECONDS)s"; \
		if ! $$b -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=test/fuzz/artifacts/ build/fuzz/corpus-$$n test/fuzz/corpus/$$n \
			>build/fuzz/$$n.log 2>&1; then failed=1; tail -n 30 build/fuzz/$$n.log; fi; \
		grep -E 'stat::number_of_executed_units' build/fuzz/$$n.log; done; \
	exit $$failed

# The long forms of the crash and concurrency suites (make check runs short ones).
SOAK_CYCLES ?= 100
SOAK_SECONDS ?= 600
soak: deps build
	bash test/crash/test_crash.sh $(BUILD) $(SOAK_CYCLES)
	bash test/sql/test_sql_crash.sh $(BUILD) $(SOAK_CYCLES)
	CONCURRENCY_SECONDS=$(SOAK_SECONDS) bash test/hostile/test_concurrency.sh $(BUILD)

# Stops what `make run` started.
stop:
	-@for d in $${PULSORA_DATA:-$$PWD/data} /var/tmp/pulsora-demo/data; do \
		[ -f $$d/pulsorad.pid ] && kill $$(cat $$d/pulsorad.pid) 2>/dev/null; done; true
	-@[ -f /var/tmp/pulsora-demo-pg/data/postmaster.pid ] && \
		runuser -u postgres -- $(PGBIN)/pg_ctl -D /var/tmp/pulsora-demo-pg/data -m fast stop; true

bench: deps
	$(MAKE) all
	$(MAKE) ext-install
	@bash test/bench/run.sh $(BUILD)
	@bash test/bench/scaleout.sh $(BUILD)

clean:
	rm -rf build build-san
	$(MAKE) PULSORA_PGXS=1 with_llvm=no clean
endif
