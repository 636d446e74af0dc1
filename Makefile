# sealtap build. The pipeline is visible:
#   bpf/*.bpf.c -> build/*.bpf.o -> build/*.skel.h -> agent objects -> build/sealtap-agent
# Quiet unless V=1.
.DELETE_ON_ERROR:
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
override CFLAGS += $(WARN) -std=gnu11 -I$(BUILD) -I$(BUILD)/proto -Ibpf -Iproto -D_GNU_SOURCE
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
              -I$(BUILD) -Ibpf

# Debian packages the build, the tests and the benchmarks need. Hyperscan is
# x86-only; vectorscan is its API-compatible port for arm64.
HS_PKG    := $(if $(filter x86,$(ARCH)),libhyperscan-dev,libvectorscan-dev)
DEPS_PKGS := clang libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev libssl-dev libcmocka-dev \
             libjsmn-dev libbrotli-dev libnghttp2-dev $(HS_PKG) libyaml-dev \
             protobuf-c-compiler libprotobuf-c-dev python3-cryptography \
             libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libpq-dev postgresql libcurl4-openssl-dev sqlite3 \
             make python3 python3-yaml python3-pytest curl openssl nginx-light nodejs util-linux iproute2 python3-h2 gnutls-bin golang-go libcapstone-dev prometheus systemd binutils chromium poppler-utils

# ---- the agent: one static library per stage --------------------------------
# Each stage is a folder of agent/ and a library; STAGE_USES_x names the stages
# x stands on. A stage's include path holds only itself, the stages it uses,
# agent/ (headers every stage shares) and proto/, so a call upstream does not
# compile: the one-way order is enforced by the build, not by prose.
STAGES := evidence decode capture judge drift ops
STAGE_USES_evidence :=
STAGE_USES_decode   :=
STAGE_USES_capture  := decode
STAGE_USES_judge    := decode evidence
STAGE_USES_drift    := judge decode evidence
STAGE_USES_ops      := decode
# What each stage links besides its own libraries.
STAGE_LIBS_evidence := -lcurl -lprotobuf-c -lcrypto -lz
STAGE_LIBS_decode   := -lz -lbrotlidec -lnghttp2
STAGE_LIBS_capture  := -lbpf -lelf -lz -lcapstone
STAGE_LIBS_judge    := -lhs -lyaml -lcrypto -lm
STAGE_LIBS_drift    := -lm
STAGE_LIBS_ops      := -lmicrohttpd
# A stage before the ones it uses, as a static link needs them.
LINK_ORDER := ops drift judge capture decode evidence

# stage_closure(s): s and every stage below it.
stage_closure = $(sort $(1) $(foreach d,$(STAGE_USES_$(1)),$(call stage_closure,$(d))))
# stage_link(build, stages): their libraries in link order, then proto's, then system libraries.
stage_link = $(foreach s,$(LINK_ORDER),$(if $(filter $(s),$(foreach t,$(2),$(call stage_closure,$(t)))),$(1)/agent/lib$(s).a)) \
             $(1)/proto/libproto.a $(sort $(foreach t,$(2),$(foreach s,$(call stage_closure,$(t)),$(STAGE_LIBS_$(s))))) \
             $(PROTO_LIBS)
# stage_inc(s): the include path of stage s; files at agent/'s top (main,
# config) see every stage.
stage_inc = -Iagent $(if $(filter $(STAGES),$(1)),$(addprefix -Iagent/,$(1) $(STAGE_USES_$(1))),$(addprefix -Iagent/,$(STAGES)))
# The stage a source file belongs to (agent/judge/gate.c -> judge).
stage_of = $(word 2,$(subst /, ,$(1)))

