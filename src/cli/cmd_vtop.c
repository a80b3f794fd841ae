/*
 * cmd_vtop.c: `heapspy vtop PID ADDR [--format json]`: virtual to
 * physical for one address of a live process, from /proc/PID/pagemap:
 * present or swapped (and where), the page frame, mapped once or shared
 * (/proc/kpagecount, else pagemap's exclusively-mapped bit), and for a
 * private file mapping (a module's .data) whether copy-on-write has made
 * a private copy of the page yet.
 *
 * The kernel hides page frame numbers (and kpagecount/kpageflags) from
 * anyone without CAP_SYS_ADMIN; this command says so rather than print a
 * frame of 0.
 *
 * Must never: touch the page (reading it through /proc/PID/mem would
 * fault it in and change the answer), stop or signal the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/util.h"
#include "inspect/proc.h"

#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_FILE (1ull << 61)      /* file page or shared anonymous */
#define PM_SWAP (1ull << 62)
#define PM_PRESENT (1ull << 63)

static const char vtop_usage[] =
    "usage: heapspy vtop [--format text|json] PID ADDR\n"
    "  virtual to physical for one address (hexadecimal): present or swapped,\n"
    "  page frame, mapped once or shared, and for a private file mapping whether\n"
    "  copy-on-write has copied the page. Page frames need root.\n"
    "  --format text|json      output format (default text)\n";

/* Reads the 8-byte entry for index idx of a /proc table; 0 or -errno. */
static int read_u64(const char *path, uint64_t idx, uint64_t *v) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = pread(fd, v, sizeof *v, (off_t)(idx * sizeof *v));
  int e = errno;
  close(fd);
  if (n == (ssize_t)sizeof *v) return 0;
  return n < 0 ? -e : -EIO;
}

static const char *const kflag_names[] = {
  [0] = "locked", [2] = "referenced", [3] = "uptodate", [4] = "dirty", [5] = "lru",
  [6] = "active", [11] = "mmap", [12] = "anon", [13] = "swapcache", [14] = "swapbacked",
  [15] = "compound_head", [16] = "compound_tail", [17] = "huge", [18] = "unevictable",
  [21] = "ksm", [22] = "thp", [24] = "zero_page", [25] = "idle",
};

