//! The docs routes: `/docs` and `/docs/:slug`, the guides in the repository's
//! `docs/guide/` rendered from markdown (the same on the server and in the browser, so
//! hydration matches), with a sidebar in the order of [`PAGES`].

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// One docs page.
pub struct Page {
    pub slug: &'static str,
    pub title: &'static str,
    pub section: &'static str,
    pub markdown: &'static str,
}

/// A page of `docs/guide/<slug>.md`.
macro_rules! page {
    ($slug:literal, $title:literal, $section:literal) => {
        Page {
            slug: $slug,
            title: $title,
            section: $section,
            markdown: include_str!(concat!("../../../docs/guide/", $slug, ".md")),
        }
    };
}

/// The sidebar's sections, in order.
const SECTIONS: [&str; 3] = ["Guides", "Build setups", "API"];

/// The docs, in sidebar order (Atelier's site manifest: guides, then the API).
pub const PAGES: [Page; 13] = [
    page!("getting-started", "Getting started", "Guides"),
    page!("worker-setup", "Worker setup", "Guides"),
    page!("backpressure", "Backpressure and queue states", "Guides"),
    page!("cancellation", "Cancellation and timeouts", "Guides"),
    page!("crash-recovery", "Crash recovery", "Guides"),
    page!("transferables", "Transferables", "Guides"),
    page!("observability", "Observability", "Guides"),
    page!("reliability", "Running for days", "Guides"),
    page!("devtools", "Devtools", "Guides"),
    page!("cargo-leptos", "cargo-leptos (SSR + hydrate)", "Build setups"),
    page!("trunk", "Trunk (client-side rendering)", "Build setups"),
    page!("bundlers", "Bundlers (Vite, webpack, …)", "Build setups"),
    page!("reference", "Reference", "API"),
];

/// The page's HTML: CommonMark with tables.
fn render(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// `/docs` (the first page) and `/docs/:slug`; an unknown slug says so.
#[component]
pub fn Docs() -> impl IntoView {
    let params = use_params_map();
    let slug = move || {
        params
            .with(|p| p.get("slug"))
            .unwrap_or_else(|| PAGES[0].slug.to_string())
    };
    let page = move || PAGES.iter().find(|page| page.slug == slug());
    view! {
        <div class="docs">
            <nav class="sidebar">
                {SECTIONS
                    .into_iter()
                    .map(|section| {
                        view! {
                            <h4>{section}</h4>
                            <ul>
                                {PAGES
                                    .iter()
                                    .filter(|page| page.section == section)
                                    .map(|page| {
                                        let href = format!("/docs/{}", page.slug);
                                        view! {
                                            <li class:current=move || slug() == page.slug>
                                                <a href=href>{page.title}</a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
                    .collect_view()}
            </nav>
            {move || match page() {
                Some(page) => view! { <article class="doc" id="doc" inner_html=render(page.markdown)></article> }.into_any(),
                None => view! { <article class="doc" id="doc"><h1>"No such page"</h1><p><a href="/docs">"All docs"</a></p></article> }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_a_title_and_its_tables() {
        for page in &PAGES {
            assert!(SECTIONS.contains(&page.section), "{}", page.slug);
            let html = render(page.markdown);
            assert!(
                html.starts_with(&format!("<h1>{}", page.title)),
                "{}: {html:.60}",
                page.slug
            );
        }
        assert!(render(PAGES[2].markdown).contains("<table>"), "tables are on");
    }
}
