package io.lorafn.storage;

/** Where long work reports how far it got; the CLI draws it as a progress bar. */
public interface Progress {
    /** Declares the total amount of work, in the unit of {@link #advance(long)}. */
    void start(String task, long total);

    void advance(long units);

    void done();

    Progress NONE = new Progress() {
        @Override
        public void start(String task, long total) {
        }

        @Override
        public void advance(long units) {
        }

        @Override
        public void done() {
        }
    };
}
