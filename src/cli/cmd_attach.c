/*
 * cmd_attach.c: `heapspy attach PID` and `heapspy detach PID`: record a
 * running process's heap from now on, without restarting it, and stop.
 *
 * attach: checks the process can be attached (inject_symbols.c), creates
 * the profile (private, as `run` does), makes the process dlopen a fresh
 * copy of libheapspy-attach.so (a memfd of ours, reached through
 * /proc/OURPID/fd/N: it loads even from another mount namespace), then
 * call heapspy_attach_begin(options) in it; each call at a safe point
 * (inject_call.c). Then waits for --duration, Ctrl-C, SIGTERM, a
 * `heapspy detach` from elsewhere, or the process's end, detaches through
 * the snapshot channel (a last leak-checked mark, then the spy restores
 * every redirected slot) and prints the report of what happened since
 * attach.
 *
 * Exit status: 0 attached and detached (or the process ended meanwhile);
 * 1 the process is gone or the spy could not start; 2 not permitted;
 * 3 not a target heapspy can attach to (static, 32-bit, not glibc 2.34+);
 * 4 already spied; 5 no safe point found in time; 125 usage.
 *
 * Must never: leave the process stopped (inject/ guarantees it), or
 * depend on heapspy staying alive for the process to be correct.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/report.h"
#include "analyze/snapshot.h"
#include "cli/attach_census.h"
#include "cli/commands.h"
#include "cli/export_options.h"
#include "common/private_file.h"
#include "common/util.h"
#include "inject/inject.h"
#include "inspect/proc.h"

enum { EXIT_GONE = 1, EXIT_PERM = 2, EXIT_UNSUPPORTED = 3, EXIT_SPIED = 4, EXIT_NO_SAFE = 5 };
#define LOAD_TIMEOUT_S 5.0
#define MAX_STATIC_TLS_COPIES 4   /* see static_tls_copies */
#define DETACH_TIMEOUT_S 10.0

static const char attach_usage[] =
    "usage: heapspy attach [OPTIONS] PID\n"
    "Records every allocation and free of the running process PID from now on, without\n"
    "restarting it; Ctrl-C, --duration or `heapspy detach PID` ends it, leaves the process\n"
    "as it was and prints the report of what happened since attach.\n\n"
    "options:\n"
    "  -o, --profile PATH     profile file, %p = PID (default heapspy.%p.hsp)\n"
    "  --duration SECONDS     detach after that long\n"
    "  --depth N              frames per stack (default 64)\n"
    "  --timeout SECONDS      how long to look for a safe point (default 2)\n"
    "  --format text|json     report format (default text)\n"
    "  --sample BYTES         production mode: allocations sampled by bytes, one per BYTES\n"
    "                         allocated on average (512K as jemalloc); figures are estimates\n"
    "  --sample-seed N        seed of --sample's and --guard-sample's draws, for a repeatable run\n"
    "  --guard-sample [N]     1 in N allocations (default 10000) in a guard slot: an overflow or\n"
    "                         a use after free there is reported, the program runs on\n"
    "  --guard-sample-slots N guard slots (default 256)\n"
    "  -q, --quiet            no messages and no report: the profile only\n"
    "  --export-every SECONDS a pprof of the heap each period (as `heapspy run`'s):\n"
    "  --export-dir DIR, --export-keep N, --export-cap SIZE, --push URL,\n"
    "  --push-name NAME, --push-label K=V   (see heapspy run --help)\n"
    "  --check, --guard       refused: their red zones would meet blocks from before attach\n"
    "  --locks                lock order cycles and lock misuse from attach on (as run --locks)\n";
static const char detach_usage[] = "usage: heapspy detach PID\n";

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }

static int exit_for(enum hs_inject_status st) {
  switch (st) {
  case HS_INJECT_NOT_PERMITTED: return EXIT_PERM;
  case HS_INJECT_UNSUPPORTED: return EXIT_UNSUPPORTED;
  case HS_INJECT_NO_SAFE_POINT: return EXIT_NO_SAFE;
  default: return EXIT_GONE;
  }
}

