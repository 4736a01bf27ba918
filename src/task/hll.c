/* hll.c - see hll.h. */
#include "task/hll.h"

#include <math.h>
#include <string.h>

static inline uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t read32(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

static inline uint64_t mix_word(uint64_t h, uint64_t w)
{
    h ^= rotl64(w * 0x87c37b91114253d5ULL, 31) * 0x4cf5ad432745937fULL;
    return rotl64(h, 27) * 5 + 0x52dce729;
}

/* Whole words, then the tail as one overlapping read (no byte loop and no
 * variable-length memcpy, which would be a libc call per cell). */
uint64_t hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)len * 0x87c37b91114253d5ULL);
    if (len >= 8) {
        size_t n = len;
        while (n > 8) {
            h = mix_word(h, read64(p));
            p += 8;
            n -= 8;
        }
        h = mix_word(h, read64((const unsigned char *)data + len - 8));
    } else if (len >= 4) {
        h = mix_word(h, (read32(p) << 32) | read32(p + len - 4));
    } else if (len > 0) {
        h = mix_word(h, ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1]);
    }
    return fmix64(h);
}

void hll_init(struct hll *h)
{
    memset(h->reg, 0, sizeof h->reg);
}

void hll_merge(struct hll *into, const struct hll *from)
{
    for (size_t i = 0; i < HLL_M; i++)
        if (from->reg[i] > into->reg[i])
            into->reg[i] = from->reg[i];
}

/* Ertl's sigma and tau series. */
static double sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

double hll_estimate(const struct hll *h)
{
    enum { Q = 64 - HLL_P };
    unsigned counts[Q + 2] = {0};
    for (size_t i = 0; i < HLL_M; i++)
        counts[h->reg[i]]++;
    const double m = HLL_M;
    if (counts[0] == HLL_M)
        return 0.0;
    double z = m * tau(1.0 - counts[Q + 1] / m);
    for (int k = Q; k >= 1; k--)
        z = 0.5 * (z + counts[k]);
    z += m * sigma(counts[0] / m);
    return (m / (2.0 * log(2.0))) * m / z;
}
