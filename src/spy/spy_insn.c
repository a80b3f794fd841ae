/*
 * spy_insn.c: how many bytes the faulting instruction accesses ("write
 * of size 4"), decoded from its x86-64 encoding, for spy_crash.c.
 *
 * Covers what compilers and glibc's string functions emit for loads and
 * stores: legacy prefixes, REX, mov 88-8B/C6/C7 and A0-A3, movsxd 63, the
 * ALU ops 00-3F with a ModRM operand, 69/6B imul, 80-87, shifts C0/C1/
 * D0-D3, F6/F7, FE/FF (inc/dec only), the string ops A4-A7/AA-AF (with or
 * without rep: the element size), and in the 0F map movzx/movsx,
 * cmpxchg, xadd, cmovcc, setcc, imul, bsf/bsr, movnti, cmpxchg8b/16b and
 * the SSE/AVX/AVX-512 moves and packed compares/logic glibc uses (legacy,
 * VEX and EVEX encodings; vector length from VEX.L or EVEX.L'L).
 *
 * Never guesses: anything else is 0 ("size unknown"): other opcodes and
 * maps (0F38, 0F3A, x87), register operands (ModRM mod 3), EVEX masked or
 * broadcast accesses (the bytes touched depend on a mask or an element),
 * call/jmp/push through memory.
 *
 * Must never read a byte the CPU did not fetch: bytes are read in order
 * and never past the ModRM byte (no SIB, displacement or immediate is
 * needed), so each one belongs to the instruction that faulted on data,
 * which the CPU fetched whole. No allocation, no system call: callable
 * from a signal handler.
 */
#include "spy.h"
#include "spy_check.h"

enum enc { LEGACY, VEX, EVEX };

/* Table entries: a size in bytes (1..16), or one of these rules. */
enum {
  OSZ = 0x80,   /* operand size: 8 with REX.W, 2 with 66, else 4 */
  WD,           /* 8 with W (REX/VEX/EVEX), else 4 */
  VEC,          /* vector: 16 (legacy), VEX.L ? 32 : 16, EVEX 16 << L'L */
  MMX,          /* 8 in the legacy encoding (MMX register), else invalid */
  EVL,          /* the vector length, EVEX only */
  SXD,          /* movsxd: 2 with 66, else 4 */
  B_R0, V_R0,   /* C6/C7: byte / OSZ, only with ModRM.reg 0 */
  B_R01, V_R01, /* FE/FF: byte / OSZ, only inc and dec (reg 0, 1) */
  CX16,         /* 0F C7 /1: cmpxchg16b (W) or cmpxchg8b */
  NB, NV,       /* no ModRM: string ops and moffs moves, byte / OSZ */
};

/* The one-byte map, beyond the ALU ops 00-3F (computed below). */
static const uint8_t map1[256] = {
  [0x63] = SXD, [0x69] = OSZ, [0x6b] = OSZ,
  [0x80] = 1, [0x81] = OSZ, [0x83] = OSZ, [0x84] = 1, [0x85] = OSZ, [0x86] = 1, [0x87] = OSZ,
  [0x88] = 1, [0x89] = OSZ, [0x8a] = 1, [0x8b] = OSZ,
  [0xa0] = NB, [0xa1] = NV, [0xa2] = NB, [0xa3] = NV, [0xa4] = NB, [0xa5] = NV,
  [0xa6] = NB, [0xa7] = NV, [0xaa] = NB, [0xab] = NV, [0xac] = NB, [0xad] = NV,
  [0xae] = NB, [0xaf] = NV,
  [0xc0] = 1, [0xc1] = OSZ, [0xc6] = B_R0, [0xc7] = V_R0,
  [0xd0] = 1, [0xd1] = OSZ, [0xd2] = 1, [0xd3] = OSZ,
  [0xf6] = 1, [0xf7] = OSZ, [0xfe] = B_R01, [0xff] = V_R01,
};

/* The 0F map's integer instructions (legacy encoding only; a 66 prefix
 * is the operand size, F2/F3 do not change the operand). */
static const uint8_t map0f_int[256] = {
  [0x40 ... 0x4f] = OSZ,   /* cmovcc */
  [0x90 ... 0x9f] = 1,     /* setcc */
  [0xaf] = OSZ, [0xb0] = 1, [0xb1] = OSZ, [0xb6] = 1, [0xb7] = 2, [0xb8] = OSZ,
  [0xbc] = OSZ, [0xbd] = OSZ, [0xbe] = 1, [0xbf] = 2,
  [0xc0] = 1, [0xc1] = OSZ, [0xc3] = WD, [0xc7] = CX16,
};

/* The 0F map's SSE/AVX instructions, by mandatory prefix: none, 66, F3,
 * F2 (VEX/EVEX pp). Loads and stores of the same register agree. */
