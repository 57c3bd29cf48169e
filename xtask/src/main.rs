//! `cargo xtask`: set-up, demo and test commands for leptos_atelier.
//!
//! - `cargo xtask setup`: installs what is missing, pinned (see `setup`).
//! - `cargo xtask demo`:  setup, then serves the playground on http://127.0.0.1:3000.
//! - `cargo xtask test`:  setup, then lints and runs every suite: native, wasm in
//!   headless Chromium, the checks that an app can adopt and publish the crate, and
//!   Playwright against the built examples (cargo-leptos and Trunk).
//! - `cargo xtask adoption`: only the check that an app outside the workspace, locking
//!   another wasm-bindgen, can add the crate (part of `test`).
//! - `cargo xtask bench`: the native benchmarks of the scheduler core (not a test).
//! - `cargo xtask size`: only what the crate adds to an app's release wasm (part of
//!   `bench-web`).
//! - `cargo xtask bench-web`: setup, then the browser benchmarks in headless Chromium
//!   (release build), each printing the runtime against a plain-JS baseline as a
//!   ratio, and what the crate adds to an app's release wasm.
//!
//! Every step prints the command it runs; the first failure stops the run with a
//! non-zero exit code.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The cargo-leptos release the project is built with.
const CARGO_LEPTOS_VERSION: &str = "0.3.11";
/// cargo-leptos 0.3.11 locks cargo-util-schemas 0.14.2, which needs rustc 1.96.
const CARGO_LEPTOS_PIN: (&str, &str) = ("cargo-util-schemas", "0.14.1");
/// wasm-bindgen-cli 0.2.130 locks webpki-roots 1.0.11, which has been yanked.
const WASM_BINDGEN_PIN: (&str, &str) = ("webpki-roots", "1.0.10");
/// The Trunk release the CSR example is built with.
const TRUNK_VERSION: &str = "0.21.14";
/// The example app the demo serves and the end-to-end tests drive.
const DEMO_PROJECT: &str = "playground";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let task = env::args().nth(1).unwrap_or_default();
    let started = Instant::now();
    let outcome = match task.as_str() {
        "setup" => setup(),
        "demo" => setup().and_then(|()| demo()),
        "test" => setup().and_then(|()| test()),
        "bench" => run(&mut command(
            "cargo",
            &[
                "bench",
                "--package",
                "leptos_atelier",
                "--bench",
                "core",
                "--features",
                "testing",
            ],
        )),
        "bench-web" => setup().and_then(|()| bench_web()),
        "adoption" => adoption_check(),
        "size" => setup().and_then(|()| wasm_size()),
        _ => Err("usage: cargo xtask <setup|demo|test|adoption|bench|bench-web|size>".into()),
    };
    match outcome {
        Ok(()) => {
            eprintln!("xtask {task}: ok in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask {task}: FAILED after {:.0?}: {e}", started.elapsed());
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (this crate lives in `<root>/xtask`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}

fn cargo_bin_dir() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"))
        .join("bin")
}

/// PATH with cargo's bin dir and the npm tools (wasm-opt from binaryen) in front.
fn tool_path() -> OsString {
    let mut dirs = vec![cargo_bin_dir(), root().join("end2end/node_modules/.bin")];
    dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    env::join_paths(dirs).unwrap_or_default()
}

fn command(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(root()).env("PATH", tool_path());
    cmd
}

fn run(cmd: &mut Command) -> Result {
    eprintln!("\n$ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("cannot run {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// The trimmed stdout of a command that succeeded, or None.
fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = cmd.get_current_dir().filter(|d| *d != root()) {
        text = format!("(cd {}) {text}", dir.display());
    }
    text
}

// ---------------------------------------------------------------------------------
// setup
// ---------------------------------------------------------------------------------

/// Installs only what is missing or at the wrong version: the wasm32 target, Debian's
/// Chromium and ChromeDriver, wasm-bindgen-cli at the version in Cargo.lock,
/// cargo-leptos, Trunk, and the npm packages of `end2end/` (Playwright, binaryen's
/// wasm-opt).
fn setup() -> Result {
    wasm_target()?;
    chromium()?;
    let wasm_bindgen = locked_version("wasm-bindgen")?;
    cargo_tool(
        "wasm-bindgen",
        &["--version"],
        &format!("wasm-bindgen {wasm_bindgen}"),
        "wasm-bindgen-cli",
        &wasm_bindgen,
        Some(WASM_BINDGEN_PIN),
        &[],
    )?;
    cargo_tool(
        "cargo-leptos",
        &["leptos", "--version"],
        &format!("cargo-leptos {CARGO_LEPTOS_VERSION}"),
        "cargo-leptos",
        CARGO_LEPTOS_VERSION,
        Some(CARGO_LEPTOS_PIN),
        &["--features", "no_downloads"],
    )?;
    // Without its default features Trunk has no TLS stack and no update check: it
    // never downloads here (the CSR example builds offline with the tools on PATH),
    // and it compiles in less time.
    cargo_tool(
        "trunk",
        &["--version"],
        &format!("trunk {TRUNK_VERSION}"),
        "trunk",
        TRUNK_VERSION,
        None,
        &["--no-default-features"],
    )?;
    npm_packages()
}

/// The browser benchmarks: ignored wasm-bindgen tests, run in a release build.
fn bench_web() -> Result {
    let mut bench = command(
        "cargo",
        &[
            "test",
            "--release",
            "--package",
            "leptos_atelier",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "browser_bench",
            // The closed-panel benchmark mounts the devtools.
            "--features",
            "devtools",
            "--",
            "--include-ignored",
            "--nocapture",
        ],
    );
    bench
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        // Glue without the debug-mode checks the test runner adds by default: what a
        // release build of an app (cargo leptos build --release) ships.
        .env("WASM_BINDGEN_NO_DEBUG", "1")
        .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "30")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "600");
    run(&mut bench)?;
    wasm_size()
}

/// What the crate costs an app in bytes: the release wasm of `examples/minimal`
/// (wasm-bindgen, then wasm-opt as cargo-leptos runs it, then gzip) against a twin of
/// it generated here, the same page and the same prime count on the main thread,
/// without the runtime. Both are built with the workspace's lockfile and profile.
fn wasm_size() -> Result {
    const TARGET_KIB: f64 = 50.0;
    let twin = root().join("target/size-twin");
    fs::create_dir_all(twin.join("src")).map_err(|e| format!("cannot create {}: {e}", twin.display()))?;
    let write =
        |path: PathBuf, text: &str| fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()));
    write(twin.join("Cargo.toml"), SIZE_TWIN_MANIFEST)?;
    write(twin.join("src/lib.rs"), SIZE_TWIN_APP)?;
    fs::copy(root().join("Cargo.lock"), twin.join("Cargo.lock")).map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
    let target_dir = root().join("target");
    let build = |package_dir: &Path, package: &str| -> Result {
        let mut cargo = command(
            "cargo",
            &[
                "build",
                "--profile",
                "wasm-release",
                "--target",
                "wasm32-unknown-unknown",
                "--package",
                package,
                "--lib",
                "--no-default-features",
                "--features",
                "hydrate",
            ],
        );
        cargo.current_dir(package_dir).env("CARGO_TARGET_DIR", &target_dir);
        run(&mut cargo)
    };
    build(&root(), "minimal")?;
    build(&twin, "size-twin")?;
    let mut sizes = Vec::new();
    for name in ["minimal", "size_twin"] {
        let wasm = target_dir.join(format!("wasm32-unknown-unknown/wasm-release/{name}.wasm"));
        let out = twin.join("out").join(name);
        let mut bindgen = command("wasm-bindgen", &["--target", "web", "--no-typescript", "--out-dir"]);
        bindgen.arg(&out).arg(&wasm);
        run(&mut bindgen)?;
        let glued = out.join(format!("{name}_bg.wasm"));
        let optimized = out.join(format!("{name}.opt.wasm"));
        let mut opt = command(
            "wasm-opt",
            &["-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "-o"],
        );
        opt.arg(&optimized).arg(&glued);
        run(&mut opt)?;
        let gzipped = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&optimized)
            .output()
            .map_err(|e| format!("cannot run gzip: {e}"))?
            .stdout
            .len();
        let raw = fs::metadata(&optimized).map_err(|e| e.to_string())?.len();
        sizes.push((raw as f64 / 1024.0, gzipped as f64 / 1024.0));
    }
    let ((app_raw, app_gz), (twin_raw, twin_gz)) = (sizes[0], sizes[1]);
    let cost = app_gz - twin_gz;
    eprintln!(
        "\nbench: release wasm (wasm-opt -Oz, gzip -9) of examples/minimal {app_raw:.0} KiB / {app_gz:.1} KiB gzipped; \
         the same app without the runtime {twin_raw:.0} KiB / {twin_gz:.1} KiB gzipped: the runtime costs {cost:.1} KiB \
         gzipped (target <= {TARGET_KIB} KiB: {})",
        if cost <= TARGET_KIB { "met" } else { "MISSED" }
    );
    Ok(())
}

