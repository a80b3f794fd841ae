/*
 * heap_print.c: `heapspy heap`'s text and JSON (see heap_print.h). Must
 * never read the target or change what it is given.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "analyze/report.h"
#include "cli/heap_print.h"
#include "common/json.h"
#include "common/util.h"
#include "inspect/proc.h"

static const char *pct(uint64_t part, uint64_t whole, char *buf) {
  snprintf(buf, 16, "%5.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
  return buf;
}


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

#define TEXT_STACKS 5               /* stacks shown per group, most bytes first */
#define TEXT_FRAMES 12

/* Why blocks of a spied process have no record in the spy. */
static const char *unrecorded_why(const struct heap_view *x) {
  if (x->spy->sample_mean) return "--sample records only the sampled blocks";
  if (x->spy->attached) return "allocated before `heapspy attach`, or by code the spy does not see";
  return "allocated by code the spy does not see";
}

/* One group's allocation stacks (a spied process), as text. */
static void print_stacks_text(const struct heap_view *x, const struct hs_group_stacks *g,
                              const char *indent) {
  if (!x->stacks) return;
  char b[3][32], frames[64];
  snprintf(frames, sizeof frames, "%s    ", indent);
  printf("%sallocated at (%zu stack%s, from the spy's profile):\n", indent, g->n, g->n == 1 ? "" : "s");
  for (size_t i = 0; i < g->n && i < TEXT_STACKS; i++) {
    const struct hs_stack_share *s = &g->v[i];
    printf("%s  %s blocks, %s bytes (%s requested):\n", indent, hs_commas(s->blocks, b[0]),
           hs_commas(s->bytes, b[1]), hs_commas(s->requested, b[2]));
    hs_text_stack(stdout, x->model, s->stack, TEXT_FRAMES, frames, 0);
  }
  if (g->n > TEXT_STACKS) printf("%s  ... %zu more stacks\n", indent, g->n - TEXT_STACKS);
  if (g->unknown_blocks)
    printf("%s  %s blocks, %s bytes not recorded by the spy (%s)\n", indent,
           hs_commas(g->unknown_blocks, b[0]), hs_commas(g->unknown_bytes, b[1]), unrecorded_why(x));
}

/* ... as the JSON keys "stacks" and "unrecorded" of a group object. */
static void print_stacks_json(const struct heap_view *x, const struct hs_group_stacks *g) {
  if (!x->stacks) return;
  printf(", \"stacks\": [");
  for (size_t i = 0; i < g->n; i++) {
    const struct hs_stack_share *s = &g->v[i];
    printf("%s\n   {\"blocks\": %llu, \"bytes\": %llu, \"requested_bytes\": %llu, \"stack\": ",
           i ? "," : "", (unsigned long long)s->blocks, (unsigned long long)s->bytes,
           (unsigned long long)s->requested);
    hs_json_frames(stdout, x->model, s->stack);
    printf("}");
  }
  printf("], \"unrecorded\": {\"blocks\": %llu, \"bytes\": %llu}", (unsigned long long)g->unknown_blocks,
         (unsigned long long)g->unknown_bytes);
}

static void print_census_text(const struct heap_view *x) {
  const struct hs_census *c = x->c;
  char b[4][32];
  printf("\nTYPES (in-use blocks whose first word points into a C++ vtable; %zu vtables known)\n",
         c->vtables);
  if (!c->ntypes) printf("  none\n");
  else printf("  %-48s %12s %16s  %s\n", "TYPE", "BLOCKS", "BYTES", "MODULE");
  for (size_t i = 0; i < c->ntypes && i < x->top; i++) {
    const struct hs_type_group *g = &c->types[i];
    printf("  %-48s %12s %16s  %s\n", g->name, hs_commas(g->blocks, b[0]), hs_commas(g->bytes, b[1]),
           g->module);
  }
  if (c->ntypes > x->top) printf("  ... %zu more types\n", c->ntypes - (size_t)x->top);
  for (size_t i = 0; i < c->ntypes && i < 3 && i < x->top; i++) {
    const struct hs_type_group *g = &c->types[i];
    printf("  sample %s at 0x%llx, first %zu bytes:\n", g->name, (unsigned long long)g->sample_addr,
           g->sample_len);
    hexdump(g->sample, g->sample_len, "    ");
    if (x->stacks) print_stacks_text(x, &x->stacks->types[i], "  ");
  }
  printf("\nSTRINGS (in-use blocks holding NUL-terminated printable text)\n");
  printf("  %s blocks, %s bytes\n", hs_commas(c->string_blocks, b[0]), hs_commas(c->string_bytes, b[1]));
  for (size_t i = 0; i < c->nstring_samples; i++) {
    printf("  0x%llx  \"", (unsigned long long)c->string_addr[i]);
    const char *t = c->string_text[i];
    for (size_t k = 0; k < 60 && t[k]; k++) putchar(t[k] == '\n' || t[k] == '\t' || t[k] == '\r' ? ' ' : t[k]);
    printf("%s\"\n", strlen(t) > 60 ? "..." : "");
  }
  if (x->stacks && c->string_blocks) print_stacks_text(x, &x->stacks->strings, "  ");
}


