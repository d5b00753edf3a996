package io.lorafn.pool.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ContractJsonTest {
    static final Invocation CALL = new Invocation("act-1", "acme", "support", "support", "3", "Hello", 32, 0.7, 0.9, 40,
            7L, List.of("\n\n"), true, "invoker-a", 1_000, 31_000);

    @Test
    void everyRecordRoundTripsThroughItsJson() {
        assertEquals(CALL, ContractJson.read(ContractJson.write(CALL), Invocation.class));
        ResultChunk last = new ResultChunk("act-1", 5, " world", true, "stop", new Usage(3, 5),
                new Timings(2, 0, 40, 55, 300), true, null);
        assertEquals(last, ContractJson.read(ContractJson.write(last), ResultChunk.class));
        UsageEvent usage = new UsageEvent("act-1", "acme", "support", "2026-11-25", 3, 5, 120, true);
        assertEquals(usage, ContractJson.read(ContractJson.write(usage), UsageEvent.class));
        ActivationRecord queued = ActivationRecord.queued(CALL);
        assertEquals(queued, ContractJson.read(ContractJson.write(queued), ActivationRecord.class));
        ResultChunk failed = ResultChunk.failed("act-1", 0, new ErrorInfo("DEADLINE_EXCEEDED", "30 s passed"), null);
        assertEquals(failed, ContractJson.read(ContractJson.write(failed), ResultChunk.class));
    }

    @Test
    void theJsonUsesTheHttpApisNamesAndLeavesNullsOut() {
        String json = ContractJson.write(new ResultChunk("a", 0, "x", false, null, null, null, false, null));
        assertTrue(json.contains("\"activation_id\":\"a\""), json);
        assertFalse(json.contains("finish_reason"), json);
        assertTrue(ContractJson.write(CALL).contains("\"max_tokens\":32"));
    }

    @Test
    void unknownFieldsAreIgnoredAndBadJsonIsRefused() {
        Usage u = ContractJson.read("{\"prompt_tokens\":1,\"completion_tokens\":2,\"added_later\":true}", Usage.class);
        assertEquals(new Usage(1, 2), u);
        assertThrows(IllegalArgumentException.class, () -> ContractJson.read("{", Usage.class));
    }

    @Test
    void keysFollowTheDesign() {
        assertEquals("lf:q:acme", RedisKeys.queue("acme"));
        assertEquals("lf:fn:acme:support", RedisKeys.function("acme", "support"));
        assertEquals("lf:w:w1", RedisKeys.workerStream("w1"));
        assertEquals("lf:reply:inv", RedisKeys.reply("inv"));
        assertEquals("lf:act:act-1", RedisKeys.activation("act-1"));
        assertTrue(CALL.expired(31_001));
        assertFalse(CALL.expired(31_000));
    }
}
