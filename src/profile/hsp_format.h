/*
 * hsp_format.h: the heapspy profile (.hsp) file layout, shared by the spy
 * that writes it and the analyzer that reads it.
 *
 * The profile is a file the spy maps MAP_SHARED and updates in place while
 * the program runs, so whatever kills the program (exit, _exit, a fatal
 * signal, SIGKILL, the OOM killer) the file already holds the live heap as
 * of death, minus at most the operation each thread had in flight.
 *
 * Invariants:
 *  - Every reference inside the file is a byte offset from the start of the
 *    file, never a pointer. Offset 0 means "none".
 *  - All structures are naturally aligned, little-endian, fixed size
 *    (x86_64 only for now); the reader bounds-checks every offset.
 *  - The header page is written first; version and header_size let future
 *    readers refuse or adapt. Bump HSP_VERSION on any layout change.
 *  - A record becomes visible only once fully written: the spy publishes
 *    it with a release store of the offset/slot that points to it.
 *
 * This header must stay plain C with no dependency beyond <stdint.h>.
 */
#ifndef HSP_FORMAT_H
#define HSP_FORMAT_H

#include <stdint.h>

#define HSP_MAGIC        "HEAPSPY\x1a"   /* 8 bytes, no terminator */
#define HSP_VERSION      21
#define HSP_SHARDS       64              /* live-block table shards */
#define HSP_MAX_FAMILIES 32              /* allocator families */
#define HSP_FAMILY_NAME  24
#define HSP_SAMPLE_BYTES 64              /* bytes kept of a sample block */
#define HSP_HEADER_SIZE  8192            /* header region, shards follow */
#define HSP_PEAK_SLACK   (64 << 10)      /* per-thread in-use batching */
#define HSP_PENDING_MAX  32              /* table operations left pending */

/* Built-in allocator families; custom ones (HEAPSPY_ALLOC_LIKE) follow. */
enum hsp_family {
  HSP_FAM_MALLOC = 0,   /* malloc/calloc/realloc/memalign/... + free */
  HSP_FAM_NEW = 1,      /* operator new + operator delete */
  HSP_FAM_NEW_ARRAY = 2,/* operator new[] + operator delete[] */
  HSP_FAM_FIRST_CUSTOM = 3
};

/* hsp_header.state */
enum hsp_state {
  HSP_STATE_RUNNING = 1,  /* spy attached; process may have died since */
  HSP_STATE_EXITED = 2,   /* spy saw the process reach its exit hooks */
  HSP_STATE_DETACHED = 3, /* `heapspy detach`: recording ended, the process runs on */
};

/* hsp_header.flags */
enum hsp_flags {
  HSP_FLAG_INCOMPLETE = 1u << 0,  /* disk full: later records were lost */
  HSP_FLAG_FREERES = 1u << 1,     /* __libc_freeres ran before the end */
  HSP_FLAG_EXIT_KNOWN = 1u << 2,  /* exit_code/exit_signal are filled */
  HSP_FLAG_FORK_CHILD = 1u << 3,  /* this profile continues a parent's */
  HSP_FLAG_SAMPLES = 1u << 4,     /* sample blocks were captured */
  HSP_FLAG_TRACE_CAPPED = 1u << 5, /* --trace stopped at --trace-cap, at trace_capped_ms */
  HSP_FLAG_ATTACHED = 1u << 6,    /* `heapspy attach`: recording began mid-run (attach_*) */
  /* live blocks were kept in records beside them (spy_records.c:
   * exact mode, --check), out of the block table, which lists them only
   * once RECORDS_LISTED is set (at the end; a SIGKILL leaves it clear:
   * each stack's in_use_* then counts blocks the table does not list).
   * Counters are whole. */
  HSP_FLAG_RECORDS = 1u << 7,
  HSP_FLAG_RECORDS_LISTED = 1u << 8,
};

/* hsp_header.exit_how */
enum hsp_exit_how {
  HSP_EXIT_UNKNOWN = 0,   /* killed, exec'd, or still running */
  HSP_EXIT_NORMAL = 1,    /* returned from main or called exit() */
  HSP_EXIT_UNDERSCORE = 2,/* called _exit()/_Exit(): no destructors ran */
  HSP_EXIT_SIGNAL = 3,    /* a fatal signal reached the spy's handler */
};

