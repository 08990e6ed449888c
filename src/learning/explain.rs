//! Predictions in a sales manager's words: each feature's share of the
//! probability, measured against the average lead the model learned from,
//! as "Source: Reference (+21 pts)".
use super::{
    encoder::{as_text, FeatureKind, FeatureSpec},
    raw::Raw,
};
use crate::scoring::EventKind;

/// One feature's push on a lead's probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The feature's name, as `excludedFeatures` takes it.
    pub feature: String,
    pub label: String,
    /// The lead's value, in words.
    pub value: String,
    /// Percentage points of conversion probability, against the average lead.
    pub points: f64,
}

impl Contribution {
    pub fn text(&self) -> String {
        sentence(&self.label, &self.value, self.points)
    }
}

/// "Label: value (+N pts)".
pub fn sentence(label: &str, value: &str, points: f64) -> String {
    let sign = if points >= 0.0 { "+" } else { "-" };
    format!("{label}: {value} ({sign}{} pts)", points.abs().round())
}

/// The most a lead's drivers list holds of each sign.
pub const DRIVERS_EACH_WAY: usize = 3;

/// The strongest positive and negative contributions of at least one
/// point, strongest first: positives, then negatives.
pub fn drivers(contributions: &[Contribution]) -> Vec<Contribution> {
    let mut up: Vec<&Contribution> = contributions.iter().filter(|c| c.points >= 0.5).collect();
    let mut down: Vec<&Contribution> = contributions.iter().filter(|c| c.points <= -0.5).collect();
    up.sort_by(|a, b| {
        b.points
            .total_cmp(&a.points)
            .then(a.feature.cmp(&b.feature))
    });
    down.sort_by(|a, b| {
        a.points
            .total_cmp(&b.points)
            .then(a.feature.cmp(&b.feature))
    });
    up.into_iter()
        .take(DRIVERS_EACH_WAY)
        .chain(down.into_iter().take(DRIVERS_EACH_WAY))
        .cloned()
        .collect()
}

/// A feature's name as a person reads it.
pub fn label(feature: &str) -> String {
    if let Some(key) = feature.strip_prefix("attributes.") {
        return humanize(key);
    }
    if let Some(factor) = feature.strip_prefix("rules.") {
        return format!("Rule points for {}", factor.replace('_', " "));
    }
    if let Some(rest) = feature.strip_prefix("events.") {
        let (kind, recent) = match rest.strip_suffix(".30d") {
            Some(kind) => (kind, true),
            None => (rest, false),
        };
        let what = event_words(&kind.to_uppercase());
        return if recent {
            format!("{what} in the last 30 days")
        } else {
            what
        };
    }
    if let Some(rest) = feature.strip_prefix("activities.") {
        let mut parts = rest.split('.');
        let kind = parts.next().unwrap_or_default();
        return match parts.next() {
            Some(direction) => format!("{} {}s", capitalise(direction), activity_word(kind)),
            None => format!("{}s logged", capitalise(activity_word(kind))),
        };
    }
    match feature {
        "source" => "Source".into(),
        "job_title" => "Job title".into(),
        "company" => "Company given".into(),
        "email" => "Email given".into(),
        "phone" => "Phone given".into(),
        "budget" => "Budget".into(),
        "budget_range" => "Budget range given".into(),
        "product_interest" => "Product interest".into(),
        "purchase_timeline" => "Purchase timeline".into(),
        "repeat_customer" => "Repeat customer".into(),
        "country" => "Country".into(),
        "city" => "City".into(),
        "lead_age_days" => "Age of the lead".into(),
        "time_on_site" => "Time on site".into(),
        "pages_per_visit" => "Pages per visit".into(),
        "last_touch" => "Last touch".into(),
        "days_since_last_touch" => "Last touch was".into(),
        "notes" => "Notes".into(),
        "urgent_messages" => "Messages with urgency".into(),
        other => humanize(other),
    }
}

/// The lead's value of `spec`, in words.
pub fn value_text(spec: &FeatureSpec, value: &Raw) -> String {
    match (&spec.kind, value) {
        (_, Raw::Missing) => "not given".into(),
        (FeatureKind::Numeric { .. } | FeatureKind::Curve { .. }, Raw::Num(x)) => {
            number_text(&spec.name, *x)
        }
        (FeatureKind::Flag, Raw::Flag(b)) => if *b { "yes" } else { "no" }.into(),
        (FeatureKind::Tokens { vocabulary }, Raw::Tokens(words)) => {
            let known: Vec<&str> = words
                .iter()
                .filter(|w| vocabulary.contains(w))
                .map(String::as_str)
                .collect();
            if known.is_empty() {
                "other".into()
            } else {
                known.join(" ")
            }
        }
        (FeatureKind::Categorical { categories }, value) => {
            let text = as_text(value);
            if spec.name == "last_touch" {
                touch_words(&text)
            } else if categories.contains(&text) {
                text
            } else {
                format!("{text} (rare)")
            }
        }
        (_, value) => as_text(value),
    }
}

fn number_text(feature: &str, x: f64) -> String {
    match feature {
        "time_on_site" => duration_text(x),
        "lead_age_days" => format!("{} days", x.round()),
        "days_since_last_touch" if x < 1.0 => "today".into(),
        "days_since_last_touch" => format!("{} days ago", x.round()),
        "budget" => format!("{:.0}", x),
        "pages_per_visit" => format!("{:.1}", x),
        f if f.starts_with("events.") || f.starts_with("activities.") || f == "notes" => {
            format!("{}", x.round())
        }
        f if f.starts_with("rules.") => format!("{x:.1} points"),
        _ if x.fract() == 0.0 => format!("{x}"),
        _ => format!("{x:.2}"),
    }
}

