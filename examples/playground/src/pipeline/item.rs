//! One image's way through the pipeline: the [`Stage`] it is in and what it produced,
//! each in a signal of its own; the run writes them, the cards and the flow graph read
//! them.

use leptos::prelude::*;

/// Where an image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the parallel limit to let it start.
    Queued,
    Resize,
    Analyze,
    Enhance,
    Done,
    Failed,
    /// Aborted, or kept from starting by the abort.
    Canceled,
}

impl Stage {
    /// The name the page shows (and `data-stage` carries).
    pub fn slug(self) -> &'static str {
        match self {
            Stage::Queued => "queued",
            Stage::Resize => "resize",
            Stage::Analyze => "analyze",
            Stage::Enhance => "enhance",
            Stage::Done => "done",
            Stage::Failed => "failed",
            Stage::Canceled => "canceled",
        }
    }

    /// Whether the image's run is over, however it ended.
    pub fn is_settled(self) -> bool {
        matches!(self, Stage::Done | Stage::Failed | Stage::Canceled)
    }
}

/// One image's way through the pipeline: a signal per field, so a progress report or a
/// stage change re-renders that image's card alone, not the list.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub stage: RwSignal<Stage>,
    pub progress: RwSignal<f64>,
    pub url: RwSignal<Option<String>>,
    pub before: RwSignal<Option<(u8, u8)>>,
    pub after: RwSignal<Option<(u8, u8)>>,
    pub error: RwSignal<Option<String>>,
}

impl Item {
    pub fn queued() -> Self {
        Self {
            stage: RwSignal::new(Stage::Queued),
            progress: RwSignal::new(0.0),
            url: RwSignal::new(None),
            before: RwSignal::new(None),
            after: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }
}
