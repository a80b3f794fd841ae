/*
 * test_insn.c: the access-size decoder (src/spy/spy_insn.c) on real
 * instructions: byte sequences copied from `objdump -d` of Debian 12's
 * /lib/x86_64-linux-gnu/libc.so.6 (glibc 2.36-9+deb12u14; the hex offset
 * is the objdump address) and of build/tests/guard_heap (gcc 12 -O1),
 * with the size each one accesses as objdump's operands say; instructions
 * it does not cover, and register operands, give 0. Also: it never reads
 * past the ModRM byte (the instruction's bytes end at an inaccessible
 * page), and a truncated encoding gives 0. Prints TAP.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spy/spy.h"
#include "spy/spy_check.h"
#include "tap.h"

struct sample {
  const char *bytes;   /* hex, as objdump prints them */
  unsigned size;
  const char *what;
};

static const struct sample samples[] = {
  /* libc.so.6: the string functions' moves */
  { "62 e1 fe 28 7f 44 10 ff", 32, "16e176 vmovdqu64 %ymm16,-0x20(%rax,%rdx,1) (memset)" },
  { "62 e1 fe 08 7f 44 10 ff", 16, "16e186 vmovdqu64 %xmm16,-0x10(%rax,%rdx,1) (memset)" },
  { "62 e1 fe 48 7f 07", 64, "16d824 vmovdqu64 %zmm16,(%rdi) (memmove)" },
  { "62 e1 fe 48 6f 06", 64, "16d77d vmovdqu64 (%rsi),%zmm16" },
  { "62 e1 fd 28 6f 14 0e", 32, "164cda vmovdqa64 (%rsi,%rcx,1),%ymm18" },
  { "f3 aa", 1, "16e0ba rep stos %al,%es:(%rdi) (memset, ERMS)" },
  { "f3 a4", 1, "66315 rep movsb %ds:(%rsi),%es:(%rdi)" },
  { "f3 48 ab", 8, "3c40a rep stos %rax,%es:(%rdi)" },
  { "f3 48 a5", 8, "336f6 rep movsq %ds:(%rsi),%es:(%rdi)" },
  { "c5 fe 6f 06", 32, "1529fd vmovdqu (%rsi),%ymm0" },
  { "c5 fe 7f 07", 32, "152a11 vmovdqu %ymm0,(%rdi)" },
  { "c4 c1 7e 7f 48 20", 32, "152d2b vmovdqu %ymm1,0x20(%r8)" },
  { "c5 fd 74 0f", 32, "1520a0 vpcmpeqb (%rdi),%ymm0,%ymm1" },
  { "c5 fd e7 07", 32, "152e84 vmovntdq %ymm0,(%rdi)" },
  { "c5 f9 6e 07", 4, "154d7b vmovd (%rdi),%xmm0" },
  { "66 0f 74 0f", 16, "a7fec pcmpeqb (%rdi),%xmm1" },
  { "66 0f da 2f", 16, "a7c0b pminub (%rdi),%xmm5" },
  { "f3 0f 6f 06", 16, "27085 movdqu (%rsi),%xmm0" },
  { "0f 10 06", 16, "a28a5 movups (%rsi),%xmm0" },
  { "0f 29 04 24", 16, "3b7ad movaps %xmm0,(%rsp)" },
  { "f3 0f 11 07", 4, "3b495 movss %xmm0,(%rdi)" },
  { "f2 0f 11 0a", 8, "3b0db movsd %xmm1,(%rdx)" },
  { "f2 0f 10 04 24", 8, "3e296 movsd (%rsp),%xmm0" },
  { "0f 16 00", 8, "286db movhps (%rax),%xmm0" },
  { "66 0f 6e 03", 4, "ede31 movd (%rbx),%xmm0" },
  { "f3 0f 7e 0f", 8, "c2cb3 movq (%rdi),%xmm1" },
  { "66 41 0f d6 07", 8, "53c6d movq %xmm0,(%r15)" },
  /* libc.so.6: integer loads, stores, read-modify-writes */
  { "64 48 8b 04 25 28 00 00 00", 8, "263af mov %fs:0x28,%rax" },
  { "66 89 10", 2, "27a08 mov %dx,(%rax)" },
  { "0f be 17", 1, "3321b movsbl (%rdi),%edx" },
  { "0f bf 01", 2, "85c3e movswl (%rcx),%eax" },
  { "0f b7 38", 2, "270f7 movzwl (%rax),%edi" },
  { "48 63 04 82", 4, "277ad movslq (%rdx,%rax,4),%rax" },
  { "80 3f 00", 1, "31621 cmpb $0x0,(%rdi)" },
  { "83 00 01", 4, "326ae addl $0x1,(%rax)" },
  { "83 26 f8", 4, "2a06b andl $0xfffffff8,(%rsi)" },
  { "f6 43 10 01", 1, "27e60 testb $0x1,0x10(%rbx)" },
  { "87 07", 4, "265ae xchg %eax,(%rdi)" },
  { "f0 0f b1 17", 4, "51dc6 lock cmpxchg %edx,(%rdi)" },
  { "f0 48 0f b1 3b", 8, "86bcd lock cmpxchg %rdi,(%rbx)" },
  { "f0 0f c1 02", 4, "8763f lock xadd %eax,(%rdx)" },
  { "f0 ff 0d 2b c0 1a 00", 4, "27256 lock decl 0x1ac02b(%rip)" },
  { "0f 94 03", 1, "14f385 sete (%rbx)" },
  { "44 0f 44 04 24", 4, "d9a08 cmove (%rsp),%r8d" },
  { "48 0f af 1c c8", 8, "43e24 imul (%rax,%rcx,8),%rbx" },
  /* guard_heap (t1430's program) */
  { "48 c7 40 20 2a 00 00 00", 8, "store8: movq $0x2a,0x20(%rax)" },
  { "0f 29 40 20", 16, "store16: movaps %xmm0,0x20(%rax)" },
  { "8b 07", 4, "obj_peek: mov (%rdi),%eax" },
  { "c7 47 04 01 00 00 00", 4, "obj_release: movl $0x1,0x4(%rdi)" },
  { "0f b6 40 28", 1, "overflow_read: movzbl 0x28(%rax),%eax" },
  { "88 05 fa 2c 00 00", 1, "overflow_read: mov %al,0x2cfa(%rip)" },
  /* not covered, or no memory operand: 0, never a guess */
  { "dd 40 20", 0, "x87_read: fldl 0x20(%rax) (x87)" },
  { "db 6c 24 18", 0, "3ad50 fldt 0x18(%rsp) (x87)" },
  { "62 f1 7f c9 6f 0f", 0, "afefb vmovdqu8 (%rdi),%zmm1{%k1}{z} (masked)" },
  { "62 f2 7d 48 78 18", 0, "aff22 vpbroadcastb (%rax),%zmm3 (0F38 map)" },
  { "62 f3 7d 20 3f 07 00", 0, "163699 vpcmpeqb (%rdi),%ymm16,%k0 (0F3A map)" },
  { "ff 92 18 03 00 00", 0, "27398 call *0x318(%rdx)" },
  { "ff 25 ec cf 1a 00", 0, "26006 jmp *0x1acfec(%rip)" },
  { "48 8d 1d c8 ea 1a 00", 0, "263a1 lea 0x1aeac8(%rip),%rbx (no access)" },
  { "48 89 c3", 0, "mov %rax,%rbx (registers)" },
  { "e8 35 fc ff ff", 0, "call (no memory operand)" },
  { "53", 0, "push %rbx (implicit stack access)" },
};

