//! The minimal example's server: renders the page and serves the built site.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use axum::Router;
    use leptos::prelude::*;
    use leptos_axum::{LeptosRoutes, generate_route_list};
    use minimal::App;

    let conf = get_configuration(None).expect("the [package.metadata.leptos] section is readable");
    let options = conf.leptos_options;
    let addr = options.site_addr;
    let shell = move |options: LeptosOptions| {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8" />
                    <link rel="icon" href="data:," />
                    <AutoReload options=options.clone() />
                    <HydrationScripts options />
                </head>
                <body>
                    <App />
                </body>
            </html>
        }
    };
    let routes = generate_route_list(App);
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
    println!("minimal example listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .await
        .expect("the server stopped with an error");
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The client half is a library (`hydrate`); build the server with `--features ssr`.
}
