pub struct NotAMethod;

leptos_atelier::worker_entry!(pub AppWorkers = [NotAMethod]);

fn main() {}
