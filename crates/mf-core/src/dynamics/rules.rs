//! The registry of step rules: every rule `--step-rule` can name, with its aliases, help, the
//! modes it supports and how it is built.
//!
//! A step rule is one file: its [`Stepper`] implementation and a `pub const SPEC:
//! StepRuleSpec` next to it; one line in [`STEP_RULES`] exposes it to the CLI (`--step-rule`
//! values and help), to configs and to resume. The name a config records is the one the user
//! gave (a rule's name or one of its aliases), so configs written before a rule got a new name
//! keep their meaning and their hash.
//!
//! A rule written outside this crate runs through [`crate::Trainer::with_stepper`], which
//! records its [`Stepper::name`] in the config; a run of it resumes through
//! [`crate::Trainer::from_checkpoint_with`] and a [`StepperFactory`] (see
//! `examples/custom_step_rule.rs`).

use super::stepper::Stepper;
use crate::config::Mode;
use crate::network::Network;

/// What a rule is built from: the network's shape (and its initial state), the first step Δt,
/// the largest step, the local-error tolerance and the round-off allowance of the descent check.
#[derive(Clone, Copy, Debug)]
pub struct RuleContext<'a> {
    /// The network (its shape; adaptive rules copy it into their stage buffer).
    pub net: &'a Network,
    /// Δt: the step of a fixed-step rule, the first step of an adaptive one.
    pub dt: f64,
    /// Largest adaptive step (`--dt-max`; infinite when unbounded).
    pub h_max: f64,
    /// Local-error tolerance (`--tol`).
    pub tol: f64,
    /// Round-off allowance of the descent check (1e-12 C_f).
    pub floor: f64,
}

/// One step rule of the registry.
#[derive(Debug)]
pub struct StepRuleSpec {
    /// The rule's name (`--step-rule NAME`), also its [`Stepper::name`].
    pub name: &'static str,
    /// Other names it answers to (older or shorter names).
    pub aliases: &'static [&'static str],
    /// One line for `--help`.
    pub help: &'static str,
    /// True when the rule chooses its own steps from an error estimate or a descent check.
    pub adaptive: bool,
    /// The order p of the solution it advances (the global error falls like hᵖ; checked for
    /// every rule by one test).
    pub order: u32,
    /// The modes it runs in: adaptive rules need a field that is a deterministic function of
    /// the state (exact mode), the stiff rule the field's Hessian.
    pub modes: &'static [Mode],
    /// The dense N × N matrices it keeps (N = n(q + 1)), for the memory check of
    /// [`crate::train::memory`].
    pub dense_matrices: u64,
    /// Builds the stepper.
    pub build: fn(&RuleContext<'_>) -> Box<dyn Stepper>,
}

impl StepRuleSpec {
    /// Whether `name` names this rule.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Whether the rule runs in `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }
}

/// Every mode.
pub const ALL_MODES: &[Mode] = &[Mode::Gd, Mode::Sgd, Mode::Online, Mode::Exact];
/// Exact mode only.
pub const EXACT_ONLY: &[Mode] = &[Mode::Exact];

/// Every shipped step rule, in the order `--help` lists them.
pub const STEP_RULES: &[&StepRuleSpec] = &[
    &super::euler::SPEC,
    &super::heun::SPEC,
    &super::bogacki_shampine::SPEC,
    &super::rodas3::SPEC,
    &super::euler_heun::SPEC,
    &super::backtracking::SPEC,
];

/// The shipped rule named `name` (by its name or an alias).
pub fn step_rule(name: &str) -> Option<&'static StepRuleSpec> {
    STEP_RULES.iter().copied().find(|r| r.answers_to(name))
}

/// The rule of a config without `--step-rule`: Bogacki–Shampine in exact mode, Euler otherwise.
pub fn default_rule(mode: Mode) -> &'static StepRuleSpec {
    if mode == Mode::Exact {
        &super::bogacki_shampine::SPEC
    } else {
        &super::euler::SPEC
    }
}

/// Every name and alias `--step-rule` accepts.
pub fn rule_names() -> Vec<&'static str> {
    STEP_RULES
        .iter()
        .flat_map(|r| std::iter::once(r.name).chain(r.aliases.iter().copied()))
        .collect()
}

/// Rebuilds a step rule that is not shipped from its name (`None` when the factory does not
/// know it): how a run of a custom rule resumes.
pub type StepperFactory = dyn Fn(&str, &RuleContext<'_>) -> Option<Box<dyn Stepper>>;

/// The factory that knows no rule beyond the shipped ones.
pub fn no_custom_rules(_name: &str, _ctx: &RuleContext<'_>) -> Option<Box<dyn Stepper>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_rule_is_built_under_its_name() {
        let names = rule_names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
        // the names users typed before the registry still resolve
        for old in [
            "fixed",
            "heun",
            "adaptive",
            "implicit",
            "euler-heun",
            "backtracking",
        ] {
            assert!(step_rule(old).is_some(), "{old}");
        }
        assert_eq!(step_rule("adaptive").unwrap().name, "bogacki-shampine");
        assert_eq!(step_rule("implicit").unwrap().name, "rodas3");
        assert_eq!(step_rule("fixed").unwrap().name, "euler");
        assert!(step_rule("nope").is_none());
        let net = Network::zeros(3, 2);
        for r in STEP_RULES {
            let ctx = RuleContext {
                net: &net,
                dt: 0.1,
                h_max: 1.0,
                tol: 1e-5,
                floor: 0.0,
            };
            let s = (r.build)(&ctx);
            assert_eq!(s.name(), r.name);
            assert_eq!(s.is_adaptive(), r.adaptive, "{}", r.name);
            assert!(!r.help.is_empty() && r.supports(Mode::Exact));
            assert_eq!(r.supports(Mode::Online), !r.adaptive, "{}", r.name);
        }
        assert_eq!(default_rule(Mode::Exact).name, "bogacki-shampine");
        assert_eq!(default_rule(Mode::Gd).name, "euler");
    }
}
