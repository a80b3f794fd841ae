/*
 * cmd_heap.c: `heapspy heap PID|CORE [--exe PROG]`: the glibc heap of any
 * process or core, read from outside with nothing loaded into the target:
 * RSS explained (live heap, freed memory glibc holds, glibc's overhead,
 * what is not heap), per arena, in-use blocks by size, a verdict; JSON
 * with the SPEC's keys; --blocks lists every in-use block.
 *
 * Options, then calls into inspect/ (target, glibc_libc, glibc_heap,
 * heap_summary), then printing. The target is stopped only between
 * hs_target_stop and hs_target_resume, and every path out of that window
 * resumes it first.
 *
 * Must never: die (hs_die, hs_proc_die) while the target is stopped.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/util.h"
#include "inspect/glibc_heap.h"
#include "inspect/heap_census.h"
#include "inspect/heap_scan.h"
#include "inspect/heap_summary.h"
#include "inspect/proc.h"
#include "inspect/target.h"

#define EXIT_UNSUPPORTED 2

static const char heap_usage[] =
    "usage: heapspy heap [OPTIONS] PID|CORE\n"
    "  the glibc heap of a running process (never started under heapspy) or of a\n"
    "  core file, read from outside: RSS explained (live heap data, freed memory\n"
    "  glibc holds, glibc's overhead, what is not heap), per arena, in-use blocks\n"
    "  by size, and a verdict. The process is stopped only while it is read.\n"
    "  --format text|json      output format (default text)\n"
    "  --no-stop               read without stopping the process (counts the\n"
    "                          inconsistencies it tolerated)\n"
    "  --exe PROG              the program of a core file (default: as the core names it)\n"
    "  --top N                 rows per table (default 10)\n"
    "  --blocks                print every in-use block as ADDR USABLE_SIZE, nothing else\n"
    "  --no-debuginfo          find main_arena without libc's debug info (by searching\n"
    "                          libc's data)\n"
    "  --no-leak-check         skip the leak scan (memcheck's kinds from outside)\n"
    "  In-use blocks are also counted by C++ type (a first word pointing into a\n"
    "  vtable) and as strings, with samples.\n";

struct opts {
  const char *format, *exe, *operand;
  int no_stop, blocks, no_debuginfo, no_leak_check;
  unsigned long long top;
};

static void parse(int argc, char **argv, struct opts *o) {
  static const struct option lo[] = {
    { "format", required_argument, 0, 'f' },
    { "no-stop", no_argument, 0, 's' },
    { "exe", required_argument, 0, 'e' },
    { "top", required_argument, 0, 't' },
    { "blocks", no_argument, 0, 'b' },
    { "no-debuginfo", no_argument, 0, 'd' },
    { "no-leak-check", no_argument, 0, 'L' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  memset(o, 0, sizeof *o);
  o->format = "text";
  o->top = 10;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (c) {
    case 'f': o->format = optarg; break;
    case 's': o->no_stop = 1; break;
    case 'e': o->exe = optarg; break;
    case 't': o->top = hs_count_arg("heap", "--top", optarg, 1, 1000000); break;
    case 'b': o->blocks = 1; break;
    case 'd': o->no_debuginfo = 1; break;
    case 'L': o->no_leak_check = 1; break;
    case 'h': fputs(heap_usage, stdout); exit(0);
    default: hs_option_error("heap", argv, "h", lo, heap_usage);
    }
  }
  if (strcmp(o->format, "text") && strcmp(o->format, "json"))
    hs_die(HS_EXIT_USAGE, "heap: unsupported format '%s' (supported: text, json)", o->format);
  if (optind != argc - 1) {
    fprintf(stderr, "heapspy: heap: expected one PID or CORE\n%s", heap_usage);
    exit(HS_EXIT_USAGE);
  }
  o->operand = argv[optind];
}

/* ---- printing ----------------------------------------------------------------------- */