struct hsp_family_counts {
  uint64_t allocs;          /* successful allocation calls */
  uint64_t frees;           /* frees of blocks the spy knew */
  uint64_t bytes_allocated; /* sum of requested sizes */
  uint64_t in_use_bytes;
  uint64_t in_use_blocks;
};

/* One live block. size_fam = size << 8 | family. ptr == 0: empty slot.
 * Blocks of custom families (HEAPSPY_ALLOC_LIKE) are keyed with
 * HSP_PTR_CUSTOM set: a pool's block may start where its malloc'd slab
 * starts, and both are live. HSP_ADDR gives the address. */
#define HSP_PTR_CUSTOM (1ull << 63)
#define HSP_ADDR(key) ((key) & ~HSP_PTR_CUSTOM)
struct hsp_block {
  uint64_t ptr;
  uint64_t size_fam;
  uint32_t stack;           /* stack id, see hsp_stack */
  uint32_t t_ms;            /* allocation time, ms since start */
};
#define HSP_BLOCK_SIZE(b)   ((b)->size_fam >> 8)
#define HSP_BLOCK_FAMILY(b) ((unsigned)((b)->size_fam & 0xff))

/* A shard of the live-block table: open addressing, linear probing,
 * capacity a power of two. Counters are updated under the shard lock
 * together with the table, so they always agree with it. Blocks go to a
 * shard by their 64 MiB region, so each thread's glibc arena mostly maps
 * to a shard of its own; the slot within it by a hash of the address. */
struct hsp_shard {
  uint32_t lock;
  uint32_t pad;
  uint64_t table_off;       /* struct hsp_block[capacity] */
  uint64_t capacity;
  uint64_t count;
  struct hsp_family_counts fam[HSP_MAX_FAMILIES];
  uint8_t cacheline_pad[32];
};

/* version 18: frames are stored once per distinct path from the
 * outermost caller (heaptrack's tree of (ip, parent)). A frame node is
 * one frame reached along one path: node id = file offset / 16 (never 0),
 * parent = the node of its caller's frame, 0 for the outermost frame.
 * depth counts the frames from the outermost one down to this one (1 for
 * the outermost), so a parent's depth is always one less: a walk to the
 * root ends after depth steps whatever the file holds. */
struct hsp_frame {
  uint64_t pc;              /* return address (frame 0: the allocation's caller) */
  uint32_t parent;
  uint32_t depth;
};
#define HSP_FRAME_OFF(id) ((uint64_t)(id) * 16)

/* A deduplicated call stack. Stack id = file offset / 8 (never 0).
 * Its frames, innermost first, are the walk from frame node `leaf` to the
 * root: leaf's pc is the caller of the allocation function. depth = the
 * leaf's depth (0 and leaf 0: no frame was captured). */
struct hsp_stack {
  uint64_t hash;            /* of its pcs (the spy's lookup key) */
  uint32_t leaf;
  uint32_t depth;
  uint64_t allocs;          /* allocations made from this stack, ever */
  uint64_t bytes;           /* ... and their bytes (per-thread batches: may
                             * lag by a few hundred calls if killed) */
  /* version 8. in_use_*: what the stack holds now, fed by the same
   * per-thread batches (a stack may read negative for a moment when one
   * thread frees what another allocated). peak_*: in_use_* as of the last
   * peak copy (struct hsp_peak). temporary: its blocks freed by the
   * allocating thread with no other allocation or free by that thread in
   * between; temporary_alike: frees heaptrack also calls temporary (the
   * thread's last allocation had this stack and the freed block's size,
   * but was another block). */
  int64_t in_use_bytes;
  int64_t in_use_blocks;
  int64_t peak_bytes;
  int64_t peak_blocks;
  uint64_t temporary;
  uint64_t temporary_alike;
};
#define HSP_STACK_OFF(id) ((uint64_t)(id) * 8)

/* Open-addressing set of stacks. At table_off: uint64 capacity (a power
 * of two), then capacity uint64 slots, each hash << 32 | id (0 = empty). */
struct hsp_stack_index {
  uint64_t table_off;
  uint64_t capacity;
  uint64_t count;
};

/* A loaded module (executable, shared object, vdso). Appended when first
 * seen, never removed: dlclose'd modules keep their names. */
