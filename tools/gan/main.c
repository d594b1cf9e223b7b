/* main.c — the gan command: dispatches to one file per subcommand. */
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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
    {"data", cmd_data, "build a data set: speech (spoken sentences with phoneme times), emoji (five styles)"},
    {"bench", cmd_bench, "time full GAN iterations (mlp, dcgan28, dcgan64) on random data"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: gan <command> [flags]   (gan <command> --help for its flags)\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
}

/* Threads of this process that are running or runnable now (OpenBLAS starts its workers when
 * it is loaded, and they spin a while). */
static int own_running(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[64], buf[256];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[len] = 0;
        const char *state = strrchr(buf, ')');   /* "pid (comm) S ..." */
        if (state && state[1] == ' ' && state[2] == 'R') n++;
    }
    if (d) closedir(d);
    return n;
}

/* Runnable threads of other processes, on average over 10 looks 5 ms apart (/proc/loadavg's
 * running count less ours), or -1 when it cannot be read. */
static double others_running(void) {
    double sum = 0;
    for (int i = 0; i < 10; i++) {
        FILE *f = fopen("/proc/loadavg", "r");
        double l1, l5, l15;
        int running = 0, total = 0;
        int got = f ? fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total) : 0;
        if (f) fclose(f);
        if (got != 5) return -1;
        int others = running - own_running();
        sum += others > 0 ? others : 0;
        usleep(5000);
    }
    return sum / 10;
}

/* How OpenMP threads wait between parallel regions. libgomp's default spins ~300k rounds: on a
 * busy 2-core machine that steals the cores other threads need (a DCGAN step measured 18x slower
 * than with OMP_WAIT_POLICY=passive). Passive waiting costs a wake-up per region instead, and a
 * DCGAN-28 step opens ~150 regions: on an idle machine a short spin (GOMP_SPINCOUNT 3000) made it
 * 10-25% faster, under a load of 2 it was as slow or slower (bench/NOTES.md). So: a short spin
 * when nothing else was running just now (50 ms of looks), passive otherwise. libgomp reads both
 * variables when it is loaded, before main, so set one and re-execute ourselves once; a user's
 * own setting of either is respected. */
static void ensure_wait_policy(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    double others = others_running();
    if (others >= 0 && others < 0.3) setenv("GOMP_SPINCOUNT", "3000", 1);
    else setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc): carry on with the default policy */
}

int main(int argc, char **argv) {
    ensure_wait_policy(argv);
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
