//! The registry of step rules: every rule `--step-rule` can name, with its aliases, help, the
//! modes it supports and how it is built.
//!
//! A step rule is one file: its [`super::Stepper`] implementation and a `pub const SPEC:
//! StepRuleSpec` ([`super::stepper::StepRuleSpec`]) next to it; one line in [`STEP_RULES`] exposes it to the CLI (`--step-rule`
//! values and help), to configs and to resume. The name a config records is the one the user
//! gave (a rule's name or one of its aliases), so configs written before a rule got a new name
//! keep their meaning and their hash.
//!
//! A rule written outside this crate runs through [`crate::Trainer::with_stepper`], which
//! records its [`super::Stepper::name`] in the config; a run of it resumes through
//! [`crate::Trainer::from_checkpoint_with`] and a [`super::stepper::StepperFactory`] (see
//! `examples/custom_step_rule.rs`).

#[cfg(test)]
use super::stepper::RuleContext;
use super::stepper::StepRuleSpec;
use crate::mode::Mode;
#[cfg(test)]
use crate::network::Network;

/// Every shipped step rule, in the order `--help` lists them.
pub const STEP_RULES: &[&StepRuleSpec] = &[
    &super::euler::SPEC,
    &super::heun::SPEC,
    &super::bogacki_shampine::SPEC,
    &super::rodas3::SPEC,
    &super::ros34pw2::SPEC,
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