/* --guard-sample [N]: N, 10000 without it. */
static uint64_t guard_sample_arg(const char *arg) {
  return arg ? hs_count_arg("attach", "--guard-sample", arg, 1, ~0u) : 10000;
}

/* 1 if the process catches SIGSEGV (its SigCgt mask in /proc/PID/status). */
static int handles_segv(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
  FILE *f = fopen(path, "r");
  unsigned long long mask = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "SigCgt: %llx", &mask) == 1) break;
  if (f) fclose(f);
  return (int)(mask >> (SIGSEGV - 1) & 1);
}

/* The spy is recorded in the process: preloaded, or attached and not
 * detached (an inert copy left by an earlier attach does not count). */
static int already_spied(pid_t pid) {
  char path[64], line[PATH_MAX + 256];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int spied = 0;
  while (!spied && fgets(line, sizeof line, f))
    if (strstr(line, "/libheapspy.so")) spied = 1;
  fclose(f);
  char *prof = spied ? NULL : hs_find_profile("attach", pid);
  if (prof) {
    struct hsp_header h;
    int fd = open(prof, O_RDONLY | O_CLOEXEC);
    spied = fd >= 0 && pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
            h.state == HSP_STATE_RUNNING;
    if (fd >= 0) close(fd);
    free(prof);
  }
  return spied;
}

/* The copies of the static-TLS build an earlier attach left in pid
 * (inert, never unloaded): each holds on to its share of glibc's spare
 * static TLS. */
static int static_tls_copies(pid_t pid) {
  char path[64], line[PATH_MAX + 256], last[PATH_MAX] = "";
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(path, "r");
  int n = 0;
  while (f && fgets(line, sizeof line, f)) {
    const char *name = strstr(line, "/memfd:heapspy-attach-");
    if (!name || !isdigit((unsigned char)name[22]) || !strcmp(name, last)) continue;
    snprintf(last, sizeof last, "%s", name);
    n++;
  }
  if (f) fclose(f);
  return n;
}

/* A memfd holding the attach library; its name, unique to this run, is
 * how the process's maps show it. */
static int library_memfd(const char *lib, const char *build, char *name, size_t len) {
  snprintf(name, len, "heapspy-attach%s-%d", build, (int)getpid());
  int fd = memfd_create(name, 0);
  int in = open(lib, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || in < 0) hs_die(1, "attach: cannot copy %s: %s", lib, strerror(errno));
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(fd, buf, (size_t)n) != n) hs_die(1, "attach: cannot copy %s: %s", lib, strerror(errno));
  close(in);
  return fd;
}

static int read_header(const char *path, struct hsp_header *h) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int ok = pread(fd, h, sizeof *h, 0) == (ssize_t)sizeof *h && !memcmp(h->magic, HSP_MAGIC, 8);
  close(fd);
  return ok ? 0 : -1;
}

/* Polls until ready(ctx) or the deadline; 1 if ready. */
static int wait_for(int (*ready)(void *), void *ctx, double timeout) {
  double end = hs_now() + timeout;
  struct timespec nap = { 0, 2 * 1000 * 1000 };
  while (hs_now() < end) {
    if (ready(ctx)) return 1;
    nanosleep(&nap, NULL);
  }
  return ready(ctx);
}

/* Loaded means relocated, dependencies included: mapped is not enough
 * (heapspy_attach_begin, called on another thread, would run on
 * unrelocated code), so the constructor's flag is read. */
struct load_wait { pid_t pid; const char *name, *file; };
static int library_loaded(void *ctx) {
  struct load_wait *w = ctx;
  if (!hs_inject_mapped(w->pid, w->name)) return 0;
  uint64_t at = hs_inject_symbol(w->pid, w->name, w->file, "heapspy_attach_loaded");
  int loaded = 0;
  return at && hs_inject_read(w->pid, at, &loaded, sizeof loaded) == 0 && loaded == 1;
}