/// The size twin's manifest: what `examples/minimal` depends on for its browser half,
/// but the runtime.
const SIZE_TWIN_MANIFEST: &str = r#"# Generated by `cargo xtask bench-web`: examples/minimal without leptos_atelier.
[package]
name = "size-twin"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
console_error_panic_hook = { version = "0.1", optional = true }
leptos = "0.8"
wasm-bindgen = "=0.2.130"

[features]
hydrate = ["leptos/hydrate", "dep:console_error_panic_hook"]

[profile.wasm-release]
inherits = "release"
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
"#;

/// The size twin's code: the minimal example's page, its count made on the main thread.
const SIZE_TWIN_APP: &str = r#"use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

fn count_primes(below: u32) -> u32 {
    (2..below).filter(|&n| (2..n).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d))).count() as u32
}

#[component]
pub fn App() -> impl IntoView {
    let below = RwSignal::new(200_000u32);
    let resource = LocalResource::new(move || {
        let below = below.get();
        async move { Ok::<u32, String>(count_primes(below)) }
    });
    view! {
        <h1>"Primes on a worker"</h1>
        <label>
            "Count the primes below "
            <input
                id="below"
                type="number"
                prop:value=move || below.get().to_string()
                on:change=move |ev| {
                    if let Ok(n) = event_target_value(&ev).parse() {
                        below.set(n);
                    }
                }
            />
        </label>
        <Suspense fallback=|| view! { <p id="count">"counting…"</p> }>
            <p id="count">
                {move || resource.get().map(|count| match count {
                    Ok(count) => count.to_string(),
                    Err(e) => e,
                })}
            </p>
        </Suspense>
        <p>"calls in flight: " <span id="in-flight">{0}</span></p>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
"#;

fn wasm_target() -> Result {
    let installed = output_of(&mut command("rustup", &["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|t| t == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run(&mut command("rustup", &["target", "add", "wasm32-unknown-unknown"]))
}

fn chromium() -> Result {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    let sudo: &[&str] = if output_of(&mut command("id", &["-u"])).as_deref() == Some("0") {
        &[]
    } else {
        &["sudo"]
    };
    let apt = |args: &[&str]| {
        let mut full: Vec<&str> = sudo.to_vec();
        full.extend(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        full.extend(args);
        run(&mut command(full[0], &full[1..]))
    };
    apt(&["update"])?;
    apt(&["install", "-y", "chromium", "chromium-driver"])
}

/// The version Cargo.lock holds for a package.
fn locked_version(package: &str) -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let header = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&header)
        .ok_or_else(|| format!("{package} is not in Cargo.lock"))?
        + header.len();
    let len = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + len].to_owned())
}

/// Installs a cargo tool at `version` unless `probe` already prints `expected`.
///
/// `cargo install --locked` of some releases fails on this toolchain (a locked
/// dependency needs a newer rustc, or was yanked); for those, the tool is built from a
/// copy of its published source with that one dependency pinned (`pin`). The build
/// skips LTO and uses parallel codegen: the tools only drive builds, and this saves
/// many minutes.
fn cargo_tool(
    binary: &str,
    probe: &[&str],
    expected: &str,
    krate: &str,
    version: &str,
    pin: Option<(&str, &str)>,
    features: &[&str],
) -> Result {
    let probe_program = if binary == "cargo-leptos" { "cargo" } else { binary };
    if output_of(&mut command(probe_program, probe)).as_deref() == Some(expected) {
        return Ok(());
    }
    let scratch = env::temp_dir().join(format!("leptos-atelier-install-{krate}-{version}"));
    let fast_release = [
        ("CARGO_PROFILE_RELEASE_LTO", "false"),
        ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"),
        ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
    ];
    // Installs the release as published; for a tool that needs a pin this fails, having
    // downloaded and unpacked the source to build from.
    let mut fetch = command("cargo", &["install", krate, "--version", version, "--locked"]);
    fetch.args(features).envs(fast_release);
    if run(&mut fetch).is_ok() && output_of(&mut command(probe_program, probe)).as_deref() == Some(expected) {
        return Ok(());
    }
    let Some(pin) = pin else {
        return Err(format!("{krate} {version} did not install as `{expected}`"));
    };
    let source = published_source(krate, version)?;
    let _ = fs::remove_dir_all(&scratch);
    copy_dir(&source, &scratch).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
    let mut pin_cmd = command("cargo", &["update", "-p", pin.0, "--precise", pin.1]);
    run(pin_cmd.current_dir(&scratch))?;
    let target_dir = scratch.join("target");
    let mut install = command("cargo", &["install", "--path", ".", "--locked", "--force"]);
    install
        .args(features)
        .arg("--target-dir")
        .arg(&target_dir)
        .envs(fast_release)
        .current_dir(&scratch);
    run(&mut install)?;
    let _ = fs::remove_dir_all(&scratch);
    match output_of(&mut command(probe_program, probe)) {
        Some(found) if found == expected => Ok(()),
        found => Err(format!(
            "{binary} was installed but reports {found:?}, not {expected:?}"
        )),
    }
}

/// Where cargo unpacked `<krate>-<version>` in its registry cache.
fn published_source(krate: &str, version: &str) -> Result<PathBuf> {
    let registry = cargo_bin_dir()
        .parent()
        .map(|home| home.join("registry/src"))
        .ok_or("no cargo home")?;
    let entries = fs::read_dir(&registry).map_err(|e| format!("cannot read {}: {e}", registry.display()))?;
    entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join(format!("{krate}-{version}")))
        .find(|candidate| candidate.join("Cargo.toml").exists())
        .ok_or_else(|| {
            format!(
                "the source of {krate} {version} was not unpacked under {}",
                registry.display()
            )
        })
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// `npm ci` in end2end/ unless the locked Playwright, axe-core and binaryen are already there.
fn npm_packages() -> Result {
    let end2end = root().join("end2end");
    let has = |package: &str, version: &str| {
        fs::read_to_string(end2end.join("node_modules").join(package).join("package.json"))
            .is_ok_and(|manifest| manifest.contains(&format!("\"version\": \"{version}\"")))
    };
    if has("@playwright/test", "1.65.1") && has("@axe-core/playwright", "4.13.0") && has("binaryen", "132.0.0") {
        return Ok(());
    }
    let mut npm = command("npm", &["ci", "--no-audit", "--no-fund"]);
    npm.current_dir(&end2end).env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    run(&mut npm)
}

// ---------------------------------------------------------------------------------
// demo and test
// ---------------------------------------------------------------------------------

/// Builds the playground for release and serves it on 127.0.0.1:3000 until interrupted.
fn demo() -> Result {
    eprintln!("\nServing the playground at http://127.0.0.1:3000 (Ctrl-C stops it)");
    // A release build: what an app ships, and the build whose main thread the
    // playground's long-task figures describe.
    run(&mut command(
        "cargo",
        &["leptos", "serve", "--release", "--project", DEMO_PROJECT],
    ))
}

/// Lints, then runs the native, browser (wasm-bindgen-test) and Playwright suites.
fn test() -> Result {
    run(&mut command("cargo", &["fmt", "--all", "--check"]))?;
    run(&mut command(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--features",
            "leptos_atelier/testing,leptos_atelier/devtools",
            "--",
            "-D",
            "warnings",
        ],
    ))?;
    run(&mut command(
        "cargo",
        &[
            "clippy",
            "--package",
            "leptos_atelier",
            "--package",
            "csr",
            "--all-targets",
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            "leptos_atelier/devtools",
            "--",
            "-D",
            "warnings",
        ],
    ))?;

    // Rustdoc: no broken links, natively and as docs.rs builds it (wasm32, every
    // feature: `[package.metadata.docs.rs]`).
    for target in [None, Some("wasm32-unknown-unknown")] {
        let mut args = vec!["doc", "--no-deps", "--package", "leptos_atelier"];
        if let Some(target) = target {
            args.extend(["--target", target, "--all-features"]);
        }
        let mut doc = command("cargo", &args);
        doc.env("RUSTDOCFLAGS", "-D warnings");
        run(&mut doc)?;
    }

    // Native: the core on the simulated transport, doctests, the example's logic.
    run(&mut command("cargo", &["test", "--workspace"]))?;
    // The server half: every hook inert under the `ssr` feature.
    run(&mut command(
        "cargo",
        &[
            "test",
            "--package",
            "leptos_atelier",
            "--features",
            "ssr",
            "--test",
            "ssr",
        ],
    ))?;

    // Browser: real Web Workers in headless Chromium.
    let mut wasm = command(
        "cargo",
        &[
            "test",
            "--package",
            "leptos_atelier",
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            "devtools",
            "--lib",
            "--test",
            "web",
            "--test",
            "csr",
            "--test",
            "csp",
            "--test",
            "soak",
            "--test",
            "devtools",
        ],
    );
    // The suite takes seconds; the generous limit only keeps a slow CI machine from
    // cutting off the soak tests. Chromium gets `--expose-gc` and precise memory
    // figures, for the soak's memory samples.
    wasm.env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "30")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", root().join("tests/webdriver.json"));
    run(&mut wasm)?;

    // What a user meets first: an existing app adds the crate, and the package publishes.
    adoption_check()?;
    let mut publish = command(
        "cargo",
        // The macros publish first; both are packaged and verified together.
        &[
            "publish",
            "--dry-run",
            "--allow-dirty",
            "--package",
            "leptos_atelier_macros",
            "--package",
            "leptos_atelier",
        ],
    );
    run(&mut publish)?;

    // End to end: the built examples driven by Playwright in Debian's Chromium: the
    // cargo-leptos apps (SSR + hydrate) and the Trunk app (client-side rendering).
    run(&mut command("cargo", &["leptos", "build", "--project", "minimal"]))?;
    run(command("trunk", &["build"]).current_dir(root().join("examples/csr")))?;
    // First the release build `cargo xtask demo` serves (a release build can fail where
    // a debug one passes, as a view type past the recursion limit does), and its
    // main-thread long tasks during a pipeline run.
    run(&mut command(
        "cargo",
        &["leptos", "build", "--release", "--project", DEMO_PROJECT],
    ))?;
    let mut release = command("npx", &["playwright", "test", "tests/longtasks.spec.ts"]);
    release
        .current_dir(root().join("end2end"))
        .env("CI", "1")
        .env("SERVER_CMD", format!("./target/release/{DEMO_PROJECT}"));
    run(&mut release)?;
    // Then every spec against the debug build (its site replaces the release one).
    run(&mut command("cargo", &["leptos", "build", "--project", DEMO_PROJECT]))?;
    let mut playwright = command("npx", &["playwright", "test"]);
    playwright.current_dir(root().join("end2end")).env("CI", "1");
    run(&mut playwright)
}

