//! `parallel_limit`: run an async function over items with at most `limit` at once,
//! yielding results in **completion order**, as a [`Stream`].
//!
//! Behaviour (Atelier's `parallelLimit`):
//!
//! - items are pulled lazily, one as each running call finishes;
//! - [`ErrorPolicy::FailFast`] (default): the first error that is not skipped ends
//!   the stream with that error and nothing new starts; calls still running are not
//!   canceled, their results are dropped. [`ErrorPolicy::Continue`]: errors are skipped;
//! - `on_error` sees every error, skipped or not, before the policy applies;
//! - with an abort `signal`, no new item starts once it fires (running ones still
//!   complete and their results are still yielded);
//! - with an [`AbortTaskController`] and a `key_of`, an item whose key is already
//!   aborted is skipped without calling the function, and a result whose key was
//!   aborted meanwhile is dropped; when cancellation is set up (signal or controller),
//!   errors that are aborts ([`IsAbort`]) are dropped rather than failing the stream;
//! - [`parallel_limit_settled`] yields every started item's outcome and never fails.
//!
//! Dropping the stream stops further starts; futures already running are dropped with it.
//! This module is platform neutral: it only combines futures.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{FuturesUnordered, Stream, StreamExt};

use crate::abort::{AbortSignal, AbortTaskController};
use crate::error::TaskError;

/// What a failed item does to the stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// The first error ends the stream.
    #[default]
    FailFast,
    /// Errors are skipped.
    Continue,
}

/// Errors that say "this was canceled", which a cancellable pipeline drops quietly.
pub trait IsAbort {
    /// Whether this error is a cancellation.
    fn is_abort(&self) -> bool;
}

impl IsAbort for TaskError {
    fn is_abort(&self) -> bool {
        matches!(self, TaskError::Aborted { .. })
    }
}

/// `parallel_limit` refused its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParallelLimitError {
    /// A limit of zero would never start anything.
    #[error("parallel_limit requires a limit of at least 1")]
    ZeroLimit,
}

type KeyOf<T> = Box<dyn Fn(&T) -> Option<String>>;
type OnError<T, E> = Box<dyn FnMut(&E, &T)>;

/// Options of [`parallel_limit`] and [`parallel_limit_settled`].
///
/// ```
/// use leptos_atelier::{ErrorPolicy, ParallelLimitOptions, TaskRuntime};
///
/// let runtime = TaskRuntime::new();
/// let options: ParallelLimitOptions<String, leptos_atelier::TaskError> = ParallelLimitOptions::new()
///     .error_policy(ErrorPolicy::Continue)
///     .keyed(runtime.abort_controller(), |name: &String| Some(format!("image-{name}")))
///     .on_error(|error, name| eprintln!("{name}: {error}"));
/// ```
pub struct ParallelLimitOptions<T, E> {
    error_policy: ErrorPolicy,
    on_error: Option<OnError<T, E>>,
    signal: Option<AbortSignal>,
    aborts: Option<(AbortTaskController, KeyOf<T>)>,
}

impl<T, E> Default for ParallelLimitOptions<T, E> {
    fn default() -> Self {
        Self {
            error_policy: ErrorPolicy::FailFast,
            on_error: None,
            signal: None,
            aborts: None,
        }
    }
}

impl<T, E> ParallelLimitOptions<T, E> {
    /// Fail fast, no callbacks, no cancellation.
    pub fn new() -> Self {
        Self::default()
    }

    /// What an error does to the stream (ignored by [`parallel_limit_settled`]).
    pub fn error_policy(mut self, policy: ErrorPolicy) -> Self {
        self.error_policy = policy;
        self
    }

    /// Called with every error and its item, before the policy applies.
    pub fn on_error(mut self, on_error: impl FnMut(&E, &T) + 'static) -> Self {
        self.on_error = Some(Box::new(on_error));
        self
    }

    /// Once this signal is aborted, no new item starts.
    pub fn signal(mut self, signal: AbortSignal) -> Self {
        self.signal = Some(signal);
        self
    }

    /// Skip items whose key (`None` or `""`: no key) is aborted in `aborts`.
    pub fn keyed(mut self, aborts: AbortTaskController, key_of: impl Fn(&T) -> Option<String> + 'static) -> Self {
        self.aborts = Some((aborts, Box::new(key_of)));
        self
    }

    fn cancellable(&self) -> bool {
        self.signal.is_some() || self.aborts.is_some()
    }

    fn key_of(&self, item: &T) -> Option<String> {
        let (_, key_of) = self.aborts.as_ref()?;
        key_of(item).filter(|key| !key.is_empty())
    }

    fn is_aborted(&self, key: Option<&str>) -> bool {
        match (&self.aborts, key) {
            (Some((aborts, _)), Some(key)) => aborts.is_aborted(key),
            _ => false,
        }
    }
}

/// One started item's outcome, from [`parallel_limit_settled`].
#[derive(Debug, Clone, PartialEq)]
pub struct Settled<T, O, E> {
    /// The item.
    pub item: T,
    /// Its key, if `keyed` was set and it had one.
    pub key: Option<String>,
    /// What the function returned for it.
    pub outcome: Result<O, E>,
}

type Running<'a, T, O, E> = Pin<Box<dyn Future<Output = Settled<T, O, E>> + 'a>>;

/// The machinery shared by both streams: starts items up to the limit and yields
/// completions in order of completion.
struct Runner<'a, I: Iterator, F, O, E> {
    items: I,
    run: F,
    limit: usize,
    running: FuturesUnordered<Running<'a, I::Item, O, E>>,
    options: ParallelLimitOptions<I::Item, E>,
    exhausted: bool,
}

