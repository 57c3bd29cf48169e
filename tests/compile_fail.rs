//! The mistakes users make with `#[task_method]` and `worker_entry!` fail to compile,
//! on the user's own span, with a message that says what to write instead (the
//! expected messages are the `.stderr` files beside each case in `tests/ui/`).

#[test]
fn mistakes_with_the_macros_are_compile_errors_that_say_what_to_write() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
