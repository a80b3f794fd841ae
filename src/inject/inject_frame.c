/*
 * inject_frame.c: turning one stopped thread into a caller of fn(arg)
 * that needs no help to get back where it was (SROP).
 *
 * Below the thread's red zone goes what the kernel's rt_sigreturn reads
 * (arch/x86/include/asm/sigframe.h: struct rt_sigframe): the return
 * address (libc's __restore_rt, `mov $15,%rax; syscall`), then a
 * ucontext whose uc_mcontext is the thread's registers as they were, its
 * signal mask, and a pointer to a copy of its whole XSAVE area (with the
 * FP_XSTATE_MAGIC1 software bytes and the MAGIC2 trailer that make the
 * kernel restore AVX state, not just the legacy FXSAVE part); then
 * the string argument. One PTRACE_SETREGS then points the thread at fn:
 * when fn returns, rt_sigreturn puts every register, the mask and the
 * FPU state back as if a signal handler had run.
 *
 * A thread stopped inside an interrupted system call has it restarted by
 * the saved context (rip back over the syscall instruction, rax the call
 * number again), since the new registers (orig_rax = -1) tell the kernel
 * not to restart anything itself.
 *
 * Must never: write above the red zone, or set registers before every
 * byte of the frame is written and checked.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "common/util.h"
#include "inject/inject.h"
#include "inject/inject_internal.h"

#define RED_ZONE 128
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define NR_RESTART_SYSCALL 219
#define XSTATE_MAX (64u << 10)

/* The kernel's x86-64 struct sigcontext (uapi asm/sigcontext.h). */
struct k_sigcontext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;
  uint64_t reserved1[8];
};
_Static_assert(sizeof(struct k_sigcontext) == 256, "struct sigcontext is 256 bytes on x86-64");

/* The kernel's struct ucontext (its own, not glibc's ucontext_t). */
struct k_ucontext {
  uint64_t uc_flags, uc_link;
  uint64_t ss_sp;
  int32_t ss_flags, pad;
  uint64_t ss_size;
  struct k_sigcontext mc;
  uint64_t sigmask;
};

/* struct _fpx_sw_bytes, in bytes 464..511 of the FXSAVE area. */
struct fpx_sw {
  uint32_t magic1, extended_size;
  uint64_t xfeatures;
  uint32_t xstate_size;
  uint32_t padding[7];
};
#define FPX_SW_OFFSET 464

/* The thread's blocked signals (SigBlk of its status). */
static int sigblk(pid_t pid, pid_t tid, uint64_t *mask) {
  char p[96], line[256];
  snprintf(p, sizeof p, "/proc/%d/task/%d/status", (int)pid, (int)tid);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  int ok = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "SigBlk:", 7)) ok = sscanf(line + 7, "%lx", (unsigned long *)mask) == 1 ? 0 : -1;
  fclose(f);
  return ok;
}

/* The registers the thread must get back: those it was stopped with, an
 * interrupted system call set to run again. */
static void resume_regs(const struct user_regs_struct *r, struct k_sigcontext *mc) {
  uint64_t rax = r->rax, rip = r->rip;
  int64_t err = (int64_t)r->rax;
  if ((int64_t)r->orig_rax >= 0) {
    if (err == -512 || err == -513 || err == -514) {      /* ERESTARTSYS, NOINTR, NOHAND */
      rax = r->orig_rax;
      rip -= 2;
    } else if (err == -516) {                             /* ERESTART_RESTARTBLOCK */
      rax = NR_RESTART_SYSCALL;
      rip -= 2;
    }
  }
  mc->r8 = r->r8; mc->r9 = r->r9; mc->r10 = r->r10; mc->r11 = r->r11;
  mc->r12 = r->r12; mc->r13 = r->r13; mc->r14 = r->r14; mc->r15 = r->r15;
  mc->rdi = r->rdi; mc->rsi = r->rsi; mc->rbp = r->rbp; mc->rbx = r->rbx;
  mc->rdx = r->rdx; mc->rax = rax; mc->rcx = r->rcx; mc->rsp = r->rsp;
  mc->rip = rip; mc->eflags = r->eflags;
  mc->cs = (uint16_t)r->cs;
  mc->ss = (uint16_t)r->ss;
}