impl<'a, I, F, Fut, O, E> Runner<'a, I, F, O, E>
where
    I: Iterator,
    I::Item: Clone + 'a,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<O, E>> + 'a,
{
    fn fill(&mut self) {
        while !self.exhausted && self.running.len() < self.limit {
            if self.options.signal.as_ref().is_some_and(AbortSignal::is_aborted) {
                self.exhausted = true;
                break;
            }
            let Some(item) = self.items.next() else {
                self.exhausted = true;
                break;
            };
            let key = self.options.key_of(&item);
            if self.options.is_aborted(key.as_deref()) {
                continue;
            }
            let call = (self.run)(item.clone());
            self.running.push(Box::pin(async move {
                Settled {
                    item,
                    key,
                    outcome: call.await,
                }
            }));
        }
    }

    fn poll_settled(&mut self, cx: &mut Context<'_>) -> Poll<Option<Settled<I::Item, O, E>>> {
        self.fill();
        match self.running.poll_next_unpin(cx) {
            Poll::Ready(Some(settled)) => {
                if let (Err(error), Some(on_error)) = (&settled.outcome, self.options.on_error.as_mut()) {
                    on_error(error, &settled.item);
                }
                Poll::Ready(Some(settled))
            }
            // `fill` stops only when the limit is reached or the items are exhausted, so
            // nothing running means nothing left.
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The stream of [`parallel_limit`].
#[must_use = "streams do nothing unless polled"]
pub struct ParallelLimit<'a, I: Iterator, F, O, E> {
    runner: Runner<'a, I, F, O, E>,
    failed: bool,
}

impl<'a, I, F, Fut, O, E> Stream for ParallelLimit<'a, I, F, O, E>
where
    I: Iterator + Unpin,
    I::Item: Clone + 'a,
    F: FnMut(I::Item) -> Fut + Unpin,
    Fut: Future<Output = Result<O, E>> + 'a,
    E: IsAbort,
{
    type Item = Result<O, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        loop {
            let Some(settled) = std::task::ready!(this.runner.poll_settled(cx)) else {
                return Poll::Ready(None);
            };
            let options = &this.runner.options;
            let key_aborted = options.is_aborted(settled.key.as_deref());
            match settled.outcome {
                Ok(_) if key_aborted => continue,
                Ok(value) => {
                    // Start the next item now, not when the consumer polls again.
                    this.runner.fill();
                    return Poll::Ready(Some(Ok(value)));
                }
                Err(error) if options.cancellable() && (error.is_abort() || key_aborted) => continue,
                Err(_) if options.error_policy == ErrorPolicy::Continue => continue,
                Err(error) => {
                    this.failed = true;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
    }
}

/// The stream of [`parallel_limit_settled`].
#[must_use = "streams do nothing unless polled"]
pub struct ParallelLimitSettled<'a, I: Iterator, F, O, E> {
    runner: Runner<'a, I, F, O, E>,
}

impl<'a, I, F, Fut, O, E> Stream for ParallelLimitSettled<'a, I, F, O, E>
where
    I: Iterator + Unpin,
    I::Item: Clone + 'a,
    F: FnMut(I::Item) -> Fut + Unpin,
    Fut: Future<Output = Result<O, E>> + 'a,
{
    type Item = Settled<I::Item, O, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let runner = &mut self.get_mut().runner;
        let settled = std::task::ready!(runner.poll_settled(cx));
        runner.fill();
        Poll::Ready(settled)
    }
}

fn runner<'a, I, F, O, E>(
    items: I,
    limit: usize,
    run: F,
    options: ParallelLimitOptions<I::Item, E>,
) -> Result<Runner<'a, I::IntoIter, F, O, E>, ParallelLimitError>
where
    I: IntoIterator,
{
    if limit == 0 {
        return Err(ParallelLimitError::ZeroLimit);
    }
    Ok(Runner {
        items: items.into_iter(),
        run,
        limit,
        running: FuturesUnordered::new(),
        options,
        exhausted: false,
    })
}

/// Runs `run` over `items`, at most `limit` at once, yielding results as they complete
/// (see the module docs for errors and cancellation).
///
/// ```
/// use futures_util::StreamExt;
/// use leptos_atelier::{parallel_limit, ParallelLimitOptions, TaskError};
///
/// # futures_executor::block_on(async {
/// let doubled = parallel_limit(1..=4, 2, |n: u32| async move { Ok::<_, TaskError>(n * 2) }, ParallelLimitOptions::new())
///     .unwrap()
///     .collect::<Vec<_>>()
///     .await;
/// assert_eq!(doubled.len(), 4);
/// # });
/// ```
pub fn parallel_limit<'a, I, F, Fut, O, E>(
    items: I,
    limit: usize,
    run: F,
    options: ParallelLimitOptions<I::Item, E>,
) -> Result<ParallelLimit<'a, I::IntoIter, F, O, E>, ParallelLimitError>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<O, E>> + 'a,
{
    Ok(ParallelLimit {
        runner: runner(items, limit, run, options)?,
        failed: false,
    })
}

/// Like [`parallel_limit`], but yields every started item's [`Settled`] outcome and never
/// fails; only items whose key was aborted before they started are skipped.
pub fn parallel_limit_settled<'a, I, F, Fut, O, E>(
    items: I,
    limit: usize,
    run: F,
    options: ParallelLimitOptions<I::Item, E>,
) -> Result<ParallelLimitSettled<'a, I::IntoIter, F, O, E>, ParallelLimitError>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<O, E>> + 'a,
{
    Ok(ParallelLimitSettled {
        runner: runner(items, limit, run, options)?,
    })
}