fn duration_text(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round();
    if seconds < 60.0 {
        format!("{} s", seconds.round())
    } else if minutes < 120.0 {
        format!("{minutes} min")
    } else {
        format!("{} h {} min", (minutes / 60.0).floor(), minutes % 60.0)
    }
}

fn event_words(kind: &str) -> String {
    match EventKind::parse(kind) {
        Some(EventKind::EmailSent) => "Emails sent",
        Some(EventKind::EmailOpened) => "Emails opened",
        Some(EventKind::EmailClicked) => "Email links clicked",
        Some(EventKind::EmailReplied) => "Email replies",
        Some(EventKind::PageView) => "Website visits",
        Some(EventKind::PricingView) => "Pricing page views",
        Some(EventKind::CalculatorUsed) => "Calculator uses",
        Some(EventKind::BrochureDownloaded) => "Brochures downloaded",
        Some(EventKind::FormSubmitted) => "Forms submitted",
        Some(EventKind::ChatMessage) => "Chat messages",
        Some(EventKind::DemoRequested) => "Demo requests",
        Some(EventKind::InventoryViewed) => "Inventory views",
        Some(EventKind::EmailBounced) => "Bounced emails",
        Some(EventKind::EmailUnsubscribed) => "Unsubscribes",
        Some(EventKind::EmailMarkedSpam) => "Emails marked as spam",
        Some(EventKind::SmsReceived) => "Text messages received",
        Some(EventKind::CallCompleted) => "Completed calls",
        None => return humanize(&kind.to_lowercase()),
    }
    .into()
}

/// The kind of a last touch, `EMAIL_OPENED` or `SMS_OUTBOUND`, in words.
fn touch_words(kind: &str) -> String {
    if kind == "NONE" {
        return "none yet".into();
    }
    if let Some(event) = EventKind::parse(kind) {
        let plural = event_words(event.as_str());
        return singular(&plural).to_lowercase();
    }
    let mut parts = kind.splitn(2, '_');
    let activity = activity_word(&parts.next().unwrap_or_default().to_lowercase()).to_string();
    match parts.next() {
        Some(direction) => format!("{} {activity}", direction.to_lowercase()),
        None => activity,
    }
}

fn singular(plural: &str) -> String {
    plural
        .replacen("Emails", "Email", 1)
        .replacen("links", "link", 1)
        .replacen("replies", "reply", 1)
        .replacen("visits", "visit", 1)
        .replacen("views", "view", 1)
        .replacen("uses", "use", 1)
        .replacen("Brochures", "Brochure", 1)
        .replacen("Forms", "Form", 1)
        .replacen("messages", "message", 1)
        .replacen("requests", "request", 1)
        .replacen("emails", "email", 1)
        .replacen("Unsubscribes", "Unsubscribe", 1)
        .replacen("calls", "call", 1)
}

fn activity_word(kind: &str) -> &str {
    match kind {
        "call" => "call",
        "email" => "email",
        "meeting" => "meeting",
        "sms" => "SMS",
        _ => "activity",
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// `howDidYouHear`, `how_did_you_hear` or `how-did-you-hear` as "How did you hear".
pub fn humanize(key: &str) -> String {
    let mut words = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if c == '_' || c == '-' || c == '.' || c == ' ' {
            words.push(' ');
            previous_lower = false;
        } else if c.is_uppercase() && previous_lower {
            words.push(' ');
            words.extend(c.to_lowercase());
            previous_lower = false;
        } else {
            words.extend(c.to_lowercase());
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    capitalise(&words.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_words() {
        assert_eq!(label("attributes.howDidYouHear"), "How did you hear");
        assert_eq!(label("attributes.lead_origin"), "Lead origin");
        assert_eq!(
            label("events.email_opened.30d"),
            "Emails opened in the last 30 days"
        );
        assert_eq!(label("activities.sms.outbound"), "Outbound SMSs");
        assert_eq!(label("time_on_site"), "Time on site");
        assert_eq!(touch_words("EMAIL_OPENED"), "email opened");
        assert_eq!(touch_words("SMS_OUTBOUND"), "outbound SMS");
        assert_eq!(duration_text(1860.0), "31 min");
        assert_eq!(duration_text(45.0), "45 s");
    }

    #[test]
    fn drivers_keep_the_strongest_each_way_and_read_like_a_manager() {
        let c = |feature: &str, points: f64| Contribution {
            feature: feature.into(),
            label: label(feature),
            value: "x".into(),
            points,
        };
        let all = [
            c("source", 21.0),
            c("time_on_site", 9.2),
            c("email", 0.2),
            c("attributes.occupation", -7.4),
            c("city", 3.0),
            c("country", 2.0),
            c("budget", -1.0),
        ];
        let picked = drivers(&all);
        let texts: Vec<String> = picked.iter().map(Contribution::text).collect();
        assert_eq!(
            texts,
            [
                "Source: x (+21 pts)",
                "Time on site: x (+9 pts)",
                "City: x (+3 pts)",
                "Occupation: x (-7 pts)",
                "Budget: x (-1 pts)"
            ]
        );
    }
}
