leptos_atelier::worker_entry!(pub AppWorkers = []);

fn main() {}
