//! The device channel under concurrency: backchannel requests that arrive
//! while a delivery to the device is under way go out together in one
//! signed JWS (`oauth/ciba/device_batch.rs`), and each client hears its own
//! outcome (CIBA Core §7.3: an `auth_req_id` only for a request the
//! customer's device took; §13 `temporarily_unavailable` otherwise).

use super::super::support::*;
use super::poll::post_json;
use super::*;

/// A customer the OP knows but the device does not.
const BOB_ON_THE_OP_ONLY: &str = r#"
[[login.seed_users]]
username = "bob"
password = "bob-secret-123"
account_id = "acc-bob-1"
name = "Bob Roe"
email = "bob@example.com"
"#;

/// Twelve requests for the device's customer and two for one the device
/// does not have, all at once: the twelve are answered and all twelve are
/// on the device, each with its own binding message; the two are 503
/// `temporarily_unavailable` and nothing of them is left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_each_hear_their_own_outcome() {
    let ciba = Ciba::start_with(BOB_ON_THE_OP_ONLY).await;
    let mut requests = Vec::new();
    for n in 0..14 {
        let claims = match n {
            12 | 13 => json!({"login_hint": "bob", "binding_message": format!("BOB{n}")}),
            _ => json!({"binding_message": format!("MSG{n}")}),
        };
        requests.push((n, ciba.signed_request(POLL, claims).await));
    }
    let ciba = &ciba;
    let answers = futures::future::join_all(requests.iter().map(|(n, request)| async move {
        let response = ciba.backchannel(POLL, &[("request", request)]).await;
        (*n, response)
    }))
    .await;
    let mut ids = std::collections::HashMap::new();
    for (n, response) in &answers {
        if *n >= 12 {
            assert_status(response, 503);
            assert_eq!(error_of(response), "temporarily_unavailable");
            continue;
        }
        assert_status(response, 200);
        let id = json(response.body())["auth_req_id"].as_str().unwrap().to_string();
        ids.insert(id, format!("MSG{n}"));
    }
    assert_eq!(ids.len(), 12, "twelve distinct auth_req_ids");
    let shown = ciba.on_device().await;
    assert_eq!(shown.len(), 12, "{shown:?}");
    for request in &shown {
        let id = request["auth_req_id"].as_str().unwrap();
        assert_eq!(
            Some(request["binding_message"].as_str().unwrap()),
            ids.get(id).map(String::as_str),
            "each request shown with its own binding message"
        );
    }
    // Each answered request is pending at the OP; approving one gives tokens.
    let (first, _) = ids.iter().next().unwrap();
    let response = ciba.poll(POLL, first).await;
    assert_eq!(error_of(&response), "authorization_pending");
    assert_status(&ciba.decide(first, true).await, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_status(&ciba.poll(POLL, first).await, 200);
}

/// Several decisions in one call to `/ciba/decision` (the device channel's
/// certificate only, RFC 8705 §2.1.2): each recorded as a single one would
/// be and answered on its own — recorded, `not_found` (another customer's),
/// `already_decided`, `invalid_request` — and the approved requests give
/// their clients tokens (CIBA Core §10.1). Another certificate is refused
/// for the whole call; an empty or oversized list is `invalid_request`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_decisions_in_one_call_are_each_recorded_once() {
    let ciba = Ciba::start().await;
    let approve = ciba.authenticate(POLL, json!({})).await;
    let deny = ciba.authenticate(POLL, json!({})).await;
    let decided = ciba.authenticate(POLL, json!({})).await;
    let stranger = ciba.authenticate(POLL, json!({})).await;
    let odd = ciba.authenticate(POLL, json!({})).await;
    let decision = |id: &str, verdict: &str, sub: &str| json!({"auth_req_id": id, "decision": verdict, "sub": sub, "amr": ["pwd"], "auth_time": now()});
    let send = |body: Value| {
        ciba.op
            .send_with_identity(&ciba.device_identity, post_json("/ciba/decision", &body))
    };
    assert_status(&send(decision(&decided, "approved", "acc-alice-1")).await, 204);

    let batch = json!({"decisions": [
        decision(&approve, "approved", "acc-alice-1"),
        decision(&deny, "denied", "acc-alice-1"),
        decision(&decided, "denied", "acc-alice-1"),
        decision(&stranger, "approved", "acc-bob-2"),
        decision(&odd, "maybe", "acc-alice-1"),
    ]});
    // The fintech's certificate (same CA) may not decide, not even in a batch.
    let response = ciba.op.send(true, post_json("/ciba/decision", &batch)).await;
    assert_status(&response, 401);

    let response = send(batch).await;
    assert_status(&response, 200);
    let results = json(response.body())["results"].as_array().unwrap().clone();
    let outcome = |id: &str| {
        let result = results.iter().find(|r| r["auth_req_id"] == id).unwrap();
        result.get("error").cloned().unwrap_or(Value::Null)
    };
    assert_eq!(results.len(), 5, "{results:?}");
    assert_eq!(outcome(&approve), Value::Null);
    assert_eq!(outcome(&deny), Value::Null);
    assert_eq!(outcome(&decided), json!("already_decided"));
    assert_eq!(
        outcome(&stranger),
        json!("not_found"),
        "another customer's request"
    );
    assert_eq!(outcome(&odd), json!("invalid_request"));

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_status(&ciba.poll(POLL, &approve).await, 200);
    assert_eq!(error_of(&ciba.poll(POLL, &deny).await), "access_denied");
    assert_status(&ciba.poll(POLL, &decided).await, 200);

    let pending = stranger;
    let many: Vec<Value> = (0..129)
        .map(|_| decision(&pending, "approved", "acc-alice-1"))
        .collect();
    assert_status(&send(json!({"decisions": many})).await, 400);
    assert_status(&send(json!({"decisions": []})).await, 400);
    assert_eq!(
        error_of(&ciba.poll(POLL, &pending).await),
        "authorization_pending"
    );
}

