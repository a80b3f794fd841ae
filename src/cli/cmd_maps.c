/*
 * cmd_maps.c: `heapspy maps PID [ADDR] [--format json]`.
 *
 * Without ADDR: where the process's memory goes, by category (like
 * WinDbg's !address -summary): heap, anonymous, reserved, main and thread
 * stacks, code and data of each module, mapped files, shared memory,
 * other; virtual size, resident, shared, private dirty and swapped.
 * With ADDR: what that address is: region, protection, category, module
 * and offset with the symbol (function or variable) and source line, and
 * for a process spied by heapspy the heap block holding it with the stack
 * that allocated it.
 *
 * Must never: stop or signal the target; it reads /proc and files only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/frame_print.h"
#include "common/util.h"
#include "inspect/proc.h"

static const char maps_usage[] =
    "usage: heapspy maps [--format text|json] PID [ADDR]\n"
    "  where a live process's memory goes (heap, anonymous, stacks, code and data\n"
    "  of each module, mapped files, shared memory), or, with ADDR (hexadecimal),\n"
    "  what that address is: region, module+offset, symbol, and for a process\n"
    "  run under heapspy the heap block holding it with its allocation stack.\n"
    "  --format text|json      output format (default text)\n";

struct cat {
  enum hs_region_kind kind;
  int module;                 /* for code and data, else -1 */
  uint64_t virt, rss, shared, dirty, swap;
  size_t regions;
};

static void cat_add(struct cat *c, const struct hs_region *r) {
  c->virt += r->end - r->start;
  c->rss += r->rss;
  c->shared += r->shared;
  c->dirty += r->private_dirty;
  c->swap += r->swap;
  c->regions++;
}

static const char *cat_name(const struct cat *c, const struct hs_regions *rs, char *buf,
                            size_t len) {
  if (c->module >= 0)
    snprintf(buf, len, "%s: %s", c->kind == HS_R_CODE ? "code" : "data",
             hs_base(rs->modules[c->module]));
  else
    snprintf(buf, len, "%s", hs_kind_label(c->kind));
  return buf;
}

static void json_sizes(const struct cat *c) {
  printf("\"virtual_bytes\": %llu, \"rss_bytes\": %llu, \"shared_bytes\": %llu, "
         "\"private_dirty_bytes\": %llu, \"swapped_bytes\": %llu, \"regions\": %zu",
         (unsigned long long)c->virt, (unsigned long long)c->rss,
         (unsigned long long)c->shared, (unsigned long long)c->dirty,
         (unsigned long long)c->swap, c->regions);
}

