/* cli.h — what the gan command's subcommands share: flag parsing and error exits. */
#ifndef GAN_CLI_H
#define GAN_CLI_H
#include "gan.h"
#include <stdint.h>
#include <stdio.h>

/* Exit codes: 0 ok, 1 runtime failure (file, data), 2 usage (bad flag or value). */
enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

typedef enum { FLAG_INT, FLAG_I64, FLAG_FLOAT, FLAG_STR, FLAG_BOOL } flag_type;

typedef struct cli_flag {
    const char *name;      /* "--steps" */
    flag_type type;
    void *value;           /* int*, int64_t*, float*, const char**, int* */
    const char *help;
    int seen;              /* set by cli_parse */
} cli_flag;

/* Parses argv[first..] into flags; positional arguments go to pos (up to max_pos).
 * Prints a one-line error naming the flag and returns CLI_USAGE on bad input, or -1 when
 * --help was asked (usage already printed). */
int cli_parse(const char *cmd, const char *usage, int argc, char **argv, cli_flag *flags,
              int n_flags, const char **pos, int max_pos, int *n_pos);
void cli_usage(const char *cmd, const char *usage, const cli_flag *flags, int n_flags);
/* "gan train: <message>" on stderr; returns code. */
int cli_error(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int cmd_train(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_classifier(int argc, char **argv);
/* Trains a classifier on the fit split of `data` (tools/gan/splits.h; tested on `test`: a spec,
 * "none", or NULL for the data's own test split), with progress on stderr unless quiet, and
 * writes it to `out` atomically; the accuracy and file lines go to `report` (NULL: nowhere).
 * The work of `gan classifier train`, and what gan eval calls when it has no classifier for
 * its data. Returns CLI_OK or an exit code (the message printed). The caller sets the threads. */
int classifier_train_file(const char *data, const char *test, const char *out,
                          const gan_classifier_opts *opts, int quiet, FILE *report);
int cmd_bench(int argc, char **argv);
/* `gan data KIND` (data.c) and its kinds (data_<kind>.c). */
int cmd_data(int argc, char **argv);
int cmd_data_speech(int argc, char **argv);
int cmd_data_emoji(int argc, char **argv);
#endif