struct hsp_module {
  uint64_t next_off;        /* next module record, 0 = end */
  uint64_t base;            /* load bias (l_addr) */
  uint64_t start, end;      /* extent of its PT_LOAD segments */
  uint32_t build_id_len;
  uint8_t build_id[40];
  uint16_t path_len;
  char path[];              /* NUL-terminated */
};

/* First bytes of one live block per stack, captured at exit. */
struct hsp_sample {
  uint64_t ptr;
  uint64_t size;
  uint32_t stack;
  uint32_t len;             /* bytes valid in data[] */
  uint8_t data[HSP_SAMPLE_BYTES];
};

/* Leak kinds found by the reachability scan (values stored in the file). */
enum hsp_leak_kind {
  HSP_LEAK_UNCLASSIFIED = 0,  /* not scanned (e.g. the process was killed) */
  HSP_LEAK_DEFINITE = 1,      /* no pointer to it anywhere */
  HSP_LEAK_INDIRECT = 2,      /* pointed to only from lost blocks */
  HSP_LEAK_POSSIBLE = 3,      /* reached only through interior pointers */
  HSP_LEAK_REACHABLE = 4,     /* a chain of start pointers from a root */
};

/* memcheck's leak-check heuristics (its default, --leak-check-heuristics=
 * all): an interior pointer of one of these shapes counts as a pointer to
 * the block's start. */
enum hsp_heuristic {
  HSP_HEUR_NONE = 0,
  HSP_HEUR_STDSTRING = 1,     /* length, capacity, refcount, chars: ptr to chars */
  HSP_HEUR_LENGTH64 = 2,      /* 64-bit length of the rest, then ptr (sqlite) */
  HSP_HEUR_NEWARRAY = 3,      /* element count, then ptr (new[] with destructors) */
  HSP_HEUR_MULTIPLE_INHERITANCE = 4, /* ptr to a second vtable pointer */
  HSP_HEURISTICS = 5
};

/* Why another thread was not held still during a scan (its stack was then
 * read as before: from its system call's stack pointer, else whole). */
enum hsp_unheld {
  HSP_UNHELD_BLOCKED = 0,     /* it blocks the stop signal */
  HSP_UNHELD_TIMEOUT = 1,     /* no answer in time (uninterruptible sleep, stopped) */
  HSP_UNHELD_NO_SIGNAL = 2,   /* stop_signal=0, or the program owns the signal */
  HSP_UNHELD_TOO_MANY = 3,    /* more threads than the spy can hold */
  HSP_UNHELD_REASONS = 4
};

/* How a reachability scan went: what memcheck's heuristics made
 * reachable, and how the other threads were held still. */
struct hsp_scan_info {
  uint64_t heur_bytes[HSP_HEURISTICS];   /* still reachable via heuristic */
  uint64_t heur_blocks[HSP_HEURISTICS];  /* ([0]: unused) */
  uint32_t threads_held;    /* other threads held still */
  uint32_t threads_gone;    /* exited before they could be held */
  uint32_t unheld[HSP_UNHELD_REASONS];
  uint64_t stop_ns;         /* first signal sent .. all held */
  uint64_t release_ns;      /* release .. all running again */
  uint64_t scan_ns;         /* the whole scan, hold and release included */
};

/* One block's verdict from the last reachability scan; the array is
 * sorted by ptr. */
struct hsp_verdict {
  uint64_t ptr;             /* address (HSP_ADDR of the key) */
  uint32_t kind;
  uint32_t custom;          /* 1 if the block's key has HSP_PTR_CUSTOM */
};

/* glibc's own account of its heap at one moment (version 17), read by
 * the spy with mallinfo2() outside any allocator call (spy_glibc.c), and
 * the part of RSS that is file-backed (/proc/self/statm's shared).
 * free_bytes counts every arena's free chunks and top chunk, fastbins
 * included; a block in a thread's tcache counts as in use there (glibc's
 * own definition), so it is `heapspy heap`'s free_held + top - tcache. */
struct hsp_glibc {
  uint64_t t_ms;            /* when read; 0: not read (see spy_glibc.c) */
  uint64_t free_bytes;      /* fordblks */
  uint64_t fastbin_bytes;   /* fsmblks */
  uint64_t main_top_bytes;  /* keepcost: the main arena's top chunk */
  uint64_t system_bytes;    /* arena: from brk and thread heaps */
  uint64_t mmapped_bytes;   /* hblkhd: chunks mmapped on their own */
  uint64_t in_use_bytes;    /* uordblks: chunks not free (tcache included) */
  uint64_t free_chunks;     /* ordblks */
  uint64_t rss_file_bytes;  /* resident file-backed and shared pages */
};

