package io.souper.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The vector selectors of a PromQL expression ({@code name} or {@code name{matchers}}), enough
 * for the dashboard's and the alerts' queries: label lists after by/without/on/ignoring/group_*,
 * range durations, function names and keywords are not selectors. Used to ask Prometheus whether
 * each selector matched a scraped series.
 */
final class PromqlSelectors {

    private static final Pattern LABEL_LISTS = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern RANGES = Pattern.compile("\\[[^\\]]*\\]");
    private static final Pattern SELECTOR = Pattern.compile(
            "(?<![\\w.:\"])([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{[^}]*\\})?(\\s*\\()?");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan",
            "by", "without", "on", "ignoring", "group_left", "group_right");

    private PromqlSelectors() {
    }

    static List<String> of(String promql) {
        String text = RANGES.matcher(LABEL_LISTS.matcher(promql).replaceAll(" ")).replaceAll(" ");
        List<String> selectors = new ArrayList<>();
        Matcher m = SELECTOR.matcher(text);
        while (m.find()) {
            boolean function = m.group(3) != null && m.group(2) == null;
            if (function || KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
                continue;
            }
            selectors.add(m.group(1) + (m.group(2) == null ? "" : m.group(2)));
        }
        return selectors;
    }

    /** The metric name of a selector. */
    static String name(String selector) {
        int brace = selector.indexOf('{');
        return brace < 0 ? selector : selector.substring(0, brace);
    }
}
