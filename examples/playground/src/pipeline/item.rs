//! One image's way through the pipeline: the [`Stage`] it is in and what it produced.
//! Plain data; the run writes it, the cards and the flow graph read it.

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

/// One image's way through the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub stage: Stage,
    pub progress: f64,
    pub url: Option<String>,
    pub before: Option<(u8, u8)>,
    pub after: Option<(u8, u8)>,
    pub error: Option<String>,
}

impl Item {
    pub fn queued() -> Self {
        Self {
            stage: Stage::Queued,
            progress: 0.0,
            url: None,
            before: None,
            after: None,
            error: None,
        }
    }
}