#define PACKED { MMX, VEC, 0, 0 }   /* MMX 8 bytes, XMM/YMM/ZMM vector */
static const uint8_t map0f_simd[256][4] = {
  [0x10] = { VEC, VEC, 4, 8 },     /* movups, movupd, movss, movsd */
  [0x11] = { VEC, VEC, 4, 8 },
  [0x12] = { 8, 8, 0, 0 },         /* movlps, movlpd (memory forms) */
  [0x13] = { 8, 8, 0, 0 },
  [0x16] = { 8, 8, 0, 0 },         /* movhps, movhpd */
  [0x17] = { 8, 8, 0, 0 },
  [0x28] = { VEC, VEC, 0, 0 },     /* movaps, movapd */
  [0x29] = { VEC, VEC, 0, 0 },
  [0x2b] = { VEC, VEC, 0, 0 },     /* movntps, movntpd */
  [0x6e] = { WD, WD, 0, 0 },       /* movd/movq to MMX/XMM */
  [0x6f] = { MMX, VEC, VEC, EVL }, /* movq mm; movdqa, movdqu; vmovdqu8/16 */
  [0x7e] = { WD, WD, 8, 0 },       /* movd/movq from MMX/XMM; movq xmm */
  [0x7f] = { MMX, VEC, VEC, EVL },
  [0xd6] = { 0, 8, 0, 0 },         /* movq xmm/m64 */
  [0xe7] = PACKED,                 /* movntq, movntdq */
  [0x74] = PACKED, [0x75] = PACKED, [0x76] = PACKED,   /* pcmpeqb/w/d */
  [0xd4] = PACKED, [0xda] = PACKED, [0xdb] = PACKED,   /* paddq, pminub, pand */
  [0xde] = PACKED, [0xdf] = PACKED, [0xeb] = PACKED,   /* pmaxub, pandn, por */
  [0xef] = PACKED, [0xf8 ... 0xfe] = PACKED,           /* pxor, psub*, padd* */
};

struct insn {
  const uint8_t *p;
  size_t n, i;
};

static int next(struct insn *d, uint8_t *b) {
  if (d->i >= d->n) return 0;
  *b = d->p[d->i++];
  return 1;
}

unsigned spy_insn_access_size(const uint8_t *code, size_t len) {
  struct insn d = { code, len < 15 ? len : 15, 0 };
  int o16 = 0, rep = 0, w = 0, vl = 0, masked = 0;   /* rep: 0, 2 (F3), 3 (F2) */
  enum enc enc = LEGACY;
  uint8_t b, op, map = 0, pp;
  for (;;) {   /* prefixes; a REX counts only right before the opcode */
    if (!next(&d, &b)) return 0;
    if (b == 0x66) o16 = 1;
    else if (b == 0xf3 || b == 0xf2) rep = b == 0xf3 ? 2 : 3;
    else if (b == 0x67 || b == 0xf0 || b == 0x2e || b == 0x3e || b == 0x26 || b == 0x64 ||
             b == 0x65 || b == 0x36) ;
    else if (b >= 0x40 && b <= 0x4f) { w = b >> 3 & 1; continue; }
    else break;
    w = 0;
  }
  if (b == 0xc5 || b == 0xc4 || b == 0x62) {
    uint8_t p0, p1, p2;
    if (!next(&d, &p0)) return 0;
    if (b == 0xc5) { map = 1; w = 0; pp = p0 & 3; vl = p0 >> 2 & 1; enc = VEX; }
    else {
      if (!next(&d, &p1)) return 0;
      pp = p1 & 3;
      w = p1 >> 7;
      if (b == 0xc4) { map = p0 & 0x1f; vl = p1 >> 2 & 1; enc = VEX; }
      else {
        if (!next(&d, &p2)) return 0;
        map = p0 & 7;
        vl = p2 >> 5 & 3;
        masked = (p2 & 7) || (p2 & 0x10);   /* opmask, or broadcast/rounding */
        enc = EVEX;
      }
    }
    if (map != 1 || !next(&d, &op)) return 0;
  } else if (b == 0x0f) {
    if (!next(&d, &op)) return 0;
    map = 1;
    pp = rep ? (uint8_t)rep : o16;
  } else {
    op = b;
    pp = 0;
  }
  unsigned rule;
  if (!map) rule = op < 0x40 && (op & 7) < 4 ? (op & 1 ? OSZ : 1) : map1[op];
  else if (enc == LEGACY && map0f_int[op]) rule = map0f_int[op];
  else rule = map0f_simd[op][pp];
  if (!rule) return 0;
  unsigned osz = w ? 8 : o16 ? 2 : 4;
  if (rule == NB || rule == NV) return rule == NB ? 1 : osz;
  uint8_t modrm;
  if (!next(&d, &modrm) || modrm >> 6 == 3) return 0;   /* a register operand */
  unsigned reg = modrm >> 3 & 7;
  if (enc == EVEX && masked) return 0;
  switch (rule) {
  case OSZ: return osz;
  case WD: return w ? 8 : 4;
  case VEC: return enc == LEGACY ? 16 : enc == VEX ? 16u << vl : vl < 3 ? 16u << vl : 0;
  case MMX: return enc == LEGACY ? 8 : 0;
  case EVL: return enc == EVEX && vl < 3 ? 16u << vl : 0;
  case SXD: return o16 ? 2 : 4;
  case B_R0: return reg == 0 ? 1 : 0;
  case V_R0: return reg == 0 ? osz : 0;
  case B_R01: return reg <= 1 ? 1 : 0;
  case V_R01: return reg <= 1 ? osz : 0;
  case CX16: return reg == 1 ? (w ? 16 : 8) : 0;
  default: return rule;
  }
}
