package io.lorafn.storage.hf.tokenizer;

/**
 * One entry of tokenizer.json's {@code added_tokens}. Added tokens are matched literally in the input before
 * any normalization or BPE, so a chat template's {@code <|eot_id|>} is always one id.
 *
 * @param singleWord only match when not inside a word
 * @param lstrip     the match swallows white space on its left
 * @param rstrip     the match swallows white space on its right
 * @param special    a control token (BOS, EOS, chat markers) rather than extra vocabulary
 */
record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                  boolean special) {}
