/*
 * cmd_snapshot.c: `heapspy snapshot PID [NAME] [--leak-check]`: ask a
 * running, spied process for a live checkpoint without stopping it.
 *
 * The spy's profile is a shared mapping of a file, so the process's maps
 * name it. The request (snapshot_request.c) goes into the profile's
 * header and the spy takes the checkpoint at its next allocation; then
 * the checkpoint is read from the same live file and printed.
 *
 * Must never: signal a process whose profile does not name a handler, or
 * one that is not the profile's owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "analyze/report.h"
#include "analyze/snapshot.h"
#include "common/util.h"
#include "profile/hsp_read.h"

static const char snapshot_usage[] =
    "usage: heapspy snapshot [--leak-check] [--timeout SECONDS] [--format text|json] PID [NAME]\n";

char *hs_find_profile(const char *cmd, pid_t pid) {
  char path[64], line[PATH_MAX + 256];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) hs_die(1, "%s: no such process %d", cmd, (int)pid);
    hs_die(1, "%s: cannot read %s: %s", cmd, path, strerror(errno));
  }
  char *found = NULL;
  while (!found && fgets(line, sizeof line, f)) {
    char *p = strchr(line, '/');
    if (!p || !strstr(line, " rw-s ")) continue;
    p[strcspn(p, "\n")] = 0;
    size_t n = strlen(p);
    const char *del = " (deleted)";
    if (n > strlen(del) && !strcmp(p + n - strlen(del), del)) continue;
    if (hsp_is_profile_of(p, (int32_t)pid)) found = hs_xstrdup(p);   /* not its --trace file */
  }
  fclose(f);
  return found;
}

int cmd_snapshot(int argc, char **argv) {
  static const struct option opts[] = {
    { "leak-check", no_argument, 0, 'l' },
    { "timeout", required_argument, 0, 't' },
    { "format", required_argument, 0, 'f' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  int leak_check = 0, c;
  double timeout = 10;
  const char *format = "text";
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'l': leak_check = 1; break;
    case 't': timeout = hs_parse_seconds("snapshot", "--timeout", optarg); break;
    case 'f': format = optarg; break;
    case 'h': fputs(snapshot_usage, stdout); return 0;
    default: hs_option_error("snapshot", argv, "h", opts, snapshot_usage);
    }
  }
  if (strcmp(format, "text") && strcmp(format, "json"))
    hs_die(HS_EXIT_USAGE, "snapshot: --format expects text or json, not '%s'", format);
  if (optind >= argc || optind + 2 < argc) {
    fprintf(stderr, "heapspy: snapshot: expected PID [NAME]\n%s", snapshot_usage);
    return HS_EXIT_USAGE;
  }
  long pid = hs_parse_pid("snapshot", argv[optind]);
  char name[64];
  if (optind + 1 < argc) snprintf(name, sizeof name, "%s", argv[optind + 1]);
  else snprintf(name, sizeof name, "snapshot-%ld", (long)time(NULL));

  char *path = hs_find_profile("snapshot", (pid_t)pid);
  if (!path) hs_die(1, "snapshot: process %ld is not running under heapspy (no profile mapped)", pid);
  char err[1200];
  double answer_s = 0;
  if (hs_snapshot_request(path, (pid_t)pid, name, leak_check, timeout, &answer_s, err, sizeof err))
    hs_die(1, "snapshot: %s", err);

  struct hs_model m;
  if (hs_model_load(&m, path, NULL, err, sizeof err) < 0) hs_die(1, "snapshot: %s", err);
  const struct hsp_mark *mk = hs_snapshot_mark(&m, name);
  if (!mk) hs_die(1, "snapshot: the checkpoint '%s' is not in %s", name, path);
  if (!strcmp(format, "json")) {       /* the checkpoint's object, with how long it took */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) hs_die(1, "snapshot: out of memory");
    hs_report_checkpoint(mem, &m, mk, 0, 1);
    fclose(mem);
    printf("{\"answer_ms\": %.1f, %s\n", answer_s * 1000, len && text[0] == '{' ? text + 1 : "}");
    free(text);
  } else {
    printf("heapspy: checkpoint '%s' of process %ld recorded in %s (answered in %.0f ms)\n", name,
           pid, path, answer_s * 1000);
    hs_report_checkpoint(stdout, &m, mk, 10, 0);
  }
  hs_model_free(&m);
  free(path);
  return 0;
}
