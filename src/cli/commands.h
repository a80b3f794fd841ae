/*
 * commands.h: one function per `heapspy` subcommand (git's builtin/
 * style), dispatched from main.c's table. Each returns the process exit
 * status.
 */
#ifndef HS_COMMANDS_H
#define HS_COMMANDS_H

#include <sys/types.h>

int cmd_run(int argc, char **argv);
int cmd_valgrind(int argc, char **argv);   /* run, with valgrind's command line */
int cmd_report(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);

/* Live process inspection (src/inspect/). */
int cmd_threads(int argc, char **argv);
int cmd_stacks(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_vtop(int argc, char **argv);
int cmd_heap(int argc, char **argv);

/* args.c: options of a command whose only option is --format text|json:
 * parses them, returns the format; exits 0 after --help, 125 on a bad
 * option. Options may come after the operands (GNU order); optind is
 * left at the first operand. */
const char *hs_parse_format_only(const char *cmd, int argc, char **argv, const char *usage);

/* args.c: getopt_long returned '?': one line, "a value is missing after
 * OPTION" for a known option without its value, else "unknown option
 * OPTION", then the usage; exits 125. */
struct option;
void hs_option_error(const char *cmd, char **argv, const char *shortopts,
                     const struct option *opts, const char *usage);

/* Paths of the installed pieces, relative to the heapspy binary. */
const char *hs_spy_library(void);
const char *hs_spy_library_file(const char *file);   /* another file beside it */

/* cmd_snapshot.c: the .hsp profile process pid has mapped (malloc'd), or
 * NULL; dies with one line naming cmd if the process cannot be read. */
char *hs_find_profile(const char *cmd, pid_t pid);

/* Attaching to a running process (src/inject/). */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);

#endif