int hs_inject_frame(pid_t pid, pid_t tid, uint64_t stack_lo, uint64_t fn, uint64_t restore_rt,
                    const char *arg, uint64_t arg2, char *err, size_t errlen) {
  struct user_regs_struct r;
  if (ptrace(PTRACE_GETREGS, tid, NULL, &r) != 0)
    return snprintf(err, errlen, "cannot read thread %d's registers: %s", (int)tid, strerror(errno)), -1;
  uint64_t mask;
  if (sigblk(pid, tid, &mask) < 0)
    return snprintf(err, errlen, "cannot read thread %d's signal mask", (int)tid), -1;
  unsigned char *xs = hs_xcalloc(1, XSTATE_MAX + 64);
  struct iovec iov = { xs, XSTATE_MAX };
  if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)NT_X86_XSTATE, &iov) != 0 || iov.iov_len < 576) {
    free(xs);
    return snprintf(err, errlen, "cannot read thread %d's FPU state: %s", (int)tid, strerror(errno)), -1;
  }
  struct fpx_sw sw;
  memcpy(&sw, xs + FPX_SW_OFFSET, sizeof sw);
  if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size > iov.iov_len || sw.xstate_size < 576) {
    uint64_t bv;                         /* an older kernel: say what the area holds */
    memcpy(&bv, xs + 512, sizeof bv);
    sw.magic1 = FP_XSTATE_MAGIC1;
    sw.xstate_size = (uint32_t)iov.iov_len;
    sw.extended_size = sw.xstate_size + 4;
    sw.xfeatures = bv | 3;
    memset(sw.padding, 0, sizeof sw.padding);
    memcpy(xs + FPX_SW_OFFSET, &sw, sizeof sw);
  }
  uint32_t magic2 = FP_XSTATE_MAGIC2;
  memcpy(xs + sw.xstate_size, &magic2, 4);
  size_t fp_len = sw.xstate_size + 4;

  /* Layout, downwards from the red zone: the string, the XSAVE copy
   * (64-byte aligned, as xrstor wants), the frame (ucontext 16-byte
   * aligned, so that at fn's entry rsp + 8 is). */
  size_t slen = strlen(arg) + 1;
  uint64_t top = r.rsp - RED_ZONE - 64;
  uint64_t str_at = (top - slen) & ~15ull;
  uint64_t fp_at = (str_at - fp_len) & ~63ull;
  uint64_t uc_at = (fp_at - sizeof(struct k_ucontext) - 128 /* siginfo */) & ~15ull;
  uint64_t ret_at = uc_at - 8;
  if (ret_at < stack_lo + 4096) {
    free(xs);
    return snprintf(err, errlen, "thread %d has no room on its stack", (int)tid), -1;
  }
  struct k_ucontext uc;
  memset(&uc, 0, sizeof uc);
  uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
  uc.ss_flags = 0;                       /* size 0: sigaltstack is left as it is */
  resume_regs(&r, &uc.mc);
  uc.mc.fpstate = fp_at;
  uc.sigmask = mask;

  char p[64];
  snprintf(p, sizeof p, "/proc/%d/mem", (int)pid);
  int fd = open(p, O_RDWR | O_CLOEXEC);
  int ok = fd >= 0 &&
           pwrite(fd, arg, slen, (off_t)str_at) == (ssize_t)slen &&
           pwrite(fd, xs, fp_len, (off_t)fp_at) == (ssize_t)fp_len &&
           pwrite(fd, &uc, sizeof uc, (off_t)uc_at) == (ssize_t)sizeof uc &&
           pwrite(fd, &restore_rt, 8, (off_t)ret_at) == 8;
  /* read back: the frame is what rt_sigreturn will trust */
  struct k_ucontext check;
  ok = ok && pread(fd, &check, sizeof check, (off_t)uc_at) == (ssize_t)sizeof check &&
       !memcmp(&check, &uc, sizeof uc);
  if (fd >= 0) close(fd);
  free(xs);
  if (!ok) return snprintf(err, errlen, "cannot write thread %d's stack: %s", (int)tid, strerror(errno)), -1;

  struct user_regs_struct call = r;
  call.rip = fn;
  call.rdi = str_at;
  call.rsi = arg2;
  call.rsp = ret_at;
  call.rax = 0;
  call.orig_rax = (unsigned long long)-1;   /* no syscall restart on these registers */
  call.eflags &= ~0x400ull;                 /* DF clear, as at any call */
  if (ptrace(PTRACE_SETREGS, tid, NULL, &call) != 0)
    return snprintf(err, errlen, "cannot set thread %d's registers: %s", (int)tid, strerror(errno)), -1;
  return 0;
}
