# dispose - build, check, demo, install, fuzz, bench
# Sources are found by wildcard: a module adds files under src/<module>/,
# a test adds tests/unit/test_<module>.c, tests/integration/t_*.sh or
# tests/fuzz/fuzz_<parser>.c, and nothing here changes.

VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
B        := build
PKGS     := libcrypto libarchive json-c blkid libcryptsetup libxxhash libudev smartcols \
            pangocairo pangoft2 fontconfig cairo-pdf libqrencode poppler-glib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lacl -lpthread
GITREV   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

# Debian's hardening flags (dpkg-buildflags, hardening=+all)
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
            -fcf-protection -Wformat -Werror=format-security -fPIE
HARDEN_LD := -Wl,-z,relro -Wl,-z,now -pie
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE     := -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude $(PKG_CFLAGS) \
            -DDSP_VERSION='"$(VERSION)"' -DDSP_GITREV='"$(GITREV)"' \
            -DDSP_DATADIR='"$(PREFIX)/share/dispose"'
CC       ?= cc
CFLAGS   ?= -O2 -g
# CPPFLAGS/CFLAGS/LDFLAGS from the environment (dpkg-buildflags in debian/rules)
ALL_CFLAGS := $(BASE) $(WARN) $(HARDEN) $(CPPFLAGS) $(CFLAGS)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# Test-only fault hooks (DISPOSE_TEST_FAULT, the ledger's fault schedule):
# in the sanitizer, fuzz and tsan builds, never in the release build.
TEST_HOOKS := -DDSP_TEST_HOOKS
SAN_CFLAGS := $(BASE) $(WARN) -O1 -g $(SAN) $(TEST_HOOKS)