static const char *pct(uint64_t part, uint64_t whole, char *buf) {
  snprintf(buf, 16, "%5.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
  return buf;
}

struct ctx {
  const struct opts *o;
  const struct hs_target *t;
  const struct hs_libc *l;
  const struct hs_heap *h;
  const struct hs_heap_summary *s;
  const struct hs_census *c;
  const struct hs_leak_scan *leaks;   /* NULL: not scanned */
  const char *no_scan_why;
  double stop_ms;
  int stopped;
  char comm[64];
};

/* A hex+ASCII dump, 16 bytes a line, indented. */
static void hexdump(const uint8_t *p, size_t n, const char *indent) {
  for (size_t off = 0; off < n; off += 16) {
    printf("%s%04zx  ", indent, off);
    for (size_t i = 0; i < 16; i++) {
      if (off + i < n) printf("%02x ", p[off + i]);
      else printf("   ");
      if (i == 7) putchar(' ');
    }
    printf(" |");
    for (size_t i = 0; i < 16 && off + i < n; i++)
      putchar(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.');
    printf("|\n");
  }
}

static void print_census_text(const struct ctx *x) {
  const struct hs_census *c = x->c;
  char b[4][32];
  printf("\nTYPES (in-use blocks whose first word points into a C++ vtable; %zu vtables known)\n",
         c->vtables);
  if (!c->ntypes) printf("  none\n");
  else printf("  %-48s %12s %16s  %s\n", "TYPE", "BLOCKS", "BYTES", "MODULE");
  for (size_t i = 0; i < c->ntypes && i < x->o->top; i++) {
    const struct hs_type_group *g = &c->types[i];
    printf("  %-48s %12s %16s  %s\n", g->name, hs_commas(g->blocks, b[0]), hs_commas(g->bytes, b[1]),
           g->module);
  }
  if (c->ntypes > x->o->top) printf("  ... %zu more types\n", c->ntypes - (size_t)x->o->top);
  for (size_t i = 0; i < c->ntypes && i < 3 && i < x->o->top; i++) {
    const struct hs_type_group *g = &c->types[i];
    printf("  sample %s at 0x%llx, first %zu bytes:\n", g->name, (unsigned long long)g->sample_addr,
           g->sample_len);
    hexdump(g->sample, g->sample_len, "    ");
  }
  printf("\nSTRINGS (in-use blocks holding NUL-terminated printable text)\n");
  printf("  %s blocks, %s bytes\n", hs_commas(c->string_blocks, b[0]), hs_commas(c->string_bytes, b[1]));
  for (size_t i = 0; i < c->nstring_samples; i++) {
    printf("  0x%llx  \"", (unsigned long long)c->string_addr[i]);
    const char *t = c->string_text[i];
    for (size_t k = 0; k < 60 && t[k]; k++) putchar(t[k] == '\n' || t[k] == '\t' || t[k] == '\r' ? ' ' : t[k]);
    printf("%s\"\n", strlen(t) > 60 ? "..." : "");
  }
}


static const char *group_label(const struct ctx *x, const struct hs_leak_group *g, char *buf, size_t len) {
  if (g->census >= 2 && g->census - 2 < x->c->ntypes) snprintf(buf, len, "%s", x->c->types[g->census - 2].name);
  else snprintf(buf, len, "%llu-byte blocks", (unsigned long long)g->size);
  return buf;
}

static const char no_stacks_note[] =
    "without allocation stacks: this process does not run under heapspy (`heapspy run`\n"
    "  records who allocated each block)";
static const char spied_note[] =
    "this process runs under heapspy: `heapspy snapshot --leak-check PID` gives the\n"
    "  spy's own scan, with the allocation stack of every lost block";

static void print_leaks_text(const struct ctx *x) {
  const struct hs_leak_scan *k = x->leaks;
  char b[6][32];
  if (!k) {
    printf("\nLEAK SUMMARY: not scanned (%s)\n", x->no_scan_why);
    return;
  }
  printf("\nLEAK SUMMARY (memcheck's rules and default heuristics, scanned from outside in %.1f ms:\n"
         "  %s of roots in %zu mappings, registers of %zu thread%s, %zu stack%s, %s of blocks)\n",
         k->ms, hs_human_bytes((double)k->root_bytes, b[0]), k->root_regions, k->reg_threads,
         k->reg_threads == 1 ? "" : "s", k->stack_threads, k->stack_threads == 1 ? "" : "s",
         hs_human_bytes((double)k->block_bytes, b[1]));
  static const enum hs_leak_kind order[] = { HS_LEAK_DEFINITE, HS_LEAK_INDIRECT, HS_LEAK_POSSIBLE,
                                             HS_LEAK_REACHABLE };
  for (size_t i = 0; i < 4; i++)
    printf("  %17s: %s bytes in %s blocks\n", hs_leak_kind_name(order[i]),
           hs_commas(k->bytes[order[i]], b[0]), hs_commas(k->blocks[order[i]], b[1]));
  int any = 0;
  for (int hh = 1; hh < HS_HEUR_N; hh++)
    if (k->heur_blocks[hh]) {
      printf("%s %s %s bytes in %s blocks", any ? "," : "    of which reachable via heuristic:",
             hs_leak_heur_name((enum hs_leak_heur)hh), hs_commas(k->heur_bytes[hh], b[0]),
             hs_commas(k->heur_blocks[hh], b[1]));
      any = 1;
    }
  if (any) putchar('\n');
  if (k->ngroups) {
    printf("\nLOST BLOCKS by C++ type, else by usable size (largest first)\n");
    printf("  %-16s %-40s %10s %14s\n", "KIND", "TYPE OR SIZE", "BLOCKS", "BYTES");
  }
  for (size_t i = 0; i < k->ngroups && i < x->o->top; i++) {
    const struct hs_leak_group *g = &k->groups[i];
    char label[256];
    printf("  %-16s %-40s %10s %14s\n", hs_leak_kind_name(g->kind), group_label(x, g, label, sizeof label),
           hs_commas(g->blocks, b[0]), hs_commas(g->bytes, b[1]));
    printf("    sample at 0x%llx, first %zu bytes:\n", (unsigned long long)g->sample_addr, g->sample_len);
    hexdump(g->sample, g->sample_len, "      ");
  }
  if (k->ngroups > x->o->top) printf("  ... %zu more groups\n", k->ngroups - (size_t)x->o->top);
  printf("  not known from outside: %s; words the program never wrote (stale\n"
         "  allocator links in a block) count as pointers, where memcheck ignores them\n",
         k->spied ? spied_note : no_stacks_note);
}

static void print_text(const struct ctx *x) {
  const struct hs_heap *h = x->h;
  const struct hs_heap_summary *s = x->s;
  const struct hs_arena *t = &s->tot;
  char b[8][32];
  if (x->t->kind == HS_TARGET_CORE)
    printf("heap of core %s (process %d, %s): glibc %s, main_arena 0x%llx found by %s\n",
           x->t->path, (int)x->t->pid, x->comm, x->l->version, (unsigned long long)x->l->main_arena,
           x->l->from_debuginfo ? "libc's debug info" : "searching libc's data (no debug info)");
  else
  printf("heap of process %d (%s): glibc %s, main_arena 0x%llx found by %s\n", (int)x->t->pid,
         x->comm, x->l->version, (unsigned long long)x->l->main_arena,
         x->l->from_debuginfo ? "libc's debug info" : "searching libc's data (no debug info)");
  if (x->t->kind == HS_TARGET_CORE)
    printf("read from the core (%zu threads); resident = dumped in the core, RSS = the heap's part\n",
           x->t->nthreads);
  else if (x->stopped)
    printf("the process was stopped for %.1f ms (%zu thread%s)\n", x->stop_ms, x->t->nthreads,
           x->t->nthreads == 1 ? "" : "s");
  else
    printf("read without stopping the process (--no-stop): %llu inconsistencies tolerated\n",
           (unsigned long long)h->tolerated);
  printf("\nRSS EXPLAINED (resident bytes)\n");
  printf("  %-34s %15s %7s\n", "RSS", hs_commas(s->rss, b[0]), "100.0%");
  printf("  %-34s %15s %7s  %s in %s blocks\n", "live heap data",
         hs_commas(t->resident[HS_H_INUSE], b[0]), pct(t->resident[HS_H_INUSE], s->rss, b[1]),
         hs_human_bytes((double)t->in_use_bytes, b[2]), hs_commas(t->in_use_blocks, b[3]));
  printf("  %-34s %15s %7s  tcache %s, fastbins %s, bins %s\n", "freed, held by glibc",
         hs_commas(t->resident[HS_H_FREE], b[0]), pct(t->resident[HS_H_FREE], s->rss, b[1]),
         hs_human_bytes((double)t->tcache_bytes, b[2]), hs_human_bytes((double)t->fast_bytes, b[3]),
         hs_human_bytes((double)t->bin_bytes, b[4]));
  printf("  %-34s %15s %7s  %s in %zu arena%s\n", "top chunks (malloc_trim returns)",
         hs_commas(t->resident[HS_H_TOP], b[0]), pct(t->resident[HS_H_TOP], s->rss, b[1]),
         hs_human_bytes((double)t->top_bytes, b[2]), h->narenas, h->narenas == 1 ? "" : "s");
  printf("  %-34s %15s %7s  headers, arenas, heap_info, %llu tcache struct%s\n", "glibc overhead",
         hs_commas(t->resident[HS_H_OVERHEAD], b[0]), pct(t->resident[HS_H_OVERHEAD], s->rss, b[1]),
         (unsigned long long)h->tcache_structs, h->tcache_structs == 1 ? "" : "s");
  for (size_t i = 0; i < s->nnonheap; i++) {
    char name[64];
    snprintf(name, sizeof name, "not heap: %s", s->nonheap[i].category);
    printf("  %-34s %15s %7s\n", name, hs_commas(s->nonheap[i].bytes, b[0]),
           pct(s->nonheap[i].bytes, s->rss, b[1]));
  }
  printf("\nARENAS (bytes of chunks)\n");
  printf("  %-16s %-7s %7s %6s %14s %10s %14s %14s %12s %14s\n", "ADDRESS", "KIND", "THREADS",
         "HEAPS", "IN USE", "BLOCKS", "FREE HELD", "TOP", "OVERHEAD", "SYSTEM");
  for (size_t i = 0; i <= h->narenas; i++) {
    const struct hs_arena *a = i < h->narenas ? &h->arenas[i] : &h->mmapped;
    if (i == h->narenas && !a->in_use_blocks) continue;
    char addr[32];
    if (i < h->narenas) snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)a->addr);
    else snprintf(addr, sizeof addr, "-");
    printf("  %-16s %-7s %7llu %6zu %14s %10s %14s %14s %12s %14s\n", addr,
           i == h->narenas ? "mmapped" : a->is_main ? "main" : "thread",
           (unsigned long long)(i < h->narenas ? a->attached_threads : 0), a->nheaps,
           hs_commas(a->in_use_bytes, b[0]), hs_commas(a->in_use_blocks, b[1]),
           hs_commas(a->tcache_bytes + a->fast_bytes + a->bin_bytes, b[2]),
           hs_commas(a->top_bytes, b[3]), hs_commas(a->bytes[HS_H_OVERHEAD], b[4]),
           hs_commas(i < h->narenas ? a->system_mem : a->bytes[HS_H_INUSE] + a->bytes[HS_H_OVERHEAD], b[5]));
  }
  printf("\nSIZES (in-use blocks by usable size)\n");
  uint64_t maxb = 1;
  for (int k = 0; k < 64; k++)
    if (s->classes[k].blocks > maxb) maxb = s->classes[k].blocks;
  for (int k = 0; k < 64; k++) {
    const struct hs_size_row *r = &s->classes[k];
    if (!r->blocks) continue;
    char range[48], bar[41];
    snprintf(range, sizeof range, "%s..%s", hs_human_bytes((double)r->size, b[0]),
             hs_human_bytes((double)(r->size * 2 - 1), b[1]));
    int n = (int)(40 * r->blocks / maxb);
    memset(bar, '#', (size_t)n);
    bar[n ? n : 0] = 0;
    printf("  %-22s %12s blocks %14s bytes  %s\n", range, hs_commas(r->blocks, b[2]),
           hs_commas(r->bytes, b[3]), bar);
  }
  printf("  largest sizes by bytes:");
  for (size_t i = 0; i < s->nsizes && i < x->o->top; i++)
    printf("%s %s x %s", i ? "," : "", hs_commas(s->sizes[i].size, b[0]),
           hs_commas(s->sizes[i].blocks, b[1]));
  putchar('\n');
  print_census_text(x);
  print_leaks_text(x);
  if (h->nproblems) {
    printf("\nPROBLEMS\n");
    for (size_t i = 0; i < h->nproblems; i++) printf("  %s\n", h->problems[i]);
  }
  printf("\nverdict: %s\n", s->verdict);
}

