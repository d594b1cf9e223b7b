/* main.c — the gan command: dispatches to one file per subcommand. */
#include "cli.h"
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"train", cmd_train, "train a GAN, writing a run folder (samples, metrics, checkpoints)"},
    {"sample", cmd_sample, "draw samples from a checkpoint (PNG grid, PNG folder or .npy)"},
    {"info", cmd_info, "show what a checkpoint holds"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: gan <command> [flags]   (gan <command> --help for its flags)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "gan: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
