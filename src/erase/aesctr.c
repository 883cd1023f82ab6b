/* SPDX-License-Identifier: MIT */
/* aesctr.c - AES-128-CTR keystream with VAES/AVX-512 where the CPU has them */
#include "aesctr.h"

#include <string.h>

/*
 * OpenSSL 3.0 runs CTR on AES-NI, one 128-bit block per instruction: on
 * this kind of machine the random pass's generator, not the medium, set
 * the pace. VAES does four blocks per instruction. Same cipher, same
 * counter rule (128-bit big-endian, wrapping), same bytes: the unit tests
 * hold it to EVP's output.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

#define AESNI	__attribute__((target("aes,sse2")))
#define VAES512	__attribute__((target("aes,avx512f,avx512bw,vaes")))

/* CPUID and XGETBV: the CPU has the instructions and the OS saves the ZMM state. */
static bool probe(void)
{
	unsigned a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AES) || !(c & bit_OSXSAVE))
		return false;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0xe6) != 0xe6)	/* SSE, AVX, opmask, ZMM0-15 upper, ZMM16-31 */
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return (b & bit_AVX512F) && (b & bit_AVX512BW) && (c & bit_VAES);
}

bool dsp_aesctr_available(void)
{
	static int have = -1;	/* every thread that races here computes the same */
	int h = __atomic_load_n(&have, __ATOMIC_RELAXED);

	if (h < 0) {
		h = probe();
		__atomic_store_n(&have, h, __ATOMIC_RELAXED);
	}
	return h;
}

AESNI static __m128i expand(__m128i k, __m128i t)
{
	t = _mm_shuffle_epi32(t, 0xff);
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, t);
}

AESNI void dsp_aesctr_init(struct dsp_aesctr *a, const uint8_t key[16])
{
	__m128i k[11];

	k[0] = _mm_loadu_si128((const __m128i *)key);
#define STEP(i, rcon) k[i] = expand(k[i - 1], _mm_aeskeygenassist_si128(k[i - 1], rcon))
	STEP(1, 0x01); STEP(2, 0x02); STEP(3, 0x04); STEP(4, 0x08); STEP(5, 0x10);
	STEP(6, 0x20); STEP(7, 0x40); STEP(8, 0x80); STEP(9, 0x1b); STEP(10, 0x36);
#undef STEP
	for (int i = 0; i < 11; i++)
		_mm_storeu_si128((__m128i *)a->rk[i], k[i]);
	memset(k, 0, sizeof(k));
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Four counter blocks n .. n+3 (mod 2^128) as native 64-bit lanes (hi, lo). */
VAES512 static __m512i ctr4(unsigned __int128 n)
{
	uint64_t h[4], l[4];

	for (int i = 0; i < 4; i++, n++) {
		h[i] = (uint64_t)(n >> 64);
		l[i] = (uint64_t)n;
	}
	return _mm512_set_epi64((long long)l[3], (long long)h[3], (long long)l[2],
				(long long)h[2], (long long)l[1], (long long)h[1],
				(long long)l[0], (long long)h[0]);
}

#define NV 8	/* blocks in flight: 8 registers of 4 */

/*
 * out[i] = in[i] ^ keystream, or the keystream when in is NULL; with cmp,
 * nothing is written and the OR of in ^ keystream comes back (zero: equal).
 */
VAES512 static uint64_t run(const struct dsp_aesctr *a, const uint8_t ctr[16],
			    const uint8_t *in, uint8_t *out, size_t nblocks, bool cmp)
{
	/* per 128-bit lane: native (hi, lo) to big-endian bytes */
	const __m512i bswap = _mm512_broadcast_i32x4(_mm_set_epi8(8, 9, 10, 11, 12, 13, 14, 15,
								  0, 1, 2, 3, 4, 5, 6, 7));
	const __m512i step = _mm512_set_epi64(4, 0, 4, 0, 4, 0, 4, 0);
	unsigned __int128 pos = (unsigned __int128)be64(ctr) << 64 | be64(ctr + 8);
	__m512i k[11], acc = _mm512_setzero_si512();
	uint8_t tail[4 * NV * 16], tacc = 0;

#pragma GCC unroll 11
	for (int i = 0; i < 11; i++)
		k[i] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)a->rk[i]));
	while (nblocks) {
		size_t n = nblocks < 4 * NV ? nblocks : 4 * NV;
		__m512i x[NV], c = ctr4(pos);
		/* lane adds are exact unless the low 64 bits wrap inside the group */
		bool fast = (uint64_t)pos <= UINT64_MAX - 4 * NV;

#pragma GCC unroll 8
		for (int j = 0; j < NV; j++) {
			if (j && fast)
				c = _mm512_add_epi64(c, step);
			else if (j)
				c = ctr4(pos + 4u * (unsigned)j);
			x[j] = _mm512_xor_si512(_mm512_shuffle_epi8(c, bswap), k[0]);
		}
#pragma GCC unroll 9
		for (int r = 1; r < 10; r++)
#pragma GCC unroll 8
			for (int j = 0; j < NV; j++)
				x[j] = _mm512_aesenc_epi128(x[j], k[r]);
#pragma GCC unroll 8
		for (int j = 0; j < NV; j++)
			x[j] = _mm512_aesenclast_epi128(x[j], k[10]);
		if (n == 4 * NV) {
#pragma GCC unroll 8
			for (int j = 0; j < NV; j++) {
				if (in)
					x[j] = _mm512_xor_si512(x[j], _mm512_loadu_si512(in + 64 * j));
				if (cmp)
					acc = _mm512_or_si512(acc, x[j]);
				else
					_mm512_storeu_si512(out + 64 * j, x[j]);
			}
		} else {
			/* the last, partial group: through a buffer */
			for (int j = 0; j < NV; j++)
				_mm512_storeu_si512(tail + 64 * j, x[j]);
			for (size_t b = 0; b < n * 16; b++) {
				uint8_t v = tail[b] ^ (in ? in[b] : 0);

				if (cmp)
					tacc |= v;
				else
					out[b] = v;
			}
		}
		if (in)
			in += n * 16;
		if (out)
			out += n * 16;
		nblocks -= n;
		pos += n;
	}
	memset(tail, 0, sizeof(tail));
	return (uint64_t)_mm512_reduce_or_epi64(acc) | tacc;
}

void dsp_aesctr_xor(const struct dsp_aesctr *a, const uint8_t ctr[16], const uint8_t *in,
		    uint8_t *out, size_t nblocks)
{
	run(a, ctr, in, out, nblocks, false);
}

bool dsp_aesctr_equal(const struct dsp_aesctr *a, const uint8_t ctr[16], const uint8_t *buf,
		      size_t nblocks)
{
	return run(a, ctr, buf, NULL, nblocks, true) == 0;
}

#else

bool dsp_aesctr_available(void)
{
	return false;
}

void dsp_aesctr_init(struct dsp_aesctr *a, const uint8_t key[16])
{
	(void)key;
	memset(a, 0, sizeof(*a));
}

void dsp_aesctr_xor(const struct dsp_aesctr *a, const uint8_t ctr[16], const uint8_t *in,
		    uint8_t *out, size_t nblocks)
{
	(void)a; (void)ctr; (void)in; (void)out; (void)nblocks;
}

bool dsp_aesctr_equal(const struct dsp_aesctr *a, const uint8_t ctr[16], const uint8_t *buf,
		      size_t nblocks)
{
	(void)a; (void)ctr; (void)buf; (void)nblocks;
	return false;
}

#endif
