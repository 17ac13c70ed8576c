# orgbill — build, test, demo.
#
#   make            build liborgbill.a and the three binaries into build/
#   make check      install what is missing, run every test suite
#   make demo       install what is missing, run the whole stack on :8443
#   make bench      benchmarks (ratios against a baseline in the same run)
#   make install    PREFIX=/usr/local DESTDIR=
#
# O= names the output directory (default build); SAN=1 builds with
# AddressSanitizer and UndefinedBehaviorSanitizer (make check uses build/asan).

VERSION := 0.1.0
O       ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS    := libpq libcurl libcjson libsodium libcrypto fcgi
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libharu (invoice PDFs) ships no pkg-config file in Debian.
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhpdf
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
           -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wno-format-truncation
# (snprintf truncation is deliberate where it happens: bounded messages.)
CFLAGS  ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined -DOB_STRICT_COLUMNS -DOB_STRICT_TX
LDFLAGS += -fsanitize=address,undefined
endif
CPPFLAGS += -D_DEFAULT_SOURCE -D_GNU_SOURCE -Icore -I. -I$(O)/gen \
            -DOB_PREFIX='"$(PREFIX)"' -DOB_VERSION='"$(VERSION)"'
ALL_CFLAGS = $(WARN) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP

CORE_SRC    := $(wildcard core/*.c core/*/*.c)
CORE_SRC    := $(filter-out core/cli/%,$(CORE_SRC))
STRIPE_SRC  := $(wildcard stripe/*.c)
FCGI_SRC    := $(filter-out fcgi/main_app.c fcgi/main_webhook.c,$(wildcard fcgi/*.c))
CLI_SRC     := $(wildcard core/cli/*.c)
UNIT_SRC    := $(wildcard tests/unit/*.c)
INTEG_SRC   := $(wildcard tests/integration/*.c)
MIGRATIONS  := $(sort $(wildcard sql/migrations/[0-9][0-9][0-9]_*.sql))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB       := $(O)/liborgbill.a
FCGI_LIB  := $(O)/libobfcgi.a
BINS      := $(O)/orgbill-app $(O)/orgbill-webhook $(O)/orgbill
GEN       := $(O)/gen/ob_schema.h $(O)/gen/ob_stmt_modules.def
STMT_DEFS := $(sort $(wildcard core/stmt_*.def core/*/stmt_*.def))

.PHONY: all check demo bench install clean unit static deps fuzz chaos
all: $(LIB) $(BINS) static

$(O)/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The schema the binaries expect: the highest migration number and how
# many migrations there are (so a skipped one is noticed too).
$(O)/gen/ob_schema.h: $(MIGRATIONS) Makefile
	@mkdir -p $(dir $@)
	@last=$$(ls sql/migrations | sed -n 's/^\([0-9][0-9][0-9]\)_.*\.sql$$/\1/p' | sort | tail -n1); \
	count=$$(ls sql/migrations | grep -c '^[0-9][0-9][0-9]_.*\.sql$$'); \
	printf '#define OB_SCHEMA_VERSION %d\n#define OB_SCHEMA_COUNT %d\n' \
	    "$$(expr "$$last" + 0)" "$$count" > $@.tmp && mv $@.tmp $@

# The statement table is assembled from every folder's stmt_*.def (the
# list is generated, not hand-kept, so base/stmt.h names no folder above it).
# Rewritten only when the list changes (a moved or removed file counts too).
$(O)/gen/ob_stmt_modules.def: FORCE
	@mkdir -p $(dir $@)
	@for f in $(STMT_DEFS); do echo "#include \"$${f#core/}\""; done > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# PREFIX is compiled into the settings' defaults: rebuild cfg.o when it changes.
$(O)/gen/prefix: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(O)/obj/core/base/cfg.o: $(O)/gen/prefix
.PHONY: FORCE
FORCE:

$(LIB): $(call obj,$(CORE_SRC) $(STRIPE_SRC))
	@rm -f $@
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(FCGI_LIB): $(call obj,$(FCGI_SRC))
	@rm -f $@
	@echo "  AR      $@"
	@$(AR) rcs $@ $^

