/* hll.h - a 64-bit string hash and a HyperLogLog distinct counter.
 *
 * hash64() is a fast, well-mixed hash of a byte string (wyhash's design:
 * 16 bytes per 128-bit multiply), used both for the HyperLogLog
 * registers and as the key of the profiler's exact-distinct tables.
 *
 * The HyperLogLog has 2^14 one-byte registers (16 KiB) and a standard error
 * of about 0.8%. The estimate uses Ertl's improved raw estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017), which
 * needs no empirical bias tables and is accurate from tiny to huge counts.
 * Not thread-safe per counter; counters can be merged. Internal to ms_task. */
#ifndef MLESTAR_TASK_HLL_H
#define MLESTAR_TASK_HLL_H

#include <stddef.h>
#include <stdint.h>

#define HLL_P 14
#define HLL_M (1u << HLL_P)

struct hll {
    uint8_t reg[HLL_M];
};

uint64_t hash64(const void *data, size_t len);
/* Hash of one 64-bit value (the murmur3 finaliser of value ^ a constant). */
static inline uint64_t hash_u64(uint64_t x)
{
    x ^= 0x9E3779B97F4A7C15ULL;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

void hll_init(struct hll *h);
static inline void hll_add_hash(struct hll *h, uint64_t hash)
{
    uint32_t idx = (uint32_t)(hash >> (64 - HLL_P));
    uint64_t rest = (hash << HLL_P) | (1ULL << (HLL_P - 1)); /* guard bit caps the rank */
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > h->reg[idx])
        h->reg[idx] = rank;
}
void hll_merge(struct hll *into, const struct hll *from);
double hll_estimate(const struct hll *h);

#endif