/* version 17: a block allocated before `heapspy attach` (the census
 * heapspy took of glibc's heap at attach, src/cli/attach_census.c): no
 * stack, usable size. kind is the last scan's verdict (HSP_LEAK_*), or
 * HSP_BEFORE_GONE once the program freed it. Sorted by ptr. */
#define HSP_BEFORE_GONE 0xffffffffu
struct hsp_before {
  uint64_t ptr;
  uint64_t size;            /* malloc_usable_size */
  uint32_t kind;
  uint32_t pad;
};

/* One point of the timeline: heap the spy tracks against what the kernel
 * says the process uses. The spy keeps at most HSP_TICKS points: when the
 * array fills, it drops every other point and doubles the interval, so a
 * 50 ms run and a 10 hour run both get a curve of useful resolution. */
#define HSP_TICKS 2048
struct hsp_tick {
  uint64_t t_ms;
  int64_t heap_bytes;
  uint64_t rss_bytes;       /* the program's: the kernel's figure less the spy's own */
  uint64_t vm_bytes;
  /* version 13: the spy's own memory at that moment, left out of the two
   * above: its profile tables and trace, and under --check/--guard the
   * quarantine, red zones, page rounding and the guard region */
  uint64_t spy_rss_bytes;
  uint64_t spy_vm_bytes;
  /* version 17: glibc's view and the RSS's file-backed part */
  struct hsp_glibc glibc;
};

struct hsp_timeline {
  uint32_t lock;
  uint32_t count;           /* points valid in ticks[] */
  uint64_t interval_ms;     /* current spacing */
  uint64_t next_ms;         /* when the next point is due */
  struct hsp_tick ticks[HSP_TICKS];
};

/* A named mark (HEAPSPY_CHECKPOINT, snapshot). */
struct hsp_mark {
  uint64_t next_off;
  uint64_t t_ms;
  uint64_t in_use_bytes;
  uint64_t in_use_blocks;
  uint32_t leak_check;      /* sites carry leak kinds */
  uint32_t from_outside;    /* requested by `heapspy snapshot` */
  char name[64];
  uint64_t sites_off;       /* struct hsp_site[sites_count]: the live heap */
  uint64_t sites_count;     /* by allocation site at this mark */
  uint64_t scan_off;        /* struct hsp_scan_info of its leak check, or 0 */
  /* version 17: the timeline's point at this mark (heap, RSS, glibc) */
  struct hsp_tick at;
};

/* Live bytes and blocks of one allocation site at a mark (what UMDH
 * compares between two snapshots). */
struct hsp_site {
  uint32_t stack;
  uint16_t family;
  uint16_t kind;            /* HSP_LEAK_*: set at leak-check marks */
  uint64_t bytes;
  uint64_t blocks;
};

/* A request from outside (`heapspy snapshot PID`): the CLI writes it into
 * the header of the live profile, then sends snapshot_signal; the spy
 * carries it out at the program's next allocation and sets done_seq. */
struct hsp_request {
  uint32_t seq;             /* bumped by the requester */
  uint32_t done_seq;        /* set by the spy when carried out */
  uint32_t leak_check;      /* 1: also classify lost vs reachable */
  uint32_t detach;          /* 1: then end an attached recording (was padding: 0) */
  char name[64];
};

/* --locks (spy_lockgraph.c): the lock-order graph. Locks are nodes of an
 * open-addressing table keyed by address (node id = slot index + 1); a
 * destroyed lock's node is marked dead and a new lock at that address
 * gets a new node. An edge from -> to means `to` was acquired while
 * `from` was held; its stacks are those of the first sighting. */
enum hsp_lock_kind { HSP_LOCK_MUTEX = 1, HSP_LOCK_RWLOCK = 2, HSP_LOCK_SPIN = 3 };
enum hsp_lock_mode { HSP_MODE_EXCL = 0, HSP_MODE_READ = 1 };

