/*
 * main.c: the `heapspy` command line: a table of subcommands, global
 * --help and --version. Usage errors exit with 125 and one line saying
 * what is wrong. Run as heapspy-valgrind (any name containing
 * "valgrind"), it is `heapspy valgrind`.
 */
#include <stdio.h>
#include <string.h>

#include "profile/hsp_format.h"
#include "cli/commands.h"
#include "common/util.h"
#include "common/version.h"

static const struct command {
  const char *name;
  int (*fn)(int, char **);
  const char *help;
} commands[] = {
  { "run", cmd_run, "run a program under the spy and report its heap at exit" },
  { "valgrind", cmd_valgrind, "run with valgrind's command line: heapspy valgrind [OPTIONS] PROG [ARGS]" },
  { "report", cmd_report, "render a profile (text or json)" },
  { "snapshot", cmd_snapshot, "take a live checkpoint (or leak check) of a running, spied process" },
  { "threads", cmd_threads, "per-thread CPU time, state and name of a live process, busiest first" },
  { "stacks", cmd_stacks, "symbolized stacks of every thread of a live process, sampled N times" },
  { "maps", cmd_maps, "where a live process's memory goes, or what one address is" },
  { "heap", cmd_heap, "the glibc heap of any live process, read from outside: RSS explained, census" },
  { "attach", cmd_attach, "start recording a running process's heap without restarting it" },
  { "detach", cmd_detach, "stop recording an attached process; it runs on as before" },
  { "vtop", cmd_vtop, "virtual to physical: page frame, present/swapped, shared or private" },
  { NULL, NULL, NULL },
};

static void usage(FILE *out) {
  fprintf(out, "usage: heapspy COMMAND [OPTIONS] [ARGS]\n\n"
               "heapspy finds leaks in unmodified, dynamically linked programs.\n\n"
               "commands:\n");
  for (const struct command *c = commands; c->name; c++)
    fprintf(out, "  %-10s %s\n", c->name, c->help);
  fprintf(out, "\nrun 'heapspy COMMAND --help' for a command's options; 'man heapspy' for all.\n"
               "example: heapspy run -- ./myprog arg1\n");
}

int main(int argc, char **argv) {
  /* Called by a name with "valgrind" in it (the heapspy-valgrind link):
   * `heapspy valgrind`, for tools that recognise memcheck by its name
   * (CTest's MEMORYCHECK_COMMAND). */
  const char *self = strrchr(argv[0], '/');
  if (strstr(self ? self + 1 : argv[0], "valgrind")) return cmd_valgrind(argc, argv);
  if (argc < 2) {
    usage(stderr);
    return HS_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("heapspy %s (profile format %d)\n", HS_VERSION, HSP_VERSION);
    return 0;
  }
  for (const struct command *c = commands; c->name; c++)
    if (!strcmp(argv[1], c->name)) return c->fn(argc - 1, argv + 1);
  fprintf(stderr, "heapspy: '%s' is not a heapspy command\n", argv[1]);
  usage(stderr);
  return HS_EXIT_USAGE;
}
