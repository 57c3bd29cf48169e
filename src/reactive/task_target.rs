//! Which task a hook calls: a [`Task`] the component already holds, or a task id looked
//! up in the provided runtime at each call.

use crate::error::TaskError;
use crate::runtime::TaskRuntime;
use crate::task::Task;

/// The task a hook calls: `"id"` (looked up in the provided runtime when a call is
/// made, so the task may be defined later or elsewhere) or a [`Task`] itself (no id to
/// repeat).
///
/// ```
/// use leptos_atelier::{TaskConfig, TaskRuntime, TaskTarget};
///
/// let task = TaskRuntime::new().define(TaskConfig::singleton("app_workers").task_id("hash")).unwrap();
/// assert_eq!(TaskTarget::from("hash").task_id(), "hash");
/// assert_eq!(TaskTarget::from(&task).task_id(), "hash");
/// ```
#[derive(Clone)]
pub enum TaskTarget {
    /// A task id, looked up at each call.
    Id(String),
    /// The task itself.
    Task(Task),
}

impl TaskTarget {
    /// The id of the task this names.
    pub fn task_id(&self) -> String {
        match self {
            TaskTarget::Id(id) => id.clone(),
            TaskTarget::Task(task) => task.id(),
        }
    }

    /// The task to call now: [`TaskError::NoSuchTask`] for an id the runtime does not
    /// know (or with no runtime, as on the server).
    pub(crate) fn resolve(&self, runtime: Option<&TaskRuntime>) -> Result<Task, TaskError> {
        match self {
            TaskTarget::Task(task) => Ok(task.clone()),
            TaskTarget::Id(task_id) => {
                runtime
                    .and_then(|runtime| runtime.task(task_id))
                    .ok_or_else(|| TaskError::NoSuchTask {
                        task_id: task_id.clone(),
                    })
            }
        }
    }
}

impl From<&str> for TaskTarget {
    fn from(task_id: &str) -> Self {
        TaskTarget::Id(task_id.to_owned())
    }
}

impl From<String> for TaskTarget {
    fn from(task_id: String) -> Self {
        TaskTarget::Id(task_id)
    }
}

impl From<Task> for TaskTarget {
    fn from(task: Task) -> Self {
        TaskTarget::Task(task)
    }
}

impl From<&Task> for TaskTarget {
    fn from(task: &Task) -> Self {
        TaskTarget::Task(task.clone())
    }
}
