//! The plan catalogue: what an organisation can sign up for.

/// One plan, as GET /v1/account shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub id: &'static str,
    pub name: &'static str,
    pub base_price_cents: u64,
}

/// The plan a signup without `plan_id` gets.
pub const DEFAULT_PLAN_ID: &str = "free";

/// Every plan on offer.
pub const PLANS: [Plan; 2] = [
    Plan {
        id: "free",
        name: "Free",
        base_price_cents: 0,
    },
    Plan {
        id: "starter",
        name: "Starter",
        base_price_cents: 4900,
    },
];

impl Plan {
    /// The plan with this exact id.
    pub fn find(id: &str) -> Option<Plan> {
        PLANS.into_iter().find(|plan| plan.id == id)
    }
}
