/*
 * spy_errors.c: misuse found while the program runs (lock errors, and
 * heap corruption found by --check), appended to the profile as a linked
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

static void append(const struct hsp_error *rec) {
  if (!spy_hdr) return;
  spy_lock(&errors_lock);
  for (uint64_t off = spy_hdr->errors_off; off;) {
    struct hsp_error *e = spy_arena_ptr(off);
    if (e->kind == rec->kind && e->stack == rec->stack && e->address == rec->address) {
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
    *e = *rec;
    e->next_off = 0;
    e->tid = spy_gettid();
    e->t_ms = spy_now_ms();
    e->count = 1;
    if (tail) __atomic_store_n(&tail->next_off, off, __ATOMIC_RELEASE);
    else __atomic_store_n(&spy_hdr->errors_off, off, __ATOMIC_RELEASE);
    tail = e;
    spy_hdr->errors_count++;
  }
  spy_unlock(&errors_lock);
}

void spy_error_record(unsigned kind, uint64_t addr, uint32_t stack,
                      uint32_t related_stack, unsigned lock_kind) {
  if (!spy_hdr) return;
  struct hsp_block b;
  struct hsp_error e = { .kind = kind, .address = addr, .stack = stack,
                         .related_stack = related_stack, .lock_kind = lock_kind };
  e.alloc_stack = spy_block_containing(addr, &b) ? b.stack : 0;
  append(&e);
}

void spy_error_record_heap(unsigned kind, uint64_t addr, uint64_t size, int32_t offset,
                           uint32_t access_stack, uint32_t free_stack, uint32_t alloc_stack) {
  struct hsp_error e = { .kind = kind, .address = addr, .size = size, .offset = offset,
                         .stack = access_stack, .related_stack = free_stack,
                         .alloc_stack = alloc_stack };
  append(&e);
}

void spy_error_record_fault(unsigned kind, uint64_t block, uint64_t size, int32_t offset,
                            uint32_t free_stack, uint32_t alloc_stack, const struct spy_fault *f) {
  struct hsp_error e = { .kind = kind, .address = block, .size = size, .offset = offset,
                         .stack = f->stack, .related_stack = free_stack,
                         .alloc_stack = alloc_stack, .fault_addr = f->addr,
                         .access = f->access, .access_size = f->size,
                         .signal = (uint32_t)f->signal };
  append(&e);
}

void spy_errors_reset_lock(void) { errors_lock = 0; }
