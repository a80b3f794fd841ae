/*
 * spy_check.h: heap corruption on the stock binary: --check (red zones,
 * fill and poison bytes, spy_check.c), its quarantine (spy_quarantine.c),
 * where a stray pointer points (spy_origin.c), --guard's page heap
 * (spy_guard.c) and the explanation of a fatal fault (spy_crash.c,
 * spy_insn.c). The interceptors call in only when the mode is on; the
 * crash path must stay async-signal-safe and lock-free.
 */
#ifndef SPY_CHECK_H
#define SPY_CHECK_H

#include "spy.h"

/* spy_check.c: --check (red zones, poison, quarantine). spy_check_on is
 * set once at start-up and stays set (a forked, unspied child still frees
 * through spy_check_free_off). The interceptors call in only when it is
 * set; everything is entered with spy_busy raised. */
extern int spy_check_on;
void spy_check_init(void);
void *spy_check_alloc(size_t n, size_t align, int zero);  /* user pointer */
void spy_check_free(void *p, unsigned family);   /* 0xff: family unknown */
void *spy_check_realloc(void *old, size_t n);
size_t spy_check_usable(void *p, size_t (*real)(void *));
void spy_check_free_off(void *p);          /* spy off (forked child) */
void *spy_check_realloc_off(void *old, size_t n);
void spy_check_verify_all(int release);    /* exit (release), leak checks */
void spy_check_lock(void);                 /* fork */
void spy_check_unlock(void);
void spy_check_reset_lock(void);
void spy_check_thread_exit(void);          /* its batch of frees to the quarantine */
/* The mapping --check keeps over-aligned blocks' addresses in (its side
 * table): never a root of a leak scan (nor is the records' bitmap,
 * spy_cb_ranges). As spy_thread_mem_ranges: the count, up to max into
 * out. */
uint64_t spy_check_own_ranges(uint64_t (*out)[2], uint64_t max);
/* A record (spy_records.c) whose seal a stray write broke: *out
 * from glibc's chunk (the size an upper bound, no stack); reported if
 * report and the red zone after it is whole (else check_zones reports
 * the underflow that ran through both). */
void spy_check_broken_record(uint64_t user, struct hsp_block *out, int report);

/* --check's block layout, which the checks and the quarantine share: raw
 * (from glibc) = user - front, SPY_RZ bytes of red zone after the block.
 * Freed blocks: the first 4 KiB poisoned with SPY_FILL_FREED and verified.
 * Writes after free land near the start (refcounts, links, vtables);
 * poisoning a large block whole would write it at free and read it back,
 * out of cache, at eviction. --guard covers all of a block. */
#define SPY_RZ 16
/* A block's front: its record (spy_records.c; 0xab when the table
 * keeps the block) and then SPY_RZ bytes of red zone; an over-aligned
 * block's front is its alignment, red zone from raw to the record. */
#define SPY_FRONT 32
#define SPY_FILL_RZ 0xab              /* red zones, --guard's slack */
#define SPY_FILL_NEW 0xbe             /* new blocks' first SPY_FILL_MAX bytes */
#define SPY_FILL_FREED 0xfd
#define SPY_FILL_MAX 4096
#define SPY_POISON_MAX 4096
#define SPY_POISONED(size) ((size) < SPY_POISON_MAX ? (size) : SPY_POISON_MAX)
/* A freed block, poisoned, as the quarantine holds it (user 0: an empty
 * or moved slot). */
struct spy_qent { uint64_t user, size; uint32_t front, family, alloc_stack, free_stack; };

struct spy_near;
/* spy_quarantine.c: where spy_check.c keeps freed blocks before glibc
 * gets them back. Called by spy_check.c only (the rest of the spy asks
 * spy_check_*); entered with spy_busy raised. Evicted blocks go back
 * through spy_check_release, never straight to glibc. */
int spy_quarantine_init(void);             /* 0, or -1: cannot map */
void spy_quarantine_put(const struct spy_qent *e);   /* e: poisoned, zones checked */
int spy_quarantine_find(uint64_t user, struct spy_qent *out);   /* double free? */
void spy_quarantine_verify_all(int release);
void spy_quarantine_lock(void);            /* fork */
void spy_quarantine_unlock(void);
void spy_quarantine_reset_lock(void);
void spy_quarantine_thread_exit(void);
int spy_quarantine_find_freed(uint64_t addr, struct spy_near *out);  /* no lock */
uint64_t spy_quarantine_held(void);        /* bytes of freed blocks held, zones included */
uint64_t spy_quarantine_vm(void);          /* the rings' address space */
/* spy_guard.c: the page rounding of live guarded blocks (RSS) and the
 * reserved region (virtual), added to *rss and *vm. */
