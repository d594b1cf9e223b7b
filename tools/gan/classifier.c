/* classifier.c — `gan classifier train|test`: the per-dataset feature network of `gan eval`. */
#include "gan.h"
#include "cli.h"
#include "progress.h"
#include "splits.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define CMD "classifier"

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

typedef struct train_view {
    progress pr;
    float loss_avg, acc_avg;         /* smoothed over ~50 steps, for display */
    int64_t steps_per_epoch;
    const gan_u8_images *test_im;
    const gan_u8_labels *test_lb;
    int quiet;
} train_view;

static void on_step(void *ud, const gan_classifier_progress *p) {
    train_view *v = ud;
    if (v->quiet) return;
    float a = p->step == 1 ? 1.0f : 0.02f;
    v->loss_avg += a * (p->loss - v->loss_avg);
    v->acc_avg += a * (p->batch_accuracy - v->acc_avg);
    char extra[128];
    snprintf(extra, sizeof extra, "epoch %.2f  loss %.4f  train acc %.2f%%  lr %.2e", p->epoch,
             v->loss_avg, 100.0 * v->acc_avg, p->lr);
    int epoch_end = p->step % v->steps_per_epoch == 0 && p->step < p->total;
    progress_update(&v->pr, p->step, extra, p->step == p->total || epoch_end);
    if (epoch_end && v->test_im) {
        double acc;
        if (gan_classifier_accuracy(p->classifier, v->test_im, v->test_lb, &acc) == GAN_OK) {
            progress_end(&v->pr);
            fprintf(stderr, "gan classifier: epoch %lld: held-out accuracy %.2f%%\n",
                    (long long)(p->step / v->steps_per_epoch), 100.0 * acc);
        }
    }
}

int classifier_train_file(const char *data, const char *test, const char *out,
                          const gan_classifier_opts *opts, int quiet, FILE *report) {
    data_splits sp;
    if (splits_load(data, test, &sp)) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    int have_test = sp.test.n > 0;
    if (!quiet)
        fprintf(stderr, "gan classifier: training on %s (%d images %dx%dx%d; the next %d are kept unseen "
                "for gan eval's floor), testing on %s\n", data, sp.fit.n, sp.fit.h, sp.fit.w, sp.fit.c,
                sp.floor.n, sp.test_name);
    train_view v = {.test_im = have_test ? &sp.test : NULL, .test_lb = &sp.test_labels, .quiet = quiet};
    v.steps_per_epoch = ((int64_t)sp.fit.n + opts->batch - 1) / opts->batch;
    int64_t total = opts->steps > 0 ? opts->steps : ((int64_t)opts->epochs * sp.fit.n + opts->batch - 1) / opts->batch;
    if (!quiet) progress_start(&v.pr, "train", 0, total);
    double t0 = now_seconds(), c0 = cpu_seconds();
    gan_classifier *c;
    int rc = CLI_OK;
    gan_status s = gan_classifier_train(opts, &sp.fit, &sp.fit_labels, on_step, &v, &c);
    if (!quiet) progress_end(&v.pr);
    double wall = now_seconds() - t0, cpu = cpu_seconds() - c0;
    if (s) {
        rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    } else {
        double acc = -1;
        if (have_test && gan_classifier_accuracy(c, &sp.test, &sp.test_labels, &acc))
            rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        gan_classifier_set_provenance(c, data, acc);
        if (!rc && gan_classifier_save(c, out)) rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
        if (!rc && report) {
            if (acc >= 0) fprintf(report, "test accuracy %.2f%% (%s)\n", 100.0 * acc, sp.test_name);
            fprintf(report, "wrote %s (%lld steps, %.0f s wall, %.0f s CPU on %d threads)\n", out,
                    (long long)total, wall, cpu, gan_get_threads());
        }
        gan_classifier_free(c);
    }
    splits_free(&sp);
    return rc;
}

