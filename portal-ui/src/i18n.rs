//! German and English. German is the default; the choice is kept in the
//! page's state (a signal in context), so switching redraws every text at
//! once. Each text is written as a German/English pair where it is used.

use leptos::prelude::*;

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Deutsch (default).
    De,
    /// English.
    En,
}

impl Lang {
    /// The text for this language.
    pub fn pick(self, de: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::De => de,
            Self::En => en,
        }
    }

    /// The same language for the verifier's sentences.
    pub fn language(self) -> verifier::Language {
        match self {
            Self::De => verifier::Language::German,
            Self::En => verifier::Language::English,
        }
    }

    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }
}

/// Puts the language signal into context (German first).
pub fn provide_lang() -> RwSignal<Lang> {
    let lang = RwSignal::new(Lang::De);
    provide_context(lang);
    lang
}

/// The language signal.
pub fn use_lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().unwrap_or_else(|| RwSignal::new(Lang::De))
}

/// A reactive text: `tr(de, en)` follows the language switch.
pub fn tr(de: &'static str, en: &'static str) -> impl Fn() -> &'static str + Copy + 'static {
    let lang = use_lang();
    move || lang.get().pick(de, en)
}
