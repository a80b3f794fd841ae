/*
 * report_locks.c: the lock and thread parts of the report, text and JSON:
 * lock misuse found during the run (text; JSON in report_errors.c's
 * errors[]), deadlocks in progress (JSON:
 * lock_order entries with "deadlock": true), lock-order cycles (potential
 * deadlocks first, then the gated ones, which are safe), and the threads
 * still running when exit started (SPEC story 5).
 *
 * Formats what model_locks.c computed; computes nothing of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/model_locks.h"
#include "analyze/report.h"
#include "analyze/suppress.h"

static const char *mode_name(unsigned mode) { return mode == HSP_MODE_READ ? "read" : "exclusive"; }

/* ---- JSON ------------------------------------------------------------- */

void hs_json_lock(FILE *out, struct hs_model *m, const struct hs_locks *l, uint64_t addr,
                  uint32_t node) {
  struct hs_lock_desc d;
  hs_lock_describe(m, l, addr, node, &d);
  fprintf(out, "{\"address\": \"0x%llx\", \"name\": ", (unsigned long long)addr);
  hs_json_str(out, d.name);
  fputs(", \"kind\": ", out);
  hs_json_str(out, d.kind);
  fputs(", \"alloc_stack\": ", out);
  hs_json_frames(out, m, d.alloc_stack);
  fputc('}', out);
}

static uint64_t node_addr(const struct hs_locks *l, uint32_t id) {
  const struct hsp_lock_node *n = hs_lock_node(l, id);
  return n ? n->addr : 0;
}

static void thread_name(const struct hsp_deadlock_thread *t, char name[17]) {
  memcpy(name, t->name, 16);
  name[16] = 0;
}

/* A deadlock in progress, shaped as a cycle: locks[k] is what thread
 * t[k] waits for; edge k goes from locks[k] to locks[k+1], taken by the
 * thread holding the one and waiting for the other. */
static void jdeadlock(FILE *out, struct hs_model *m, const struct hs_locks *l,
                      const struct hsp_deadlock *d) {
  fputs("\n    {\"locks\": [", out);
  for (unsigned k = 0; k < d->n; k++) {
    fputs(k ? ",\n      " : "\n      ", out);
    hs_json_lock(out, m, l, d->t[k].waits, d->t[k].waits_node);
  }
  fprintf(out, "],\n     \"deadlock\": true, \"t_ms\": %llu, \"gated\": false, \"gate\": null,"
               "\n     \"stacks\": [", (unsigned long long)d->t_ms);
  for (unsigned k = 0; k < d->n; k++) {
    fputs(k ? ",\n      " : "\n      ", out);
    hs_json_frames(out, m, d->t[(k + 1) % d->n].wait_stack);
  }
  fputs("],\n     \"edges\": [", out);
  for (unsigned k = 0; k < d->n; k++) {
    const struct hsp_deadlock_thread *t = &d->t[(k + 1) % d->n];
    fprintf(out, "%s{\"from\": %u, \"to\": %u, \"tid\": %d, \"count\": 1, \"held_stack\": ",
            k ? ",\n      " : "\n      ", k, (k + 1) % d->n, t->tid);
    hs_json_frames(out, m, t->holds_stack);
    fputs(", \"acquire_stack\": ", out);
    hs_json_frames(out, m, t->wait_stack);
    fputc('}', out);
  }
  fputs("],\n     \"threads\": [", out);
  for (unsigned k = 0; k < d->n; k++) {
    const struct hsp_deadlock_thread *t = &d->t[k];
    char name[17];
    thread_name(t, name);
    fprintf(out, "%s{\"tid\": %d, \"name\": ", k ? ",\n      " : "\n      ", t->tid);
    hs_json_str(out, name);
    fputs(", \"waits_for\": ", out);
    hs_json_lock(out, m, l, t->waits, t->waits_node);
    fputs(", \"mode\": ", out);
    hs_json_str(out, mode_name(t->mode));
    fputs(",\n       \"holds\": ", out);
    hs_json_lock(out, m, l, t->holds, t->holds_node);
    fputs(",\n       \"waiting_stack\": ", out);
    hs_json_frames(out, m, t->wait_stack);
    fputs(",\n       \"held_stack\": ", out);
    hs_json_frames(out, m, t->holds_stack);
    fputc('}', out);
  }
  fputs("]}", out);
}