static int cmd_train_classifier(int argc, char **argv) {
    gan_classifier_opts o = gan_classifier_opts_default();
    const char *data = NULL, *out = NULL, *test = NULL;
    int threads = 0, no_augment = 0, no_flip = 0;
    int64_t seed = (int64_t)o.seed;
    cli_flag flags[] = {
        {"--data", FLAG_STR, &data, "labelled training data: fashion-mnist or an IDX file with labels", 0},
        {"--out", FLAG_STR, &out, "the classifier file to write (.safetensors)", 0},
        {"--test", FLAG_STR, &test, "held-out data [fashion-mnist:test, t10k-* beside train-*, else the last 10%; none]", 0},
        {"--epochs", FLAG_INT, &o.epochs, "passes over the data [6]", 0},
        {"--steps", FLAG_I64, &o.steps, "exactly this many batches instead of --epochs", 0},
        {"--batch", FLAG_INT, &o.batch, "batch size [128]", 0},
        {"--lr", FLAG_FLOAT, &o.lr, "peak AdamW learning rate, cosine decay to 0 [0.001]", 0},
        {"--weight-decay", FLAG_FLOAT, &o.weight_decay, "AdamW weight decay [0.0005]", 0},
        {"--seed", FLAG_I64, &seed, "weights, batch order, augmentation, dropout [1]", 0},
        {"--width", FLAG_INT, &o.width, "channels of the first block [16]", 0},
        {"--depth", FLAG_INT, &o.depth, "convolutions per block [2]", 0},
        {"--blocks", FLAG_INT, &o.blocks, "pooling stages (0: 2, more until the map is <= 4x4) [0]", 0},
        {"--hidden", FLAG_INT, &o.hidden, "width of the fully connected hidden layer [128]", 0},
        {"--dropout", FLAG_FLOAT, &o.dropout, "dropout before the last layer [0.3]", 0},
        {"--shift", FLAG_INT, &o.shift, "augmentation: largest random shift in pixels [0]", 0},
        {"--no-flip", FLAG_BOOL, &no_flip, "augmentation: no left-right flips (digits, text)", 0},
        {"--no-augment", FLAG_BOOL, &no_augment, "no augmentation at all", 0},
        {"--threads", FLAG_INT, &threads, "threads (0 = all cores) [0]", 0},
    };
    const char *pos[1];
    int npos;
    int rc = cli_parse(CMD " train", "--data D --out FILE.safetensors [flags]", argc, argv, flags,
                       (int)(sizeof flags / sizeof flags[0]), pos, 0, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (!data) return cli_error(CMD, CLI_USAGE, "--data is required (e.g. --data fashion-mnist)");
    if (!out) return cli_error(CMD, CLI_USAGE, "--out is required (e.g. --out fmnist.safetensors)");
    if (o.epochs < 1 && o.steps < 1) return cli_error(CMD, CLI_USAGE, "--epochs must be at least 1");
    if (o.batch < 2) return cli_error(CMD, CLI_USAGE, "--batch must be at least 2");
    if (!(o.lr > 0)) return cli_error(CMD, CLI_USAGE, "--lr must be positive");
    if (o.shift < 0) return cli_error(CMD, CLI_USAGE, "--shift must be >= 0");
    if (o.width < 1 || o.width > 1024) return cli_error(CMD, CLI_USAGE, "--width must be in 1..1024");
    if (o.depth < 1 || o.depth > 4) return cli_error(CMD, CLI_USAGE, "--depth must be in 1..4");
    if (o.blocks < 0 || o.blocks > 6) return cli_error(CMD, CLI_USAGE, "--blocks must be in 0..6");
    if (o.hidden < 1 || o.hidden > 65536) return cli_error(CMD, CLI_USAGE, "--hidden must be in 1..65536");
    if (!(o.dropout >= 0 && o.dropout < 1)) return cli_error(CMD, CLI_USAGE, "--dropout must be in [0, 1)");
    if (!(o.weight_decay >= 0)) return cli_error(CMD, CLI_USAGE, "--weight-decay must be >= 0");
    if (threads < 0) return cli_error(CMD, CLI_USAGE, "--threads must be >= 0");
    o.seed = (uint64_t)seed;
    o.augment = !no_augment;
    o.flip = !no_flip;
    gan_set_threads(threads);
    return classifier_train_file(data, test, out, &o, 0, stdout);
}

static int cmd_test_classifier(int argc, char **argv) {
    const char *data = NULL;
    int threads = 0;
    cli_flag flags[] = {
        {"--data", FLAG_STR, &data, "labelled data [the held-out split of the data it was trained on]", 0},
        {"--threads", FLAG_INT, &threads, "threads (0 = all cores) [0]", 0},
    };
    const char *pos[1];
    int npos;
    int rc = cli_parse(CMD " test", "CLASSIFIER.safetensors [--data D]", argc, argv, flags,
                       (int)(sizeof flags / sizeof flags[0]), pos, 1, &npos);
    if (rc) return rc < 0 ? CLI_OK : rc;
    if (npos != 1) return cli_error(CMD, CLI_USAGE, "give one classifier file");
    if (threads < 0) return cli_error(CMD, CLI_USAGE, "--threads must be >= 0");
    gan_set_threads(threads);
    gan_classifier *c;
    if (gan_classifier_load(pos[0], &c)) return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    const gan_classifier_info *in = gan_classifier_get_info(c);
    char spec[4200];
    if (!data) {
        if (!in->data[0] || !splits_test_spec(in->data, spec, sizeof spec)) {
            gan_classifier_free(c);
            return cli_error(CMD, CLI_USAGE, "%s: no known test split for its data '%s': give --data",
                             pos[0], in->data);
        }
        data = spec;
    }
    gan_u8_images im;
    gan_u8_labels lb;
    if (splits_load_labelled(data, &im, &lb)) {
        gan_classifier_free(c);
        return cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    }
    double acc = 0;
    double t0 = now_seconds();
    gan_status s = gan_classifier_accuracy(c, &im, &lb, &acc);
    if (s) {
        rc = cli_error(CMD, CLI_RUNTIME, "%s", gan_last_error());
    } else {
        printf("%s: accuracy %.2f%% (%lld of %d) on %s, %.1f s\n", pos[0], 100.0 * acc,
               (long long)llround(acc * im.n), im.n, data, now_seconds() - t0);
    }
    gan_u8_images_free(&im);
    gan_u8_labels_free(&lb);
    gan_classifier_free(c);
    return rc;
}

static void usage(FILE *f) {
    fprintf(f, "usage: gan classifier train --data D --out FILE.safetensors [flags]\n"
               "       gan classifier test FILE.safetensors [--data D]\n\n"
               "The feature network of gan eval: a compact CNN trained on a labelled dataset;\n"
               "its last conv block, averaged over the image, gives the features for\n"
               "FID/KID/precision-recall.\n"
               "gan classifier <train|test> --help lists the flags.\n");
}

int cmd_classifier(int argc, char **argv) {
    if (argc < 1) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[0], "train")) return cmd_train_classifier(argc - 1, argv + 1);
    if (!strcmp(argv[0], "test")) return cmd_test_classifier(argc - 1, argv + 1);
    cli_error(CMD, CLI_USAGE, "unknown subcommand '%s' (train or test)", argv[0]);
    usage(stderr);
    return CLI_USAGE;
}
