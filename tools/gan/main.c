/* main.c — the gan command: dispatches to one file per subcommand. */
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"train", cmd_train, "train a GAN, writing a run folder (samples, metrics, checkpoints)"},
    {"sample", cmd_sample, "draw samples from a checkpoint (PNG grid, PNG folder or .npy)"},
    {"info", cmd_info, "show what a checkpoint holds"},
    {"eval", cmd_eval, "FID, KID, precision/recall of samples or a checkpoint against a dataset"},
    {"classifier", cmd_classifier, "train or test the feature network of gan eval (a CNN per dataset)"},
    {"bench", cmd_bench, "time full GAN iterations (mlp, dcgan28, dcgan64) on random data"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: gan <command> [flags]   (gan <command> --help for its flags)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
}

/* OpenMP threads that spin-wait between parallel regions steal the cores OpenBLAS's own
 * threads need: on 2 cores a DCGAN step measured 18x slower with libgomp's default policy than
 * with OMP_WAIT_POLICY=passive. libgomp reads the variable when it is loaded, before main, so
 * set it and re-execute ourselves once (a user's explicit setting is respected). */
static void ensure_passive_wait(char **argv) {
    if (getenv("OMP_WAIT_POLICY")) return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc): carry on with the default policy */
}

int main(int argc, char **argv) {
    ensure_passive_wait(argv);
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
