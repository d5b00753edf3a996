#!/usr/bin/env bash
# Packs the GPU tests for a machine that has a GPU but no JDK or Maven (a lent one, say):
#   kernels/src/test/cuda/gpu-bundle.sh OUT.tgz     (here, after './lorafn test' or 'mvn install': needs the built
#                                                    modules, JDK 25 and the local Maven repository)
#   mkdir /tmp/g && tar xzf OUT.tgz -C /tmp/g && /tmp/g/run.sh    (there: exit 0 when every test passes)
# The bundle holds a jlink'ed JDK (about 45 MB compressed), the kernels, storage and worker classes with their tests,
# the few jars they need, and a JUnit launcher (RunTests.java) that runs the CPU kernel tests (the C kernels against
# the Vector API on that machine's CPU, for both C builds) and the CUDA ones (the device against the CPU backend, the
# whole engine). cli.sh runs synth, image and bench decode/prefill there (RunCli.java), to time the engine on the GPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
OUT="$(realpath -m "${1:?usage: $0 OUT.tgz}")"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
# the plugin pinned and resolved online: offline, Maven 3.8's default (2.8) wanted POMs a fresh ~/.m2 never holds
mvn -B -ntp -q org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath -pl worker -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
mkdir -p "$WORK/b/lib" "$WORK/b/launcher"
tr ':' '\n' < "$WORK/cp.txt" | grep -E '/(jcuda|jackson|junit|opentest4j|apiguardian|picocli|crac|caffeine)[^/]*/' | xargs -I{} cp {} "$WORK/b/lib/"
launcher_version="$(ls "$WORK/b/lib" | sed -n 's/^junit-platform-engine-\(.*\)\.jar$/\1/p')"
cp ~/.m2/repository/org/junit/platform/junit-platform-launcher/"$launcher_version"/junit-platform-launcher-"$launcher_version".jar "$WORK/b/lib/"
for m in kernels storage worker; do
  mkdir -p "$WORK/b/$m" && cp -r "$m/target/classes" "$m/target/test-classes" "$WORK/b/$m/"
done
mkdir -p "$WORK/b/benchmarks" && cp -r benchmarks/target/classes "$WORK/b/benchmarks/"
"$JDK/bin/javac" -d "$WORK/b/launcher" -cp "$WORK/b/lib/*:$WORK/b/storage/classes" kernels/src/test/cuda/RunTests.java kernels/src/test/cuda/RunCli.java
"$JDK/bin/jlink" --add-modules java.base,java.logging,java.management,java.sql,java.naming,java.xml,jdk.incubator.vector,jdk.unsupported,jdk.jfr \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$WORK/b/jdk" 2> >(grep -v 'incubator modules' >&2)
cat > "$WORK/b/run.sh" <<'RUN'
#!/usr/bin/env bash
cd "$(dirname "$0")"
CP="kernels/classes:kernels/test-classes:storage/classes:storage/test-classes:worker/classes:worker/test-classes:launcher:lib/*"
grep -m1 "model name" /proc/cpuinfo; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
JAVA=(./jdk/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g -cp "$CP")
C_VS_JAVA=(io.lorafn.kernels.cpu.NativeProductsTest io.lorafn.kernels.cpu.Int8ProductsTest io.lorafn.kernels.cpu.TilesTest
  io.lorafn.kernels.cpu.LoraProductsTest io.lorafn.kernels.cpu.CpuBackendTest)
# first the C products of the build this CPU runs, the CUDA kernels and the engine; then the C products' AVX2 build
# again on the same CPU, as the kernels module's second surefire execution does
"${JAVA[@]}" RunTests "${C_VS_JAVA[@]}" io.lorafn.kernels.cuda.CudaBackendTest io.lorafn.kernels.cuda.NvrtcTest \
  io.lorafn.worker.engine.CudaEngineTest io.lorafn.worker.engine.BatchIdentityTest io.lorafn.worker.engine.EngineMatchesReferenceTest "$@"
first=$?
echo "--- the AVX2 build of the C products (lorafn.cpu.kernels=avx2)"
"${JAVA[@]}" -Dlorafn.cpu.kernels=avx2 RunTests "${C_VS_JAVA[@]}"
second=$?
exit $(( first || second ))
RUN
cat > "$WORK/b/cli.sh" <<'CLI'
#!/usr/bin/env bash
# The commands that compute, on that machine: cli.sh synth|image|decode|prefill ARGS (as lorafn synth, image,
# bench decode, bench prefill; e.g. cli.sh decode --model DIR --backend cuda --batch 1,8)
B="$(cd "$(dirname "$0")" && pwd)"
CP="$B/kernels/classes:$B/storage/classes:$B/worker/classes:$B/benchmarks/classes:$B/launcher:$B/lib/*"
exec "$B/jdk/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -cp "$CP" RunCli "$@"
CLI
chmod +x "$WORK/b/run.sh" "$WORK/b/cli.sh"
tar czf "$OUT" -C "$WORK/b" .
echo "wrote $OUT ($(du -h "$OUT" | cut -f1)); there: mkdir /tmp/g && tar xzf $(basename "$OUT") -C /tmp/g && /tmp/g/run.sh"
