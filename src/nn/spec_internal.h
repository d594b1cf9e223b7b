/* spec_internal.h — what spec.c, spec_expr.c and the blocks share. */
#ifndef GAN_SPEC_INTERNAL_H
#define GAN_SPEC_INTERNAL_H
#include "internal.h"

/* An expression's value: an integer (booleans are 0/1) or a string (borrowed). */
typedef struct spec_val {
    int is_str;
    int64_t i;
    const char *s;
    size_t len;
} spec_val;

/* Looks a name up (len bytes, not terminated); 0 when unknown. */
typedef int (*spec_lookup_fn)(void *ud, const char *name, size_t len, spec_val *out);

/* Evaluates expr; on failure returns 0 with a message in err. Integers are int64 with checked
 * overflow; operators as C's: ?: || && == != < <= > >= << >> + - * / % ! unary -, strings in
 * single quotes (compared with == and !=), true/false, min(a, b), max(a, b), log2(a) (a must
 * be a power of two). */
int spec_eval(const char *expr, spec_lookup_fn lookup, void *ud, spec_val *out, char *err,
              size_t errn);

/* Resource limits, so that a spec (a user's file, a fuzzer's input) cannot make the build
 * overflow an int or declare more than a machine holds: every per-sample size of a value is in
 * 1..SPEC_MAX_SIZE and its per-sample count at most SPEC_MAX_VALUES; a parameter tensor holds
 * at most SPEC_MAX_TENSOR values (fan-ins stay ints) and a net at most SPEC_MAX_PARAMS; a net
 * unrolls to at most SPEC_MAX_BLOCKS blocks (name look-ups are linear). */
#define SPEC_MAX_SIZE (1 << 24)
#define SPEC_MAX_VALUES (INT64_C(1) << 28)
#define SPEC_MAX_TENSOR (INT64_C(1) << 31)
#define SPEC_MAX_PARAMS (INT64_C(1) << 31)
#define SPEC_MAX_BLOCKS 4096

/* For a block's build, before it declares a parameter (or buffer) of these sizes: the error
 * naming the block when the tensor or the net's total would pass the limits above. */
gan_status spec_block_tensor(gan_block_build *b, const char *what, int ndim, const int64_t *shape);

/* The per-sample values of every value a built net computes, summed: what a forward of batch
 * B allocates is at most about B times this (the fuzzer skips big nets with it). */
int64_t spec_module_values(const gan_module *m);

/* The built-in block types (src/nn/blocks.c). */
extern const gan_block_type *const gan_builtin_blocks[];

#endif