CORE_SRC := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
HDRS     := $(wildcard include/dispose/*.h src/*/*.h tests/unit/*.h)

CORE_OBJ := $(CORE_SRC:%.c=$(B)/rel/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/rel/%.o)
SCORE_OBJ := $(CORE_SRC:%.c=$(B)/san/%.o)
SCLI_OBJ := $(CLI_SRC:%.c=$(B)/san/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/san/%)
FCORE_OBJ := $(CORE_SRC:%.c=$(B)/fuzz/%.o)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all deps check check-run unit integration fuzz fuzz-build fuzz-run bench tsan \
        demo demo-run docs-png install clean lint-man check-vm deb
all: $(B)/dispose

$(B)/rel/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@
$(B)/libdispose.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/dispose: $(CLI_OBJ) $(B)/libdispose.a
	$(CC) $(ALL_CFLAGS) $(HARDEN_LD) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libdispose.a $(PKG_LIBS)

# sanitizer build: what the tests run
$(B)/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	@$(CC) $(SAN_CFLAGS) -c $< -o $@
$(B)/san/libdispose.a: $(SCORE_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/san/dispose: $(SCLI_OBJ) $(B)/san/libdispose.a
	$(CC) $(SAN_CFLAGS) -o $@ $(SCLI_OBJ) $(B)/san/libdispose.a $(PKG_LIBS)
$(B)/san/test_%: tests/unit/test_%.c $(B)/san/libdispose.a $(HDRS)
	$(CC) $(SAN_CFLAGS) -Itests/unit -o $@ $< $(B)/san/libdispose.a $(PKG_LIBS) -lcmocka

# ThreadSanitizer build of the unit tests of the threaded modules (archive:
# writer, read-back, hash and side threads; envelope; erase workers). Not
# part of check: `make tsan` after touching thread code.
TSAN_CFLAGS := $(BASE) $(WARN) -O1 -g -fsanitize=thread $(TEST_HOOKS)
TCORE_OBJ := $(CORE_SRC:%.c=$(B)/tsan/%.o)
TSAN_BIN := $(B)/tsan/test_archive $(B)/tsan/test_envelope $(B)/tsan/test_erase \
            $(B)/tsan/test_erase_file
$(B)/tsan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC tsan $<"
	@$(CC) $(TSAN_CFLAGS) -c $< -o $@
$(B)/tsan/libdispose.a: $(TCORE_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/tsan/test_%: tests/unit/test_%.c $(B)/tsan/libdispose.a $(HDRS)
	$(CC) $(TSAN_CFLAGS) -Itests/unit -o $@ $< $(B)/tsan/libdispose.a $(PKG_LIBS) -lcmocka
tsan: $(TSAN_BIN)
	@fail=0; for t in $(TSAN_BIN); do echo "== $$t"; \
	  DISPOSE_SRCDIR=$(CURDIR) TSAN_OPTIONS=halt_on_error=1 $$t || fail=1; \
	done; exit $$fail

# libFuzzer build (clang)
FCC := clang
FUZZ_CFLAGS := $(BASE) $(WARN) -O1 -g -fsanitize=address,undefined,fuzzer-no-link $(TEST_HOOKS)
$(B)/fuzz/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FCC) $(FUZZ_CFLAGS) -c $< -o $@
$(B)/fuzz/libdispose.a: $(FCORE_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libdispose.a
	$(FCC) $(BASE) $(WARN) $(TEST_HOOKS) -O1 -g -fsanitize=address,undefined,fuzzer -o $@ $< $(B)/fuzz/libdispose.a $(PKG_LIBS)

deps:
	@scripts/deps.sh check

# make check: install what is missing, then unit tests (cmocka, ASan+UBSan),
# fuzz regression over the seed corpora, man page lint, the Debian package
# (make deb, given to the integration tests as DISPOSE_DEB), integration tests.
# The last line is the integration runner's "N passed, N failed".
# The builds run CHECK_JOBS compilers at a time; the integration tests run
# JOBS at a time (tests/integration/run.sh, default 2; JOBS=1: one by one).
CHECK_JOBS ?= 2
check: deps
	@$(MAKE) --no-print-directory -s -j$(CHECK_JOBS) $(B)/dispose $(B)/san/dispose $(UNIT_BIN) fuzz-build
	@$(MAKE) --no-print-directory -s deb
	@$(MAKE) --no-print-directory check-run
check-run: $(B)/dispose $(B)/san/dispose $(UNIT_BIN) fuzz-build
	@$(MAKE) --no-print-directory unit lint-man
	@B=$(B) scripts/fuzz-regress.sh $(FUZZ_BIN)
	@DISPOSE=$(CURDIR)/$(B)/san/dispose DISPOSE_REL=$(CURDIR)/$(B)/dispose \
	  DISPOSE_DEB=$(if $(wildcard $(DEB)),$(abspath $(DEB))) tests/integration/run.sh

unit:
	@$(MAKE) --no-print-directory -s -j$(CHECK_JOBS) $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; \
	  DISPOSE_SRCDIR=$(CURDIR) ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 $$t || fail=1; \
	done; exit $$fail

integration:
	@$(MAKE) --no-print-directory -s -j$(CHECK_JOBS) $(B)/dispose $(B)/san/dispose
	@DISPOSE=$(CURDIR)/$(B)/san/dispose DISPOSE_REL=$(CURDIR)/$(B)/dispose \
	  tests/integration/run.sh $(T)

fuzz-build: $(FUZZ_BIN)
FUZZ_TIME ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  mkdir -p $(B)/fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_TIME) s)"; \
	  $$f -max_total_time=$(FUZZ_TIME) $(B)/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

lint-man:
	@for m in man/*.[0-9]; do [ -e "$$m" ] || continue; \
	  mandoc -Tlint -Wwarning "$$m" || exit 1; done; echo "man pages: lint clean"

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory $(B)/dispose
	@tests/bench/run.sh $(CURDIR)/$(B)/dispose

# make check-vm (not part of check): the sanitize module and dispose on QEMU's
# emulated NVMe under TCG, a Debian kernel fetched into $(B)/vm/cache (never
# installed on the host); the guest runs the sanitizer builds. tests/vm/t_nvme.sh;
# about 20 s here once built and the kernel is cached.
$(B)/san/vm/nvme_probe: tests/vm/nvme_probe.c $(B)/san/libdispose.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $< $(B)/san/libdispose.a $(PKG_LIBS)
check-vm:
	@scripts/deps.sh vm
	@$(MAKE) --no-print-directory $(B)/san/dispose $(B)/san/vm/nvme_probe
	@DISPOSE=$(CURDIR)/$(B)/san/dispose DISPOSE_VM_PROBE=$(CURDIR)/$(B)/san/vm/nvme_probe \
	  DISPOSE_VM_CACHE=$(CURDIR)/$(B)/vm/cache DISPOSE_VM_OUT=$(CURDIR)/$(B)/vm \
	  tests/vm/t_nvme.sh

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory $(B)/dispose
	@scripts/demo.sh $(CURDIR)/$(B)/dispose

# make docs-png (as root): the demo, then the first page of its certificate.pdf
# as docs/certificate-page1.png, the README's picture (committed)
docs-png:
	@scripts/deps.sh demo
	@command -v pdftoppm >/dev/null || { echo "docs-png: pdftoppm: install poppler-utils" >&2; exit 2; }
	@$(MAKE) --no-print-directory $(B)/dispose
	@mkdir -p $(B)/docs docs && rm -f $(B)/docs/certificate.pdf
	@DISPOSE_DEMO_PDF=$(CURDIR)/$(B)/docs/certificate.pdf scripts/demo.sh $(CURDIR)/$(B)/dispose \
	  >$(B)/docs/demo.log 2>&1 || { tail -20 $(B)/docs/demo.log; exit 1; }
	pdftoppm -png -r 72 -f 1 -l 1 -singlefile $(B)/docs/certificate.pdf docs/certificate-page1

# make install [PREFIX=/usr] [DESTDIR=DIR]: the binary finds its data at run
# time as BINDIR/../share/dispose (dsp_method_data_dir), so PREFIX may differ
# from the build's; the compiled-in DSP_DATADIR is only the last resort.
INST_DATA = $(DESTDIR)$(PREFIX)/share/dispose
install: $(B)/dispose
	install -D -m 0755 $(B)/dispose $(DESTDIR)$(PREFIX)/sbin/dispose
	for d in methods policies schemas; do install -d $(INST_DATA)/$$d; \
	  for f in profiles/$$d/*.json; do [ ! -e "$$f" ] || \
	    install -m 0644 "$$f" $(INST_DATA)/$$d/ || exit 1; done; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -D -m 0644 contrib/bash-completion/dispose \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dispose

# make deb: the Debian package (debian/) of the COMMITTED sources: `git archive
# HEAD` unpacked into $(B)/deb/dispose-VERSION (uncommitted changes are not in
# it: commit first; CI builds a clean clone), dpkg-buildpackage -us -uc -b
# there (its log: $(B)/deb/build.log), then lintian over the .changes (errors
# fail, warnings are shown). Leaves $(DEB); writes nothing outside $(B).
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_DIR   = $(abspath $(B))/deb
DEB       = $(B)/deb/dispose_$(VERSION)_$(DEB_ARCH).deb
deb:
	@set -e; for t in git dpkg-buildpackage dh lintian; do command -v $$t >/dev/null || \
	  { echo "make deb: $$t: not installed (scripts/deps.sh check installs it)" >&2; exit 1; }; done; \
	rev=$$(git rev-parse --short=12 HEAD 2>/dev/null) || \
	  { echo "make deb: not a git checkout: it packages the committed sources" >&2; exit 1; }; \
	git diff --quiet HEAD -- . || echo "make deb: packaging HEAD $$rev; uncommitted changes are not in it" >&2; \
	src="$(DEB_DIR)/dispose-$(VERSION)"; rm -rf "$(DEB_DIR)"; mkdir -p "$$src"; \
	git archive --format=tar HEAD | tar -x -C "$$src"; echo "$$rev" >"$$src/debian/gitrev"; \
	v=$$(cd "$$src" && dpkg-parsechangelog -S Version); [ "$$v" = "$(VERSION)" ] || \
	  { echo "make deb: debian/changelog: version $$v, the Makefile's is $(VERSION)" >&2; exit 1; }; \
	(cd "$$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	  dpkg-buildpackage -us -uc -b -J$(CHECK_JOBS)) >"$(DEB_DIR)/build.log" 2>&1 || \
	  { tail -30 "$(DEB_DIR)/build.log" >&2; echo "make deb: dpkg-buildpackage failed ($(DEB_DIR)/build.log)" >&2; exit 1; }; \
	lintian --fail-on error "$(DEB_DIR)/dispose_$(VERSION)_$(DEB_ARCH).changes" || \
	  { echo "make deb: lintian reports errors" >&2; exit 1; }; \
	[ -f "$(DEB)" ] || { echo "make deb: $(DEB): not built" >&2; exit 1; }; \
	echo "make deb: $(DEB)"

clean:
	rm -rf $(B)