# The evidence format and what agent and collector share: the protobuf-c
# code generated from proto/evidence.proto, Merkle trees, signed notes.
PROTO_GEN  := $(BUILD)/proto/evidence.pb-c.c $(BUILD)/proto/evidence.pb-c.h
PROTO_SRCS := $(wildcard proto/*.c)
PROTO_LIBS := -lprotobuf-c -lyaml -lcrypto
BPF_PROGS  := sslsniff bench_empty
SKELS      := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))
# Generated headers every object may include: made before any object, then
# tracked per object by the compiler's dependency files.
GENERATED  := $(SKELS) $(PROTO_GEN)
DEPFLAGS    = -MMD -MP
# Keep BPF objects: intermediate between source and skeleton, but dear to rebuild.
.SECONDARY: $(patsubst %,$(BUILD)/%.bpf.o,$(BPF_PROGS))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
AGENT_LIBS := $(patsubst %,$(BUILD)/agent/lib%.a,$(STAGES))
# Go programs of the tests (tests/go), with symbols and stripped.
GO_PROGRAMS := $(foreach p,$(notdir $(wildcard tests/go/*)),$(BUILD)/go/$(p) $(BUILD)/go/$(p)-stripped)

.PHONY: all deps run demo test unit bench clean fuzz fuzzers fuzz-replay soak docs

all: $(BUILD)/sealtap-agent $(BUILD)/sealtap-collector $(UNIT_TESTS) $(BUILD)/tlsloop $(BUILD)/sockloop $(BUILD)/bench-empty $(BUILD)/decode-bench \
     $(BUILD)/classify-bench $(BUILD)/note-example $(BUILD)/evidence-bench $(BUILD)/drift-bench $(GO_PROGRAMS) \
     $(BUILD)/static-tls

$(BUILD)/vmlinux.h:
	$(call msg,BTF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "no kernel BTF at /sys/kernel/btf/vmlinux: sealtap needs CONFIG_DEBUG_INFO_BTF" >&2; exit 2; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

.SECONDEXPANSION:
# (addprefix, not patsubst, in prerequisites: in a pattern rule '%' would be
# taken for the stem.)

# Every object and library named, so that make treats none as an
# intermediate to delete or to skip when missing.
$(patsubst %.c,$(BUILD)/%.o,$(wildcard agent/*.c agent/*/*.c proto/*.c collector/*.c)) $(AGENT_LIBS) \
$(BUILD)/proto/libproto.a $(BUILD)/collector/libcollector.a:

# The console's files are assembled into this object (.incbin).
$(BUILD)/collector/console.o: $(wildcard console/*)

$(BUILD)/agent/%.o: agent/%.c | $(GENERATED)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(call stage_inc,$(call stage_of,$<)) $(DEPFLAGS) -c $< -o $@

# The stage's folder is a prerequisite too: a file moved out of it must
# leave the archive, though no object of those left changed.
$(BUILD)/agent/lib%.a: $$(addprefix $(BUILD)/,$$(addsuffix .o,$$(basename $$(wildcard agent/$$*/*.c)))) agent/$$*
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(PROTO_GEN) &: proto/evidence.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(BUILD)/proto
	$(Q)protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

$(BUILD)/proto/%.o: proto/%.c | $(PROTO_GEN)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/proto/evidence.pb-c.o: $(BUILD)/proto/evidence.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/proto/libproto.a: $(patsubst proto/%.c,$(BUILD)/proto/%.o,$(PROTO_SRCS)) $(BUILD)/proto/evidence.pb-c.o proto
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

