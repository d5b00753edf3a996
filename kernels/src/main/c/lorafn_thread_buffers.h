/*
 * Each thread's scratch for the C products: buffers at a 64-byte boundary, grown and never shrunk (a thread
 * sees a few shapes), and aligned copies of a call's activations. The Java side passes heap arrays, which
 * are 16-byte aligned, so every 64-byte load of them spans two cache lines; the copy (a few KB, from L1 or
 * L2) cost less than those split loads did (1b Q8_0, one thread over a matrix in memory: +13%).
 */
#ifndef LORAFN_THREAD_BUFFERS_H
#define LORAFN_THREAD_BUFFERS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * *buffer with room for `bytes` at a 64-byte boundary, reallocated (contents dropped) where *capacity is less;
 * NULL where it cannot be allocated.
 */
static inline void *grown_buffer(void **buffer, size_t *capacity, size_t bytes) {
    if (bytes > *capacity) {
        bytes = (bytes + 63) & ~(size_t) 63; /* aligned_alloc wants a multiple of the alignment */
        free(*buffer);
        *buffer = aligned_alloc(64, bytes);
        *capacity = *buffer == NULL ? 0 : bytes;
    }
    return *buffer;
}

static __thread void *aligned_inputs;
static __thread size_t aligned_inputs_capacity;

/* This thread's room for aligned copies of `bytes` of inputs; valid until its next call that asks for room. */
static inline uint8_t *aligned_input_room(size_t bytes) {
    return grown_buffer(&aligned_inputs, &aligned_inputs_capacity, bytes);
}

/* p itself where it is aligned or there is no room, else a copy of its `bytes` at `room + offset` (offset a multiple of 64). */
static inline const void *aligned_input(const void *p, size_t bytes, uint8_t *room, size_t offset) {
    if ((uintptr_t) p % 64 == 0 || room == NULL) {
        return p;
    }
    memcpy(room + offset, p, bytes);
    return room + offset;
}

#endif
