//! Snapshots of the diagram as it is on screen: a standalone SVG and a PNG drawn from it.
//!
//! The diagram's look comes from the app's stylesheets (theme colours through CSS variables,
//! state classes, CSS transforms and animations), none of which travel with a lone `.svg`
//! file. So every element is cloned with the computed value of each property that affects how
//! SVG paints inlined as its `style` (inherited properties only where they differ from the
//! parent's), elements that are not displayed are left out, and the whole is laid on the
//! diagram's own background. The file then renders the same on its own, light or dark as the
//! page was. Diagrams drawn as several stacked `<svg>` layers become nested `<svg>`s at the
//! same offsets; compare mode's columns are laid side by side, each under its title. CSS animations and transitions still in flight (a key walking to its new
//! owner, a colour easing) are finished first, so the snapshot shows the settled frame of this
//! moment rather than a blend of two. The PNG is that SVG drawn into a canvas at twice the CSS
//! size.

use crate::components::download::describe;
use gloo::events::EventListener;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Blob, CanvasRenderingContext2d, CssStyleDeclaration, Element, HtmlCanvasElement,
    HtmlImageElement, Url,
};
use yew::Callback;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Properties children inherit: written on an element when its value differs from its
/// parent's (always on a layer's root).
const INHERITED: &[&str] = &[
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "paint-order",
    "marker-start",
    "marker-mid",
    "marker-end",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "font-variant-numeric",
    "letter-spacing",
    "text-anchor",
    "dominant-baseline",
    "visibility",
    "shape-rendering",
];

/// Properties that do not inherit, with the value that needs no writing.
const OWN: &[(&str, &str)] = &[
    ("opacity", "1"),
    ("transform", "none"),
    ("mix-blend-mode", "normal"),
    ("filter", "none"),
    ("clip-path", "none"),
    ("mask", "none"),
    ("overflow", ""),
];

fn computed(el: &Element) -> Option<CssStyleDeclaration> {
    gloo::utils::window().get_computed_style(el).ok().flatten()
}

fn prop(style: &CssStyleDeclaration, name: &str) -> String {
    style.get_property_value(name).unwrap_or_default()
}

/// Inlines `orig`'s computed style into its clone `copy`, and recursively its children's.
fn inline(orig: &Element, copy: &Element, parent: Option<&[String]>) {
    let Some(style) = computed(orig) else {
        return;
    };
    let values: Vec<String> = INHERITED.iter().map(|p| prop(&style, p)).collect();
    let mut css = String::new();
    for (i, name) in INHERITED.iter().enumerate() {
        let v = &values[i];
        if !v.is_empty() && parent.is_none_or(|p| p[i] != *v) {
            css.push_str(&format!("{name}:{v};"));
        }
    }
    for (name, initial) in OWN {
        let v = prop(&style, name);
        let needed = if *name == "overflow" {
            // Only layers (svg elements) clip; keep them unclipped where the page does.
            v == "visible" && orig.tag_name().eq_ignore_ascii_case("svg")
        } else {
            !v.is_empty() && v != *initial
        };
        if needed {
            css.push_str(&format!("{name}:{v};"));
        }
    }
    let transform = prop(&style, "transform");
    if !transform.is_empty() && transform != "none" {
        for name in ["transform-origin", "transform-box"] {
            css.push_str(&format!("{name}:{};", prop(&style, name)));
        }
    }
    let _ = copy.remove_attribute("style");
    if !css.is_empty() {
        let _ = copy.set_attribute("style", &css);
    }

    let (orig_kids, copy_kids) = (orig.children(), copy.children());
    // Walk backwards so removing a hidden child does not shift the ones still to visit.
    for i in (0..orig_kids.length()).rev() {
        let (Some(o), Some(c)) = (orig_kids.item(i), copy_kids.item(i)) else {
            continue;
        };
        let hidden = computed(&o).is_some_and(|s| prop(&s, "display") == "none");
        if hidden {
            c.remove();
        } else {
            inline(&o, &c, Some(&values));
        }
    }
}

/// The first non-transparent background behind `el` (its `--surface` colour if it sets one).
fn background(el: &Element) -> String {
    if let Some(style) = computed(el) {
        let surface = prop(&style, "--surface");
        if !surface.trim().is_empty() {
            return surface.trim().to_string();
        }
    }
    let mut cur = Some(el.clone());
    while let Some(e) = cur {
        if let Some(style) = computed(&e) {
            let bg = prop(&style, "background-color");
            if !bg.is_empty() && bg != "transparent" && bg != "rgba(0, 0, 0, 0)" {
                return bg;
            }
        }
        cur = e.parent_element();
    }
    "#ffffff".to_string()
}

