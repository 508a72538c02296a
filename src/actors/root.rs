//! The root supervisor: parent of every long-lived actor. It does not stop
//! when a child fails (ractor's default); it logs the failure, counts it in
//! `fiducia_actor_failures_total{actor}` and keeps the rest running. Restart
//! policies belong to the intermediate supervisors that later issues add.

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};

/// The root supervisor (read-only definition).
pub struct RootSupervisor;

/// Messages the root answers.
pub enum RootSupervisorMessage {
    /// Reports the current status.
    Status(RpcReplyPort<RootStatus>),
}

/// What the root reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootStatus {
    /// Children currently linked.
    pub children: usize,
    /// Children that failed since start.
    pub failures: u64,
}

/// The root's state.
#[derive(Default)]
pub struct RootSupervisorState {
    failures: u64,
}

impl Actor for RootSupervisor {
    type Msg = RootSupervisorMessage;
    type State = RootSupervisorState;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _args: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(RootSupervisorState::default())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RootSupervisorMessage::Status(reply) => {
                let status = RootStatus {
                    children: myself.get_children().len(),
                    failures: state.failures,
                };
                // The caller may have gone away; that is not a fault of ours.
                let _ = reply.send(status);
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorFailed(who, error) => {
                state.failures += 1;
                let actor = who.get_name().unwrap_or_else(|| who.get_id().to_string());
                tracing::error!(%actor, %error, "actor failed");
                metrics::counter!("fiducia_actor_failures_total", "actor" => actor).increment(1);
            }
            SupervisionEvent::ActorTerminated(who, _, reason) => {
                tracing::debug!(actor = ?who.get_name(), ?reason, "actor stopped");
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;

    impl Actor for Failing {
        type Msg = ();
        type State = ();
        type Arguments = ();
        async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
            Ok(())
        }
        async fn handle(&self, _: ActorRef<()>, _: (), _: &mut ()) -> Result<(), ActorProcessingErr> {
            Err("a fault".into())
        }
    }

    #[tokio::test]
    async fn a_failing_child_is_counted_and_the_root_keeps_running() {
        let (root, handle) = Actor::spawn(None, RootSupervisor, ()).await.unwrap();
        let (child, child_handle) = Actor::spawn_linked(None, Failing, (), root.get_cell())
            .await
            .unwrap();
        child.cast(()).unwrap();
        child_handle.await.unwrap();
        let status = ractor::call!(root, RootSupervisorMessage::Status).unwrap();
        assert_eq!(
            status,
            RootStatus {
                children: 0,
                failures: 1
            }
        );
        root.stop(None);
        handle.await.unwrap();
    }
}
