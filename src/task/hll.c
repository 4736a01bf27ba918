/* hll.c - see hll.h. */
#include "task/hll.h"

#include <math.h>
#include <string.h>

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

/* The 64x64->128-bit multiply, folded: the mixing step of wyhash. */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

#define SECRET0 0xa0761d6478bd642fULL
#define SECRET1 0xe7037ed1a0b428dbULL
#define SECRET2 0x8ebc6af09c88c6e3ULL

/* wyhash's structure: 16 bytes per multiply, the tail as two overlapping
 * reads (no byte loop, and no variable-length memcpy, which would be a
 * libc call per cell), then two multiplies to finish. */
uint64_t hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t seed = SECRET0 ^ ((uint64_t)len * SECRET2);
    uint64_t a, b;
    if (len <= 16) {
        if (len >= 4) {
            size_t step = (len >> 3) << 2;
            a = (read32(p) << 32) | read32(p + step);
            b = (read32(p + len - 4) << 32) | read32(p + len - 4 - step);
        } else if (len > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t n = len;
        while (n > 16) {
            seed = mum(read64(p) ^ SECRET1, read64(p + 8) ^ seed);
            p += 16;
            n -= 16;
        }
        a = read64(p + n - 16);
        b = read64(p + n - 8);
    }
    return mum(SECRET1 ^ len, mum(a ^ SECRET1, b ^ seed));
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