struct hsp_lock_node {
  uint64_t addr;            /* 0: empty slot; published last */
  uint32_t kind;            /* HSP_LOCK_* */
  uint32_t dead;            /* destroyed (pthread_*_destroy) */
  uint32_t first_stack;     /* its first acquisition */
  uint32_t block_stack;     /* allocation stack of the heap block holding it */
  uint64_t block_ptr;       /* that block (0: not found near the lock) */
  uint64_t block_size;
};

#define HSP_GATES 4
struct hsp_lock_edge {
  uint64_t key;             /* (uint64)from << 32 | to; 0: empty; published last */
  uint32_t from_stack;      /* where `from` was acquired (first sighting) */
  uint32_t to_stack;        /* where `to` was acquired while holding `from` */
  int32_t tid;              /* thread of the first sighting */
  uint32_t ngates;          /* gates[] valid; only ever shrinks */
  uint32_t gates[HSP_GATES];/* nodes held exclusively at every sighting */
  uint64_t count;           /* sightings, approximate, saturating at 65535 */
};

struct hsp_locks {
  uint32_t lock;            /* spy only */
  uint32_t full;            /* a table filled: some locks or edges missing */
  uint64_t nodes_off;       /* struct hsp_lock_node[nodes_cap] */
  uint64_t nodes_cap, nodes_count;
  uint64_t edges_off;       /* struct hsp_lock_edge[edges_cap] */
  uint64_t edges_cap, edges_count;
  uint64_t acquisitions;    /* tracked acquisitions (approximate) */
  /* version 8 */
  uint64_t deadlocks_off;   /* struct hsp_deadlock list, in order found */
  uint64_t deadlocks_count;
};

/* A deadlock in progress (spy_deadlock.c): threads t[0..n) each blocked
 * on `waits` while holding `holds`, and t[i].waits == t[i+1 mod n].holds:
 * every one waits for the next. Appended, offsets grow. */
#define HSP_DEADLOCK_MAX 8
struct hsp_deadlock_thread {
  int32_t tid;
  uint32_t wait_stack;      /* where it blocks (0: not captured) */
  uint64_t waits;           /* the lock it waits for */
  uint32_t waits_node;      /* its graph node (0: unknown) */
  uint32_t holds_node;
  uint64_t holds;           /* the lock it holds that the previous waits for */
  uint32_t holds_stack;     /* where it took that lock */
  uint32_t mode;            /* HSP_MODE_* of the wait */
  char name[16];            /* /proc/self/task/TID/comm */
};
struct hsp_deadlock {
  uint64_t next_off;
  uint64_t t_ms;
  uint32_t n;
  uint32_t pad;
  struct hsp_deadlock_thread t[HSP_DEADLOCK_MAX];
};

/* A misuse or corruption found in the run, in order of detection
 * (linked list). Repeats of one kind at one stack bump `count`. */
enum hsp_error_kind {
  HSP_ERR_LOCK_RELOCK = 1,      /* non-recursive lock taken again by its holder */
  HSP_ERR_LOCK_UNLOCK_NOT_HELD, /* unlock by a thread that does not hold it */
  HSP_ERR_LOCK_DESTROY_HELD,    /* destroy of a locked lock */
  /* --check (spy_check.c): address = the block (or the freed pointer when
   * no block holds it), size = its size, offset = first bad byte from
   * address, related_stack = the block's free stack. */
  HSP_ERR_USE_AFTER_FREE = 16,  /* a quarantined block was written */
  HSP_ERR_DOUBLE_FREE,
  HSP_ERR_INVALID_FREE,         /* interior, stack, global, never allocated */
  HSP_ERR_HEAP_OVERFLOW,        /* the red zone after the block was written */
  HSP_ERR_HEAP_UNDERFLOW,       /* the red zone before it */
  HSP_ERR_MISMATCHED_FREE,      /* offset = the family of the freeing call */
  /* A fatal SIGSEGV/SIGBUS at an address inside a live block that is
   * mapped (the program changed its protection): the block is named. */
  HSP_ERR_BAD_ACCESS,
};
/* hsp_error.access: how a fault revealed the error (0: found by a check). */
enum hsp_access { HSP_ACCESS_NONE = 0, HSP_ACCESS_READ, HSP_ACCESS_WRITE, HSP_ACCESS_UNKNOWN };
struct hsp_error {
  uint64_t next_off;
  uint32_t kind;            /* HSP_ERR_* */
  int32_t tid;
  uint64_t address;
  uint64_t size;
  uint32_t stack;           /* where it happened */
  uint32_t related_stack;   /* locks: where the lock was acquired */
  uint32_t alloc_stack;     /* heap block holding the address, if known */
  union {
    uint32_t lock_kind;     /* HSP_LOCK_* for lock errors */
    int32_t offset;         /* heap errors, see above */
  };
  uint64_t t_ms;
  uint64_t count;
  /* Heap errors revealed by a fault (--guard, or any crash near a block):
   * the faulting address (address is the block's), the access and the
   * signal, and (version 12) the bytes the faulting instruction accesses
   * (spy_insn.c: 0 when its encoding is not known); all 0 when a check
   * found the error. */
  uint64_t fault_addr;
  uint32_t access;          /* enum hsp_access */
  uint32_t signal;
  uint32_t access_size;
  uint32_t pad;
};