void hs_json_lock_order(FILE *out, struct hs_model *m, const struct hs_locks *l) {
  fputc('[', out);
  for (size_t i = 0; i < l->ndeadlocks; i++) {
    if (i) fputc(',', out);
    jdeadlock(out, m, l, l->deadlocks[i]);
  }
  for (size_t i = 0; i < l->ncycles; i++) {
    const struct hs_cycle *c = &l->cycles[i];
    fputs(i || l->ndeadlocks ? ",\n    {\"locks\": [" : "\n    {\"locks\": [", out);
    for (unsigned k = 0; k < c->n; k++) {
      fputs(k ? ",\n      " : "\n      ", out);
      hs_json_lock(out, m, l, node_addr(l, c->nodes[k]), c->nodes[k]);
    }
    fprintf(out, "],\n     \"deadlock\": false, \"gated\": %s, \"gate\": ", c->gate ? "true" : "false");
    if (c->gate) hs_json_lock(out, m, l, node_addr(l, c->gate), c->gate);
    else fputs("null", out);
    fputs(",\n     \"stacks\": [", out);
    for (unsigned k = 0; k < c->n; k++) {
      fputs(k ? ",\n      " : "\n      ", out);
      hs_json_frames(out, m, c->edges[k]->to_stack);
    }
    fputs("],\n     \"edges\": [", out);
    for (unsigned k = 0; k < c->n; k++) {
      const struct hsp_lock_edge *e = c->edges[k];
      fprintf(out, "%s{\"from\": %u, \"to\": %u, \"tid\": %d, \"count\": %llu, \"held_stack\": ",
              k ? ",\n      " : "\n      ", k, (k + 1) % c->n, e->tid,
              (unsigned long long)e->count);
      hs_json_frames(out, m, e->from_stack);
      fputs(", \"acquire_stack\": ", out);
      hs_json_frames(out, m, e->to_stack);
      fputc('}', out);
    }
    fputs("]}", out);
  }
  fputc(']', out);
}

void hs_json_threads_at_exit(FILE *out, struct hs_model *m, const struct hs_locks *l) {
  const struct hsp_exit_thread *t;
  size_t n = hsp_exit_threads(&m->prof, &t);
  fputc('[', out);
  for (size_t i = 0; i < n; i++) {
    char name[17];
    memcpy(name, t[i].name, 16);
    name[16] = 0;
    fprintf(out, "%s{\"tid\": %d, \"name\": ", i ? ",\n    " : "\n    ", t[i].tid);
    hs_json_str(out, name);
    fprintf(out, ", \"in_allocator\": %s, \"known\": %s, \"nheld\": %u,\n     \"stack\": ",
            t[i].in_allocator ? "true" : "false", t[i].known ? "true" : "false", t[i].nheld);
    hs_json_frames(out, m, t[i].stack);
    fputs(",\n     \"locks_held\": [", out);
    for (unsigned k = 0; k < t[i].nheld && k < HSP_HELD_MAX; k++) {
      const struct hsp_held_lock *h = &t[i].held[k];
      fputs(k ? ",\n      {\"lock\": " : "\n      {\"lock\": ", out);
      hs_json_lock(out, m, l, h->addr, 0);
      fputs(", \"mode\": ", out);
      hs_json_str(out, mode_name(h->mode));
      fputs(", \"acquire_stack\": ", out);
      hs_json_frames(out, m, h->stack);
      fputc('}', out);
    }
    fputs("]}", out);
  }
  fputc(']', out);
}

/* ---- text ------------------------------------------------------------- */

static void tcycle(FILE *out, struct hs_model *m, const struct hs_locks *l,
                   const struct hs_cycle *c, size_t idx, size_t frames) {
  struct hs_lock_desc d[HS_CYCLE_MAX] = { 0 };   /* the first c->n are filled below */
  char tag[HS_CYCLE_MAX][4];
  for (unsigned k = 0; k < c->n; k++) {
    hs_lock_describe(m, l, node_addr(l, c->nodes[k]), c->nodes[k], &d[k]);
    snprintf(tag[k], sizeof tag[k], "L%u", k + 1);
  }
  fprintf(out, "%s #%zu: %u locks taken in a cycle", c->gate ? "Gated (safe) lock-order cycle" :
          "POTENTIAL DEADLOCK: lock-order cycle", idx + 1, c->n);
  if (c->gate) {
    struct hs_lock_desc g;
    hs_lock_describe(m, l, node_addr(l, c->gate), c->gate, &g);
    fprintf(out, ", always under %s", g.name);
  }
  fputc('\n', out);
  for (unsigned k = 0; k < c->n; k++) fprintf(out, "  %s = %s\n", tag[k], d[k].name);
  for (unsigned k = 0; k < c->n; k++) {
    const struct hsp_lock_edge *e = c->edges[k];
    unsigned to = (k + 1) % c->n;
    fprintf(out, "  thread %d took %s while holding %s, at:\n", e->tid, tag[to], tag[k]);
    hs_text_stack(out, m, e->to_stack, frames, "    ", 0);
    fprintf(out, "  having taken %s at:\n", tag[k]);
    hs_text_stack(out, m, e->from_stack, frames, "    ", 0);
  }
  fputc('\n', out);
}

/* A deadlock in progress: each thread, what it waits for and where, what
 * it holds and where it took it. */