AGENT_TOP := $(patsubst agent/%.c,$(BUILD)/agent/%.o,$(wildcard agent/*.c))
$(BUILD)/sealtap-agent: $(AGENT_TOP) $(AGENT_LIBS) $(BUILD)/proto/libproto.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(AGENT_TOP) $(call stage_link,$(BUILD),$(STAGES)) -o $@

# ---- the collector: its modules as a library (the fuzzers link it), and main
COLLECTOR_MODS := $(filter-out collector/main.c,$(wildcard collector/*.c))
COLLECTOR_LIBS := $(BUILD)/collector/libcollector.a $(BUILD)/proto/libproto.a \
                  -lmicrohttpd -lgnutls -lsqlite3 -lpq -lcurl $(PROTO_LIBS) -lpthread
COLLECTOR_INC  := -Icollector -I/usr/include/postgresql
$(BUILD)/collector/%.o: collector/%.c | $(PROTO_GEN)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(COLLECTOR_INC) $(DEPFLAGS) -c $< -o $@

$(BUILD)/collector/libcollector.a: $(patsubst collector/%.c,$(BUILD)/collector/%.o,$(COLLECTOR_MODS)) collector
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(BUILD)/sealtap-collector: $(BUILD)/collector/main.o $(BUILD)/collector/libcollector.a $(BUILD)/proto/libproto.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(COLLECTOR_LIBS) -o $@

# ---- unit tests: one binary per module, linking its stage's library and the
# ones below it (a static link takes only the objects it needs). A test of
# proto/ links proto's library; of collector/, the collector's.
test_module = $(patsubst $(BUILD)/tests/test_%,%,$(1))
test_source = $(firstword $(wildcard agent/*/$(call test_module,$(1)).c proto/$(call test_module,$(1)).c collector/$(call test_module,$(1)).c))
test_stage  = $(call stage_of,$(call test_source,$(1)))
test_where  = $(firstword $(subst /, ,$(call test_source,$(1))))
test_flags  = $(if $(filter agent,$(call test_where,$(1))),$(call stage_inc,$(call test_stage,$(1))),$(if $(filter collector,$(call test_where,$(1))),$(COLLECTOR_INC)))
test_link   = $(if $(filter agent,$(call test_where,$(1))),$(call stage_link,$(BUILD),$(call test_stage,$(1))),$(if $(filter collector,$(call test_where,$(1))),$(COLLECTOR_LIBS),$(BUILD)/proto/libproto.a $(PROTO_LIBS)))
test_deps   = $(if $(filter agent,$(call test_where,$(1))),$(AGENT_LIBS),$(if $(filter collector,$(call test_where,$(1))),$(BUILD)/collector/libcollector.a)) $(BUILD)/proto/libproto.a

$(BUILD)/tests/test_%: tests/unit/test_%.c $$(call test_deps,$$@) | $(GENERATED)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(call test_flags,$@) $(DEPFLAGS) -MT $@ -MF $(@D)/.$(@F).d -DFIXTURES='"$(CURDIR)/tests/fixtures"' $< \
		$(TEST_CFLAGS_$(call test_module,$@)) -o $@ -lcmocka $(call test_link,$@) $(TEST_LIBS_$(call test_module,$@))
# What a test needs beyond its stage: the brotli encoder makes its input;
# the shipping test's peer is an HTTP server.
TEST_LIBS_decode := -lbrotlienc
TEST_LIBS_ship   := -lmicrohttpd
# gosym and goplan read real Go binaries, built here with Debian's toolchain;
# the end-to-end tests run them (GO_PROGRAMS).
TEST_CFLAGS_gosym := -DGO_FIXTURES='"$(CURDIR)/$(BUILD)/go"'
TEST_CFLAGS_goplan := $(TEST_CFLAGS_gosym)
$(BUILD)/tests/test_gosym $(BUILD)/tests/test_goplan: $(GO_PROGRAMS)

