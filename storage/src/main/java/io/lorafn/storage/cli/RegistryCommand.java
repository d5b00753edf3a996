package io.lorafn.storage.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.registry.AdapterManifest;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.registry.AdapterRules;
import io.lorafn.storage.registry.AdapterValidator;
import io.lorafn.storage.s3.ObjectStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lorafn adapter push|list|get|promote|rollback|delete}: the registry in the object store. */
final class RegistryCommand {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RegistryCommand() {
    }

    /** Which adapter: tenant and name. */
    static final class Target {
        @Option(names = "--tenant", required = true, description = "The tenant that owns the adapter.")
        String tenant;

        @Option(names = "--name", required = true, description = "The adapter's name (the function it serves).")
        String name;

        AdapterName adapter() {
            return new AdapterName(tenant, name);
        }
    }

    /** Runs {@code op} on the registry in the configured store (no base model: reads, pointers, erasure), then closes it. */
    static <T> T withRegistry(ObjectStoreOptions store, java.util.function.Function<AdapterRegistry, T> op) {
        try (ObjectStore s = store.open()) {
            return op.apply(AdapterRegistry.withoutBase(s));
        }
    }

    static void print(Object value) {
        try {
            System.out.println(JSON.writeValueAsString(value));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "push", mixinStandardHelpOptions = true,
            description = "Validates a PEFT adapter against the base model, uploads it as a new version and makes it the latest.")
    static final class Push implements Callable<Integer> {
        @Mixin
        Target target;
        @Mixin
        ObjectStoreOptions store;

        @Option(names = "--version", required = true, description = "The new version; versions are immutable.")
        String version;

        @Option(names = "--dir", required = true, description = "The adapter directory (adapter_config.json, adapter_model.safetensors).")
        Path dir;

        @Option(names = "--model", required = true, description = "The served base model directory.")
        Path model;

        @Option(names = "--base-sha256", description = "The base model the adapter was trained on; refused if it is not the served one.")
        String declaredBase;

        @Option(names = "--max-rank", defaultValue = "64", description = "Largest rank accepted (default: ${DEFAULT-VALUE}).")
        int maxRank;

        @Option(names = "--max-file-bytes", defaultValue = "1073741824", description = "Largest adapter file accepted (default: ${DEFAULT-VALUE}).")
        long maxFileBytes;

        @Override
        public Integer call() {
            AdapterRules rules = new AdapterRules(maxRank, maxFileBytes);
            try (ModelDirectory m = ModelDirectory.open(model); ObjectStore s = store.open()) {
                AdapterValidator validator = new AdapterValidator(m.config(), ResidentImageWriter.sourceHash(m), rules);
                AdapterManifest manifest = new AdapterRegistry(s, validator, rules).push(target.adapter().version(version), dir, declaredBase);
                print(manifest);
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists a tenant's adapters: the latest version and all versions.")
    static final class ListAdapters implements Callable<Integer> {
        @Option(names = "--tenant", required = true, description = "The tenant.")
        String tenant;
        @Mixin
        ObjectStoreOptions store;

        @Override
        public Integer call() {
            print(withRegistry(store, registry -> registry.list(tenant)));
            return 0;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Downloads a version (default: the latest), checks each file against the manifest and writes it to --out.")
    static final class Get implements Callable<Integer> {
        @Mixin
        Target target;
        @Mixin
        ObjectStoreOptions store;

        @Option(names = "--version", description = "Default: the latest.")
        String version;

        @Option(names = "--out", required = true, description = "Directory to write the adapter and its manifest into.")
        Path out;

        @Override
        public Integer call() {
            print(withRegistry(store, registry -> registry.download(registry.resolve(target.adapter(), version), out)));
            return 0;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, description = "Makes an existing version the latest.")
    static final class Promote implements Callable<Integer> {
        @Mixin
        Target target;
        @Mixin
        ObjectStoreOptions store;

        @Option(names = "--version", required = true, description = "The version calls should get.")
        String version;

        @Override
        public Integer call() {
            withRegistry(store, registry -> {
                registry.promote(target.adapter().version(version));
                return version;
            });
            System.out.println(target.adapter() + " -> " + version);
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Points latest back at the version it replaced.")
    static final class Rollback implements Callable<Integer> {
        @Mixin
        Target target;
        @Mixin
        ObjectStoreOptions store;

        @Override
        public Integer call() {
            System.out.println(target.adapter() + " -> " + withRegistry(store, registry -> registry.rollback(target.adapter())));
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Erases every version of an adapter from the object store; running workers drop it from every tier.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        Target target;
        @Mixin
        ObjectStoreOptions store;

        @Override
        public Integer call() {
            int n = withRegistry(store, registry -> registry.delete(target.adapter()));
            System.out.println("deleted " + target.adapter() + " (" + n + " objects)");
            return 0;
        }
    }
}
