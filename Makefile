# gan.c — make builds libgan (static + shared), the gan command, tests and examples.
#   make            build everything (into build/)
#   make test       build and run the test suite; ends with "N passed, N failed"
#   make SAN=1 test the same under AddressSanitizer + UndefinedBehaviorSanitizer (build-san/)
#   make WERROR=1   warnings are errors (CI)
#   make deps       install the Debian packages it needs (scripts/install-deps.sh)
#   make ring       build and run the 8-Gaussians ring example (RING_FLAGS="--steps N ...")
#   make demo       deps, build, then DCGAN on Fashion-MNIST for ~5 minutes (runs/demo)
CC ?= cc
PKGS := openblas zlib libpng libcjson lapacke libjpeg fftw3f espeak-ng librsvg-2.0
ARCH ?= -march=native

ifeq ($(SAN),1)
BUILD ?= build-san
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD ?= build
OPT := -O2 -g
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# deps/demo install the libraries themselves, so they (and clean) must get past this check.
ifeq ($(PKG_LIBS),)
ifneq ($(or $(filter-out deps demo clean,$(MAKECMDGOALS)),$(if $(MAKECMDGOALS),,all)),)
$(error missing libraries: run `sudo scripts/install-deps.sh` (needs: $(PKGS); pkg-config says: $(shell pkg-config --print-errors --exists $(PKGS) 2>&1 | head -1)))
endif
endif

WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(ARCH) -fopenmp -fPIC $(WARN) -Iinclude -Isrc $(PKG_CFLAGS)
LDLIBS := $(PKG_LIBS) -fopenmp -pthread -lm

LIB_SRC := $(wildcard src/*/*.c src/*/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(wildcard tools/gan/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)
TEST_SUPPORT := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

.PHONY: all test clean
all: $(BUILD)/libgan.a $(BUILD)/libgan.so $(if $(TOOL_SRC),$(BUILD)/gan) $(TESTS) $(EXAMPLES)

$(BUILD)/%.o: %.c include/gan.h $(wildcard src/*.h src/*/*.h src/*/*/*.h tests/*.h tools/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libgan.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libgan.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(BUILD)/gan: $(TOOL_OBJ) $(BUILD)/libgan.a
	$(CC) $(CFLAGS) -o $@ $(TOOL_OBJ) $(BUILD)/libgan.a $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_SUPPORT_OBJ) $(BUILD)/libgan.a
	$(CC) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libgan.a $(LDLIBS)

$(BUILD)/examples/%: $(BUILD)/examples/%.o $(BUILD)/libgan.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgan.a $(LDLIBS)

test: all
	@tests/run.sh $(BUILD)

clean:
	rm -rf build build-san

.PHONY: deps ring demo
deps:
	scripts/install-deps.sh

ring: $(BUILD)/examples/ring8
	$(BUILD)/examples/ring8 --plots $(BUILD) $(RING_FLAGS)

# The main job: DCGAN on Fashion-MNIST into runs/demo (a finished demo is not redone; an
# interrupted one resumes). A fresh make after deps: this make's pkg-config flags were read
# before the install.
DEMO_STEPS ?= 3000
DEMO_OUT ?= runs/demo
demo: deps
	$(MAKE) $(BUILD)/gan
	@mkdir -p $(dir $(DEMO_OUT))
	@if [ -f $(DEMO_OUT)/config.json ]; then \
	    $(BUILD)/gan train --resume $(DEMO_OUT) --steps $(DEMO_STEPS); \
	else \
	    $(BUILD)/gan train --model dcgan --data fashion-mnist --steps $(DEMO_STEPS) --seed 1 \
	        --sample-every 100 --ckpt-every 250 --out $(DEMO_OUT); \
	fi
	@echo
	@echo "demo: the sample grid is $(DEMO_OUT)/samples/latest.png (one per 100 steps in $(DEMO_OUT)/samples/)"
	@echo "demo: sample more with  $(BUILD)/gan sample $(DEMO_OUT)/checkpoints/latest.safetensors --n 64 --seed 2 --out more.png"

# gan.c vs PyTorch, side by side (bench/run_bench.sh; BENCH_REPS, BENCH_MODELS, ... there)
.PHONY: bench
bench: $(BUILD)/gan
	bench/run_bench.sh $(BUILD)/gan