static void json_arena_fields(const struct hs_arena *a) {
  printf("\"in_use_bytes\": %llu, \"in_use_blocks\": %llu, \"free_held_bytes\": %llu, "
         "\"tcache_bytes\": %llu, \"fastbin_bytes\": %llu, \"bin_bytes\": %llu, \"top_bytes\": %llu, "
         "\"overhead_bytes\": %llu",
         (unsigned long long)a->in_use_bytes, (unsigned long long)a->in_use_blocks,
         (unsigned long long)(a->tcache_bytes + a->fast_bytes + a->bin_bytes),
         (unsigned long long)a->tcache_bytes, (unsigned long long)a->fast_bytes,
         (unsigned long long)a->bin_bytes, (unsigned long long)a->top_bytes,
         (unsigned long long)a->bytes[HS_H_OVERHEAD]);
}


static void print_leaks_json(const struct ctx *x) {
  const struct hs_leak_scan *k = x->leaks;
  if (!k) {
    printf(" \"leak_summary\": {\"definitely_lost\": null, \"indirectly_lost\": null, "
           "\"possibly_lost\": null, \"still_reachable\": null, \"not_scanned\": ");
    hs_json_str(stdout, x->no_scan_why);
    printf("},\n \"leak_groups\": [],\n");
    return;
  }
  static const char *const keys[] = { "definitely_lost", "indirectly_lost", "possibly_lost", "still_reachable" };
  static const enum hs_leak_kind order[] = { HS_LEAK_DEFINITE, HS_LEAK_INDIRECT, HS_LEAK_POSSIBLE,
                                             HS_LEAK_REACHABLE };
  printf(" \"leak_summary\": {");
  for (size_t i = 0; i < 4; i++)
    printf("\"%s\": {\"bytes\": %llu, \"blocks\": %llu}, ", keys[i], (unsigned long long)k->bytes[order[i]],
           (unsigned long long)k->blocks[order[i]]);
  printf("\"reachable_via_heuristic\": {");
  for (int hh = 1; hh < HS_HEUR_N; hh++)
    printf("%s\"%s\": {\"bytes\": %llu, \"blocks\": %llu}", hh > 1 ? ", " : "", hs_leak_heur_name((enum hs_leak_heur)hh),
           (unsigned long long)k->heur_bytes[hh], (unsigned long long)k->heur_blocks[hh]);
  printf("},\n  \"scan_ms\": %.3f, \"root_bytes\": %llu, \"root_mappings\": %zu, \"register_threads\": %zu, "
         "\"stack_threads\": %zu, \"tls_threads\": %zu, \"block_bytes_scanned\": %llu, \"unread_bytes\": %llu, "
         "\"allocation_stacks\": false, \"spied\": %s},\n",
         k->ms, (unsigned long long)k->root_bytes, k->root_regions, k->reg_threads, k->stack_threads,
         k->tls_threads, (unsigned long long)k->block_bytes, (unsigned long long)k->unread_bytes,
         k->spied ? "true" : "false");
  printf(" \"leak_groups\": [");
  for (size_t i = 0; i < k->ngroups; i++) {
    const struct hs_leak_group *g = &k->groups[i];
    printf("%s\n  {\"kind\": \"%s\", \"type\": ", i ? "," : "", hs_leak_kind_name(g->kind));
    if (g->census >= 2 && g->census - 2 < x->c->ntypes) hs_json_str(stdout, x->c->types[g->census - 2].name);
    else printf("null");
    printf(", \"size\": ");
    if (g->census >= 2) printf("null");
    else printf("%llu", (unsigned long long)g->size);
    printf(", \"blocks\": %llu, \"bytes\": %llu, \"sample\": {\"address\": \"0x%llx\", \"hex\": \"",
           (unsigned long long)g->blocks, (unsigned long long)g->bytes, (unsigned long long)g->sample_addr);
    for (size_t j = 0; j < g->sample_len; j++) printf("%02x", g->sample[j]);
    printf("\"}}");
  }
  printf("],\n");
}

