package io.lorafn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Bf16Test {
    @Test
    void roundsToNearestEvenLikeTorchAndKeepsNaN() {
        assertEquals((short) 0x3F80, Bf16.round(1.0f));
        assertEquals((short) 0x3F80, Bf16.round(Float.intBitsToFloat(0x3F808000)), "a tie goes to the even neighbour");
        assertEquals((short) 0x3F82, Bf16.round(Float.intBitsToFloat(0x3F818000)), "a tie goes to the even neighbour, up");
        assertEquals((short) 0x3F81, Bf16.round(Float.intBitsToFloat(0x3F808001)), "past the tie rounds up");
        assertTrue(Float.isNaN(Bf16.toFloat(Bf16.round(Float.NaN))));
        assertEquals((short) 0x7F80, Bf16.round(Float.POSITIVE_INFINITY));
        assertEquals(-2.5f, Bf16.toFloat(Bf16.round(-2.5f)));
    }
}
