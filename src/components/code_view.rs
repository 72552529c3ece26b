//! The Code tab: the lesson's real source files, highlighted at build time.

use yew::prelude::*;

/// Props of [`CodeView`].
#[derive(Properties, PartialEq)]
pub struct CodeViewProps {
    /// The lesson whose files to show.
    pub lesson_id: AttrValue,
}

/// A file picker and the highlighted source.
#[function_component(CodeView)]
pub fn code_view(props: &CodeViewProps) -> Html {
    let files = crate::content::code_files(&props.lesson_id);
    let current = use_state(|| 0usize);
    if files.is_empty() {
        return html! {
            <div class="code-view card" data-testid="code-view"><p class="muted">{ "No source files for this lesson." }</p></div>
        };
    }
    let index = (*current).min(files.len() - 1);
    let (path, html) = files[index];
    html! {
        <div class="code-panel">
            if files.len() > 1 {
                <div class="file-picker" role="tablist" aria-label="Source files">
                    { for files.iter().enumerate().map(|(i, (p, _))| {
                        let current = current.clone();
                        let name = p.rsplit('/').next().unwrap_or(p);
                        html! {
                            <button type="button" role="tab" class="file-tab" aria-selected={(i == index).to_string()}
                                title={*p} data-testid={format!("code-file-{i}")}
                                onclick={Callback::from(move |_: MouseEvent| current.set(i))}>{ name }</button>
                        }
                    }) }
                </div>
            }
            <div class="code-view" data-testid="code-view" role="tabpanel" aria-label={path}>
                <div class="code-path">{ format!("sim/src/{}", path.trim_start_matches("sim/src/")) }</div>
                <div class="code-body">{ Html::from_html_unchecked(AttrValue::from(html)) }</div>
            </div>
        </div>
    }
}