# Go test programs: standard library only, GOPATH mode (nothing is fetched),
# caches under the build folder; -stripped without symbols or DWARF.
GO_ENV = GO111MODULE=off GOPATH=$(CURDIR)/$(BUILD)/go/path GOCACHE=$(CURDIR)/$(BUILD)/go/cache GOFLAGS=
$(BUILD)/go/%: tests/go/%/main.go
	$(call msg,GO,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(GO_ENV) go build -trimpath -o $@ $<
$(BUILD)/go/%-stripped: tests/go/%/main.go
	$(call msg,GO,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(GO_ENV) go build -trimpath -ldflags "-s -w" -o $@ $<

# ---- benchmarks and test helpers: each links the stages it measures.
BENCH_STAGE_decode-bench   := decode
BENCH_STAGE_classify-bench := judge
BENCH_STAGE_evidence-bench := evidence
BENCH_STAGE_drift-bench    := drift
BENCH_STAGE_bench-empty    := capture
BENCH_SRC_decode-bench   := tests/bench/decode_bench.c
BENCH_SRC_classify-bench := tests/bench/classify_bench.c
BENCH_SRC_evidence-bench := tests/bench/evidence_bench.c
BENCH_SRC_drift-bench    := tests/bench/drift_bench.c
BENCH_SRC_bench-empty    := tests/bench/bench_empty.c
BENCHES := decode-bench classify-bench evidence-bench drift-bench bench-empty
$(patsubst %,$(BUILD)/%,$(BENCHES)): $(BUILD)/%: $$(BENCH_SRC_$$*) $(AGENT_LIBS) $(BUILD)/proto/libproto.a | $(GENERATED)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(call stage_inc,$(BENCH_STAGE_$*)) $(DEPFLAGS) -MT $@ -MF $(@D)/.$(@F).d $< -o $@ \
		$(call stage_link,$(BUILD),$(BENCH_STAGE_$*))

$(BUILD)/note-example: tests/tools/note_example.c $(BUILD)/proto/libproto.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -MT $@ -MF $(@D)/.$(@F).d $< -o $@ $(BUILD)/proto/libproto.a $(PROTO_LIBS)

$(BUILD)/tlsloop: tests/bench/tlsloop.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lssl -lcrypto

# OpenSSL linked in statically and stripped: a TLS process the agent can't
# probe (the coverage tests). glibc's link-time notes about getaddrinfo in a
# static binary are silenced: the program never resolves a name. Not built
# with CFLAGS: a sanitizer build can't link statically, and this program is
# a test peer, not code under test.
$(BUILD)/static-tls: tests/tools/static_tls.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -Wall -static -s -Wl,--no-warnings $< -o $@ -lssl -lcrypto -lpthread

$(BUILD)/sockloop: tests/bench/sockloop.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@


# The option references are made by the programs from their option tables
# (a test fails when the committed pages differ).
docs: $(BUILD)/sealtap-agent $(BUILD)/sealtap-collector
	$(Q)mkdir -p docs
	$(Q)$(BUILD)/sealtap-agent --options-reference > docs/agent-options.md
	$(Q)$(BUILD)/sealtap-collector serve --options-reference > docs/collector-options.md

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
# On a terminal the script runs as its foreground job (foreground.sh):
# Ctrl-C stops it cleanly and make exits with its status, 0.
run: deps all
	bash deploy/local/foreground.sh sh deploy/local/run.sh $(BUILD)

# Two minutes with a collector, a small TLS model server and the agent on
# it: three leaks caught, the record verified, one value followed.
demo: deps all
	bash deploy/local/foreground.sh bash deploy/local/demo.sh $(BUILD)

# The unit tests alone (CI also runs them with SAN=1).
unit: deps all
	$(Q)$(PYTHON) tests/run.py --build $(BUILD) --no-e2e

test: deps all fuzzers
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)$(PYTHON) tests/run.py --build $(BUILD)

BENCH_FIXTURES := openai_chat_sse openai_chat_h2_sse anthropic_sse ollama_ndjson openai_chat_gzip
bench: deps all
	$(Q)$(PYTHON) tests/bench/probe_cost.py --build $(BUILD)
	$(Q)$(PYTHON) tests/bench/plain_cost.py --build $(BUILD)
	$(Q)$(PYTHON) tests/bench/stream_cost.py --build $(BUILD)
	$(Q)echo "decode throughput, one core, one connection per exchange (fixtures from tests/fixtures):"
	$(Q)for f in $(BENCH_FIXTURES); do ./$(BUILD)/decode-bench tests/fixtures $$f 2 || exit 1; done
	$(Q)echo "the same, 20 exchanges per connection (keep-alive; HTTP/2 streams 1, 3, 5...):"
	$(Q)for f in openai_chat_sse openai_chat_h2_sse; do ./$(BUILD)/decode-bench tests/fixtures $$f 2 20 || exit 1; done
	$(Q)echo "classifier quality on the labelled corpus (tests/corpus):"
	$(Q)./$(BUILD)/classify-bench quality tests/corpus/corpus.jsonl | tail -1
	$(Q)echo "classifier speed, one core:"
	$(Q)./$(BUILD)/classify-bench speed tests/corpus/corpus.jsonl 100
	$(Q)./$(BUILD)/classify-bench tokens tests/corpus/corpus.jsonl 16
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
$(FUZZ_BUILD)/collector/console.o: $(wildcard console/*)
FUZZ_SECONDS ?= 60
FUZZ_BRIEF   ?= 3
FUZZ_TARGETS := session http2 llm json record classify config batch proof
# The fuzzers link the same stage libraries as everything else, built again
# with the fuzzer's coverage instrumentation and the sanitizers.
FUZZ_CFLAGS  := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -std=gnu11 \
                -D_GNU_SOURCE -I$(BUILD) -I$(BUILD)/proto -Ibpf -Iproto
FUZZ_STAGE_session  := decode
FUZZ_STAGE_http2    := decode
FUZZ_STAGE_llm      := decode
FUZZ_STAGE_json     := decode
FUZZ_STAGE_record   := capture
FUZZ_STAGE_classify := judge
FUZZ_STAGE_config   := judge
FUZZ_EXTRA_config   := $(FUZZ_BUILD)/agent/config.o $(FUZZ_BUILD)/agent/options.o
FUZZ_COLLECTOR      := batch proof
fuzz_flags = $(if $(filter $(1),$(FUZZ_COLLECTOR)),$(COLLECTOR_INC),$(call stage_inc,$(if $(FUZZ_EXTRA_$(1)),top,$(FUZZ_STAGE_$(1)))))
fuzz_link  = $(FUZZ_EXTRA_$(1)) $(if $(filter $(1),$(FUZZ_COLLECTOR)),$(subst $(BUILD)/,$(FUZZ_BUILD)/,$(COLLECTOR_LIBS)),$(call stage_link,$(FUZZ_BUILD),$(FUZZ_STAGE_$(1))))

# Named, as in the main build, so that none is taken for an intermediate.
$(patsubst %.c,$(FUZZ_BUILD)/%.o,$(wildcard agent/*.c agent/*/*.c proto/*.c collector/*.c)) \
$(patsubst %,$(FUZZ_BUILD)/agent/lib%.a,$(STAGES)) $(FUZZ_BUILD)/proto/libproto.a $(FUZZ_BUILD)/collector/libcollector.a:

$(FUZZ_BUILD)/agent/%.o: agent/%.c | $(GENERATED)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(call stage_inc,$(call stage_of,$<)) $(DEPFLAGS) -c $< -o $@
$(FUZZ_BUILD)/agent/lib%.a: $$(addprefix $(FUZZ_BUILD)/,$$(addsuffix .o,$$(basename $$(wildcard agent/$$*/*.c)))) agent/$$*
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)
$(FUZZ_BUILD)/proto/%.o: proto/%.c | $(PROTO_GEN)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) -c $< -o $@
$(FUZZ_BUILD)/proto/evidence.pb-c.o: $(BUILD)/proto/evidence.pb-c.c
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -Wno-unused-parameter -c $< -o $@
$(FUZZ_BUILD)/proto/libproto.a: $(patsubst proto/%.c,$(FUZZ_BUILD)/proto/%.o,$(PROTO_SRCS)) $(FUZZ_BUILD)/proto/evidence.pb-c.o proto
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)
$(FUZZ_BUILD)/collector/%.o: collector/%.c | $(PROTO_GEN)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(COLLECTOR_INC) $(DEPFLAGS) -c $< -o $@
$(FUZZ_BUILD)/collector/libcollector.a: $(patsubst collector/%.c,$(FUZZ_BUILD)/collector/%.o,$(COLLECTOR_MODS)) collector
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

FUZZERS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(patsubst %,$(FUZZ_BUILD)/agent/lib%.a,$(STAGES)) $(FUZZ_BUILD)/agent/config.o $(FUZZ_BUILD)/agent/options.o \
                     $(FUZZ_BUILD)/collector/libcollector.a $(FUZZ_BUILD)/proto/libproto.a | $(GENERATED)
	$(call msg,FUZZ,$@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(call fuzz_flags,$*) $(DEPFLAGS) -MT $@ -MF $(@D)/.$(@F).d $< -o $@ $(call fuzz_link,$*)

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
	$(Q)$(PYTHON) tests/soak/soak.py --build $(BUILD) --connections 10000 --rounds 3 --ship
	$(Q)$(PYTHON) tests/soak/soak.py --build $(BUILD) --connections 10000 --rounds 3 --plain --ship

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)

# What each object includes, as the compiler found it (-MMD).
-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
