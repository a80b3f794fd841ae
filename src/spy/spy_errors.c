/*
 * spy_errors.c: misuse found while the program runs (lock errors now;
 * room for the corruption checks), appended to the profile as a linked
 * list of struct hsp_error, in order of detection, so the report has them
 * even if the program then hangs or is killed. Repeats of one kind at one
 * stack and address count into the first record.
 *
 * Must never: allocate, unwind or call out while holding its lock (the
 * arena below it is a leaf).
 */
#include "spy.h"

#define MAX_ERRORS 1000

static uint32_t errors_lock;
static struct hsp_error *tail;

void spy_error_record(unsigned kind, uint64_t addr, uint32_t stack,
                      uint32_t related_stack, unsigned lock_kind) {
  if (!spy_hdr) return;
  struct hsp_block b;
  uint32_t alloc_stack = spy_block_containing(addr, &b) ? b.stack : 0;
  spy_lock(&errors_lock);
  for (uint64_t off = spy_hdr->errors_off; off;) {
    struct hsp_error *e = spy_arena_ptr(off);
    if (e->kind == kind && e->stack == stack && e->address == addr) {
      e->count++;
      spy_unlock(&errors_lock);
      return;
    }
    off = e->next_off;
  }
  uint64_t off;
  struct hsp_error *e = spy_hdr->errors_count < MAX_ERRORS
      ? spy_arena_alloc(sizeof *e, &off) : NULL;
  if (e) {
    e->kind = kind;
    e->tid = spy_gettid();
    e->address = addr;
    e->stack = stack;
    e->related_stack = related_stack;
    e->alloc_stack = alloc_stack;
    e->lock_kind = lock_kind;
    e->t_ms = spy_now_ms();
    e->count = 1;
    if (tail) __atomic_store_n(&tail->next_off, off, __ATOMIC_RELEASE);
    else __atomic_store_n(&spy_hdr->errors_off, off, __ATOMIC_RELEASE);
    tail = e;
    spy_hdr->errors_count++;
  }
  spy_unlock(&errors_lock);
}

void spy_errors_reset_lock(void) { errors_lock = 0; }
