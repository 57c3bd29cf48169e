//! What a run uses: the [`Settings`] (plain values), each [`Tab`]'s starting settings
//! (Atelier's demo values), and the [`Controls`] signals the inputs edit.

use leptos::prelude::*;
use leptos_atelier::{CrashPolicy, QueuePolicy};

/// What a run uses: the controls of the tabs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub images: usize,
    /// Limit the pipelines running at once to `limit` (else: as many as images).
    pub limit_on: bool,
    pub limit: usize,
    /// Give analyze a queue of `depth` (else: 2).
    pub depth_on: bool,
    pub depth: usize,
    pub policy: QueuePolicy,
    pub crash_policy: CrashPolicy,
    pub error_percent: usize,
}

/// The pipeline's tabs, each with its own starting settings (Atelier's demo values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Throughput,
    Backpressure,
    Cancellation,
    Crashes,
    Playground,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Throughput,
        Tab::Backpressure,
        Tab::Cancellation,
        Tab::Crashes,
        Tab::Playground,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Tab::Overview => "overview",
            Tab::Throughput => "throughput",
            Tab::Backpressure => "backpressure",
            Tab::Cancellation => "cancellation",
            Tab::Crashes => "crashes",
            Tab::Playground => "playground",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Throughput => "Throughput",
            Tab::Backpressure => "Backpressure",
            Tab::Cancellation => "Cancellation",
            Tab::Crashes => "Crashes",
            Tab::Playground => "Playground",
        }
    }

    pub fn defaults(self) -> Settings {
        let base = Settings {
            images: 30,
            limit_on: true,
            limit: 6,
            depth_on: false,
            depth: 12,
            policy: QueuePolicy::Block,
            crash_policy: CrashPolicy::RestartRequeueInFlight,
            error_percent: 0,
        };
        match self {
            Tab::Overview | Tab::Throughput => base,
            Tab::Backpressure => Settings {
                images: 40,
                limit_on: false,
                limit: 12,
                depth_on: true,
                depth: 8,
                ..base
            },
            Tab::Cancellation => Settings { limit: 4, ..base },
            Tab::Crashes => Settings { images: 24, ..base },
            Tab::Playground => Settings { depth_on: true, ..base },
        }
    }
}

/// The signals behind the controls.
#[derive(Clone, Copy)]
pub struct Controls {
    pub images: RwSignal<usize>,
    pub limit_on: RwSignal<bool>,
    pub limit: RwSignal<usize>,
    pub depth_on: RwSignal<bool>,
    pub depth: RwSignal<usize>,
    pub policy: RwSignal<QueuePolicy>,
    pub crash_policy: RwSignal<CrashPolicy>,
    pub error_percent: RwSignal<usize>,
    pub crash_next: RwSignal<bool>,
}

impl Controls {
    pub fn new(settings: Settings) -> Self {
        Self {
            images: RwSignal::new(settings.images),
            limit_on: RwSignal::new(settings.limit_on),
            limit: RwSignal::new(settings.limit),
            depth_on: RwSignal::new(settings.depth_on),
            depth: RwSignal::new(settings.depth),
            policy: RwSignal::new(settings.policy),
            crash_policy: RwSignal::new(settings.crash_policy),
            error_percent: RwSignal::new(settings.error_percent),
            crash_next: RwSignal::new(false),
        }
    }

    pub fn apply(self, settings: Settings) {
        self.images.set(settings.images);
        self.limit_on.set(settings.limit_on);
        self.limit.set(settings.limit);
        self.depth_on.set(settings.depth_on);
        self.depth.set(settings.depth);
        self.policy.set(settings.policy);
        self.crash_policy.set(settings.crash_policy);
        self.error_percent.set(settings.error_percent);
        self.crash_next.set(false);
    }

    pub fn read(self) -> Settings {
        Settings {
            images: self.images.get_untracked(),
            limit_on: self.limit_on.get_untracked(),
            limit: self.limit.get_untracked(),
            depth_on: self.depth_on.get_untracked(),
            depth: self.depth.get_untracked(),
            policy: self.policy.get_untracked(),
            crash_policy: self.crash_policy.get_untracked(),
            error_percent: self.error_percent.get_untracked(),
        }
    }
}
