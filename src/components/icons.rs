//! Small inline SVG icons (stroke icons on a 24-unit grid, coloured by `currentColor`).

use yew::prelude::*;

fn icon(body: Html) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            { body }
        </svg>
    }
}

/// ▶
pub fn play() -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M8 5.5v13a1 1 0 0 0 1.5.86l10.5-6.5a1 1 0 0 0 0-1.72L9.5 4.64A1 1 0 0 0 8 5.5z" fill="currentColor" />
        </svg>
    }
}
/// ❚❚
pub fn pause() -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <rect x="6" y="5" width="4.5" height="14" rx="1.2" fill="currentColor" />
            <rect x="13.5" y="5" width="4.5" height="14" rx="1.2" fill="currentColor" />
        </svg>
    }
}
/// Step forward.
pub fn step_forward() -> Html {
    icon(html! { <><path d="M6 5l9 7-9 7z" /><path d="M18 5v14" /></> })
}
/// Step back.
pub fn step_back() -> Html {
    icon(html! { <><path d="M18 5l-9 7 9 7z" /><path d="M6 5v14" /></> })
}
/// Restart.
pub fn restart() -> Html {
    icon(html! { <><path d="M3 12a9 9 0 1 0 3-6.7" /><path d="M3 4v5h5" /></> })
}
/// Link.
pub fn link() -> Html {
    icon(
        html! { <><path d="M10 14a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1" /><path d="M14 10a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1" /></> },
    )
}
/// Check mark.
pub fn check() -> Html {
    icon(html! { <path d="M5 12l5 5 9-10" /> })
}
/// Keyboard.
pub fn keyboard() -> Html {
    icon(
        html! { <><rect x="2" y="6" width="20" height="12" rx="2" /><path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10" /></> },
    )
}
/// Sun.
pub fn sun() -> Html {
    icon(
        html! { <><circle cx="12" cy="12" r="4" /><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" /></> },
    )
}
/// Moon.
pub fn moon() -> Html {
    icon(html! { <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" /> })
}
/// Half-filled circle: automatic theme.
pub fn theme_auto() -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2">
            <circle cx="12" cy="12" r="8.5" />
            <path d="M12 3.5a8.5 8.5 0 0 1 0 17z" fill="currentColor" stroke="none" />
        </svg>
    }
}
/// Close (×).
pub fn close() -> Html {
    icon(html! { <path d="M6 6l12 12M18 6L6 18" /> })
}
/// Search (magnifier).
pub fn search() -> Html {
    icon(html! { <><circle cx="11" cy="11" r="7" /><path d="M20 20l-3.5-3.5" /></> })
}
/// Warning triangle.
pub fn warning() -> Html {
    icon(html! { <><path d="M12 3l10 18H2z" /><path d="M12 10v5M12 18h.01" /></> })
}
/// Arrow right.
pub fn arrow_right() -> Html {
    icon(html! { <path d="M5 12h14M13 6l6 6-6 6" /> })
}
/// Arrow left.
pub fn arrow_left() -> Html {
    icon(html! { <path d="M19 12H5M11 6l-6 6 6 6" /> })
}
/// Plus.
pub fn plus() -> Html {
    icon(html! { <path d="M12 5v14M5 12h14" /> })
}
/// Lightning: crash.
pub fn crash() -> Html {
    icon(html! { <path d="M13 2L4 14h7l-1 8 9-12h-7z" /> })
}
/// Download: an arrow into a tray.
pub fn download() -> Html {
    icon(html! { <><path d="M12 4v11M7 10l5 5 5-5" /><path d="M5 20h14" /></> })
}

/// The app's mark (`www/icons/favicon.svg`) as a `data:` URL for `<img src>`: it is compiled in,
/// so it shows wherever the app runs, including a single-file copy opened from disk.
pub fn brand_mark_src() -> AttrValue {
    thread_local! {
        static SRC: AttrValue = svg_data_url(include_str!("../../www/icons/favicon.svg")).into();
    }
    SRC.with(Clone::clone)
}

/// `data:image/svg+xml,…` for an SVG document: bytes outside a safe set are percent-encoded.
pub fn svg_data_url(svg: &str) -> String {
    let mut out = String::from("data:image/svg+xml,");
    for b in svg.trim().bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()/:;=,+@?&$".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_data_url_escapes_what_a_url_cannot_hold() {
        assert_eq!(
            svg_data_url("<svg fill=\"#fff\">\n</svg>"),
            "data:image/svg+xml,%3Csvg%20fill=%22%23fff%22%3E%0A%3C/svg%3E"
        );
    }

    #[test]
    fn brand_mark_is_the_favicon_inline() {
        let src = brand_mark_src();
        assert!(src.starts_with("data:image/svg+xml,%3Csvg"));
        assert!(!src.contains('#') && !src.contains('<') && !src.contains('\n'));
    }
}
