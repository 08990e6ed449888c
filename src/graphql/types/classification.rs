use async_graphql::Enum;

/// How warm a lead is, from its score.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Classification {
    Hot,
    Warm,
    Cold,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot => "HOT",
            Self::Warm => "WARM",
            Self::Cold => "COLD",
        }
    }
}
