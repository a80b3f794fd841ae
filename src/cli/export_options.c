/*
 * export_options.c: the continuous-export options of `run` and `attach`
 * (export_options.h): each value checked where it is parsed, one usage
 * line naming the option when it is wrong.
 *
 * Must never: start an export or open a connection.
 */
#include <string.h>

#include "cli/commands.h"
#include "cli/export_options.h"
#include "common/http_post.h"
#include "common/private_file.h"
#include "common/util.h"

#define MIN_PERIOD_S 0.1

void hs_export_defaults(struct hs_export_cfg *c) {
  *c = (struct hs_export_cfg){ .keep = 100, .cap = 100ull << 20 };
}

/* Pyroscope's label grammar: a key of letters, digits, '_' and '.', not
 * starting with a digit; a value without the name's delimiters. */
static int label_ok(const char *kv) {
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv || (*kv >= '0' && *kv <= '9')) return 0;
  for (const char *p = kv; p < eq; p++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", *p)) return 0;
  return eq[1] && !strpbrk(eq + 1, "{},=\"");
}

int hs_export_option(struct hs_export_cfg *c, const char *cmd, const char *name, const char *arg) {
  if (!strcmp(name, "export-every")) {
    c->every = hs_parse_seconds(cmd, "--export-every", arg);
    if (c->every < MIN_PERIOD_S)
      hs_die(HS_EXIT_USAGE, "%s: --export-every expects at least %.1f seconds, not '%s'", cmd,
             MIN_PERIOD_S, arg);
  } else if (!strcmp(name, "export-dir")) {
    c->dir = arg;
  } else if (!strcmp(name, "export-keep")) {
    c->keep = (unsigned)hs_count_arg(cmd, "--export-keep", arg, 1, 1000000);
  } else if (!strcmp(name, "export-cap")) {
    c->cap = hs_size_arg(cmd, "--export-cap", arg, 1, 0);
  } else if (!strcmp(name, "push")) {
    struct hs_url u;
    char err[512];
    if (hs_url_parse(arg, &u, err, sizeof err) < 0) hs_die(HS_EXIT_USAGE, "%s: %s", cmd, err);
    c->push = arg;
  } else if (!strcmp(name, "push-name")) {
    if (!*arg || strpbrk(arg, "{},=\""))
      hs_die(HS_EXIT_USAGE, "%s: --push-name expects a name without {}=,\" (not '%s')", cmd, arg);
    c->push_name = arg;
  } else if (!strcmp(name, "push-label")) {
    if (!label_ok(arg))
      hs_die(HS_EXIT_USAGE, "%s: --push-label expects KEY=VALUE (a key of letters, digits, _ "
                            "and ., a value without {}=,\"), not '%s'", cmd, arg);
    if (c->nlabels == HS_EXPORT_LABELS)
      hs_die(HS_EXIT_USAGE, "%s: at most %d --push-label", cmd, HS_EXPORT_LABELS);
    c->labels[c->nlabels++] = arg;
  } else {
    return -1;
  }
  return 0;
}

void hs_export_check(struct hs_export_cfg *c, const char *cmd) {
  if (c->every && !c->dir && !c->push)
    hs_die(HS_EXIT_USAGE, "%s: --export-every needs --export-dir DIR, --push URL or both", cmd);
  if (!c->every && (c->dir || c->push))
    hs_die(HS_EXIT_USAGE, "%s: --%s needs --export-every SECONDS", cmd,
           c->dir ? "export-dir" : "push");
  if (!c->dir && (c->keep != 100 || c->cap != 100ull << 20))
    hs_die(HS_EXIT_USAGE, "%s: --export-keep and --export-cap need --export-dir", cmd);
  if (!c->push && (c->push_name || c->nlabels))
    hs_die(HS_EXIT_USAGE, "%s: --push-name and --push-label need --push", cmd);
  char err[1200];
  if (c->dir && hs_mkdir_private(c->dir, err, sizeof err) < 0)
    hs_die(HS_EXIT_USAGE, "%s: --export-dir: %s", cmd, err);
}