static int summary(pid_t pid, const struct hs_regions *rs, int json) {
  /* Rows in a fixed order: process-wide kinds, then each module. */
  static const enum hs_region_kind head[] = { HS_R_HEAP, HS_R_ANON, HS_R_RESERVED,
                                              HS_R_STACK_MAIN, HS_R_STACK_THREAD };
  static const enum hs_region_kind tail[] = { HS_R_FILE, HS_R_SHM, HS_R_OTHER };
  size_t ncats = 0;
  struct cat *cats = hs_xcalloc(8 + 2 * rs->nmodules, sizeof *cats);
  for (size_t i = 0; i < sizeof head / sizeof *head; i++)
    cats[ncats++] = (struct cat){ .kind = head[i], .module = -1 };
  for (size_t m = 0; m < rs->nmodules; m++) {
    cats[ncats++] = (struct cat){ .kind = HS_R_CODE, .module = (int)m };
    cats[ncats++] = (struct cat){ .kind = HS_R_DATA, .module = (int)m };
  }
  for (size_t i = 0; i < sizeof tail / sizeof *tail; i++)
    cats[ncats++] = (struct cat){ .kind = tail[i], .module = -1 };
  struct cat total = { .module = -1 };
  for (size_t i = 0; i < rs->n; i++) {
    const struct hs_region *r = &rs->v[i];
    for (size_t k = 0; k < ncats; k++)
      if (cats[k].kind == r->kind && cats[k].module == r->module) {
        cat_add(&cats[k], r);
        break;
      }
    cat_add(&total, r);
  }
  char comm[64], name[300];
  hs_proc_comm(pid, comm, sizeof comm);
  if (json) {
    printf("{\"pid\": %d, \"command\": ", (int)pid);
    hs_json_str(stdout, comm);
    printf(", \"categories\": [");
    int first = 1;
    for (size_t k = 0; k < ncats; k++) {
      const struct cat *c = &cats[k];
      if (!c->regions) continue;
      printf("%s\n  {\"category\": ", first ? "" : ",");
      hs_json_str(stdout, hs_kind_label(c->kind));
      printf(", \"module\": ");
      hs_json_str(stdout, c->module >= 0 ? hs_base(rs->modules[c->module]) : NULL);
      printf(", \"path\": ");
      hs_json_str(stdout, c->module >= 0 ? rs->modules[c->module] : NULL);
      printf(", ");
      json_sizes(c);
      printf("}");
      first = 0;
    }
    printf("],\n \"total\": {");
    json_sizes(&total);
    printf("},\n \"regions\": [");
    for (size_t i = 0; i < rs->n; i++) {
      const struct hs_region *r = &rs->v[i];
      printf("%s\n  {\"start\": \"0x%llx\", \"end\": \"0x%llx\", \"perms\": \"%s\", "
             "\"offset\": %llu, \"path\": ", i ? "," : "", (unsigned long long)r->start,
             (unsigned long long)r->end, r->perms, (unsigned long long)r->offset);
      hs_json_str(stdout, r->path[0] ? r->path : NULL);
      printf(", \"category\": ");
      hs_json_str(stdout, hs_kind_label(r->kind));
      printf(", \"module\": ");
      hs_json_str(stdout, r->module >= 0 ? hs_base(rs->modules[r->module]) : NULL);
      if (r->kind == HS_R_STACK_THREAD && r->tid) printf(", \"tid\": %d", (int)r->tid);
      printf(", \"rss_bytes\": %llu, \"shared_bytes\": %llu, \"private_dirty_bytes\": %llu, "
             "\"swapped_bytes\": %llu}", (unsigned long long)r->rss,
             (unsigned long long)r->shared, (unsigned long long)r->private_dirty,
             (unsigned long long)r->swap);
    }
    printf("]}\n");
  } else {
    char b[5][32];
    printf("memory of process %d (%s): %zu regions, sizes in KiB\n\n", (int)pid, comm, rs->n);
    printf("%-36s %12s %12s %12s %12s %10s %8s\n", "CATEGORY", "VIRTUAL", "RSS", "SHARED",
           "PRIV DIRTY", "SWAPPED", "REGIONS");
    for (size_t k = 0; k <= ncats; k++) {
      const struct cat *c = k < ncats ? &cats[k] : &total;
      if (!c->regions) continue;
      printf("%-36s %12s %12s %12s %12s %10s %8zu\n",
             k < ncats ? cat_name(c, rs, name, sizeof name) : "total",
             hs_kib(c->virt, b[0]), hs_kib(c->rss, b[1]), hs_kib(c->shared, b[2]),
             hs_kib(c->dirty, b[3]), hs_kib(c->swap, b[4]), c->regions);
    }
  }
  free(cats);
  return 0;
}

static void text_frame(const struct hs_frame *f, size_t idx) {
  printf("    #%-2zu ", idx);
  hs_frame_text(stdout, f, HS_FRAME_MARK_INLINED);
  putchar('\n');
}

static void json_frames(const struct hs_frame *f, size_t n) {
  printf("[");
  for (size_t i = 0; i < n; i++) {
    printf("%s{", i ? ", " : "");
    hs_frame_json_fields(stdout, &f[i]);
    putchar('}');
  }
  printf("]");
}