static void print_json(const struct ctx *x) {
  const struct hs_heap *h = x->h;
  const struct hs_heap_summary *s = x->s;
  const struct hs_arena *t = &s->tot;
  if (x->t->kind == HS_TARGET_CORE) {
    printf("{\"core\": ");
    hs_json_str(stdout, x->t->path);
    printf(", \"pid\": %d", (int)x->t->pid);
  } else {
    printf("{\"pid\": %d", (int)x->t->pid);
  }
  printf(", \"command\": ");
  hs_json_str(stdout, x->comm);
  printf(", \"glibc\": ");
  hs_json_str(stdout, x->l->version);
  printf(", \"main_arena\": \"0x%llx\", \"arena_found_by\": \"%s\",\n", (unsigned long long)x->l->main_arena,
         x->l->from_debuginfo ? "debuginfo" : "search");
  printf(" \"stopped\": %s, \"stop_ms\": %.3f, \"threads\": %zu, \"tolerated_inconsistencies\": %llu,\n",
         x->stopped ? "true" : "false", x->stop_ms, x->t->nthreads, (unsigned long long)h->tolerated);
  printf(" \"rss_bytes\": %llu,\n \"heap\": {", (unsigned long long)s->rss);
  json_arena_fields(t);
  printf(", \"free_held_blocks\": %llu, \"system_bytes\": %llu, \"mmapped_bytes\": %llu, "
         "\"mmapped_blocks\": %llu, \"tcache_structs\": %llu, \"tcache_found\": %s,\n  "
         "\"malloc_info\": {\"fast\": %llu, \"rest\": %llu, \"current\": %llu},\n  \"resident\": "
         "{\"in_use\": %llu, \"free_held\": %llu, \"top\": %llu, \"overhead\": %llu, \"total\": %llu}},\n",
         (unsigned long long)(t->tcache_blocks + t->fast_blocks + t->bin_blocks),
         (unsigned long long)t->system_mem, (unsigned long long)h->mmapped.in_use_bytes,
         (unsigned long long)h->mmapped.in_use_blocks, (unsigned long long)h->tcache_structs,
         h->tcache_found ? "true" : "false", (unsigned long long)t->fast_bytes,
         (unsigned long long)(t->bin_size_fields + t->top_bytes), (unsigned long long)t->system_mem,
         (unsigned long long)t->resident[HS_H_INUSE], (unsigned long long)t->resident[HS_H_FREE],
         (unsigned long long)t->resident[HS_H_TOP], (unsigned long long)t->resident[HS_H_OVERHEAD],
         (unsigned long long)s->heap_resident);
  printf(" \"arenas\": [");
  for (size_t i = 0; i < h->narenas; i++) {
    const struct hs_arena *a = &h->arenas[i];
    printf("%s\n  {\"address\": \"0x%llx\", \"main\": %s, \"threads\": %llu, \"tids\": [", i ? "," : "",
           (unsigned long long)a->addr, a->is_main ? "true" : "false",
           (unsigned long long)a->attached_threads);
    for (size_t k = 0; k < a->ntids; k++) printf("%s%d", k ? ", " : "", (int)a->tids[k]);
    printf("], \"heaps\": %zu, \"system_bytes\": %llu, ", a->nheaps, (unsigned long long)a->system_mem);
    json_arena_fields(a);
    printf("}");
  }
  printf("],\n \"nonheap\": [");
  for (size_t i = 0; i < s->nnonheap; i++) {
    printf("%s{\"category\": ", i ? ", " : "");
    hs_json_str(stdout, s->nonheap[i].category);
    printf(", \"bytes\": %llu}", (unsigned long long)s->nonheap[i].bytes);
  }
  printf("],\n \"types\": [");
  const struct hs_census *c = x->c;
  for (size_t i = 0; i < c->ntypes; i++) {
    const struct hs_type_group *g = &c->types[i];
    printf("%s\n  {\"name\": ", i ? "," : "");
    hs_json_str(stdout, g->name);
    printf(", \"blocks\": %llu, \"bytes\": %llu, \"module\": ", (unsigned long long)g->blocks,
           (unsigned long long)g->bytes);
    hs_json_str(stdout, g->module);
    printf(", \"sample\": {\"address\": \"0x%llx\", \"hex\": \"", (unsigned long long)g->sample_addr);
    for (size_t k = 0; k < g->sample_len; k++) printf("%02x", g->sample[k]);
    printf("\"}}");
  }
  printf("],\n \"strings\": {\"blocks\": %llu, \"bytes\": %llu, \"samples\": [",
         (unsigned long long)c->string_blocks, (unsigned long long)c->string_bytes);
  for (size_t i = 0; i < c->nstring_samples; i++) {
    printf("%s{\"address\": \"0x%llx\", \"text\": ", i ? ", " : "", (unsigned long long)c->string_addr[i]);
    hs_json_str(stdout, c->string_text[i]);
    printf("}");
  }
  printf("]},\n \"sizes\": [");
  for (size_t i = 0; i < s->nsizes; i++)
    printf("%s{\"size\": %llu, \"blocks\": %llu, \"bytes\": %llu}", i ? ", " : "",
           (unsigned long long)s->sizes[i].size, (unsigned long long)s->sizes[i].blocks,
           (unsigned long long)s->sizes[i].bytes);
  printf("],\n");
  print_leaks_json(x);
  printf(" \"problems\": [");
  for (size_t i = 0; i < h->nproblems; i++) {
    printf("%s", i ? ", " : "");
    hs_json_str(stdout, h->problems[i]);
  }
  printf("],\n \"verdict\": ");
  hs_json_str(stdout, s->verdict);
  printf("}\n");
}