static void tdeadlock(FILE *out, struct hs_model *m, const struct hs_locks *l,
                      const struct hsp_deadlock *d, size_t frames) {
  fprintf(out, "DEADLOCK IN PROGRESS (found at %.3f s): %u threads wait for each other for ever\n",
          d->t_ms / 1000.0, d->n);
  for (unsigned k = 0; k < d->n; k++) {
    const struct hsp_deadlock_thread *t = &d->t[k];
    struct hs_lock_desc w, h;
    char name[17];
    thread_name(t, name);
    hs_lock_describe(m, l, t->waits, t->waits_node, &w);
    hs_lock_describe(m, l, t->holds, t->holds_node, &h);
    fprintf(out, "  thread %d \"%s\" waits for %s (held by thread %d), at:\n", t->tid, name,
            w.name, d->t[(k + 1) % d->n].tid);
    hs_text_stack(out, m, t->wait_stack, frames, "    ", 0);
    fprintf(out, "  holding %s, taken at:\n", h.name);
    hs_text_stack(out, m, t->holds_stack, frames, "    ", 0);
  }
  fputc('\n', out);
}

void hs_report_locks_text(FILE *out, struct hs_model *m, size_t frames) {
  struct hs_locks l;
  hs_locks_load(m, &l);
  for (size_t i = 0; i < m->nerrors; i++) {
    const struct hsp_error *e = m->errors[i].e;
    if (e->kind >= HSP_ERR_USE_AFTER_FREE || m->errors[i].suppressed) continue;  /* report_errors.c */
    struct hs_lock_desc d;
    hs_lock_describe(m, &l, e->address, 0, &d);
    const char *what = e->kind == HSP_ERR_LOCK_RELOCK
        ? "takes again a lock it already holds: it waits for ever (self-deadlock)"
        : e->kind == HSP_ERR_LOCK_UNLOCK_NOT_HELD ? "unlocks a lock it does not hold"
        : e->kind == HSP_ERR_LOCK_DESTROY_HELD ? "destroys a lock that is held" : "misuses a lock";
    fprintf(out, "ERROR %s: thread %d %s%s\n  lock: %s\n", hs_error_kind_name(e->kind), e->tid, what,
            e->count > 1 ? " (repeatedly)" : "", d.name);
    hs_text_stack(out, m, e->stack, frames, "    ", 0);
    if (e->related_stack) {
      fprintf(out, "  it was taken at:\n");
      hs_text_stack(out, m, e->related_stack, frames, "    ", 0);
    }
    fputc('\n', out);
  }
  for (size_t i = 0; i < l.ndeadlocks; i++) tdeadlock(out, m, &l, l.deadlocks[i], frames);
  if (l.graph) {
    fprintf(out, "LOCK ORDER: %llu locks, %llu orderings seen; %zu potential deadlock%s, %zu gated (safe) cycle%s\n\n",
            (unsigned long long)l.graph->nodes_count, (unsigned long long)l.graph->edges_count,
            l.nunsafe, l.nunsafe == 1 ? "" : "s", l.ncycles - l.nunsafe,
            l.ncycles - l.nunsafe == 1 ? "" : "s");
    for (size_t i = 0; i < l.ncycles; i++) tcycle(out, m, &l, &l.cycles[i], i, frames);
    if (l.truncated) fprintf(out, "(cycle search stopped at its bounds: more cycles may exist)\n\n");
    if (l.graph->full) fprintf(out, "(the lock graph filled up: some locks or orderings were not recorded)\n\n");
  }
  const struct hsp_exit_thread *t;
  size_t nt = hsp_exit_threads(&m->prof, &t);
  if (nt) {
    fprintf(out, "THREADS STILL RUNNING WHEN EXIT STARTED (thread %d called exit): %zu\n",
            m->prof.hdr->exit_tid, nt);
    for (size_t i = 0; i < nt; i++) {
      char name[17];
      memcpy(name, t[i].name, 16);
      name[16] = 0;
      fprintf(out, "  thread %d \"%s\"%s, holding %u lock%s%s\n", t[i].tid, name,
              t[i].in_allocator ? ", INSIDE THE ALLOCATOR" : "", t[i].nheld,
              t[i].nheld == 1 ? "" : "s", l.graph ? "" : " (locks are tracked with --locks)");
      for (unsigned k = 0; k < t[i].nheld && k < HSP_HELD_MAX; k++) {
        struct hs_lock_desc d;
        hs_lock_describe(m, &l, t[i].held[k].addr, 0, &d);
        fprintf(out, "    holds %s (%s), taken at:\n", d.name, mode_name(t[i].held[k].mode));
        hs_text_stack(out, m, t[i].held[k].stack, frames, "      ", 0);
      }
    }
    fputc('\n', out);
  }
  hs_locks_free(&l);
}
