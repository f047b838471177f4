//! Turns stored codes into the customer's language, with a generic label for unknown codes.

use std::collections::HashMap;

use app::dto::Labelled;
use app::i18n::Lang;

use crate::db::lookup::Lookups;

pub struct Labeller {
    lang: Lang,
    roles: HashMap<String, (String, String)>,
    categories: HashMap<String, String>,
    reasons: HashMap<String, String>,
    systems: HashMap<String, String>,
}

impl Labeller {
    pub fn new(lookups: &Lookups, lang: Lang) -> Self {
        let pick = |de: &str, en: &str| match lang {
            Lang::De => de.to_owned(),
            Lang::En => en.to_owned(),
        };
        Self {
            lang,
            roles: lookups
                .roles
                .iter()
                .map(|r| {
                    (
                        r.code.clone(),
                        (
                            pick(&r.label_de, &r.label_en),
                            pick(&r.description_de, &r.description_en),
                        ),
                    )
                })
                .collect(),
            categories: lookups
                .categories
                .iter()
                .map(|c| (c.code.clone(), pick(&c.label_de, &c.label_en)))
                .collect(),
            reasons: lookups
                .reasons
                .iter()
                .map(|r| (r.code.clone(), pick(&r.label_de, &r.label_en)))
                .collect(),
            systems: lookups
                .systems
                .iter()
                .map(|s| (s.code.clone(), s.label.clone()))
                .collect(),
        }
    }

    pub fn role(&self, code: &str) -> (Labelled, String) {
        match self.roles.get(code) {
            Some((label, description)) => (labelled(code, label.clone()), description.clone()),
            None => {
                let label = self.lang.texts().unknown_role.replace("{code}", code);
                (labelled(code, label), String::new())
            }
        }
    }

    pub fn category(&self, code: &str) -> Labelled {
        let label = self
            .categories
            .get(code)
            .cloned()
            .unwrap_or_else(|| self.lang.texts().unknown_category.replace("{code}", code));
        labelled(code, label)
    }

    pub fn reason(&self, code: &str) -> Labelled {
        let label = self
            .reasons
            .get(code)
            .cloned()
            .unwrap_or_else(|| self.lang.texts().unknown_reason.replace("{code}", code));
        labelled(code, label)
    }

    pub fn action(&self, code: &str) -> Labelled {
        labelled(code, self.lang.texts().action_label(code))
    }

    pub fn system(&self, code: &str) -> String {
        self.systems
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// Filter choices, sorted by their label in this language.
    pub fn options<'a>(
        &self,
        codes: impl Iterator<Item = &'a str>,
        label: impl Fn(&str) -> Labelled,
    ) -> Vec<Labelled> {
        let mut options: Vec<Labelled> = codes.map(label).collect();
        options.sort_by_key(|option| option.label.to_lowercase());
        options
    }
}

fn labelled(code: &str, label: String) -> Labelled {
    Labelled {
        code: code.to_owned(),
        label,
    }
}
