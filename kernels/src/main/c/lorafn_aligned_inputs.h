/*
 * Each thread's 64-byte-aligned copies of a call's activations. The Java side passes heap arrays, which
 * are 16-byte aligned, so every 64-byte load of them spans two cache lines; at batch 1 the copy (a few
 * KB, from L1 or L2) cost less than those split loads did (1b Q8_0 steps, 8-bit and exact, about 5%).
 */
#ifndef LORAFN_ALIGNED_INPUTS_H
#define LORAFN_ALIGNED_INPUTS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static __thread uint8_t *aligned_inputs;
static __thread size_t aligned_inputs_capacity;

/*
 * Room for `bytes` at a 64-byte boundary: grown, never shrunk (a thread sees a few shapes); NULL where it
 * cannot be allocated. Copies made through it are valid until the thread's next call.
 */
static inline uint8_t *aligned_input_room(size_t bytes) {
    if (bytes > aligned_inputs_capacity) {
        bytes = (bytes + 63) & ~(size_t) 63;
        free(aligned_inputs);
        aligned_inputs = aligned_alloc(64, bytes);
        aligned_inputs_capacity = aligned_inputs == NULL ? 0 : bytes;
    }
    return aligned_inputs;
}

/* p itself where it is aligned or no room can be had, else a copy of its `bytes` at `room + offset` (offset a multiple of 64). */
static inline const void *aligned_input(const void *p, size_t bytes, uint8_t *room, size_t offset) {
    if ((uintptr_t) p % 64 == 0 || room == NULL) {
        return p;
    }
    memcpy(room + offset, p, bytes);
    return room + offset;
}

#endif
