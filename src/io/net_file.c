/* net_file.c — a net's tensors (and optimizer moments) in and out of a safetensors file,
 * walking the flat buffers once: the one place checkpoints and classifier files are written. */
#include "internal.h"
#include <inttypes.h>
#include <stdio.h>

#define NAME_MAX_LEN 256

int gan_st_is_counter(const gan_tensor *t) {
    size_t n = strlen(t->name);
    return t->numel == 1 && n >= 19 && !strcmp(t->name + n - 19, "num_batches_tracked");
}

static void name_of(char *out, const char *kind, const char *prefix, const char *name) {
    if (kind) snprintf(out, NAME_MAX_LEN, "optim.%s.%s.%s", prefix ? prefix : "", kind, name);
    else if (prefix) snprintf(out, NAME_MAX_LEN, "%s.%s", prefix, name);
    else snprintf(out, NAME_MAX_LEN, "%s", name);
}

gan_status gan_st_add_net(gan_st_writer *w, gan_net *net, const char *prefix, int moments) {
    float *base = gan_net_weights(net);
    char name[NAME_MAX_LEN];
    for (int i = 0; i < gan_net_num_tensors(net); i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        name_of(name, NULL, prefix, t->name);
        gan_status s = gan_st_is_counter(t) ? gan_st_add_i64_value(w, name, (int64_t)t->data[0])
                                            : gan_st_add_f32(w, name, t->ndim, t->shape, t->data);
        if (s) return s;
        if (!moments || gan_net_tensor_is_buffer(net, i)) continue;
        int64_t off = t->data - base;
        name_of(name, "exp_avg", prefix, t->name);
        if ((s = gan_st_add_f32(w, name, t->ndim, t->shape, gan_net_adam_m(net) + off))) return s;
        name_of(name, "exp_avg_sq", prefix, t->name);
        if ((s = gan_st_add_f32(w, name, t->ndim, t->shape, gan_net_adam_v(net) + off))) return s;
    }
    return GAN_OK;
}

gan_status gan_st_read_net(gan_st_file *f, gan_net *net, const char *prefix, int moments) {
    float *base = gan_net_weights(net);
    char name[NAME_MAX_LEN];
    for (int i = 0; i < gan_net_num_tensors(net); i++) {
        gan_tensor *t = gan_net_tensor(net, i);
        name_of(name, NULL, prefix, t->name);
        gan_status s;
        if (gan_st_is_counter(t)) {
            int64_t v = 0;
            s = gan_st_read(f, name, GAN_DTYPE_I64, 0, NULL, &v);
            t->data[0] = (float)v;
        } else {
            s = gan_st_read_f32(f, name, t->ndim, t->shape, t->data);
        }
        if (s) return s;
        if (!moments || gan_net_tensor_is_buffer(net, i)) continue;
        int64_t off = t->data - base;
        name_of(name, "exp_avg", prefix, t->name);
        if ((s = gan_st_read_f32(f, name, t->ndim, t->shape, gan_net_adam_m(net) + off))) return s;
        name_of(name, "exp_avg_sq", prefix, t->name);
        if ((s = gan_st_read_f32(f, name, t->ndim, t->shape, gan_net_adam_v(net) + off))) return s;
    }
    return GAN_OK;
}

gan_status gan_st_set_meta_i64(gan_st_writer *w, const char *key, int64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return gan_st_set_meta(w, key, buf);
}