/* Another thread still running when exit started (story 5). */
#define HSP_HELD_MAX 16
struct hsp_held_lock {
  uint64_t addr;
  uint32_t stack;           /* its acquisition */
  uint32_t mode;            /* HSP_MODE_* */
};
struct hsp_exit_thread {
  int32_t tid;
  uint32_t in_allocator;    /* inside malloc/free/new/delete */
  char name[16];            /* /proc/self/task/TID/comm */
  uint32_t stack;           /* last lock acquisition (--locks), else 0 */
  uint32_t nheld;           /* locks held (--locks); held[] lists the first */
  uint32_t known;           /* 1: the spy had seen this thread */
  uint32_t pad;
  struct hsp_held_lock held[HSP_HELD_MAX];
};

struct hsp_header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;     /* HSP_HEADER_SIZE */
  uint64_t file_size;       /* bytes the spy has reserved on disk */
  uint64_t arena_used;      /* bytes in use; records lie below this */
  uint32_t state;
  uint32_t flags;
  int32_t pid, ppid;
  int32_t exit_code;        /* valid with HSP_FLAG_EXIT_KNOWN */
  int32_t exit_signal;      /* 0 if none */
  uint32_t exit_how;
  uint32_t depth;           /* max frames per stack */
  uint64_t start_unix_ns;
  uint64_t duration_ms;     /* updated at exit; else last activity */
  uint64_t untracked_calls; /* allocs made while the spy was busy */
  uint64_t shards_off;      /* struct hsp_shard[HSP_SHARDS] */
  struct hsp_stack_index stacks;
  uint64_t modules_off;     /* first struct hsp_module */
  uint64_t samples_off;     /* struct hsp_sample[samples_count] */
  uint64_t samples_count;
  uint64_t marks_off;       /* first struct hsp_mark */
  uint32_t nfamilies;
  uint32_t lock;            /* arena/stack-insert lock (spy only) */
  char families[HSP_MAX_FAMILIES][HSP_FAMILY_NAME];
  uint64_t timeline_off;    /* struct hsp_timeline */
  uint64_t unwind_fallbacks;  /* stacks the fast unwinder left to libunwind */
  uint64_t unwind_checked;    /* with unwind_check: stacks compared */
  uint64_t unwind_mismatches; /* ... that differed from libunwind's */
  int32_t snapshot_signal;  /* signal `heapspy snapshot` sends; 0: none */
  uint32_t trace_capped_ms; /* with HSP_FLAG_TRACE_CAPPED (was padding: 0 before) */
  struct hsp_request request;
  uint64_t verdicts_off;    /* struct hsp_verdict[verdicts_count] */
  uint64_t verdicts_count;
  uint64_t verdicts_t_ms;   /* when the scan ran */
  uint64_t scanned_bytes;   /* root and block bytes the scan read */
  /* Written by allocations: kept off the cache lines of the fields every
   * allocation reads. in_use_bytes is fed in per-thread batches, so peak
   * is exact for one thread and within HSP_PEAK_SLACK per extra thread. */
  struct {
    int64_t in_use_bytes;
    uint64_t peak_bytes;
    uint64_t peak_t_ms;
  } __attribute__((aligned(64))) live;
  uint8_t live_pad[64];
  char program[512];        /* absolute path of the executable */
  char cmdline[2048];       /* argv joined by spaces, truncated */
  char options[512];        /* HEAPSPY_OPTIONS as seen by the spy */
  /* version 6 */
  uint64_t locks_off;       /* struct hsp_locks; 0: --locks was off */
  uint64_t errors_off;      /* first struct hsp_error */
  uint64_t errors_count;
  uint64_t exit_threads_off;/* struct hsp_exit_thread[exit_threads_count] */
  uint32_t exit_threads_count;
  int32_t exit_tid;         /* the thread that started exit; 0: not seen */
  /* version 10 */
  struct hsp_scan_info scan;/* the last reachability scan's (verdicts_*) */
  /* version 11: the stacks holding the heap near its peak (spy_peak.c).
   * Each time the heap in use exceeds the last copy's by 1/32 (at least
   * HSP_PEAK_STEP bytes), every stack's in_use_* is copied to its peak_*.
   * seq is odd while a copy is being written. */
  struct hsp_peak {
    uint32_t seq;
    uint32_t pad;
    uint64_t t_ms;          /* when the last copy was taken */
    uint64_t bytes;         /* heap in use then (the global count) */
    uint64_t copies;        /* copies taken over the run */
  } peak;
  /* version 14: --sample. With mean != 0 only sampled blocks are in the
   * live table and every counter fed by it (families, stacks, the heap in
   * use, the timeline, marks) holds their weights (profile/hsp_sample.h):
   * estimates. The calls and bytes below are exact: every thread counts
   * them, summed here at fork, thread exit, exit and detach (as of then;
   * struct hsp_sample_live has them as of now). */
  struct hsp_sampling {
    uint64_t mean;          /* bytes; 0: every allocation recorded */
    uint64_t allocs;        /* allocation calls, sampled or not */
    uint64_t frees;         /* frees of a non-null pointer */
    uint64_t bytes_allocated;
  } sampling;
  /* version 15: `heapspy attach` (HSP_FLAG_ATTACHED). Blocks allocated
   * before attach are not in the tables; their frees (and reallocs) go
   * straight to glibc and are only counted here. */
  struct hsp_attach {
    uint64_t frees_before;    /* free/delete/realloc of a block from before attach */
    uint64_t slots_patched;   /* GOT slots redirected to the spy */
    uint64_t modules_patched; /* modules holding them */
    uint64_t detach_t_ms;     /* when recording ended (HSP_STATE_DETACHED) */
    /* version 17: the blocks from before attach (struct hsp_before) */
    uint64_t before_off;
    uint64_t before_count;
    uint64_t spy_load_blocks;   /* left out: allocated while the spy was loaded */
    uint64_t spy_load_bytes;
  } attach;
  /* version 18: frame nodes stored (struct hsp_frame; the spy keeps
   * their index by (parent, pc) in its own memory, not here) */
  uint64_t frames_count;
  /* version 20 (19 had one): the table operations a single-threaded
   * process has left pending (spy_blocks.c: each waits for the cache line
   * of its slot, prefetched when the block was seen, in a queue of up to
   * HSP_PENDING_MAX, so a burst of frees does not wait either). A ring:
   * op[i % HSP_PENDING_MAX] for head <= i < tail, oldest first. The spy
   * writes an op's fields, then advances tail (release); it applies
   * op[head] to the table, then advances head (release). A reader replays
   * [head, tail) in order over the table (profile/hsp_pending.h):
   * the one at head may already be in the table, the rest are not. A
   * free's block has its address and, as its size, its glibc chunk's
   * (the spy's bound on what the queue holds); a reader takes the freed
   * block's size from the table or the add before it. */
  struct hsp_pending_ring {
    uint64_t head, tail;
    struct hsp_pending {
      struct hsp_block block;
      uint32_t kind;        /* enum hsp_pending_kind */
      uint32_t pad;
    } op[HSP_PENDING_MAX];
  } pending;
  /* Added within version 20 (zero before: then only struct hsp_sampling
   * has the totals). --sample's exact call totals, live: each thread
   * counts in a slot of its own here, so a reader that sums them misses
   * no call, neither one made after the spy's last flush (a library's
   * destructor that runs after the spy's) nor before a SIGKILL. */
  struct hsp_sample_live {
    uint64_t slots_off;     /* struct hsp_sample_slot[slots_cap] */
    uint32_t slots_cap;
    uint32_t slots_used;    /* slots claimed so far: [0, slots_used) */
    /* threads beyond slots_cap alive at once add theirs here at each
     * sample (their last calls before they exit are lost) */
    uint64_t spill_allocs, spill_frees, spill_bytes;
  } sample_live;
  /* Added within version 20 (zero before): blocks recorded beside
   * themselves instead of in the table (HSP_FLAG_RECORDS), for a reader
   * that reads the live process's memory (`heapspy heap`, `maps`). There
   * top_addr holds HSP_REC_TOP pointers, one per 2^HSP_REC_SHIFT bytes of
   * address, each NULL or to a struct hsp_rec_region. A block's record
   * lies rec_off bytes before it: size (40 bits) | family << 40 |
   * seal << 48, then stack | t_ms << 32, the seal hsp_rec_seal's. */
  struct hsp_records {
    uint64_t top_addr;
    uint64_t secret;
    uint32_t rec_off;
    uint32_t pad;
  } records;
};
_Static_assert(sizeof(struct hsp_header) <= HSP_HEADER_SIZE, "the header fits its region");