int cmd_vtop(int argc, char **argv) {
  const char *format = hs_parse_format_only("vtop", argc, argv, vtop_usage);
  if (optind != argc - 2) {
    fprintf(stderr, "heapspy: vtop: expected PID ADDR\n%s", vtop_usage);
    return HS_EXIT_USAGE;
  }
  pid_t pid = hs_parse_pid("vtop", argv[optind]);
  uint64_t addr = hs_parse_addr("vtop", argv[optind + 1]);
  int json = !strcmp(format, "json");
  hs_proc_require("vtop", pid);

  struct hs_regions rs;
  int err = hs_regions_read(pid, &rs, 1);
  if (err == -EINVAL) hs_die(1, "vtop: process %d has no memory map (a kernel thread?)", (int)pid);
  if (err) hs_proc_die("vtop", pid, err, "the memory map (smaps)", 0);
  const struct hs_region *r = hs_region_find(&rs, addr);
  if (!r) hs_die(1, "vtop: address 0x%llx is not mapped in process %d", (unsigned long long)addr,
                 (int)pid);

  uint64_t psize = (uint64_t)sysconf(_SC_PAGESIZE), e = 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
  if ((err = read_u64(path, addr / psize, &e)) != 0) hs_proc_die("vtop", pid, err, "the page map", 1);

  int present = (e & PM_PRESENT) != 0, swapped = (e & PM_SWAP) != 0;
  int exclusive = (e & PM_EXCLUSIVE) != 0, filepage = (e & PM_FILE) != 0;
  int soft_dirty = (e & PM_SOFT_DIRTY) != 0;
  uint64_t pfn = present ? e & PM_PFN_MASK : 0;
  int pfn_hidden = present && pfn == 0;
  uint64_t count = 0, kflags = 0;
  int have_count = 0, have_flags = 0;
  if (pfn) {
    have_count = read_u64("/proc/kpagecount", pfn, &count) == 0;
    have_flags = read_u64("/proc/kpageflags", pfn, &kflags) == 0;
  }
  int private_file = r->perms[3] == 'p' && r->path[0] == '/';
  int zero_page = have_flags && (kflags >> 24 & 1);
  /* A private file mapping holds the file's page until the first write
   * replaces it with an anonymous copy (pagemap's file bit then clears). */
  const char *cow = NULL;
  if (private_file) {
    if (present) cow = filepage ? "not_copied" : "copied";
    else if (swapped) cow = "copied";
    else cow = "not_touched";
  }
  int mapped_once = have_count ? count == 1 : exclusive;

  char comm[64], kind[300];
  hs_proc_comm(pid, comm, sizeof comm);
  if (r->module >= 0)
    snprintf(kind, sizeof kind, "%s (%s)", hs_kind_label(r->kind), hs_base(rs.modules[r->module]));
  else snprintf(kind, sizeof kind, "%s", hs_kind_label(r->kind));
  uint64_t page = addr & ~(psize - 1);

  if (json) {
    printf("{\"pid\": %d, \"command\": ", (int)pid);
    hs_json_str(stdout, comm);
    printf(", \"address\": \"0x%llx\", \"page\": \"0x%llx\", \"page_size\": %llu,\n",
           (unsigned long long)addr, (unsigned long long)page, (unsigned long long)psize);
    printf(" \"region\": {\"start\": \"0x%llx\", \"end\": \"0x%llx\", \"perms\": \"%s\", \"path\": ",
           (unsigned long long)r->start, (unsigned long long)r->end, r->perms);
    hs_json_str(stdout, r->path[0] ? r->path : NULL);
    printf(", \"category\": ");
    hs_json_str(stdout, hs_kind_label(r->kind));
    printf("},\n \"present\": %s, \"swapped\": %s, \"pfn\": ", present ? "true" : "false",
           swapped ? "true" : "false");
    if (pfn) printf("%llu, \"physical_address\": \"0x%llx\"", (unsigned long long)pfn,
                    (unsigned long long)(pfn * psize + (addr - page)));
    else printf("null, \"physical_address\": null");
    printf(", \"pfn_hidden\": %s, \"map_count\": ", pfn_hidden ? "true" : "false");
    if (have_count) printf("%llu", (unsigned long long)count);
    else printf("null");
    printf(", \"exclusive\": %s, \"file_page\": %s, \"soft_dirty\": %s, \"cow\": ",
           exclusive ? "true" : "false", filepage ? "true" : "false", soft_dirty ? "true" : "false");
    hs_json_str(stdout, cow);
    if (swapped)
      printf(", \"swap\": {\"type\": %llu, \"offset\": %llu}", (unsigned long long)(e & 0x1f),
             (unsigned long long)((e & PM_PFN_MASK) >> 5));
    printf(", \"flags\": [");
    int first = 1;
    for (unsigned b = 0; have_flags && b < sizeof kflag_names / sizeof *kflag_names; b++)
      if ((kflags >> b & 1) && kflag_names[b]) {
        printf("%s\"%s\"", first ? "" : ", ", kflag_names[b]);
        first = 0;
      }
    printf("]}\n");
  } else {
    printf("address 0x%llx in process %d (%s): page 0x%llx (%llu KiB pages)\n",
           (unsigned long long)addr, (int)pid, comm, (unsigned long long)page,
           (unsigned long long)psize / 1024);
    printf("  region      0x%llx-0x%llx %s %s, %s\n", (unsigned long long)r->start,
           (unsigned long long)r->end, r->perms, r->path[0] ? r->path : "(anonymous)", kind);
    if (present) printf("  present     yes, in RAM\n");
    else if (swapped)
      printf("  present     no: swapped out (swap area %llu, slot %llu)\n",
             (unsigned long long)(e & 0x1f), (unsigned long long)((e & PM_PFN_MASK) >> 5));
    else
      printf("  present     no: never touched, or dropped (a clean file page is read back "
             "on the next access)\n");
    if (pfn)
      printf("  frame       pfn 0x%llx, physical address 0x%llx\n", (unsigned long long)pfn,
             (unsigned long long)(pfn * psize + (addr - page)));
    else if (pfn_hidden)
      printf("  frame       hidden: the kernel shows page frame numbers only to root "
             "(CAP_SYS_ADMIN)\n");
    if (present) {
      if (zero_page)
        printf("  mapped      the shared zero page: read but never written\n");
      else if (have_count && count <= 1)
        printf("  mapped      once: no other mapping uses this page (kpagecount %llu)\n",
               (unsigned long long)count);
      else if (have_count)
        printf("  mapped      shared: %llu mappings use this page (kpagecount)\n",
               (unsigned long long)count);
      else
        printf("  mapped      %s (pagemap's exclusive bit; map counts need root)\n",
               exclusive ? "once: no other mapping uses this page" : "shared with other mappings");
    }
    /* Copy-on-write matters where the process may write; a read-only
     * mapping shows it only when a copy was made (relocated .data.rel.ro). */
    int writable = r->perms[1] == 'w';
    if (cow && !strcmp(cow, "copied"))
      printf("  copy-on-write  privately copied: this process wrote to the page, it no longer "
             "shares the file's page\n");
    else if (cow && !strcmp(cow, "not_copied") && writable)
      printf("  copy-on-write  not copied: still the file's page%s\n",
             mapped_once ? "" : ", shared with the page cache and other processes");
    else if (cow && writable)
      printf("  copy-on-write  not touched: a read will map the file's page, a write will "
             "copy it\n");
    else if (present && r->perms[3] == 's')
      printf("  sharing     shared mapping: writes reach the file or shared memory\n");
    if (soft_dirty) printf("  soft-dirty  yes: written since soft-dirty bits were last cleared\n");
    if (have_flags) {
      printf("  page flags ");
      for (unsigned b = 0; b < sizeof kflag_names / sizeof *kflag_names; b++)
        if ((kflags >> b & 1) && kflag_names[b]) printf(" %s", kflag_names[b]);
      putchar('\n');
    }
  }
  hs_regions_free(&rs);
  fflush(stdout);
  return ferror(stdout) ? 1 : 0;
}
