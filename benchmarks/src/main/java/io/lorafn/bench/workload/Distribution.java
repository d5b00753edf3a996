package io.lorafn.bench.workload;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A length distribution, written as on the command line: {@code fixed:N}, {@code uniform:MIN:MAX} or
 * {@code lognormal:MEDIAN:SIGMA} (the shape of real prompt and output lengths: most short, a long tail).
 * Every sample is at least 1.
 */
public record Distribution(String kind, double a, double b) {
    public static Distribution parse(String text) {
        String[] p = text.toLowerCase(Locale.ROOT).split(":");
        try {
            return switch (p[0]) {
                case "fixed" -> check(new Distribution("fixed", Double.parseDouble(p[1]), 0), p.length == 2);
                case "uniform" -> check(new Distribution("uniform", Double.parseDouble(p[1]), Double.parseDouble(p[2])), p.length == 3);
                case "lognormal" -> check(new Distribution("lognormal", Double.parseDouble(p[1]), Double.parseDouble(p[2])), p.length == 3);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a length distribution: use fixed:N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA");
        }
    }

    private static Distribution check(Distribution d, boolean arity) {
        if (!arity || d.a < 1 || d.kind.equals("uniform") && d.b < d.a || d.kind.equals("lognormal") && d.b < 0) {
            throw new IllegalArgumentException();
        }
        return d;
    }

    public int sample(SplittableRandom random) {
        double v = switch (kind) {
            case "fixed" -> a;
            case "uniform" -> a + random.nextDouble() * (b - a + 1);
            default -> a * Math.exp(b * gaussian(random));
        };
        return Math.max(1, (int) Math.floor(v));
    }

    private static double gaussian(SplittableRandom r) { // Box-Muller
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Override
    public String toString() {
        return switch (kind) {
            case "fixed" -> "fixed:" + (int) a;
            case "uniform" -> "uniform:" + (int) a + ":" + (int) b;
            default -> "lognormal:" + (int) a + ":" + b;
        };
    }
}