/* The records' bitmap (struct hsp_records), in the process's memory: a
 * region covers 2^HSP_REC_SHIFT bytes of address with a pair of words per
 * KiB, bit (addr >> 4) & 63 of each: live (recorded now, not in the
 * table) and front (exact mode: the block has a record in front, listed
 * in the table or not). Only the pairs [lo, hi) were ever set. */
#define HSP_REC_SHIFT 30
#define HSP_REC_TOP (1u << (47 - HSP_REC_SHIFT))
#define HSP_REC_SIZE_BITS 40
#define HSP_EXACT_FRONT 16     /* exact mode's rec_off: the record is the front */
struct hsp_rec_region {
  uint64_t lo, hi;
  uint64_t pad[6];
  struct hsp_rec_pair { uint64_t live, front; } w[(1ull << HSP_REC_SHIFT) >> 10];
};
/* A record's 16-bit seal: w0's low 48 bits, w1, the block's address. */
static inline uint64_t hsp_rec_seal(uint64_t secret, uint64_t user, uint64_t w0, uint64_t w1) {
  uint64_t x = w0 ^ (w1 << 17 | w1 >> 47) ^ user ^ secret;
  return (x * 0x9E3779B97F4A7C15ull) >> 48;
}
/* The record r[2] of the block at user as a table entry; 0 if its seal
 * is broken (*out untouched). */