/// The bank's device channel as a stand-in: verifies each POST with the
/// OP's keys (`typ` `ciba-requests+jwt`, RFC 8725 §3.11), records its
/// claims, holds its first answer for a while (so that the requests behind
/// it queue at the OP), and refuses the requests whose binding message is
/// `NOPE` with `unknown_user_id`, taking the others.
struct StandInChannel {
    keys: Vec<fiducia::protocol::jose::PublicJwk>,
    batches: Mutex<Vec<Value>>,
}

impl Handler for StandInChannel {
    fn handle<'a>(&'a self, request: Request<Bytes>, _context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let compact = std::str::from_utf8(request.body()).unwrap();
            let verified = fiducia::protocol::jose::verify_jws(
                compact,
                &self.keys,
                Some(fiducia::protocol::ciba::device_batch::BATCH_TYP),
            )
            .expect("signed by the OP, typed as a batch");
            let first = {
                let mut batches = self.batches.lock().unwrap();
                batches.push(Value::Object(verified.claims.clone()));
                batches.len() == 1
            };
            if first {
                tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
            }
            let results: Vec<Value> = verified.claims["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| match r["binding_message"].as_str() {
                    Some("NOPE") => json!({"auth_req_id": r["auth_req_id"], "error": "unknown_user_id"}),
                    _ => json!({"auth_req_id": r["auth_req_id"]}),
                })
                .collect();
            let mut response = Response::new(Bytes::from(json!({ "results": results }).to_string()));
            *response.status_mut() = StatusCode::OK;
            response
        })
    }
}

/// The batching itself, against a stand-in channel: a lone request goes
/// at once, in a JWS of its own; the five that arrive while its delivery
/// is under way go together in the next one, signed once; each client
/// hears its own outcome (the refused one 503 `temporarily_unavailable`,
/// CIBA Core §13, its request withdrawn; the others their `auth_req_id`,
/// CIBA Core §7.3), and each request carries its own `exp`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_arriving_during_a_delivery_go_together_in_one_signed_batch() {
    let channel_port = free_port();
    let ciba = Ciba::start_with_channel("", Some(channel_port)).await;
    let keys =
        serde_json::from_value(json(ciba.op.send(false, get("/jwks")).await.body())["keys"].clone()).unwrap();
    let channel = Arc::new(StandInChannel {
        keys,
        batches: Mutex::default(),
    });
    let _server = Standalone {
        name: "stand-in device channel",
        listen: format!("127.0.0.1:{channel_port}").parse().unwrap(),
        tls: TlsConfig {
            cert: ciba.op.pki.path("server.pem"),
            key: ciba.op.pki.path("server.key"),
            client_ca: Vec::new(),
            ..TlsConfig::default()
        },
        client_auth: ClientAuth::Optional,
        kind: ListenerKind::Main,
        max_body_bytes: 64 * 1024,
    }
    .serve(channel.clone())
    .await
    .unwrap();

    let lone = ciba
        .signed_request(POLL, json!({"binding_message": "LONE"}))
        .await;
    let mut later = Vec::new();
    for message in ["B1", "B2", "NOPE", "B4", "B5"] {
        later.push((
            message,
            ciba.signed_request(POLL, json!({"binding_message": message}))
                .await,
        ));
    }
    let (ciba, channel) = (&ciba, &channel);
    let lone_params = [("request", lone.as_str())];
    let (lone_answer, later_answers) = tokio::join!(ciba.backchannel(POLL, &lone_params), async {
        // Once the lone request's delivery is under way.
        while channel.batches.lock().unwrap().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        futures::future::join_all(later.iter().map(|(message, request)| async move {
            (*message, ciba.backchannel(POLL, &[("request", request)]).await)
        }))
        .await
    });
    assert_status(&lone_answer, 200);
    for (message, response) in &later_answers {
        match *message {
            "NOPE" => {
                assert_status(response, 503);
                assert_eq!(error_of(response), "temporarily_unavailable");
            }
            _ => assert_status(response, 200),
        }
    }

    let batches = channel.batches.lock().unwrap().clone();
    let messages = |batch: &Value| -> Vec<String> {
        let mut messages: Vec<String> = batch["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["binding_message"].as_str().unwrap().to_string())
            .collect();
        messages.sort();
        messages
    };
    assert_eq!(
        batches.len(),
        2,
        "one JWS for the lone request, one for the five: {batches:?}"
    );
    assert_eq!(messages(&batches[0]), ["LONE"]);
    assert_eq!(messages(&batches[1]), ["B1", "B2", "B4", "B5", "NOPE"]);
    for batch in &batches {
        assert_eq!(batch["iss"], ISSUER);
        assert_eq!(batch["aud"], AUDIENCE);
        for request in batch["requests"].as_array().unwrap() {
            assert!(request["exp"].as_u64().unwrap() > now());
            assert_eq!(request["sub"], "acc-alice-1");
            assert_eq!(request["client_id"], POLL);
        }
    }
    // The answered requests are pending at the OP.
    let id = json(lone_answer.body())["auth_req_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(error_of(&ciba.poll(POLL, &id).await), "authorization_pending");
}
