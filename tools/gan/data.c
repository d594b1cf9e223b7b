/* data.c — `gan data KIND ...`: builds a data set; one file per kind (data_<kind>.c). */
#include "cli.h"
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} kinds[] = {
    {"speech", cmd_data_speech, "spoken sentences (espeak-ng): WAVs + an index with phoneme times"},
    {"emoji", cmd_data_emoji, "five emoji styles (Google, Twitter, OpenMoji colour and outline, EmojiOne) + an index"},
};
#define N_KINDS (int)(sizeof kinds / sizeof kinds[0])

static void usage(FILE *f) {
    fprintf(f, "usage: gan data <kind> --out DIR [flags]   (gan data <kind> --help for its flags)\n\nkinds:\n");
    for (int i = 0; i < N_KINDS; i++) fprintf(f, "  %-8s %s\n", kinds[i].name, kinds[i].what);
}

int cmd_data(int argc, char **argv) {
    if (argc < 1) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage(stdout);
        return CLI_OK;
    }
    for (int i = 0; i < N_KINDS; i++)
        if (!strcmp(argv[0], kinds[i].name)) return kinds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gan data: unknown kind '%s'\n", argv[0]);
    usage(stderr);
    return CLI_USAGE;
}
