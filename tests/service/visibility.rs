use leadscore::{
    auth::{Actor, KeyGrant, Scope},
    entity::user::Role,
    error::AppError,
    service::{
        crm::assignments,
        leads::{self, AssigneeFilter, LeadFilter, LeadOrder, LeadPageRequest, RawNewLead},
    },
};

use crate::support::{assign, core, lead, person};

fn first(n: u64) -> LeadPageRequest {
    LeadPageRequest {
        first: Some(n),
        after: None,
        last: None,
        before: None,
    }
}

#[tokio::test]
async fn a_rep_reaches_only_the_leads_assigned_to_them_by_any_read() {
    let (core, _db) = core().await;
    let manager = person(&core, "manager@example.com", Role::Manager).await;
    let ana = person(&core, "ana@example.com", Role::SalesRep).await;
    let ben = person(&core, "ben@example.com", Role::SalesRep).await;
    let anas = lead(&core, &manager, "Anas", Some(50)).await;
    let bens = lead(&core, &manager, "Bens", Some(60)).await;
    let nobodys = lead(&core, &manager, "Nobodys", Some(70)).await;
    assign(&core, &manager, &anas, &ana).await;
    assign(&core, &manager, &bens, &ben).await;

    let everything = LeadFilter::default();
    let page = leads::list(&core, &ana, &everything, LeadOrder::default(), first(50))
        .await
        .unwrap();
    let ids: Vec<_> = page.leads.iter().map(|l| l.id).collect();
    assert_eq!(ids, vec![anas.id]);
    assert_eq!(leads::count(&core, &ana, &everything).await.unwrap(), 1);
    assert_eq!(leads::count(&core, &manager, &everything).await.unwrap(), 3);

    for hidden in [&bens, &nobodys] {
        match leads::read(&core, &ana, hidden.id).await {
            Err(AppError::NotFound(_)) => {}
            other => panic!("a rep read another's lead: {other:?}"),
        }
    }
    // Asking for another rep's leads by filter narrows, never widens.
    let bens_filter = LeadFilter {
        assignee: Some(AssigneeFilter::User(ben.user_id)),
        ..LeadFilter::default()
    };
    assert_eq!(leads::count(&core, &ana, &bens_filter).await.unwrap(), 0);
    // The page loaders see through the same rule.
    let all_ids = [anas.id, bens.id, nobodys.id];
    let assigned = assignments::for_leads(&core, &ana, &all_ids).await.unwrap();
    assert_eq!(
        assigned.iter().map(|a| a.lead_id).collect::<Vec<_>>(),
        vec![anas.id]
    );
    let assignees = assignments::assignees_of(&core, &manager, &all_ids)
        .await
        .unwrap();
    assert_eq!(assignees.len(), 2, "Ana's and Ben's leads have an assignee");
    let seen_by_ana = assignments::assignees_of(&core, &ana, &all_ids)
        .await
        .unwrap();
    assert_eq!(
        seen_by_ana.keys().copied().collect::<Vec<_>>(),
        vec![anas.id]
    );
}

#[tokio::test]
async fn a_lead_taken_away_from_a_rep_disappears_from_their_reads() {
    let (core, _db) = core().await;
    let manager = person(&core, "manager@example.com", Role::Manager).await;
    let ana = person(&core, "ana@example.com", Role::SalesRep).await;
    let ben = person(&core, "ben@example.com", Role::SalesRep).await;
    let moving = lead(&core, &manager, "Moving", None).await;
    assign(&core, &manager, &moving, &ana).await;
    assert!(leads::read(&core, &ana, moving.id).await.is_ok());

    assignments::transfer(&core, &manager, moving.id, ben.user_id, None)
        .await
        .unwrap();
    assert!(matches!(
        leads::read(&core, &ana, moving.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(leads::read(&core, &ben, moving.id).await.is_ok());
}

#[tokio::test]
async fn an_api_key_runs_only_what_its_scopes_name_whatever_calls_the_service() {
    let (core, _db) = core().await;
    let admin = person(&core, "admin@example.com", Role::Admin).await;
    let events_only = Actor {
        key: Some(KeyGrant {
            id: uuid::Uuid::now_v7(),
            scopes: vec![Scope::EventsWrite],
        }),
        ..admin.clone()
    };
    let new = RawNewLead {
        first_name: "Key".into(),
        last_name: "Made".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    match leads::create(&core, &events_only, new, Default::default()).await {
        Err(AppError::Forbidden(message)) => assert!(message.contains("LEADS_WRITE")),
        other => panic!("a key without LEADS_WRITE created a lead: {other:?}"),
    }
    let existing = lead(&core, &admin, "Existing", None).await;
    assert!(matches!(
        leads::read(&core, &events_only, existing.id).await,
        Err(AppError::Forbidden(_))
    ));
}