/* ---- the command -------------------------------------------------------------------- */

static int all_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s)) return 0;
  return 1;
}

static void die_stop(pid_t pid, int err) {
  char note[400];
  if (err == -EPERM || err == -EACCES)
    hs_die(1, "heap: permission denied stopping the threads of process %d with ptrace (%s)",
           (int)pid, hs_permission_note(pid, note, sizeof note));
  if (err == -ETIMEDOUT)
    hs_die(1, "heap: a thread of process %d did not stop within 2 s (in uninterruptible sleep?); "
           "--no-stop reads it running", (int)pid);
  hs_proc_die("heap", pid, err, "the threads", 1);
}

/* heapspy heap CORE: the same walk over a core file. */
static int heap_core(const struct opts *o) {
  struct hs_target t;
  char msg[1400];
  if (hs_target_open_core(&t, o->operand, o->exe, msg, sizeof msg) != 0) hs_die(1, "heap: %s", msg);
  struct hs_libc l;
  enum hs_libc_status st = hs_libc_locate(&t, o->no_debuginfo, &l, msg, sizeof msg);
  if (st != HS_LIBC_OK) hs_die(st == HS_LIBC_NO_ARENA ? 1 : EXIT_UNSUPPORTED, "heap: %s", msg);
  struct ctx x = { .o = o, .t = &t, .l = &l };
  snprintf(x.comm, sizeof x.comm, "%s", t.exe[0] ? hs_base(t.exe) : "?");
  struct hs_heap h;
  struct hs_census census;
  memset(&census, 0, sizeof census);
  hs_heap_walk(&t, &l, 0, &h);
  if (o->blocks) {
    for (size_t i = 0; i < h.nblocks; i++)
      printf("0x%llx %llu\n", (unsigned long long)h.blocks[i].addr,
             (unsigned long long)h.blocks[i].usable);
    for (size_t i = 0; i < h.nproblems; i++) fprintf(stderr, "heapspy: heap: %s\n", h.problems[i]);
  } else {
    hs_census_run(&t, &h, &census);
    struct hs_leak_scan leaks;
    memset(&leaks, 0, sizeof leaks);
    if (!o->no_leak_check) {
      hs_leak_scan(&t, &l, &h, &leaks);
      x.leaks = &leaks;
    } else {
      x.no_scan_why = "--no-leak-check";
    }
    struct hs_heap_summary s;
    hs_heap_summarize(&h, NULL, &s);
    x.h = &h;
    x.s = &s;
    x.c = &census;
    if (!strcmp(o->format, "json")) print_json(&x);
    else print_text(&x);
    hs_heap_summary_free(&s);
    hs_leak_scan_free(&leaks);
  }
  hs_census_free(&census);
  hs_heap_free(&h);
  hs_target_close(&t);
  fflush(stdout);
  return ferror(stdout) ? 1 : 0;
}