fn num(v: f64) -> String {
    format!("{:.2}", v)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// A snapshot of the diagram(s) on the page.
pub struct Snapshot {
    /// The standalone SVG document.
    pub svg: String,
    /// Its width in CSS pixels.
    pub width: f64,
    /// Its height in CSS pixels.
    pub height: f64,
}

/// One diagram to snapshot: the element holding its `<svg>` layers, and the element whose
/// text labels it (compare mode's column titles), if any.
pub struct Panel {
    /// The diagram's container; its box is the panel's box.
    pub area: Element,
    /// A heading drawn above the diagram, in its own font and colour.
    pub label: Option<Element>,
}

/// Space between panels, around several panels, and the height of a label row, in CSS pixels.
const GAP: f64 = 16.0;
const PAD: f64 = 12.0;
const LABEL_H: f64 = 32.0;

/// Finishes the CSS animations and transitions running inside `wrap` (infinite ones refuse and
/// are left as they are). `Element.getAnimations` is reached through `Reflect`: web-sys has it
/// only behind its unstable-APIs flag.
fn settle_animations(wrap: &Element) {
    use js_sys::{Array, Function, Object, Reflect};
    let method = |target: &JsValue, name: &str| {
        Reflect::get(target, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
    };
    let Some(get) = method(wrap, "getAnimations") else {
        return;
    };
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("subtree"), &JsValue::TRUE);
    let Ok(list) = get.call1(wrap, &options) else {
        return;
    };
    for animation in Array::from(&list).iter() {
        if let Some(finish) = method(&animation, "finish") {
            let _ = finish.call0(&animation);
        }
    }
}

fn svg_element(document: &web_sys::Document, tag: &str) -> Result<Element, String> {
    document
        .create_element_ns(Some(SVG_NS), tag)
        .map_err(describe)
}

fn set_all(el: &Element, attrs: &[(&str, &str)]) -> Result<(), String> {
    for (k, v) in attrs {
        el.set_attribute(k, v).map_err(describe)?;
    }
    Ok(())
}

/// The `<svg>` layers of a diagram: not icons inside buttons, not svgs nested in svgs, not
/// layers that take no room.
fn layers_of(area: &Element) -> Result<Vec<Element>, String> {
    let list = area.query_selector_all("svg").map_err(describe)?;
    let mut out = Vec::new();
    for i in 0..list.length() {
        let Some(layer) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let nested = layer
            .parent_element()
            .and_then(|p| p.closest("svg, button").ok().flatten())
            .is_some();
        let r = layer.get_bounding_client_rect();
        if !nested && r.width() >= 1.0 && r.height() >= 1.0 {
            out.push(layer);
        }
    }
    Ok(out)
}

/// A panel's label as SVG text, vertically centred in the label row at `(x, y)`.
fn label_text(
    document: &web_sys::Document,
    label: &Element,
    x: f64,
    y: f64,
) -> Result<Option<Element>, String> {
    text_at(document, label, x, y + LABEL_H / 2.0)
}

/// An HTML element's text as SVG text in its font and colour, starting at `x` and vertically
/// centred on `y`.
fn text_at(
    document: &web_sys::Document,
    label: &Element,
    x: f64,
    y: f64,
) -> Result<Option<Element>, String> {
    let text = label.text_content().unwrap_or_default();
    let (Some(style), false) = (computed(label), text.trim().is_empty()) else {
        return Ok(None);
    };
    let t = svg_element(document, "text")?;
    let css = format!(
        "fill:{};font-family:{};font-size:{};font-weight:{};dominant-baseline:central;",
        prop(&style, "color"),
        prop(&style, "font-family"),
        prop(&style, "font-size"),
        prop(&style, "font-weight"),
    );
    set_all(&t, &[("x", &num(x)), ("y", &num(y)), ("style", &css)])?;
    t.set_text_content(Some(text.trim()));
    Ok(Some(t))
}

/// Serialises the panels' `<svg>` layers as one standalone SVG, styles inlined: one panel as it
/// is on screen, several side by side (each under its label, when it has one).
pub fn take(panels: &[Panel], title: &str) -> Result<Snapshot, String> {
    take_with_text(panels, &[], title)
}

/// As [`take`], with the text of some HTML elements of the first panel (a chart's legend
/// labels) drawn where they are on screen, in their font and colour.
pub fn take_with_text(
    panels: &[Panel],
    texts: &[Element],
    title: &str,
) -> Result<Snapshot, String> {
    let document = gloo::utils::document();
    let labelled = panels.iter().any(|p| p.label.is_some());
    // One diagram keeps its own padding; several, or one with text laid over it, get a margin
    // around them.
    let pad = if panels.len() > 1 || !texts.is_empty() {
        PAD
    } else {
        0.0
    };
    let top = pad + if labelled { LABEL_H } else { 0.0 };
    let out = svg_element(&document, "svg")?;
    let t = svg_element(&document, "title")?;
    t.set_text_content(Some(title));
    out.append_child(&t).map_err(describe)?;
    let bg = svg_element(&document, "rect")?;
    out.append_child(&bg).map_err(describe)?;

    let (mut x, mut height, mut drawn) = (pad, 0.0_f64, 0);
    for (i, panel) in panels.iter().enumerate() {
        settle_animations(&panel.area);
        let frame = panel.area.get_bounding_client_rect();
        if let Some(label) = &panel.label {
            if let Some(text) = label_text(&document, label, x, pad)? {
                out.append_child(&text).map_err(describe)?;
            }
        }
        for layer in layers_of(&panel.area)? {
            let r = layer.get_bounding_client_rect();
            let copy: Element = layer
                .clone_node_with_deep(true)
                .map_err(describe)?
                .dyn_into()
                .map_err(|_| "the diagram could not be copied".to_string())?;
            inline(&layer, &copy, None);
            for (k, v) in [
                ("x", num(x + r.left() - frame.left())),
                ("y", num(top + r.top() - frame.top())),
                ("width", num(r.width())),
                ("height", num(r.height())),
            ] {
                copy.set_attribute(k, &v).map_err(describe)?;
            }
            for k in ["class", "role", "aria-hidden", "focusable", "data-testid"] {
                let _ = copy.remove_attribute(k);
            }
            out.append_child(&copy).map_err(describe)?;
            drawn += 1;
        }
        if i == 0 {
            for el in texts {
                let r = el.get_bounding_client_rect();
                let (tx, ty) = (x + r.left() - frame.left(), top + r.top() - frame.top());
                if let Some(t) = text_at(&document, el, tx, ty + r.height() / 2.0)? {
                    out.append_child(&t).map_err(describe)?;
                }
            }
        }
        x += frame.width() + GAP;
        height = height.max(frame.height());
    }
    if drawn == 0 {
        return Err("there is no diagram on the page to snapshot".to_string());
    }
    let width = (x - GAP + pad).max(1.0);
    let height = (top + height + pad).max(1.0);
    set_all(
        &out,
        &[
            ("xmlns", SVG_NS),
            ("width", &num(width)),
            ("height", &num(height)),
            ("viewBox", &format!("0 0 {} {}", num(width), num(height))),
        ],
    )?;
    set_all(
        &bg,
        &[
            ("width", "100%"),
            ("height", "100%"),
            ("fill", &background(&panels[0].area)),
        ],
    )?;
    let svg = web_sys::XmlSerializer::new()
        .and_then(|s| s.serialize_to_string(&out))
        .map_err(describe)?;
    Ok(Snapshot {
        svg: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}\n"),
        width,
        height,
    })
}

