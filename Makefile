# sealtap build. The pipeline is visible:
#   bpf/*.bpf.c -> build/*.bpf.o -> build/*.skel.h -> agent objects -> build/sealtap-agent
# Quiet unless V=1.
.DELETE_ON_ERROR:
# Keep BPF objects and skeletons: they are intermediate but dear to rebuild.
.SECONDARY:
.DEFAULT_GOAL := all

# SAN=1: everything built with AddressSanitizer and UndefinedBehaviorSanitizer,
# in its own directory (make test SAN=1 runs every test against that build).
ifeq ($(SAN),1)
BUILD      ?= build-san
CFLAGS     ?= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
BUILD      ?= build
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
PYTHON     ?= /usr/bin/python3
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN       := -Wall -Wextra -Werror
CFLAGS     ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11 -I$(BUILD) -I$(BUILD)/proto -Ibpf -Iagent -Iproto -D_GNU_SOURCE
LDLIBS_AGENT := -lbpf -lelf -lz -lbrotlidec -lnghttp2 -lhs -lcrypto -lm -lyaml -lprotobuf-c -lcurl -lmicrohttpd
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
              -I$(BUILD) -Ibpf

# Debian packages the build, the tests and the benchmarks need. Hyperscan is
# x86-only; vectorscan is its API-compatible port for arm64.
HS_PKG    := $(if $(filter x86,$(ARCH)),libhyperscan-dev,libvectorscan-dev)
DEPS_PKGS := clang libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev libssl-dev libcmocka-dev \
             libjsmn-dev libbrotli-dev libnghttp2-dev $(HS_PKG) libyaml-dev \
             protobuf-c-compiler libprotobuf-c-dev python3-cryptography \
             libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libpq-dev postgresql libcurl4-openssl-dev sqlite3 \
             make python3 python3-yaml curl openssl nginx-light nodejs util-linux prometheus systemd binutils

