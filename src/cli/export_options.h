/*
 * export_options.h: the continuous-export options shared by `heapspy run`
 * (its table, run_options.h) and `heapspy attach`: --export-every,
 * --export-dir, --export-keep, --export-cap, --push, --push-name,
 * --push-label. Parsed and checked here, once, for both.
 *
 * Must never: start an export or touch the network (only the folder is
 * created, by hs_export_check).
 */
#ifndef HS_EXPORT_OPTIONS_H
#define HS_EXPORT_OPTIONS_H

#include "analyze/export.h"

/* The defaults (every 0: off). */
void hs_export_defaults(struct hs_export_cfg *c);
/* One export option of `cmd` by its long name (without "--"); exits 125
 * with one line on a bad value. Returns 0, or -1 if name is not one. */
int hs_export_option(struct hs_export_cfg *c, const char *cmd, const char *name, const char *arg);
/* The options together: --export-dir and --push need --export-every and
 * the reverse; the folder is created (private). Exits 125 on a mistake. */
void hs_export_check(struct hs_export_cfg *c, const char *cmd);

#endif