// ---------------------------------------------------------------------------------
// adoption
// ---------------------------------------------------------------------------------

/// The crates whose versions an app's lockfile fixes before it adds this one (each
/// pins the wasm-bindgen it was released with, or depends on it), with the sections of
/// the crate's manifest that declare them.
const FLOOR_CRATES: [&str; 5] = ["wasm-bindgen", "js-sys", "web-sys", "wasm-bindgen-futures", "leptos"];

/// Checks that an app outside this workspace, whose lockfile holds another
/// wasm-bindgen than this repository's, can add the crate: a scratch app (generated
/// here, under `target/`) depends on it by path, pins each of [`FLOOR_CRATES`] at
/// exactly the lowest version the crate declares, resolves afresh and type-checks for
/// wasm32. Fails if the crate pins one of them exactly again, or declares a
/// wasm-bindgen floor equal to the locked version (then nothing proves another patch
/// resolves).
fn adoption_check() -> Result {
    let manifest = fs::read_to_string(root().join("Cargo.toml")).map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    let mut pins = Vec::new();
    for krate in FLOOR_CRATES {
        let requirement = declared_requirement(&manifest, krate)
            .ok_or_else(|| format!("Cargo.toml declares no dependency on {krate}"))?;
        let floor = requirement.strip_prefix('^').unwrap_or(&requirement);
        if !floor.chars().next().is_some_and(|c| c.is_ascii_digit()) || floor.matches('.').count() != 2 {
            return Err(format!(
                "Cargo.toml requires {krate} \"{requirement}\": a library states its lowest working \
                 version as \"x.y.z\" (a caret requirement), never an exact pin or a range"
            ));
        }
        pins.push((krate, floor.to_owned()));
    }
    let locked = locked_version("wasm-bindgen")?;
    let wasm_bindgen_floor = &pins[0].1;
    if *wasm_bindgen_floor == locked {
        return Err(format!(
            "the crate's wasm-bindgen floor is the locked {locked}: declare the oldest release that works, \
             so that apps holding another patch can adopt it"
        ));
    }

    let app = root().join("target/adoption-check");
    fs::create_dir_all(app.join("src")).map_err(|e| format!("cannot create {}: {e}", app.display()))?;
    let mut dependencies = format!("leptos_atelier = {{ path = {:?} }}\n", root().display().to_string());
    for (krate, floor) in &pins {
        let features = if *krate == "leptos" {
            ", features = [\"csr\"]"
        } else {
            ""
        };
        dependencies.push_str(&format!("{krate} = {{ version = \"={floor}\"{features} }}\n"));
    }
    let cargo_toml = format!(
        "# Generated by `cargo xtask test`: an app outside the workspace adopting the crate.\n\
         [package]\nname = \"adoption-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{dependencies}"
    );
    let write =
        |path: PathBuf, text: &str| fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()));
    write(app.join("Cargo.toml"), &cargo_toml)?;
    write(app.join("src/lib.rs"), ADOPTION_APP)?;
    // A fresh resolution each time, as an app adding the crate gets.
    let _ = fs::remove_file(app.join("Cargo.lock"));
    eprintln!("\nadoption check: an app pinning {pins:?} (the repository locks wasm-bindgen {locked})");
    run(
        command("cargo", &["check", "--quiet", "--target", "wasm32-unknown-unknown"])
            .current_dir(&app)
            .env_remove("CARGO_TARGET_DIR"),
    )
}