int cmd_heap(int argc, char **argv) {
  struct opts o;
  parse(argc, argv, &o);
  if (!all_digits(o.operand)) return heap_core(&o);
  pid_t pid = hs_parse_pid("heap", o.operand);
  hs_proc_require("heap", pid);
  struct hs_target t;
  int err = hs_target_open_live(&t, pid);
  if (err) hs_proc_die("heap", pid, err, "the memory", 0);
  struct hs_libc l;
  char msg[1400];
  enum hs_libc_status st = hs_libc_locate(&t, o.no_debuginfo, &l, msg, sizeof msg);
  if (st != HS_LIBC_OK && st != HS_LIBC_NO_ARENA) hs_die(EXIT_UNSUPPORTED, "heap: %s", msg);
  struct ctx x = { .o = &o, .t = &t, .l = &l, .stopped = !o.no_stop };
  hs_proc_comm(pid, x.comm, sizeof x.comm);
  if (!o.no_stop) {
    if ((err = hs_target_stop(&t)) != 0) die_stop(pid, err);
    hs_target_reload_maps(&t);
  } else {
    hs_target_list_threads(&t);
  }
  /* --- stopped: no hs_die until hs_target_resume ------------------------- */
  if (st == HS_LIBC_NO_ARENA && hs_libc_search_arena(&t, &l) == 0) st = HS_LIBC_OK;
  struct hs_regions rs;
  int rerr = -1;
  struct hs_heap h;
  struct hs_census census;
  struct hs_leak_scan leaks;
  memset(&h, 0, sizeof h);
  memset(&census, 0, sizeof census);
  memset(&leaks, 0, sizeof leaks);
  if (st == HS_LIBC_OK) {
    rerr = hs_regions_read(pid, &rs, 1);
    hs_heap_walk(&t, &l, o.no_stop, &h);
    if (!o.blocks) hs_census_run(&t, &h, &census);
    if (!o.blocks && !o.no_stop && !o.no_leak_check) {
      hs_leak_scan(&t, &l, &h, &leaks);
      x.leaks = &leaks;
    }
  }
  x.no_scan_why = o.no_leak_check ? "--no-leak-check"
                  : "--no-stop: the heap moves under a scan of a running process";
  if (!o.no_stop) x.stop_ms = hs_target_resume(&t);
  /* --- running again ------------------------------------------------------ */
  if (st != HS_LIBC_OK) hs_die(EXIT_UNSUPPORTED, "heap: %s", msg);
  if (rerr) hs_proc_die("heap", pid, rerr, "the memory map (smaps)", 1);
  if (o.blocks) {
    for (size_t i = 0; i < h.nblocks; i++)
      printf("0x%llx %llu\n", (unsigned long long)h.blocks[i].addr,
             (unsigned long long)h.blocks[i].usable);
  } else {
    struct hs_heap_summary s;
    hs_heap_summarize(&h, &rs, &s);
    x.h = &h;
    x.s = &s;
    x.c = &census;
    if (!strcmp(o.format, "json")) print_json(&x);
    else print_text(&x);
    hs_heap_summary_free(&s);
  }
  for (size_t i = 0; o.blocks && i < h.nproblems; i++) fprintf(stderr, "heapspy: heap: %s\n", h.problems[i]);
  hs_regions_free(&rs);
  hs_leak_scan_free(&leaks);
  hs_census_free(&census);
  hs_heap_free(&h);
  hs_target_close(&t);
  fflush(stdout);
  return ferror(stdout) ? 1 : 0;
}
