/*
 * commands.h: one function per `heapspy` subcommand (git's builtin/
 * style), dispatched from main.c's table. Each returns the process exit
 * status.
 */
#ifndef HS_COMMANDS_H
#define HS_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);

/* Live process inspection (src/inspect/). */
int cmd_threads(int argc, char **argv);
int cmd_stacks(int argc, char **argv);
int cmd_maps(int argc, char **argv);
int cmd_vtop(int argc, char **argv);

/* Paths of the installed pieces, relative to the heapspy binary. */
const char *hs_spy_library(void);

#endif
