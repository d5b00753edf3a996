package io.lorafn.bench.cli;

/**
 * A system property set for the length of one command and put back as it was when the command ends: the CLI
 * may run inside a longer-lived process (tests call it in-process), where a setting left behind would change
 * what the next command measures.
 */
final class ScopedProperty implements AutoCloseable {
    private final String key;
    private final String before;

    private ScopedProperty(String key, String value) {
        this.key = key;
        this.before = System.getProperty(key);
        System.setProperty(key, value);
    }

    static ScopedProperty set(String key, String value) {
        return new ScopedProperty(key, value);
    }

    @Override
    public void close() {
        if (before == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, before);
        }
    }
}
