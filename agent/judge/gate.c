// SPDX-License-Identifier: Apache-2.0
#include "gate.h"

#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GATE_X86 1
#endif

typedef unsigned __int128 u128;

/* Character classes, one 64-bit mask (a bit per byte) per 64-byte block. */
enum { DIGIT, COLON, DOT, DASH, UPPER, ALNUM, NCLASSES };

/* A block and the masks of it worked out so far: a class is computed only
 * when a shape still possible there needs it. */
struct block {
	const char *p; /* 64 bytes */
	unsigned have; /* bit c: mask[c] is set */
	uint64_t mask[NCLASSES];
};

static inline bool is_class(unsigned char ch, int c)
{
	switch (c) {
	case DIGIT: return ch >= '0' && ch <= '9';
	case COLON: return ch == ':';
	case DOT: return ch == '.';
	case DASH: return ch == '-';
	case UPPER: return ch >= 'A' && ch <= 'Z';
	default: return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
	}
}

static inline __attribute__((unused)) uint64_t class_scalar(const char *p, int c)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < 64; i++)
		m |= (uint64_t)is_class((unsigned char)p[i], c) << i;
	return m;
}

#ifdef GATE_X86
/* The bytes of v in [lo, lo + span]: v - lo, unsigned, is at most span. */
static inline __m128i in_range_128(__m128i v, char lo, char span)
{
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8(lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(span)), t);
}

static inline __m128i class_128(__m128i v, int c)
{
	switch (c) {
	case DIGIT: return in_range_128(v, '0', 9);
	case COLON: return _mm_cmpeq_epi8(v, _mm_set1_epi8(':'));
	case DOT: return _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
	case DASH: return _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
	case UPPER: return in_range_128(v, 'A', 25);
	default: return _mm_or_si128(in_range_128(v, '0', 9), in_range_128(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 25));
	}
}

static inline uint64_t class_sse2(const char *p, int c)
{
	uint64_t m = 0;

	for (unsigned j = 0; j < 64; j += 16)
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(class_128(_mm_loadu_si128((const __m128i *)(p + j)), c)) << j;
	return m;
}

#define AVX2 __attribute__((target("avx2")))

static inline AVX2 __m256i in_range_256(__m256i v, char lo, char span)
{
	__m256i t = _mm256_sub_epi8(v, _mm256_set1_epi8(lo));

	return _mm256_cmpeq_epi8(_mm256_min_epu8(t, _mm256_set1_epi8(span)), t);
}

static inline AVX2 __m256i class_256(__m256i v, int c)
{
	switch (c) {
	case DIGIT: return in_range_256(v, '0', 9);
	case COLON: return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(':'));
	case DOT: return _mm256_cmpeq_epi8(v, _mm256_set1_epi8('.'));
	case DASH: return _mm256_cmpeq_epi8(v, _mm256_set1_epi8('-'));
	case UPPER: return in_range_256(v, 'A', 25);
	default:
		return _mm256_or_si256(in_range_256(v, '0', 9),
				       in_range_256(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), 'a', 25));
	}
}

static inline AVX2 uint64_t class_avx2(const char *p, int c)
{
	uint64_t lo = (uint32_t)_mm256_movemask_epi8(class_256(_mm256_loadu_si256((const __m256i *)p), c));
	uint64_t hi = (uint32_t)_mm256_movemask_epi8(class_256(_mm256_loadu_si256((const __m256i *)(p + 32)), c));

	return lo | hi << 32;
}
#endif

/*
 * Whether a run of 26 set bits can end in cur (prev: the block before). One
 * ending at byte 15 or later holds one of cur's aligned 8-byte groups whole;
 * one ending before holds prev's last group. A whole group is a 0xff byte
 * of the mask: a zero byte of its complement, found by the borrow trick
 * (which may also flag a 0x01 byte above a zero one: a false "possible"
 * only). Blocks of ordinary words mostly have no such group, and skip the
 * run computation.
 */
static inline uint64_t run26_possible(uint64_t cur, uint64_t prev)
{
	return ((~cur - 0x0101010101010101ull) & cur & 0x8080808080808080ull) | ((prev >> 56) == 0xff);
}

/*
 * The shapes ending in block cur (prev: the block before it, or a block of
 * no class). In a 128-bit pair (cur high, prev low) shifted left by j, bit
 * 64 + i is byte i - j's; HIGH takes cur's half. A shape is given up as
 * soon as its last bytes are absent, before the classes it needs besides
 * are worked out. Instantiated once per instruction set, so the class
 * computations inline.
 */
