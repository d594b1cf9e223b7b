/* info.c — `gan info CKPT`: what a checkpoint holds. */
#include "cli.h"
#include <stdio.h>
#include <string.h>

#define CMD "info"

int cmd_info(int argc, char **argv) {
    int all = 0;
    cli_flag flags[] = {{"--tensors", FLAG_BOOL, &all, "list every tensor", 0}};
    const char *pos[1];
    int npos;
    int rc = cli_parse(CMD, "CKPT [--tensors]", argc, argv, flags, 1, pos, 1, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (npos != 1) return cli_error(CMD, CLI_USAGE, "give one checkpoint file");
    gan_st_file *f;
    if (gan_st_open(pos[0], &f)) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    printf("%s\n", pos[0]);
    for (int i = 0; i < gan_st_meta_count(f); i++) {
        const char *k = gan_st_meta_key(f, i);
        if (!strcmp(k, "gan.config")) continue;
        printf("  %-16s %s\n", k, gan_st_meta_value(f, i));
    }
    int64_t counts[3] = {0}, elems[3] = {0};
    const char *groups[3] = {"G.", "D.", "optim."};
    for (int i = 0; i < gan_st_count(f); i++) {
        const gan_st_info *t = gan_st_tensor_info(f, i);
        for (int g = 0; g < 3; g++)
            if (!strncmp(t->name, groups[g], strlen(groups[g]))) {
                counts[g]++;
                elems[g] += t->numel;
            }
    }
    printf("  tensors          %d (G: %lld tensors, %lld values; D: %lld, %lld; optimizer state: %lld, %lld)\n",
           gan_st_count(f), (long long)counts[0], (long long)elems[0], (long long)counts[1],
           (long long)elems[1], (long long)counts[2], (long long)elems[2]);
    if (all)
        for (int i = 0; i < gan_st_count(f); i++) {
            const gan_st_info *t = gan_st_tensor_info(f, i);
            printf("  %-48s %s [", t->name, t->dtype_name);
            for (int d = 0; d < t->ndim; d++) printf(d ? ", %d" : "%d", t->shape[d]);
            printf("]\n");
        }
    const char *cfg = gan_st_meta(f, "gan.config");
    if (cfg) printf("  config           %s\n", cfg);
    gan_st_close(f);
    return CLI_OK;
}
