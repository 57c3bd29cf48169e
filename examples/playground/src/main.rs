//! The playground's server: renders the page and serves the built site.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use axum::Router;
    use axum::http::{HeaderValue, header};
    use axum::response::Response;
    use axum::routing::get;
    use leptos::prelude::*;
    use leptos_axum::{LeptosRoutes, generate_route_list};
    use playground::app::{App, shell};

    let conf = get_configuration(None).expect("the [package.metadata.leptos] section is readable");
    let options = conf.leptos_options;
    let addr = options.site_addr;
    let routes = generate_route_list(App);
    // Workers start from a script served here, so the page can refuse `blob:`
    // workers: the Content Security Policy below allows same-origin workers only.
    let bootstrap = get(|| async {
        (
            [(header::CONTENT_TYPE, "text/javascript")],
            leptos_atelier::WORKER_BOOTSTRAP,
        )
    });
    // Cross-origin isolated (the two Cross-Origin headers), so that the runtime and
    // its workers talk through shared memory rather than posting a message per turn.
    let headers = axum::middleware::map_response(|mut response: Response| async move {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("worker-src 'self'"),
        );
        headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
        headers.insert("cross-origin-embedder-policy", HeaderValue::from_static("require-corp"));
        response
    });
    let app = Router::new()
        .route(playground::BOOTSTRAP_PATH, bootstrap)
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(headers)
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| panic!("cannot listen on {addr}: {e}"));
    println!("playground listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .await
        .expect("the server stopped with an error");
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The client half is a library (`hydrate`); build the server with `--features ssr`.
}