static int one_address(pid_t pid, const struct hs_regions *rs, uint64_t addr, int json) {
  const struct hs_region *r = hs_region_find(rs, addr);
  if (!r) hs_die(1, "maps: address 0x%llx is not mapped in process %d", (unsigned long long)addr,
                 (int)pid);
  struct hs_addr_symbol as;
  struct hs_modlist ml = { 0 };
  int in_module = 0;
  if (r->kind == HS_R_CODE || r->kind == HS_R_DATA || r->kind == HS_R_OTHER) {
    int e = hs_addr_lookup(pid, addr, &as, &ml);
    if (e < 0) hs_proc_die("maps", pid, e, "the modules", 1);
    in_module = e == 1;
  }
  struct hs_frame src[32];
  size_t nsrc = 0;
  struct hs_symbolizer *sym = NULL;
  if (in_module && r->perms[2] == 'x') {
    sym = hs_symbolizer_new(ml.v, ml.n, NULL);
    nsrc = hs_symbolize(sym, addr, 0, src, 32);
    hs_modlist_fix_frames(&ml, src, nsrc);
    if (nsrc == 1 && !src[0].file) nsrc = 0;   /* nothing beyond the symbol */
  }
  struct hs_heap_hit hit;
  int heapish = r->kind == HS_R_HEAP || r->kind == HS_R_ANON;
  if (heapish) hs_heap_lookup(pid, rs, addr, &hit);
  else memset(&hit, 0, sizeof hit);

  char comm[64], cat[300], sz[32];
  hs_proc_comm(pid, comm, sizeof comm);
  if (r->module >= 0)
    snprintf(cat, sizeof cat, "%s (%s)", hs_kind_label(r->kind), hs_base(rs->modules[r->module]));
  else if (r->kind == HS_R_STACK_THREAD && r->tid)
    snprintf(cat, sizeof cat, "%s (thread %d)", hs_kind_label(r->kind), (int)r->tid);
  else
    snprintf(cat, sizeof cat, "%s", hs_kind_label(r->kind));

  if (json) {
    printf("{\"pid\": %d, \"command\": ", (int)pid);
    hs_json_str(stdout, comm);
    printf(", \"address\": \"0x%llx\",\n \"region\": {\"start\": \"0x%llx\", \"end\": \"0x%llx\", "
           "\"perms\": \"%s\", \"offset\": %llu, \"path\": ", (unsigned long long)addr,
           (unsigned long long)r->start, (unsigned long long)r->end, r->perms,
           (unsigned long long)r->offset);
    hs_json_str(stdout, r->path[0] ? r->path : NULL);
    printf(", \"category\": ");
    hs_json_str(stdout, hs_kind_label(r->kind));
    printf(", \"rss_bytes\": %llu},\n \"module\": ", (unsigned long long)r->rss);
    if (in_module) {
      printf("{\"name\": ");
      hs_json_str(stdout, as.module);
      printf(", \"path\": ");
      hs_json_str(stdout, as.path);
      printf(", \"offset\": %llu, \"section\": ", (unsigned long long)as.module_offset);
      hs_json_str(stdout, as.section[0] ? as.section : NULL);
      printf("}");
    } else printf("null");
    printf(",\n \"symbol\": ");
    if (in_module && as.symbol[0]) {
      printf("{\"name\": ");
      hs_json_str(stdout, as.symbol);
      printf(", \"offset\": %llu, \"size\": %llu, \"kind\": \"%s\"}",
             (unsigned long long)as.symbol_offset, (unsigned long long)as.symbol_size,
             as.is_function ? "function" : "object");
    } else printf("null");
    printf(",\n \"source\": ");
    json_frames(src, nsrc);
    printf(",\n \"spied\": %s, \"profile\": ", hit.spied ? "true" : "false");
    hs_json_str(stdout, hit.spied ? hit.profile : NULL);
    printf(",\n \"heap_block\": ");
    if (hit.found) {
      printf("{\"address\": \"0x%llx\", \"size\": %llu, \"offset\": %llu, \"family\": ",
             (unsigned long long)hit.ptr, (unsigned long long)hit.size,
             (unsigned long long)(addr - hit.ptr));
      hs_json_str(stdout, hit.family);
      printf(", \"t_ms\": %llu, \"stack\": ", (unsigned long long)hit.t_ms);
      json_frames(hit.frames, hit.nframes);
      printf("}");
    } else printf("null");
    printf(",\n \"note\": ");
    hs_json_str(stdout, hit.note[0] ? hit.note : NULL);
    printf("}\n");
  } else {
    printf("address 0x%llx in process %d (%s)\n", (unsigned long long)addr, (int)pid, comm);
    printf("  region      0x%llx-0x%llx %s, %s KiB", (unsigned long long)r->start,
           (unsigned long long)r->end, r->perms, hs_kib(r->end - r->start, sz));
    if (r->path[0] == '/')
      printf(", file offset 0x%llx of %s", (unsigned long long)(r->offset + (addr - r->start)),
             r->path);
    else if (r->path[0])
      printf(" %s", r->path);
    putchar('\n');
    printf("  category    %s\n", cat);
    if (in_module) {
      printf("  module      %s+0x%llx", as.module, (unsigned long long)as.module_offset);
      if (as.section[0]) printf(", section %s", as.section);
      putchar('\n');
      if (as.symbol[0])
        printf("  symbol      %s+0x%llx (%s, %llu bytes)\n", as.symbol,
               (unsigned long long)as.symbol_offset, as.is_function ? "function" : "object",
               (unsigned long long)as.symbol_size);
      else
        printf("  symbol      none\n");
      for (size_t i = 0; i < nsrc; i++) {
        printf("  %s", i ? "            " : "source      ");
        printf("%s", src[i].function ? src[i].function : "??");
        if (src[i].file) printf(" at %s:%d", src[i].file, src[i].line);
        if (src[i].inlined) printf(" [inlined]");
        putchar('\n');
      }
    }
    if (heapish) {
      if (hit.found) {
        printf("  heap block  0x%llx+0x%llx, %llu bytes (%s), allocated at %llu ms by:\n",
               (unsigned long long)hit.ptr, (unsigned long long)(addr - hit.ptr),
               (unsigned long long)hit.size, hit.family, (unsigned long long)hit.t_ms);
        for (size_t i = 0; i < hit.nframes; i++) text_frame(&hit.frames[i], i);
      } else if (hit.spied) {
        printf("  heap block  none: %s\n", hit.note);
      } else {
        printf("  heap block  unknown: the process does not run under heapspy "
               "(heapspy run shows blocks and their stacks)\n");
      }
    }
  }
  if (heapish) hs_heap_hit_free(&hit);
  if (sym) hs_symbolizer_free(sym);
  hs_modlist_free(&ml);
  return 0;
}

int cmd_maps(int argc, char **argv) {
  const char *format = hs_parse_format_only("maps", argc, argv, maps_usage);
  if (optind != argc - 1 && optind != argc - 2) {
    fprintf(stderr, "heapspy: maps: expected PID [ADDR]\n%s", maps_usage);
    return HS_EXIT_USAGE;
  }
  pid_t pid = hs_parse_pid("maps", argv[optind]);
  int have_addr = optind == argc - 2;
  uint64_t addr = have_addr ? hs_parse_addr("maps", argv[optind + 1]) : 0;
  hs_proc_require("maps", pid);
  struct hs_regions rs;
  int err = hs_regions_read(pid, &rs, 1);
  if (err == -EINVAL) hs_die(1, "maps: process %d has no memory map (a kernel thread?)", (int)pid);
  if (err) hs_proc_die("maps", pid, err, "the memory map (smaps)", 0);
  int json = !strcmp(format, "json");
  int r = have_addr ? one_address(pid, &rs, addr, json) : summary(pid, &rs, json);
  hs_regions_free(&rs);
  fflush(stdout);
  return r || ferror(stdout) ? 1 : 0;
}