void spy_guard_own(uint64_t *rss, uint64_t *vm);
/* spy_check.c, for the quarantine: a block leaving it is verified
 * (poison, zones; reported at `here`) and given to glibc; a block staying
 * is verified only. Never called under the quarantine's locks. */
void spy_check_release(const struct spy_qent *e, uint32_t here, const char *at);
void spy_check_poison(const struct spy_qent *e, uint32_t here, const char *at);
/* One ASan-shaped line on stderr now, one record in the profile. */
/* spy_origin.c: where a pointer no live block holds points (for invalid
 * frees), and whether glibc would take it as one of its own chunks. */
enum { SPY_AT_HEAP, SPY_AT_STACK, SPY_AT_MODULE, SPY_AT_UNMAPPED };
int spy_pointer_origin(uint64_t a, uint64_t bounds[2]);
int spy_glibc_chunk(uint64_t user, uint64_t lo, uint64_t hi);
void spy_origin_reset_lock(void);
void spy_check_custom_free(uint64_t user, const struct hsp_block *b, unsigned free_fam);
void spy_check_report(unsigned kind, uint64_t addr, uint64_t size, int32_t offset,
                      uint32_t access, uint32_t freed, uint32_t alloc, const char *what);
/* A block allocated with alloc_fam freed as free_fam: report a mismatch. */
void spy_check_family(uint64_t user, uint64_t size, unsigned alloc_fam, unsigned free_fam,
                      uint32_t free_stack, uint32_t alloc_stack);
const char *spy_heap_kind_name(unsigned kind);
/* Bytes of [p, p+n) that are not v: the first index (-1: none), *last. */
long spy_check_scan(const unsigned char *p, size_t n, unsigned char v, long *last);

/* A block a crash may be about (spy_crash.c asks each owner). */
struct spy_near {
  uint64_t user, size;
  uint32_t alloc_stack, free_stack;
  int freed;
};

/* spy_guard.c: --guard (page heap). Each block ends at an inaccessible
 * page (or starts after one, guard=underflow); freed blocks' pages are
 * inaccessible while quarantined. Layered under spy_check.c's entry
 * points: spy_check_alloc asks spy_guard_alloc first (NULL: fall back to
 * red zones), and every pointer of the guard region is the guard's to
 * free. spy_guard_on is set once at start-up. */
extern int spy_guard_on;
void spy_guard_init(void);                 /* needs spy_check_init first */
void *spy_guard_alloc(size_t n, size_t align, int zero);
int spy_guard_owns(const void *p);
void spy_guard_free(void *p, unsigned family);
void spy_guard_diagnose(void *p, const char *at);  /* not a live block of ours */
void spy_guard_free_off(void *p);          /* spy off (forked child) */
void spy_guard_fork(int phase);            /* 0 prepare, 1 parent, 2 child */
int spy_guard_find(uint64_t addr, struct spy_near *out);   /* crash path */
/* A SIGSEGV on a block of the guard region, without --halt-on-error:
 * reported (once per block and direction) and stepped over; 1 if the
 * program may resume (the handler returns), 0 if it must die as before. */
int spy_guard_recover(int sig, const void *siginfo, void *ucontext);
/* spy_check.c, crash path: a quarantined block holding addr. */
int spy_check_find_freed(uint64_t addr, struct spy_near *out);

/* spy_crash.c: a fatal SIGSEGV/SIGBUS: name the heap block it hit (or
 * came near), report it like --check's errors. Async-signal-safe. */
void spy_crash_explain(int sig, const void *siginfo, const void *ucontext);
int spy_crash_find_unmapped(uint64_t addr, struct spy_near *out);
/* spy_insn.c: the size in bytes of the memory operand of the x86-64
 * instruction whose first bytes are code[0..len) ("write of size 4"), 0
 * when unknown. Reads code in order and never past the ModRM byte, so it
 * reads only bytes of that instruction. Async-signal-safe. */
unsigned spy_insn_access_size(const uint8_t *code, size_t len);

#endif