#define SHAPES_AT(name, class_fn, attr)                                                                 \
	static inline attr uint64_t name##_get(struct block *b, int c)                                  \
	{                                                                                                \
		if (!(b->have & (1u << c))) {                                                            \
			b->mask[c] = b->p ? class_fn(b->p, c) : 0;                                       \
			b->have |= 1u << c;                                                              \
		}                                                                                        \
		return b->mask[c];                                                                       \
	}                                                                                                \
	static inline attr uint64_t name(unsigned shapes, struct block *cur, struct block *prev)         \
	{                                                                                                \
		u128 d = (u128)name##_get(cur, DIGIT) << 64 | name##_get(prev, DIGIT), dd = d & d << 1;  \
		uint64_t m = 0;                                                                          \
                                                                                                         \
		if (HIGH(dd) && (shapes & (GATE_CARD | GATE_DIGITS7 | GATE_SSN | GATE_IBAN))) {          \
			u128 d4 = dd & dd << 2;                                                          \
                                                                                                         \
			if (shapes & GATE_CARD) /* dddd?dddd */                                          \
				m |= HIGH(d4 & (d4 << 4 | d4 << 5));                                     \
			if (shapes & GATE_DIGITS7)                                                       \
				m |= HIGH(d4 & d4 << 3);                                                 \
			if ((shapes & GATE_SSN) && HIGH(dd & dd << 3)) { /* -dd-dd of ddd-dd-dddd, or dots */ \
				u128 sep = PAIR(DASH) | PAIR(DOT);                                       \
                                                                                                         \
				m |= HIGH(dd & sep << 2 & dd << 3 & sep << 5);                           \
			}                                                                                \
			if (shapes & GATE_IBAN) { /* UUdd */                                             \
				u128 u = PAIR(UPPER);                                                    \
                                                                                                         \
				m |= HIGH(dd & u << 2 & u << 3);                                         \
			}                                                                                \
		}                                                                                        \
		if ((shapes & GATE_IPV4) && HIGH(d & d << 2)) { /* d.d, up to two bytes, .d */           \
			u128 dot = PAIR(DOT);                                                            \
                                                                                                         \
			m |= HIGH(d & dot << 1 & d << 2 & (dot << 3 | dot << 4 | dot << 5));             \
		}                                                                                        \
		if ((shapes & GATE_IPV6) && name##_get(cur, COLON)) { /* colons at most five apart */    \
			u128 col = PAIR(COLON);                                                          \
                                                                                                         \
			m |= HIGH(col & (col << 1 | col << 2 | col << 3 | col << 4 | col << 5));         \
		}                                                                                        \
		if ((shapes & GATE_ALNUM26) && run26_possible(get(cur, ALNUM), get(prev, ALNUM))) {       \
			u128 a = PAIR(ALNUM), r2 = a & a << 1, r4 = r2 & r2 << 2, r8 = r4 & r4 << 4;     \
			u128 r16 = r8 & r8 << 8;                                                         \
                                                                                                         \
			if (HIGH(r16))                                                                   \
				m |= HIGH(r16 & r8 << 16 & r2 << 24);                                    \
		}                                                                                        \
		return m;                                                                                \
	}

/*
 * Every shape ends in a digit or a colon, except the 26-character run,
 * whose value starts with a digit (1 or 3) or "bc1": a block with neither,
 * after a block with no digit in its last 26 bytes, ends no shape that
 * matters and is passed over after one test.
 */
#define GATE_MARK(name, shapes_fn, attr)                                                                 \
	static attr void name(unsigned shapes, const char *text, size_t n, uint64_t *marks)              \
	{                                                                                                \
		size_t words = (n + 63) / 64;                                                            \
		char tail[64];                                                                           \
		struct block blocks[2] = { { 0 } }, *cur = &blocks[0], *prev = &blocks[1], *t;           \
                                                                                                         \
		for (size_t k = 0; k < words; k++) {                                                     \
			t = prev, prev = cur, cur = t;                                                   \
			cur->have = 0;                                                                   \
			cur->p = text + 64 * k;                                                          \
			if (64 * k + 64 > n) {                                                           \
				memset(tail, 0, sizeof(tail));                                           \
				memcpy(tail, cur->p, n - 64 * k);                                        \
				cur->p = tail;                                                           \
			}                                                                                \
			if (!(shapes_fn##_get(cur, DIGIT) | shapes_fn##_get(cur, COLON)) &&              \
			    !(shapes_fn##_get(prev, DIGIT) >> (64 - GATE_SHAPE_MAX))) {                  \
				marks[k] = 0;                                                            \
				continue;                                                                \
			}                                                                                \
			marks[k] = shapes_fn(shapes, cur, prev);                                         \
		}                                                                                        \
	}

#define PAIR(c) ((u128)get(cur, c) << 64 | get(prev, c))
#define HIGH(x) ((uint64_t)((x) >> 64))

#ifndef GATE_X86
#define get shapes_scalar_get
SHAPES_AT(shapes_scalar, class_scalar, )
GATE_MARK(gate_mark_scalar, shapes_scalar, )
#undef get
#else
#define get shapes_sse2_get
SHAPES_AT(shapes_sse2, class_sse2, )
GATE_MARK(gate_mark_sse2, shapes_sse2, )
#undef get
#define get shapes_avx2_get
SHAPES_AT(shapes_avx2, class_avx2, AVX2)
GATE_MARK(gate_mark_avx2, shapes_avx2, AVX2)
#undef get
#endif

int gate_avx2 = 1;

void gate_mark(unsigned shapes, const char *text, size_t n, uint64_t *marks)
{
#ifdef GATE_X86
	/* A load of what libgcc's constructor read from CPUID: nothing is
	 * written here, so concurrent classifiers share no state. */
	if (gate_avx2 && __builtin_cpu_supports("avx2"))
		gate_mark_avx2(shapes, text, n, marks);
	else
		gate_mark_sse2(shapes, text, n, marks);
#else
	gate_mark_scalar(shapes, text, n, marks);
#endif
}
