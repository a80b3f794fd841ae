/*
 * spy_scan.h: the reachability scan (spy_leakscan.c) and the other threads
 * held still while it runs (spy_stop.c). Used at exit, by leak checks and
 * by the crash path. Everything here may run in a signal handler or at
 * exit: async-signal-safe, no malloc, no stdio.
 */
#ifndef SPY_SCAN_H
#define SPY_SCAN_H

#include "spy.h"

/* spy_leakscan.c: classify live blocks (lost / still reachable). The
 * scan starts the current thread's stack at `stack` (the frame of the
 * spy's caller) and treats `regs` (spy_capture_registers on entry to the
 * spy) as roots. */
#define SPY_SIG_REGS 16
struct spy_scan_origin {
  uint64_t stack; uint64_t regs[6];
  int dying;                /* _exit or a fatal signal: bounded waits, else no scan */
  /* served in a signal handler: the interrupted code's stack pointer
   * less its red zone; the stack below it (the signal frame, the handler,
   * the spy) is not scanned, the interrupted general registers are roots
   * instead, as for a held thread (vector registers and the spy's stale
   * frames hold copies of block addresses). 0 otherwise. */
  uint64_t interrupted_sp;
};
/* Set by a handler (SA_SIGINFO) around the spy's work on its thread,
 * from its ucontext; spy_sig_clear after. */
extern uint64_t spy_sig_sp, spy_sig_regs[SPY_SIG_REGS];
void spy_sig_interrupted(const void *ucontext);
void spy_sig_clear(void);
void spy_capture_registers(uint64_t regs[6]);
void spy_scan_init(void);   /* at start, not in a handler: the spy's own memory */
/* With sites_count, a checkpoint's: also returns the live heap by site
 * and leak kind (spy_blocks_snapshot), read before the table's locks are
 * let go, so no block allocated after the scan goes without a verdict
 * (t1098's mutator); without kinds if the scan could not run. */
uint64_t spy_leak_scan(const struct spy_scan_origin *from, uint64_t *sites_count);
/* The table's locks for a dying process (_exit, a fatal signal): each
 * waited for a bounded time, since the holder may be this very thread,
 * interrupted; 0 (none held) if one stays taken. */
int spy_blocks_lock_all_bounded(void);

/* spy_stop.c: the other threads held still for a scan. An entry's regs
 * and sp (the interrupted general registers, ucontext order R8..RSP) are
 * valid while its state is SPY_HOLD_HELD, until spy_stop_release. The
 * state shares one word with the hold's generation, so a thread answering
 * an earlier hold late can never claim a later hold's entry. */
#define SPY_STOP_MAX 1024
#define SPY_HELD_REGS 16
enum spy_hold_state { SPY_HOLD_ASKED = 1, SPY_HOLD_HELD, SPY_HOLD_NOT };
#define SPY_HOLD_TAG(gen, state) ((uint64_t)(gen) << 32 | (state))
#define SPY_HOLD_STATE(e) ((uint32_t)__atomic_load_n(&(e)->tag, __ATOMIC_ACQUIRE))
struct spy_held_thread {
  int tid;
  uint64_t tag;             /* SPY_HOLD_TAG(generation, state) */
  uint64_t sp;
  uint64_t regs[SPY_HELD_REGS];
};
void spy_stop_init(void);
/* Holds every other thread it can; fills info's thread counts and stop
 * time; returns the number of entries in *held. Call with the block-table
 * locks held, and spy_stop_release() on every path after. */
unsigned spy_stop_others(struct hsp_scan_info *info, const struct spy_held_thread **held);
void spy_stop_release(struct hsp_scan_info *info);
void spy_stop_fork_child(void);

/* Where the scan of this thread's stack begins for a spy function with a
 * frame pointer: below its frame, just far enough to keep the caller's
 * registers that its prologue pushed (rbx, r12-r15). */
#define SPY_SCAN_ORIGIN(o)                                                  \
  do {                                                                      \
    spy_capture_registers((o)->regs);                                       \
    (o)->dying = 0;                                                         \
    (o)->interrupted_sp = spy_sig_sp;                                       \
    (o)->stack = (uint64_t)(uintptr_t)__builtin_frame_address(0) - 40;       \
  } while (0)

#endif
