use leadscore::{
    auth::Actor,
    core::Core,
    entity::user::Role,
    error::AppError,
    service::leads::{self, LeadFilter, LeadKey, LeadOrder, LeadOrderField, LeadPageRequest},
};
use uuid::Uuid;

use crate::support::{assign, core, lead, person};

const BY_SCORE: LeadOrder = LeadOrder {
    field: LeadOrderField::Score,
    descending: true,
};

/// Walks every page of `size` forward, then backward from the end.
async fn walk(core: &Core, actor: &Actor, order: LeadOrder, size: u64) -> (Vec<Uuid>, Vec<Uuid>) {
    let filter = LeadFilter::default();
    let mut forward = Vec::new();
    let mut after: Option<LeadKey> = None;
    loop {
        let page = leads::list(
            core,
            actor,
            &filter,
            order,
            LeadPageRequest {
                first: Some(size),
                after: after.clone(),
                last: None,
                before: None,
            },
        )
        .await
        .unwrap();
        assert!(page.leads.len() as u64 <= size);
        assert_eq!(page.has_previous_page, after.is_some());
        forward.extend(page.leads.iter().map(|l| l.id));
        match page.leads.last() {
            Some(last) if page.has_next_page => after = Some(LeadKey::of(last, order.field)),
            _ => break,
        }
    }
    let mut backward = Vec::new();
    let mut before: Option<LeadKey> = None;
    loop {
        let page = leads::list(
            core,
            actor,
            &filter,
            order,
            LeadPageRequest {
                first: None,
                after: None,
                last: Some(size),
                before: before.clone(),
            },
        )
        .await
        .unwrap();
        backward.splice(0..0, page.leads.iter().map(|l| l.id));
        match page.leads.first() {
            Some(first) if page.has_previous_page => before = Some(LeadKey::of(first, order.field)),
            _ => break,
        }
    }
    (forward, backward)
}

#[tokio::test]
async fn pages_by_score_cover_every_visible_lead_once_in_order_both_ways() {
    let (core, _db) = core().await;
    let manager = person(&core, "manager@example.com", Role::Manager).await;
    // Ties and unscored leads: the id breaks ties, unscored come last.
    let scores = [
        Some(90),
        None,
        Some(40),
        Some(90),
        Some(40),
        None,
        Some(75),
        Some(40),
    ];
    let mut made = Vec::new();
    for (i, score) in scores.into_iter().enumerate() {
        made.push(lead(&core, &manager, &format!("Lead{i}"), score).await);
    }
    let mut expected = made.clone();
    expected.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => y.cmp(&x).then(b.id.cmp(&a.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b.id.cmp(&a.id),
    });
    let expected: Vec<Uuid> = expected.iter().map(|l| l.id).collect();

    for size in [1, 3, 8, 20] {
        let (forward, backward) = walk(&core, &manager, BY_SCORE, size).await;
        assert_eq!(forward, expected, "forward, pages of {size}");
        assert_eq!(backward, expected, "backward, pages of {size}");
    }
}

#[tokio::test]
async fn a_reps_pages_hold_only_their_leads_whatever_the_order() {
    let (core, _db) = core().await;
    let manager = person(&core, "manager@example.com", Role::Manager).await;
    let ana = person(&core, "ana@example.com", Role::SalesRep).await;
    let mut anas = Vec::new();
    for i in 0..7 {
        let l = lead(&core, &manager, &format!("Lead{i}"), Some(i * 10)).await;
        if i % 2 == 0 {
            assign(&core, &manager, &l, &ana).await;
            anas.push(l.id);
        }
    }
    for field in [
        LeadOrderField::Score,
        LeadOrderField::CreatedAt,
        LeadOrderField::UpdatedAt,
        LeadOrderField::LastActivityAt,
        LeadOrderField::Name,
    ] {
        for descending in [true, false] {
            let order = LeadOrder { field, descending };
            let (forward, backward) = walk(&core, &ana, order, 2).await;
            let mut seen = forward.clone();
            seen.sort();
            let mut want = anas.clone();
            want.sort();
            assert_eq!(seen, want, "{field:?} descending={descending}");
            assert_eq!(forward, backward, "{field:?} descending={descending}");
        }
    }
}

#[tokio::test]
async fn a_page_request_outside_the_rules_is_refused_naming_the_argument() {
    let (core, _db) = core().await;
    let manager = person(&core, "manager@example.com", Role::Manager).await;
    let made = lead(&core, &manager, "Only", Some(10)).await;
    let filter = LeadFilter::default();
    let both = LeadPageRequest {
        first: Some(1),
        after: None,
        last: Some(1),
        before: None,
    };
    match leads::list(&core, &manager, &filter, BY_SCORE, both).await {
        Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, "last"),
        other => panic!("first with last was taken: {other:?}"),
    }
    // A cursor made for one order cannot page another.
    let by_name = LeadKey::of(&made, LeadOrderField::Name);
    let mixed = LeadPageRequest {
        first: Some(1),
        after: Some(by_name),
        last: None,
        before: None,
    };
    match leads::list(&core, &manager, &filter, BY_SCORE, mixed).await {
        Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, "after"),
        other => panic!("a cursor of another order was taken: {other:?}"),
    }
}

#[tokio::test]
async fn an_export_walks_every_visible_lead_once_in_id_order_a_page_at_a_time() {
    use leadscore::service::leads::export::{self, Column};
    let (core, _db) = core().await;
    let manager = person(&core, "manager@example.com", Role::Manager).await;
    let rep = person(&core, "rep@example.com", Role::SalesRep).await;
    let mut leads = Vec::new();
    for i in 0..5 {
        leads.push(lead(&core, &manager, &format!("L{i}"), None).await);
    }
    assign(&core, &manager, &leads[1], &rep).await;
    assign(&core, &manager, &leads[3], &rep).await;
    let all: Vec<Uuid> = leads.iter().map(|l| l.id).collect();
    let columns = [Column::Id];
    for (actor, expected) in [(&manager, all.clone()), (&rep, vec![all[1], all[3]])] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = export::page(&core, actor, &LeadFilter::default(), &columns, after, 2)
                .await
                .unwrap();
            assert!(page.rows.len() <= 2);
            seen.extend(page.rows.iter().map(|r| Uuid::parse_str(&r[0]).unwrap()));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
    }
}