/// Draws `snap` into a canvas at twice its CSS size and hands the PNG to `done`.
pub fn to_png(snap: &Snapshot, done: Callback<Result<Blob, String>>) {
    let fail = |done: &Callback<Result<Blob, String>>, e: String| done.emit(Err(e));
    let blob = match crate::components::download::text_blob(&snap.svg, "image/svg+xml") {
        Ok(b) => b,
        Err(e) => return fail(&done, e),
    };
    let url = match Url::create_object_url_with_blob(&blob) {
        Ok(u) => u,
        Err(e) => return fail(&done, describe(e)),
    };
    let img = match HtmlImageElement::new() {
        Ok(i) => i,
        Err(e) => return fail(&done, describe(e)),
    };
    let (w, h) = (snap.width, snap.height);
    // The listeners own each other's guards through this cell and drop them when either fires.
    let guards: std::rc::Rc<std::cell::RefCell<Vec<EventListener>>> = Default::default();
    let on_load = {
        let (img2, url, done, guards) = (img.clone(), url.clone(), done.clone(), guards.clone());
        EventListener::once(&img, "load", move |_| {
            guards.borrow_mut().clear();
            let _ = Url::revoke_object_url(&url);
            if let Err(e) = draw(&img2, w, h, done.clone()) {
                done.emit(Err(e));
            }
        })
    };
    let on_error = {
        let (url, done, guards) = (url.clone(), done.clone(), guards.clone());
        EventListener::once(&img, "error", move |_| {
            guards.borrow_mut().clear();
            let _ = Url::revoke_object_url(&url);
            done.emit(Err("the browser could not draw the snapshot".to_string()));
        })
    };
    guards.borrow_mut().extend([on_load, on_error]);
    img.set_src(&url);
}

fn draw(
    img: &HtmlImageElement,
    w: f64,
    h: f64,
    done: Callback<Result<Blob, String>>,
) -> Result<(), String> {
    const SCALE: f64 = 2.0;
    let canvas: HtmlCanvasElement = gloo::utils::document()
        .create_element("canvas")
        .map_err(describe)?
        .dyn_into()
        .map_err(|_| "no canvas".to_string())?;
    canvas.set_width((w * SCALE).round() as u32);
    canvas.set_height((h * SCALE).round() as u32);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(describe)?
        .ok_or("the browser gave no 2D canvas")?
        .dyn_into()
        .map_err(|_| "no 2D canvas".to_string())?;
    ctx.scale(SCALE, SCALE).map_err(describe)?;
    ctx.draw_image_with_html_image_element_and_dw_and_dh(img, 0.0, 0.0, w, h)
        .map_err(describe)?;
    let cb = Closure::once(move |blob: JsValue| match blob.dyn_into::<Blob>() {
        Ok(b) => done.emit(Ok(b)),
        Err(_) => done.emit(Err("the browser could not encode the PNG".to_string())),
    });
    canvas
        .to_blob_with_type(cb.as_ref().unchecked_ref(), "image/png")
        .map_err(describe)?;
    // Runs at most once; leaking it is the price of a click.
    cb.forget();
    Ok(())
}
