//! How numbers read in diagrams: `5,000 keys`, `23.4%`, `120°`.

/// `n` with thousands separators: `5000` → `5,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun, singular or plural: `1 key`, `5,000 keys`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The size of an arc in degrees, whole when it is within 0.05° of whole: `125°`, `0.5°`, `360°`
/// (unlike [`degrees`], which names a position and so wraps 360° to 0°).
pub fn arc_degrees(span: f64) -> String {
    let s = format!("{:.1}", span.clamp(0.0, 360.0));
    format!("{}°", s.strip_suffix(".0").unwrap_or(&s))
}

/// A percentage with one decimal: `23.4%`.
pub fn percent(p: f64) -> String {
    if p.is_finite() {
        format!("{p:.1}%")
    } else {
        "–".to_string()
    }
}

/// `part` as a percentage of `whole` with one decimal; `0.0%` of nothing.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        percent(0.0)
    } else {
        percent(part as f64 * 100.0 / whole as f64)
    }
}

/// An angle to a tenth of a degree, without a trailing `.0`: `120°`, `97.5°`.
pub fn degrees(deg: f64) -> String {
    let s = format!("{:.1}", deg.rem_euclid(360.0));
    let s = s.strip_suffix(".0").unwrap_or(&s);
    // 359.96 rounds to 360.0, which is the top.
    if s == "360" {
        "0°".to_string()
    } else {
        format!("{s}°")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn arc_degrees_are_spans_not_positions() {
        assert_eq!(super::arc_degrees(125.000_000_01), "125°");
        assert_eq!(super::arc_degrees(360.0), "360°");
        assert_eq!(super::arc_degrees(74.96), "75°");
        assert_eq!(super::arc_degrees(0.26), "0.3°");
    }

    use super::*;

    #[test]
    fn thousands_groups_by_three() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(5000), "5,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn count_picks_singular_or_plural() {
        assert_eq!(count(1, "key", "keys"), "1 key");
        assert_eq!(count(5000, "key", "keys"), "5,000 keys");
        assert_eq!(count(0, "key", "keys"), "0 keys");
    }

    #[test]
    fn share_has_one_decimal_and_survives_zero() {
        assert_eq!(share(47, 201), "23.4%");
        assert_eq!(share(3, 0), "0.0%");
        assert_eq!(percent(f64::NAN), "–");
    }

    #[test]
    fn degrees_drop_a_trailing_zero_and_wrap() {
        // 120° survives the round trip through a ring position as 119.99999997°.
        let back =
            sim::hashing::ring::position_to_degrees(sim::hashing::ring::degrees_to_position(120.0));
        assert_eq!(degrees(back), "120°");
        assert_eq!(degrees(97.46), "97.5°");
        assert_eq!(degrees(359.97), "0°");
        assert_eq!(degrees(-90.0), "270°");
    }
}
