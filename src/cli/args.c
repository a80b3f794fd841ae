/*
 * args.c: command-line helpers shared by the commands. Must never do a
 * command's work: parse, or refuse with one line and the usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/util.h"

const char *hs_parse_format_only(const char *cmd, int argc, char **argv, const char *usage) {
  static const struct option opts[] = {
    { "format", required_argument, 0, 'f' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  const char *format = "text";
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'h': fputs(usage, stdout); exit(0);
    default: hs_option_error(cmd, argv, "h", opts, usage);
    }
  }
  if (strcmp(format, "text") && strcmp(format, "json"))
    hs_die(HS_EXIT_USAGE, "%s: unsupported format '%s' (supported: text, json)", cmd, format);
  return format;
}

void hs_option_error(const char *cmd, char **argv, const char *shortopts,
                     const struct option *opts, const char *usage) {
  const char *word = argv[optind - 1];
  int known = 0;
  if (word[0] == '-' && word[1] == '-') {
    size_t n = strcspn(word + 2, "=");
    for (const struct option *o = opts; o->name; o++)
      if (strlen(o->name) == n && !strncmp(o->name, word + 2, n)) known = 1;
  } else if (optopt) {
    known = strchr(shortopts, optopt) != NULL;
  }
  fprintf(stderr, "heapspy: %s: %s '%s'\n%s", cmd, known ? "a value is missing after" : "unknown option",
          word, usage);
  exit(HS_EXIT_USAGE);
}
