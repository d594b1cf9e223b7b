/* args.c — flag parsing shared by every subcommand: --name value or --name=value. */
#include "cli.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_error(const char *cmd, int code, const char *fmt, ...) {
    fprintf(stderr, "gan %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

void cli_usage(const char *cmd, const char *usage, const cli_flag *flags, int n_flags) {
    printf("usage: gan %s %s\n\n", cmd, usage);
    for (int i = 0; i < n_flags; i++) {
        const char *arg = flags[i].type == FLAG_BOOL ? "" : flags[i].type == FLAG_STR ? " S"
                          : flags[i].type == FLAG_FLOAT ? " X" : " N";
        char left[48];
        snprintf(left, sizeof left, "%s%s", flags[i].name, arg);
        printf("  %-22s %s\n", left, flags[i].help);
    }
    printf("  %-22s %s\n", "--help", "show this help");
}

static int set_value(const char *cmd, cli_flag *f, const char *v) {
    char *end;
    errno = 0;
    switch (f->type) {
    case FLAG_INT: {
        long x = strtol(v, &end, 10);
        if (*v == 0 || *end || errno || x < -2147483647L || x > 2147483647L)
            return cli_error(cmd, CLI_USAGE, "%s: '%s' is not an integer", f->name, v);
        *(int *)f->value = (int)x;
        break;
    }
    case FLAG_I64: {
        long long x = strtoll(v, &end, 10);
        if (*v == 0 || *end || errno) return cli_error(cmd, CLI_USAGE, "%s: '%s' is not an integer", f->name, v);
        *(int64_t *)f->value = x;
        break;
    }
    case FLAG_FLOAT: {
        float x = strtof(v, &end);
        if (*v == 0 || *end || errno || x != x)
            return cli_error(cmd, CLI_USAGE, "%s: '%s' is not a number", f->name, v);
        *(float *)f->value = x;
        break;
    }
    case FLAG_STR: *(const char **)f->value = v; break;
    case FLAG_BOOL: *(int *)f->value = 1; break;
    }
    f->seen = 1;
    return 0;
}

int cli_parse(const char *cmd, const char *usage, int argc, char **argv, cli_flag *flags,
              int n_flags, const char **pos, int max_pos, int *n_pos) {
    *n_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli_usage(cmd, usage, flags, n_flags);
            return -1;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (*n_pos >= max_pos) return cli_error(cmd, CLI_USAGE, "unexpected argument '%s' (see gan %s --help)", a, cmd);
            pos[(*n_pos)++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        cli_flag *f = NULL;
        for (int k = 0; k < n_flags; k++)
            if (strlen(flags[k].name) == len && !strncmp(flags[k].name, a, len)) f = &flags[k];
        if (!f) return cli_error(cmd, CLI_USAGE, "unknown flag '%.*s' (see gan %s --help)", (int)len, a, cmd);
        const char *v;
        if (f->type == FLAG_BOOL) {
            if (eq) return cli_error(cmd, CLI_USAGE, "%s takes no value", f->name);
            v = "1";
        } else if (eq) v = eq + 1;
        else if (i + 1 < argc) v = argv[++i];
        else return cli_error(cmd, CLI_USAGE, "%s needs a value", f->name);
        int rc = set_value(cmd, f, v);
        if (rc) return rc;
    }
    return 0;
}