static int spy_started(void *ctx) {
  struct hsp_header h;
  return read_header(ctx, &h) == 0 && (h.flags & HSP_FLAG_ATTACHED) &&
         (h.attach.slots_patched || h.state != HSP_STATE_RUNNING);
}

static void print_report(const char *path, const char *format) {
  struct hs_model m;
  char err[1200];
  if (hs_model_load(&m, path, NULL, err, sizeof err) < 0) {
    hs_warn("%s", err);
    return;
  }
  struct hs_report_opts ro = { .max_groups = 20, .max_frames = 24 };
  if (!strcmp(format, "json")) hs_report_json_opts(stdout, &m, &ro);
  else hs_report_text(stdout, &m, &ro);
  hs_model_free(&m);
}

int cmd_attach(int argc, char **argv) {
  static const struct option opts[] = {
    { "profile", required_argument, 0, 'o' },
    { "duration", required_argument, 0, 'd' },
    { "depth", required_argument, 0, 'D' },
    { "timeout", required_argument, 0, 't' },
    { "format", required_argument, 0, 'f' },
    { "quiet", no_argument, 0, 'q' },
    { "sample", required_argument, 0, 's' },
    { "sample-seed", required_argument, 0, 'S' },
    { "guard-sample", optional_argument, 0, 'g' },
    { "guard-sample-slots", required_argument, 0, 'k' },
    { "check", no_argument, 0, 'C' },
    { "guard", optional_argument, 0, 'G' },
    { "locks", no_argument, 0, 'L' },
    { "help", no_argument, 0, 'h' },
    { "export-every", required_argument, 0, 'E' },
    { "export-dir", required_argument, 0, 'E' },
    { "export-keep", required_argument, 0, 'E' },
    { "export-cap", required_argument, 0, 'E' },
    { "push", required_argument, 0, 'E' },
    { "push-name", required_argument, 0, 'E' },
    { "push-label", required_argument, 0, 'E' },
    { 0, 0, 0, 0 },
  };
  struct hs_export_cfg exp;
  hs_export_defaults(&exp);
  int idx = 0;
  const char *pattern = "heapspy.%p.hsp", *format = "text";
  double duration = 0, timeout = 2;
  unsigned depth = 64;
  uint64_t sample = 0, sample_seed = 0, guard_sample = 0, guard_slots = 256;
  int quiet = 0, locks = 0, c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:qh", opts, &idx)) != -1) {
    switch (c) {
    case 'o': pattern = optarg; break;
    case 'd': duration = hs_parse_seconds("attach", "--duration", optarg); break;
    case 'D': depth = (unsigned)atoi(optarg); break;
    case 't': timeout = hs_parse_seconds("attach", "--timeout", optarg); break;
    case 'f': format = optarg; break;
    case 'q': quiet = 1; break;
    case 's': sample = hs_size_arg("attach", "--sample", optarg, 1, 4ull << 30); break;
    case 'S': sample_seed = hs_count_arg("attach", "--sample-seed", optarg, 1, ~0u); break;
    case 'g': guard_sample = guard_sample_arg(hs_optional_count(argc, argv, optarg)); break;
    case 'k': guard_slots = hs_count_arg("attach", "--guard-sample-slots", optarg, 1, 65536); break;
    case 'C': case 'G':
      hs_die(HS_EXIT_USAGE, "attach: --check and --guard need `heapspy run`: their red zones "
                            "would meet blocks glibc allocated before attach");
    case 'L': locks = 1; break;
    case 'E': hs_export_option(&exp, "attach", opts[idx].name, optarg); break;
    case 'h': fputs(attach_usage, stdout); return 0;
    default: hs_option_error("attach", argv, "o:h", opts, attach_usage);
    }
  }
  if (strcmp(format, "text") && strcmp(format, "json"))
    hs_die(HS_EXIT_USAGE, "attach: --format expects text or json, not '%s'", format);
  if (depth < 1 || depth > 256) hs_die(HS_EXIT_USAGE, "attach: --depth expects 1 to 256");
  if (optind + 1 != argc) {
    fprintf(stderr, "heapspy: attach: expected one PID\n%s", attach_usage);
    return HS_EXIT_USAGE;
  }
  pid_t pid = hs_parse_pid("attach", argv[optind]);
  hs_export_check(&exp, "attach");
  char err[1400];
  struct hs_inject_libc libc;
  enum hs_inject_status st = hs_inject_libc_find(pid, &libc, err, sizeof err);
  if (st) hs_die(exit_for(st), "attach: %s", err);
  if (already_spied(pid))
    hs_die(EXIT_SPIED, "attach: process %ld is already spied by heapspy; ask it for a report with: "
                       "heapspy snapshot %ld", (long)pid, (long)pid);
  if (guard_sample && handles_segv(pid))
    hs_die(EXIT_UNSUPPORTED, "attach: --guard-sample needs SIGSEGV, and process %ld handles it "
                             "itself (a JVM, a runtime); attach without it", (long)pid);
  /* The spy in two builds (Makefile): static TLS first; the second if
   * the process has no spare static TLS left for it */
  static const char *const builds[2] = { "", "-dyn" };
  char libs[2][PATH_MAX];
  for (int b = 0; b < 2; b++) {
    char file[64];
    snprintf(file, sizeof file, "libheapspy-attach%s.so", builds[b]);
    const char *lib = hs_spy_library_file(file);
    if (!lib) hs_die(1, "attach: cannot find %s beside the heapspy binary or in its install "
                        "folder; is heapspy installed?", file);
    snprintf(libs[b], sizeof libs[b], "%s", lib);
  }
  const char *lib_copy = libs[0];

  /* the profile: created here, private; the spy opens this very file */
  char path[PATH_MAX], abspath[2 * PATH_MAX + 2];
  size_t n = 0;
  for (const char *p = pattern; *p && n + 16 < sizeof path; p++) {
    if (p[0] == '%' && p[1] == 'p') n += (size_t)snprintf(path + n, sizeof path - n, "%d", (int)pid), p++;
    else path[n++] = *p;
  }
  path[n] = 0;
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) hs_die(1, "attach: getcwd: %s", strerror(errno));
    snprintf(abspath, sizeof abspath, "%s/%s", cwd, path);
  } else {
    snprintf(abspath, sizeof abspath, "%s", path);
  }
  char ferr[1200];
  int pfd = hs_create_private(abspath, HS_FILE_PROFILE, strstr(pattern, "%p") ? HS_CREATE_EXCL : 0,
                              ferr, sizeof ferr);
  if (pfd < 0) hs_die(HS_EXIT_USAGE, "attach: %s", ferr);
  struct stat sb;
  if (fstat(pfd, &sb) < 0) hs_die(1, "attach: %s: %s", abspath, strerror(errno));
  close(pfd);
  /* the census of the blocks from before attach: a walk at each safe
   * point, handed to the spy through a memfd of ours */
  struct hs_attach_census census0, census;
  hs_attach_census_init(&census0, pid, NULL, -1);
  int cfd = memfd_create("heapspy-census", 0);
  char options[3 * PATH_MAX + 512];
  int olen = snprintf(options, sizeof options,
           "profile=%s:profile_id=%d,%llu,%llu:quiet=1:run_libc_freeres=0:run_cxx_freeres=0:depth=%u"
           ":locks=%d:sample=%llu:sample_seed=%llu:guard_sample=%llu:guard_sample_slots=%llu",
           abspath, (int)pid, (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino, depth,
           locks, (unsigned long long)sample, (unsigned long long)sample_seed,
           (unsigned long long)guard_sample, (unsigned long long)guard_slots);
  /* sampled, a free skips the table: the census could not learn what the
   * program frees (the scan then reads the heap as roots, as run --sample) */
  if (cfd >= 0 && census0.usable && !sample)
    snprintf(options + olen, sizeof options - (size_t)olen, ":before=/proc/%d/fd/%d",
             (int)getpid(), cfd);

  /* 1: dlopen our copy of the library; 2: start the spy in it. A dlopen
   * that fails leaves nothing mapped: the static-TLS build fails so when
   * glibc's spare static TLS is used up, and the other build is tried. A
   * first one that loads late after all stays inert (never started).
   * glibc's spare is 1,664 bytes by default and each copy takes 248: from
   * the fifth attach to one process on, the dynamic-TLS build goes first. */
  char memname[64], memfd_path[96], mapped[96];
  struct hs_inject_stats s1, s2;
  double stopped_first = 0;
  int mfd = -1;
  for (int b = static_tls_copies(pid) >= MAX_STATIC_TLS_COPIES; b < 2; b++) {
    lib_copy = libs[b];
    if (mfd >= 0) close(mfd);
    mfd = library_memfd(lib_copy, builds[b], memname, sizeof memname);
    snprintf(memfd_path, sizeof memfd_path, "/proc/%d/fd/%d", (int)getpid(), mfd);
    snprintf(mapped, sizeof mapped, "/memfd:%s", memname);
    st = hs_inject_call(pid, &libc, libc.dlopen, memfd_path, 2 /* RTLD_NOW */, timeout,
                        hs_attach_census_take, &census0, &s1, err, sizeof err);
    if (st) {
      unlink(abspath);
      hs_die(exit_for(st), "attach: %s", err);
    }
    s1.stopped_ms += stopped_first;
    struct load_wait lw = { pid, mapped, lib_copy };
    if (wait_for(library_loaded, &lw, LOAD_TIMEOUT_S)) break;
    if (b == 1 || hs_proc_stopped(pid)) {   /* stopped: neither build can load */
      unlink(abspath);
      hs_die(1, "attach: process %ld did not load the spy within %.0f s (is it stopped, or can it "
                "not read %s?); it runs on unchanged", (long)pid, LOAD_TIMEOUT_S, memfd_path);
    }
    if (!quiet)
      hs_warn("attach: process %ld did not load the spy's static-TLS build within %.0f s (glibc's "
              "spare static TLS used up?); loading its dynamic-TLS build, slower",
              (long)pid, LOAD_TIMEOUT_S);
    stopped_first = s1.stopped_ms;
  }
  close(mfd);
  uint64_t begin = hs_inject_symbol(pid, mapped, lib_copy, "heapspy_attach_begin");
  if (!begin) hs_die(1, "attach: the spy's heapspy_attach_begin is not in %s", lib_copy);
  hs_attach_census_init(&census, pid, &census0, cfd);
  st = hs_inject_call(pid, &libc, begin, options, 0, timeout, hs_attach_census_take, &census, &s2,
                      err, sizeof err);
  if (st) {
    unlink(abspath);
    hs_die(exit_for(st), "attach: %s (the spy stays loaded, inert)", err);
  }
  struct hsp_header h;
  if (!wait_for(spy_started, abspath, LOAD_TIMEOUT_S) || read_header(abspath, &h) < 0 ||
      h.state != HSP_STATE_RUNNING)
    hs_die(1, "attach: the spy could not start in process %ld (its malloc is not glibc's, or "
              "it cannot open %s); nothing was redirected", (long)pid, abspath);
  if (cfd >= 0) close(cfd);            /* the spy has read it */
  if (!quiet) {
    fprintf(stderr, "heapspy: attached to process %ld (%llu allocator slots in %llu modules "
                    "redirected; threads stopped %.1f ms + %.1f ms); recording into %s\n",
            (long)pid, (unsigned long long)h.attach.slots_patched,
            (unsigned long long)h.attach.modules_patched, s1.stopped_ms, s2.stopped_ms, abspath);
    if (census.written >= 0)
      fprintf(stderr, "heapspy: %ld blocks from before attach known (heap walked in %.1f + %.1f "
                      "ms; %llu blocks of %llu bytes allocated while the spy loaded left out)\n",
              census.written, census0.walk_ms, census.walk_ms,
              (unsigned long long)census.left_blocks, (unsigned long long)census.left_bytes);
    else
      fprintf(stderr, "heapspy: blocks from before attach unknown: %s\n",
              census.why[0] ? census.why : "no census");
    fprintf(stderr, "heapspy: stop with Ctrl-C or: heapspy detach %ld\n", (long)pid);
  }
  hs_attach_census_free(&census0);
  hs_attach_census_free(&census);

  char comm[64] = "", comm_path[64];
  snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", (int)pid);
  FILE *cf = fopen(comm_path, "r");
  if (cf) {
    if (fgets(comm, sizeof comm, cf)) comm[strcspn(comm, "\n")] = 0;
    fclose(cf);
  }
  struct hs_exporter *exporter = hs_export_start(&exp, pid, abspath, comm[0] ? comm : "process");
  signal(SIGINT, on_stop);
  signal(SIGTERM, on_stop);
  signal(SIGHUP, on_stop);
  double end = duration > 0 ? hs_now() + duration : 0;
  struct timespec nap = { 0, 20 * 1000 * 1000 };
  int gone = 0;
  while (!stop_requested && (!end || hs_now() < end)) {
    if (read_header(abspath, &h) == 0 && h.state != HSP_STATE_RUNNING) break;  /* detached elsewhere */
    if (kill(pid, 0) < 0 && errno == ESRCH) {
      gone = 1;
      break;
    }
    nanosleep(&nap, NULL);
  }
  if (!gone && read_header(abspath, &h) == 0 && h.state == HSP_STATE_RUNNING) {
    double t0 = hs_now();
    int rc = hs_snapshot_request(abspath, pid, "detach", HS_SNAPSHOT_LEAK_CHECK | HS_SNAPSHOT_DETACH,
                                 DETACH_TIMEOUT_S, NULL, err, sizeof err);
    if (rc < 0 && kill(pid, 0) == 0) hs_die(1, "detach: %s", err);
    if (rc > 0) hs_warn("detach: %s; it detaches then", err);
    else if (!quiet) fprintf(stderr, "heapspy: detached from process %ld in %.1f ms\n", (long)pid,
                             (hs_now() - t0) * 1000);
  } else if (gone && !quiet) {
    fprintf(stderr, "heapspy: process %ld ended while attached\n", (long)pid);
  }
  hs_export_finish(exporter, quiet ? NULL : stderr);
  if (!quiet) print_report(abspath, format);
  return 0;
}

int cmd_detach(int argc, char **argv) {
  hs_parse_format_only("detach", argc, argv, detach_usage);
  if (optind + 1 != argc) {
    fprintf(stderr, "heapspy: detach: expected one PID\n%s", detach_usage);
    return HS_EXIT_USAGE;
  }
  pid_t pid = hs_parse_pid("detach", argv[optind]);
  char *path = hs_find_profile("detach", pid);
  struct hsp_header h;
  if (!path || read_header(path, &h) < 0 || !(h.flags & HSP_FLAG_ATTACHED) ||
      h.state != HSP_STATE_RUNNING)
    hs_die(1, "detach: process %ld is not attached by heapspy attach", (long)pid);
  char err[1200];
  int rc = hs_snapshot_request(path, pid, "detach", HS_SNAPSHOT_LEAK_CHECK | HS_SNAPSHOT_DETACH,
                               DETACH_TIMEOUT_S, NULL, err, sizeof err);
  if (rc < 0) hs_die(1, "detach: %s", err);
  if (rc > 0) hs_die(1, "detach: %s", err);
  printf("heapspy: detached from process %ld; the report: heapspy report %s\n", (long)pid, path);
  free(path);
  return 0;
}
