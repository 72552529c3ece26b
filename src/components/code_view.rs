//! The Code tab: the lesson's real source files, highlighted at build time and fetched when the
//! tab first shows them (they are the largest part of a lesson, and most visits never open it).

use sim::lesson::Lesson;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`CodeView`].
#[derive(Properties)]
pub struct CodeViewProps {
    /// The lesson whose files to show.
    pub lesson: Rc<Lesson>,
}

impl PartialEq for CodeViewProps {
    /// Lessons are compared by identity: they never change while the page shows them.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
    }
}

/// A file's highlighted HTML, or why it is not there.
#[derive(Clone, PartialEq)]
enum Fetched {
    Loading,
    Ready(AttrValue),
    Failed(String),
}

/// A file picker and the highlighted source.
#[function_component(CodeView)]
pub fn code_view(props: &CodeViewProps) -> Html {
    let lesson = &props.lesson;
    let current = use_state(|| 0usize);
    let attempt = use_state(|| 0u32);
    // Fetched files by index, kept across tab switches; a render is forced when one arrives.
    let files = use_mut_ref(BTreeMap::<usize, Fetched>::new);
    let redraw = use_force_update();
    let count = lesson.code.len().min(lesson.code_href.len());
    let index = (*current).min(count.saturating_sub(1));
    {
        let files = files.clone();
        let redraw = redraw.clone();
        let href = lesson.code_href.get(index).cloned();
        use_effect_with((index, href, *attempt), move |(index, href, _)| {
            let index = *index;
            let wanted = !matches!(
                files.borrow().get(&index),
                Some(Fetched::Ready(_) | Fetched::Loading)
            );
            if let (Some(href), true) = (href.clone(), wanted) {
                files.borrow_mut().insert(index, Fetched::Loading);
                redraw.force_update();
                wasm_bindgen_futures::spawn_local(async move {
                    let got = match crate::content::fetch(&href).await {
                        Ok(html) => Fetched::Ready(html.into()),
                        Err(e) => Fetched::Failed(e),
                    };
                    files.borrow_mut().insert(index, got);
                    redraw.force_update();
                });
            }
        });
    }
    if count == 0 {
        return html! {
            <div class="code-view card" data-testid="code-view"><p class="muted">{ "No source files for this lesson." }</p></div>
        };
    }
    let path = &lesson.code[index];
    let fetched = files.borrow().get(&index).cloned();
    let body = match fetched.unwrap_or(Fetched::Loading) {
        Fetched::Loading => html! {
            <p class="muted code-loading" data-testid="code-loading" role="status">{ format!("Loading {path}…") }</p>
        },
        Fetched::Ready(html) => Html::from_html_unchecked(html),
        Fetched::Failed(reason) => {
            let retry = {
                let attempt = attempt.clone();
                Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
            };
            html! {
                <div class="banner banner-error" data-testid="code-load-error" role="alert">
                    <p>{ format!("The source of {path} could not be loaded: {reason}") }</p>
                    <button type="button" class="button button-secondary" data-testid="code-retry" onclick={retry}>{ "Try again" }</button>
                </div>
            }
        }
    };
    html! {
        <div class="code-panel">
            if count > 1 {
                <div class="file-picker" role="tablist" aria-label="Source files">
                    { for lesson.code.iter().take(count).enumerate().map(|(i, p)| {
                        let current = current.clone();
                        let name = p.rsplit('/').next().unwrap_or(p);
                        html! {
                            <button type="button" role="tab" class="file-tab" aria-selected={(i == index).to_string()}
                                title={p.clone()} data-testid={format!("code-file-{i}")}
                                onclick={Callback::from(move |_: MouseEvent| current.set(i))}>{ name }</button>
                        }
                    }) }
                </div>
            }
            <div class="code-view" data-testid="code-view" role="tabpanel" aria-label={path.clone()}>
                <div class="code-path">{ format!("sim/src/{path}") }</div>
                <div class="code-body">{ body }</div>
            </div>
        </div>
    }
}