static const char *group_label(const struct heap_view *x, const struct hs_leak_group *g, char *buf, size_t len) {
  if (g->census >= 2 && g->census - 2 < x->c->ntypes) snprintf(buf, len, "%s", x->c->types[g->census - 2].name);
  else snprintf(buf, len, "%llu-byte blocks", (unsigned long long)g->size);
  return buf;
}

static const char no_stacks_note[] =
    "without allocation stacks: this process does not run under heapspy (`heapspy run`\n"
    "  records who allocated each block)";
static const char spied_note[] =
    "this process runs under heapspy, but its profile could not be read: `heapspy\n"
    "  snapshot --leak-check PID` gives the spy's own scan, with allocation stacks";
static const char stacks_note[] =
    "the allocation stacks are the spy's record of each block (its live-block\n"
    "  table, read while the process was stopped)";

static void print_leaks_text(const struct heap_view *x) {
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
  for (size_t i = 0; i < k->ngroups && i < x->top; i++) {
    const struct hs_leak_group *g = &k->groups[i];
    char label[256];
    printf("  %-16s %-40s %10s %14s\n", hs_leak_kind_name(g->kind), group_label(x, g, label, sizeof label),
           hs_commas(g->blocks, b[0]), hs_commas(g->bytes, b[1]));
    printf("    sample at 0x%llx, first %zu bytes:\n", (unsigned long long)g->sample_addr, g->sample_len);
    hexdump(g->sample, g->sample_len, "      ");
    if (x->stacks) print_stacks_text(x, &x->stacks->leaks[i], "    ");
  }
  if (k->ngroups > x->top) printf("  ... %zu more groups\n", k->ngroups - (size_t)x->top);
  printf("  not known from outside: %s; words the program never wrote (stale\n"
         "  allocator links in a block) count as pointers, where memcheck ignores them\n",
         x->stacks ? stacks_note : k->spied ? spied_note : no_stacks_note);
}

void hs_heap_print_text(const struct heap_view *x) {
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
  else if (x->stopped && x->t->copied_bytes)
    printf("the process was stopped for %.1f ms (%zu thread%s) while %s of its writable memory\n"
           "was copied; what follows was read from that copy\n", x->stop_ms, x->t->nthreads,
           x->t->nthreads == 1 ? "" : "s", hs_human_bytes((double)x->t->copied_bytes, b[0]));
  else if (x->stopped)
    printf("the process was stopped for %.1f ms (%zu thread%s)\n", x->stop_ms, x->t->nthreads,
           x->t->nthreads == 1 ? "" : "s");
  else
    printf("read without stopping the process (--no-stop): %llu inconsistencies tolerated\n",
           (unsigned long long)h->tolerated);
  if (x->stacks)
    printf("under heapspy: %s of %s in-use blocks have the spy's allocation stack (profile %s)\n",
           hs_commas(x->stacks->known_blocks, b[0]), hs_commas(h->nblocks, b[1]), x->profile);
  else if (x->stacks_why)
    printf("under heapspy, without allocation stacks: %s\n", x->stacks_why);
  if (h->spy_front_blocks)
    printf("  (blocks shown as the program got them: the %s-byte record heapspy keeps in front of %s of them\n"
           "   is glibc's in-use memory, %s in all)\n", hs_commas(h->spy_front_bytes / h->spy_front_blocks, b[0]),
           hs_commas(h->spy_front_blocks, b[1]), hs_human_bytes((double)h->spy_front_bytes, b[2]));
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
  for (size_t i = 0; i < s->nsizes && i < x->top; i++)
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


static void print_leaks_json(const struct heap_view *x) {
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
         "\"allocation_stacks\": %s, \"spied\": %s},\n",
         k->ms, (unsigned long long)k->root_bytes, k->root_regions, k->reg_threads, k->stack_threads,
         k->tls_threads, (unsigned long long)k->block_bytes, (unsigned long long)k->unread_bytes,
         x->stacks ? "true" : "false", k->spied ? "true" : "false");
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
    printf("\"}");
    if (x->stacks) print_stacks_json(x, &x->stacks->leaks[i]);
    printf("}");
  }
  printf("],\n");
}