/// The version requirement the crate's manifest gives `krate` in its normal (not dev)
/// dependencies, of any target.
fn declared_requirement(manifest: &str, krate: &str) -> Option<String> {
    let mut normal = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            normal = line == "[dependencies]" || (line.starts_with("[target.") && line.ends_with(".dependencies]"));
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if !normal || name.trim() != krate {
            continue;
        }
        let value = value.trim();
        let quoted = match value.strip_prefix('{') {
            Some(table) => table.split_once("version")?.1.split_once('=')?.1.trim_start(),
            None => value,
        };
        return quoted
            .strip_prefix('"')?
            .split_once('"')
            .map(|(version, _)| version.to_owned());
    }
    None
}

/// The scratch app's code: a method, its worker entry and a component with the hooks.
const ADOPTION_APP: &str = r#"use leptos::prelude::*;
use leptos_atelier::{
    provide_task_runtime, serve, use_task_resource, HandlerError, Registry, TaskConfig, TaskContext, TaskMethod,
};

pub struct Double;
impl TaskMethod for Double {
    const NAME: &'static str = "double";
    type Input = u32;
    type Output = u32;
    async fn run(n: u32, _: TaskContext) -> Result<u32, HandlerError> {
        Ok(n * 2)
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn app_workers() {
    serve(Registry::new().method::<Double>());
}

#[component]
pub fn App() -> impl IntoView {
    if let Some(runtime) = provide_task_runtime() {
        runtime.define(TaskConfig::parallel("app_workers").task_id("double")).unwrap();
    }
    let n = RwSignal::new(21u32);
    let doubled = use_task_resource::<Double>("double", move || n.get()).resource;
    view! { <p>{move || doubled.get().map(|r| format!("{r:?}"))}</p> }
}

pub fn start() {
    if !leptos_atelier::is_worker_scope() {
        leptos::mount::mount_to_body(App);
    }
}
"#;