static size_t parse(const char *hex, uint8_t *out) {
  size_t k = 0;
  unsigned v;
  int used;
  while (sscanf(hex, "%2x%n", &v, &used) == 1) {
    out[k++] = (uint8_t)v;
    hex += used;
  }
  return k;
}

int main(void) {
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    uint8_t code[16];
    size_t len = parse(samples[i].bytes, code);
    is_int(spy_insn_access_size(code, len), samples[i].size, "%s: %u", samples[i].what,
           samples[i].size);
  }

  /* The instruction's bytes up to its ModRM end a page; the next page is
   * inaccessible: the decoder must not touch it (SIB, displacement and
   * immediate are not needed for the size). */
  long page = sysconf(_SC_PAGESIZE);
  uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map + page, page, PROT_NONE)) { perror("mmap"); return 1; }
  static const struct { const char *bytes; unsigned size; } edge[] = {
    { "48 c7 40", 8 }, { "62 e1 fe 28 7f 44", 32 }, { "f3 aa", 1 }, { "64 48 8b 04", 8 },
  };
  for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
    uint8_t code[16];
    size_t len = parse(edge[i].bytes, code);
    memcpy(map + page - len, code, len);
    is_int(spy_insn_access_size(map + page - len, 15), edge[i].size,
           "%s at a page's end, the next one inaccessible: %u", edge[i].bytes, edge[i].size);
  }

  /* Truncated: fewer bytes than the encoding needs. */
  is_int(spy_insn_access_size((const uint8_t *)"\x62\xe1\xfe\x28\x7f", 5), 0,
         "EVEX store without its ModRM byte: 0");
  is_int(spy_insn_access_size((const uint8_t *)"\x66\x66\x66", 3), 0, "prefixes only: 0");
  is_int(spy_insn_access_size((const uint8_t *)"", 0), 0, "no bytes: 0");

  return done_testing();
}