$(O)/orgbill-app: $(call obj,fcgi/main_app.c) $(FCGI_LIB) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/orgbill-webhook: $(call obj,fcgi/main_webhook.c) $(FCGI_LIB) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/orgbill: $(call obj,$(CLI_SRC)) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Test runners: every tests/unit/*.c that defines "Suite *NAME_suite(void)"
# is registered automatically (the list is generated, not hand-kept).
$(O)/gen/unit_suites.h: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	@sed -n 's/^\(Suite \*\)\{0,1\}\([a-z0-9_]*\)_suite(void)$$/OB_SUITE(\2)/p' $^ | sort -u > $@.tmp && mv $@.tmp $@
$(O)/gen/integ_suites.h: $(INTEG_SRC)
	@mkdir -p $(dir $@)
	@sed -n 's/^\(Suite \*\)\{0,1\}\([a-z0-9_]*\)_suite(void)$$/OB_SUITE(\2)/p' $^ | sort -u > $@.tmp && mv $@.tmp $@

$(O)/obj/tests/unit/%.o: tests/unit/%.c $(GEN) $(O)/gen/unit_suites.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -Itests -c -o $@ $<
$(O)/obj/tests/integration/%.o: tests/integration/%.c $(GEN) $(O)/gen/integ_suites.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -Itests -c -o $@ $<

$(O)/test-unit: $(call obj,$(UNIT_SRC)) $(FCGI_LIB) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)
$(O)/test-integration: $(call obj,$(INTEG_SRC)) $(FCGI_LIB) $(LIB)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# Static assets: our CSS/JS sources plus pinned npm front-end packages.
static:
	@mkdir -p $(O)/static
	@cp -R templates/static/. $(O)/static/

deps:
	@deploy/install-deps.sh

# libFuzzer targets (clang), one per parser of outside input: every
# tests/fuzz/fuzz_NAME.c, linked against a copy of the libraries built
# with coverage and the sanitizers in $(O)/fuzz/lib. `make fuzz` runs each
# for FUZZ_SECONDS on its seeds (tests/fuzz/corpus/NAME, replayed every
# run) plus what earlier runs found ($(O)/fuzz/corpus/NAME); a crash, a
# leak or a failed check stops it. make check runs it too; a long run:
# docs/RELIABILITY.md.
FUZZ_SECONDS ?= 5
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(addprefix $(O)/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_LIBS  := $(O)/fuzz/lib/libobfcgi.a $(O)/fuzz/lib/liborgbill.a
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer $(FUZZ_SAN) \
               -D_DEFAULT_SOURCE -D_GNU_SOURCE -Icore -I. -I$(O)/fuzz/lib/gen -Itests/fuzz $(PKG_CFLAGS)
# (Asked every time; the archives, and so the targets, change only when a source did.)
$(O)/fuzz/lib/liborgbill.a: FORCE
	@$(MAKE) --no-print-directory O=$(O)/fuzz/lib CC=clang WARN=-std=c11 \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_LIBS)
$(O)/fuzz/lib/libobfcgi.a: $(O)/fuzz/lib/liborgbill.a ;
$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/fuzz_req.h $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBS) $(PKG_LIBS)
fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p $(O)/fuzz/corpus/$$n || exit 1; \
	    echo "  fuzz_$$n: $(FUZZ_SECONDS) s"; \
	    $(O)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	        -artifact_prefix=$(O)/fuzz/ $(O)/fuzz/corpus/$$n tests/fuzz/corpus/$$n \
	        > $(O)/fuzz/fuzz_$$n.log 2>&1 || { tail -n 40 $(O)/fuzz/fuzz_$$n.log; exit 1; }; \
	done

unit: $(O)/test-unit
	$(O)/test-unit

# make check: the whole suite. Unit tests run in the plain and the sanitizer
# builds; the stack under test runs the sanitizer binaries.
check: deps
	@$(MAKE) --no-print-directory -j2 all $(O)/test-unit $(FUZZ_BINS)
	@$(MAKE) --no-print-directory -j2 O=$(O)/asan SAN=1 all $(O)/asan/test-unit $(O)/asan/test-integration
	@tests/run-all.sh $(O)

demo: deps
	@$(MAKE) --no-print-directory all
	@deploy/demo.sh $(O)

# make chaos: the fault drill and the restore drill at length on the plain
# build (docs/RELIABILITY.md); make check runs a shorter one.
CHAOS_SECONDS ?= 300
chaos: deps
	@$(MAKE) --no-print-directory all
	@tests/chaos/run.sh $(O) $(CHAOS_SECONDS)

bench: deps
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh $(O)
	@tests/bench/credits/run.sh $(O)
	@tests/bench/budgets/run.sh $(O)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/share/orgbill/sql/migrations \
	    $(DESTDIR)$(PREFIX)/share/orgbill/nginx $(DESTDIR)$(PREFIX)/share/orgbill/systemd \
	    $(DESTDIR)$(PREFIX)/share/orgbill/deploy
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(MIGRATIONS) $(DESTDIR)$(PREFIX)/share/orgbill/sql/migrations/
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/orgbill/sql/
	rm -rf $(DESTDIR)$(PREFIX)/share/orgbill/templates $(DESTDIR)$(PREFIX)/share/orgbill/static
	install -d $(DESTDIR)$(PREFIX)/share/orgbill/templates $(DESTDIR)$(PREFIX)/share/orgbill/static
	cp -R templates/. $(DESTDIR)$(PREFIX)/share/orgbill/templates/
	rm -rf $(DESTDIR)$(PREFIX)/share/orgbill/templates/static
	cp -R $(O)/static/. $(DESTDIR)$(PREFIX)/share/orgbill/static/
	install -m 0644 nginx/orgbill.conf.in nginx/fastcgi_orgbill.conf nginx/nginx-dev.conf.in \
	    $(DESTDIR)$(PREFIX)/share/orgbill/nginx/
	for f in orgbill-app.service orgbill-webhook.service orgbill-jobs.service orgbill.env.example; do \
	    sed 's|/usr/local/|$(PREFIX)/|g' deploy/$$f > $(DESTDIR)$(PREFIX)/share/orgbill/systemd/$$f && \
	    chmod 0644 $(DESTDIR)$(PREFIX)/share/orgbill/systemd/$$f || exit 1; \
	done
	install -m 0755 deploy/render-nginx.sh $(DESTDIR)$(PREFIX)/share/orgbill/deploy/

clean:
	rm -rf build

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
