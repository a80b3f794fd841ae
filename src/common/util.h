/*
 * util.h: the analyzer's small helpers: fatal and recoverable errors in
 * git's style (lowercase, what is wrong first), checked allocation, and
 * number formatting for reports.
 */
#ifndef HS_UTIL_H
#define HS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HS_EXIT_USAGE 125  /* heapspy's own usage errors */

/* Print "heapspy: MSG" and exit with code. */
void hs_die(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
/* Print "heapspy: MSG"; returns -1 for `return hs_error(...)`. */
int hs_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *hs_xmalloc(size_t n);
void *hs_xcalloc(size_t n, size_t m);
void *hs_xrealloc(void *p, size_t n);
char *hs_xstrdup(const char *s);

/* "1.2 MB", "512 B", "-3.0 KB" into buf (at least 32 bytes); returns buf. */
const char *hs_human_bytes(double v, char *buf);

/* "1,234,567" into buf (at least 32 bytes); returns buf. */
const char *hs_commas(uint64_t v, char *buf);

/* A SIZE, the one grammar of every size heapspy takes: a decimal number,
 * optionally with a fraction ("1.5"), then an optional unit K, M, G or T
 * in either case (powers of 1024), then optionally B, b or (after a unit)
 * iB: "4096", "64K", "1.5M", "10mb", "2KiB". No sign, spaces, exponent
 * or hex. Bytes are rounded down ("0.1K" is 102; fraction digits past
 * the 18th are ignored). Stores the bytes in *out and returns 0; returns
 * -1 if s does not start with a size or it exceeds 64 bits. With end,
 * *end points past the size (the caller checks what follows, like
 * "/s"); without, nothing may follow it. */
int hs_parse_size(const char *s, uint64_t *out, const char **end);

/* OPT's value ARG as a SIZE, above 0 if positive, below `below` unless
 * that is 0; otherwise exits with a one-line usage error (125) naming
 * CMD, OPT and ARG. */
uint64_t hs_size_arg(const char *cmd, const char *opt, const char *arg, int positive, uint64_t below);

/* Monotonic seconds (CLOCK_MONOTONIC). */
double hs_now(void);

/* Command-line numbers, strict: the whole argument, no sign, no spaces,
 * no trailing junk; otherwise each exits with one usage line (125) naming
 * CMD, OPT and ARG. */
/* A decimal count from lo to hi. */
unsigned long long hs_count_arg(const char *cmd, const char *opt, const char *arg,
                                unsigned long long lo, unsigned long long hi);
/* An optional count given apart (`--opt N` as well as `--opt=N`, for
 * getopt_long's optional_argument): GIVEN (optarg) if there is one, else
 * the argument at optind when it is all digits and another argument
 * follows it (the program, the process), and optind steps past it; NULL
 * otherwise. */
const char *hs_optional_count(int argc, char **argv, const char *given);
/* A process id. */
pid_t hs_parse_pid(const char *cmd, const char *arg);
/* An address: hexadecimal, "0x" optional. */
uint64_t hs_parse_addr(const char *cmd, const char *arg);
/* SECONDS: a non-negative decimal, at most a day. */
double hs_parse_seconds(const char *cmd, const char *opt, const char *arg);

/* --debuginfo-path: every ':'-separated entry must be a folder; exits
 * with a usage error naming CMD otherwise. Returns the list with every
 * entry made absolute (allocated; lives until exit). */
const char *hs_debuginfo_path_check(const char *cmd, const char *path);

#endif