AGENT_SRCS := $(wildcard agent/*.c)
AGENT_OBJS := $(patsubst agent/%.c,$(BUILD)/agent/%.o,$(AGENT_SRCS))
# The evidence format and what agent and collector share: the protobuf-c
# code generated from proto/evidence.proto, Merkle trees, signed notes.
PROTO_GEN  := $(BUILD)/proto/evidence.pb-c.c $(BUILD)/proto/evidence.pb-c.h
PROTO_SRCS := $(wildcard proto/*.c)
PROTO_OBJS := $(patsubst proto/%.c,$(BUILD)/proto/%.o,$(PROTO_SRCS)) $(BUILD)/proto/evidence.pb-c.o
BPF_PROGS  := sslsniff bench_empty
SKELS      := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps run test unit bench clean fuzz fuzzers fuzz-replay soak

all: $(BUILD)/sealtap-agent $(BUILD)/sealtap-collector $(UNIT_TESTS) $(BUILD)/tlsloop $(BUILD)/bench-empty $(BUILD)/decode-bench \
     $(BUILD)/classify-bench $(BUILD)/note-example $(BUILD)/evidence-bench $(BUILD)/drift-bench

$(BUILD) $(BUILD)/agent $(BUILD)/tests $(BUILD)/proto $(BUILD)/collector:
	$(Q)mkdir -p $@

$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "no kernel BTF at /sys/kernel/btf/vmlinux: sealtap needs CONFIG_DEBUG_INFO_BTF" >&2; exit 2; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/*.h $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/agent/%.o: agent/%.c agent/*.h proto/*.h bpf/sslsniff.h $(SKELS) $(PROTO_GEN) | $(BUILD)/agent
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The collector: its own modules and the shared proto/ code.
COLLECTOR_OBJS := $(patsubst collector/%.c,$(BUILD)/collector/%.o,$(wildcard collector/*.c))
LDLIBS_COLLECTOR := -lmicrohttpd -lgnutls -lsqlite3 -lpq -lcurl -lyaml -lprotobuf-c -lcrypto -lpthread
$(BUILD)/collector/%.o: collector/%.c collector/*.h proto/*.h $(PROTO_GEN) | $(BUILD)/collector
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Icollector -I/usr/include/postgresql -c $< -o $@

$(BUILD)/sealtap-collector: $(COLLECTOR_OBJS) $(PROTO_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_COLLECTOR)

$(PROTO_GEN) &: proto/evidence.proto | $(BUILD)/proto
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

$(BUILD)/proto/%.o: proto/%.c proto/*.h $(PROTO_GEN) | $(BUILD)/proto
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/proto/evidence.pb-c.o: $(BUILD)/proto/evidence.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/sealtap-agent: $(AGENT_OBJS) $(PROTO_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS_AGENT)

# Unit tests: one binary per module, linking the module under test and the
# few modules it stands on (TEST_MODS_x), nothing else.
TEST_MODS_llm      := exchange jsonview jsontok
TEST_MODS_jsonview := exchange jsontok
TEST_MODS_sse      := exchange
TEST_MODS_identity := procfs
TEST_MODS_session  := http1 http2 decode sse llm jsonview jsontok exchange identity procfs record
TEST_MODS_validate := hash jsonview jsontok exchange
TEST_MODS_classify := gate hash detectors validate jsonview jsontok exchange
TEST_LIBS_validate := -lcrypto -lm
TEST_LIBS_hash     := -lcrypto
TEST_LIBS_classify := -lhs -lcrypto -lm
TEST_MODS_detector_config := classify gate hash detectors validate jsonview jsontok exchange
TEST_SRCS_detector_config := proto/yaml_options.c
TEST_LIBS_detector_config := -lhs -lcrypto -lm -lyaml
TEST_MODS_evidence := spool detectors validate hash jsonview jsontok exchange
TEST_SRCS_evidence := proto/tlog.c proto/note.c proto/hex.c proto/keyfile.c $(BUILD)/proto/evidence.pb-c.c
TEST_LIBS_evidence := -lprotobuf-c -lcrypto -lz -lm
TEST_LIBS_elfsym   := -lelf
TEST_LIBS_decode   := -lz -lbrotlidec -lbrotlienc
TEST_LIBS_spool    := -lz
TEST_LIBS_http2    := -lnghttp2
TEST_LIBS_session  := -lz -lbrotlidec -lnghttp2
TEST_LIBS_drift_stats := -lm
TEST_MODS_drift_features := exchange jsonview jsontok
TEST_LIBS_drift_features := -lm
TEST_MODS_drift := drift_stats drift_features banned evidence spool exchange detectors validate hash jsonview jsontok
TEST_SRCS_drift := $(TEST_SRCS_evidence) proto/json.c
TEST_LIBS_drift := -lhs -lprotobuf-c -lcrypto -lz -lm
.SECONDEXPANSION:
# (addprefix, not patsubst: in a pattern rule '%' would be taken for the stem.)
$(BUILD)/tests/test_%: tests/unit/test_%.c agent/%.c $$(addprefix agent/,$$(addsuffix .c,$$(TEST_MODS_$$*))) $$(TEST_SRCS_$$*) agent/*.h | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DFIXTURES='"$(CURDIR)/tests/fixtures"' $< agent/$*.c \
		$(addprefix agent/,$(addsuffix .c,$(TEST_MODS_$*))) $(TEST_SRCS_$*) -o $@ -lcmocka $(TEST_LIBS_$*)

# Unit tests of the shared evidence code (proto/): the module and the few it
# stands on.
PROTO_UNIT_TESTS := $(patsubst proto/%.c,$(BUILD)/tests/test_%,$(filter $(patsubst tests/unit/test_%.c,proto/%.c,$(wildcard tests/unit/test_*.c)),$(PROTO_SRCS)))
TEST_MODS_note := tlog hex
$(PROTO_UNIT_TESTS): $(BUILD)/tests/test_%: tests/unit/test_%.c proto/%.c $$(addprefix proto/,$$(addsuffix .c,$$(TEST_MODS_$$*))) proto/*.h | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< proto/$*.c $(addprefix proto/,$(addsuffix .c,$(TEST_MODS_$*))) -o $@ -lcmocka -lcrypto

# The evidence path, agent side, for make bench.
EVIDENCE_BENCH_MODS := evidence spool ship exchange detectors validate hash jsonview jsontok
$(BUILD)/evidence-bench: tests/bench/evidence_bench.c $(patsubst %,agent/%.c,$(EVIDENCE_BENCH_MODS)) $(PROTO_OBJS) agent/*.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(patsubst %,agent/%.c,$(EVIDENCE_BENCH_MODS)) $(PROTO_OBJS) -o $@ \
		-lprotobuf-c -lcrypto -lcurl -lyaml -lz -lm

# Drift detection on synthetic streams, for make bench.
DRIFT_BENCH_MODS := drift drift_stats drift_features banned evidence spool exchange detectors validate hash jsonview jsontok
$(BUILD)/drift-bench: tests/bench/drift_bench.c $(patsubst %,agent/%.c,$(DRIFT_BENCH_MODS)) $(PROTO_OBJS) agent/*.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(patsubst %,agent/%.c,$(DRIFT_BENCH_MODS)) $(PROTO_OBJS) -o $@ \
		-lhs -lprotobuf-c -lcrypto -lyaml -lz -lm

# Test helpers.
$(BUILD)/note-example: tests/tools/note_example.c proto/note.c proto/tlog.c proto/hex.c proto/*.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< proto/note.c proto/tlog.c proto/hex.c -o $@ -lcrypto

# Benchmark helpers.
$(BUILD)/tlsloop: tests/bench/tlsloop.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lssl -lcrypto
$(BUILD)/bench-empty: tests/bench/bench_empty.c $(BUILD)/bench_empty.skel.h agent/elfsym.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< agent/elfsym.c -o $@ $(LDLIBS_AGENT)

# The decoding stack: the session module and what its unit test links.
DECODE_MODS := session $(TEST_MODS_session)
$(BUILD)/decode-bench: tests/bench/decode_bench.c $(patsubst %,agent/%.c,$(DECODE_MODS)) agent/*.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(patsubst %,agent/%.c,$(DECODE_MODS)) -o $@ -lz -lbrotlidec -lnghttp2

# The classifier and what it stands on.
CLASSIFY_MODS := classify $(TEST_MODS_classify)
$(BUILD)/classify-bench: tests/bench/classify_bench.c $(patsubst %,agent/%.c,$(CLASSIFY_MODS)) agent/*.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(patsubst %,agent/%.c,$(CLASSIFY_MODS)) -o $@ $(TEST_LIBS_classify)

# Installs what is missing, and nothing when all is present. npm is checked
# by command: it ships inside some nodejs builds and conflicts with Debian's
# npm package there.
deps:
	$(Q)missing=$$(for p in $(DEPS_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install packages" >&2; exit 2; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi; \
	command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }

# The agent on every process, shipping to a collector on loopback (keys,
# certificate and store made on first run under /var/lib/sealtap-local).
run: deps all
	sh deploy/local/run.sh $(BUILD)

# The unit tests alone (CI also runs them with SAN=1).
unit: deps all
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --no-e2e

test: deps all fuzzers
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)$(PYTHON) tests/run.py --build $(BUILD)

BENCH_FIXTURES := openai_chat_sse openai_chat_h2_sse anthropic_sse ollama_ndjson openai_chat_gzip
bench: deps all
	$(Q)$(PYTHON) tests/bench/probe_cost.py --build $(BUILD)
	$(Q)echo "decode throughput, one core, one connection per exchange (fixtures from tests/fixtures):"
	$(Q)for f in $(BENCH_FIXTURES); do ./$(BUILD)/decode-bench tests/fixtures $$f 2 || exit 1; done
	$(Q)echo "the same, 20 exchanges per connection (keep-alive; HTTP/2 streams 1, 3, 5...):"
	$(Q)for f in openai_chat_sse openai_chat_h2_sse; do ./$(BUILD)/decode-bench tests/fixtures $$f 2 20 || exit 1; done
	$(Q)echo "classifier quality on the labelled corpus (tests/corpus):"
	$(Q)./$(BUILD)/classify-bench quality tests/corpus/corpus.jsonl | tail -1
	$(Q)echo "classifier speed, one core:"
	$(Q)./$(BUILD)/classify-bench speed tests/corpus/corpus.jsonl 100
	$(Q)echo "evidence, end to end (agent -> collector over TLS, verified and stored; SQLite, then PostgreSQL):"
	$(Q)$(PYTHON) tests/bench/evidence_bench.py --build $(BUILD)
	$(Q)$(PYTHON) tests/bench/evidence_bench.py --build $(BUILD) --postgres
	$(Q)echo "drift detection on synthetic streams (delays in responses; false alarms per 100,000 per key):"
	$(Q)./$(BUILD)/drift-bench 10 100000 10

# ---- fuzzing (libFuzzer, clang): one harness per parser of hostile input ----
# `make fuzz` runs each for FUZZ_SECONDS; `make test` replays the committed
# seed corpora (tests/fuzz/corpus, from tests/fuzz/make_seeds.py) and runs
# each harness briefly. New inputs go to $(FUZZ_BUILD)/corpus, not the repository.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_BRIEF   ?= 3
FUZZ_TARGETS := session http2 llm json record classify config batch proof
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11 \
                -D_GNU_SOURCE -I$(BUILD) -I$(BUILD)/proto -Ibpf -Iagent -Iproto -Icollector -I/usr/include/postgresql
FUZZ_COLLECTOR := collector/ingest.c collector/store.c collector/store_sqlite.c collector/store_pg.c \
                  collector/verify.c collector/export.c collector/webhook.c proto/tlog.c proto/note.c proto/hex.c \
                  proto/json.c proto/event_json.c proto/keyfile.c $(BUILD)/proto/evidence.pb-c.c
FUZZ_SRCS_session  := $(patsubst %,agent/%.c,session $(TEST_MODS_session))
FUZZ_LIBS_session  := $(TEST_LIBS_session)
FUZZ_SRCS_http2    := agent/http2.c
FUZZ_LIBS_http2    := -lnghttp2
FUZZ_SRCS_llm      := $(patsubst %,agent/%.c,llm sse jsonview jsontok exchange)
FUZZ_SRCS_json     := agent/jsontok.c
FUZZ_SRCS_record   := agent/record.c
FUZZ_SRCS_classify := $(patsubst %,agent/%.c,$(CLASSIFY_MODS))
FUZZ_LIBS_classify := $(TEST_LIBS_classify)
FUZZ_SRCS_config   := agent/config.c agent/detector_config.c $(patsubst %,agent/%.c,$(CLASSIFY_MODS)) proto/yaml_options.c
FUZZ_LIBS_config   := -lhs -lyaml -lcrypto -lm
FUZZ_SRCS_batch    := $(FUZZ_COLLECTOR)
FUZZ_LIBS_batch    := -lsqlite3 -lpq -lcurl -lprotobuf-c -lcrypto -lpthread
FUZZ_SRCS_proof    := $(FUZZ_COLLECTOR)
FUZZ_LIBS_proof    := $(FUZZ_LIBS_batch)
FUZZERS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_BUILD):
	$(Q)mkdir -p $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*) $(PROTO_GEN) agent/*.h collector/*.h proto/*.h | $(FUZZ_BUILD)
	$(call msg,FUZZ,$@)
	$(Q)clang $(FUZZ_CFLAGS) $< $(FUZZ_SRCS_$*) -o $@ $(FUZZ_LIBS_$*)

fuzzers: $(FUZZERS)

fuzz: deps $(FUZZERS)
	$(Q)for t in $(FUZZ_TARGETS); do mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
		./$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; done

# The seeds replayed, then a few seconds of fuzzing each (new inputs to a scratch directory).
fuzz-replay: $(FUZZERS)
	$(Q)for t in $(FUZZ_TARGETS); do rm -rf $(FUZZ_BUILD)/scratch/$$t; mkdir -p $(FUZZ_BUILD)/scratch/$$t; \
		./$(FUZZ_BUILD)/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t >$(FUZZ_BUILD)/$$t.replay.log 2>&1 || \
			{ cat $(FUZZ_BUILD)/$$t.replay.log; echo "fuzz replay failed: $$t"; exit 1; }; \
		./$(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_BRIEF) -seed=1 $(FUZZ_BUILD)/scratch/$$t tests/fuzz/corpus/$$t \
			>$(FUZZ_BUILD)/$$t.brief.log 2>&1 || { tail -50 $(FUZZ_BUILD)/$$t.brief.log; echo "fuzzing failed: $$t"; exit 1; }; \
		echo "fuzz $$t: corpus replayed, $(FUZZ_BRIEF) s fuzzed: $$(grep -o 'stat::number_of_executed_units: [0-9]*' $(FUZZ_BUILD)/$$t.brief.log | grep -o '[0-9]*$$' || tail -1 $(FUZZ_BUILD)/$$t.brief.log | cut -c1-60)"; \
	done

# Thousands of live TLS connections opened, used, cut and closed under the
# agent, clients killed mid-request; RSS, descriptors and tracked connections
# reported and checked (tests/soak/soak.py). Bounded: about two minutes.
soak: deps all
	$(Q)$(PYTHON) tests/soak/soak.py --build $(BUILD) --connections 10000 --rounds 3

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
