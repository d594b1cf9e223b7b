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

/* The built-in block types (src/nn/blocks.c). */
extern const gan_block_type *const gan_builtin_blocks[];

#endif
