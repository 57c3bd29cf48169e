//! One image's card: its picture once enhanced, its progress, and its stage.

use leptos::prelude::*;

use super::item::Item;

/// The card of image `index`.
#[component]
pub fn ImageCard(index: usize, item: Item) -> impl IntoView {
    let range = |r: Option<(u8, u8)>| r.map(|(lo, hi)| format!("{lo}–{hi}")).unwrap_or_default();
    let Item {
        stage,
        progress,
        url,
        before,
        after,
        error,
    } = item;
    view! {
        <li
            class="image"
            data-stage=move || stage.get().slug()
            data-before=move || range(before.get())
            data-after=move || range(after.get())
            title=move || error.get().unwrap_or_default()
        >
            {move || match url.get() {
                Some(url) => view! { <img class="processed" src=url alt=format!("image {index}") /> }.into_any(),
                None => view! { <div class="placeholder"></div> }.into_any(),
            }}
            <progress max="1" value=move || progress.get()></progress>
            <span class="caption">
                {move || format!("#{index} {}", stage.get().slug())}
                {move || before.get().map(|(lo, hi)| format!(" · luma {lo}–{hi}"))}
                {move || after.get().map(|(lo, hi)| format!(" → {lo}–{hi}"))}
            </span>
        </li>
    }
}
