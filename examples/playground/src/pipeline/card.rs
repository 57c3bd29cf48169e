//! One image's card: its picture once enhanced, its progress, and its stage.

use leptos::prelude::*;

use super::item::Item;

/// The card of image `index`.
#[component]
pub fn ImageCard(index: usize, item: Item) -> impl IntoView {
    let range = |r: Option<(u8, u8)>| r.map(|(lo, hi)| format!("{lo}–{hi}")).unwrap_or_default();
    view! {
        <li
            class="image"
            data-stage=item.stage.slug()
            data-before=range(item.before)
            data-after=range(item.after)
            title=item.error.clone().unwrap_or_default()
        >
            {match item.url {
                Some(url) => view! { <img class="processed" src=url alt=format!("image {index}") /> }.into_any(),
                None => view! { <div class="placeholder"></div> }.into_any(),
            }}
            <progress max="1" value=item.progress></progress>
            <span class="caption">
                {format!("#{index} {}", item.stage.slug())}
                {item.before.map(|(lo, hi)| format!(" · luma {lo}–{hi}"))}
                {item.after.map(|(lo, hi)| format!(" → {lo}–{hi}"))}
            </span>
        </li>
    }
}