static inline int hsp_rec_decode(uint64_t secret, uint64_t user, const uint64_t r[2],
                                 struct hsp_block *out) {
  uint64_t w0 = r[0], w1 = r[1];
  if (w0 >> 48 != hsp_rec_seal(secret, user, w0 & ((1ull << 48) - 1), w1)) return 0;
  out->ptr = user;
  out->size_fam = (w0 & ((1ull << HSP_REC_SIZE_BITS) - 1)) << 8 | ((w0 >> HSP_REC_SIZE_BITS) & 0xff);
  out->stack = (uint32_t)w1;
  out->t_ms = (uint32_t)(w1 >> 32);
  return 1;
}
/* A thread's --sample countdown and exact totals (struct hsp_sample_live):
 * a cache line written only by its owner. An unsampled allocation of n
 * bytes only rewrites `word`: its low half counts down n + 1 (so
 * malloc(0) counts down too), its high half counts up 1. The owner folds
 * them into allocs and bytes at each sample (version 21), `gen` odd
 * meanwhile, so as of now (profile/hsp_sample.h, hsp_sample_slot_read):
 *   allocs + (word >> 32) allocations, and
 *   bytes + (start - (uint32_t)word) - (word >> 32) bytes. */
struct hsp_sample_slot {
  uint64_t word;            /* allocations since the fold << 32 | bytes left - 1 */
  uint64_t allocs, frees, bytes;
  int32_t owner;            /* tid; 0: never used */
  uint32_t start;           /* word's low half as the last fold left it */
  uint32_t gen;             /* odd while the owner folds */
  uint8_t pad[20];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct hsp_sample_slot) == 64, "a slot is a cache line");

enum hsp_pending_kind { HSP_PENDING_ADD = 1, HSP_PENDING_FREE = 2 };
#define HSP_PEAK_STEP (4u << 10)

#endif