void hs_heap_print_json(const struct heap_view *x) {
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
  printf(" \"stopped\": %s, \"stop_ms\": %.3f, \"copied_bytes\": %llu, \"copy_ms\": %.3f, \"threads\": %zu, "
         "\"tolerated_inconsistencies\": %llu,\n", x->stopped ? "true" : "false", x->stop_ms,
         (unsigned long long)x->t->copied_bytes, x->t->copied_bytes ? x->t->copy_ms : 0.0, x->t->nthreads,
         (unsigned long long)h->tolerated);
  printf(" \"spy\": ");
  if (x->stacks) {
    printf("{\"profile\": ");
    hs_json_str(stdout, x->profile);
    printf(", \"recorded_blocks\": %llu, \"unrecorded_blocks\": %llu, \"unrecorded_bytes\": %llu, "
           "\"attached\": %s, \"sample_mean\": %llu},\n", (unsigned long long)x->stacks->known_blocks,
           (unsigned long long)x->stacks->unknown_blocks, (unsigned long long)x->stacks->unknown_bytes,
           x->spy->attached ? "true" : "false", (unsigned long long)x->spy->sample_mean);
  } else if (x->stacks_why) {
    printf("{\"profile\": null, \"error\": ");
    hs_json_str(stdout, x->stacks_why);
    printf("},\n");
  } else {
    printf("null,\n");
  }
  printf(" \"rss_bytes\": %llu,\n \"heap\": {", (unsigned long long)s->rss);
  json_arena_fields(t);
  printf(", \"free_held_blocks\": %llu, \"system_bytes\": %llu, \"mmapped_bytes\": %llu, "
         "\"mmapped_blocks\": %llu, \"tcache_structs\": %llu, \"tcache_found\": %s, \"spy_records_bytes\": %llu,\n  "
         "\"malloc_info\": {\"fast\": %llu, \"rest\": %llu, \"current\": %llu},\n  \"resident\": "
         "{\"in_use\": %llu, \"free_held\": %llu, \"top\": %llu, \"overhead\": %llu, \"total\": %llu}},\n",
         (unsigned long long)(t->tcache_blocks + t->fast_blocks + t->bin_blocks),
         (unsigned long long)t->system_mem, (unsigned long long)h->mmapped.in_use_bytes,
         (unsigned long long)h->mmapped.in_use_blocks, (unsigned long long)h->tcache_structs,
         h->tcache_found ? "true" : "false", (unsigned long long)h->spy_front_bytes,
         (unsigned long long)t->fast_bytes,
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
    printf("\"}");
    if (x->stacks) print_stacks_json(x, &x->stacks->types[i]);
    printf("}");
  }
  printf("],\n \"strings\": {\"blocks\": %llu, \"bytes\": %llu, \"samples\": [",
         (unsigned long long)c->string_blocks, (unsigned long long)c->string_bytes);
  for (size_t i = 0; i < c->nstring_samples; i++) {
    printf("%s{\"address\": \"0x%llx\", \"text\": ", i ? ", " : "", (unsigned long long)c->string_addr[i]);
    hs_json_str(stdout, c->string_text[i]);
    printf("}");
  }
  printf("]");
  if (x->stacks) print_stacks_json(x, &x->stacks->strings);
  printf("},\n \"sizes\": [");
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
